"""One-file backups of everything (papers, the user's state, feeds) and merging such a file into a library.

An archive is a zip file (stdlib, readable anywhere, and notes and abstracts compress about fourfold) holding:

    readinglist-archive.json   what this is: format, version, library schema, counts, when and what wrote it
    papers.json                every paper document as stored, in a flat list (the segment layout is not kept:
                               the library it is merged into has its own)
    states.json                every state document as stored, timestamps included, so merges can compare them
    parts/<name>.json          every other part of the store, raw (feeds, and whatever later issues add)

Credentials live in the keyring and never in the store, so they cannot be in an archive; as a second line of
defence, user:password@ in URLs and values of keys that name secrets are removed from the raw parts.

A restore merges: papers missing here are added with their key, dates and sources; papers present on both sides
are joined (sources, identifiers, the newer version's content); states are merged field by field, the newer
timestamp winning, so no star, read mark or note edited on either side is lost.

An archive is outside input, like a feed: nothing in it is written before all of it is checked (core/validate.py).
A file that is not an archive, or whose members do not have an archive's shape, is refused whole. A record that
breaks a rule of the library (a paper's authors a number, a state's star the word "yes", an arXiv id holding
BibTeX, a subscription to file:///etc/passwd) is skipped, and a link that is not a web address is dropped from
its record; the restore's summary names each. Parts this version does not know how to check are left out, and
named too: every part an archive may carry has its rules in `_PART_RULES`.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson
from tinydb.table import Document

from readinglist import __version__
from readinglist.core.digest import PART as DIGEST_PART
from readinglist.core.digest import SENT as DIGEST_SENT
from readinglist.core.digest import SETTINGS as DIGEST_SETTINGS
from readinglist.core.errors import ArchiveError
from readinglist.core.feeds import PART as FEEDS_PART
from readinglist.core.feeds import TABLE as FEEDS_TABLE
from readinglist.core.feeds import feed_url_key
from readinglist.core.files import write_atomically
from readinglist.core.identity import normalize_url
from readinglist.core.library import Library
from readinglist.core.models import SCHEMA_VERSION, PaperKey, PaperState, utc_now
from readinglist.core.papers import DELTA, UnknownPaperError, merge_copy, merge_states, state_from_doc
from readinglist.core.rules import PART as RULES_PART
from readinglist.core.rules import TABLE as RULES_TABLE
from readinglist.core.validate import (
    Checked,
    check_digest_settings,
    check_paper,
    check_rule_doc,
    check_sent_digest,
    check_state,
    check_subscription,
    paper_name,
    quoted,
    rule_name,
    state_name,
    subscription_name,
)

ARCHIVE_FORMAT = "readinglist-archive"
ARCHIVE_VERSION = 1
META = "readinglist-archive.json"
PAPERS_MEMBER = "papers.json"
STATES_MEMBER = "states.json"
PARTS_PREFIX = "parts/"

# Parts the library itself owns, merged paper by paper; every other part is carried raw.
_LIBRARY_PARTS = ("papers-", "state-", DELTA)
_PART_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SECRET_KEY = re.compile(r"pass(word|wd|phrase)?$|secret|token|api[_-]?key|credential|authorization|cookie", re.I)
_URL_USERINFO = re.compile(r"^(https?://)[^/@\s]*@", re.IGNORECASE)

Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Archive:
    """The validated content of an archive file."""

    path: Path
    created: str
    schema: int
    papers: tuple[Doc, ...]
    states: tuple[Doc, ...]
    parts: Mapping[str, dict[str, Any]]
    skipped: tuple[str, ...] = ()  # damaged records left out, each named with what is wrong with it
    repaired: tuple[str, ...] = ()  # the links that were not web addresses, removed from records otherwise kept
    left_out: tuple[str, ...] = ()  # parts (or tables) this version has no rules for


@dataclass(frozen=True, slots=True)
class BackupSummary:
    path: Path
    papers: int
    states: int
    parts: tuple[str, ...]
    bytes: int

    def summary(self) -> str:
        extra = f", {', '.join(self.parts)}" if self.parts else ""
        size = f"{self.bytes / 1e6:.1f} MB" if self.bytes >= 100_000 else f"{max(1, round(self.bytes / 1e3))} KB"
        return f"{self.papers} papers, your state on {self.states}{extra} ({size})"


@dataclass(frozen=True, slots=True)
class RestoreSummary:
    path: Path
    papers_added: int
    papers_merged: int
    states_changed: int
    parts_added: tuple[str, ...]
    parts_merged: tuple[str, ...]
    safety_backup: str | None
    skipped: tuple[str, ...] = ()
    repaired: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()
    states_unplaced: tuple[str, ...] = ()  # keys of states whose paper is neither here nor in the archive

    def summary(self) -> str:
        parts = [f"{self.papers_added} papers added", f"{self.papers_merged} already here",
                 f"your state changed on {self.states_changed}"]  # fmt: skip
        if self.parts_added:
            parts.append(f"added {', '.join(self.parts_added)}")
        if self.parts_merged:
            parts.append(f"merged {', '.join(self.parts_merged)}")
        text = ", ".join(parts)
        if self.skipped:
            text += f"; skipped {_counted(len(self.skipped), 'damaged record')}: {_listed(self.skipped)}"
        if self.repaired:
            links = "1 link that is" if len(self.repaired) == 1 else f"{len(self.repaired)} links that are"
            text += f"; removed {links} not a web address: {_listed(self.repaired)}"
        if self.states_unplaced:
            papers = _counted(len(self.states_unplaced), "paper")
            text += (
                f"; your state on {papers} not restored, the paper being neither in the archive nor here: "
                f"{_listed(self.states_unplaced)}"
            )
        if self.left_out:
            text += f"; left out what this readinglist cannot check: {_listed(self.left_out)}"
        return text


LISTED = 5  # records named in each list of a summary; the rest are counted


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _listed(items: tuple[str, ...]) -> str:
    named = ", ".join(items[:LISTED])
    return f"{named} and {len(items) - LISTED} more" if len(items) > LISTED else named


# ---- writing ------------------------------------------------------------------------------------------------------


def _is_library_part(part: str) -> bool:
    return part.startswith(_LIBRARY_PARTS)


def scrub_secrets(value: Any) -> Any:
    """A copy of `value` without credentials: user:password@ taken out of URLs, secret-named keys dropped."""
    if isinstance(value, dict):
        return {k: scrub_secrets(v) for k, v in value.items() if not (_SECRET_KEY.search(k) and isinstance(v, str))}
    if isinstance(value, list):
        return [scrub_secrets(v) for v in value]
    if isinstance(value, str) and "@" in value:
        return _URL_USERINFO.sub(r"\1", value)
    return value


def archive_bytes(library: Library) -> tuple[bytes, BackupSummary]:
    """The archive of `library` as bytes (built in memory, so that it reaches the disk only through one atomic
    write), and what is in it. The summary's path is empty."""
    store = library.store
    papers: list[Doc] = []
    states: list[Doc] = []
    parts: dict[str, Any] = {}
    papers.extend(dict(d) for d in library.paper_docs())
    for part in sorted(store.parts()):
        if _is_library_part(part) and not part.startswith("state-"):
            continue
        if part.startswith("state-"):
            for table in store.loaded_part(part) or {}:
                states.extend(store.table(part, table).values())
        elif _PART_NAME.match(part):
            parts[part] = scrub_secrets(store.loaded_part(part) or {})
    meta = {
        "format": ARCHIVE_FORMAT,
        "version": ARCHIVE_VERSION,
        "schema": store.schema,
        "created": utc_now(),
        "written_by": f"readinglist {__version__}",
        "generation": store.generation,
        "papers": len(papers),
        "states": len(states),
        "parts": sorted(parts),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr(META, orjson.dumps(meta, option=orjson.OPT_INDENT_2))
        zf.writestr(PAPERS_MEMBER, orjson.dumps(papers))
        zf.writestr(STATES_MEMBER, orjson.dumps(states))
        for name, data in parts.items():
            zf.writestr(f"{PARTS_PREFIX}{name}.json", orjson.dumps(data))
    blob = buffer.getvalue()
    return blob, BackupSummary(Path(), len(papers), len(states), tuple(sorted(parts)), len(blob))


def write_archive(library: Library, path: Path) -> BackupSummary:
    """Write the whole library to one archive file, atomically and readable by the user only (it holds notes).
    Raises ExportError naming the file when it cannot be written; no partial file is ever left."""
    blob, summary = archive_bytes(library)
    written = write_atomically(Path(path), blob, private=True)
    return replace(summary, path=written)


# ---- reading ------------------------------------------------------------------------------------------------------


ARCHIVE_CAP = 2 * 1024 * 1024 * 1024


def read_archive(path: Path) -> Archive:
    """Read and check an archive. Raises ArchiveError naming the file for anything but a readinglist archive
    this version understands."""
    path = Path(path)

    def bad(reason: str) -> ArchiveError:
        return ArchiveError(f"cannot restore from {path}: {reason}; nothing was changed")

    try:
        if Path(path).exists() and not Path(path).is_file():
            raise bad("it is not a regular file")
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            # A zip bomb declares what it inflates to: refused before anything is read (a library of 100,000
            # papers makes an archive member of a few hundred MB at most).
            declared = sum(info.file_size for info in zf.infolist())
            if declared > ARCHIVE_CAP:
                raise bad(f"it would unpack to {declared // (1024 * 1024):,} MB, more than any library holds")
            if META not in names:
                raise bad("it is not a readinglist archive (those are written by `readinglist backup --to`)")
            meta = orjson.loads(zf.read(META))
            if not isinstance(meta, dict) or meta.get("format") != ARCHIVE_FORMAT:
                raise bad("it is not a readinglist archive")
            version, schema = meta.get("version"), meta.get("schema")
            if not isinstance(version, int) or not isinstance(schema, int):
                raise bad("its description is malformed")
            if version > ARCHIVE_VERSION or schema > SCHEMA_VERSION:
                raise bad("it was written by a newer readinglist; upgrade readinglist to restore it")
            for member in (PAPERS_MEMBER, STATES_MEMBER):
                if member not in names:
                    raise bad(f"it is incomplete: {member} is missing from it")
            papers = orjson.loads(zf.read(PAPERS_MEMBER))
            states = orjson.loads(zf.read(STATES_MEMBER))
            parts: dict[str, dict[str, Any]] = {}
            for name in sorted(names):
                if name.startswith(PARTS_PREFIX) and name.endswith(".json"):
                    part = name[len(PARTS_PREFIX) : -len(".json")]
                    if not _PART_NAME.match(part) or _is_library_part(part):
                        raise bad(f"it holds an unexpected member {name!r}")
                    parts[part] = orjson.loads(zf.read(name))
    except FileNotFoundError:
        raise bad("there is no such file") from None
    except IsADirectoryError:
        raise bad("it is a folder") from None
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise bad("it is not a readinglist archive, or it is damaged (not a readable zip file)") from None
    except KeyError:  # (zipfile's "There is no item named …": every member read above was checked first)
        raise bad("it is incomplete") from None
    except orjson.JSONDecodeError as exc:
        raise bad(f"it is damaged ({exc})") from None
    except OSError as exc:
        raise bad(exc.strerror or str(exc)) from None
    # The shape of the whole: refused whole when it is wrong (this is no archive readinglist wrote).
    if not isinstance(papers, list):
        raise bad(f"its {PAPERS_MEMBER} is not a list of papers")
    if not isinstance(states, list):
        raise bad(f"its {STATES_MEMBER} is not a list of states")
    for part, data in parts.items():
        if not isinstance(data, dict) or not all(
            isinstance(t, dict) and all(isinstance(i, str) and i.isdigit() for i in t) for t in data.values()
        ):
            raise bad(f"its part {part!r} does not hold TinyDB tables")
    # Then every record: the damaged ones are skipped, and named.
    checks = _Checks()
    good_papers = checks.papers(papers)
    good_states = checks.states(states)
    good_parts = {}
    for part, data in parts.items():
        checked = checks.part(part, data)
        if checked:
            good_parts[part] = checked
    return Archive(
        path,
        str(meta.get("created", "")),
        schema,
        tuple(good_papers),
        tuple(good_states),
        good_parts,
        skipped=tuple(checks.skipped),
        repaired=tuple(checks.repaired),
        left_out=tuple(checks.left_out),
    )


class _Checks:
    """Every record of one archive checked, with what was skipped or repaired, in the archive's order."""

    def __init__(self) -> None:
        self.skipped: list[str] = []
        self.repaired: list[str] = []
        self.left_out: list[str] = []

    def keep(self, checked: Checked, name: str) -> Doc | None:
        if checked.doc is None:
            self.skipped.append(f"{name} ({checked.problem})")
        else:
            self.repaired.extend(f"{name} ({link})" for link in checked.dropped)
        return checked.doc

    def papers(self, docs: list[Any]) -> list[Doc]:
        out: list[Doc] = []
        seen: set[str] = set()
        for n, doc in enumerate(docs, 1):
            good = self.keep(check_paper(doc), paper_name(doc, n))
            if good is None:
                continue
            if good["key"] in seen:
                self.skipped.append(f"{paper_name(doc, n)} (a second record of the same paper)")
                continue
            seen.add(good["key"])
            out.append(good)
        return out

    def states(self, docs: list[Any]) -> list[Doc]:
        checked = (self.keep(check_state(doc), state_name(doc, n)) for n, doc in enumerate(docs, 1))
        return [doc for doc in checked if doc is not None]

    def part(self, part: str, data: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for table, docs in data.items():
            rules = _PART_RULES.get(part, {}).get(table)
            if rules is None:
                if docs:
                    name = f"part {quoted(part)}" if part not in _PART_RULES else f"table {quoted(table)} of {part}"
                    self.left_out.append(name)
                continue
            out[table] = rules(self, docs)
        return out

    def digest_settings(self, docs: Mapping[str, Any]) -> dict[str, Doc]:
        return self._each(docs, check_digest_settings, "the digest's settings")

    def sent_digests(self, docs: Mapping[str, Any]) -> dict[str, Doc]:
        return self._each(docs, check_sent_digest, "a sent digest")

    def _each(self, docs: Mapping[str, Any], check: Callable[[Any], Checked], name: str) -> dict[str, Doc]:
        out: dict[str, Doc] = {}
        for n, (doc_id, doc) in enumerate(docs.items(), 1):
            good = self.keep(check(doc), f"{name} #{n}")
            if good is not None:
                out[doc_id] = good
        return out

    def rules(self, docs: Mapping[str, Any]) -> dict[str, Doc]:
        out: dict[str, Doc] = {}
        for n, (doc_id, doc) in enumerate(docs.items(), 1):
            good = self.keep(check_rule_doc(doc), rule_name(doc, n))
            if good is not None:
                out[doc_id] = good
        return out

    def subscriptions(self, docs: Mapping[str, Any]) -> dict[str, Doc]:
        out: dict[str, Doc] = {}
        ids: dict[str, str] = {}
        addresses: dict[str, str] = {}
        for n, (doc_id, doc) in enumerate(docs.items(), 1):
            name = subscription_name(doc, n)
            good = self.keep(check_subscription(doc), name)
            if good is None:
                continue
            same = ids.get(good["id"]) or addresses.get(feed_url_key(good["url"]))
            if same is not None:
                self.skipped.append(f"{name} (the same subscription as {same})")
                continue
            ids[good["id"]] = addresses[feed_url_key(good["url"])] = name
            out[doc_id] = good
        return out


# What each part an archive may carry holds, table by table, and how its records are checked. A part or table not
# named here is left out of a restore: nothing could say what its records may hold.
_PART_RULES: Mapping[str, Mapping[str, Callable[[_Checks, Mapping[str, Any]], dict[str, Doc]]]] = {
    FEEDS_PART: {FEEDS_TABLE: _Checks.subscriptions},
    RULES_PART: {RULES_TABLE: _Checks.rules},
    DIGEST_PART: {DIGEST_SETTINGS: _Checks.digest_settings, DIGEST_SENT: _Checks.sent_digests},
}


# ---- merging ------------------------------------------------------------------------------------------------------


def _match(library: Library, doc: Mapping[str, Any]) -> PaperKey | None:
    if doc["key"] in library:
        return PaperKey(doc["key"])
    for alias in doc.get("ids", ()):
        try:
            return library.resolve(alias)
        except UnknownPaperError:
            continue
    return None


def merge_archive(library: Library, archive: Archive) -> RestoreSummary:
    """Merge `archive` into `library` in one transaction: all of it becomes durable, or none of it.

    The library is backed up first (`readinglist restore` brings that back if the merge was not wanted).
    """
    store = library.store
    safety = store.backup(reason="before-restore-from")

    plans = {part: _plan_part(store.loaded_part(part), data) for part, data in archive.parts.items()}
    if DIGEST_PART in plans and store.table(DIGEST_PART, DIGEST_SETTINGS):
        # One set of digest settings: this library's own is kept (the archive's would be a second one).
        kept = {t: d for t, d in plans[DIGEST_PART].inserts.items() if t != DIGEST_SETTINGS}
        plans[DIGEST_PART] = _PartPlan(kept, plans[DIGEST_PART].renamed)
    papers = archive.papers
    renamed = plans[FEEDS_PART].renamed if FEEDS_PART in plans else {}
    if renamed:
        # A feed subscribed on both sides under different ids: its papers name it by this library's id.
        papers = tuple({**d, "feeds": [renamed.get(f, f) for f in d.get("feeds", ())]} for d in papers)
    key_map, new_docs, changes = _plan_papers(library, papers)
    parts_added = tuple(p for p, plan in plans.items() if plan.inserts and p not in store.parts())
    parts_merged = tuple(p for p, plan in plans.items() if plan.inserts and p in store.parts())
    with store.transaction():
        library.apply_paper_docs(changes=changes, new_docs=new_docs)
        for part, plan in plans.items():
            for table, docs in plan.inserts.items():
                store.db(part).table(table).insert_multiple(docs)
        merged: dict[PaperKey, PaperState] = {}
        orphans: list[str] = []
        for doc in archive.states:
            local = key_map.get(doc["key"]) or _local_key(library, doc["key"])
            theirs = state_from_doc(doc["key"], doc)
            if local is not None:
                ours = merged.get(local) or library.state(local)
                merged[local] = merge_states(ours, replace(theirs, key=local))
            elif theirs.starred or theirs.read or theirs.note or theirs.tags:
                # Its paper was skipped as damaged (or the archive lacks it): say so, the star or note is not here.
                orphans.append(quoted(doc["key"]))
        change = library.put_states(merged.values())
    library.sync_search_index()
    return RestoreSummary(
        path=archive.path,
        papers_added=len(new_docs),
        papers_merged=len(papers) - len(new_docs),
        states_changed=len(change.after),
        parts_added=parts_added,
        parts_merged=parts_merged,
        safety_backup=safety.name if safety else None,
        skipped=archive.skipped,
        repaired=archive.repaired,
        left_out=archive.left_out,
        states_unplaced=tuple(orphans),
    )


def _local_key(library: Library, key: str) -> PaperKey | None:
    try:
        return library.resolve(key)
    except UnknownPaperError:
        return None


def _plan_papers(
    library: Library, papers: Iterable[Mapping[str, Any]]
) -> tuple[dict[str, PaperKey], list[Doc], dict[str, Doc]]:
    """Archive key -> local key; the papers to add whole; the changes to papers already here, by local key."""
    key_map: dict[str, PaperKey] = {}
    new_docs: list[Doc] = []
    changes: dict[str, Doc] = {}
    for doc in papers:
        local = _match(library, doc)
        if local is None:
            new_docs.append(dict(doc))  # the archive was parsed for this merge: its documents are ours
            key_map[doc["key"]] = PaperKey(doc["key"])
            continue
        key_map[doc["key"]] = local
        fields = merge_copy({**library.doc(local), **changes.get(local, {})}, doc)
        if fields:
            changes.setdefault(local, {}).update(fields)
    return key_map, new_docs, changes


@dataclass(frozen=True, slots=True)
class _PartPlan:
    """What merging one raw part adds: documents per table (with their ids when the table was empty here, since
    whatever owns the part may refer to them), and archive ids that name a document this library already has
    under another id."""

    inserts: Mapping[str, list[Any]]
    renamed: Mapping[str, str]


def _identities(doc: Mapping[str, Any]) -> set[str]:
    out = set()
    for name in ("id", "key", "url"):
        value = doc.get(name)
        if isinstance(value, str) and value:
            out.add(f"{name}:{normalize_url(value) or value}" if name == "url" else f"{name}:{value}")
    return out or {orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).decode("utf-8")}


def _plan_part(existing: Mapping[str, Any] | None, data: Mapping[str, Any]) -> _PartPlan:
    """A document is already here when its id, key or URL matches one here (or, having none, all of it does).
    Then this library's copy is kept: nothing in an unknown document says which copy is newer."""
    inserts: dict[str, list[Any]] = {}
    renamed: dict[str, str] = {}
    for table, docs in data.items():
        mine = (existing or {}).get(table) or {}
        if not mine:
            if docs:
                inserts[table] = [Document(copy.deepcopy(d), doc_id=int(i)) for i, d in docs.items()]
            continue
        index: dict[str, Mapping[str, Any]] = {}
        for doc in mine.values():
            for ident in _identities(doc):
                index.setdefault(ident, doc)
        fresh = []
        for doc in docs.values():
            same = next((index[i] for i in sorted(_identities(doc)) if i in index), None)
            if same is None:
                fresh.append(copy.deepcopy(doc))
            elif isinstance(doc.get("id"), str) and isinstance(same.get("id"), str) and doc["id"] != same["id"]:
                renamed[doc["id"]] = same["id"]
        if fresh:
            inserts[table] = fresh
    return _PartPlan(inserts, renamed)


def restore_archive(library: Library, path: Path) -> RestoreSummary:
    """Read an archive and merge it into `library`. Raises ArchiveError (nothing changed) for a bad file."""
    return merge_archive(library, read_archive(path))
