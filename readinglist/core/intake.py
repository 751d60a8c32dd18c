"""Which paper each incoming sighting is: the one rule for matching a batch of sightings to a library's papers.

`Library.add_papers` (every paper in memory) and `Shelf.add_papers` (a library read a part at a time, through its
catalog) both plan an import here, then write what the plan says their own way. The plan asks the library two
things: which paper an identifier (an arXiv id, a DOI, a link, a guid, a key) belongs to, and a stored paper's
document. Papers new in the batch are found among themselves as well, so a paper carried twice by one feed is one
record.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from readinglist.core.identity import aliases, make_key, normalize_title
from readinglist.core.models import ImportResult, IncomingPaper, PaperKey, StateChange
from readinglist.core.papers import merge_sighting, new_doc, normalized

Doc = dict[str, Any]


class PaperSink(Protocol):
    """What an import or a refresh writes papers through: the whole `Library` (the window), or the `Shelf`, the
    library on disk read through its catalog (the command line, whatever the library's size)."""

    def find(self, inc: IncomingPaper) -> PaperKey | None: ...

    def add_papers(self, incoming: Iterable[IncomingPaper], *, source: str) -> ImportResult: ...

    def transaction(self) -> contextlib.AbstractContextManager[None]: ...

    def batch(self) -> contextlib.AbstractContextManager[None]: ...


@dataclass(slots=True)
class Intake:
    """What a batch of sightings does to a library."""

    new_docs: list[Doc] = field(default_factory=list)  # papers first seen, in the order they came
    changes: dict[str, Doc] = field(default_factory=dict)  # key -> the fields that change on a stored paper
    new_keys: list[PaperKey] = field(default_factory=list)
    updated_keys: list[PaperKey] = field(default_factory=list)  # stored papers seen in a new version
    unchanged: int = 0
    skipped: int = 0
    # Identifiers the library did not know, and the paper each now names (a new paper's, or a stored paper's new
    # link): the library records them with its writes.
    aliases: dict[str, str] = field(default_factory=dict)


def plan_intake(
    incoming: Iterable[IncomingPaper],
    source: str,
    now: str,
    *,
    owner_of: Callable[[str], str | None],
    stored: Callable[[str], Mapping[str, Any] | None],
) -> Intake:
    """Match each sighting to a stored paper, to one earlier in the batch, or to none (a new paper).

    `owner_of(alias)`: the key of the stored paper an identifier names (a key names its own paper), or None;
    `stored(key)`: that paper's current document, or None when the library has no such paper."""
    out = Intake()
    pending: dict[str, Doc] = {}  # key -> new document for papers first seen in this batch
    learned = out.aliases

    def owner(alias: str) -> str | None:
        return learned.get(alias) or owner_of(alias)

    def learn(alias: str, key: str) -> None:
        if owner(alias) is None:
            learned[alias] = key

    for raw in incoming:
        inc = normalized(raw)
        if not inc.title.strip() and not (inc.arxiv_id or inc.doi):
            out.skipped += 1
            continue
        ids = aliases(arxiv_id=inc.arxiv_id, doi=inc.doi, url=inc.url, guid=inc.guid)
        key = _match(inc, ids, pending, owner, stored)
        if key is None:
            key = make_key(arxiv_id=inc.arxiv_id, doi=inc.doi, url=inc.url, guid=inc.guid, title=inc.title)
            holder = owner(key)
            if holder is not None and not _titled(holder, inc.title, pending, stored):
                # Its link's key belongs to another paper: key it by guid or title instead.
                key = make_key(arxiv_id=None, doi=None, url=None, guid=inc.guid, title=inc.title)
                key = owner(key) or key
            elif holder is not None:
                # The paper keyed by this link has this title: it is this paper, though the link (shared by
                # several papers, such as a table of contents) names another one first.
                key = holder
        if key in pending:
            doc = pending[key]
            fields, _ = merge_sighting(doc, inc, source, ids, now)
            doc.update(fields)
            for a in doc["ids"]:
                learn(a, key)
            out.unchanged += 1
            continue
        current = stored(key)
        if current is None:
            doc = new_doc(PaperKey(key), inc, source, ids, now)
            pending[key] = doc
            out.new_docs.append(doc)
            out.new_keys.append(PaperKey(key))
            learned[key] = key
            for a in ids:
                learn(a, key)
            continue
        fields, is_new_version = merge_sighting({**current, **out.changes.get(key, {})}, inc, source, ids, now)
        if fields:
            out.changes.setdefault(key, {}).update(fields)
            for a in fields.get("ids", ()):
                learn(a, key)
        if is_new_version and PaperKey(key) not in out.updated_keys:
            out.updated_keys.append(PaperKey(key))
        elif not is_new_version:
            out.unchanged += 1
    return out


def _titled(
    key: str, title: str, pending: Mapping[str, Doc], stored: Callable[[str], Mapping[str, Any] | None]
) -> bool:
    doc = pending.get(key) or stored(key)
    return doc is not None and _same_title(doc, title)


def _same_title(doc: Mapping[str, Any], title: str) -> bool:
    return normalize_title(doc.get("title", "")) == normalize_title(title)


def _match(
    inc: IncomingPaper,
    ids: Sequence[str],
    pending: Mapping[str, Doc],
    owner: Callable[[str], str | None],
    stored: Callable[[str], Mapping[str, Any] | None],
) -> str | None:
    """The paper `inc` is another sighting of, if any.

    An arXiv id, a DOI or the entry's own guid names one paper. A shared link alone does not always: some
    feeds give every item the table-of-contents page as its link. A match on the link alone therefore also
    needs the same title.
    """
    guid_ids = set(aliases(arxiv_id=None, doi=None, url=None, guid=inc.guid)) if inc.guid else set()
    for a in ids:
        key = owner(a)
        if key is None:
            continue
        if a.startswith(("arxiv:", "doi:")) or a in guid_ids:
            return key
        doc = pending.get(key) or stored(key)
        if doc is None or _same_title(doc, inc.title):
            return key
    return None


def combined_result(results: Sequence[ImportResult], source: str) -> ImportResult:
    """One result for an import committed in several batches."""
    return ImportResult(
        source=source,
        new=tuple(k for r in results for k in r.new),
        updated=tuple(dict.fromkeys(k for r in results for k in r.updated)),
        unchanged=sum(r.unchanged for r in results),
        skipped=sum(r.skipped for r in results),
        ruled=StateChange(
            before=tuple(s for r in results if r.ruled for s in r.ruled.before),
            after=tuple(s for r in results if r.ruled for s in r.ruled.after),
        ),
    )
