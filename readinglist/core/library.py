"""The library: papers and the user's state on them, one record per paper, queries, and durable changes.

Content and state are kept in different files. Papers live in segments of at most SEGMENT_SIZE documents (new
papers go to the newest segment, and a changed paper is written whole to one delta part, so an import rewrites two
small files, not the library, however scattered the papers it touches); the user's state lives in
STATE_SHARDS shards chosen by a hash of the key (a star rewrites one shard of a few dozen KB). In memory, dicts
keyed by paper key and by alias give O(1) lookups; TinyDB's documents are the in-memory copies themselves.

Its size (about 680 lines): the in-memory indexes, queries and durable mutations of one object that must change
together (every mutation keeps the alias, date and state indexes in step with the store); the documents it stores
are built and merged in papers.py, the files in storage.py, search in catalog.py (the derived index it shares
with the command line's shelf.py).
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, TypeVar, cast, overload

from readinglist.core import papers as layout  # (its sizes read at each use: tests make them small)
from readinglist.core.catalog import Catalog
from readinglist.core.datadir import DataFolder
from readinglist.core.identity import aliases, key_candidates
from readinglist.core.intake import combined_result, plan_intake
from readinglist.core.models import (
    ImportResult,
    IncomingPaper,
    LibraryStats,
    ListFilter,
    Paper,
    PaperKey,
    PaperMerge,
    PaperState,
    SortKey,
    StateChange,
    is_muted,
    paper_date,
    utc_now,
)
from readinglist.core.papers import (
    DELTA,
    PAPERS,
    STATE,
    UnknownPaperError,
    consistent_states,
    flag,
    join_states,
    merge_copy,
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
    with_reading,
)
from readinglist.core.rules import PART as RULES_PART
from readinglist.core.rules import TABLE as RULES_TABLE
from readinglist.core.rules import (
    Action,
    CompiledRule,
    Rule,
    Verdict,
    check_rule,
    compiled,
    indexed_phrases,
    rules_from_part,
    verdict_for,
)
from readinglist.core.search import as_shown, query_words
from readinglist.core.storage import BackupInfo, Store, gc_paused
from readinglist.core.taste import community_signal, trending_score

if TYPE_CHECKING:
    from readinglist.core.duplicates import SamePaper
    from readinglist.core.feeds import FeedRegistry
    from readinglist.core.taste import Taste
from readinglist.core.text import (
    RENDER_VERSION,
    fold,
    shown,
    shown_title,
)

Doc = dict[str, Any]


_T = TypeVar("_T")
_P = ParamSpec("_P")


def writes(method: Callable[Concatenate[Library, _P], _T]) -> Callable[Concatenate[Library, _P], _T]:
    """A change to the library: made holding the writer lock, taken before the change reads anything, with memory
    first brought up to what other processes committed. The change is thus computed from the library as it is
    on disk and never overwrites another process's; its own transaction commits inside, and what follows the
    commit (the search index) too."""

    @functools.wraps(method)
    def locked(self: Library, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        with self.store.locked():
            return method(self, *args, **kwargs)

    return locked


class Library:
    """One user's library. Not thread-safe by design: the window calls it from its one database thread."""

    def __init__(self, store: Store, *, catalog: Catalog | None = None, ranking_dir: Path | None = None) -> None:
        self.store = store
        self._search = catalog
        # Seconds of catalog catch-up a search may spend (the window, which must not wait for a first build of
        # the full-text index); None: all of it (a command), and `not_searchable` papers were left out.
        self.text_budget: float | None = None
        # Seconds the catalog may spend catching up for `query` to answer a view from it (the window: a view of
        # 1,000,000 papers in milliseconds, not a walk of every paper); None: `query` walks the papers (commands,
        # and the tests that hold the catalog's answers to the walk's).
        self.views_budget: float | None = None
        self._rows_current_at = -1  # the store generation the catalog's rows were last found current at
        self._muted: tuple[int, list[PaperKey]] = (-1, [])  # muted_keys at a store generation
        self.not_searchable = 0
        self._search_current_at = -1  # the store generation the catalog was last found current at
        self._ranking_dir = ranking_dir
        self._docs: dict[str, Doc] = {}
        self._where: dict[str, tuple[str, str]] = {}
        self._delta_ids: dict[str, int] = {}
        self._date: dict[str, str] = {}
        self._newest_all: list[str] | None = None  # every key newest first, until a paper is added or changed
        self._alias: dict[str, str] = {}
        self._states: dict[str, Doc] = {}
        self._state_where: dict[str, tuple[str, str]] = {}
        self._segments: list[str] = []
        self._backup_checked = False
        self._rules_cache: tuple[str | None, tuple[Rule, ...]] | None = None
        self._shown_by_rules: dict[Action, tuple[tuple[Any, ...], frozenset[str]]] = {}
        self._same_cache: tuple[tuple[str, ...], dict[str, SamePaper]] | None = None
        self._not_ascii_cache: tuple[tuple[str, ...], frozenset[str]] | None = None
        self._signature: tuple[int, tuple[str, ...]] | None = None
        store.on_reload = self._build_indexes
        store.on_parts_changed = self._parts_changed
        # Papers whose state (only) other processes changed since `catch_up` last reported; None: more changed.
        self._states_changed_elsewhere: set[str] | None = set()
        self._build_indexes()

    @classmethod
    def open(
        cls, data_dir: Path, *, writer: bool = True, lock_timeout: float = 5.0, owner: str = "readinglist"
    ) -> Library:
        """`owner`: what another process is told is writing when it finds the library busy."""
        store = Store(Path(data_dir), writer=writer, lock_timeout=lock_timeout, owner=owner)
        store.open()
        folder = DataFolder(Path(data_dir))
        return cls(store, catalog=Catalog(folder.catalog), ranking_dir=folder.ranking)

    def close(self) -> None:
        if self._search is not None:
            self._search.close()
        self.store.close()

    def __enter__(self) -> Library:
        return self

    # ---- what the library owns besides papers --------------------------------------------------------------

    @functools.cached_property
    def taste(self) -> Taste:
        """Ranking by the user's own evidence ("For you", why, more like this): `core.taste`."""
        from readinglist.core.taste import Taste

        return Taste(self, self._ranking_dir)

    @functools.cached_property
    def feeds(self) -> FeedRegistry:
        """The library's subscriptions (its "feeds" part), built once: callers never build one from the store."""
        from readinglist.core.feeds import FeedRegistry

        return FeedRegistry(self.store)

    def feed_names(self) -> dict[str, str]:
        """Subscription id -> name: papers record their feeds by id."""
        return self.feeds.feed_names()

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Several changes (papers, state, subscriptions) made durable together, or not at all."""
        return self.store.transaction()

    @property
    def generation(self) -> int:
        """The committed generation this library shows; it grows with every commit."""
        return self.store.generation

    def backup(self, *, reason: str) -> BackupInfo | None:
        return self.store.backup(reason=reason)

    def is_empty(self) -> bool:
        """No papers, and nothing else worth keeping (subscriptions); user state alone is not kept."""
        return len(self._docs) == 0 and not any(not p.startswith("state-") for p in self.store.parts())

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- loading -------------------------------------------------------------------------------------------

    def _build_indexes(self) -> None:
        self._signature = None  # a reload, a restore, a recovery: the files may have changed at any generation
        docs: dict[str, Doc] = {}
        where: dict[str, tuple[str, str]] = {}
        alias: dict[str, str] = {}
        states: dict[str, Doc] = {}
        state_where: dict[str, tuple[str, str]] = {}
        segments: list[str] = []
        for part in sorted(self.store.parts()):
            if part.startswith("papers-"):
                segments.append(part)
                for doc_id, doc in self.store.table(part, PAPERS).items():
                    key = doc["key"]
                    docs[key] = doc
                    where[key] = (part, doc_id)
                    for a in doc.get("ids", ()):
                        alias.setdefault(a, key)
            elif part.startswith("state-"):
                for doc_id, doc in self.store.table(part, STATE).items():
                    states[doc["key"]] = doc
                    state_where[doc["key"]] = (part, doc_id)
        delta_ids: dict[str, int] = {}
        for doc_id, doc in self.store.table(DELTA, PAPERS).items():
            key = doc["key"]
            docs[key] = doc  # newer than the segment's copy
            delta_ids[key] = int(doc_id)
            for a in doc.get("ids", ()):
                alias.setdefault(a, key)
        for key in docs:
            alias[key] = key
        self._docs, self._where, self._alias, self._delta_ids = docs, where, alias, delta_ids
        self._date = {key: paper_date(doc) for key, doc in docs.items()}
        self._newest_all = None
        self._states, self._state_where, self._segments = states, state_where, segments

    def _parts_changed(self, parts: set[str]) -> None:
        """Another process committed: the store re-read these parts. The user's state (a star, a note from the
        command line) is patched in place; papers (an import, a refresh) rebuild the indexes."""
        if not all(p.startswith("state-") for p in parts):
            self._build_indexes()
            self._states_changed_elsewhere = None  # papers changed too: every view must be read again
            return
        touched = [k for k, (part, _) in self._state_where.items() if part in parts]
        for key in touched:
            del self._state_where[key]
            self._states.pop(key, None)
        for part in parts:
            for doc_id, doc in self.store.table(part, STATE).items():
                self._states[doc["key"]] = doc
                self._state_where[doc["key"]] = (part, doc_id)
                touched.append(doc["key"])
        if self._states_changed_elsewhere is not None:
            self._states_changed_elsewhere.update(touched)

    def catch_up(self) -> set[str]:
        """What other processes committed since this library's owner last asked: read now (changed parts only).
        Returns the parts that changed, including those a write of this process caught up with meanwhile; empty
        when nothing did (one read of the manifest). `states_changed_elsewhere()` then says which papers."""
        return self.store.take_changes()

    def states_changed_elsewhere(self) -> set[str] | None:
        """The papers whose state alone other processes changed since the last call, or None when papers or
        subscriptions changed too (then everything shown should be read again)."""
        changed, self._states_changed_elsewhere = self._states_changed_elsewhere, set()
        return changed

    # ---- reading ---------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, key: object) -> bool:
        return key in self._docs

    def keys(self) -> list[PaperKey]:
        return [PaperKey(k) for k in self._docs]

    def resolve(self, text: str) -> PaperKey:
        """The key of the paper the user named: a key, an arXiv id (any version) or a DOI."""
        for candidate in key_candidates(text):
            key = self._alias.get(candidate)
            if key is not None:
                return PaperKey(key)
        raise UnknownPaperError(text)

    def find(self, inc: IncomingPaper) -> PaperKey | None:
        for a in aliases(arxiv_id=inc.arxiv_id, doi=inc.doi, url=inc.url, guid=inc.guid):
            key = self._alias.get(a)
            if key is not None:
                return PaperKey(key)
        return None

    def get(self, key: str) -> Paper:
        doc = self._docs.get(key)
        if doc is None:
            raise UnknownPaperError(key)
        return paper_from_doc(doc)

    def doc(self, key: str) -> Mapping[str, Any]:
        """The raw stored document, read-only: for hot paths (list rows, sorting) that cannot build dataclasses."""
        return self._docs[key]

    def state(self, key: str) -> PaperState:
        return state_from_doc(key, self._states.get(key))

    def state_docs(self) -> Mapping[str, Mapping[str, Any]]:
        """Every paper's state document, by key (read-only)."""
        return MappingProxyType(self._states)

    def paper_docs_by_key(self) -> Mapping[str, Mapping[str, Any]]:
        """Every paper's document, by key (read-only)."""
        return MappingProxyType(self._docs)

    def papers_signature(self) -> tuple[str, ...]:
        """Changes exactly when papers were added or changed (by this process or another): the files that hold
        them. A star, a note, a subscription's status leave it as it was."""
        # Files change only at a commit (or a catch-up, a restore), each of which moves the generation: one pass
        # per generation, so that asking per paper (a view of followed authors) costs a lookup.
        generation = self.store.generation
        if self._signature is None or self._signature[0] != generation:
            files = self.store.files()
            names = tuple(sorted(f for p, f in files.items() if p.startswith("papers-") or p == DELTA))
            self._signature = (generation, names)
        return self._signature[1]

    def state_doc(self, key: str) -> Mapping[str, Any]:
        return self._states.get(key) or {}

    def tags(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for doc in self._states.values():
            counts.update(doc.get("tags", ()))
        return counts

    def feed_counts(self, *, unread_only: bool = False) -> Counter[str]:
        counts: Counter[str] = Counter()
        states = self._states
        for key, doc in self._docs.items():
            if unread_only and states.get(key, {}).get("read"):
                continue
            counts.update(doc.get("feeds", ()))
        return counts

    def matches(self, view: ListFilter, key: str, *, today: str = "") -> bool:
        return self._in_view(view, key, self._states.get(key), today)

    def hidden_by_rules(self, view: ListFilter, key: str, *, today: str = "") -> bool:
        """Whether the paper would be in `view` but for a mute rule (what "show muted papers" brings back)."""
        st = self._states.get(key)
        if not is_muted(st) or view in (ListFilter.MUTED, ListFilter.ALL) or st is None:
            return False
        unmuted = dict(st)
        unmuted.pop("muted_by")
        if st.get("read") and st.get("read_at") == st.get("muted_at"):
            unmuted.pop("read")
        return self._in_view(view, key, unmuted, today)

    def _in_view(self, view: ListFilter, key: str, st: Mapping[str, Any] | None, today: str) -> bool:
        if view is ListFilter.ALL:
            return True
        if view is ListFilter.UNREAD:
            return not (st and st.get("read"))
        if view is ListFilter.READ:
            return bool(st and st.get("read"))
        if view is ListFilter.STARRED:
            return bool(st and st.get("starred"))
        if view is ListFilter.NOTED:
            return bool(st and st.get("note"))
        if view is ListFilter.MUTED:
            return is_muted(st)
        if view is ListFilter.LATER:
            return bool(st and st.get("later"))
        if view is ListFilter.FOR_YOU:
            return not (st and (st.get("read") or st.get("dismissed") or st.get("starred")))
        # Views that show read papers too: a muted paper leaves them.
        if is_muted(st):
            return False
        doc = self._docs[key]
        if view is ListFilter.UPDATED:
            upd = doc.get("content_updated")
            return bool(upd) and not (st and st.get("read") and st.get("read_at", "") > upd)
        if view is ListFilter.TODAY:
            return bool(doc.get("first_seen", "") >= today)
        if view is ListFilter.TRENDING:
            return not (st and st.get("dismissed")) and community_signal(doc) > 0
        if view is ListFilter.FOLLOWING:
            return key in self.shown_by_rules(Action.FOLLOW)
        raise ValueError(view)

    def keep_search_keys(self) -> None:
        """For a process that searches at every keystroke (the window): the catalog keeps every paper's key by
        its id, so a search reads its matches' ids alone (`Catalog.keep_keys`; 12 MB at 100,000 papers)."""
        if self._search is not None:
            self._search.keep_keys = True

    def prepare_search_keys(self, *, budget: float) -> bool:
        """The catalog's keys by id (`keep_search_keys`) made ahead of the first search, about `budget` seconds
        per call; True when done (at once for a process that does not keep them)."""
        return self._search is None or self._search.prepare_keys(budget)

    def search(self, text: str) -> set[str] | None:
        """Keys of papers whose title, authors, abstract or note contain every word of `text` (word prefixes).

        With `text_budget` set (the window), the catalog catches up for about that long per search and the
        rest later (`sync_search_index` in slices): until it is done the hits are those of the papers it holds,
        and `not_searchable` says how many it does not."""
        text = as_shown(text)  # "Beno\\^it" finds what is shown as Benoît
        if self._search is None or self.store._depth:
            return self._scan(text)
        try:
            # The catalog reads the parts whose files changed since it last did (this process's commits, or
            # another's): after an import, one or two files, not the library.
            ready = self.sync_search_index(budget=self.text_budget)
            hits = self._search.search(text)
            if hits is not None and not ready:
                hits = {k for k in hits if k in self._docs}
            return hits
        except sqlite3.Error:
            # The index is a cache: if SQLite cannot serve it (locked too long, damaged), search the slow way.
            return self._scan(text)

    def newest_matches(
        self, text: str, *, view: ListFilter = ListFilter.ALL, limit: int, fewest: int = 0
    ) -> list[tuple[PaperKey, str]] | None:
        """The head of `search(text)` among the papers of `view`: the `limit` newest matches, newest first, each
        with its date, and the other matches of the last one's date (every match in the view dated on or after
        the last of them is among them). Milliseconds at
        1,000,000 papers, where the whole result of a common word takes a quarter of a second. None when the
        catalog cannot say so quickly (not current, the view's matches too sparse to walk, fewer than `limit`
        of them) or it reckons fewer than `fewest` match (the whole result is quick then): ask `search`."""
        catalog = self._search
        if catalog is None or self.store._depth:
            return None
        try:
            if not self.sync_search_index(budget=self.text_budget):
                return None
            if not catalog.supports(view, SortKey.DATE):
                view = ListFilter.ALL  # (the caller keeps those of its view: this is a superset's head)
            found = catalog.newest_matching(as_shown(text), view=view, limit=limit, today=today_cutoff())
        except sqlite3.Error:
            return None
        if found is None or len(found[0]) < limit or found[1] < fewest or found[0][-1] not in self._date:
            return None
        date = self._date
        return [(cast(PaperKey, k), date[k]) for k in found[0] if k in date]

    def _scan(self, text: str) -> set[str] | None:
        words = [fold(w) for w in query_words(text)]
        if not words:
            return None
        out = set()
        for key, doc in self._docs.items():
            hay = fold(" ".join(self._search_row(key, doc)[1:]))
            if all(w in hay for w in words):
                out.add(key)
        return out

    def _search_row(self, key: str, doc: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
        # What the reader sees is what is searched: "Benoit" finds Beno\^it Sagot (the index folds accents).
        title, authors, abstract = shown(doc)
        return (key, title, "; ".join(authors), abstract, self._states.get(key, {}).get("note", ""))

    def sync_search_index(self, *, budget: float | None = None) -> bool:
        """Bring the catalog, then its full-text index, up to the library (the parts that changed); with
        `budget`, about that many seconds of it at most. True when both are current."""
        if self._search is None or self._search_current_at == self.store.generation:
            return True  # (every keystroke's search asks: once current, nothing to compare until a commit)
        started = time.perf_counter()
        if not self._search.catch_up(self.store, budget=budget):
            self.not_searchable = len(self._docs) - len(self._search) + self._search.text_behind()
            return False
        left = None if budget is None else max(0.0, budget - (time.perf_counter() - started))
        done = self._search.catch_up_text(self.store, budget=left)
        self.not_searchable = 0 if done else self._search.text_behind()
        if done:
            self._search_current_at = self.store.generation
        return done

    @property
    def catalog(self) -> Catalog | None:
        return self._search

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
        keys: Iterable[str] | None = None,
        author: str | None = None,
        muted: bool = False,
    ) -> list[PaperKey]:
        """Keys of the papers in a view, filtered and sorted; newest first by default for dates. `author`: papers
        by that person (core.people: "B. Sagot" is Benoît Sagot); `muted`: instead of the view's papers, those a
        mute rule keeps out of it."""
        if keys is None and author is None and not muted and not search:
            from_catalog = self._query_catalog(view, tag, feed, sort, descending, limit)
            if from_catalog is not None:
                return from_catalog
            if (
                view is ListFilter.ALL
                and tag is None
                and feed is None
                and sort is SortKey.DATE
                and descending is not False
            ):
                return self._every_paper_newest_first(limit)
        candidates: Iterable[str] = self._docs.keys() if keys is None else keys
        if author is not None:
            candidates = self.by_author(author, keys=candidates)
        if search:
            hits = self.search(search)
            if hits is not None:
                docs_ = self._docs
                # Walk the (usually few) hits, not the whole library.
                candidates = [k for k in hits if k in docs_] if keys is None else [k for k in candidates if k in hits]
        today = today_cutoff()
        if view is ListFilter.FOLLOWING:
            # The followed authors' papers, worked out once for the query: only those are tested further.
            followed = self.shown_by_rules(Action.FOLLOW)
            candidates = [k for k in candidates if k in followed]
        in_view = self.hidden_by_rules if muted else self.matches
        out = [
            k
            for k in candidates
            if ((view is ListFilter.ALL and not muted) or in_view(view, k, today=today))
            and (tag is None or tag in self._states.get(k, {}).get("tags", ()))
            and (feed is None or feed in self._docs[k].get("feeds", ()))
        ]
        docs = self._docs
        if sort is SortKey.RELEVANCE:
            ranked = self.taste.rank(sorted(out), limit=limit, why=0)
            if ranked is not None:
                order = [r.key for r in ranked]
                return cast(list[PaperKey], order[::-1] if descending is False else order)
            sort = SortKey.DATE  # too little evidence: newest first, and the caller says why
        if sort is SortKey.TRENDING:
            now = datetime.now(UTC)
            scores = {k: self.trending(k, now=now) for k in out}
            out.sort(key=lambda k: (scores[k], self._date[k]), reverse=descending is not False)
            return cast(list[PaperKey], out[:limit] if limit is not None else out)
        if view is ListFilter.LATER and sort is SortKey.DATE and not search:
            # The queue in the order papers were queued, the first queued first.
            states = self._states
            out.sort(key=lambda k: states.get(k, {}).get("later_at") or "", reverse=descending is True)
            return cast(list[PaperKey], out[:limit] if limit is not None else out)
        if sort is SortKey.TITLE:
            out.sort(key=lambda k: shown_title(docs[k]).casefold(), reverse=bool(descending))
        elif sort is SortKey.SOURCE:
            out.sort(key=lambda k: (docs[k].get("feeds") or [""])[0].casefold(), reverse=bool(descending))
        else:
            if search:
                out.sort()  # hits come from a set: make ties between equal dates stable
            out.sort(key=self._date.__getitem__, reverse=descending is not False)
        if limit is not None:
            out = out[:limit]
        return cast(list[PaperKey], out)

    def _every_paper_newest_first(self, limit: int | None) -> list[PaperKey]:
        """The All view's order, sorted once until a paper is added or changed (a star leaves it as it was): the
        sort of 1,000,000 dates takes 300 ms in one call that no other thread can interrupt, a stall of the window
        at every switch to All. A copy is returned, since callers sort what they get."""
        if self._newest_all is None:
            self._newest_all = sorted(self._docs, key=self._date.__getitem__, reverse=True)
        newest = self._newest_all
        return cast(list[PaperKey], newest[:limit] if limit is not None else newest.copy())

    def _query_catalog(
        self,
        view: ListFilter,
        tag: str | None,
        feed: str | None,
        sort: SortKey,
        descending: bool | None,
        limit: int | None,
    ) -> list[PaperKey] | None:
        """`query` from the catalog, when `views_budget` is set, the catalog answers the view alone and it is
        brought up to this library's commits within the budget; None: walk the papers."""
        catalog = self._search
        if catalog is None or self.views_budget is None or self.store._depth or not catalog.supports(view, sort):
            return None  # (inside a transaction the papers in memory are ahead of any commit)
        if view is ListFilter.ALL and tag is None and feed is None:
            return None  # every paper: sorting the dates in memory beats reading a million keys from SQLite
        try:
            if self._rows_current_at != self.store.generation:
                if not catalog.catch_up(self.store, budget=self.views_budget):
                    return None
                self._rows_current_at = self.store.generation
            found = catalog.query(
                view=view, tag=tag, feed=feed, sort=sort, descending=descending, limit=limit, today=today_cutoff()
            )
        except sqlite3.Error:
            return None  # a cache: if SQLite cannot serve it, the walk can
        # Another process may have brought the catalog past this library's generation (it never rolls back): a
        # paper this library does not hold yet is left out until it catches up, as its walk would.
        docs = self._docs
        return cast(list[PaperKey], [k for k in found if k in docs])

    def trending(self, key: str, *, now: datetime | None = None) -> float:
        """The paper's community signal, fading with age (`core.taste.trending_score`)."""
        now = now or datetime.now(UTC)
        date = self._date.get(key, "")
        try:
            when = datetime.fromisoformat(date) if date else now
        except ValueError:
            when = now
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return trending_score(self._docs[key], (now.date() - when.astimezone(UTC).date()).days)

    def stats(self) -> LibraryStats:
        states = self._states.values()
        updated = sum(1 for k in self._docs if self.matches(ListFilter.UPDATED, k))
        return LibraryStats(
            papers=len(self._docs),
            unread=len(self._docs) - sum(1 for k, s in self._states.items() if s.get("read") and k in self._docs),
            read=sum(1 for s in states if s.get("read")),
            starred=sum(1 for s in states if s.get("starred")),
            noted=sum(1 for s in states if s.get("note")),
            tagged=sum(1 for s in states if s.get("tags")),
            updated=updated,
            tags=dict(self.tags()),
            feeds=dict(self.feed_counts()),
            data_dir=str(self.store.root),
            bytes_on_disk=self.store.bytes_on_disk(),
            generation=self.store.generation,
        )

    # ---- importing -----------------------------------------------------------------------------------------

    def _before_change(self) -> None:
        # An empty library has nothing to back up: check again at the next change, so that a library created
        # today (the first import) is backed up before the changes that follow, not only tomorrow.
        if not self._backup_checked and self.store.parts():
            self._backup_checked = True
            self.store.backup_daily()

    @writes
    def add_papers(self, incoming: Iterable[IncomingPaper], *, source: str) -> ImportResult:
        """Add or merge papers from one source, durably and all at once. The user's state is never touched."""
        self._before_change()
        now = utc_now()
        plan = plan_intake(incoming, source, now, owner_of=self._alias.get, stored=self._docs.get)
        self._alias.update(plan.aliases)
        changes, new_docs, new_keys = plan.changes, plan.new_docs, plan.new_keys
        ruled: StateChange | None = None
        try:
            with self.store.transaction():
                self._write_changes(changes)
                self._write_new(new_docs)
                acting = self._enabled_rules(writing=True)
                if acting and new_keys:
                    # The user's rules act on what came in, in the same commit: a muted paper is never seen unmuted.
                    ruled = self._store_states(self._ruled(new_keys, acting, now))
        except BaseException:
            self._build_indexes()  # the store went back to what is on disk; so do the indexes
            raise
        if len(self._delta_ids) > layout.DELTA_LIMIT:
            self.fold_changes()
        return ImportResult(
            source=source,
            new=tuple(new_keys),
            updated=tuple(plan.updated_keys),
            unchanged=plan.unchanged,
            skipped=plan.skipped,
            ruled=ruled,
        )

    def add_papers_in_batches(
        self, incoming: Iterable[IncomingPaper], *, source: str, batch: int = layout.IMPORT_BATCH
    ) -> ImportResult:
        """`add_papers` for a large file: committed IMPORT_BATCH papers at a time, so that another process's star
        waits for one batch (well under a second), never for the whole import. Each batch is all-or-nothing; an
        interrupted import is completed by importing the file again (papers merge, state is never touched)."""
        papers = list(incoming)
        results = [self.add_papers(papers[i : i + batch], source=source) for i in range(0, len(papers), batch)]
        return combined_result(results, source) if results else self.add_papers([], source=source)

    def _write_changes(self, changes: Mapping[str, Doc]) -> None:
        """Changed papers go whole into the delta part: one small file, wherever their segments are."""
        if not changes:
            return
        table = self.store.db(DELTA).table(PAPERS)
        in_delta = [self._delta_ids[k] for k in changes if k in self._delta_ids]
        if in_delta:
            table.update(lambda doc: doc.update(changes[doc["key"]]), doc_ids=in_delta)
        fresh = [{**self._docs[k], **fields} for k, fields in changes.items() if k not in self._delta_ids]
        ids = table.insert_multiple(fresh) if fresh else []
        raw = self.store.table(DELTA, PAPERS)
        for doc_id in ids:
            self._delta_ids[raw[str(doc_id)]["key"]] = doc_id
        for key in changes:
            doc = raw[str(self._delta_ids[key])]
            self._docs[key] = doc
            self._date[key] = paper_date(doc)
        self._newest_all = None

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group several changes (imports of many feeds, a restore) into one durable, all-or-nothing commit."""
        with self.store.transaction():
            yield

    @writes
    def fold_changes(self) -> None:
        """Write the delta's papers back into their segments and empty it (one transaction)."""
        if not self._delta_ids:
            return
        delta = self.store.table(DELTA, PAPERS)
        by_part: dict[str, list[int]] = {}
        current: dict[str, Doc] = {}
        for key, doc_id in self._delta_ids.items():
            part, seg_id = self._where[key]
            by_part.setdefault(part, []).append(int(seg_id))
            current[key] = dict(delta[str(doc_id)])
        try:
            with self.store.transaction():
                for part, doc_ids in by_part.items():
                    self._update_docs(part, PAPERS, current, doc_ids, replace_all=True)
                self.store.db(DELTA).table(PAPERS).truncate()
        finally:
            self._build_indexes()

    def paper_docs(self) -> Iterable[Mapping[str, Any]]:
        """The current document of every paper (read-only): for exports and archives."""
        return self._docs.values()

    @writes
    def apply_paper_docs(self, *, changes: Mapping[str, Doc], new_docs: Sequence[Doc]) -> None:
        """Write whole or partial paper documents from another library (a restored archive), in the current
        transaction: `changes` by existing key, `new_docs` as new papers. Indexes follow. Their readings of the
        text are made here, from their source text, never taken from the other library."""
        changes = {k: with_reading({**self._docs[k], **c}, c) for k, c in changes.items()}
        with self.store.transaction():
            self._write_changes(changes)
            self._write_new([with_reading(dict(d), dict(d)) for d in new_docs])
        for doc in new_docs:
            for a in doc.get("ids", ()):
                self._alias.setdefault(a, doc["key"])
            self._alias[doc["key"]] = doc["key"]

    def _update_docs(
        self, part: str, table: str, by_key: Mapping[str, Doc], doc_ids: list[int], *, replace_all: bool
    ) -> None:
        """Apply per-document changes to one part in one TinyDB `update` (TinyDB rewrites a table per call)."""

        def apply(doc: MutableMapping[str, Any]) -> None:
            fields = by_key[doc["key"]]
            if replace_all:
                doc.clear()
            doc.update(fields)

        self.store.db(part).table(table).update(apply, doc_ids=doc_ids)

    def _write_new(self, new_docs: Sequence[Doc]) -> None:
        remaining = list(new_docs)
        while remaining:
            if self._segments:
                segment = self._segments[-1]
                room = layout.SEGMENT_SIZE - len(self.store.table(segment, PAPERS))
            else:
                room = 0
            if room <= 0:
                segment = segment_name(len(self._segments))
                self._segments.append(segment)
                room = layout.SEGMENT_SIZE
            batch, remaining = remaining[:room], remaining[room:]
            table = self.store.db(segment).table(PAPERS)
            doc_ids = table.insert_multiple(batch)
            raw = self.store.table(segment, PAPERS)
            for doc_id in doc_ids:
                doc = raw[str(doc_id)]
                self._docs[doc["key"]] = doc
                self._where[doc["key"]] = (segment, str(doc_id))
                self._date[doc["key"]] = paper_date(doc)
        self._newest_all = None

    # ---- the user's state --------------------------------------------------------------------------------

    def _require(self, keys: Iterable[str]) -> list[str]:
        out = list(dict.fromkeys(keys))
        for key in out:
            if key not in self._docs:
                raise UnknownPaperError(key)
        return out

    def _apply_states(self, new_states: Sequence[PaperState]) -> StateChange:
        self._before_change()
        try:
            with self.store.transaction():
                change = self._store_states(new_states)
        except BaseException:
            self._build_indexes()
            raise
        return change

    def _store_states(
        self, new_states: Sequence[PaperState], *, mute_rules: AbstractSet[str] | None = None
    ) -> StateChange:
        """Write whole states, inside the caller's transaction; the in-memory states follow. A state that breaks
        the mute rules' promises (an undo, a merge or an archive can put one together field by field) is put right
        first: a starred paper is never muted, a muted paper unread by hand is the user's to keep, and a paper is
        muted only by a rule that is on (`mute_rules`: their ids, when the rules are changing in this commit)."""
        if mute_rules is None:
            mute_rules = {r.id for r in self.rules() if r.enabled and r.action is Action.MUTE}
        now = utc_now()
        new_states = consistent_states(new_states, mute_rules, now)
        before = tuple(self.state(s.key) for s in new_states)
        updates: dict[str, dict[str, Doc]] = {}
        inserts: dict[str, list[Doc]] = {}
        split = split_shards(self.store.part_names())
        for st in new_states:
            doc = state_to_doc(st)
            where = self._state_where.get(st.key)
            if where:
                updates.setdefault(where[0], {})[where[1]] = doc
            else:
                inserts.setdefault(state_part(st.key, split), []).append(doc)
        touched = sorted(updates.keys() | inserts.keys())
        for part in touched:
            ids = self.store.put_docs(part, STATE, updates.get(part, {}), inserts.get(part, ()))
            raw = self.store.table(part, STATE)
            for doc_id in ids:
                stored = raw[doc_id]
                self._states[stored["key"]] = stored
                self._state_where[stored["key"]] = (part, doc_id)
        for key, (part, doc_id) in split_full_shards(self.store, touched, STATE).items():
            self._states[key] = self.store.table(part, STATE)[doc_id]
            self._state_where[key] = (part, doc_id)
        after = tuple(self.state(s.key) for s in new_states)
        return StateChange(before=before, after=after)

    def _set_flag(self, keys: Iterable[str], name: str, value: bool) -> StateChange:
        """Set a yes/no field of the user's state (`starred`, `read`, `dismissed`) and the time it changed."""
        now = utc_now()
        flagged = (flag(self.state(k), name, value, now) for k in self._require(keys))
        return self._apply_states([st for st in flagged if st is not None])

    @writes
    def set_starred(self, keys: Iterable[str], starred: bool) -> StateChange:
        return self._set_flag(keys, "starred", starred)

    @writes
    def set_dismissed(self, keys: Iterable[str], dismissed: bool) -> StateChange:
        """Not interested: the paper leaves For you and counts against papers like it. Undone by False."""
        return self._set_flag(keys, "dismissed", dismissed)

    @writes
    def set_later(self, keys: Iterable[str], later: bool) -> StateChange:
        """Read later: the paper joins the queue (at its end) or leaves it."""
        return self._set_flag(keys, "later", later)

    @writes
    def set_read(self, keys: Iterable[str], read: bool) -> StateChange:
        return self._set_flag(keys, "read", read)

    @writes
    def set_note(self, key: str, note: str) -> StateChange:
        (key,) = self._require([key])
        changed = noted(self.state(key), note, utc_now())
        return self._apply_states([changed]) if changed else StateChange(before=(), after=())

    @writes
    def add_tags(self, keys: Iterable[str], tags: Iterable[str]) -> StateChange:
        tags, now = list(tags), utc_now()
        changed = (tagged(self.state(k), tags, now) for k in self._require(keys))
        return self._apply_states([st for st in changed if st is not None])

    @writes
    def remove_tags(self, keys: Iterable[str], tags: Iterable[str]) -> StateChange:
        tags, now = list(tags), utc_now()
        changed = (untagged(self.state(k), tags, now) for k in self._require(keys))
        return self._apply_states([st for st in changed if st is not None])

    @writes
    def put_states(self, states: Iterable[PaperState]) -> StateChange:
        """Write whole states as given: undo, and merges of restored backups."""
        wanted = [s for s in states if s.key in self._docs and s != self.state(s.key)]
        return self._apply_states(wanted)

    # ---- rules -----------------------------------------------------------------------------------------------

    def rules(self) -> list[Rule]:
        """The user's rules (core.rules), oldest first."""
        stamp = self.store.file_of(RULES_PART)
        if self.store.changing(RULES_PART):  # a commit under way changes them (a merge, put_rules): read them now
            return rules_from_part(self.store.loaded_part(RULES_PART))
        if self._rules_cache is None or self._rules_cache[0] != stamp:
            self._rules_cache = (stamp, tuple(rules_from_part(self.store.loaded_part(RULES_PART))))
        return list(self._rules_cache[1])

    def _enabled_rules(self, *, writing: bool) -> list[CompiledRule]:
        return [compiled(r) for r in self.rules() if r.enabled and r.action.writes_state == writing]

    def shown_by_rules(self, action: Action) -> frozenset[str]:
        """The papers the enabled highlight (or follow) rules match: worked out when papers or rules changed."""
        rules = tuple(compiled(r) for r in self.rules() if r.enabled and r.action is action)
        if not rules:
            return frozenset()
        stamp = (self.papers_signature(), tuple(c.rule for c in rules))
        hit = self._shown_by_rules.get(action)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        keys = frozenset(k for k, doc in self._docs.items() if any(c.matches(doc) for c in rules))
        self._shown_by_rules[action] = (stamp, keys)
        return keys

    def muted_keys(self) -> list[PaperKey]:
        """Every paper a mute rule muted (found once per commit: a view asks twice, and at 1,000,000 papers each
        walk of the states is a fifth of a second)."""
        at = self.store.generation
        if self._muted[0] == at and not self.store._depth:
            return list(self._muted[1])
        keys = [PaperKey(k) for k, st in self._states.items() if is_muted(st)]
        if not self.store._depth:  # (inside a transaction the states are ahead of the generation)
            self._muted = (at, keys)
        return list(keys)

    def rules_matching(self, rule: Rule, *, keys: Iterable[str] | None = None) -> list[PaperKey]:
        """The papers `rule` matches, whether or not it is on: what `rules test` shows and adding it would act on
        (a mute skips starred papers and those the user kept unread; `rule_would_change` says what it would do)."""
        test = compiled(rule).matches
        docs = self._docs
        pool: Iterable[str] = docs.keys() if keys is None else [k for k in keys if k in docs]
        if keys is None:
            hits = self._indexed_candidates(rule)
            if hits is not None:
                pool = sorted(k for k in hits if k in docs)
        with gc_paused():
            return [PaperKey(k) for k in pool if test(docs[k])]

    def _indexed_candidates(self, rule: Rule) -> set[str] | None:
        """The papers that may match the rule's words (a superset, tested one by one after), when the search index
        is current; None to test every paper. On ASCII text the index's words are the rule's words (it splits at
        every character that is not a letter or digit, where a rule's words need a non-word character), so its
        hits hold every match; a text with other characters may fold otherwise ("Straße" reads "strasse" to a
        rule, not to the index), so every such paper is a candidate too."""
        lookup = indexed_phrases(rule)
        if lookup is None or self._search is None:
            return None
        try:
            if self.store.changing(DELTA) or not self._search.current(self.store) or self._search.text_behind():
                return None
            hits = self._search.phrase_keys(*lookup)
        except sqlite3.Error:
            return None
        return hits | self._not_ascii()

    def _not_ascii(self) -> frozenset[str]:
        """Papers whose title or abstract, as shown, is not plain ASCII (worked out once per change of papers)."""
        stamp = self.papers_signature()
        if self._not_ascii_cache is None or self._not_ascii_cache[0] != stamp:
            keys = []
            with gc_paused():
                for key, doc in self._docs.items():
                    title, abstract = doc.get("title") or "", doc.get("abstract") or ""
                    if doc.get("shown") == RENDER_VERSION and title.isascii() and abstract.isascii():
                        continue  # read as typed, and plain: the common case, without a reading made
                    title, _, abstract = shown(doc)
                    if not (title.isascii() and abstract.isascii()):
                        keys.append(key)
            self._not_ascii_cache = (stamp, frozenset(keys))
        return self._not_ascii_cache[1]

    def by_author(self, name: str, *, keys: Iterable[str] | None = None) -> list[PaperKey]:
        """Papers by the person `name` names, in any of the forms feeds write names (core.people)."""
        from readinglist.core.people import AuthorMatcher

        try:
            matcher = AuthorMatcher(name)
        except ValueError:
            return []
        docs = self._docs
        pool = docs.keys() if keys is None else [k for k in keys if k in docs]
        return [PaperKey(k) for k in pool if matcher.matches(shown(docs[k])[1])]

    def _ruled(
        self,
        keys: Iterable[str],
        rules: Sequence[CompiledRule],
        now: str,
        *,
        settled: AbstractSet[str] = frozenset(),
        verdict_of: Callable[[str], Verdict] | None = None,
    ) -> list[PaperState]:
        return ruled_states(
            keys, rules, now, state_of=self.state, doc_of=self._docs.__getitem__, settled=settled, verdict_of=verdict_of
        )

    @writes
    def put_rules(self, rules: Sequence[Rule]) -> StateChange:
        """Make `rules` the library's rules, and apply what changed to the papers already here, in one commit:
        a new or changed rule acts on every paper it matches, a mute rule turned off or removed gives its papers
        back as they were. The change holds the rules before and after, for undo."""
        before = self.rules()
        after = [check_rule(r) for r in rules]
        ids = [r.id for r in after]
        if len(set(ids)) != len(ids):
            raise ValueError("two rules with one id")
        old_by_id = {r.id: r for r in before}
        new_by_id = {r.id: r for r in after}
        changed = {i for i in old_by_id.keys() | new_by_id.keys() if old_by_id.get(i) != new_by_id.get(i)}
        if not changed:
            return StateChange((), (), tuple(r.to_doc() for r in before), tuple(r.to_doc() for r in after))
        # Papers the changed rules match now (judged by those rules alone: what the others do to them stands), and
        # papers the changed mute rules muted (judged by every rule: another may mute them in their place).
        matched: set[str] = set()
        for rule_id in changed:
            new_rule = new_by_id.get(rule_id)
            if new_rule is not None and new_rule.enabled and new_rule.action.writes_state:
                matched.update(self.rules_matching(new_rule))
        changed_mutes = {i for i in changed if (old_by_id.get(i) or new_by_id[i]).action is Action.MUTE}
        was_muted = (
            {k for k, st in self._states.items() if st.get("muted_by") in changed_mutes} if changed_mutes else set()
        )
        settled = {r.id for r in after if r.enabled and r.action is Action.MUTE and r.id not in changed}
        self._before_change()
        now = utc_now()
        try:
            with self.store.transaction():
                table = self.store.db(RULES_PART).table(RULES_TABLE)
                table.truncate()
                table.insert_multiple([r.to_doc() for r in after])
                acting = [compiled(r) for r in after if r.enabled and r.action.writes_state]
                acting_changed = [c for c in acting if c.rule.id in changed]
                mute_rules = {r.id for r in after if r.enabled and r.action is Action.MUTE}
                docs = self._docs.keys()
                known = None
                if len(acting_changed) == 1:  # one rule added or changed: it matches each of `matched`, known
                    known = verdict_for(acting_changed[0].rule)
                with gc_paused():
                    states = self._ruled(
                        sorted((matched - was_muted) & docs),
                        acting_changed,
                        now,
                        settled=settled,
                        verdict_of=(lambda _key: known) if known is not None else None,
                    )
                    states += self._ruled(sorted(was_muted & docs), acting, now, settled=settled)
                change = self._store_states(states, mute_rules=mute_rules)
        except BaseException:
            self._build_indexes()
            raise
        return replace(
            change, rules_before=tuple(r.to_doc() for r in before), rules_after=tuple(r.to_doc() for r in after)
        )

    # ---- two records of one paper ----------------------------------------------------------------------------

    @overload
    def same_paper_index(self) -> Mapping[str, SamePaper]: ...
    @overload
    def same_paper_index(self, *, compute: Literal[False]) -> Mapping[str, SamePaper] | None: ...
    def same_paper_index(self, *, compute: bool = True) -> Mapping[str, SamePaper] | None:
        """Paper -> the record that looks like the same paper, where one does (worked out for the whole library
        once per change of its papers: a fraction of a second at 100,000 papers, five at 1,000,000).
        `compute=False`: None instead of working it out when the papers changed since it last was."""
        stamp = self.papers_signature()
        if self._same_cache is None or self._same_cache[0] != stamp:
            if not compute:
                return None
            pairs: dict[str, SamePaper] = {}
            for pair in self.same_papers():
                pairs.setdefault(pair.keep, pair)
                pairs.setdefault(pair.other, pair)
            self._same_cache = (stamp, pairs)
        return MappingProxyType(self._same_cache[1])

    def same_papers(self, *, keys: Iterable[str] | None = None) -> list[SamePaper]:
        """Pairs of records that look like one paper no identifier links (core.duplicates): offered, never merged
        here. `keys`: only pairs with one of these (the papers an import just brought)."""
        from readinglist.core.duplicates import find_same_papers

        return find_same_papers(self._docs, keys=keys)

    @writes
    def merge_papers(self, keep: str, other: str) -> PaperMerge:
        """Make `other` part of `keep`, in one commit: its identifiers, feeds and missing fields join the kept
        record (so it is never added again), the user's state on both is joined (a star or a note on either is
        kept), and the other record goes. `unmerge` undoes it."""
        keep, other = self._require([keep, other])
        if keep == other:
            raise ValueError("a paper cannot be merged with itself")
        keep_doc, other_doc = dict(self._docs[keep]), dict(self._docs[other])
        fields = merge_copy(keep_doc, other_doc)
        ids = list(dict.fromkeys([*keep_doc.get("ids", ()), *fields.get("ids", ()), *other_doc.get("ids", ()), other]))
        fields["ids"] = ids
        fields = with_reading({**keep_doc, **fields}, fields)
        keep_state, other_state = self.state(keep), self.state(other)
        joined = replace(join_states(keep_state, other_state), key=PaperKey(keep))
        self._before_change()
        try:
            with self.store.transaction():
                self._write_changes({keep: fields})
                self._remove_paper(other)
                if joined != keep_state:
                    self._store_states([joined])
        except BaseException:
            self._build_indexes()
            raise
        self._build_indexes()
        return PaperMerge(PaperKey(keep), PaperKey(other), keep_doc, other_doc, keep_state, other_state)

    @writes
    def unmerge(self, merge: PaperMerge) -> None:
        """Undo `merge_papers`: both records as they were, with their own state."""
        if merge.other in self._docs:
            return  # already apart (undone before, or added again meanwhile)
        self._before_change()
        try:
            with self.store.transaction():
                restored = [dict(merge.other_doc)]
                if merge.keep in self._docs:
                    self._remove_paper(merge.keep)  # and written again as it was, not patched: fields the merge
                    restored.insert(0, dict(merge.keep_doc))  # brought (a DOI, a journal) go with it
                self._write_new(restored)
                self._store_states([s for s in (merge.keep_state, merge.other_state) if s.key in self._docs])
        except BaseException:
            self._build_indexes()
            raise
        self._build_indexes()

    def _remove_paper(self, key: str) -> None:
        """Take one paper and its state out of the store (in the caller's transaction); indexes are rebuilt after."""
        part, doc_id = self._where[key]
        self.store.db(part).table(PAPERS).remove(doc_ids=[int(doc_id)])
        if key in self._delta_ids:
            self.store.db(DELTA).table(PAPERS).remove(doc_ids=[self._delta_ids.pop(key)])
        where = self._state_where.pop(key, None)
        if where is not None:
            self.store.db(where[0]).table(STATE).remove(doc_ids=[int(where[1])])
            self._states.pop(key, None)

    # ---- backups ---------------------------------------------------------------------------------------------

    def restore(self, name: str | None = None) -> str:
        info = self.store.restore(name)
        self._build_indexes()
        if self._search is not None:
            self.sync_search_index()
        return info.name
