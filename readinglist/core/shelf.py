"""The library for a command that lists, shows or marks a few papers: the cost follows the papers it touches.

`Library` reads every paper and state into memory (the window needs them all, and rules, ranking and merges
walk them). A command such as `list --limit 20`, `show KEY` or `star KEY` needs twenty rows, one paper or one
state: `Shelf` opens the store lazily (the manifest, then only the parts asked for) and answers lists, counts,
searches and names from the catalog (`core.catalog`), which it first brings up to the library by the parts that
changed. A paper is read from its segment when shown; a state change reads and rewrites one shard, with the
same rules as `Library` (`library.flag`, the mute promises), under the same lock and in the same commit.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from readinglist.core import papers as layout  # (its sizes read at each use: tests make them small)
from readinglist.core.catalog import Catalog
from readinglist.core.datadir import DataFolder
from readinglist.core.errors import ReadingListError
from readinglist.core.identity import aliases
from readinglist.core.models import (
    ImportResult,
    IncomingPaper,
    LibraryStats,
    ListFilter,
    Paper,
    PaperKey,
    PaperState,
    SortKey,
    StateChange,
    utc_now,
)
from readinglist.core.papers import (
    DELTA,
    PAPERS,
    RULES,
    STATE,
    UnknownPaperError,
    consistent_states,
    flag,
    noted,
    paper_from_doc,
    ruled_states,
    segment_name,
    split_full_shards,
    split_shards,
    state_from_doc,
    state_part,
    state_to_doc,
    tagged,
    today_cutoff,
    untagged,
)
from readinglist.core.storage import Store

FOLD_SEGMENTS = 8  # segments a fold of the paper changes rewrites per commit (each about 8 MB at 4,000 papers)

if TYPE_CHECKING:
    from readinglist.core.feeds import FeedRegistry
    from readinglist.core.rules import CompiledRule, Rule
    from readinglist.core.storage import BackupInfo


class Shelf:
    """A lazily opened library with its catalog. Not thread-safe (one command, one thread)."""

    def __init__(self, store: Store, catalog: Catalog, *, progress: Callable[[int, int], None] | None = None) -> None:
        self.store = store
        self._catalog = catalog
        self._progress = progress  # told (parts done, parts to do) while the catalog catches up
        self._caught_up = False
        self._backup_checked = False
        self._state_ids: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}
        self._catalog_at = -1  # the store's generation the catalog was last brought up to by this shelf
        # Papers added in the transaction under way, which the catalog learns only after its commit: key -> the
        # document in memory, and the identifiers they brought -> key (several feeds' imports in one commit).
        self._pending_docs: dict[str, Mapping[str, Any]] = {}
        self._pending_owners: dict[str, str] = {}

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        writer: bool = True,
        lock_timeout: float = 5.0,
        owner: str = "readinglist",
        progress: Callable[[int, int], None] | None = None,
    ) -> Shelf:
        store = Store(Path(data_dir), writer=writer, lock_timeout=lock_timeout, owner=owner, lazy=True)
        store.open()
        return cls(store, Catalog(DataFolder(Path(data_dir)).catalog), progress=progress)

    @property
    def catalog(self) -> Catalog:
        """The catalog, brought up to the library (the parts that changed) at first use."""
        if not self._caught_up:
            self._catalog.catch_up(self.store, progress=self._progress)
            self._caught_up = True
        return self._catalog

    def close(self) -> None:
        self._catalog.close()
        self.store.close()

    def __enter__(self) -> Shelf:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- what the library owns besides papers --------------------------------------------------------------

    @functools.cached_property
    def feeds(self) -> FeedRegistry:
        from readinglist.core.feeds import FeedRegistry

        return FeedRegistry(self.store)

    def feed_names(self) -> dict[str, str]:
        return self.feeds.feed_names()

    def feed_counts(self, *, unread_only: bool = False) -> Counter[str]:
        """Papers (or unread papers) by the source that brought them, as `Library.feed_counts`."""
        return Counter(self.catalog.feed_counts(unread_only=unread_only))

    def rules(self) -> list[Rule]:
        if RULES not in self.store.parts():
            return []  # (and no rules module: most libraries have none, and a list or a show needs none)
        from readinglist.core.rules import rules_from_part

        return rules_from_part(self.store.loaded_part(RULES))

    def backup(self, *, reason: str) -> BackupInfo | None:
        return self.store.backup(reason=reason)

    # ---- reading ---------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.catalog)

    def resolve(self, text: str) -> PaperKey:
        key = self.catalog.resolve(text)
        if key is None:
            raise UnknownPaperError(text)
        return PaperKey(key)

    def doc(self, key: str) -> Mapping[str, Any]:
        place = self.catalog.doc_id_of(key)
        part = place[0] if place else None
        if place is not None:
            # One document parsed out of its part's file (checked whole: damage anywhere in it is said at once);
            # any doubt reads the part whole below.
            part, doc_id = place
            one = self.store.read_doc(part, PAPERS, doc_id) if doc_id else self.store.read_doc_by_key(part, key)
            if one is not None and one.get("key") == key:
                return one
        if part is not None:
            # The catalog may be a moment behind a writer (the paper moved to the changes part): look there too.
            found = _with_key(self.store.table(part, PAPERS), key) or _with_key(self.store.table(DELTA, PAPERS), key)
            if found is not None:
                return found
        raise UnknownPaperError(key)

    def get(self, key: str) -> Paper:
        return paper_from_doc(self.doc(key))

    def state_doc(self, key: str) -> Mapping[str, Any]:
        found = self._state_entry(key)
        return found[1] if found else {}

    def _state_entry(self, key: str) -> tuple[str, dict[str, Any]] | None:
        part = state_part(key, split_shards(self.store.part_names()))
        table = self.store.table(part, STATE)
        # Key -> doc id of the shard as loaded (a shard holds thousands of states at a million papers); a commit
        # of this shelf or a catch-up gives the part a new dict, and the index is made again.
        cached = self._state_ids.get(part)
        if cached is None or cached[0] is not table or len(cached[1]) != len(table):
            cached = (table, {doc["key"]: doc_id for doc_id, doc in table.items()})
            self._state_ids[part] = cached
        doc_id = cached[1].get(key)
        return (doc_id, table[doc_id]) if doc_id is not None else None

    def state(self, key: str) -> PaperState:
        return state_from_doc(key, self.state_doc(key))

    def supports(self, view: ListFilter, sort: SortKey, *, author: str | None = None) -> bool:
        """Whether `query` can answer this from the catalog alone (the rest needs the whole `Library`)."""
        return author is None and self.catalog.supports(view, sort)

    def query(
        self,
        *,
        view: ListFilter = ListFilter.ALL,
        tag: str | None = None,
        feed: str | None = None,
        search: str | None = None,
        sort: SortKey = SortKey.DATE,
        descending: bool | None = None,
        limit: int | None = None,
    ) -> list[PaperKey]:
        if search:
            self.catalog.catch_up_text(self.store, progress=self._progress)
        keys = self.catalog.query(
            view=view,
            tag=tag,
            feed=feed,
            search=search,
            sort=sort,
            descending=descending,
            limit=limit,
            today=today_cutoff(),
        )
        return cast(list[PaperKey], keys)

    def stats(self) -> LibraryStats:
        return LibraryStats(
            **self.catalog.counts(),
            data_dir=str(self.store.root),
            bytes_on_disk=self.store.bytes_on_disk(),
            generation=self.store.generation,
        )

    # ---- the user's state --------------------------------------------------------------------------------

    def set_starred(self, keys: Iterable[str], starred: bool) -> StateChange:
        return self._set_flag(keys, "starred", starred)

    def set_read(self, keys: Iterable[str], read: bool) -> StateChange:
        return self._set_flag(keys, "read", read)

    def set_later(self, keys: Iterable[str], later: bool) -> StateChange:
        return self._set_flag(keys, "later", later)

    def set_dismissed(self, keys: Iterable[str], dismissed: bool) -> StateChange:
        return self._set_flag(keys, "dismissed", dismissed)

    def _set_flag(self, keys: Iterable[str], name: str, value: bool) -> StateChange:
        keys = list(dict.fromkeys(keys))
        with self.store.locked():  # caught up with other writers first: the change is made over the disk's state
            self._require(keys)
            now = utc_now()
            flagged = (flag(self.state(k), name, value, now) for k in keys)
            return self._write_states([st for st in flagged if st is not None], now)

    def add_tags(self, keys: Iterable[str], tags: Iterable[str]) -> StateChange:
        return self._change(keys, functools.partial(tagged, tags=list(tags)))

    def remove_tags(self, keys: Iterable[str], tags: Iterable[str]) -> StateChange:
        return self._change(keys, functools.partial(untagged, tags=list(tags)))

    def set_note(self, key: str, note: str) -> StateChange:
        return self._change([key], functools.partial(noted, note=note))

    def _change(self, keys: Iterable[str], change: Callable[..., PaperState | None]) -> StateChange:
        """One state change (`papers.tagged`, `untagged`, `noted`: the library's own) to these papers, in one
        commit that rewrites their shards alone."""
        keys = list(dict.fromkeys(keys))
        with self.store.locked():
            self._require(keys)
            now = utc_now()
            changed = (change(self.state(k), now=now) for k in keys)
            return self._write_states([st for st in changed if st is not None], now)

    def _require(self, keys: Iterable[str]) -> None:
        """Under the lock: the catalog current, and every one of these papers in it."""
        self._follow()
        for key in keys:
            if self.catalog.part_of(key) is None:
                raise UnknownPaperError(key)

    def _write_states(self, states: list[PaperState], now: str) -> StateChange:
        if self.store.in_transaction:
            # The catalog follows a state change row by row after its commit: inside a caller's transaction it
            # would hold what a rollback takes back.
            raise RuntimeError("a state change through the shelf commits on its own, not inside a transaction")
        if not states:
            return StateChange(before=(), after=())
        self._backup_once()
        with self.store.transaction():
            states, before, parts = self._put_states(states, now)
            moved = split_full_shards(self.store, parts, STATE)
        self._catalog_at = self.store.generation
        if moved:  # a shard was split: the catalog reads the new parts (once in a shard's life)
            self._catalog.catch_up(self.store)
        else:
            # The catalog follows at once, row by row (the shard it rereads otherwise holds thousands of states).
            split = split_shards(self.store.part_names())
            with self.catalog.write():
                for st in states:
                    self.catalog.put_state(st.key, self.state_doc(st.key), part=state_part(st.key, split))
            self.catalog.mark(self.store, parts)
        return StateChange(before=before, after=tuple(self.state(s.key) for s in states))

    def _backup_once(self) -> None:
        """The day's backup, before this shelf's first change (an empty library has nothing to back up yet)."""
        if not self._backup_checked and self.store.parts():
            self._backup_checked = True
            self.store.backup_daily()

    def _put_states(
        self, states: list[PaperState], now: str
    ) -> tuple[list[PaperState], tuple[PaperState, ...], list[str]]:
        """Write whole states in the current transaction, put right first as `Library` puts them (the mute
        promises). Returns the states written, the states before, and the shards written."""
        from readinglist.core.rules import Action

        mute_rules = {r.id for r in self.rules() if r.enabled and r.action is Action.MUTE}
        states = consistent_states(states, mute_rules, now)
        before = tuple(self.state(s.key) for s in states)
        updates: dict[str, dict[str, dict[str, Any]]] = {}
        inserts: dict[str, list[dict[str, Any]]] = {}
        split = split_shards(self.store.part_names())
        for st in states:
            part = state_part(st.key, split)
            entry = self._state_entry(st.key)
            if entry is not None:
                updates.setdefault(part, {})[entry[0]] = state_to_doc(st)
            else:
                inserts.setdefault(part, []).append(state_to_doc(st))
        parts = sorted(updates.keys() | inserts.keys())
        for part in parts:
            self.store.put_docs(part, STATE, updates.get(part, {}), inserts.get(part, ()))
        return states, before, parts

    # ---- importing -------------------------------------------------------------------------------------------

    def find(self, inc: IncomingPaper) -> PaperKey | None:
        """The stored paper this sighting is another sighting of, by its identifiers (as `Library.find`)."""
        ids = aliases(arxiv_id=inc.arxiv_id, doi=inc.doi, url=inc.url, guid=inc.guid)
        owners = self.catalog.owners(ids)
        for a in ids:
            key = owners.get(a) or self._pending_owners.get(a)
            if key is not None:
                return PaperKey(key)
        return None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Several imports (and subscription changes) made durable together, or not at all: a refresh writes the
        feeds of half a second in one commit. The catalog learns them after the commit."""
        outermost = not self.store.in_transaction
        try:
            with self.store.transaction():
                if outermost:
                    self._follow()
                yield
        finally:
            if outermost:
                self._pending_docs.clear()
                self._pending_owners.clear()
        if outermost:
            self._papers_committed()

    batch = transaction

    def _papers_committed(self) -> None:
        """After a commit that added papers: the catalog reads the parts written (the paper changes, a segment, a
        few shards), and the paper changes fold back into their segments once there are too many."""
        # The papers are committed: what follows is upkeep, and its failure (another writer holding the lock
        # for long, a damaged segment the fold would rewrite) is the next command's to meet, not this import's.
        try:
            self._catalog.catch_up(self.store)
            self._catalog_at = self.store.generation
            self._caught_up = True
            if len(self.store.table(DELTA, PAPERS)) > layout.DELTA_LIMIT:
                self.fold_changes()
        except (ReadingListError, sqlite3.Error) as exc:
            import logging  # (only here: a command that lists loads no logging)

            logging.getLogger(__name__).warning(
                "after an import: %s (the catalog catches up, and the changes fold, at a later one)", exc
            )

    def add_papers(self, incoming: Iterable[IncomingPaper], *, source: str) -> ImportResult:
        """`Library.add_papers` with the library on disk: the same plan (`core.intake`), made from the catalog
        (which paper an identifier names) and the segments holding the papers matched, and written to the same
        parts (the paper changes, the newest segment, the shards the rules write), in one commit. Memory follows
        the batch, not the library."""
        from readinglist.core.intake import plan_intake

        incoming = list(incoming)
        with self.store.locked():  # (caught up with other writers: the plan is made over the disk's library)
            self._follow()
            now = utc_now()
            stored = _StoredPapers(self, incoming)
            plan = plan_intake(incoming, source, now, owner_of=stored.owner_of, stored=stored.doc)
            # Everything the writes need is read before the first one (the rules, the states they change, the
            # newest segment): a damaged part stops the import with nothing written, also inside a caller's
            # transaction, which goes on with its other feeds.
            acting = _acting(self.rules())
            states: list[PaperState] = []
            if acting and plan.new_keys:
                new = {doc["key"]: doc for doc in plan.new_docs}
                states = ruled_states(plan.new_keys, acting, now, state_of=self.state, doc_of=new.__getitem__)
            segments = sorted(p for p in self.store.parts() if p.startswith(PAPERS + "-"))
            if plan.new_docs and segments:
                self.store.table(segments[-1], PAPERS)
            self._backup_once()
            generation, committed = self.store.generation, not self.store.in_transaction
            shards: list[str] = []
            moved: dict[str, tuple[str, str]] = {}
            with self.store.transaction():
                changed = self._write_changes(plan.changes, stored.doc)
                placed = self._write_new(plan.new_docs, layout.SEGMENT_SIZE, segment_name)
                if states:
                    states, before, shards = self._put_states(states, now)
                    moved = split_full_shards(self.store, shards, STATE)
            ruled: StateChange | None = None
            if states:
                ruled = StateChange(before=before, after=tuple(self.state(s.key) for s in states))
            elif acting and plan.new_keys:
                ruled = StateChange(before=(), after=())
            if not committed:  # (a caller's transaction: the catalog learns these at its commit)
                self._pending_owners.update(plan.aliases)
                self._pending_docs.update((doc["key"], doc) for doc in plan.new_docs)
            elif self._catalog_at == generation and self.store.generation == generation + 1 and not moved:
                # This commit alone since the catalog was current: it learns the papers and states written, row
                # by row, instead of re-reading the parts that hold them (the newest segment's 4,000 papers and
                # the paper changes' 5,000, each summed again).
                self._catalog_learns(changed, placed, states, shards)
        if committed:
            self._papers_committed()  # (the lock let go first: a fold takes it a few segments at a time)
        return ImportResult(
            source=source,
            new=tuple(plan.new_keys),
            updated=tuple(plan.updated_keys),
            unchanged=plan.unchanged,
            skipped=plan.skipped,
            ruled=ruled,
        )

    def _catalog_learns(
        self,
        changed: Sequence[Mapping[str, Any]],
        placed: Sequence[tuple[Mapping[str, Any], str, str]],
        states: Sequence[PaperState],
        shards: Sequence[str],
    ) -> None:
        """The catalog takes an import's rows as written (see `Catalog.put_papers`), then marks the parts it
        wrote as read; what it cannot take so (another process's commit in between) `catch_up` reads after."""
        split = split_shards(self.store.part_names())
        segments = sorted({part for _, part, _ in placed})
        try:
            with self._catalog.write():
                self._catalog.put_papers(self.store, changed, placed)
                for st in states:
                    self._catalog.put_state(st.key, self.state_doc(st.key), part=state_part(st.key, split))
            self._catalog.mark(self.store, [*([DELTA] if changed else []), *segments, *shards])
            self._catalog_at = self.store.generation
        except sqlite3.Error:
            return  # (the catalog reads the parts instead, right after)

    def add_papers_in_batches(self, incoming: Iterable[IncomingPaper], *, source: str) -> ImportResult:
        """`add_papers` a batch of `IMPORT_BATCH` at a time, each its own commit (as `Library`'s)."""
        from readinglist.core.intake import combined_result

        papers = list(incoming)
        batch = layout.IMPORT_BATCH
        results = [self.add_papers(papers[i : i + batch], source=source) for i in range(0, len(papers), batch)]
        return combined_result(results, source) if results else self.add_papers([], source=source)

    def _follow(self) -> None:
        """Under the lock: the catalog brought up to the store, unless this shelf's last write left it current."""
        if self._catalog_at != self.store.generation or not self._caught_up:
            self._catalog.catch_up(self.store, progress=self._progress)
        self._caught_up = True
        self._catalog_at = self.store.generation

    def _write_changes(
        self, changes: Mapping[str, Mapping[str, Any]], stored: Callable[[str], Any]
    ) -> list[Mapping[str, Any]]:
        """Changed papers go whole into the paper changes, as `Library` writes them."""
        if not changes:
            return []
        delta = self.store.table(DELTA, PAPERS)
        ids = {doc["key"]: doc_id for doc_id, doc in delta.items()}
        updates: dict[str, dict[str, Any]] = {}
        fresh: list[dict[str, Any]] = []
        for key, fields in changes.items():
            doc = {**stored(key), **fields}
            if key in ids:
                updates[ids[key]] = doc
            else:
                fresh.append(doc)
        self.store.put_docs(DELTA, PAPERS, updates, fresh)
        return [*updates.values(), *fresh]

    def _write_new(
        self, docs: Sequence[Mapping[str, Any]], size: int, name_of: Callable[[int], str]
    ) -> list[tuple[Mapping[str, Any], str, str]]:
        """New papers at the end of the newest segment, then in new ones of `size` papers. Returns each one
        with its segment and document id there."""
        segments = sorted(p for p in self.store.parts() if p.startswith(PAPERS + "-"))
        remaining = list(docs)
        placed: list[tuple[Mapping[str, Any], str, str]] = []
        while remaining:
            room = size - len(self.store.table(segments[-1], PAPERS)) if segments else 0
            if room <= 0:
                segments.append(name_of(len(segments)))
                room = size
            batch, remaining = remaining[:room], remaining[room:]
            ids = self.store.put_docs(segments[-1], PAPERS, {}, batch)
            placed += zip(batch, [segments[-1]] * len(ids), ids, strict=True)
        return placed

    def fold_changes(self, *, segments_per_commit: int | None = None) -> None:
        """Write the paper changes back into their segments and empty them, as `Library.fold_changes` does, but a
        few segments per commit: each commit holds a few segments in memory, not every one the changes touch
        (a paper is in the changes or back in its segment at every commit). The lock is let go between commits."""
        per_commit = segments_per_commit or FOLD_SEGMENTS
        done: set[int] = set()  # segments folded (or found holding none of the papers the catalog placed there)
        while True:
            with self.store.transaction():
                self._follow()
                delta = self.store.table(DELTA, PAPERS)
                places = self.catalog.places(doc["key"] for doc in delta.values())
                by_segment: dict[int, dict[str, str]] = {}  # segment number -> {doc id there: delta doc id}
                for delta_id, doc in delta.items():
                    place = places.get(doc["key"])
                    if place is not None and place[0] not in done:
                        by_segment.setdefault(place[0], {})[place[1]] = delta_id
                chunk = sorted(by_segment)[:per_commit]
                if not chunk:
                    break
                done.update(chunk)
                folded: list[str] = []
                for number in chunk:
                    part = segment_name(number)
                    rows = self.store.table(part, PAPERS)
                    back = {}
                    for doc_id, delta_id in by_segment[number].items():
                        if rows.get(doc_id, {}).get("key") == delta[delta_id]["key"]:
                            back[doc_id] = dict(delta[delta_id])
                            folded.append(delta_id)
                    if back:  # (a catalog that placed these papers wrongly: they stay in the changes)
                        self.store.put_docs(part, PAPERS, back)
                if folded:
                    self.store.remove_docs(DELTA, PAPERS, folded)
            self.store.forget(segment_name(n) for n in chunk)
        self._catalog.catch_up(self.store)
        self._catalog_at = self.store.generation


class _StoredPapers:
    """What an import's plan asks of the library on disk: the paper an identifier names (the catalog, asked once
    for the identifiers of the whole batch) and a stored paper's document (from the paper changes, else out of
    its segment with `Store.read_docs`)."""

    def __init__(self, shelf: Shelf, incoming: Sequence[IncomingPaper]) -> None:
        from readinglist.core.identity import make_key
        from readinglist.core.papers import normalized

        self._shelf = shelf
        sightings = list(map(normalized, incoming))  # (as the plan reads them)
        wanted = [
            a for inc in sightings for a in aliases(arxiv_id=inc.arxiv_id, doi=inc.doi, url=inc.url, guid=inc.guid)
        ]
        # The keys the plan gives papers it does not find (by their identifiers, else by title), asked with the
        # identifiers: most of a day's feed is new papers, each one query less.
        keys = [make_key(arxiv_id=i.arxiv_id, doi=i.doi, url=i.url, guid=i.guid, title=i.title) for i in sightings]
        keys += [make_key(arxiv_id=None, doi=None, url=None, guid=i.guid, title=i.title) for i in sightings]
        found = shelf.catalog.owners([*wanted, *keys])
        self._owners: dict[str, str | None] = {a: found.get(a) for a in [*wanted, *keys]}
        self._docs: dict[str, Mapping[str, Any] | None] = {}
        self._delta = {doc["key"]: doc for doc in shelf.store.table(DELTA, PAPERS).values()}
        self._prefetch({*(k for k in self._owners.values() if k is not None), *keys})

    def owner_of(self, alias: str) -> str | None:
        if alias not in self._owners:
            self._owners[alias] = self._shelf.catalog.owners([alias]).get(alias)
        return self._owners[alias] or self._shelf._pending_owners.get(alias)

    def doc(self, key: str) -> Mapping[str, Any] | None:
        if key not in self._docs:
            self._prefetch({key})
        return self._docs.get(key)

    def _prefetch(self, keys: set[str]) -> None:
        keys = {k for k in keys if k not in self._docs}
        if not keys:
            return
        places = self._shelf.catalog.places(keys)
        by_segment: dict[int, list[str]] = {}
        pending = self._shelf._pending_docs
        for key in keys:
            if key in self._delta:  # (in memory: with the changes of the transaction under way)
                self._docs[key] = self._delta[key]
            elif key in pending:
                self._docs[key] = pending[key]
            elif key in places:
                by_segment.setdefault(places[key][0], []).append(key)
            else:
                self._docs[key] = None
        store = self._shelf.store
        by_part = {segment_name(n): found for n, found in by_segment.items()}
        # Each paper held to the checksum the catalog keeps of it (made from a checked file): a few pages of each
        # segment read, not the whole 8 MB file and its checksum.
        sums = self._shelf.catalog.sums(k for found in by_part.values() for k in found)
        read = store.read_docs(
            PAPERS,
            {part: [places[k][1] for k in found] for part, found in by_part.items()},
            sums={part: {places[k][1]: sums[k] for k in found if k in sums} for part, found in by_part.items()},
        )
        for part, found in by_part.items():
            for key in found:
                doc = read.get(part, {}).get(places[key][1])
                # Else found in its segment (the catalog a moment behind a writer).
                ok = doc is not None and doc.get("key") == key
                self._docs[key] = doc if ok else _with_key(store.read_table(part, PAPERS), key)


def _acting(rules: Sequence[Rule]) -> list[CompiledRule]:
    """The rules an import applies to its new papers (those that write a state), compiled."""
    rules = [r for r in rules if r.enabled and r.action.writes_state]
    if not rules:
        return []
    from readinglist.core.rules import compiled

    return [compiled(r) for r in rules]


def _with_key(rows: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """The document of this paper among a table's documents, by a walk of them."""
    return next((cast(Mapping[str, Any], d) for d in rows.values() if d["key"] == key), None)
