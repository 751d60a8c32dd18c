"""One paper schema: a paper's stored document and the user's state document, made from what a source says and
merged with what another sighting or another library's copy says. The library stores these documents; everything
that builds or merges one lives here.

A paper document holds the content as the feeds gave it (title, authors, abstract: the source text), its
identifiers (`ids`), the feeds that carry it, when it was first seen, and its reading (`shown`, see text.py). A
state document holds the user's star, read mark, note and tags, each with the time it last changed.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from readinglist.core.errors import PaperNotFoundError
from readinglist.core.identity import normalize_doi, parse_arxiv_id
from readinglist.core.models import KEPT, IncomingPaper, Paper, PaperContent, PaperKey, PaperState
from readinglist.core.text import display_fields, stripped_by_old_importer

if TYPE_CHECKING:
    from readinglist.core.rules import CompiledRule, Verdict
    from readinglist.core.storage import Store

Doc = dict[str, Any]


# The paper's fields and how each is stored: lists in the document are tuples on the dataclasses.
_LISTS = frozenset({"authors", "categories", "feeds"})
CONTENT_FIELDS = tuple(f.name for f in dataclasses.fields(PaperContent))
PAPER_FIELDS = tuple(f.name for f in dataclasses.fields(Paper))


# How the papers are laid out in the store's parts (see docs/ARCHITECTURE.md). Here, beside the state's
# shards, so that a command which reads a few papers (`Shelf`) needs no `Library` module to find them.
SEGMENT_SIZE = 4000  # papers per segment ("papers-00042"); new papers go to the newest
IMPORT_BATCH = 1000  # papers per commit of a large import (about half a second of the writer lock)
# Papers changed after their segment was written (a new version, one more feed) live whole in this part, which
# overrides their segment copy; folded back into the segments when it grows past DELTA_LIMIT.
DELTA = "paper-changes"
DELTA_LIMIT = 5000
PAPERS = "papers"  # the table of a segment and of the paper changes
STATE = "state"  # the table of a state shard
RULES = "rules"  # the part (and table) of the user's rules (`core.rules`)


def segment_name(n: int) -> str:
    return f"papers-{n:05d}"


STATE_SHARDS = 64  # the user's state is kept in this many parts, chosen by a hash of the key
# A shard that grows past SPLIT_AT states is split in SPLIT_INTO by more bits of the same hash ("state-07" into
# "state-07.0" ... "state-07.3", and so on down), so a star rewrites a few hundred KB however many papers are read.
SPLIT_AT = 2400
SPLIT_INTO = 4


def state_part(key: str, split: AbstractSet[str] = frozenset()) -> str:
    """The part that holds a paper's state; `split`: the shards already split (`split_shards`)."""
    h = zlib.crc32(key.encode("utf-8"))
    part = f"state-{h % STATE_SHARDS:02d}"
    h //= STATE_SHARDS
    while part in split:
        part = f"{part}.{h % SPLIT_INTO}"
        h //= SPLIT_INTO
    return part


def split_shards(parts: Iterable[str]) -> frozenset[str]:
    """The state shards that were split, from the names of the parts there are. Asked several times per change
    with `Store.part_names`, one tuple until the parts change: that tuple is answered from memory, by identity
    (hashing its 500 names at 1,000,000 papers, as a cache by value would, costs about as much as the answer)."""
    for known, split in _LAST_SPLITS:
        if known is parts:
            return split
    names = tuple(parts)
    out: set[str] = set()
    for part in names:
        if part.startswith("state-") and "." in part:
            pieces = part.split(".")
            out.update(".".join(pieces[:i]) for i in range(1, len(pieces)))
    split = frozenset(out)
    _LAST_SPLITS.insert(0, (names, split))
    del _LAST_SPLITS[4:]
    return split


# The last few tuples of part names asked about, held (so that none of them can be freed and its id reused).
_LAST_SPLITS: list[tuple[tuple[str, ...], frozenset[str]]] = []


def split_full_shards(store: Store, parts: Iterable[str], table: str) -> dict[str, tuple[str, str]]:
    """Split each of these state shards that holds more than SPLIT_AT states (and its children, while they do),
    in the current transaction. Returns where each moved state now is: key -> (part, doc id)."""
    moved: dict[str, tuple[str, str]] = {}
    todo = [p for p in parts if len(store.table(p, table)) > SPLIT_AT]
    while todo:
        part = todo.pop()
        split = split_shards(store.part_names()) | {part}
        children: dict[str, list[Any]] = {f"{part}.{i}": [] for i in range(SPLIT_INTO)}
        for doc in store.table(part, table).values():
            children[state_part(doc["key"], split)].append(doc)
        store.drop_part(part)
        for child, docs in children.items():
            ids = store.put_docs(child, table, {}, docs)
            rows = store.table(child, table)
            for doc_id in ids:
                moved[rows[doc_id]["key"]] = (child, doc_id)
            if len(docs) > SPLIT_AT:
                todo.append(child)
    return moved


def paper_from_doc(doc: Mapping[str, Any]) -> Paper:
    values: dict[str, Any] = {}
    for name in PAPER_FIELDS:
        value = doc.get(name)
        if name in _LISTS:
            value = tuple(value or ())
        elif name == "extra":
            value = dict(value or {})
        elif name in ("title", "abstract"):
            value = value or ""
        values[name] = value
    values["key"] = PaperKey(doc["key"])
    return Paper(**values)


def state_from_doc(key: str, doc: Mapping[str, Any] | None) -> PaperState:
    if not doc:
        return PaperState(PaperKey(key))
    return PaperState(
        key=PaperKey(key),
        starred=bool(doc.get("starred", False)),
        starred_at=doc.get("starred_at"),
        read=bool(doc.get("read", False)),
        read_at=doc.get("read_at"),
        note=doc.get("note", ""),
        note_at=doc.get("note_at"),
        tags=tuple(doc.get("tags", ())),
        tags_at=doc.get("tags_at"),
        dismissed=bool(doc.get("dismissed", False)),
        dismissed_at=doc.get("dismissed_at"),
        later=bool(doc.get("later", False)),
        later_at=doc.get("later_at"),
        muted_by=doc.get("muted_by") or "",
        muted_at=doc.get("muted_at"),
    )


def state_to_doc(state: PaperState) -> Doc:
    doc: Doc = {"key": state.key}
    for name in ("starred", "starred_at", "read", "read_at", "note", "note_at", "tags_at", "dismissed", "dismissed_at",
                 "later", "later_at", "muted_by", "muted_at"):  # fmt: skip
        value = getattr(state, name)
        if value:
            doc[name] = value
    if state.tags:
        doc["tags"] = list(state.tags)
    return doc


def new_doc(key: PaperKey, inc: IncomingPaper, source: str, ids: list[str], now: str) -> Doc:
    """A paper first seen in `source`: its content as the source gives it, empty fields left out."""
    doc: Doc = {"key": key, "title": inc.title, "first_seen": now, "feeds": [source] if source else [], "ids": ids}
    for name in CONTENT_FIELDS:
        value = getattr(inc, name)
        if value and name != "title":
            doc[name] = list(value) if name in _LISTS else dict(value) if name == "extra" else value
    if inc.announce_type:
        doc["extra"] = {**inc.extra, "announce_type": inc.announce_type}
    doc["shown"] = display_fields(inc.title, inc.authors, inc.abstract)
    return doc


def with_reading(source: Mapping[str, Any], fields: Doc) -> Doc:
    """`fields`, with "shown" made from `source`'s text whenever the text is among the fields or a reading came
    with them (a reading from another library is never trusted)."""
    out = {k: v for k, v in fields.items() if k != "shown"}
    if "shown" in fields or {"title", "authors", "abstract"} & out.keys():
        out["shown"] = display_fields(source.get("title", ""), source.get("authors", ()), source.get("abstract", ""))
    return out


def _repairs(doc: Mapping[str, Any], inc: IncomingPaper) -> Doc:
    """Title and abstract stored damaged by the old importer (every `<...>` deleted as if it were HTML), which
    this sighting carries whole: take them back. Nothing else the user could have seen differently changes."""
    fixes: Doc = {}
    for name in ("title", "abstract"):
        new, old = getattr(inc, name), doc.get(name) or ""
        damaged = new and old and new != old and "<" in new
        if damaged and " ".join(stripped_by_old_importer(new).split()) == " ".join(old.split()):
            fixes[name] = new
    return fixes


def normalized(inc: IncomingPaper) -> IncomingPaper:
    """Identifiers in their canonical form, whoever built the record."""
    doi = normalize_doi(inc.doi)
    arxiv = parse_arxiv_id(inc.arxiv_id) if inc.arxiv_id else None
    if arxiv is None and doi and doi.startswith("10.48550/arxiv."):
        arxiv = parse_arxiv_id(doi)
    if arxiv is not None:
        version = arxiv.version or inc.arxiv_version
        if (arxiv.id, version, doi) != (inc.arxiv_id, inc.arxiv_version, inc.doi):
            return replace(inc, arxiv_id=arxiv.id, arxiv_version=version, doi=doi)
        return inc
    if inc.arxiv_id or doi != inc.doi:
        return replace(inc, arxiv_id=None, arxiv_version=None, doi=doi)
    return inc


def merge_sighting(doc: Doc, inc: IncomingPaper, source: str, ids: list[str], now: str) -> tuple[Doc, bool]:
    """The fields that change when `inc` is another sighting of the paper `doc`; and whether it is a new version."""
    changes: Doc = _repairs(doc, inc)
    if source and source not in doc.get("feeds", ()):
        changes["feeds"] = [*doc.get("feeds", ()), source]
    new_ids = [a for a in ids if a not in doc.get("ids", ())]
    if new_ids:
        changes["ids"] = [*doc.get("ids", ()), *new_ids]
    old_version = doc.get("arxiv_version") or 0
    newer_version = bool(inc.arxiv_version and old_version and inc.arxiv_version > old_version)
    older_version = bool(inc.arxiv_version and old_version and inc.arxiv_version < old_version)
    newer_dated = bool(not inc.arxiv_version and inc.updated and doc.get("updated") and inc.updated > doc["updated"])
    if newer_version or newer_dated:
        content = {
            "title": inc.title,
            "authors": list(inc.authors),
            "abstract": inc.abstract,
            "categories": list(inc.categories),
            "updated": inc.updated or now,
            "pdf_url": inc.pdf_url,
            "arxiv_version": inc.arxiv_version,
        }
        content = {k: v for k, v in content.items() if v and v != doc.get(k)}
        if newer_version or {"title", "abstract", "authors"} & content.keys():
            changes.update(content)
            changes["content_updated"] = now
            if newer_version:
                changes["arxiv_version"] = inc.arxiv_version
    elif not older_version:
        # The same version seen again: fill in what this source knows and the others did not.
        if inc.abstract and len(inc.abstract) > len(doc.get("abstract", "")) * 1.2 + 20:
            changes["abstract"] = inc.abstract
        if inc.authors and (
            not doc.get("authors")
            or (len(inc.authors) > len(doc["authors"]) and any("et al" in a for a in doc["authors"]))
        ):
            changes["authors"] = list(inc.authors)
        cats = [c for c in inc.categories if c not in doc.get("categories", ())]
        if cats:
            changes["categories"] = [*doc.get("categories", ()), *cats]
        if not doc.get("arxiv_version") and inc.arxiv_version:
            changes["arxiv_version"] = inc.arxiv_version
    for name in ("doi", "journal_ref", "url", "pdf_url", "published", "arxiv_id"):
        value = getattr(inc, name)
        if value and not doc.get(name) and name not in changes:
            changes[name] = value
    extra = dict(inc.extra)
    if inc.announce_type and not doc.get("extra", {}).get("announce_type"):
        extra["announce_type"] = inc.announce_type
    if extra and any(doc.get("extra", {}).get(k) != v for k, v in extra.items()):
        changes["extra"] = {**doc.get("extra", {}), **extra}
    if {"title", "authors", "abstract"} & changes.keys():
        changes = with_reading({**doc, **changes}, changes)
    return changes, bool(changes.get("content_updated"))


def merge_copy(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> Doc:
    """The fields of `ours` that change when `theirs` is the same paper seen by another copy of the library."""
    changes: Doc = {}
    for name in ("feeds", "ids", "categories"):
        joined = list(dict.fromkeys([*ours.get(name, ()), *theirs.get(name, ())]))
        if joined != list(ours.get(name, ())):
            changes[name] = joined
    if theirs.get("first_seen") and _newer(ours.get("first_seen"), theirs["first_seen"]):
        changes["first_seen"] = theirs["first_seen"]
    my_version, their_version = ours.get("arxiv_version") or 0, theirs.get("arxiv_version") or 0
    newer = their_version > my_version if (my_version and their_version) else (
        not my_version and not their_version and _newer(theirs.get("updated"), ours.get("updated"))
    )  # fmt: skip
    if newer:
        for name in ("title", "authors", "abstract", "updated", "pdf_url", "arxiv_version", "content_updated"):
            if theirs.get(name) and theirs[name] != ours.get(name):
                changes[name] = theirs[name]
    for name in ("title", "authors", "abstract", "doi", "journal_ref", "url", "pdf_url", "published", "updated",
                 "arxiv_id", "arxiv_version"):  # fmt: skip
        if theirs.get(name) and not ours.get(name) and name not in changes:
            changes[name] = theirs[name]
    extra = {**theirs.get("extra", {}), **ours.get("extra", {})}
    if extra != ours.get("extra", {}):
        changes["extra"] = extra
    return changes


def _newer(a: str | None, b: str | None) -> bool:
    """Whether the edit stamped `a` is newer than the one stamped `b` (never edited is oldest)."""
    return (a or "") > (b or "")


def merge_states(ours: PaperState, theirs: PaperState) -> PaperState:
    """Field by field, the newer edit wins. On equal stamps the set value wins, so a star, a read mark or a note
    is never dropped by a tie. Tags are one field with one stamp: the newer tag set wins as a whole."""
    out = ours
    fields = (
        ("starred", "starred_at"),
        ("read", "read_at"),
        ("note", "note_at"),
        ("tags", "tags_at"),
        ("dismissed", "dismissed_at"),
        ("later", "later_at"),
        ("muted_by", "muted_at"),
    )
    for value, stamp in fields:
        mine, their = getattr(ours, value), getattr(theirs, value)
        my_at, their_at = getattr(ours, stamp), getattr(theirs, stamp)
        if _newer(their_at, my_at) or (their_at == my_at and their and not mine):
            out = replace(out, **{value: their, stamp: their_at})
    return out


def join_states(keep: PaperState, other: PaperState) -> PaperState:
    """The state of one paper the library held as two records (a journal version and its arXiv record), so that
    nothing the user did on either is lost: a star or read mark on either, both notes, every tag."""
    out = keep
    for value, stamp in (("starred", "starred_at"), ("read", "read_at"), ("dismissed", "dismissed_at"),
                         ("later", "later_at")):  # fmt: skip
        if getattr(other, value) and not getattr(keep, value):
            out = replace(out, **{value: True, stamp: getattr(other, stamp)})
    if other.note.strip() and other.note.strip() not in keep.note:
        note = f"{keep.note.rstrip()}\n\n{other.note.strip()}\n" if keep.note.strip() else other.note
        out = replace(out, note=note, note_at=max(keep.note_at or "", other.note_at or "") or None)
    tags = tuple(dict.fromkeys([*keep.tags, *other.tags]))
    if tags != keep.tags:
        out = replace(out, tags=tags, tags_at=max(keep.tags_at or "", other.tags_at or "") or None)
    if out.starred and out.muted:
        out = replace(out, muted_by="", muted_at=None)
    return out


# ---- state changes the library and the command line's shelf share ------------------------------------------


class UnknownPaperError(PaperNotFoundError):
    def __init__(self, text: str) -> None:
        super().__init__(f"no paper {text!r} in the library (use a key from `readinglist list`, or an arXiv id)")


def _unmuted(state: PaperState, now: str) -> PaperState:
    """The paper as its mute found it: unread again when the rule marked it read (both stamped now)."""
    if state.read_by_rule:
        state = replace(state, read=False, read_at=now)
    return replace(state, muted_by="", muted_at=now)


def _consistent(state: PaperState, mute_rules: AbstractSet[str], now: str) -> PaperState:
    if not state.muted:
        return state
    if state.starred or state.muted_by not in mute_rules:
        return _unmuted(state, now)
    if not state.read:
        return replace(state, muted_by=KEPT)
    return state


def flag(st: PaperState, name: str, value: bool, now: str) -> PaperState | None:
    """The state with a yes/no field (`starred`, `read`, `later`, `dismissed`) set and stamped; None when it
    already was. Starring un-mutes (a starred paper is never muted); unread by hand keeps the paper from the
    rule for good."""
    if getattr(st, name) == value:
        return None
    fields: dict[str, Any] = {name: value, f"{name}_at": now}
    changed = replace(st, **fields)
    if st.muted and name == "starred" and value:
        changed = _unmuted(changed, now)
    elif st.muted and name == "read" and not value:
        changed = replace(changed, muted_by=KEPT, muted_at=now)
    return changed


def tagged(st: PaperState, tags: Iterable[str], now: str) -> PaperState | None:
    """The state with these tags added (blank ones ignored) and stamped; None when it had them all."""
    merged = tuple(dict.fromkeys([*st.tags, *(t.strip() for t in tags if t.strip())]))
    return replace(st, tags=merged, tags_at=now) if merged != st.tags else None


def untagged(st: PaperState, tags: Iterable[str], now: str) -> PaperState | None:
    """The state without these tags, stamped; None when it had none of them."""
    drop = {t.strip() for t in tags}
    kept = tuple(t for t in st.tags if t not in drop)
    return replace(st, tags=kept, tags_at=now) if kept != st.tags else None


def noted(st: PaperState, note: str, now: str) -> PaperState | None:
    """The state with this note (blank: no note), stamped; None when it already was the note."""
    text = note if note.strip() else ""
    return replace(st, note=text, note_at=now) if text != st.note else None


def ruled_states(
    keys: Iterable[str],
    rules: Sequence[CompiledRule],
    now: str,
    *,
    state_of: Callable[[str], PaperState],
    doc_of: Callable[[str], Mapping[str, Any]],
    settled: AbstractSet[str] = frozenset(),
    verdict_of: Callable[[str], Verdict] | None = None,
) -> list[PaperState]:
    """The states the rules that write (mute, tag, star) give these papers; only those that change. `settled`:
    mute rules not being judged here whose mutes stand (they are on, and neither they nor the papers changed).
    `state_of` and `doc_of` read the library, whichever way it holds its papers."""
    from readinglist.core.rules import judge

    out = []
    for key in keys:
        st = state_of(key)
        verdict = verdict_of(key) if verdict_of is not None else judge(rules, doc_of(key))
        new = st
        if verdict.star and not new.starred and new.starred_at is None:  # never re-stars what the user unstarred
            new = replace(new, starred=True, starred_at=now)
        if verdict.tags:
            merged = tuple(dict.fromkeys([*new.tags, *verdict.tags]))
            if merged != new.tags:
                new = replace(new, tags=merged, tags_at=now)
        if new.muted and new.muted_by in settled and not new.starred:
            pass
        elif new.muted and (new.starred or not verdict.mutes):
            new = _unmuted(new, now)
        elif new.muted and new.muted_by not in verdict.mutes:
            new = replace(new, muted_by=verdict.mutes[0])  # still muted, now by another rule
        elif not new.muted and verdict.mutes and new.mutable:
            new = replace(new, muted_by=verdict.mutes[0], muted_at=now)
            if not new.read:
                new = replace(new, read=True, read_at=now)
        if new != st:
            out.append(new)
    return out


def consistent_states(states: Sequence[PaperState], mute_rules: AbstractSet[str], now: str) -> list[PaperState]:
    """States put right before they are written (see `Library._store_states`)."""
    return [_consistent(s, mute_rules, now) for s in states]


def today_cutoff(now: datetime | None = None) -> str:
    """The "Today" view holds papers first seen in the last 24 hours: the first_seen value it starts at."""
    return ((now or datetime.now(UTC)) - timedelta(hours=24)).isoformat().replace("+00:00", "Z")
