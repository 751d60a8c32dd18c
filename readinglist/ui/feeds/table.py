"""The subscriptions as a table model: by group, with status, unread counts and the last error."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
)

from readinglist.core.feeds import (
    FeedListing,
)
from readinglist.ui.feeds.words import Index, ago, kind_label, local_time, status_text
from readinglist.ui.refresh_jobs import error_sentence

COL_GROUP, COL_NAME, COL_KIND, COL_STATUS, COL_LAST_SUCCESS, COL_UNREAD, COL_LAST_ERROR = range(7)
COLUMN_COUNT = 7
HEADERS = ("Group", "Name", "Kind", "Status", "Last success", "Unread", "Last error")
HEADER_TIPS = (
    "The folder the feed is in (nested with /)",
    "The feed's name in the sidebar",
    "What the address is",
    "How the last try went",
    "When the feed was last read without a problem",
    "Unread papers from this feed",
    "What went wrong the last time, if it did",
)
LISTING_ROLE = Qt.ItemDataRole.UserRole + 1  # the FeedListing of a row
FEED_ID_ROLE = Qt.ItemDataRole.UserRole + 2

# ---- the table ----------------------------------------------------------------------------------------------


class FeedTableModel(QAbstractTableModel):
    """The subscriptions, by group then name (the registry's order), one row per feed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[FeedListing] = []
        self._now = datetime.now(UTC)
        self._bold = QFont()
        self._bold.setBold(True)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else COLUMN_COUNT

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        feed = item.feed
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_GROUP:
                return feed.group
            if col == COL_NAME:
                return feed.name
            if col == COL_KIND:
                return kind_label(feed)
            if col == COL_STATUS:
                return status_text(item, self._now)
            if col == COL_LAST_SUCCESS:
                return ago(feed.last_success, self._now)
            if col == COL_UNREAD:
                return f"{item.unread:,}" if item.unread else ""
            return error_sentence(feed)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_NAME:
                return f"{feed.name}\n{feed.url}"
            if col == COL_LAST_SUCCESS:
                return local_time(feed.last_success)
            if col in (COL_STATUS, COL_LAST_ERROR) and feed.last_error:
                failures = f" ({feed.failures} tries in a row)" if feed.failures > 1 else ""
                return f"{error_sentence(feed)}{failures}"
            if col == COL_UNREAD:
                return f"{item.unread:,} unread of {item.papers:,} papers"
            return None
        if role == Qt.ItemDataRole.DecorationRole and col == COL_STATUS and feed.last_error:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.ForegroundRole and col in (COL_GROUP, COL_KIND, COL_LAST_SUCCESS, COL_LAST_ERROR):
            return QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.FontRole and col == COL_UNREAD and item.unread:
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_UNREAD:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == LISTING_ROLE:
            return item
        if role == FEED_ID_ROLE:
            return feed.id
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < COLUMN_COUNT:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
        return None

    # ---- what the dialog asks ----------------------------------------------------------------------------------

    def set_listings(self, listings: Sequence[FeedListing]) -> None:
        """The same feeds in the same order: only the rows that changed redraw. Otherwise the model resets."""
        self._now = datetime.now(UTC)
        new = list(listings)
        if [r.feed.id for r in new] != [r.feed.id for r in self._rows]:
            self.beginResetModel()
            self._rows = new
            self.endResetModel()
            return
        old, self._rows = self._rows, new
        for row, (a, b) in enumerate(zip(old, new, strict=True)):
            if a != b:
                self.dataChanged.emit(self.index(row, 0), self.index(row, COLUMN_COUNT - 1))

    def listing_at(self, row: int) -> FeedListing:
        return self._rows[row]

    def row_of(self, feed_id: str) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.feed.id == feed_id), None)

    def listings(self) -> list[FeedListing]:
        return list(self._rows)

    def groups(self) -> list[str]:
        return sorted({r.feed.group for r in self._rows if r.feed.group}, key=str.casefold)
