"""The list of papers: a table view that keeps the user's place when the rows under it change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QByteArray, QItemSelection, QItemSelectionModel, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QFocusEvent, QKeyEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QAbstractScrollArea, QHeaderView, QMenu, QTableView, QWidget

from readinglist.ui.paper_model import (
    COL_AUTHORS,
    COL_DATE,
    COL_SOURCE,
    COL_STAR,
    COL_TITLE,
    PaperTableModel,
)

DEFAULT_WIDTHS = {COL_STAR: 30, COL_AUTHORS: 130, COL_SOURCE: 100, COL_DATE: 92}
CHOOSABLE = (COL_AUTHORS, COL_SOURCE, COL_DATE)  # the title and the star are always shown


class PaperListView(QTableView):
    open_requested = Signal()  # Enter on a row, or a double click
    star_clicked = Signal(str)  # a click in the star column: the paper's key

    def __init__(self, model: PaperTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paperList")
        self.setModel(model)
        self.empty_text = ""
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Shift/Ctrl-click and Shift+arrows select several papers, for Copy BibTeX, export, star and mark read; J, K,
        # N and a plain click select one, so reading one paper at a time is as before.
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setAlternatingRowColors(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setTabKeyNavigation(False)
        rows = self.verticalHeader()
        rows.hide()
        # Fixed heights: the view never measures 100,000 rows, and a row's place is row × height.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionsMovable(True)
        header.setFirstSectionMovable(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_STAR, QHeaderView.ResizeMode.Fixed)
        header.setMinimumSectionSize(28)
        for column, width in DEFAULT_WIDTHS.items():
            header.resizeSection(column, width)
        header.setSortIndicator(COL_DATE, Qt.SortOrder.DescendingOrder)
        # Right-click the header: which columns to show (kept with the widths and order in window.ini).
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self.setSortingEnabled(True)
        # (connected after sorting was enabled: Qt's own slot sorts first, then this one sees the new order)
        header.sortIndicatorChanged.connect(self._keep_current_in_sight)
        self.doubleClicked.connect(lambda _index: self.open_requested.emit())
        self.clicked.connect(self._on_clicked)

    def restore_header(self, state: QByteArray) -> None:
        """The columns as the user left them (widths, order, hidden ones), with the title still the one that
        stretches: a layout saved by an older version must not leave it at a fixed width."""
        header = self.horizontalHeader()
        header.restoreState(state)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_STAR, QHeaderView.ResizeMode.Fixed)
        header.setSectionHidden(COL_TITLE, False)
        header.setSectionHidden(COL_STAR, False)

    def column_actions(self) -> list[QAction]:
        """A checkable action per column that can be hidden."""
        header = self.horizontalHeader()
        model = self.model()
        actions = []
        for column in CHOOSABLE:
            action = QAction(str(model.headerData(column, Qt.Orientation.Horizontal)), self, checkable=True)
            action.setChecked(not header.isSectionHidden(column))
            action.toggled.connect(lambda on, c=column: header.setSectionHidden(c, not on))
            actions.append(action)
        return actions

    def _header_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        menu.addSection("Columns")
        for action in self.column_actions():
            menu.addAction(action)
        menu.exec(self.horizontalHeader().mapToGlobal(pos))

    def paper_model(self) -> PaperTableModel:
        model = self.model()
        assert isinstance(model, PaperTableModel)
        return model

    def current_row(self) -> int | None:
        index = self.currentIndex()
        return index.row() if index.isValid() else None

    def current_key(self) -> str | None:
        row = self.current_row()
        return None if row is None else self.paper_model().key_at(row)

    def selected_keys(self) -> list[str]:
        """The selected papers in list order; the current paper when no row is selected."""
        model = self.paper_model()
        keys = model.keys_at(sorted({i.row() for i in self.selectionModel().selectedRows()}))
        if not keys and (current := self.current_key()) is not None:
            keys = [current]
        return keys

    def has_several_selected(self) -> bool:
        ranges = self.selectionModel().selection().toList()
        return len(ranges) > 1 or (len(ranges) == 1 and ranges[0].height() > 1)

    def _select_keys(self, keys: list[str]) -> None:
        """Select these papers (those still listed), as few ranges as they make, keeping the current one."""
        model = self.paper_model()
        rows = sorted(r for k in keys if (r := model.row_of(k)) is not None)
        selection = QItemSelection()
        last = model.columnCount() - 1
        start: int | None = None
        prev = -1
        for row in [*rows, None]:
            if start is not None and (row is None or row != prev + 1):
                selection.select(model.index(start, 0), model.index(prev, last))
                start = None
            if row is not None and start is None:
                start = row
            if row is not None:
                prev = row
        self.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def select_row(self, row: int) -> None:
        """Make `row` current and selected, and scroll just enough to show it."""
        model = self.paper_model()
        if not 0 <= row < model.rowCount():
            return
        index = model.index(row, COL_TITLE)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.selectionModel().setCurrentIndex(index, flags)
        self.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def reselect(self, current: str | None, selected: list[str]) -> int | None:
        """Make `current` the current paper again and select `selected` (those listed), without scrolling;
        returns the current paper's row, if it is listed."""
        model = self.paper_model()
        bar = self.verticalScrollBar()
        at = bar.value()
        current_row = model.row_of(current) if current is not None else None
        if current_row is not None:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.selectionModel().setCurrentIndex(model.index(current_row, COL_TITLE), flags)
        if selected:
            self._select_keys(selected)
        bar.setValue(at)  # (a new current row scrolls the view to it: the list stays where the user had it)
        return current_row

    @contextmanager
    def keeping_position(self) -> Iterator[None]:
        """Around a change of rows: the same papers stay selected and the same paper stays at the top."""
        model = self.paper_model()
        current = self.current_key()
        selected = self.selected_keys() if self.has_several_selected() else []
        top = self.rowAt(0)
        top_key = model.key_at(top) if top >= 0 else None
        offset = self.rowViewportPosition(top) if top >= 0 else 0
        yield
        self.updateGeometries()  # the scroll range must fit the new rows before the position is set
        current_row = self.reselect(current, selected)
        top_row = model.row_of(top_key) if top_key is not None else None
        if top_row is not None:
            self.verticalScrollBar().setValue(top_row * self.verticalHeader().defaultSectionSize() - offset)
        elif current_row is not None:
            self.scrollTo(model.index(current_row, COL_TITLE), QAbstractItemView.ScrollHint.PositionAtCenter)
        else:
            self.scrollToTop()

    def _keep_current_in_sight(self, *_sort: object) -> None:
        """After a click on a column: the paper being read stays on screen (a sort moves it anywhere among
        100,000 rows, and the list kept its scroll position, not the paper), centred when it had to move."""
        index = self.currentIndex()
        if index.isValid() and not self.viewport().rect().intersects(self.visualRect(index)):
            self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def focusInEvent(self, event: QFocusEvent) -> None:
        if self.currentIndex().isValid():
            super().focusInEvent(event)
            return
        # Qt makes the first row current when an item view gets focus: that would open (and mark read) a paper
        # the user never chose. With no current paper, the list only takes focus; J or N starts reading.
        QAbstractScrollArea.focusInEvent(self, event)
        self.viewport().update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.paper_model().rowCount() or not self.empty_text:
            return
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        rect = self.viewport().rect().adjusted(24, 24, -24, -24)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)
        painter.end()

    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid() and index.column() == COL_STAR:
            self.star_clicked.emit(self.paper_model().key_at(index.row()))
