"""The main window: sidebar, paper list and paper pane, wired to the library thread.

Reading goes one way: the library thread sends plain rows and counts, the window shows them. Changing goes the
other: the window shows the change at once (optimistic), then asks the library thread to make it durable; the
answer confirms it, or, if the write failed, puts the old state back and says why in the status bar.

Its size (about 900 lines): it is the wiring of the window's areas, which each live in their own module (the list
in paper_list/paper_model, the sidebar in sidebar_model, the pane in paper_view, changes and undo in
state_writes, feeds in feeds/, refresh in refresh_controller, exports in export_actions). What stays here is one
method per action of the `shortcuts.ACTIONS` table and the answers the library thread sends; split further, an
action would live away from the window state it reads.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QSignalBlocker, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QIcon, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from readinglist import __version__
from readinglist.app import App
from readinglist.core.digest import Arrival, arrival
from readinglist.core.duplicates import SamePaper
from readinglist.core.errors import ReadingListError
from readinglist.core.library import Library
from readinglist.core.models import ListFilter, StateChange
from readinglist.core.search import query_words
from readinglist.core.taste import MIN_EVIDENCE
from readinglist.ui import library_jobs as jobs
from readinglist.ui import rules_jobs
from readinglist.ui.digest_dialog import DigestDialog
from readinglist.ui.elide import shown_part
from readinglist.ui.errors import error_text
from readinglist.ui.export_actions import ExportActions
from readinglist.ui.library_jobs import FOR_YOU, PaperRow, RowState, Selection, SidebarCounts, SidebarTracker, ViewRows
from readinglist.ui.links import open_in_browser
from readinglist.ui.notify import Notifier
from readinglist.ui.paper_list import PaperListView
from readinglist.ui.paper_model import COL_DATE, COL_TITLE, PaperTableModel
from readinglist.ui.paper_view import PaperPane
from readinglist.ui.preferences import PreferencesDialog
from readinglist.ui.refresh_controller import RefreshController, RefreshDone, RefreshStatus
from readinglist.ui.rules_dialog import RulesDialog, mute_like
from readinglist.ui.settings import MarkReadMode, WindowSettings, mark_read_labels
from readinglist.ui.shortcuts import ACTIONS, MENUS, ShortcutSheet, make_actions, sheet_html
from readinglist.ui.sidebar_model import COL_COUNT, COL_NAME, GROUP_ROLE, SELECTION_ROLE, VIEW_ORDER, SidebarModel
from readinglist.ui.state_writes import StateWrites
from readinglist.ui.timers import single_shot_timer
from readinglist.ui.tray import Tray
from readinglist.ui.welcome import WelcomeView
from readinglist.ui.worker import LibraryWorker

if TYPE_CHECKING:
    from readinglist.ui.feeds.dialog import FeedsDialog

APP_TITLE = "Reading List"
CONFIRM_MARK_ALL_ABOVE = 50
FIRST_PAINT_GRACE_MS = 100  # the first view is drawn before the sidebar is counted
SEARCH_MIN_PREFIX = 3  # a word being typed is searched from its third letter (see _search_query)
SEARCH_HEAD_FROM = 50_000  # papers in a view from which a search shows its newest matches first
PAGE_OPENING, PAGE_WELCOME, PAGE_MAIN = range(3)
FOLLOW_MS = 1000  # how often the window looks for other processes' commits
SEPARATE_BEFORE = frozenset({"import_opml", "load_sample", "quit", "copy_bibtex", "next", "star", "mark_all_read"})
EMPTY_VIEW_TEXT = {
    ListFilter.UNREAD.value: "Nothing unread. Well done.",
    ListFilter.TODAY.value: "No new papers in the last 24 hours.",
    ListFilter.STARRED.value: "No starred papers yet. Press S on a paper to star it.",
    ListFilter.NOTED.value: "No notes yet. Press E on a paper to write one.",
    ListFilter.UPDATED.value: "No paper has a new version since you read it.",
    ListFilter.READ.value: "Nothing read yet.",
    ListFilter.FOR_YOU.value: "Nothing unread for you. Well done.",
    ListFilter.TRENDING.value: (
        "Nothing trending yet: papers show here when a feed carries upvotes or comments (the Hugging Face daily "
        "papers do), or when several of your feeds bring the same paper."
    ),
}
RERANK_DELAY_MS = 800
RANKED_PAGE = 300  # a ranked view's first papers get their why-words with the view (library_jobs.WHY_LISTED)


def _resolved(lib: Library, text: str) -> str | None:
    try:
        return lib.resolve(text)
    except ReadingListError:
        return None


def _search_query(text: str, *, final: bool) -> str:
    """The words to search for while the user types.

    A word still being typed (the last one, with no space after it) counts from its third letter: one or two
    letters as a prefix match nearly every paper, which tells the user nothing and costs a full scan of the index
    (a third of a second at 100,000 papers). A space or Enter makes any word count.
    """
    words = query_words(text)
    if words and not final and not text[-1:].isspace() and len(words[-1]) < SEARCH_MIN_PREFIX:
        words = words[:-1]
    return " ".join(words)


class RoomyDelegate(QStyledItemDelegate):
    """Sidebar rows a little taller than a plain list's: easier to aim at, calmer to read."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + 6)


class MainWindow(QMainWindow):
    view_loaded = Signal(str)  # the list shows the rows of this view (Selection text)
    search_applied = Signal(str)  # the list shows the papers matching this query ("" for no search)
    fatal_error = Signal(str)  # the library cannot be opened; the message is worded for the user

    def __init__(self, app: App, *, icon: QIcon | None = None, load_sample: bool = False) -> None:
        """`load_sample`: an empty library gets the bundled sample papers (loaded on the library thread) instead
        of the welcome view, for `readinglist --sample`."""
        super().__init__()
        self.app = app
        self._load_sample_if_empty = load_sample
        self.settings = WindowSettings(app.data_dir)
        self.worker = LibraryWorker(lambda: jobs.open_library(app), self)
        self._tracker = SidebarTracker()  # lives on the library thread: only jobs call it
        self._row_cache = jobs.RowCache()  # the same
        self._selection = Selection.from_text(self.settings.selection())
        self._shown_selection: Selection | None = None
        self._restore_key: str | None = self.settings.current_key() or None
        self._view_complete = True  # False while the list holds only the first screen, before the library opened
        self._not_opening: str | None = None  # the paper being shown again on start: not marked read by that
        self._view_serial = 0
        self._search_wanted = ""
        self._search_applied = ""
        self._search_busy = False
        self._search_head_shown: str | None = None  # the text whose newest matches the list shows, whole to come
        # The paper being read and the papers selected when a head of matches left them out: the whole result
        # gives them back (an older paper being read stays in the pane meanwhile).
        self._head_left_out: tuple[str | None, list[str]] | None = None
        self._search_indexing = False  # a first build of the search index is under way (in slices)
        self._counts: SidebarCounts | None = None
        self._mark_read = self.settings.mark_read()
        self._syncing_sidebar = False
        self._closed = False
        self._sheet: ShortcutSheet | None = None
        self._relevance = False  # every view best first by the user's taste (View > Sort by Relevance)
        self._similar_to = ""  # the title of the paper a More like this view started from
        self._ranking: jobs.Ranking | None = None  # how the view shown was ranked, if it was

        self.setWindowTitle(APP_TITLE)
        # A fixed minimum: left to the layouts, it changes as pages switch, and every change is a round trip
        # to the window system (and a warning from the offscreen platform the tests run on).
        self.setMinimumSize(760, 480)
        if icon is not None:
            self.setWindowIcon(icon)
        self.actions_by_name = make_actions(self)
        self._build_ui(icon)
        self.writes = StateWrites(self.worker, self._tracker, self.model.state, self._title_of, self)
        self.writes.undone.connect(self._bring_into_view)
        self.writes.states_changed.connect(self._show_states)
        self.writes.counts_changed.connect(self._set_counts)
        self.writes.undo_changed.connect(self._sync_actions)
        self.writes.message.connect(self.statusBar().showMessage)
        self.writes.rules_changed.connect(self.reload_view)
        self.rules_dialog: RulesDialog | None = None
        self._hidden_muted = 0
        self._triage_key: str | None = None  # the paper being read when a search began
        self._then_first_unread = False  # N went on to the next feed: its first unread paper, once it is shown
        self._following_author: bool | None = None  # an author's view: whether the user follows them
        self._build_feeds_and_export()
        self._build_desktop(icon)
        self._build_menus()
        self._read_timer = single_shot_timer(self, self.settings.mark_read_delay_ms(), self._read_timer_fired)
        # A star or a "not interested" changes the user's taste: a view ranked by it is ranked again shortly after
        # the last such change (off the GUI thread; the list keeps its place and the paper being read).
        self._rerank_timer = single_shot_timer(self, RERANK_DELAY_MS, self._rerank)
        # Other processes write to the same library (the command line, a scheduled refresh): look for their
        # commits this often. A look is one read of the manifest; only changed parts are read.
        self._follow_timer = QTimer(self)
        self._follow_timer.setInterval(FOLLOW_MS)
        self._follow_timer.timeout.connect(self._follow)
        self._following = False
        self._read_timer_key: str | None = None
        self._restore_window()
        self._sync_actions()

        self.worker.opened.connect(self._library_opened)
        self.worker.open_failed.connect(self._library_failed)
        self.worker.job_failed.connect(self._job_failed)
        if self.model.sort_column == COL_DATE and self.model.sort_order == Qt.SortOrder.DescendingOrder:
            # The first screen from the catalog while the library opens (half a minute at 1,000,000 papers): the
            # list is there at once, and a star or a mark made meanwhile is written once the library is open.
            data_dir, selection, serial = app.data_dir, self._selection, self._view_serial
            self.worker.submit_unopened(
                lambda: jobs.first_screen(data_dir, selection),
                lambda view: self._first_screen(serial, view),
                label="show the first papers",
            )
        self.worker.start()

    # ---- building ------------------------------------------------------------------------------------------

    def _build_ui(self, icon: QIcon | None) -> None:
        a = self.actions_by_name
        self.sidebar_model = SidebarModel(self)
        self.sidebar = QTreeView()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setModel(self.sidebar_model)
        self.sidebar.setHeaderHidden(True)
        self.sidebar.setRootIsDecorated(False)
        self.sidebar.setItemsExpandable(False)
        self.sidebar.setIndentation(10)
        self.sidebar.setUniformRowHeights(True)
        self.sidebar.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.sidebar.setFrameShape(QFrame.Shape.NoFrame)
        # A source list: the window's colour behind it (following light and dark), a little air between entries.
        self.sidebar.viewport().setBackgroundRole(QPalette.ColorRole.Window)
        self.sidebar.setItemDelegate(RoomyDelegate(self.sidebar))
        self.sidebar.header().setStretchLastSection(False)
        self.sidebar.header().setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        self.sidebar.header().setSectionResizeMode(COL_COUNT, QHeaderView.ResizeMode.ResizeToContents)
        self.sidebar.expandAll()
        self.sidebar.selectionModel().currentChanged.connect(self._sidebar_changed)
        self.sidebar.clicked.connect(self._sidebar_clicked)
        self.sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.sidebar.customContextMenuRequested.connect(self._sidebar_menu)
        self.sidebar_model.modelReset.connect(self._sidebar_reset)

        self.model = PaperTableModel(self)
        self.list = PaperListView(self.model)
        self.list.selectionModel().currentRowChanged.connect(self._current_changed)
        self.list.open_requested.connect(self.action_open)
        self.list.star_clicked.connect(self._toggle_star)

        self.view_title = QLabel()
        self.view_title.setObjectName("viewTitle")
        font = self.view_title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.view_title.setFont(font)
        self.view_count = QLabel()
        self.view_count.setObjectName("viewCount")
        self.view_count.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search this view: title, authors, abstract, note   ( / )")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search_edited)
        self.search.returnPressed.connect(self._search_entered)

        heading = QHBoxLayout()
        heading.setContentsMargins(0, 0, 0, 0)
        heading.addWidget(self.view_title)
        heading.addSpacing(8)
        heading.addWidget(self.view_count, 0, Qt.AlignmentFlag.AlignBaseline)
        heading.addStretch(1)
        # What a ranked view needs said: too little evidence yet, and what to do about it.
        self.view_notice = QLabel()
        self.view_notice.setObjectName("viewNotice")
        self.view_notice.setWordWrap(True)
        self.view_notice.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.view_notice.setTextFormat(Qt.TextFormat.RichText)
        self.view_notice.linkActivated.connect(self._notice_link)
        self.view_notice.hide()
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(8, 8, 0, 0)
        middle_layout.setSpacing(6)
        middle_layout.addLayout(heading)
        middle_layout.addWidget(self.view_notice)
        middle_layout.addWidget(self.search)
        middle_layout.addWidget(self.list, 1)

        self.pane = PaperPane([a["star"], a["toggle_read"], a["edit_note"], a["tag"], a["open"], a["open_pdf"]])
        self.pane.author_clicked.connect(lambda name: self.show_view(Selection("author", name)))
        self.pane.merge_requested.connect(self.merge_papers)
        self.pane.note_edited.connect(self._save_note)
        self.pane.tags_added.connect(self._add_tags)
        self.pane.tag_removed.connect(self._remove_tag)
        self.pane.done_tagging.connect(self._focus_list)
        self.pane.notes.editing_stopped.connect(self._sync_actions)

        self.main_split = QSplitter(Qt.Orientation.Horizontal)
        self.main_split.setObjectName("mainSplitter")
        self.main_split.addWidget(self.sidebar)
        self.main_split.addWidget(middle)
        self.main_split.addWidget(self.pane)
        self.main_split.setStretchFactor(0, 0)
        self.main_split.setStretchFactor(1, 3)
        self.main_split.setStretchFactor(2, 2)
        self.main_split.setSizes([210, 670, 400])  # room for feed names

        self.welcome = WelcomeView(self._welcome_actions(), icon)
        self.opening = QLabel("Opening the library…")
        self.opening.setObjectName("openingMessage")
        self.opening.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.opening.setWordWrap(True)
        self.opening.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.opening)
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.main_split)
        self.setCentralWidget(self.stack)
        self.statusBar().setSizeGripEnabled(True)

    def _welcome_actions(self) -> list[QAction]:
        a = self.actions_by_name
        return [a["add_feed"], a["import_opml"], a["load_sample"]]

    def _build_feeds_and_export(self) -> None:
        """Refresh (Ctrl+R and the schedule) with its status-bar part, the feeds dialog (made when first asked
        for), and the Export menu with the copy actions."""
        app = self.app
        self.refresh = RefreshController(self.worker, app.credentials, parent=self)
        self.refresh_status = RefreshStatus(self.refresh)
        self.statusBar().addPermanentWidget(self.refresh_status)
        self.refresh.message.connect(self.statusBar().showMessage)
        self.refresh.papers_changed.connect(self._feeds_brought_papers)
        self.refresh.feed_errors_changed.connect(self.sidebar_model.set_feed_errors)
        self.refresh.feed_errors_changed.connect(lambda _errors: self._update_view_header())
        self.refresh.finished.connect(self._refresh_finished)
        self.refresh.started.connect(self._refresh_started)
        self.feeds_dialog: FeedsDialog | None = None
        a = self.actions_by_name
        self.exports = ExportActions(
            self.worker,
            window=self,
            view_keys=self.model.shown_keys,
            selected_keys=self.selected_keys,
            view_name=lambda: self._label(self._selection),
            copy_actions=(a["copy_bibtex"], a["copy_citation"]),
            before=self.pane.flush,
            citation_style=self.settings.citation_style,
        )
        self.exports.message.connect(self.statusBar().showMessage)
        # Whether exports carry the notes is kept (Preferences, or the Export menu's own toggle).
        self.exports.include_notes_action.setChecked(self.settings.export_notes())
        self.exports.include_notes_action.toggled.connect(self._export_notes_toggled)

    def _build_desktop(self, icon: QIcon | None) -> None:
        """The tray icon (where the desktop has a tray, and the user wants it) and the notifications."""
        self.tray: Tray | None = None
        if icon is not None and Tray.available() and self.settings.tray():
            self.tray = Tray(icon, self)
            self.tray.show_requested.connect(self.bring_to_front)
            self.tray.for_you_requested.connect(self.show_for_you)
            self.tray.refresh_requested.connect(self.action_refresh)
            self.tray.quit_requested.connect(self.quit_for_good)
            self.tray.set_visible(True)
        self.notifier = Notifier(self.tray.icon if self.tray is not None else None, self)
        self.notifier.clicked.connect(self.show_for_you)
        self._quitting = False

    def show_for_you(self) -> None:
        """A notification or the tray's menu asks for the window on For you."""
        self.bring_to_front()
        self.show_view(FOR_YOU)

    def quit_for_good(self) -> None:
        self._quitting = True
        self.close()

    def _notify_arrivals(self, done: RefreshDone) -> None:
        """One notification for a refresh that brought papers (from feeds that notify), none when nothing is new."""
        if done.summary is None or not done.summary.new_papers or not self.settings.notifications():
            return
        results = [(r.feed_id, r.new) for r in done.summary.results if r.new]

        def job(lib: Library) -> Arrival:
            quiet = {f.id for f in lib.feeds.feeds() if not f.notify}
            keys = [k for feed_id, new in results if feed_id not in quiet for k in new]
            return arrival(lib, keys)

        def done_(news: Arrival) -> None:
            if news.new:
                self.notifier.notify(news.summary, news.body)

        self.worker.submit(job, done_, label="count the new papers")

    def _citation_style_menu(self) -> QMenu:
        """Copy Citation's style, the last one chosen kept (window.ini)."""
        from readinglist.core.export.styles import STYLES

        menu = QMenu("Citation St&yle", self)
        group = QActionGroup(self)
        current = self.settings.citation_style()
        self.citation_style_actions: dict[str, QAction] = {}
        for style, name in STYLES.items():
            action = QAction(name, self, checkable=True)
            action.setObjectName(f"action_citation_{style}")
            action.setChecked(style == current)
            action.triggered.connect(lambda _=False, s=style: self._set_citation_style(s))
            group.addAction(action)
            menu.addAction(action)
            self.citation_style_actions[style] = action
        return menu

    def _export_notes_toggled(self, on: bool) -> None:
        self.settings.set_export_notes(on)
        self.settings.sync()

    def _set_citation_style(self, style: str) -> None:
        self.settings.set_citation_style(style)
        self.settings.sync()

    def _build_menus(self) -> None:
        menus = {name: self.menuBar().addMenu(f"&{name}") for name in MENUS}
        previous_menu = ""
        for spec in ACTIONS:
            action = self.actions_by_name[spec.name]
            menu = menus[spec.menu]
            if spec.menu == previous_menu and spec.name in SEPARATE_BEFORE:
                menu.addSeparator()
            previous_menu = spec.menu
            menu.addAction(action)
            self.addAction(action)  # shortcuts work even while the menu bar is hidden (a Mac-less offscreen run)
            action.triggered.connect(getattr(self, f"action_{spec.name}"))
            if spec.name == "export_opml":
                self.export_menu = self.exports.build_menu(self)
                menu.addMenu(self.export_menu)
            if spec.name == "copy_citation":
                menu.addMenu(self._citation_style_menu())
        # The list's own menu: what acts on the papers under the pointer.
        a = self.actions_by_name
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        separator = QAction(self)
        separator.setSeparator(True)
        separators = []
        for _ in range(2):
            line = QAction(self)
            line.setSeparator(True)
            separators.append(line)
        self.list.addActions(
            [a["star"], a["toggle_read"], a["read_later"], a["dismiss"], separator, a["tag"], a["edit_note"],
             a["open"], a["open_pdf"], separators[0], a["copy_bibtex"], a["copy_citation"], a["copy_link"],
             a["copy_id"], separators[1],
             a["more_like_this"], a["mute_like_this"]]
        )  # fmt: skip
        # The views, one key each, in the sidebar's order.
        go = menus["Go"]
        go.addSeparator()
        self.view_actions: list[QAction] = []
        for n, view in enumerate(VIEW_ORDER, start=1):
            selection = Selection("view", view.value)
            action = QAction(selection.label, self)
            action.setObjectName(f"action_view_{view.value}")
            if n <= 9:
                action.setShortcut(QKeySequence(f"Ctrl+{n}"))
            action.triggered.connect(lambda _=False, s=selection: self.show_view(s))
            go.addAction(action)
            self.addAction(action)
            self.view_actions.append(action)
        # How opening a paper marks it read.
        view_menu = menus["View"]
        submenu = view_menu.addMenu("Mark as Read When &Opened")
        group = QActionGroup(self)
        self.mark_read_actions: dict[MarkReadMode, QAction] = {}
        for mode, label in mark_read_labels(self.settings.mark_read_delay_ms()).items():
            action = QAction(label, self, checkable=True)
            action.setObjectName(f"action_mark_read_{mode.value}")
            action.setChecked(mode == self._mark_read)
            action.triggered.connect(lambda _=False, m=mode: self.set_mark_read_mode(m))
            group.addAction(action)
            submenu.addAction(action)
            self.mark_read_actions[mode] = action

    # ---- settings ------------------------------------------------------------------------------------------

    def _restore_window(self) -> None:
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        main = self.settings.splitter("main")
        if main is not None:
            self.main_split.restoreState(main)
        pane = self.settings.splitter("pane")
        if pane is not None:
            self.pane.splitter.restoreState(pane)
        header = self.settings.header()
        if header is not None:
            self.list.restore_header(header)
        column, order = self.settings.sort()
        if column >= 0:
            self.list.sortByColumn(column, order)

    def _save_settings(self) -> None:
        self.settings.save_window(
            geometry=self.saveGeometry(),
            splitters={"main": self.main_split.saveState(), "pane": self.pane.splitter.saveState()},
            header=self.list.horizontalHeader().saveState(),
        )
        self.settings.save_place(
            selection=self._selection.to_text(),
            current_key=self.pane.key or self._restore_key,
            sort=(self.model.sort_column, self.model.sort_order),
        )
        self.settings.sync()

    def set_mark_read_mode(self, mode: MarkReadMode) -> None:
        self._mark_read = mode
        self.mark_read_actions[mode].setChecked(True)
        self.settings.set_mark_read(mode)
        self._read_timer.stop()

    @property
    def view_complete(self) -> bool:
        """False while the list holds only the first screen of the view, read before the library opened."""
        return self._view_complete

    @property
    def mark_read_mode(self) -> MarkReadMode:
        return self._mark_read

    # ---- the library thread's answers ----------------------------------------------------------------------

    def _first_screen(self, serial: int, view: ViewRows | None) -> None:
        if view is None or self._closed or serial != self._view_serial:
            return
        self._select_in_sidebar(view.selection)
        self.view_title.setText(self._label(view.selection))
        self._view_rows_loaded(serial, view)
        self.statusBar().showMessage(f"Opening the library: {view.library_size:,} papers…")

    def _library_opened(self, papers: int) -> None:
        if self.statusBar().currentMessage().startswith("Opening the library"):
            self.statusBar().clearMessage()
        self._load_view(self._selection)
        self._follow_timer.start()

    def _follow(self) -> None:
        """Another process may have written (a CLI star, an import, a cron refresh): catch up, one look at a time."""
        if self._following or self._closed:
            return
        self._following = True
        tracker = self._tracker

        def done(followed: jobs.Followed | None) -> None:
            self._following = False
            if followed is None or self._closed:
                return
            self._set_counts(followed.counts)
            # Views chosen by state (Starred, With notes, a tag...) may gain or lose papers: those are read again.
            by_state = self._selection.kind == "tag" or (
                self._selection.kind == "view" and self._selection.name not in ("all", "unread", "today")
            )
            if followed.states is not None and not by_state:
                # Only stars, marks, notes or tags changed (a command's `star`): redraw those rows, as for our
                # own changes; a paper with a change of ours still in flight keeps ours.
                self._show_states({k: s for k, s in followed.states.items() if k not in self.writes.pending})
            else:
                self.reload_view()  # keeping the user's place, as after a refresh
            if followed.feeds_changed:
                self.refresh.load_errors()
                if self.feeds_dialog is not None and self.feeds_dialog.isVisible():
                    self.feeds_dialog.reload()

        def failed(exc: BaseException) -> None:
            self._following = False
            self.statusBar().showMessage(f"Could not read another process's changes: {error_text(exc)}", 8000)

        self.worker.submit(lambda lib: jobs.follow(lib, tracker), done, failed=failed, label="follow the library")

    def _after_first_view(self) -> None:
        # After the list is on screen, not before: at 100,000 papers a full count is half a second of Python on the
        # library thread, and it would take turns at the GIL with the first sort and paint of the list.
        self._refresh_counts()
        # The search index catches up with the library now, not on the first keystroke.
        self._prepare_search()
        self.refresh.load_errors()  # the feeds that failed last time show it from the start
        self.refresh.start_schedule()

    def _prepare_search(self) -> None:
        """The catalog's catch-up in slices (a first build after a large import takes a while): each slice is a
        job of its own, so a star or a keystroke never waits behind the whole build."""

        def done(left: int) -> None:
            if left:
                self.statusBar().showMessage(
                    f"Indexing for search: {left:,} papers to go; searches meanwhile find the others", 4000
                )
                QTimer.singleShot(0, self._prepare_search)
            else:
                if self._search_indexing:
                    self.statusBar().showMessage("Search index ready", 3000)
                self._prepare_search_keys()
            self._search_indexing = bool(left)

        self.worker.submit(jobs.prepare_search, done, label="prepare search")

    def _prepare_search_keys(self) -> None:
        """Then what every search reads its matches' keys through, in slices of their own too."""

        def done(ready: bool) -> None:
            if not ready:
                QTimer.singleShot(0, self._prepare_search_keys)

        self.worker.submit(jobs.prepare_search_keys, done, label="prepare search keys")

    def _library_failed(self, exc: BaseException) -> None:
        message = error_text(exc)
        self.opening.setText(f"The library could not be opened.\n\n{message}")
        # The first screen, read from the catalog meanwhile, goes: what the user sees is why it cannot open.
        self._view_serial += 1
        self.model.set_rows([], {})
        self.stack.setCurrentIndex(PAGE_OPENING)
        self.statusBar().clearMessage()
        self.fatal_error.emit(message)

    def _job_failed(self, label: str, exc: BaseException) -> None:
        self.statusBar().showMessage(f"Could not {label}: {error_text(exc)}")

    # ---- views ---------------------------------------------------------------------------------------------

    @property
    def selection(self) -> Selection:
        return self._selection

    def show_view(self, selection: Selection) -> None:
        if selection != self._selection or self._shown_selection != selection:
            self._load_view(selection)

    def reload_view(self) -> None:
        """Fetch the current view again, keeping the user's place (after an import, or a refresh in phase 2)."""
        self._load_view(self._selection)

    def _load_view(self, selection: Selection) -> None:
        self._view_serial += 1
        serial = self._view_serial
        self._selection = selection
        self._select_in_sidebar(selection)
        self.view_title.setText(self._label(selection))
        # Reloading the view on screen (a refresh brought papers) must not take away the paper being read, even if
        # it no longer belongs (read in the Inbox): it stays listed until the user moves on.
        keep = self.pane.key if selection == self._shown_selection else None
        relevance = self._relevance
        self.worker.submit(
            lambda lib: jobs.view_rows(lib, selection, keep=keep, relevance=relevance, cache=self._row_cache),
            lambda rows: self._view_rows_loaded(serial, rows),
            label="load the list",
        )

    def _view_rows_loaded(self, serial: int, view: ViewRows) -> None:
        if serial != self._view_serial:
            return  # the user has moved on to another view meanwhile
        if view.library_size == 0 and not view.feed_names:  # nothing at all: the welcome view
            if self._load_sample_if_empty:
                self._load_sample_if_empty = False
                self.action_load_sample()
                return
            self.stack.setCurrentIndex(PAGE_WELCOME)
            self._shown_selection = None
            self.model.set_rows([], {})
            self._sync_actions()
            return
        first = self.stack.currentIndex() != PAGE_MAIN
        self.stack.setCurrentIndex(PAGE_MAIN)
        same = view.selection == self._shown_selection
        self._view_complete = view.complete
        # Changes still on their way to the disk are newer than this answer: keep showing them. (A copy only
        # then: the model keeps its own, and the states of a million-paper view are half a million.)
        states: Mapping[str, RowState] = view.states
        kept = {k: self.model.state(k) for k in self.writes.pending if self.model.row_of(k) is not None}
        if kept:
            states = {**view.states, **kept}
        ranking = view.ranking
        ranked = ranking is not None and ranking.enough
        self._ranking = ranking
        self._hidden_muted = view.hidden_muted
        with self.list.keeping_position() if same else nullcontext():
            self.model.set_rows(
                view.rows,
                states,
                view.feed_names,
                ranked=ranked,
                why=ranking.why if ranking is not None else None,
                highlighted=view.highlighted,
                muted_by=view.muted_by,
                same=view.same,
                newest_first=view.newest_first,
                keys=view.keys,
                handed_over=True,  # (the view's lists and states are the model's: a view is shown once)
            )
        if view.same_pending:
            self._find_doubles(serial, tuple(view.rows))  # (its own copy: the list is the model's now)
        if view.selection.kind == "author" and not same:
            self._following_author = None
            person = view.selection.name
            self.worker.submit(
                lambda lib: rules_jobs.is_following(lib, person), self._author_followed, label="look for a follow"
            )
        header = self.list.horizontalHeader()
        with QSignalBlocker(header):  # the model is in order already: only the arrow follows
            if ranked:
                header.setSortIndicator(-1, Qt.SortOrder.DescendingOrder)
            elif header.sortIndicatorSection() != self.model.sort_column:
                header.setSortIndicator(self.model.sort_column, self.model.sort_order)
        self._shown_selection = view.selection
        if not same:
            self.list.scrollToTop()
        if self._then_first_unread and not same:
            self._then_first_unread = False
            first_unread = self.model.find(0, 1, lambda _row, state: not state.read)
            if first_unread is not None:
                self.list.select_row(first_unread)
        if self._restore_key is not None:
            row = self.model.row_of(self._restore_key)
            if row is not None or view.complete:  # (the first screen may not hold it: the whole view will)
                self._restore_key = None
            if row is not None:
                # Coming back to the paper left open is not opening it: one kept unread (M) stays unread.
                self._not_opening = self.model.key_at(row)
                self.list.select_row(row)
                self.list.scrollTo(self.model.index(row, COL_TITLE), QAbstractItemView.ScrollHint.PositionAtCenter)
                self._not_opening = None
        self._sync_pane_to_list()
        self._update_view_header()
        self._sync_actions()
        if first:
            self._focus_list()
            QTimer.singleShot(FIRST_PAINT_GRACE_MS, self._after_first_view)
        self.view_loaded.emit(view.selection.to_text())

    def _find_doubles(self, serial: int, rows: Sequence[PaperRow]) -> None:
        """The "Same paper?" offers of the view shown, worked out after its rows (the papers changed since)."""

        def done(same: dict[str, SamePaper]) -> None:
            if serial != self._view_serial or self._closed:
                return
            self.model.set_same(same)
            key = self.pane.key
            if key is not None:
                self.pane.set_same(key, self.model.same_paper(key))

        self.worker.submit(lambda lib: jobs.same_in_view(lib, rows), done, label="look for doubles")

    def _sync_pane_to_list(self) -> None:
        # A model reset drops the current index without a signal: after one, the pane follows the list by hand.
        key = self.list.current_key()
        if key != self.pane.key:
            self._show_current(key)
        elif key is not None:
            # The same paper, perhaps changed by another process: the pane shows its state (never over typing).
            self.pane.update_state(self.model.state(key))

    def _update_view_header(self) -> None:
        shown, total = self.model.rowCount(), self.model.view_size
        noun = "paper" if total == 1 else "papers"
        if not self._view_complete:
            self.view_count.setText(f"newest {shown:,} while the library opens")
        elif self.model.showing_head:
            finding = "; finding the rest…" if self._search_busy else ""
            self.view_count.setText(f"the newest {shown:,} matches of {total:,} {noun}{finding}")
        elif self.model.searching:
            self.view_count.setText(f"{shown:,} of {total:,} {noun} match")
            self.list.empty_text = f"No paper in {self._label(self._selection)} matches “{self._search_applied}”."
        elif self._selection.kind == "feed":
            self.view_count.setText(f"{total:,} {noun}")
            error = self.sidebar_model.feed_error(self._selection.name)
            self.list.empty_text = (
                f"No papers from this feed yet: its last refresh failed.\n\n{error}"
                if error
                else "No papers from this feed yet. Ctrl+R fetches every feed now."
            )
        else:
            self.view_count.setText(f"{total:,} {noun}")
            self.list.empty_text = self._no_papers_yet() or EMPTY_VIEW_TEXT.get(self._selection.name, "No papers here.")
        self._update_notice()
        self.list.viewport().update()

    def _no_papers_yet(self) -> str | None:
        """What is true of a library with no papers but subscriptions: being fetched, never fetched, or every feed
        failing (offline?). "Nothing unread. Well done." only once there were papers to read."""
        counts = self._counts
        if counts is None or counts.papers or not counts.subscribed:
            return None
        if self.refresh.running:
            return "Fetching your feeds… their papers show here as they arrive."
        failing = [f for f in counts.subscribed if self.sidebar_model.feed_error(f)]
        if failing and len(failing) == len(counts.subscribed):
            errors = [self.sidebar_model.feed_error(f) for f in failing]
            example = errors[0]
            # Every feed's server name unknown, or the network unreachable: this machine, not the servers.
            offline = all(any(w in e for w in ("was not found", "unreachable", "no network")) for e in errors)
            hint = " You seem to be offline." if offline else ""
            return (
                f"None of your {len(failing):,} feeds could be fetched.{hint}\n\n{example}\n\nCtrl+R tries again; "
                "File ▸ Feeds… shows each feed's error."
            )
        return "No papers yet: your feeds have not been fetched. Ctrl+R fetches them now."

    def _author_followed(self, following: bool) -> None:
        self._following_author = following
        self._update_notice()

    def _notice_link(self, link: str) -> None:
        selection = self._selection
        if link == "show-muted":
            self.show_view(Selection("muted", selection.to_text()))
        elif link == "back":
            self.show_view(selection.base)
        elif link in ("follow", "unfollow") and selection.kind == "author":
            person, follow = selection.name, link == "follow"
            self.writes.reshape(
                "Follow" if follow else "Unfollow",
                lambda lib: rules_jobs.set_following(lib, person, follow),
                lambda _change: f"{'Following' if follow else 'No longer following'} {person}",
            )
            self._following_author = follow
            self._update_notice()
        elif link == "rules":
            self.action_rules()

    def _update_notice(self) -> None:
        ranking = self._ranking
        notice = ""
        selection = self._selection
        if selection.kind == "muted":
            notice = (
                f"Papers your mute rules keep out of {html.escape(selection.base.label)}, newest first. Mark one "
                "unread (M) to keep it. <a href='back'>Back</a> · <a href='rules'>Rules…</a>"
            )
        elif selection.kind == "author":
            name = html.escape(selection.name)
            if self._following_author is None:
                follow = ""
            elif self._following_author:
                follow = f" You follow {name}: new papers show in Authors I follow. <a href='unfollow'>Unfollow</a>"
            else:
                follow = f" <a href='follow'>Follow {name}</a>: their new papers in Authors I follow."
            notice = f"Papers by {name}, however the feeds write the name (initials, “family, given”).{follow}"
        elif self._hidden_muted and selection.hides_muted:
            n = self._hidden_muted
            notice = (
                f"{n:,} paper{'s' if n != 1 else ''} muted by your rules {'are' if n != 1 else 'is'} not listed. "
                "<a href='show-muted'>Show them</a> · <a href='rules'>Rules…</a>"
            )
        if notice:
            self.view_notice.setText(notice)
            self.view_notice.setVisible(True)
            return
        if ranking is not None and not ranking.enough:
            notice = (
                f"For you ranks papers by the ones you star, note or tag, and needs {MIN_EVIDENCE} of them; you have "
                f"{ranking.evidence}. Until then the newest come first. Press S on papers you like (X on those you "
                "do not), or import your library from another tool: readinglist import refs.bib --star"
            )
        elif ranking is not None and ranking.kind == "similar":
            notice = f"Papers most like “{shown_part(self._similar_to, 200)}”, the closest first."
        elif ranking is not None and ranking.kind == "relevance" and self._selection != FOR_YOU:
            notice = "Best first by what you star (View ▸ Sort by Relevance); click a column to sort by it."
        self.view_notice.setText(html.escape(notice))
        self.view_notice.setVisible(bool(notice))

    def _refresh_counts(self) -> None:
        tracker = self._tracker
        self.worker.submit(tracker.current, self._set_counts, label="count the papers")

    def _set_counts(self, counts: SidebarCounts) -> None:
        self._counts = counts
        self.sidebar_model.set_counts(counts)
        self.view_title.setText(counts.label(self._selection))
        self.pane.set_known_tags(name for name, _ in counts.tags)
        # Ending with the application's name: Qt's window-system platforms append the name to a title that does not
        # end with it, which made "Reading List — 169 unread — Reading List".
        self.setWindowTitle(f"{counts.unread:,} unread — {APP_TITLE}" if counts.papers else APP_TITLE)
        if self.tray is not None:
            self.tray.set_counts(counts)
        if not counts.papers:
            self._update_view_header()  # an empty library says why it is empty, which the counts tell

    def _label(self, selection: Selection) -> str:
        return self._counts.label(selection) if self._counts else selection.label

    @property
    def counts(self) -> SidebarCounts | None:
        return self._counts

    def _select_in_sidebar(self, selection: Selection) -> None:
        index = self.sidebar_model.index_of(selection)
        self._syncing_sidebar = True
        try:
            if index.isValid():
                self.sidebar.setCurrentIndex(index)
            else:
                self.sidebar.selectionModel().clearSelection()
        finally:
            self._syncing_sidebar = False

    def _sidebar_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing_sidebar or not current.isValid():
            return
        selection = current.siblingAtColumn(COL_NAME).data(SELECTION_ROLE)
        if isinstance(selection, Selection) and selection != self._selection:
            self._load_view(selection)

    def _sidebar_clicked(self, index: QModelIndex) -> None:
        group = index.siblingAtColumn(COL_NAME).data(GROUP_ROLE)
        if isinstance(group, str) and group:
            self.sidebar_model.toggle_group(group)

    def _sidebar_menu(self, pos: QPoint) -> None:
        """Right-click on a feed: what one does to a subscription, without opening the Feeds dialog first."""
        index = self.sidebar.indexAt(pos)
        selection = index.siblingAtColumn(COL_NAME).data(SELECTION_ROLE) if index.isValid() else None
        if not isinstance(selection, Selection) or selection.kind != "feed":
            return
        feed_id = selection.name
        subscribed = self._counts is not None and feed_id in self._counts.subscribed
        menu = QMenu(self)
        for text, handler, enabled in (
            ("&Refresh", lambda: self.refresh.refresh([feed_id]), subscribed),
            ("Mark All &Read", lambda: self.mark_feed_read(feed_id), True),
            ("Re&name…", lambda: self.rename_feed(feed_id), subscribed),
            ("&Edit…", lambda: self.open_feeds_dialog().select_feed(feed_id), subscribed),
            ("&Unsubscribe…", lambda: self.unsubscribe(feed_id), subscribed),
        ):
            action = menu.addAction(text)
            action.setEnabled(enabled)
            action.triggered.connect(handler)
        menu.exec(self.sidebar.viewport().mapToGlobal(pos))

    def mark_feed_read(self, feed_id: str) -> None:
        """Every unread paper of one feed, read; one change (Ctrl+Z undoes it)."""
        name = self._label(Selection("feed", feed_id))

        def found(keys: list[str]) -> None:
            if not keys:
                self.statusBar().showMessage(f"Every paper of {name} is read already", 3000)
                return
            n = len(keys)
            optimistic = {k: self.model.state(k)._replace(read=True) for k in keys}
            self.writes.change(f"Mark {n:,} as Read", optimistic, lambda lib: lib.set_read(keys, True))
            self.statusBar().showMessage(f"Marked {n:,} papers of {name} as read · Ctrl+Z undoes it", 6000)

        self.worker.submit(
            lambda lib: [str(k) for k in lib.query(feed=feed_id, view=ListFilter.UNREAD)], found, label="find unread"
        )

    def rename_feed(self, feed_id: str, name: str | None = None) -> None:
        old = self._label(Selection("feed", feed_id))
        if name is None:
            name, ok = QInputDialog.getText(self, "Rename Feed", "Name:", text=old)
            if not ok:
                return
        name = name.strip()
        if not name or name == old:
            return
        self.worker.submit(
            lambda lib: lib.feeds.update(feed_id, name=name),
            lambda _feed: self._feeds_changed(),
            label="rename the feed",
        )

    def unsubscribe(self, feed_id: str) -> None:
        """The Feeds dialog's Remove, which asks first and says the feed's papers stay in the library."""
        dialog = self.open_feeds_dialog()

        def when_loaded() -> None:
            dialog.loaded.disconnect(when_loaded)
            dialog.select_feed(feed_id)
            dialog.remove_current()

        if dialog.busy:
            dialog.loaded.connect(when_loaded)
        else:
            dialog.select_feed(feed_id)
            dialog.remove_current()

    def _sidebar_reset(self) -> None:
        self.sidebar.expandAll()
        self._select_in_sidebar(self._selection)

    # ---- the current paper ---------------------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_current(self.model.key_at(current.row()) if current.isValid() else None)

    def _show_current(self, key: str | None) -> None:
        if key is not None and key == self.pane.key:
            self.pane.update_state(self.model.state(key))
            self._sync_actions()
            return
        row_number = self.model.row_of(key) if key is not None else None
        if key is None or row_number is None:
            self.pane.show_paper(None)
        else:
            row = self.model.row_at(row_number)
            self.pane.show_paper(
                row,
                self.model.state(key),
                self.model.feed_labels(row),
                self.model.muted_by(key),
                self.model.same_paper(key),
            )
            self._show_why(key)
        self._paper_opened(key)
        self._sync_actions()

    def _show_why(self, key: str | None) -> None:
        """The pane says why a ranked view put the paper where it is."""
        ranking = self._ranking
        if key is None or ranking is None or not ranking.enough:
            return
        label = {"relevance": "Why for you", "trending": "Trending", "similar": "In common"}[ranking.kind]
        words = self.model.why(key)
        if words or ranking.kind != "relevance":
            self.pane.set_why(key, label, words)
            return
        self.worker.submit(
            lambda lib: jobs.why_of(lib, key), lambda why: self.pane.set_why(key, label, why), label="say why"
        )

    def _paper_opened(self, key: str | None) -> None:
        self._read_timer.stop()
        if key is None or key == self._not_opening or self.model.state(key).read:
            return
        if self._mark_read is MarkReadMode.NEVER:
            return
        if self._mark_read is MarkReadMode.IMMEDIATELY:
            self.writes.mark_read_on_open(key)
        else:
            self._read_timer_key = key
            self._read_timer.start()

    def _read_timer_fired(self) -> None:
        key = self._read_timer_key
        if key is not None and key == self.pane.key:
            self.writes.mark_read_on_open(key)

    def _sync_actions(self) -> None:
        a = self.actions_by_name
        on_list = self.stack.currentIndex() == PAGE_MAIN
        row = self.pane.row
        state = self.model.state(row.key) if row else jobs.DEFAULT_STATE
        for name in (
            "star",
            "toggle_read",
            "keep_unread",
            "edit_note",
            "tag",
            "dismiss",
            "read_later",
            "more_like_this",
            "mute_like_this",
        ):
            a[name].setEnabled(row is not None)
        with QSignalBlocker(a["dismiss"]):
            a["dismiss"].setChecked(state.dismissed)
        with QSignalBlocker(a["read_later"]):
            a["read_later"].setChecked(state.later)
        with QSignalBlocker(a["sort_relevance"]):
            a["sort_relevance"].setChecked(self._relevance)
        a["open"].setEnabled(row is not None and bool(row.abs_url))
        a["open_pdf"].setEnabled(row is not None and bool(row.pdf_url))
        for name in ("next", "previous", "next_unread", "mark_all_read", "search", "next_entry", "previous_entry",
                     "page_or_next", "page_up"):  # fmt: skip
            a[name].setEnabled(on_list)
        for action in self.view_actions:
            action.setEnabled(on_list)
        with QSignalBlocker(a["star"]):
            a["star"].setChecked(state.starred)
        a["star"].setText("Un&star" if state.starred else "&Star")
        a["star"].setIconText("★ Starred" if state.starred else "☆ Star")
        a["toggle_read"].setText("Mark &Unread" if state.read else "Mark &Read")
        a["toggle_read"].setIconText("Mark Unread" if state.read else "Mark Read")
        undo = a["undo"]
        undo_label = self.writes.undo_label
        undo.setEnabled(undo_label is not None)
        undo.setText(f"&Undo {undo_label}" if undo_label else "&Undo")
        redo_label = self.writes.redo_label
        a["redo"].setEnabled(redo_label is not None)
        a["redo"].setText(f"&Redo {redo_label}" if redo_label else "&Redo")
        self.exports.update_copy_actions(on_list and row is not None)

    def _focus_list(self) -> None:
        self.list.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # ---- changing state ------------------------------------------------------------------------------------

    def _show_states(self, states: Mapping[str, RowState]) -> None:
        self.model.set_states(states)
        key = self.pane.key
        if key is not None and key in states:
            self.pane.update_state(states[key])
            self._sync_actions()

    def _toggle_star(self, key: str) -> None:
        state = self.model.state(key)
        new = state._replace(starred=not state.starred)
        self.writes.change(
            "Star" if new.starred else "Unstar", {key: new}, lambda lib: lib.set_starred([key], new.starred)
        )
        self._taste_changed()

    def _taste_changed(self) -> None:
        ranking = self._ranking
        if ranking is not None and ranking.kind == "relevance":
            self._rerank_timer.start()

    def _rerank(self) -> None:
        if self._ranking is not None and self._ranking.kind == "relevance" and not self.model.searching:
            self.reload_view()

    def _save_note(self, key: str, text: str) -> None:
        # The note editor has its own undo (Ctrl+Z while typing); saves are not window-level undo steps.
        state = self.model.state(key)
        self.writes.change(
            "Note", {key: state._replace(note=text)}, lambda lib: lib.set_note(key, text), undoable=False
        )

    def _add_tags(self, key: str, tags: list[str]) -> None:
        state = self.model.state(key)
        merged = tuple(dict.fromkeys([*state.tags, *tags]))
        if merged == state.tags:
            return
        label = f"Tag “{tags[0]}”" if len(tags) == 1 else "Tags"
        self.writes.change(label, {key: state._replace(tags=merged)}, lambda lib: lib.add_tags([key], tags))
        self._taste_changed()

    def _remove_tag(self, key: str, tag: str) -> None:
        state = self.model.state(key)
        kept = tuple(t for t in state.tags if t != tag)
        self.writes.change(
            f"Untag “{tag}”", {key: state._replace(tags=kept)}, lambda lib: lib.remove_tags([key], [tag])
        )

    # ---- search --------------------------------------------------------------------------------------------

    def _search_edited(self, text: str) -> None:
        self._search_for(_search_query(text, final=False))

    def _search_entered(self) -> None:
        self._search_for(_search_query(self.search.text(), final=True))
        self._focus_list()

    def _search_for(self, query: str) -> None:
        self._search_wanted = query
        if not query:
            if self._search_applied or self.model.searching:
                self._apply_search(jobs.SearchHits("", None))
            return
        if query == self._search_applied and not self._search_busy and not self.model.showing_head:
            self.search_applied.emit(query)  # nothing to redo: "gr" + "a" waits for a third letter
            return
        if not self._search_busy:
            self._submit_search(query)

    def _submit_search(self, query: str) -> None:
        # One search at a time: keystrokes that come meanwhile are folded into the next one.
        self._search_busy = True
        if self._wants_head(query):
            # First the newest matches (milliseconds), then the whole result (a quarter of a second for a common
            # word at 1,000,000 papers): the list shows the first while the library thread finds the second.
            self.worker.submit(lambda lib: jobs.search_head(lib, query), self._search_head_done, label="search")
        self.worker.submit(
            lambda lib: jobs.search(lib, query), self._search_done, failed=self._search_failed, label="search"
        )

    def _wants_head(self, query: str) -> bool:
        """Whether to show the newest matches before the whole result. Not in a view small enough for the whole
        result to come within a frame or two, nor in an order other than newest first (its head lies
        elsewhere), nor for a lone word of three letters ("tra", a prefix of thousands of words: the catalog
        takes a tenth of a second to its first match at 1,000,000 papers, as long as for the whole result)."""
        model = self.model
        if model.view_size < SEARCH_HEAD_FROM or model.sort_column != COL_DATE:
            return False
        if model.sort_order != Qt.SortOrder.DescendingOrder or self._selection.ranked:
            return False
        words = query.split()
        return not (len(words) == 1 and len(words[0]) <= SEARCH_MIN_PREFIX)

    def _search_head_done(self, head: jobs.SearchHead | None) -> None:
        if head is None or head.text != self._search_wanted or not self._search_busy:
            return  # (the whole result of this text is shown already, or another text is wanted)
        was_searching = self.model.searching
        current = self.list.current_key()
        selected = self.list.selected_keys() if self.list.has_several_selected() else []
        with self.list.keeping_position():
            shown = self.model.show_head_of_search(head.newest)
        if not shown:
            return
        if not was_searching:
            self._triage_key = current  # where triage was: Esc Esc comes back to it
        self._search_head_shown = head.text
        if self._head_left_out is None and (current is not None or selected):
            self._head_left_out = (current, selected)
        self.list.scrollToTop()
        if self.list.current_key() is not None or current is None:
            self._sync_pane_to_list()  # (else the paper being read, older than the head, stays in the pane)
        self._update_view_header()

    def _search_failed(self, exc: BaseException) -> None:
        self._search_busy = False  # the next keystroke searches again
        self._job_failed("search", exc)
        self._update_view_header()  # (a head of matches shown stays, no longer said to be completed)

    def _search_done(self, hits: jobs.SearchHits) -> None:
        self._search_busy = False
        if hits.text == self._search_wanted:
            self._apply_search(hits)
        elif self._search_wanted and (self._search_wanted != self._search_applied or self.model.showing_head):
            self._submit_search(self._search_wanted)  # (a head shown is another text's: the list needs its own)
        elif self._search_wanted == self._search_applied:
            self.search_applied.emit(self._search_applied)

    def _apply_search(self, hits: jobs.SearchHits) -> None:
        was_searching = self.model.searching
        if not was_searching and hits.keys is not None:
            self._triage_key = self.list.current_key()  # where triage was: Esc Esc comes back to it
        self._search_applied = hits.text
        head_shown, self._search_head_shown = self._search_head_shown == hits.text, None
        left_out, self._head_left_out = self._head_left_out, None
        with self.list.keeping_position():
            self.model.set_search_hits(hits.keys)
        if left_out is not None and self.list.current_key() is None:
            self.list.reselect(*left_out)  # the paper being read when a head left it out, if it matches
        if hits.keys is not None:
            if not head_shown:  # (the head was scrolled to the top: the user may have scrolled it since)
                self.list.scrollToTop()  # the best matches first, never scrolled past
        elif was_searching and self._triage_key is not None:
            row = self.model.row_of(self._triage_key)
            self._triage_key = None
            if row is not None:
                self.list.select_row(row)
                self.list.scrollTo(self.model.index(row, COL_TITLE), QAbstractItemView.ScrollHint.PositionAtCenter)
        self._sync_pane_to_list()
        self._update_view_header()
        self.search_applied.emit(hits.text)

    def search_idle(self) -> bool:
        """The list shows the result of what is typed (benchmarks and tests wait on this)."""
        return not self._search_busy and self._search_wanted == self._search_applied and not self.model.showing_head

    # ---- actions (menu, keys, buttons) ---------------------------------------------------------------------

    def action_load_sample(self) -> None:
        action = self.actions_by_name["load_sample"]
        action.setEnabled(False)
        self.statusBar().showMessage("Loading the sample papers…")
        app = self.app

        def done(summary: str) -> None:
            action.setEnabled(True)
            self.statusBar().showMessage(f"Sample papers: {summary}", 8000)
            self.reload_view()
            self._refresh_counts()

        def failed(exc: BaseException) -> None:
            action.setEnabled(True)
            self.statusBar().showMessage(f"Could not load the sample papers: {exc}")

        self.worker.submit(app.load_sample, done, failed=failed, label="load the sample papers")

    def action_quit(self) -> None:
        self.quit_for_good()

    # ---- feeds and export ----------------------------------------------------------------------------------

    def open_feeds_dialog(self) -> FeedsDialog:
        """The feeds dialog, shown and in front; one per window, made on first use."""
        if self.feeds_dialog is None:
            from readinglist.ui.feeds.dialog import FeedsDialog  # its core modules load when first needed

            dialog = FeedsDialog(self.worker, self.app.credentials, self, check_addresses=True)
            dialog.refresh_requested.connect(self.refresh.refresh)
            dialog.feeds_changed.connect(self._feeds_changed)
            dialog.message.connect(self.statusBar().showMessage)
            self.feeds_dialog = dialog
        dialog = self.feeds_dialog
        if dialog.isVisible():
            dialog.raise_()  # behind the window: to the front
        else:
            dialog.reload()
            dialog.show()
        dialog.activateWindow()
        return dialog

    def action_add_feed(self) -> None:
        self.open_feeds_dialog().focus_address()

    def action_feeds(self) -> None:
        self.open_feeds_dialog()

    def action_import_opml(self) -> None:
        # In the dialog: the user sees the feeds arrive (and their first refresh) where they can be edited.
        self.open_feeds_dialog().import_opml()

    def action_export_opml(self) -> None:
        if self.feeds_dialog is None or not self.feeds_dialog.isVisible():
            dialog = self.open_feeds_dialog()
        else:
            dialog = self.feeds_dialog
        dialog.export_opml()

    def action_refresh(self) -> None:
        self.refresh.refresh()

    def action_copy_bibtex(self) -> None:
        self.exports.copy_bibtex()

    def action_copy_citation(self) -> None:
        self.exports.copy_citation()

    def selected_keys(self) -> list[str]:
        """The papers selected in the list, in its order (the current paper when none is)."""
        return self.list.selected_keys()

    def _feeds_brought_papers(self, _new: int, _updated: int) -> None:
        # Where the user is stays put: the same paper selected, the same paper at the top (keeping_position).
        self.reload_view()
        self._recount()

    def _feeds_changed(self) -> None:
        # A feed added, renamed, regrouped or removed: the sidebar's feeds and the list's source names follow.
        self._recount()
        self.reload_view()  # (from the welcome view too: a library with a feed shows the window, even empty)

    def _refresh_started(self, _request: object) -> None:
        # The last refresh's summary goes: the progress says what is happening now, and the summary of this one
        # follows it (the two no longer share the status bar, one cut off under the other).
        self.statusBar().clearMessage()
        self._update_view_header()

    def _refresh_finished(self, done: RefreshDone) -> None:
        self._notify_arrivals(done)
        self._update_view_header()  # "fetching…" is over: say what is true now
        if self.feeds_dialog is not None and self.feeds_dialog.isVisible():
            self.feeds_dialog.reload()

    def _recount(self) -> None:
        """A full recount: a refresh can change papers (new versions) without changing how many there are."""
        tracker = self._tracker
        self.worker.submit(lambda lib: tracker.recount(lib), self._set_counts, label="count the papers")

    def action_undo(self) -> None:
        self.writes.undo()
        self._sync_actions()
        self._taste_changed()  # (an undone star or dismissal changes the ranking back)

    def action_redo(self) -> None:
        self.writes.redo()
        self._sync_actions()

    def _title_of(self, key: str) -> str:
        row = self.model.row_of(key)
        title = self.model.row_at(row).title if row is not None else key
        return title if len(title) <= 60 else title[:59] + "…"

    def _bring_into_view(self, keys: list[str]) -> None:
        """An undo or redo changed these papers: the first is selected where the list shows it, so that what
        changed is in front of the user (undo never changes a paper silently)."""
        if self.pane.key in keys:
            return  # already in front (one of several selected, say): the selection stays as it is
        row = self.model.row_of(keys[0])
        if row is not None:
            self._not_opening = keys[0]  # shown to say what changed, not opened: never marked read by it
            self.list.select_row(row)
            self._not_opening = None

    def action_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def action_next(self) -> None:
        row = self.list.current_row()
        self.list.select_row(0 if row is None else row + 1)

    def action_previous(self) -> None:
        row = self.list.current_row()
        self.list.select_row(0 if row is None else row - 1)

    def action_next_unread(self) -> None:
        row = self.list.current_row()
        start = 0 if row is None else row + 1

        def unread(_row: Any, state: RowState) -> bool:
            return not state.read

        found = self.model.find(start, 1, unread)
        if found is None and self._selection.kind == "feed":
            # The end of a feed: on to the next subscription with unread papers, as NetNewsWire's N does.
            following = self._next_feed_with_unread()
            if following is not None:
                self._then_first_unread = True
                self.show_view(following)
                self.statusBar().showMessage(f"On to {self._label(following)}", 3000)
                return
        if found is None and start > 0:
            found = self.model.find(0, 1, unread)  # wrap around to the top
        if found is None or found == row:
            self.statusBar().showMessage("No other unread paper in this view", 3000)
            return
        self.list.select_row(found)

    def action_page_or_next(self) -> None:
        """Space: the rest of the paper shown first (a long abstract, a long author list), then the next unread."""
        bar = self.pane.details.verticalScrollBar()
        if self.pane.row is not None and bar.value() < bar.maximum():
            bar.setValue(min(bar.maximum(), bar.value() + max(1, bar.pageStep() - bar.singleStep())))
            return
        self.action_next_unread()

    def action_page_up(self) -> None:
        bar = self.pane.details.verticalScrollBar()
        bar.setValue(max(0, bar.value() - max(1, bar.pageStep() - bar.singleStep())))

    def _next_feed_with_unread(self) -> Selection | None:
        counts = self._counts
        if counts is None:
            return None
        unread = {source: n for source, _name, n in counts.feeds}
        feeds = [s for s in self.sidebar_model.selections() if s.kind == "feed"]
        if self._selection not in feeds:
            return None
        at = feeds.index(self._selection)
        for s in feeds[at + 1 :] + feeds[:at]:
            if unread.get(s.name, 0) > 0:
                return s
        return None

    def _step_sidebar(self, step: int) -> None:
        entries = self.sidebar_model.selections()
        if not entries:
            return
        at = entries.index(self._selection) if self._selection in entries else -1
        target = entries[(at + step) % len(entries)] if at >= 0 else entries[0]
        self.show_view(target)

    def action_next_entry(self) -> None:
        self._step_sidebar(1)

    def action_previous_entry(self) -> None:
        self._step_sidebar(-1)

    def action_back(self) -> None:
        focus = QApplication.focusWidget()
        if self.pane.notes.editing:
            self.pane.notes.stop_editing()
        elif focus is self.pane.tag_bar.edit:
            self.pane.tag_bar.edit.clear()
        elif focus is not self.search and self.search.text():
            self.search.clear()  # Esc back on the list, with a search on: the whole view again
        self._focus_list()

    def _acted_on(self) -> list[str]:
        """The papers S and M change: the selected ones when several are, else the paper shown."""
        if self.pane.key is None:
            return []
        return self.list.selected_keys() if self.list.has_several_selected() else [self.pane.key]

    def action_star(self) -> None:
        keys = self._acted_on()
        if len(keys) == 1:
            self._toggle_star(keys[0])
        elif keys:
            starred = not self.model.state(self.pane.key or keys[0]).starred  # as the paper shown would go
            optimistic = {k: self.model.state(k)._replace(starred=starred) for k in keys}
            label = f"{'Star' if starred else 'Unstar'} {len(keys):,} Papers"
            self.writes.change(label, optimistic, lambda lib: lib.set_starred(keys, starred))
            self._taste_changed()

    def action_toggle_read(self) -> None:
        keys = self._acted_on()
        if not keys:
            return
        self._read_timer.stop()
        read = not self.model.state(self.pane.key or keys[0]).read
        optimistic = {k: self.model.state(k)._replace(read=read) for k in keys}
        label = "Mark Read" if read else "Mark Unread"
        if len(keys) > 1:
            label = f"Mark {len(keys):,} as {'Read' if read else 'Unread'}"
        self.writes.change(label, optimistic, lambda lib: lib.set_read(keys, read))

    def action_keep_unread(self) -> None:
        """U: this paper stays unread (opening it marked it read, or will), and on to the next unread paper."""
        key = self.pane.key
        if key is None:
            self.action_next_unread()
            return
        self._read_timer.stop()
        self.writes.flush_auto_read(force=True)  # the read-on-open first, so that this comes after it
        if self.model.state(key).read:
            optimistic = {key: self.model.state(key)._replace(read=False)}
            self.writes.change("Keep Unread", optimistic, lambda lib: lib.set_read([key], False))
        self.action_next_unread()

    def action_dismiss(self) -> None:
        """Not interested (again: interested after all). The paper leaves For you; papers like it rank lower
        from the next ranking on. Undone with Ctrl+Z like a star."""
        toggled = self._toggle_flag(
            "dismissed", ("Not Interested", "Interested"), "{label} in {n:,} Papers", Library.set_dismissed
        )
        if toggled is None:
            return
        keys, dismissed = toggled
        self._taste_changed()
        if dismissed and len(keys) == 1:
            self.statusBar().showMessage(f"Not interested in “{self._title_of(keys[0])}”: Ctrl+Z undoes it", 5000)
            if self._selection == FOR_YOU:
                self.action_next()

    def _toggle_flag(
        self,
        name: str,
        labels: tuple[str, str],
        many: str,
        setter: Callable[[Library, list[str], bool], StateChange],
    ) -> tuple[list[str], bool] | None:
        """Turn a yes/no state field (`dismissed`, `later`) of the papers acted on to the opposite of the paper
        shown's, as one undoable change; the papers and the new value, or None when there is no paper."""
        keys = self._acted_on()
        if not keys:
            return None
        value = not getattr(self.model.state(self.pane.key or keys[0]), name)
        change: dict[str, Any] = {name: value}
        optimistic = {k: self.model.state(k)._replace(**change) for k in keys}
        label = labels[0] if value else labels[1]
        if len(keys) > 1:
            label = many.format(label=label, n=len(keys))  # "Not Interested in 3 Papers"
        self.writes.change(label, optimistic, lambda lib: setter(lib, keys, value))
        return keys, value

    def action_read_later(self) -> None:
        """Read later (again: out of the queue). Undone with Ctrl+Z like a star."""
        toggled = self._toggle_flag(
            "later", ("Read Later", "Out of Read Later"), "{label}: {n:,} Papers", Library.set_later
        )
        if toggled is None:
            return
        keys, later = toggled
        if len(keys) == 1:
            verb = "Queued to read later" if later else "Out of the Read later queue"
            self.statusBar().showMessage(f"{verb}: “{self._title_of(keys[0])}” (Ctrl+Z undoes it)", 5000)

    def action_more_like_this(self) -> None:
        row = self.pane.row
        if row is not None:
            self._similar_to = row.title
            self.show_view(Selection("similar", row.key))

    def action_sort_relevance(self) -> None:
        self._relevance = not self._relevance
        self.reload_view()
        self._sync_actions()

    def merge_papers(self, keep: str, other: str, *, ask: bool = True) -> None:
        """The user says two records are one paper: after asking, one change (Ctrl+Z makes them two again)."""
        text = (
            f"Make {other} part of {keep}? One record stays, with the identifiers and feeds of both; your stars, "
            "notes and tags on either are kept on it. Undo (Ctrl+Z) makes them two again."
        )
        if ask and not self.confirm("Same paper?", text):
            return
        self.writes.reshape(
            "Merge", lambda lib: jobs.merge(lib, keep, other), lambda _change: f"Merged {other} into {keep}"
        )

    def action_preferences(self) -> PreferencesDialog:
        dialog = PreferencesDialog(self.worker, self.app.credentials(), self.settings, self._mark_read, self)
        dialog.preview_requested.connect(self.action_digest_preview)
        dialog.changed.connect(self._preferences_changed)
        dialog.show()
        self._preferences = dialog
        return dialog

    def _preferences_changed(self) -> None:
        self.set_mark_read_mode(self.settings.mark_read())
        self.exports.include_notes_action.setChecked(self.settings.export_notes())
        style = self.settings.citation_style()
        if style in self.citation_style_actions:
            self.citation_style_actions[style].setChecked(True)
        if self.tray is not None:
            self.tray.set_visible(self.settings.tray())
        self.statusBar().showMessage("Preferences saved", 3000)

    def action_digest_preview(self) -> DigestDialog:
        dialog = DigestDialog(self.worker, self.app.credentials(), self)
        dialog.sent.connect(lambda text: self.statusBar().showMessage(text, 8000))
        dialog.show()
        self._digest_dialog = dialog
        return dialog

    def action_rules(self) -> RulesDialog:
        """The Rules dialog, shown and in front; one per window, made on first use."""
        if self.rules_dialog is None:
            self.rules_dialog = RulesDialog(self.worker, self.writes, self)
        dialog = self.rules_dialog
        if dialog.isVisible():
            dialog.raise_()
        else:
            dialog.reload()
            dialog.show()
        dialog.activateWindow()
        return dialog

    def action_mute_like_this(self) -> None:
        key = self.pane.key
        if key is None:
            return
        dialog = self.action_rules()
        self.worker.submit(lambda lib: mute_like(lib, key), dialog.prefill, label="make a rule")

    def action_edit_note(self) -> None:
        if self.pane.key is not None:
            self.pane.notes.start_editing()
            self._sync_actions()

    def action_tag(self) -> None:
        if self.pane.key is not None:
            self.pane.tag_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def action_open(self) -> None:
        row = self.pane.row
        if row is None:
            return
        if not row.abs_url:
            self.statusBar().showMessage("This paper has no web page to open", 4000)
        elif not open_in_browser(row.abs_url):
            self.statusBar().showMessage(f"No web browser could be opened for {row.abs_url}", 8000)

    def action_copy_link(self) -> None:
        self._copy(lambda row: row.abs_url, "web page")

    def action_copy_id(self) -> None:
        self._copy(lambda row: row.arxiv_id or (f"doi:{row.doi}" if row.doi else ""), "arXiv id or DOI")

    def _copy(self, value: Callable[[PaperRow], str], what: str) -> None:
        """The selected papers' value, one per line, on the clipboard (and said in the status bar)."""
        keys = self._acted_on()
        rows = [self.model.row_at(r) for r in (self.model.row_of(k) for k in keys) if r is not None]
        values = [v for v in (value(row) for row in rows) if v]
        if not values:
            self.statusBar().showMessage(f"No {what} to copy", 4000)
            return
        QGuiApplication.clipboard().setText("\n".join(values))
        shown = values[0] if len(values) == 1 else f"{len(values)} lines"
        self.statusBar().showMessage(f"Copied {shown}", 4000)

    def action_open_pdf(self) -> None:
        row = self.pane.row
        if row is None:
            return
        if not row.pdf_url:
            self.statusBar().showMessage("This paper has no PDF link", 4000)
        elif not open_in_browser(row.pdf_url):
            self.statusBar().showMessage(f"No web browser could be opened for {row.pdf_url}", 8000)

    def action_mark_all_read(self) -> None:
        keys = [k for k in self.model.shown_keys() if not self.model.state(k).read]
        if not keys:
            self.statusBar().showMessage("Every paper listed is read already", 3000)
            return
        n = len(keys)
        if n > CONFIRM_MARK_ALL_ABOVE and not self.confirm(
            "Mark All as Read",
            f"Mark the {n:,} unread papers listed in {self._label(self._selection)} as read?\n\nCtrl+Z undoes it.",
        ):
            return
        optimistic = {k: self.model.state(k)._replace(read=True) for k in keys}
        self.writes.change(f"Mark {n:,} as Read", optimistic, lambda lib: lib.set_read(keys, True))
        self.statusBar().showMessage(f"Marked {n:,} papers as read · Ctrl+Z undoes it", 6000)

    def action_shortcuts(self) -> None:
        if self._sheet is None:
            views = [
                ("Go", f"Ctrl+{n}", f"Show {Selection('view', v.value).label}") for n, v in enumerate(VIEW_ORDER[:9], 1)
            ]
            self._sheet = ShortcutSheet(sheet_html(self.actions_by_name.values(), views), self)
        self._sheet.show()
        self._sheet.activateWindow()

    def action_about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b> {__version__}<br>A reading list for research papers.<br><br>"
            f"Library: <code>{self.app.data_dir}</code>",
        )

    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text, defaultButton=QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    def open_paper(self, text: str) -> None:
        """Show one paper (a key or an arXiv id), in All papers: what a readinglist://paper/KEY link asks."""

        def shown(key: str | None) -> None:
            if key is None:
                self.statusBar().showMessage(f"No paper {text} in this library", 8000)
                return
            self._restore_key = key
            everything = Selection("view", ListFilter.ALL.value)
            if self._selection == everything:
                self.reload_view()  # the row is selected when the view comes back
            else:
                self.show_view(everything)

        self.worker.submit(lambda lib: _resolved(lib, text), shown, label="find the paper")

    def bring_to_front(self) -> None:
        """Another launch on this library asked for the window (or the tray, or a notification)."""
        if self.isHidden():
            self.show()
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()

    # ---- closing -------------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        tray = self.tray
        if not self._quitting and tray is not None and tray.visible and self.settings.close_to_tray():
            # Close to the tray: the window hides, the library stays open, refreshes and notifications go on.
            self._save_settings()
            self.hide()
            event.ignore()
            return
        if not self._closed:
            self._closed = True
            self._follow_timer.stop()
            self.pane.flush()  # the note typed in the last second
            self.writes.flush_auto_read(force=True)
            self._save_settings()
            self.refresh.shutdown()  # a refresh in progress stops now; what it finished is saved
            if self.feeds_dialog is not None:
                self.feeds_dialog.close()
            self.model.close()
            self.worker.close()  # waits for every write already asked for
            self.notifier.close()
            if tray is not None:
                tray.set_visible(False)
        super().closeEvent(event)
