"""The paper list: a table model over the rows of one view, sorted and narrowed by search in Python.

At 100,000 rows a QSortFilterProxyModel calls `data()` once per row to sort (17.7 s by title, FIELD-NOTES); a
Python sort of the row list takes a few hundredths of a second. So the model holds the view's rows in the current
order (`_all`) and the rows shown (`_rows`: `_all` narrowed by the search), and nothing else stands between it and
the view. A state change redraws one row; only a different set of rows resets the model.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from itertools import compress
from operator import attrgetter, itemgetter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

from readinglist.core.duplicates import SamePaper
from readinglist.ui.elide import TITLE_SHOWN, shown, shown_part
from readinglist.ui.library_jobs import DEFAULT_STATE, PaperRow, RowState
from readinglist.ui.list_orders import Order, OrderMaker

COL_STAR, COL_TITLE, COL_AUTHORS, COL_SOURCE, COL_DATE = range(5)
COLUMN_COUNT = 5
HEADERS = ("★", "Title", "Authors", "Source", "Date")
HEADER_TIPS = ("Starred (S)", "Title", "First authors", "The feed the paper came from", "Published, else first seen")

KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # the paper key (str)
ROW_ROLE = Qt.ItemDataRole.UserRole + 2  # the PaperRow
STATE_ROLE = Qt.ItemDataRole.UserRole + 3  # the RowState

STAR_COLOR = QColor(0xE0, 0x9B, 0x00)  # reads on light and dark backgrounds alike
HIGHLIGHT_COLOR = QColor(0xFF, 0xC8, 0x00, 0x48)  # a highlight rule's mark: a wash of yellow, light and dark alike
RELEASE_AFTER_MS = 250  # the rows of a view left are freed this long after: once the new one is drawn
RELEASE_PIECE = 10_000  # rows (or states) freed per turn of the event loop, about 2 ms
FEW_HITS = 10  # a search with under a tenth of the view's rows as hits places them, rather than walk every row
ORDERS_AFTER_MS = 1000  # the orders a header click may ask for are made this long after the view's rows came
ASKED_ROWS = 256  # rows remembered by key, of those the window asked about
ROWS_FOR_ONE_SIGNAL = 64  # above this many changed rows, one dataChanged over their span beats one per row

Index = QModelIndex | QPersistentModelIndex


def short_authors(authors: Iterable[str], first: int = 3) -> str:
    """ "Vaswani, Shazeer, Parmar et al.": surnames of the first authors, as a list column can hold them."""
    authors = list(authors)
    names = []
    for name in authors[:first]:
        name = name.strip()
        if "et al" in name:  # some journals give one string: "A. Smith et al."
            return name
        surname = name.split(",")[0] if "," in name else name.rsplit(" ", 1)[-1]
        names.append(surname)
    text = ", ".join(names)
    return text + " et al." if len(authors) > first else text


_first = itemgetter(0)
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.AccessibleTextRole,
        KEY_ROLE,
        ROW_ROLE,
        STATE_ROLE,
    }
)


_date_key = attrgetter("sort_date")  # models.date_of of the row, worked out with it on the library thread
_title_key = attrgetter("sort_title")


def _first_not_before(
    rows: Sequence[PaperRow], value: Any, key: Callable[[PaperRow], Any], descending: bool, *, or_equal: bool
) -> int:
    """The first of `rows` (sorted by `key`, descending or not) that does not come before `value` (with
    `or_equal`, that comes after it): a bisection."""
    low, high = 0, len(rows)
    while low < high:
        middle = (low + high) // 2
        here = key(rows[middle])
        before = here > value if descending else here < value
        if before or (or_equal and here == value):
            low = middle + 1
        else:
            high = middle
    return low


AS_RANKED = -1  # the "sort column" of a ranked view (For you, Trending, More like this): the view's own order


def _refs_when_alone() -> int:
    """What `sys.getrefcount` says, in `_free_released`, of a list only `_released` holds (the interpreter's
    own count of the call and the local varies between Python versions: measured the same way, not assumed)."""
    released: list[object] = [[0]]
    held = released[-1]
    return sys.getrefcount(held)


_REFS_WHEN_ALONE = _refs_when_alone()


class PaperTableModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ordered_as: tuple[int, Qt.SortOrder] | None = None  # the order `_all` is in (None: not known)
        self._all: list[PaperRow] = []  # the view's rows, in the current order
        self._rows: list[PaperRow] = []  # the rows shown: `_all` narrowed by the search (the same list if none)
        self._states: dict[str, RowState] = {}  # only papers with some state; the rest are DEFAULT_STATE
        self._hits: AbstractSet[str] | None = None
        self._head_only = False  # the rows shown are the head of a search's result while the rest is found
        self._feed_names: Mapping[str, str] = {}
        self._sort_column = COL_DATE
        self._sort_order = Qt.SortOrder.DescendingOrder
        self._all_keys: list[str] = []  # the keys of `_all`, in its order: narrowing and lookups run in C over these
        self._keys: list[str] = []  # the keys of `_rows`
        self._index: dict[str, int] | None = None  # key -> row in `_rows`, built when many lookups come at once
        self._asked_rows: dict[str, int] = {}  # key -> row in `_rows` when last asked (may be stale: checked)
        self._place: dict[str, int] | None = None  # key -> position in `_all`, built at the first narrow search
        self._rank: dict[str, int] = {}  # key -> place in a ranked view's own order
        self._why: Mapping[str, tuple[str, ...]] = {}  # key -> why the view ranks it there, in words
        self._highlighted: AbstractSet[str] = frozenset()  # papers a highlight rule marks
        self._muted_by: Mapping[str, str] = {}  # muted paper -> the rule that muted it, by name
        self._same: Mapping[str, SamePaper] = {}  # paper -> a record that looks like the same paper
        self._released: list[object] = []  # the lists of the rows last shown, until RELEASE_AFTER_MS
        # The view's rows newest first, as the library thread sorted them (None: not known). Sorting by date
        # again is that list itself, and by another column one sort of it instead of two (date, then the column).
        self._newest_first: list[PaperRow] | None = None
        self._newest_first_keys: list[str] | None = None  # its keys
        # The orders of those rows a click on a column header may ask for, made ahead on a thread of their own
        # (`list_orders`): (column, descending) -> the rows and keys in that order. A click swaps one in.
        self._made: dict[tuple[int, bool], Order] = {}
        self._wanted: list[tuple[int, bool]] = [(COL_TITLE, False), (COL_TITLE, True)]  # + every order asked for
        self._orders = OrderMaker(self._order_made)
        self._orders_after = QTimer(self)
        self._orders_after.setSingleShot(True)
        self._orders_after.setInterval(ORDERS_AFTER_MS)
        self._orders_after.timeout.connect(self._make_orders)
        self._bold = QFont()
        self._bold.setBold(True)

    # ---- Qt's model interface -------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else COLUMN_COUNT

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called some thousand times per paint, mostly for roles this model does not answer: those leave first.
        if role not in _ROLES or not index.isValid():
            return None
        row = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_TITLE:
                return shown_part(row.title, TITLE_SHOWN)
            if col == COL_STAR:
                return "★" if self._state(row.key).starred else "☆"
            if col == COL_AUTHORS:
                return shown(short_authors(row.authors))
            if col == COL_SOURCE:
                return shown(self._feed_names.get(row.source, row.source))
            return row.date
        if role == Qt.ItemDataRole.FontRole:
            return None if self._state(row.key).read else self._bold
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == COL_STAR:
                if self._state(row.key).starred:
                    return STAR_COLOR
                return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
            if self._state(row.key).muted:  # muted by a rule: listed (a feed, a search), but greyed
                return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return HIGHLIGHT_COLOR if row.key in self._highlighted else None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_STAR, COL_DATE):
            return int(Qt.AlignmentFlag.AlignCenter if col == COL_STAR else Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_TITLE:
                why = self._why.get(row.key)
                tip = shown_part(row.title, TITLE_SHOWN)
                if row.key in self._muted_by:
                    tip += f"\n\nMuted by rule “{shown(self._muted_by[row.key])}”"
                return f"{tip}\n\nWhy: {shown(', '.join(why))}" if why else tip
            if col == COL_AUTHORS and row.authors:
                return shown(", ".join(row.authors))
            if col == COL_SOURCE and row.feeds:
                return "\n".join(self.feed_labels(row))
            if col == COL_STAR:
                return "Starred" if self._state(row.key).starred else "Not starred (S to star)"
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            state = self._state(row.key)
            if col == COL_STAR:
                return "starred" if state.starred else "not starred"
            if col == COL_TITLE:
                return row.title if state.read else f"unread: {row.title}"
            return None
        if role == KEY_ROLE:
            return row.key
        if role == ROW_ROLE:
            return row
        if role == STATE_ROLE:
            return self._state(row.key)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < COLUMN_COUNT:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < COLUMN_COUNT and column != AS_RANKED:
            return
        if (column, order) == self._ordered_as and column != COL_STAR:
            return  # in that order already (Qt's `sortByColumn` asks twice); stars may have changed since
        self._sort_column, self._sort_order = column, order
        self._resort()
        newest_first = column == COL_DATE and order == Qt.SortOrder.DescendingOrder  # (the view's own order)
        if column not in (COL_STAR, AS_RANKED) and not newest_first and (column, False) not in self._wanted:
            # A column sorted once is likely sorted again, or the other way: its orders are made from now on.
            self._wanted += [(column, False), (column, True)]
            self._make_orders()

    def _resort(self) -> None:
        """Put `_all` (and the rows shown) in the current order."""
        self._ordered_as = (self._sort_column, self._sort_order)
        if not self._all:
            return
        self._relayout(*self._sorted_all())

    def _relayout(self, rows: list[PaperRow], keys: list[str] | None) -> None:
        """The same rows in a new order (`keys`: theirs, when known); the rows the search shows sorted alike. The
        persistent indexes (selection, current) move with their rows."""
        # No arguments: PySide6 6.12 crashes converting a parents list and sort hint passed from Python.
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        held = [(self._rows[p.row()], p.column()) for p in persistent]
        self._release_later(self._all, self._all_keys, self._rows, self._keys)
        self._all = rows
        self._all_keys = keys if keys is not None else list(map(_first, rows))
        self._place = self._index = None
        if self._hits is None:
            self._rows, self._keys = self._all, self._all_keys
        else:
            self._sort_rows(self._rows)
            self._keys = list(map(_first, self._rows))
        places: dict[str, int] = {}
        for row, _col in held:
            if row.key not in places:
                places[row.key] = self._place_of(row) or 0  # (once per selected paper, not per cell)
        self.changePersistentIndexList(persistent, [self.index(places[row.key], col) for row, col in held])
        self.layoutChanged.emit()

    # ---- what the window asks ------------------------------------------------------------------------------

    @property
    def sort_column(self) -> int:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order

    @property
    def view_size(self) -> int:
        """Papers in the view before the search narrows it."""
        return len(self._all)

    @property
    def searching(self) -> bool:
        return self._hits is not None

    @property
    def showing_head(self) -> bool:
        """The rows shown are the newest of a search's matches, and the whole result is still to come."""
        return self._head_only

    def row_of(self, key: str) -> int | None:
        if self._index is not None:
            return self._index.get(key)
        # The papers the window acts on (a star, a read, the current row kept) are those it asked about: their
        # rows are remembered, and checked, since the list may have changed since. A look along every key is a
        # cache miss per row: tens of milliseconds for a row half a million down a list sorted by title.
        keys, row = self._keys, self._asked_rows.get(key)
        if row is not None and 0 <= row < len(keys) and keys[row] == key:
            return row
        try:
            row = keys.index(key)  # one lookup: a scan in C beats building a dict of every row
        except ValueError:
            return None
        self._remember(key, row)
        return row

    def _remember(self, key: str, row: int) -> None:
        asked = self._asked_rows
        if len(asked) >= ASKED_ROWS:
            asked.clear()
        asked[key] = row

    def _place_of(self, row: PaperRow) -> int | None:
        """Where this row is among the rows shown, found by the order they are in: a bisection by the sort key to
        the rows that sort equal to it, then a look along those. (A look along every key is a cache miss per
        row: 67 ms for the current row of 1,000,000 after a sort.)"""
        column = self._sort_column
        if column in (COL_STAR, AS_RANKED):
            return self.row_of(row.key)
        rows, sort_key = self._rows, self._order_key(column)
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        value = sort_key(row)
        low = _first_not_before(rows, value, sort_key, descending, or_equal=False)
        high = _first_not_before(rows, value, sort_key, descending, or_equal=True)
        try:
            return self._keys.index(row.key, low, high)
        except ValueError:  # (not where its key says: look everywhere)
            return self.row_of(row.key)

    def key_at(self, row: int) -> str:
        self._orders.touch()  # (the window acts on a paper: the orders made ahead give way a moment)
        key = self._rows[row].key
        self._remember(key, row)
        return key

    def keys_at(self, rows: Iterable[int]) -> list[str]:
        """The keys of these rows (a selection of many: neither remembered nor a pause of the orders each)."""
        self._orders.touch()
        return list(map(self._keys.__getitem__, rows))

    def row_at(self, row: int) -> PaperRow:
        self._orders.touch()
        found = self._rows[row]
        self._remember(found.key, row)
        return found

    def feed_labels(self, row: PaperRow) -> list[str]:
        """The names of the feeds a paper came from."""
        return [self._feed_names.get(f, f) for f in row.feeds]

    def state(self, key: str) -> RowState:
        return self._states.get(key, DEFAULT_STATE)

    _state = state

    def shown_keys(self) -> list[str]:
        return list(self._keys)

    def find(self, start: int, step: int, test: Callable[[PaperRow, RowState], bool]) -> int | None:
        """The first row from `start` (included) going by `step` whose paper passes `test`."""
        row = start
        while 0 <= row < len(self._rows):
            r = self._rows[row]
            if test(r, self._states.get(r.key, DEFAULT_STATE)):
                return row
            row += step
        return None

    # ---- changes -------------------------------------------------------------------------------------------

    def muted_by(self, key: str) -> str:
        """The name of the rule that muted this paper ("" when none did, or the view does not know)."""
        return self._muted_by.get(key, "") if self._state(key).muted else ""

    def same_paper(self, key: str) -> SamePaper | None:
        return self._same.get(key)

    def set_same(self, same: Mapping[str, SamePaper]) -> None:
        """The listed papers that look like another record, known after the rows (`library_jobs.same_in_view`)."""
        self._same = same

    def highlighted(self, key: str) -> bool:
        return key in self._highlighted

    def why(self, key: str) -> tuple[str, ...]:
        """Why a ranked view put this paper where it is, if it says."""
        return self._why.get(key, ())

    def set_rows(
        self,
        rows: list[PaperRow],
        states: Mapping[str, RowState],
        feed_names: Mapping[str, str] | None = None,
        *,
        ranked: bool = False,
        why: Mapping[str, tuple[str, ...]] | None = None,
        highlighted: AbstractSet[str] = frozenset(),
        muted_by: Mapping[str, str] | None = None,
        same: Mapping[str, SamePaper] | None = None,
        newest_first: bool = False,
        keys: list[str] | None = None,
        handed_over: bool = False,
    ) -> None:
        """Show a view's rows. The same papers again (a reload) keep their places; different ones reset.
        `feed_names`: subscription id -> name, for the source column. `ranked`: the rows come best first, and are
        shown in that order (until a column header is clicked); `why`: each one's reason, in words.
        `newest_first`: the rows come sorted by date, newest first (`library_jobs.view_rows` sorts them so on the
        library thread): the list in its default order shows them as they are, with no sort here. `keys`: the
        rows' keys, in their order, when the caller has them. `handed_over`: the lists and the states are the
        model's from now on (fresh from the library thread, never used again by the caller), kept, not copied:
        at a million papers each copy is a few to tens of milliseconds of the GUI thread."""
        self._feed_names = feed_names or {}
        self._rank = {r.key: i for i, r in enumerate(rows)} if ranked else {}
        self._why = why or {}
        self._highlighted = highlighted
        self._muted_by = muted_by or {}
        self._same = same or {}
        if ranked:
            self._sort_column = AS_RANKED
        elif self._sort_column == AS_RANKED:
            self._sort_column, self._sort_order = COL_DATE, Qt.SortOrder.DescendingOrder
        given = rows if handed_over else list(rows)
        made = [part for m in self._made.values() for part in (m.rows, m.keys)]
        self._release_later(self._newest_first, self._states, *made)  # (freed after the next paint, not now)
        self._newest_first = given if newest_first and not ranked else None  # (never changed in place)
        self._made = {}
        self._ordered_as = None
        if keys is None or len(keys) != len(rows):
            keys = list(map(_first, rows))
        self._newest_first_keys = keys if self._newest_first is not None else None
        # Made once the view has settled, not at once: at a million rows the making, sharing the GIL with the
        # library thread reading the next view's rows, made a view switch 1.3 s -> 4 s in the window benchmark.
        self._orders.cancel()
        self._orders_after.start()
        if self._all and len(rows) == len(self._all) and (keys == self._all_keys or set(keys) == set(self._all_keys)):
            fresh = dict(zip(keys, rows, strict=True))
            self._all[:] = map(fresh.__getitem__, self._all_keys)
            if self._rows is not self._all:
                self._rows[:] = map(fresh.__getitem__, self._keys)
            self._states = states if handed_over and isinstance(states, dict) else dict(states)
            if self._rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, COLUMN_COUNT - 1))
            self._resort()  # a new title may move a row; the set stays
            return
        self.beginResetModel()
        self._release_later(self._all, self._rows, self._keys, self._all_keys)
        # (`_all` may be the newest-first list itself: a sort never changes that in place, it makes a new one)
        self._all = given
        self._states = states if handed_over and isinstance(states, dict) else dict(states)
        self._ordered_as = (self._sort_column, self._sort_order)
        if ranked or (newest_first and self._in_default_order()):
            self._all_keys = keys  # (ranked: the rows come in the order of their ranks already)
        else:
            self._all, made_keys = self._sorted_all()
            self._all_keys = made_keys if made_keys is not None else list(map(_first, self._all))
        self._place = None
        self._narrow()
        self.endResetModel()

    def set_search_hits(self, hits: AbstractSet[str] | None) -> None:
        """Narrow the view to these keys (None: show the whole view). The set changes, so the model resets."""
        self._orders.touch()
        if hits is None and self._hits is None:
            return
        self.beginResetModel()
        self._release_later(self._rows, self._keys, self._hits)
        self._hits = hits
        self._head_only = False
        self._narrow()
        self.endResetModel()

    def show_head_of_search(self, newest: Sequence[tuple[str, str]]) -> bool:
        """While a search's whole result is being found: of `newest`, the newest matches with their dates (every
        match dated on or after the last of them is among them), those the list holds, so the rows shown are
        the first rows the whole result will show, in a few milliseconds at 1,000,000 papers. Only in
        the view's default order, newest first (in another the head lies elsewhere). False: nothing to show,
        the list is as it was."""
        self._orders.touch()
        if not newest or not self._in_default_order() or self._all is not self._newest_first:
            return False
        places = self._places_by_date(newest)
        if not places:
            return False
        places.sort()
        self.beginResetModel()
        self._release_later(self._rows, self._keys, self._hits)
        self._hits = frozenset(key for key, _date in newest)
        self._head_only = True
        self._index = None
        self._rows = list(map(self._all.__getitem__, places))
        self._keys = list(map(self._all_keys.__getitem__, places))
        self.endResetModel()
        return True

    def _places_by_date(self, dated: Iterable[tuple[str, str]]) -> list[int]:
        """Where these papers are in `_all`, newest first, found by their dates: a bisection to the rows of that
        date, then a look along those in C (a few hundred papers among 1,000,000 rows in a millisecond or two,
        where a walk of every row takes tens). Papers not in the view are left out."""
        rows, keys = self._all, self._all_keys
        spans: dict[str, tuple[int, int]] = {}
        places: list[int] = []
        for key, date in dated:
            span = spans.get(date)
            if span is None:
                span = spans[date] = (
                    _first_not_before(rows, date, _date_key, True, or_equal=False),
                    _first_not_before(rows, date, _date_key, True, or_equal=True),
                )
            try:
                places.append(keys.index(key, *span))
            except ValueError:
                continue  # (not in this view)
        return places

    def set_states(self, states: Mapping[str, RowState]) -> None:
        """The user's state on these papers changed: redraw their rows, and nothing else."""
        self._orders.touch()
        if len(states) > ROWS_FOR_ONE_SIGNAL and self._index is None:
            self._index = dict(zip(self._keys, range(len(self._keys)), strict=True))
        changed: list[int] = []
        for key, state in states.items():
            if self._states.get(key, DEFAULT_STATE) == state:
                continue
            if state == DEFAULT_STATE:
                self._states.pop(key, None)
            else:
                self._states[key] = state
            row = self.row_of(key)
            if row is not None:
                changed.append(row)
        if not changed:
            return
        last = COLUMN_COUNT - 1
        if len(changed) > ROWS_FOR_ONE_SIGNAL:
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), last))
            return
        for row in changed:
            self.dataChanged.emit(self.index(row, 0), self.index(row, last))

    # ---- helpers -------------------------------------------------------------------------------------------

    def _release_later(self, *held: object) -> None:
        """Free what the list showed a moment later, not now: the rows of a view of 100,000 papers take 20 ms to
        free, which would delay the drawing of the next one."""
        if not self._released:
            QTimer.singleShot(RELEASE_AFTER_MS, self._free_released)
        self._released.extend(held)

    def _shown_now(self) -> tuple[object, ...]:
        return (self._all, self._rows, self._keys, self._all_keys, self._newest_first, self._newest_first_keys)

    def _free_released(self) -> None:
        """Free the released lists a piece at a time, with a turn of the event loop between pieces: the rows of a
        view of 1,000,000 papers took 170 ms to free at once, a stall of the list a moment after a switch. A list
        or dict something else still holds is only let go, never emptied."""
        released, budget = self._released, RELEASE_PIECE
        while released and budget > 0:
            held = released[-1]
            size = len(held) if isinstance(held, list | dict) else 1
            alone = sys.getrefcount(held) <= _REFS_WHEN_ALONE and all(held is not s for s in self._shown_now())
            if size > budget and alone:
                if isinstance(held, list):
                    del held[-budget:]
                elif isinstance(held, dict):
                    for _ in range(budget):
                        held.popitem()
                break
            released.pop()
            del held
            budget -= size
        if released:
            QTimer.singleShot(0, self._free_released)

    def _narrow(self) -> None:
        """`_rows` from `_all` and the search hits, on every search keystroke. Few hits (a word typed whole) are
        placed by their positions in the view (13 ms for 1,000 hits among 100,000 rows by a walk of every row,
        about 1 ms this way; the positions are made once per view and order); many hits, by a walk."""
        self._index = None
        hits = self._hits
        if hits is None:
            self._rows, self._keys = self._all, self._all_keys
            return
        if len(hits) * FEW_HITS < len(self._all_keys):
            place = self._place
            if place is None:
                place = self._place = dict(zip(self._all_keys, range(len(self._all_keys)), strict=True))
            at = sorted([i for i in map(place.get, hits) if i is not None])
            self._rows = list(map(self._all.__getitem__, at))
            self._keys = list(map(self._all_keys.__getitem__, at))
            return
        mask = list(map(hits.__contains__, self._all_keys))
        self._rows = list(compress(self._all, mask))
        self._keys = list(compress(self._all_keys, mask))

    def _in_default_order(self) -> bool:
        return self._sort_column == COL_DATE and self._sort_order == Qt.SortOrder.DescendingOrder

    def _sorted_all(self) -> tuple[list[PaperRow], list[str] | None]:
        """`_all` in the current order, and its keys when known. From the rows newest first when the view gave
        them so: by date that is that list, by another column an order made ahead (`_make_orders`) or else one
        stable sort of it (newest first among equals, as `_sort_rows` does in two; a sort of 100,000 rows by
        title is 60-90 ms of the GUI thread)."""
        base = self._newest_first
        column = self._sort_column
        if base is None or column == AS_RANKED:
            rows = list(self._all)  # (a new list: the rows shown stay as they are until the relayout)
            self._sort_rows(rows)
            return rows, None
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        if column == COL_DATE and descending:
            return base, self._newest_first_keys  # (a reload gives a new one before it changes `_all` in place)
        made = self._made.get((column, descending))
        if made is not None:
            return made.rows, made.keys  # (never changed in place either: a reload drops it first)
        rows = list(base)
        rows.sort(key=self._order_key(column), reverse=descending)
        return rows, None

    def _order_key(self, column: int) -> Callable[[PaperRow], Any]:
        """What the rows newest first are sorted by, stably, for this column (by date: ascending only)."""
        return _date_key if column == COL_DATE else self._column_key(column)

    def _make_orders(self) -> None:
        """Have the orders wanted made ahead from the rows newest first (not by stars, which change under it)."""
        base, keys = self._newest_first, self._newest_first_keys
        if base is None or keys is None:
            self._orders.cancel()
            return
        sort_keys: dict[int, Callable[[PaperRow], Any]] = {}  # one per column: both ways share its keys
        wanted = [
            ((column, descending), sort_keys.setdefault(column, self._order_key(column)), descending)
            for column, descending in self._wanted
            if (column, descending) not in self._made and (column, descending) != (COL_DATE, True)
        ]
        self._orders.make(base, keys, wanted)

    def _order_made(self, made: Order) -> None:
        if made.base is self._newest_first and isinstance(made.name, tuple):
            self._made[made.name] = made
            # Kept as long as the view, as its rows are (`library_jobs.view_rows`): out of the collector's young
            # passes, each of which would walk the million references of a new list.
            gc.freeze()

    @property
    def making_orders(self) -> bool:
        """The orders a click on a header may ask for are being made (tests and benchmarks wait on it)."""
        return self._orders.busy or self._orders_after.isActive()

    def close(self) -> None:
        """The window closes: stop making orders."""
        self._orders_after.stop()
        self._orders.close()

    def _column_key(self, column: int) -> Callable[[PaperRow], Any]:
        if column == COL_TITLE:
            return _title_key
        if column == COL_AUTHORS:
            return lambda r: short_authors(r.authors, 1).casefold()
        if column == COL_SOURCE:
            names = self._feed_names
            return lambda r: names.get(r.source, r.source).casefold()
        states = self._states
        return lambda r: r.key in states and states[r.key].starred  # starred first when descending

    def _sort_rows(self, rows: list[PaperRow]) -> None:
        column = self._sort_column
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        if column == AS_RANKED:
            rank, last = self._rank, len(self._rank)
            rows.sort(key=lambda r: rank.get(r.key, last))  # (a paper kept in view while read goes last)
            return
        if column == COL_DATE:
            rows.sort(key=_date_key, reverse=descending)
            return
        # Newest first among equals: sort by date, then (stable) by the column.
        rows.sort(key=_date_key, reverse=True)
        rows.sort(key=self._column_key(column), reverse=descending)
