"""The library for a command that lists, shows or marks a few papers: the cost follows the papers it touches.

`Library` reads every paper and state into memory (the window needs them all, and rules, ranking and merges
walk them). A command such as `list --limit 20`, `show KEY` or `star KEY` needs twenty rows, one paper or one
state: `Shelf` opens the store lazily (the manifest, then only the parts asked for) and answers lists, counts,
searches and names from the catalog (`core.catalog`), which it first brings up to the library by the parts that
changed. A paper is read from its segment when shown; a state change reads and rewrites one shard, with the
same rules as `Library` (`library.flag`, the mute promises), under the same lock and in the same commit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from readinglist.core.catalog import DELTA, PAPERS, STATE, Catalog
from readinglist.core.datadir import DataFolder
from readinglist.core.models import LibraryStats, ListFilter, Paper, PaperKey, PaperState, SortKey, StateChange, utc_now
from readinglist.core.papers import (
    UnknownPaperError,
    consistent_states,
    flag,
    paper_from_doc,
    split_full_shards,
    split_shards,
    state_from_doc,
    state_part,
    state_to_doc,
    today_cutoff,
)
from readinglist.core.storage import Store

if TYPE_CHECKING:
    from readinglist.core.feeds import FeedRegistry
    from readinglist.core.rules import Rule
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

    def rules(self) -> list[Rule]:
        from readinglist.core.rules import PART, rules_from_part  # (a list or a show of an unmuted paper needs none)

        return rules_from_part(self.store.loaded_part(PART))

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
        if place is not None and place[1]:
            doc = self.store.read_doc(place[0], PAPERS, place[1])
            if doc is not None and doc.get("key") == key:
                return doc
        if part is not None:
            for doc in self.store.table(part, PAPERS).values():
                if doc["key"] == key:
                    return cast(Mapping[str, Any], doc)
            # The catalog may be a moment behind a writer (the paper moved to the changes part): look there too.
            for doc in self.store.table(DELTA, PAPERS).values():
                if doc["key"] == key:
                    return cast(Mapping[str, Any], doc)
        raise UnknownPaperError(key)

    def get(self, key: str) -> Paper:
        return paper_from_doc(self.doc(key))

    def state_doc(self, key: str) -> Mapping[str, Any]:
        found = self._state_entry(key)
        return found[1] if found else {}

    def _state_entry(self, key: str) -> tuple[str, dict[str, Any]] | None:
        part = state_part(key, split_shards(self.store.parts()))
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
            if self._catalog_at != self.store.generation:  # (else current since this shelf's last write)
                self._catalog.catch_up(self.store, progress=self._progress)
            self._caught_up = True
            for key in keys:
                if self.catalog.part_of(key) is None:
                    raise UnknownPaperError(key)
            now = utc_now()
            flagged = (flag(self.state(k), name, value, now) for k in keys)
            return self._write_states([st for st in flagged if st is not None], now)

    def _write_states(self, states: list[PaperState], now: str) -> StateChange:
        if not states:
            return StateChange(before=(), after=())
        if not self._backup_checked:
            self._backup_checked = True
            self.store.backup_daily()
        from readinglist.core.rules import Action

        mute_rules = {r.id for r in self.rules() if r.enabled and r.action is Action.MUTE}
        states = consistent_states(states, mute_rules, now)
        before = tuple(self.state(s.key) for s in states)
        updates: dict[str, dict[str, dict[str, Any]]] = {}
        inserts: dict[str, list[dict[str, Any]]] = {}
        split = split_shards(self.store.parts())
        for st in states:
            part = state_part(st.key, split)
            entry = self._state_entry(st.key)
            if entry is not None:
                updates.setdefault(part, {})[entry[0]] = state_to_doc(st)
            else:
                inserts.setdefault(part, []).append(state_to_doc(st))
        parts = sorted(updates.keys() | inserts.keys())
        with self.store.transaction():
            for part in parts:
                self.store.put_docs(part, STATE, updates.get(part, {}), inserts.get(part, ()))
            moved = split_full_shards(self.store, parts, STATE)
        self._catalog_at = self.store.generation
        if moved:  # a shard was split: the catalog reads the new parts (once in a shard's life)
            self._catalog.catch_up(self.store)
        else:
            # The catalog follows at once, row by row (the shard it rereads otherwise holds thousands of states).
            with self.catalog.write():
                for st in states:
                    self.catalog.put_state(st.key, self.state_doc(st.key), part=state_part(st.key, split))
            self.catalog.mark(self.store, parts)
        return StateChange(before=before, after=tuple(self.state(s.key) for s in states))
