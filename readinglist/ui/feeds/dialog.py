"""The feeds dialog: subscriptions by group with their status, adding by address, editing, credentials, OPML.

Every change goes through the library worker, as everything else does: the dialog shows what the library thread
answers and never holds the registry itself. Credentials go to the keyring through the app's one CredentialStore,
also on the library thread (a keyring can take a while to answer, and must never freeze the window); nothing in
this dialog keeps a password after it has handed it over.

Its size (about 730 lines): one dialog, its add row and its edit form, whose fields are read and written
together; the words, the library-thread jobs, the table model and the credential prompt are beside it in ui/feeds/.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from readinglist.core.credentials import Credential, CredentialStore
from readinglist.core.errors import SubscriptionError
from readinglist.core.feeds import (
    ANNOUNCE_TYPES,
    DEFAULT_ANNOUNCE_TYPES,
    Feed,
    FeedKind,
    FeedListing,
    FeedSpec,
    Subscribed,
    clean_group,
    parse_time,
)
from readinglist.core.library import Library
from readinglist.core.opml import OpmlImportResult
from readinglist.core.sources import is_arxiv_url
from readinglist.ui.errors import error_text
from readinglist.ui.feeds.credentials import CredentialDialog
from readinglist.ui.feeds.jobs import (
    CredentialSaved,
    add_feed,
    export_opml_file,
    forget_credential,
    import_opml,
    keyring_state,
    load_feeds,
    remove_feed,
    save_feed,
    set_credential,
)
from readinglist.ui.feeds.table import (
    COL_GROUP,
    COL_KIND,
    COL_LAST_SUCCESS,
    COL_NAME,
    COL_STATUS,
    COL_UNREAD,
    FeedTableModel,
)
from readinglist.ui.feeds.words import (
    AUTH_TEXT,
    KIND_CHOICES,
    UNITS,
    ago,
    describe_address,
    detect,
    interval_text,
    is_arxiv_rss,
    kind_label,
    local_time,
    status_text,
)
from readinglist.ui.refresh_jobs import error_sentence
from readinglist.ui.worker import LibraryWorker

# ---- the dialog ----------------------------------------------------------------------------------------------


class FeedsDialog(QDialog):
    """Subscriptions: add, edit, credentials, remove, OPML in and out. Not modal: the window stays usable."""

    refresh_requested = Signal(list)  # feed ids: added, imported, or "Refresh Now"
    feeds_changed = Signal()  # names, groups or the set of feeds changed: the sidebar recounts
    message = Signal(str)  # one line worth the window's status bar too
    loaded = Signal()  # the table shows what the library holds (tests wait on it)
    _probed = Signal(object, object)  # (FeedSpec, Probe), from the thread that fetched the address once

    def __init__(
        self,
        worker: LibraryWorker,
        credentials: Callable[[], CredentialStore | None],
        parent: QWidget | None = None,
        *,
        check_addresses: bool = False,
    ) -> None:
        """`check_addresses`: fetch a web address once before subscribing (a web page is replaced by the feed it
        names, or its feeds are offered); the window asks for it."""
        super().__init__(parent)
        self.setObjectName("feedsDialog")
        self.check_addresses = check_addresses
        self._fetching: str | None = None  # the feed just added, whose first fetch the message waits for
        self._probed.connect(self._after_probe)
        self.setWindowTitle("Feeds")
        self._worker = worker
        self._credentials = credentials
        self._session_only: set[str] = set()  # feeds whose credentials are kept for this run only
        self._select_after_load: str | None = None
        self._busy = 0
        self._build()
        self.setMinimumSize(720, 520)
        self.resize(940, 640)

    # ---- building ---------------------------------------------------------------------------------------------

    def _build(self) -> None:
        # Adding: an address, what it was understood as, and the kind when detection guesses wrong.
        self.address = QLineEdit()
        self.address.setObjectName("feedAddress")
        self.address.setPlaceholderText(
            "Feed address, arXiv categories (cs.CL+cs.LG) or an arXiv search (ti:diffusion)"
        )
        self.address.setClearButtonEnabled(True)
        self.kind = QComboBox()
        self.kind.setObjectName("feedKind")
        for kind, label in KIND_CHOICES:
            self.kind.addItem(label, kind)
        self.add_button = QPushButton("Add Feed")
        self.add_button.setObjectName("addFeed")
        self.detected = QLabel()
        self.detected.setObjectName("detectedKind")
        self.detected.setWordWrap(True)
        self.detected.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.address.textChanged.connect(self._address_edited)
        self.kind.currentIndexChanged.connect(self._address_edited)
        self.address.returnPressed.connect(self.add_from_field)
        self.add_button.clicked.connect(self.add_from_field)
        add_row = QHBoxLayout()
        add_row.addWidget(self.address, 1)
        add_row.addWidget(self.kind)
        add_row.addWidget(self.add_button)

        self.model = FeedTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("feedTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        for column, width in ((COL_GROUP, 100), (COL_NAME, 220), (COL_KIND, 130), (COL_STATUS, 120)):
            header.resizeSection(column, width)
        header.resizeSection(COL_LAST_SUCCESS, 100)
        header.resizeSection(COL_UNREAD, 64)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.empty = QLabel(
            "No subscriptions yet (papers imported from files, like the sample, are not subscriptions). "
            "Add a feed above, or import an OPML file from another reader."
        )
        self.empty.setWordWrap(True)
        self.empty.setObjectName("feedsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self.form = self._build_form()

        self.import_button = QPushButton("Import OPML…")
        self.import_button.setObjectName("importOpml")
        self.import_button.clicked.connect(lambda: self.import_opml())
        self.export_button = QPushButton("Export OPML…")
        self.export_button.setObjectName("exportOpml")
        self.export_button.clicked.connect(lambda: self.export_opml())
        self.refresh_all_button = QPushButton("Refresh All")
        self.refresh_all_button.setObjectName("refreshAll")
        self.refresh_all_button.setToolTip("Fetch every feed now (Ctrl+R in the window)")
        self.refresh_all_button.clicked.connect(self._refresh_all)
        self.feedback = QLabel()
        self.feedback.setObjectName("feedsMessage")
        self.feedback.setWordWrap(True)
        self.feedback.linkActivated.connect(self._offered_feed)
        self.feedback.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.import_button)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.refresh_all_button)
        bottom.addStretch(1)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        title = QLabel("Add a feed")
        bold = title.font()
        bold.setBold(True)
        title.setFont(bold)
        layout.addWidget(title)
        layout.addLayout(add_row)
        layout.addWidget(self.detected)
        layout.addSpacing(4)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.form)
        layout.addWidget(self.feedback)
        layout.addLayout(bottom)
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)  # Enter in a field does that field's work, not some button's
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table, self.remove_current)
        self._address_edited()
        self._show_feed(None)

    def _build_form(self) -> QFrame:
        frame = QFrame()
        frame.setObjectName("feedForm")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("feedName")
        self.group_edit = QComboBox()
        self.group_edit.setObjectName("feedGroup")
        self.group_edit.setEditable(True)
        self.group_edit.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.group_edit.setToolTip("A folder for the feed; nest folders with /, for example Work/NLP")
        self.url_label = QLabel()
        self.url_label.setObjectName("feedUrl")
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_label.setWordWrap(True)
        # A feed's kind can be changed after it is added, when detection guessed wrong.
        self.kind_edit = QComboBox()
        self.kind_edit.setObjectName("feedKindEdit")
        for kind, label in KIND_CHOICES:
            if kind is not None:
                self.kind_edit.addItem(label, kind)
        self.kind_edit.currentIndexChanged.connect(self._form_edited)
        self.interval_value = QSpinBox()
        self.interval_value.setObjectName("feedInterval")
        self.interval_value.setRange(1, 999)
        self.interval_unit = QComboBox()
        self.interval_unit.setObjectName("feedIntervalUnit")
        for label, size in UNITS:
            self.interval_unit.addItem(label, size)
        interval = QHBoxLayout()
        interval.addWidget(self.interval_value)
        interval.addWidget(self.interval_unit)
        self.notify_box = QCheckBox("Notify")
        self.notify_box.setObjectName("feedNotify")
        self.notify_box.setToolTip("A refresh that brings papers from this feed says so in a desktop notification")
        interval.addSpacing(12)
        interval.addWidget(self.notify_box)
        interval.addStretch(1)
        self.type_boxes: dict[str, QCheckBox] = {}
        types = QHBoxLayout()
        for name in ANNOUNCE_TYPES:
            box = QCheckBox(name)
            box.setObjectName(f"announce_{name}")
            self.type_boxes[name] = box
            types.addWidget(box)
        types.addStretch(1)
        self.types_note = QLabel("Which of arXiv's announcements add papers; replacements always update papers kept.")
        self.types_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.types_note.setWordWrap(True)
        self.auth_label = QLabel()
        self.auth_label.setObjectName("feedAuth")
        self.auth_label.setWordWrap(True)
        self.set_credentials_button = QPushButton("Set Credentials…")
        self.set_credentials_button.setObjectName("setCredentials")
        self.set_credentials_button.clicked.connect(lambda: self.set_credentials())
        self.forget_button = QPushButton("Forget")
        self.forget_button.setObjectName("forgetCredentials")
        self.forget_button.clicked.connect(self.forget_credentials)
        auth = QHBoxLayout()
        auth.addWidget(self.auth_label, 1)
        auth.addWidget(self.set_credentials_button)
        auth.addWidget(self.forget_button)
        self.state_label = QLabel()
        self.state_label.setObjectName("feedState")
        self.state_label.setWordWrap(True)
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_button = QPushButton("Save Changes")
        self.save_button.setObjectName("saveFeed")
        self.save_button.clicked.connect(self.save_current)
        self.refresh_button = QPushButton("Refresh Now")
        self.refresh_button.setObjectName("refreshFeed")
        self.refresh_button.clicked.connect(self._refresh_current)
        self.remove_button = QPushButton("Remove…")
        self.remove_button.setObjectName("removeFeed")
        self.remove_button.setToolTip("Unsubscribe; the feed's papers stay in the library (Delete)")
        self.remove_button.clicked.connect(lambda: self.remove_current())
        for edit in (self.name_edit,):
            edit.textEdited.connect(self._form_edited)
            edit.returnPressed.connect(self.save_current)
        self.group_edit.editTextChanged.connect(self._form_edited)
        self.interval_value.valueChanged.connect(self._form_edited)
        self.interval_unit.currentIndexChanged.connect(self._form_edited)
        for box in self.type_boxes.values():
            box.toggled.connect(self._form_edited)
        self.notify_box.toggled.connect(self._form_edited)

        grid = QGridLayout(frame)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.addWidget(QLabel("Name"), 0, 0)
        grid.addWidget(self.name_edit, 0, 1)
        grid.addWidget(QLabel("Group"), 0, 2)
        grid.addWidget(self.group_edit, 0, 3)
        grid.addWidget(QLabel("Address"), 1, 0)
        grid.addWidget(self.url_label, 1, 1)
        grid.addWidget(QLabel("Kind"), 1, 2)
        grid.addWidget(self.kind_edit, 1, 3)
        grid.addWidget(QLabel("Refresh"), 2, 0)
        grid.addLayout(interval, 2, 1)
        grid.addWidget(QLabel("Credentials"), 2, 2)
        grid.addLayout(auth, 2, 3)
        grid.addWidget(QLabel("arXiv adds"), 3, 0)
        grid.addLayout(types, 3, 1, 1, 3)
        grid.addWidget(self.types_note, 4, 1, 1, 3)
        grid.addWidget(QLabel("Status"), 5, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.state_label, 5, 1, 1, 3)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.save_button)
        grid.addLayout(buttons, 6, 0, 1, 4)
        return frame

    # ---- loading -----------------------------------------------------------------------------------------------

    def reload(self, *, select: str | None = None) -> None:
        """Read the feeds again (after a change here or a refresh), keeping the selected one selected."""
        if select is not None:
            self._select_after_load = select
        self._submit(load_feeds, self._loaded, label="list the feeds")

    def _loaded(self, listings: list[FeedListing]) -> None:
        keep = self._select_after_load or self.current_feed_id()
        self._select_after_load = None
        editing = self.save_button.isEnabled()
        self.model.set_listings(listings)
        self._settle_fetching(listings)
        has = bool(listings)
        self.table.setVisible(has)
        self.empty.setVisible(not has)
        self.export_button.setEnabled(has)
        self.refresh_all_button.setEnabled(has)
        current_group = self.group_edit.currentText()
        self.group_edit.blockSignals(True)
        self.group_edit.clear()
        self.group_edit.addItems(["", *self.model.groups()])
        self.group_edit.setEditText(current_group)
        self.group_edit.blockSignals(False)
        row = self.model.row_of(keep) if keep else None
        if row is None and has:
            row = 0
        if row is not None:
            index = self.model.index(row, COL_NAME)
            if self.table.currentIndex().row() != row:
                self.table.setCurrentIndex(index)
            else:
                self._show_feed(self.model.listing_at(row), keep_edits=editing)
            self.table.scrollTo(index)
        else:
            self._show_feed(None)
        self.loaded.emit()

    def _settle_fetching(self, listings: list[FeedListing]) -> None:
        """ "Subscribed to X; fetching its papers…" becomes what the fetch did, once it is done."""
        feed_id = self._fetching
        if feed_id is None:
            return
        listing = next((li for li in listings if li.feed.id == feed_id), None)
        if listing is None:
            self._fetching = None
            return
        feed = listing.feed
        # (In the dialog only: the window's status bar has the refresh's own summary.)
        if feed.last_error:
            self._fetching = None
            self.feedback.setText(f"{feed.name} could not be fetched: {error_sentence(feed)}")
        elif feed.last_success:
            self._fetching = None
            self.feedback.setText(f"{feed.name}: {listing.papers:,} papers")

    def current_feed_id(self) -> str | None:
        index = self.table.currentIndex()
        return self.model.listing_at(index.row()).feed.id if index.isValid() else None

    def current_listing(self) -> FeedListing | None:
        index = self.table.currentIndex()
        return self.model.listing_at(index.row()) if index.isValid() else None

    def select_feed(self, feed_id: str) -> None:
        row = self.model.row_of(feed_id)
        if row is not None:
            self.table.setCurrentIndex(self.model.index(row, COL_NAME))

    def focus_address(self) -> None:
        self.address.setFocus(Qt.FocusReason.OtherFocusReason)
        self.address.selectAll()

    @property
    def busy(self) -> bool:
        """A job of this dialog has not answered yet."""
        return self._busy > 0

    def _submit(
        self,
        job: Callable[[Library], Any],
        done: Callable[[Any], None],
        *,
        failed: Callable[[BaseException], None] | None = None,
        label: str,
    ) -> None:
        self._busy += 1

        def finish(result: Any) -> None:
            self._busy -= 1
            done(result)

        def fail(exc: BaseException) -> None:
            self._busy -= 1
            (failed or self._show_error)(exc)

        self._worker.submit(job, finish, failed=fail, label=label)

    # ---- the selected feed -------------------------------------------------------------------------------------

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_feed(self.model.listing_at(current.row()) if current.isValid() else None)

    def _show_feed(self, listing: FeedListing | None, *, keep_edits: bool = False) -> None:
        self.form.setEnabled(listing is not None)
        if listing is None:
            self.name_edit.clear()
            self.url_label.clear()
            self.auth_label.clear()
            self.state_label.clear()
            self.save_button.setEnabled(False)
            return
        feed = listing.feed
        if not keep_edits:
            widgets: list[QWidget] = [
                self.name_edit,
                self.group_edit,
                self.interval_value,
                self.interval_unit,
                self.kind_edit,
                self.notify_box,
                *self.type_boxes.values(),
            ]
            for widget in widgets:
                widget.blockSignals(True)
            self.name_edit.setText(feed.name)
            self.group_edit.setEditText(feed.group)
            self.kind_edit.setCurrentIndex(max(0, self.kind_edit.findData(feed.kind)))
            value, unit = self._interval_parts(feed.interval)
            self.interval_value.setValue(value)
            self.interval_unit.setCurrentIndex(unit)
            for name, box in self.type_boxes.items():
                box.setChecked(name in feed.adding_types)
            self.notify_box.setChecked(feed.notify)
            for widget in widgets:
                widget.blockSignals(False)
            self.save_button.setEnabled(False)
        arxiv = is_arxiv_rss(feed)
        for box in self.type_boxes.values():
            box.setEnabled(arxiv)
        self.types_note.setText(
            "Which of arXiv's announcements add papers; replacements always update the papers you have."
            if arxiv
            else "Only arXiv's category feeds announce new, cross-listed and replaced papers."
        )
        self.url_label.setText(f"{feed.url}  ({kind_label(feed)})")
        auth = AUTH_TEXT.get(feed.auth, feed.auth)
        if feed.auth:
            where = "kept for this run only (no keyring)" if feed.id in self._session_only else "in the system keyring"
            auth = f"{auth}, {where}"
        self.auth_label.setText(auth)
        self.forget_button.setEnabled(bool(feed.auth))
        self.state_label.setText(self._state_text(listing))

    def _state_text(self, listing: FeedListing) -> str:
        feed = listing.feed
        now = datetime.now(UTC)
        lines = [
            f"{status_text(listing, now)} · last success {ago(feed.last_success, now)}"
            + (f" ({local_time(feed.last_success)})" if feed.last_success else "")
            + f" · {listing.papers:,} papers, {listing.unread:,} unread",
        ]
        if feed.last_error:
            tries = f" ({feed.failures} tries in a row)" if feed.failures > 1 else ""
            lines.append(f"Last error{tries}: {error_sentence(feed)}")
        if feed.next_due:
            due = parse_time(feed.next_due)
            lines.append(
                "Next refresh: " + ("when the window next checks" if due and due <= now else local_time(feed.next_due))
            )
        return "\n".join(lines)

    @staticmethod
    def _interval_parts(seconds: int) -> tuple[int, int]:
        for i in range(len(UNITS) - 1, -1, -1):
            size = UNITS[i][1]
            if seconds % size == 0 and seconds // size <= 999:
                return seconds // size, i
        return max(1, seconds // 60), 0

    def _interval(self) -> int:
        return int(self.interval_value.value() * self.interval_unit.currentData())

    def _changes(self, feed: Feed) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        name = self.name_edit.text().strip()
        if name != feed.name:
            changes["name"] = name
        group = clean_group(self.group_edit.currentText())
        if group != feed.group:
            changes["group"] = group
        if self._interval() != feed.interval:
            changes["interval"] = self._interval()
        kind = self.kind_edit.currentData()
        if kind is not None and kind is not feed.kind:
            changes["kind"] = kind
        if self.notify_box.isChecked() != feed.notify:
            changes["notify"] = self.notify_box.isChecked()
        if is_arxiv_rss(feed):
            types = tuple(t for t in ANNOUNCE_TYPES if self.type_boxes[t].isChecked())
            if types != tuple(t for t in ANNOUNCE_TYPES if t in feed.adding_types):
                changes["announce_types"] = None if set(types) == set(DEFAULT_ANNOUNCE_TYPES) else types
        return changes

    def _form_edited(self, *_args: Any) -> None:
        listing = self.current_listing()
        self.save_button.setEnabled(listing is not None and bool(self._changes(listing.feed)))

    # ---- operations (also called by the window and by tests) --------------------------------------------------

    def add_from_field(self) -> None:
        self.add_feed(url=self.address.text(), kind=self.kind.currentData())

    def add_feed(self, *, url: str, kind: FeedKind | None = None, name: str | None = None, group: str = "") -> None:
        """Subscribe to `url`; the feed is selected and a refresh of it asked for."""
        try:
            address, found = detect(url, kind)
        except SubscriptionError as exc:
            self._show_error(exc)
            return
        spec = FeedSpec(url=address, name=name, group=group, kind=found)
        self.add_button.setEnabled(False)
        if self.check_addresses and (found in (None, FeedKind.RSS)) and not is_arxiv_url(address):
            self._say(f"Looking at {address}…")

            def look() -> None:
                from readinglist.core.discover import probe

                try:
                    seen = probe(address, timeout=20.0)
                except Exception as exc:  # never leave the dialog waiting: subscribe as asked
                    from readinglist.core.discover import Probe

                    seen = Probe(address, unreachable=str(exc))
                self._probed.emit(spec, seen)

            threading.Thread(target=look, name="look at the address", daemon=True).start()
            return
        self._subscribe(spec)

    def _after_probe(self, spec: FeedSpec, seen: Any) -> None:
        if seen.replaced is not None:
            self._subscribe(replace(spec, url=seen.replaced.url), note=f"{spec.url} is a web page; its feed is "
                            f"{seen.replaced.describe()}")  # fmt: skip
            return
        if seen.refused is not None:
            self.add_button.setEnabled(True)
            if seen.found:
                links = "<br>".join(
                    f"<a href='{html.escape(f.url, quote=True)}'>{html.escape(f.title or f.kind)}</a> "
                    f"({html.escape(f.url)})"
                    for f in seen.found
                )
                self.feedback.setTextFormat(Qt.TextFormat.RichText)
                self.feedback.setText(f"{html.escape(seen.refused)}: nothing subscribed yet. Add one:<br>{links}")
            else:
                self._show_error(SubscriptionError(f"{seen.refused}; nothing was subscribed"))
            return
        self._subscribe(spec, warning=f"it could not be fetched ({seen.unreachable})" if seen.unreachable else None)

    def _offered_feed(self, url: str) -> None:
        self.feedback.setTextFormat(Qt.TextFormat.PlainText)
        self.add_feed(url=url)

    def _subscribe(self, spec: FeedSpec, *, note: str | None = None, warning: str | None = None) -> None:
        credentials = self._credentials
        self.add_button.setEnabled(False)

        def done(result: Subscribed) -> None:
            self.add_button.setEnabled(True)
            self.address.clear()
            self.kind.setCurrentIndex(0)  # the next address is detected afresh, not taken for the last one's kind
            feed = result.feed
            text = f"Subscribed to {feed.name}; fetching its papers…"
            if note:
                text = f"{note}. {text}"
            if warning:
                text += f"\n⚠ {feed.name}: {warning}; it is tried again at each refresh (Remove… takes it out)"
            self.feedback.setTextFormat(Qt.TextFormat.PlainText)
            if result.warning:
                self._session_only.add(feed.id)
                text += f"\n⚠ {result.warning}"
            self._say(text)
            self._fetching = feed.id
            self.reload(select=feed.id)
            self.feeds_changed.emit()
            self.refresh_requested.emit([feed.id])

        def failed(exc: BaseException) -> None:
            self.add_button.setEnabled(True)
            self._show_error(exc)

        self._submit(lambda lib: add_feed(lib, spec, credentials()), done, failed=failed, label="add the feed")

    def save_current(self) -> None:
        listing = self.current_listing()
        if listing is None:
            return
        feed = listing.feed
        changes = self._changes(feed)
        if not changes:
            return

        def done(new: Feed) -> None:
            self._say(f"Saved {new.name}: {interval_text(new.interval)}" + (f", in {new.group}" if new.group else ""))
            self.save_button.setEnabled(False)
            self.reload(select=new.id)
            self.feeds_changed.emit()

        self._submit(lambda lib: save_feed(lib, feed.id, changes), done, label="save the feed")

    def set_credentials(self, credential: Credential | None = None) -> None:
        """Ask for credentials (or use `credential`) and save them for the selected feed."""
        listing = self.current_listing()
        if listing is None:
            return
        feed = listing.feed
        credentials = self._credentials
        if credential is not None:
            self._save_credential(feed, credential)
            return

        def ask(state: tuple[bool, str | None]) -> None:
            ok, reason = state
            dialog = CredentialDialog(feed.name, keyring_ok=ok, reason=reason, parent=self)
            if dialog.exec() == QDialog.DialogCode.Accepted:
                given = dialog.credential()
                if given is not None:
                    self._save_credential(feed, given)
            dialog.deleteLater()

        def probe(_lib: Library) -> tuple[bool, str | None]:
            store = credentials()
            return (False, "no credential store") if store is None else keyring_state(store)

        self._submit(probe, ask, label="look for the keyring")

    def _save_credential(self, feed: Feed, credential: Credential) -> None:
        credentials = self._credentials

        def job(lib: Library) -> CredentialSaved:
            store = credentials()
            if store is None:
                raise SubscriptionError("credentials cannot be kept in this window")
            return set_credential(lib, store, feed.id, credential)

        def done(result: CredentialSaved) -> None:
            if result.durable:
                self._session_only.discard(feed.id)
                self._say(f"Credentials for {result.feed.name} saved in the system keyring")
            else:
                self._session_only.add(feed.id)
                self._say(f"⚠ Credentials for {result.feed.name} are kept for this run only: {result.warning}")
            self.reload(select=feed.id)
            self.refresh_requested.emit([feed.id])  # the user wants to see them work

        self._submit(job, done, label="save the credentials")

    def forget_credentials(self) -> None:
        listing = self.current_listing()
        if listing is None:
            return
        feed = listing.feed
        credentials = self._credentials

        def job(lib: Library) -> Feed:
            store = credentials()
            if store is None:
                return lib.feeds.update(feed.id, auth="")
            return forget_credential(lib, store, feed.id)

        def done(new: Feed) -> None:
            self._session_only.discard(feed.id)
            self._say(f"Credentials for {new.name} deleted")
            self.reload(select=feed.id)

        self._submit(job, done, label="forget the credentials")

    def remove_current(self, *, confirm: bool = True) -> None:
        listing = self.current_listing()
        if listing is None:
            return
        feed = listing.feed
        if confirm:
            kept = f"\n\nIts {listing.papers:,} papers stay in the library." if listing.papers else ""
            answer = QMessageBox.question(
                self,
                "Remove Feed",
                f"Unsubscribe from {feed.name}?{kept}",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Yes,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        credentials = self._credentials

        def done(result: tuple[Feed, int]) -> None:
            removed, kept = result
            self._session_only.discard(removed.id)
            self._say(f"Unsubscribed from {removed.name}" + (f"; its {kept:,} papers stay" if kept else ""))
            self.reload()
            self.feeds_changed.emit()

        self._submit(lambda lib: remove_feed(lib, credentials(), feed.id), done, label="remove the feed")

    def import_opml(self, path: Path | str | None = None) -> None:
        """Subscribe to the feeds of an OPML file (asked for when not given); the new feeds are then refreshed."""
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(
                self, "Import OPML", str(Path.home()), "OPML files (*.opml *.xml);;All files (*)"
            )
            if not chosen:
                return
            path = chosen
        source = Path(path)
        credentials = self._credentials

        def done(result: OpmlImportResult) -> None:
            lines = [f"{source.name}: {result.summary()}"]
            for title, reason in result.skipped[:3]:
                lines.append(f"Skipped {title}: {reason}")
            if len(result.skipped) > 3:
                lines.append(f"… and {len(result.skipped) - 3} more skipped")
            lines += [f"⚠ {w}" for w in result.warnings]
            self._say("\n".join(lines))
            self.reload(select=result.added[0].id if result.added else None)
            if result.added:
                self.feeds_changed.emit()
                self.refresh_requested.emit([f.id for f in result.added])

        self._submit(lambda lib: import_opml(lib, source, credentials()), done, label="import the OPML file")

    def export_opml(self, path: Path | str | None = None) -> None:
        """Write every subscription (never credentials) as OPML for another reader."""
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self,
                "Export OPML",
                str(Path.home() / "readinglist-feeds.opml"),
                "OPML files (*.opml);;All files (*)",
            )
            if not chosen:
                return
            path = chosen
        target = Path(path)

        def done(count: int) -> None:
            self._say(f"{count} feeds written to {target}")

        self._submit(lambda lib: export_opml_file(lib, target), done, label="export the feeds")

    def _refresh_current(self) -> None:
        feed_id = self.current_feed_id()
        if feed_id is not None:
            self._say("Refreshing…")
            self.refresh_requested.emit([feed_id])

    def _refresh_all(self) -> None:
        ids = [r.feed.id for r in self.model.listings()]
        if ids:
            self._say("Refreshing every feed…")
            self.refresh_requested.emit(ids)

    # ---- feedback ----------------------------------------------------------------------------------------------

    def _address_edited(self, *_args: Any) -> None:
        ok, text = describe_address(self.address.text(), self.kind.currentData())
        self.detected.setText(text)
        self.add_button.setEnabled(ok)

    def _say(self, text: str) -> None:
        self.feedback.setText(text)
        self.message.emit(text.splitlines()[0])

    def _show_error(self, exc: BaseException) -> None:
        self._say(f"⚠ {error_text(exc)}")
