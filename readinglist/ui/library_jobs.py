"""Work run on the library thread, and the plain data it hands the window: list rows, states, sidebar counts.

Every function here takes the Library first and runs on the worker thread (ui/worker.py). What it returns is
immutable or handed over for good (tuples, strings, frozen dataclasses, fresh lists), so the window keeps it and
never touches the library. No Qt here: these are testable, and timeable, on their own.
"""

from __future__ import annotations

import gc
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from operator import attrgetter, itemgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from readinglist.app import App
from readinglist.core.duplicates import SamePaper
from readinglist.core.errors import ReadingListError
from readinglist.core.library import Library
from readinglist.core.models import (
    ListFilter,
    PaperKey,
    PaperState,
    SortKey,
    StateChange,
    is_muted,
    landing_url,
    paper_date,
)
from readinglist.core.papers import today_cutoff
from readinglist.core.rules import Action, Rule
from readinglist.core.storage import gc_paused
from readinglist.core.taste import community_signal, trending_why
from readinglist.core.text import RENDER_VERSION, shown

# ---- what the window is showing ----------------------------------------------------------------------------

VIEW_LABELS: dict[ListFilter, str] = {
    ListFilter.UNREAD: "Inbox",
    ListFilter.FOR_YOU: "For you",
    ListFilter.TRENDING: "Trending",
    ListFilter.TODAY: "Today",
    ListFilter.FOLLOWING: "Authors I follow",
    ListFilter.LATER: "Read later",
    ListFilter.MUTED: "Muted by rules",
    ListFilter.STARRED: "Starred",
    ListFilter.NOTED: "With notes",
    ListFilter.UPDATED: "Updated",
    ListFilter.ALL: "All papers",
    ListFilter.READ: "Read",
}


@dataclass(frozen=True, slots=True)
class Selection:
    """One entry of the sidebar: a smart view, a feed or a tag. Saved in the settings as "kind:name"."""

    # "view", "feed", "tag", "author" (papers by the person `name` names), or, not saved: "similar" (papers like
    # the paper whose key is `name`) and "muted" (the papers mute rules keep out of the entry `name` names)
    kind: str
    name: str

    @property
    def label(self) -> str:
        if self.kind == "view":
            return VIEW_LABELS[ListFilter(self.name)]
        if self.kind == "similar":
            return "More like this"
        if self.kind == "muted":
            return f"{self.base.label}: muted"
        if self.kind == "author":
            return f"Papers by {self.name}"
        return self.name

    @property
    def base(self) -> Selection:
        """A muted listing's entry (itself for any other)."""
        return Selection.from_text(self.name) if self.kind == "muted" else self

    @property
    def hides_muted(self) -> bool:
        """Whether papers muted by rules are kept out of this entry (and it says how many)."""
        return self.kind == "view" and self.name in HIDING_MUTED

    @property
    def ranked(self) -> bool:
        """Whether the view comes in an order of its own (best first), not the list's column order."""
        return self.kind == "similar" or (self.kind == "view" and self.name in RANKED_VIEWS)

    def to_text(self) -> str:
        return f"{self.kind}:{self.name}"

    @classmethod
    def from_text(cls, text: str | None) -> Selection:
        kind, _, name = (text or "").partition(":")
        if kind == "view" and name in {f.value for f in ListFilter}:
            return cls("view", name)
        if kind in ("feed", "tag", "author") and name:
            return cls(kind, name)
        return INBOX

    def query_args(self) -> dict[str, Any]:
        if self.kind == "view":
            return {"view": ListFilter(self.name), "sort": RANKED_VIEWS.get(self.name, SortKey.DATE)}
        if self.kind == "muted":
            return {**self.base.query_args(), "muted": True, "sort": SortKey.DATE}
        return {self.kind: self.name}


INBOX = Selection("view", ListFilter.UNREAD.value)
FOR_YOU = Selection("view", ListFilter.FOR_YOU.value)
RANKED_VIEWS = {ListFilter.FOR_YOU.value: SortKey.RELEVANCE, ListFilter.TRENDING.value: SortKey.TRENDING}
HIDING_MUTED = frozenset(
    f.value
    for f in (ListFilter.UNREAD, ListFilter.FOR_YOU, ListFilter.TODAY, ListFilter.TRENDING, ListFilter.UPDATED,
              ListFilter.FOLLOWING)
)  # fmt: skip
WHY_LISTED = 500  # why-words are worked out with the view for its first papers; the pane asks for any other


class PaperRow(NamedTuple):
    """A paper's content as the list and the paper pane show it: title, authors and abstract as read (TeX as
    Unicode, `core.text`).

    The strings and lists are the library's own objects, shared, not copied: a row costs one tuple, not a second
    copy of the abstract, at 100,000 papers. The library replaces these values on a change, never mutates them.
    """

    key: str
    title: str
    authors: Sequence[str]
    source: str
    date: str
    abstract: str
    published: str
    updated: str
    first_seen: str
    content_updated: str
    categories: Sequence[str]
    feeds: Sequence[str]
    arxiv_id: str
    arxiv_version: int
    doi: str
    url: str
    pdf_url: str
    journal_ref: str
    extra: Mapping[str, Any]
    # What the list sorts by, worked out here on the library thread so that a click on a column header sorts by
    # a field (an attrgetter, in C) instead of calling Python per row on the GUI thread
    sort_date: str = ""  # the full date the list orders by (`date` is its day, as shown)
    sort_title: str = ""  # the title as shown, casefolded

    @property
    def abs_url(self) -> str:
        return landing_url(self.arxiv_id, self.doi, self.url) or ""


class RowState(NamedTuple):
    """The user's state on one paper, as the window shows it."""

    starred: bool = False
    read: bool = False
    note: str = ""
    tags: tuple[str, ...] = ()
    dismissed: bool = False
    muted: bool = False  # a mute rule muted it (core.rules)
    later: bool = False  # in the Read later queue

    @classmethod
    def from_state(cls, state: PaperState) -> RowState:
        return cls(state.starred, state.read, state.note, state.tags, state.dismissed, state.muted, state.later)


DEFAULT_STATE = RowState()
_EMPTY: Mapping[str, Any] = {}
_sort_date = attrgetter("sort_date")


def row_from_doc(doc: Mapping[str, Any], _new: Any = tuple.__new__) -> PaperRow:
    # The hot loop of opening a view (100,000 calls): no NamedTuple.__new__ frame, one .get per field.
    get = doc.get
    if get("shown") == RENDER_VERSION:  # reads as typed: the common case, one comparison
        title, authors, abstract = get("title") or "", get("authors") or (), get("abstract") or ""
    else:  # TeX read as Unicode (stored with the paper; read now for papers stored before readings were)
        title, authors, abstract = shown(doc)
    feeds = get("feeds") or ()
    published = get("published") or ""
    updated = get("updated") or ""
    first_seen = get("first_seen") or ""
    sort_date = published or updated or first_seen  # (`models.date_of`, inline: this runs once per row)
    row: PaperRow = _new(
        PaperRow,
        (
            doc["key"],
            title,
            authors,
            feeds[0] if feeds else "",
            paper_date(doc)[:10],
            abstract,
            published,
            updated,
            first_seen,
            get("content_updated") or "",
            get("categories") or (),
            feeds,
            get("arxiv_id") or "",
            get("arxiv_version") or 0,
            get("doi") or "",
            get("url") or "",
            get("pdf_url") or "",
            get("journal_ref") or "",
            get("extra") or _EMPTY,
            sort_date,
            title.casefold(),
        ),
    )
    return row


def row_state_from_doc(doc: Mapping[str, Any], _new: Any = tuple.__new__) -> RowState:
    get = doc.get
    state: RowState = _new(
        RowState,
        (
            bool(get("starred")),
            bool(get("read")),
            get("note") or "",
            tuple(get("tags") or ()),
            bool(get("dismissed")),
            is_muted(doc),
            bool(get("later")),
        ),
    )
    return state


@dataclass(frozen=True, slots=True)
class Ranking:
    """How a ranked view ordered its papers: each one's score and why-words (for the first WHY_LISTED)."""

    scores: Mapping[str, float]
    why: Mapping[str, tuple[str, ...]]
    enough: bool = True  # False: too little evidence to rank by; the rows are newest first
    evidence: int = 0  # the papers that count for the user (starred, noted, tagged)
    kind: str = "relevance"  # "relevance", "trending" or "similar"


@dataclass(frozen=True, slots=True)
class ViewRows:
    """The papers of one sidebar entry, newest first (or best first, when ranked), with the user's state on those
    that have any."""

    selection: Selection
    rows: list[PaperRow]
    states: dict[str, RowState]
    library_size: int
    feed_names: Mapping[str, str]  # a paper's `feeds` hold subscription ids: these are their names
    ranking: Ranking | None = None
    hidden_muted: int = 0  # papers of this entry that mute rules keep out of it
    highlighted: frozenset[str] = frozenset()  # papers highlight rules mark
    same: Mapping[str, SamePaper] = field(default_factory=dict)  # listed paper -> a record that looks like it
    muted_by: Mapping[str, str] = field(default_factory=dict)  # muted paper -> the name of the rule that muted it
    # False: the first screen of the view, read from the catalog while the library opens (`first_screen`); the
    # whole view follows
    complete: bool = True
    same_pending: bool = False  # which papers have a double was not worked out yet: `same_in_view` says, after
    newest_first: bool = False  # the rows are sorted by date, newest first (else: best first, by `ranking`)
    keys: list[str] | None = None  # the rows' keys, in their order (worked out here, not on the GUI thread)


def feed_names_and_groups(lib: Library) -> tuple[dict[str, str], dict[str, str]]:
    """Subscription id -> name, and id -> group for the subscriptions in one."""

    feeds = lib.feeds.feeds()
    return {f.id: f.name for f in feeds}, {f.id: f.group for f in feeds if f.group}


SIMILAR_LISTED = 50


class RowCache:
    """The rows last built: a view lists the papers other views listed without building their rows again. Kept
    while the papers are as they were (`papers_signature`): the library changes some documents in place (a paper
    changed twice, a fold of the changes), so any change of papers builds them again. Lives on the library
    thread: only jobs call it."""

    def __init__(self) -> None:
        self._rows: dict[str, PaperRow] = {}
        self._papers: tuple[str, ...] = ()

    def rows(self, lib: Library, keys: Sequence[str]) -> list[PaperRow]:
        signature = lib.papers_signature()
        if signature != self._papers:
            self._rows.clear()
            self._papers = signature
        cache, doc = self._rows, lib.doc
        out: list[PaperRow] = []
        for key in keys:
            row = cache.get(key)
            if row is None:
                row = cache[key] = row_from_doc(doc(key))
            out.append(row)
        return out


def view_rows(
    lib: Library,
    selection: Selection,
    *,
    keep: str | None = None,
    relevance: bool = False,
    cache: RowCache | None = None,
) -> ViewRows:
    """The rows of a view; `keep`: a paper to list even if it no longer belongs (the one being read); `relevance`:
    best first by the user's taste, whatever the view; `cache`: rows built before, reused while their papers are
    as they were."""
    with gc_paused():
        ranking: Ranking | None = None
        if selection.kind == "similar":
            ranked = lib.taste.similar(selection.name, limit=SIMILAR_LISTED) if selection.name in lib else []
            keys = [PaperKey(r.key) for r in ranked]
            similar_scores: dict[str, float] = {r.key: r.score for r in ranked}
            similar_why: dict[str, tuple[str, ...]] = {r.key: r.why for r in ranked}
            ranking = Ranking(similar_scores, similar_why, kind="similar")
        else:
            args = selection.query_args()
            sort = args.pop("sort", SortKey.DATE)
            if relevance:
                sort = SortKey.RELEVANCE
            if sort is SortKey.RELEVANCE:
                keys = lib.query(**args)
                keys, ranking = _by_relevance(lib, keys)
            elif sort is SortKey.TRENDING:
                keys = lib.query(**args, sort=SortKey.TRENDING)
                docs = lib.paper_docs_by_key()
                scores: dict[str, float] = {k: lib.trending(k) for k in keys}
                why: dict[str, tuple[str, ...]] = {k: trending_why(docs[k]) for k in keys[:WHY_LISTED]}
                ranking = Ranking(scores, why, kind="trending")
            else:
                keys = lib.query(**args, sort=sort)
        if keep is not None and keep in lib and keep not in keys:
            keys.append(PaperKey(keep))
        doc, state_doc = lib.doc, lib.state_doc
        rows = [row_from_doc(doc(k)) for k in keys] if cache is None else cache.rows(lib, keys)
        newest_first = ranking is None or not ranking.enough
        if newest_first:
            # Sorted here, on the library thread, by the date the list sorts by (a paper kept in view, the Read
            # later queue's own order): the list shows them as they come, with no sort of its own.
            rows.sort(key=_sort_date, reverse=True)
        states: dict[str, RowState] = {}
        for k in keys:
            st = state_doc(k)
            if st:
                states[k] = row_state_from_doc(st)
        # The rows live as long as the view. Left to the collector, 50,000 new tuples make each of its young-
        # generation passes walk them all (40 ms, a dropped frame on a keystroke) until they age out; frozen,
        # they are skipped, as the store does for the documents. Rows hold no cycles: refcounting frees them.
        gc.freeze()
        hidden = 0
        if selection.hides_muted:
            today = today_cutoff()
            view = ListFilter(selection.name)
            hidden = sum(1 for k in lib.muted_keys() if lib.hidden_by_rules(view, k, today=today))
        # Few papers are muted or have a double: walk those, not the view. Which papers have a double is worked
        # out once per change of the papers (five seconds at 1,000,000): when it must be, the view comes first
        # and the doubles after it (`same_in_view`).
        muted = lib.muted_keys()
        same_index = lib.same_paper_index(compute=False)
        in_view = set(keys) if muted or same_index else set()
        rule_names = {r.id: r.name for r in lib.rules()}
        muted_by: dict[str, str] = {}
        for k in muted:
            if k in in_view:
                rule_id = lib.state_doc(k)["muted_by"]
                muted_by[k] = rule_names.get(rule_id, rule_id)
        same = {k: pair for k, pair in same_index.items() if k in in_view} if same_index is not None else {}
        highlighted = lib.shown_by_rules(Action.HIGHLIGHT)
    return ViewRows(
        selection,
        rows,
        states,
        len(lib),
        lib.feed_names(),
        ranking,
        hidden_muted=hidden,
        highlighted=highlighted,
        same=same,
        muted_by=muted_by,
        same_pending=same_index is None,
        newest_first=newest_first,
        keys=list(map(itemgetter(0), rows)),
    )


def same_in_view(lib: Library, rows: Sequence[PaperRow]) -> dict[str, SamePaper]:
    """The listed papers that look like another record (what `view_rows` left for later), worked out now."""
    with gc_paused():
        index = lib.same_paper_index()
        if not index:
            return {}
        keys = {r.key for r in rows}
        return {k: pair for k, pair in index.items() if k in keys}


def open_library(app: App) -> Library:
    """The window's library: it answers views from the catalog (`Library.views_budget`), and a view never waits
    for a first build of it: a view spends at most a slice bringing it up (else the walk answers), and
    `prepare_search` builds the rest a slice at a time."""
    lib = app.open_library()
    lib.views_budget = SEARCH_SLICE
    lib.keep_search_keys()
    return lib


FIRST_SCREEN = 200  # rows of the first screen read before the library opens: more than any window shows at once
FIRST_SCREEN_BUDGET = 0.5  # seconds the catalog may take to catch up with a commit of another process first
FIRST_SCREEN_BEHIND = 8  # parts: further behind (a large import elsewhere), the library opens without waiting


def first_screen(data_dir: Path, selection: Selection, *, limit: int = FIRST_SCREEN) -> ViewRows | None:
    """The first rows of `selection`, newest first, read from the catalog and the few segments holding them, for
    the window to show while the library opens (at 1,000,000 papers opening it takes half a minute).

    None when the catalog cannot answer at once: no library or catalog yet, a catalog further behind the library
    than a few parts or than it can catch up with in FIRST_SCREEN_BUDGET (another process imported many papers
    since), or a view that needs the whole library (a ranked one, an author's, a muted listing). The window then
    waits for the library, as it always did. Nothing here writes the library or takes its lock; what goes wrong
    is said by the open that follows.
    """
    from readinglist.core.catalog import Catalog
    from readinglist.core.datadir import DataFolder
    from readinglist.core.shelf import Shelf
    from readinglist.core.storage import Store

    if selection.kind not in ("view", "feed", "tag"):
        return None
    args = selection.query_args()
    sort = args.pop("sort", SortKey.DATE)
    view = args.pop("view", ListFilter.ALL)
    catalog_file = DataFolder(data_dir).catalog
    if sort is not SortKey.DATE or not catalog_file.is_file():
        return None
    try:
        store = Store(data_dir, writer=False, lazy=True)
        store.open()
    except (OSError, ReadingListError):
        return None
    catalog = Catalog(catalog_file)
    shelf = Shelf(store, catalog)
    try:
        if len(catalog.behind(store)) > FIRST_SCREEN_BEHIND or not shelf.supports(view, sort):
            return None
        if not catalog.catch_up(store, budget=FIRST_SCREEN_BUDGET):
            return None
        size = len(catalog)
        if size == 0:
            return None  # the welcome view, or the sample to load: the library's to decide
        keys = shelf.query(view=view, sort=sort, limit=limit, **args)
        rows = [row_from_doc(shelf.doc(k)) for k in keys]
        states: dict[str, RowState] = {k: row_state_from_doc(st) for k in keys if (st := shelf.state_doc(k))}
        names = shelf.feed_names()
    except (OSError, sqlite3.Error, ReadingListError):
        return None
    finally:
        shelf.close()
    return ViewRows(selection, rows, states, size, names, complete=False, newest_first=True)  # (the catalog's order)


def _by_relevance(lib: Library, keys: list[PaperKey]) -> tuple[list[PaperKey], Ranking]:
    """`keys` best first by the user's taste; newest first, and saying so, when there is too little evidence."""
    taste = lib.taste
    model = taste.model()
    if model is None:
        return keys, Ranking({}, {}, enough=False, evidence=taste.positives())
    ranked = model.rank(keys, why=0)
    order = [PaperKey(r.key) for r in ranked]
    why: dict[str, tuple[str, ...]] = {k: model.why(k) for k in order[:WHY_LISTED]}
    scores: dict[str, float] = {r.key: r.score for r in ranked}
    return order, Ranking(scores, why, evidence=taste.positives())


def why_of(lib: Library, key: str) -> tuple[str, ...]:
    """Why the user's taste ranks this paper where it does (for the pane, beyond the view's first papers)."""
    return lib.taste.why(key) if key in lib else ()


def states_of(lib: Library, keys: Iterable[str]) -> dict[str, RowState]:
    return {k: RowState.from_state(lib.state(k)) for k in keys if k in lib}


# ---- the sidebar ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SidebarCounts:
    papers: int
    views: Mapping[str, int]  # ListFilter value -> papers in that view
    # (source as papers record it, name, unread papers), by group (none first), then name. Every subscription is
    # here, with or without papers (a feed that has always failed shows its error); so is every imported source.
    feeds: tuple[tuple[str, str, int], ...]
    tags: tuple[tuple[str, int], ...]  # (tag, papers), by name
    groups: Mapping[str, str] = field(default_factory=dict)  # subscription id -> its group, for those in one
    subscribed: frozenset[str] = frozenset()  # the feeds' sources that are subscriptions (not imported files)

    def label(self, selection: Selection) -> str:
        """What to call a sidebar entry: a feed by its name, not the id its papers record."""
        if selection.kind == "feed":
            return next((name for source, name, _ in self.feeds if source == selection.name), selection.name)
        return selection.label

    @property
    def unread(self) -> int:
        return self.views.get(ListFilter.UNREAD.value, 0)


class _Share(NamedTuple):
    """What one paper adds to the sidebar's counts."""

    read: bool
    starred: bool
    noted: bool
    today: bool
    updated: bool
    tags: Sequence[str]
    feeds: Sequence[str]
    dismissed: bool = False
    trending: bool = False
    muted: bool = False
    following: bool = False
    later: bool = False


@dataclass(frozen=True, slots=True)
class Followed:
    """What another process committed since the window last looked: which parts, and the counts after it."""

    parts: frozenset[str]
    counts: SidebarCounts
    states: dict[str, RowState] | None = None  # when only the user's state changed: the new states, no reload

    @property
    def feeds_changed(self) -> bool:
        return "feeds" in self.parts


def follow(lib: Library, tracker: SidebarTracker) -> Followed | None:
    """Catch up with other processes' commits (a star from the command line, a cron refresh): None when there were
    none, which costs one read of the manifest."""
    changed = lib.catch_up()
    if not changed:
        return None
    keys = lib.states_changed_elsewhere()
    states = states_of(lib, keys) if keys is not None else None
    return Followed(frozenset(changed), tracker.recount(lib), states)


class SidebarTracker:
    """The sidebar's counts, kept on the library thread: one pass over the library, then a delta per change.

    A full pass costs about half a second at 100,000 papers; a star must not, so a state change recounts only the
    papers it touched: their share of the counts before the change is taken away and their share after it added.
    Owned by the library thread: the window creates it and hands it to jobs, and never calls it itself.
    """

    RECOUNT_AFTER = timedelta(minutes=10)  # "Today" slides with the clock

    def __init__(self) -> None:
        self._counted_at: datetime | None = None
        self._today = ""
        self._papers = 0
        self._views: Counter[str] = Counter()
        self._feeds: dict[str, int] = {}
        self._tags: Counter[str] = Counter()
        self._followed: frozenset[str] = frozenset()

    def _share(self, lib: Library, key: str) -> _Share:
        doc = lib.doc(key)
        st = lib.state_doc(key)
        muted = is_muted(st)
        return _Share(
            read=bool(st.get("read")),
            starred=bool(st.get("starred")),
            noted=bool(st.get("note")),
            # Few papers pass the first tests; the library's own rule decides for those.
            today=doc.get("first_seen", "") >= self._today and lib.matches(ListFilter.TODAY, key, today=self._today),
            updated=bool(doc.get("content_updated")) and lib.matches(ListFilter.UPDATED, key),
            tags=st.get("tags") or (),
            feeds=doc.get("feeds") or (),
            dismissed=bool(st.get("dismissed")),
            trending=community_signal(doc) > 0,
            muted=muted,
            following=not muted and key in self._followed,
            later=bool(st.get("later")),
        )

    def _add(self, share: _Share, sign: int) -> None:
        views, feeds = self._views, self._feeds
        if share.read:
            views[ListFilter.READ.value] += sign
            for f in share.feeds:
                feeds.setdefault(f, 0)
        else:
            views[ListFilter.UNREAD.value] += sign
            for f in share.feeds:
                feeds[f] = feeds.get(f, 0) + sign
            if not share.dismissed and not share.starred:
                views[ListFilter.FOR_YOU.value] += sign
            if share.following:
                views[ListFilter.FOLLOWING.value] += sign  # the new papers of the authors the user follows
        if share.starred:
            views[ListFilter.STARRED.value] += sign
        if share.noted:
            views[ListFilter.NOTED.value] += sign
        if share.later:
            views[ListFilter.LATER.value] += sign
        for t in share.tags:
            self._tags[t] += sign
            if self._tags[t] <= 0:
                del self._tags[t]
        if share.muted:
            views[ListFilter.MUTED.value] += sign
            return  # out of the views that show read papers too (Today, Updated, Trending)
        if share.trending and not share.dismissed:
            views[ListFilter.TRENDING.value] += sign
        if share.today:
            views[ListFilter.TODAY.value] += sign
        if share.updated:
            views[ListFilter.UPDATED.value] += sign

    def recount(self, lib: Library) -> SidebarCounts:
        now = datetime.now(UTC)
        self._counted_at, self._today = now, today_cutoff(now)
        self._followed = followed = lib.shown_by_rules(Action.FOLLOW)
        with gc_paused():
            self._views, self._feeds, self._tags = _tally(lib, self._today, followed)
        self._papers = len(lib)
        return self.snapshot(*feed_names_and_groups(lib))

    def current(self, lib: Library) -> SidebarCounts:
        """The counts, recounted first when the library grew or "Today" has slid too far since the last pass."""
        if (
            self._counted_at is None
            or self._papers != len(lib)
            or datetime.now(UTC) - self._counted_at > self.RECOUNT_AFTER
        ):
            self.recount(lib)
        return self.snapshot(*feed_names_and_groups(lib))

    def change(self, lib: Library, keys: Iterable[str], apply: Callable[[], StateChange]) -> StateChange:
        """Run `apply` (a state change of `keys`) and move the counts by what it changed."""
        if self._counted_at is None:
            return apply()
        keys = [k for k in dict.fromkeys(keys) if k in lib]
        before = [self._share(lib, k) for k in keys]
        change = apply()
        if change.reshapes:
            self.recount(lib)  # rules or records changed: which papers that touched is known only now
            return change
        for share in before:
            self._add(share, -1)
        for key in keys:
            self._add(self._share(lib, key), 1)
        return change

    def snapshot(
        self, names: Mapping[str, str] | None = None, groups: Mapping[str, str] | None = None
    ) -> SidebarCounts:
        views = {f.value: max(0, self._views.get(f.value, 0)) for f in ListFilter}
        views[ListFilter.ALL.value] = self._papers
        names = names or {}
        groups = groups or {}
        unread = dict(self._feeds)
        for feed_id in names:
            unread.setdefault(feed_id, 0)  # subscribed, no papers yet
        feeds = [(source, names.get(source, source), n) for source, n in unread.items()]
        feeds.sort(key=lambda f: (groups.get(f[0], "").casefold(), f[1].casefold()))
        return SidebarCounts(
            papers=self._papers,
            views=views,
            feeds=tuple(feeds),
            tags=tuple(sorted(self._tags.items(), key=lambda kv: kv[0].casefold())),
            groups=MappingProxyType({f[0]: groups[f[0]] for f in feeds if f[0] in groups}),
            subscribed=frozenset(names),
        )


def _tally(lib: Library, today: str, followed: AbstractSet[str]) -> tuple[Counter[str], dict[str, int], Counter[str]]:
    """The views', feeds' and tags' counts of every paper: what adding each paper's `_share` gives, in one loop
    over the documents (the shares built one by one took 7.8 s at 1,000,000 papers)."""
    docs, states = lib.paper_docs_by_key(), lib.state_docs()
    read_n = starred = noted = later = muted_n = for_you = following = trending = today_n = updated = 0
    feeds: dict[str, int] = {}
    tags: Counter[str] = Counter()
    for key, doc in docs.items():
        st = states.get(key)
        doc_feeds = doc.get("feeds") or ()
        read = muted = dismissed = False
        if st:
            read, dismissed, muted = bool(st.get("read")), bool(st.get("dismissed")), is_muted(st)
            starred += bool(st.get("starred"))
            noted += bool(st.get("note"))
            later += bool(st.get("later"))
            paper_tags = st.get("tags")
            if paper_tags:
                tags.update(paper_tags)
        if read:
            read_n += 1
            for f in doc_feeds:
                feeds.setdefault(f, 0)
        else:
            for f in doc_feeds:
                feeds[f] = feeds.get(f, 0) + 1
            if not (st and (dismissed or st.get("starred"))):
                for_you += 1
            if not muted and key in followed:
                following += 1
        if muted:
            muted_n += 1
            continue  # out of the views that show read papers too (Today, Updated, Trending)
        # (no signal without an extra or a second feed: `community_signal` is only asked of those)
        if not dismissed and (doc.get("extra") or len(doc_feeds) > 1) and community_signal(doc) > 0:
            trending += 1
        if doc.get("first_seen", "") >= today:
            today_n += 1
        upd = doc.get("content_updated")
        if upd and not (read and st and st.get("read_at", "") > upd):
            updated += 1
    views: Counter[str] = Counter(
        {
            ListFilter.READ.value: read_n,
            ListFilter.UNREAD.value: len(docs) - read_n,
            ListFilter.FOR_YOU.value: for_you,
            ListFilter.FOLLOWING.value: following,
            ListFilter.STARRED.value: starred,
            ListFilter.NOTED.value: noted,
            ListFilter.LATER.value: later,
            ListFilter.MUTED.value: muted_n,
            ListFilter.TRENDING.value: trending,
            ListFilter.TODAY.value: today_n,
            ListFilter.UPDATED.value: updated,
        }
    )
    return views, feeds, tags


# ---- changes -----------------------------------------------------------------------------------------------

# The fields of a state that change together: a value and the time it was set.
_FIELD_GROUPS = (
    ("starred", "starred_at"),
    ("read", "read_at"),
    ("note", "note_at"),
    ("tags", "tags_at"),
    ("dismissed", "dismissed_at"),
    ("later", "later_at"),
    ("muted_by", "muted_at"),
)


def undo_change(lib: Library, change: StateChange) -> StateChange:
    """Put back what `change` changed, field by field: a star undone leaves a note written since untouched.

    A field changed again since (by another change) is left as it is now. A change of the rules puts the rules
    back first (a mute taken back gives its papers back), then what the rule wrote (tags, stars), in one commit.
    """
    if change.merged is not None:
        lib.unmerge(change.merged)
        return StateChange((), (), unmerged=change.merged)
    if change.unmerged is not None:
        return merge(lib, change.unmerged.keep, change.unmerged.other)
    if change.rules_before is None:
        return _undo_states(lib, change)
    with lib.transaction():
        ruled = lib.put_rules([Rule.from_doc(d) for d in change.rules_before])
        states = _undo_states(lib, change)
    before = {s.key: s for s in ruled.before}
    after = {s.key: s for s in ruled.after}
    for b, a in zip(states.before, states.after, strict=True):
        before.setdefault(b.key, b)
        after[a.key] = a
    keys = list(before)
    return replace(ruled, before=tuple(before[k] for k in keys), after=tuple(after[k] for k in keys))


def merge(lib: Library, keep: str, other: str) -> StateChange:
    """Make two records of one paper one (the user confirmed "same paper?"), as an undoable change."""
    before = lib.state(keep)
    merged = lib.merge_papers(keep, other)
    return StateChange((before,), (lib.state(keep),), merged=merged)


def _undo_states(lib: Library, change: StateChange) -> StateChange:
    wanted: list[PaperState] = []
    for before, after in zip(change.before, change.after, strict=True):
        if before.key not in lib:
            continue
        current = lib.state(before.key)
        fields: dict[str, Any] = {}
        for value, at in _FIELD_GROUPS:
            if getattr(before, value) != getattr(after, value) and getattr(current, value) == getattr(after, value):
                fields[value] = getattr(before, value)
                fields[at] = getattr(before, at)
        if fields:
            wanted.append(replace(current, **fields))
    return lib.put_states(wanted)


@dataclass(frozen=True, slots=True)
class SearchHits:
    text: str
    keys: AbstractSet[str] | None  # None: the text has no words, so nothing is filtered


def search(lib: Library, text: str) -> SearchHits:
    with gc_paused():  # tens of thousands of keys come back as new strings: no collector passes meanwhile
        return SearchHits(text, lib.search(text))


@dataclass(frozen=True)
class SearchHead:
    """The newest matches of a search, found in milliseconds while its whole result takes longer."""

    text: str
    # (key, date), newest first, of every paper: the list keeps its own rows of them (it holds papers its view no
    # longer would: Inbox keeps those read since it was listed). Every match dated on or after the last is here.
    newest: Sequence[tuple[str, str]]


def search_head(lib: Library, text: str) -> SearchHead | None:
    found = lib.newest_matches(text, limit=SEARCH_HEAD, fewest=SEARCH_HEAD_WORTH)
    return None if found is None else SearchHead(text, found)


def prepare_search(lib: Library) -> int:
    """Bring the catalog and its search index up to date, a slice at a time (the window submits this again
    while it returns papers still to index, so no other job waits long). Returns how many are left."""
    lib.text_budget = SEARCH_SLICE  # a keystroke's search spends at most this catching up, too
    lib.sync_search_index(budget=SEARCH_SLICE)
    return lib.not_searchable


def prepare_search_keys(lib: Library) -> bool:
    """After the index: the catalog's map of ids to keys, a slice at a time (the window submits this again until
    it returns True), so the first keystroke at 1,000,000 papers does not wait a second for the whole map."""
    return lib.prepare_search_keys(budget=SEARCH_SLICE)


SEARCH_SLICE = 0.2  # seconds of index building per turn on the library thread
SEARCH_HEAD = 150  # the newest matches shown first: five screens of the list, 2-6 ms of the catalog at 1,000,000
# Matches in the view from which the head is worth showing: the whole result of fewer comes within a few frames
# (the library thread reads about a microsecond per match of the whole library, the list places each hit), and
# the head would cost it a second reset and paint of the list. (Measured at 1,000,000 papers: 20,000 was too many.)
SEARCH_HEAD_WORTH = 5_000
