"""The sidebar: smart views, feeds and tags with their counts, as a two-level tree model (section, entry).

Feeds come by group: a group's heading is an entry that cannot be selected, followed by its feeds. A feed whose
last refresh failed carries a warning mark and says why when hovered (the refresh controller's errors)."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QGuiApplication, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from readinglist.core.models import ListFilter
from readinglist.ui.elide import shown
from readinglist.ui.library_jobs import INBOX, VIEW_LABELS, Selection, SidebarCounts

COL_NAME, COL_COUNT = range(2)
SELECTION_ROLE = Qt.ItemDataRole.UserRole + 1  # the Selection of an entry; None for a section
GROUP_ROLE = Qt.ItemDataRole.UserRole + 2  # a group heading's group

VIEW_ORDER = (
    ListFilter.UNREAD,
    ListFilter.FOR_YOU,
    ListFilter.TODAY,
    ListFilter.TRENDING,
    ListFilter.STARRED,
    ListFilter.LATER,
    ListFilter.FOLLOWING,
    ListFilter.NOTED,
    ListFilter.UPDATED,
    ListFilter.ALL,
    ListFilter.READ,
    ListFilter.MUTED,
)
VIEW_TIPS = {
    ListFilter.UNREAD: "Papers you have not read yet",
    ListFilter.FOR_YOU: (
        "Unread papers you have not starred, best first by the ones you star, note or tag (X: not interested)"
    ),
    ListFilter.TRENDING: "Papers with upvotes or comments, or brought by several of your feeds, newest signal first",
    ListFilter.TODAY: "Papers first seen in the last 24 hours",
    ListFilter.STARRED: "Papers you starred",
    ListFilter.NOTED: "Papers you wrote a note on",
    ListFilter.UPDATED: "Papers with a new version since you read them",
    ListFilter.ALL: "Every paper in the library",
    ListFilter.READ: "Papers you have read",
    ListFilter.LATER: "Papers you put aside to read later (W), the first queued first",
    ListFilter.FOLLOWING: "Papers by the authors you follow (the count: unread ones). Follow an author from a paper",
    ListFilter.MUTED: "Papers your mute rules keep out of Inbox, For you, Today and Trending (Edit ▸ Rules…)",
}
SECTIONS = ("Views", "Feeds", "Tags")
EMPTY_TEXT = ("", "No feeds yet", "No tags yet")
COUNTING_TEXT = ("", "Counting…", "Counting…")  # before the first counts (the library still opening)
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class Entry:
    selection: Selection | None  # None: the placeholder of an empty section, or a group's heading
    label: str
    count: int
    tip: str
    error: str = ""  # a feed whose last refresh failed: why
    heading: bool = False  # a group of feeds: not selectable, its feeds follow it
    in_group: bool = False  # a feed under a group's heading: set in a little from it
    group: str = ""  # a heading's group (collapsed and expanded by a click)


def _feed_entries(
    counts: SidebarCounts, errors: Mapping[str, str], collapsed: AbstractSet[str] = frozenset()
) -> list[Entry]:
    """The feeds, each group's under its heading with the group's unread count (feeds in no group first, with
    none); a collapsed group shows its heading only."""
    out: list[Entry] = []
    group = ""
    unread_in: dict[str, int] = {}
    for source, _name, unread in counts.feeds:
        g = counts.groups.get(source, "")
        unread_in[g] = unread_in.get(g, 0) + unread
    for source, name, unread in counts.feeds:
        feed_group = counts.groups.get(source, "")
        if feed_group != group:
            group = feed_group
            closed = feed_group in collapsed
            mark = "▸ " if closed else "▾ "
            action = "show" if closed else "hide"
            tip = f"The feeds in {feed_group}: {unread_in[feed_group]:,} unread (click to {action} them)"
            out.append(
                Entry(None, mark + feed_group.replace("/", " › "), unread_in[feed_group], tip, heading=True,
                      group=feed_group)
            )  # fmt: skip
        if feed_group and feed_group in collapsed:
            continue
        error = errors.get(source, "")
        tip = f"{name}: {unread:,} unread"
        if error:
            tip += f"\nThe last refresh failed: {error}"
        out.append(Entry(Selection("feed", source), name, unread, tip, error, in_group=bool(feed_group)))
    return out


def _entries(
    counts: SidebarCounts | None,
    errors: Mapping[str, str] | None = None,
    collapsed: AbstractSet[str] = frozenset(),
) -> tuple[list[Entry], list[Entry], list[Entry]]:
    views = [
        Entry(
            Selection("view", f.value),
            VIEW_LABELS[f],
            counts.views.get(f.value, 0) if counts else 0,
            VIEW_TIPS[f],
        )
        for f in VIEW_ORDER
    ]
    feeds = _feed_entries(counts, errors or {}, collapsed) if counts else []
    tags = [
        Entry(Selection("tag", name), name, n, f"{n} papers tagged {name}")
        for name, n in (counts.tags if counts else ())
    ]
    return views, feeds, tags


class SidebarModel(QAbstractItemModel):
    """Top-level rows are the sections; their children the entries. An entry's internal id is its section + 1."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sections: tuple[list[Entry], ...] = _entries(None)
        self._counts: SidebarCounts | None = None
        self._errors: dict[str, str] = {}
        self.collapsed: set[str] = set()  # groups of feeds shown as their heading only
        self._error_icon: QIcon | None = None
        self._blank: QIcon | None = None
        self._section_font = QFont()
        self._section_font.setBold(True)
        self._section_font.setPointSizeF(self._section_font.pointSizeF() * 0.85)
        self._group_font = QFont()
        self._group_font.setPointSizeF(self._group_font.pointSizeF() * 0.9)
        self._group_font.setItalic(True)

    # ---- Qt's model interface -------------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: Index) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(int(index.internalId()) - 1, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(SECTIONS)
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        return max(1, len(self._sections[parent.row()]))  # an empty section shows its placeholder

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 2

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        entry = self._entry(index)
        if entry is None or entry.selection is None:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self._entry(index)
        col = index.column()
        if entry is None:  # a section header
            if role == Qt.ItemDataRole.DisplayRole and col == COL_NAME:
                return SECTIONS[index.row()].upper()
            if role == Qt.ItemDataRole.FontRole:
                return self._section_font
            if role == Qt.ItemDataRole.ForegroundRole:
                return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
            return None
        if entry.selection is None:  # the placeholder of an empty section, or a group of feeds
            if role == Qt.ItemDataRole.DisplayRole and col == COL_NAME:
                return shown(entry.label)
            if role == Qt.ItemDataRole.ForegroundRole:
                return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
            if role == Qt.ItemDataRole.FontRole and entry.heading:
                return self._group_font
            if role == Qt.ItemDataRole.ToolTipRole and entry.heading:
                return entry.tip
            if role == Qt.ItemDataRole.DisplayRole and col == COL_COUNT and entry.heading and entry.count:
                return f"{entry.count:,}"
            if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_COUNT:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if role == GROUP_ROLE and entry.heading:
                return entry.group
            return None
        if col == COL_NAME and role == Qt.ItemDataRole.DecorationRole:
            # The mark of a failed refresh; a blank of its size sets a group's feeds in under the heading.
            if entry.error:
                return self._warning_icon()
            return self._blank_icon() if entry.in_group else None
        if entry.error and col == COL_NAME and role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return f"The last refresh failed: {entry.error}"
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_NAME:
                return shown(entry.label)
            return f"{entry.count:,}" if entry.count else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.tip
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_COUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_COUNT:
            return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.FontRole and col == COL_COUNT and entry.selection == INBOX:
            font = QFont()
            font.setBold(entry.count > 0)
            return font
        if role == SELECTION_ROLE:
            return entry.selection
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 2:
            return ("Name", "Papers")[section]
        return None

    # ---- what the window asks ------------------------------------------------------------------------------

    @property
    def counts(self) -> SidebarCounts | None:
        return self._counts

    def set_counts(self, counts: SidebarCounts) -> None:
        """New counts. The same entries: their count cells redraw. A feed or tag came or went: the model resets."""
        self._counts = counts
        self._show(_entries(counts, self._errors, self.collapsed))

    def set_feed_errors(self, errors: Mapping[str, str]) -> None:
        """Feed id -> why its last refresh failed, for every feed that failed: those get a warning mark and say why
        when hovered; the others lose theirs."""
        self._errors = dict(errors)
        self._show(_entries(self._counts, self._errors, self.collapsed))

    def toggle_group(self, group: str) -> None:
        """Collapse a group of feeds to its heading (with its unread count), or show its feeds again."""
        self.collapsed ^= {group}
        self._show(_entries(self._counts, self._errors, self.collapsed))

    def feed_error(self, source: str) -> str:
        return self._errors.get(source, "")

    def _show(self, sections: tuple[list[Entry], list[Entry], list[Entry]]) -> None:
        same = all(
            [e.selection for e in old] == [e.selection for e in new]
            for old, new in zip(self._sections, sections, strict=True)
        )
        if not same:
            self.beginResetModel()
            self._sections = sections
            self.endResetModel()
            return
        old_sections, self._sections = self._sections, sections
        for s, (old, new) in enumerate(zip(old_sections, sections, strict=True)):
            for row, (a, b) in enumerate(zip(old, new, strict=True)):
                if a != b:
                    parent = self.index(s, 0)
                    self.dataChanged.emit(self.index(row, COL_NAME, parent), self.index(row, COL_COUNT, parent))

    def index_of(self, selection: Selection) -> QModelIndex:
        for s, entries in enumerate(self._sections):
            for row, entry in enumerate(entries):
                if entry.selection == selection:
                    return self.index(row, COL_NAME, self.index(s, 0))
        return QModelIndex()

    def selections(self) -> list[Selection]:
        """Every selectable entry, top to bottom."""
        return [e.selection for entries in self._sections for e in entries if e.selection is not None]

    # ---- helpers -------------------------------------------------------------------------------------------

    def _blank_icon(self) -> QIcon:
        if self._blank is None:
            pixmap = QPixmap(16, 16)
            pixmap.fill(Qt.GlobalColor.transparent)
            self._blank = QIcon(pixmap)
        return self._blank

    def _warning_icon(self) -> QIcon:
        if self._error_icon is None:
            self._error_icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return self._error_icon

    def _entry(self, index: Index) -> Entry | None:
        section = int(index.internalId())
        if section == 0:
            return None
        entries = self._sections[section - 1]
        if not entries:
            text = EMPTY_TEXT if self._counts is not None else COUNTING_TEXT
            return Entry(None, text[section - 1], 0, "")
        return entries[index.row()]
