"""Refreshing feeds from the window: on demand (Ctrl+R) and on each feed's schedule, on the library thread, with a
progress bar and a Cancel button in the status bar, and each feed's error kept on that feed.

`refresh_feeds` must run where the Library lives, so a refresh is one job of the LibraryWorker: the downloads run
on the core's own pool, parsing and writing on the library thread. Its progress callback is called there too; it
reaches the window through a queued signal. Cancel is a threading.Event set from the GUI thread, which the core
checks between downloads, so a cancel (or closing the window) ends a refresh within a fraction of a second.

One refresh at a time. A refresh asked for while one runs (a feed just added, Ctrl+R again) waits for it and then
runs once, merged with any other request that came meanwhile.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from readinglist.core.credentials import CredentialStore
from readinglist.core.feeds import (
    Feed,
    FeedRegistry,
    RefreshOutcome,
    RefreshProgress,
    RefreshSummary,
    refresh_feeds,
)
from readinglist.core.library import Library
from readinglist.ui.worker import LibraryWorker

SCHEDULE_MS = 5 * 60 * 1000  # how often the window looks for feeds whose interval has passed
FIRST_CHECK_MS = 20 * 1000  # the first look, once the window has settled after opening
NAMES_IN_SUMMARY = 3


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    feed_ids: tuple[str, ...] | None  # None: every feed
    due_only: bool = False  # only the feeds whose interval has passed (the schedule)

    @property
    def everything(self) -> bool:
        return self.feed_ids is None and not self.due_only

    @property
    def scheduled(self) -> bool:
        """Only the schedule asked: nothing to say unless something came of it."""
        return self.due_only and not self.feed_ids

    def merged(self, other: RefreshRequest) -> RefreshRequest:
        """One request that does what both asked for: due_only with ids means the due feeds and those."""
        if self.everything:
            return self
        if other.everything:
            return other
        ids = tuple(dict.fromkeys((*(self.feed_ids or ()), *(other.feed_ids or ()))))
        return RefreshRequest(ids, self.due_only or other.due_only)

    def covers(self, other: RefreshRequest) -> bool:
        """Whether running this one also does all that `other` asks."""
        if self.everything:
            return True
        if other.scheduled:
            return self.due_only
        wanted = set(other.feed_ids or ())
        return not other.due_only and wanted <= set(self.feed_ids or ())


@dataclass(frozen=True, slots=True)
class RefreshDone:
    """What a refresh job hands back: the core's summary (None when nothing was due), every feed's current error,
    and how many feeds there are at all."""

    request: RefreshRequest
    summary: RefreshSummary | None
    errors: Mapping[str, str]  # feed id -> its last error, for every feed that has one now
    feeds: int

    @property
    def changed_papers(self) -> int:
        return 0 if self.summary is None else self.summary.new_papers + self.summary.updated_papers


def error_sentence(feed: Feed) -> str:
    """The feed's last error without the feed's name in front (the core names the feed for the command line;
    the window shows the error next to the name already)."""
    error = feed.last_error or ""
    return error.removeprefix(f"{feed.name}: ") or error


def feed_errors(registry: FeedRegistry) -> dict[str, str]:
    """Feed id -> the sentence saying what went wrong the last time, for every feed whose last try failed."""
    return {f.id: error_sentence(f) for f in registry.feeds() if f.last_error}


def load_feed_errors(lib: Library) -> dict[str, str]:
    return feed_errors(FeedRegistry(lib.store))


def run_refresh(
    lib: Library,
    request: RefreshRequest,
    *,
    credentials: CredentialStore | None,
    progress: Callable[[RefreshProgress], None],
    cancel: threading.Event,
) -> RefreshDone:
    """The job: on the library thread. A scheduled check with nothing due downloads nothing and reports nothing."""
    registry = FeedRegistry(lib.store)
    feeds = registry.feeds()
    ids: Sequence[str] | None = request.feed_ids
    if request.due_only:
        now = datetime.now(UTC)
        due = [f.id for f in feeds if f.is_due(now) and f.waiting_until(now) is None]
        if request.feed_ids:
            due = list(dict.fromkeys([*due, *request.feed_ids]))
        if not due:
            return RefreshDone(request, None, feed_errors(registry), len(feeds))
        ids = due
    elif ids is not None:
        known = {f.id for f in feeds}
        ids = [i for i in ids if i in known]  # a feed removed while its refresh waited is simply not fetched
    summary = refresh_feeds(lib, registry, feed_ids=ids, credentials=credentials, progress=progress, cancel=cancel)
    return RefreshDone(request, summary, feed_errors(registry), len(feeds))


def summary_line(done: RefreshDone) -> str:
    """One line for the status bar: the core's summary, and which feeds failed (each shows why in the sidebar)."""
    summary = done.summary
    if summary is None:
        return "No feed is due for a refresh"
    if done.feeds == 0:
        return "No feeds yet: add one with File ▸ Add Feed…"
    line = summary.summary()
    failed = [r.name for r in summary.results if r.outcome is RefreshOutcome.FAILED]
    if failed:
        names = ", ".join(failed[:NAMES_IN_SUMMARY])
        if len(failed) > NAMES_IN_SUMMARY:
            names += f" and {len(failed) - NAMES_IN_SUMMARY} more"
        line += f" · could not refresh {names} (the reason shows on the feed)"
    return line


class RefreshController(QObject):
    """Runs refreshes on the library worker and says how they go. Lives on the GUI thread; call it from there."""

    started = Signal(object)  # the RefreshRequest that began
    progressed = Signal(object)  # RefreshProgress, on the GUI thread
    finished = Signal(object)  # RefreshDone
    feed_errors_changed = Signal(dict)  # feed id -> error sentence, for every feed with an error (others: none)
    papers_changed = Signal(int, int)  # new, updated papers: the window reloads its view, keeping the place
    message = Signal(str)  # one line for the status bar
    _progress_from_library = Signal(object)  # emitted on the library thread; queued to this object's thread

    def __init__(
        self,
        worker: LibraryWorker,
        credentials: Callable[[], CredentialStore | None],
        *,
        schedule_ms: int = SCHEDULE_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._worker = worker
        self._credentials = credentials
        self._cancel: threading.Event | None = None
        self._running: RefreshRequest | None = None
        self._queued: RefreshRequest | None = None
        self._errors: dict[str, str] = {}
        self._closed = False
        self._progress_from_library.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._timer = QTimer(self, interval=schedule_ms, timeout=self._scheduled_check)
        self._first_check = QTimer(self, singleShot=True, timeout=self._scheduled_check)

    # ---- what the window asks --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running is not None

    @property
    def errors(self) -> Mapping[str, str]:
        return dict(self._errors)

    def refresh(self, feed_ids: Sequence[str] | None = None, *, due_only: bool = False) -> None:
        """Refresh these feeds (every feed when None); while another refresh runs, this one follows it."""
        if self._closed:
            return
        request = RefreshRequest(tuple(feed_ids) if feed_ids is not None else None, due_only)
        if self._running is not None:
            if self._running.covers(request):
                if not request.scheduled:
                    self.message.emit("A refresh is already running")
                return
            self._queued = request if self._queued is None else self._queued.merged(request)
            return
        self._start(request)

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
        self._queued = None

    def start_schedule(self, *, first_check_ms: int = FIRST_CHECK_MS) -> None:
        """Look for due feeds soon, then every few minutes."""
        self._first_check.start(first_check_ms)
        self._timer.start()

    def stop_schedule(self) -> None:
        self._first_check.stop()
        self._timer.stop()

    def load_errors(self) -> None:
        """Read each feed's last error (from earlier runs) so the sidebar shows it from the start."""
        self._worker.submit(load_feed_errors, self._set_errors, label="read the feeds' errors")

    def shutdown(self) -> None:
        """Before the library closes: stop the schedule and end a running refresh (its finished work is saved)."""
        self._closed = True
        self.stop_schedule()
        self.cancel()

    # ---- plumbing --------------------------------------------------------------------------------------------

    def _scheduled_check(self) -> None:
        if self._running is None and not self._closed:
            self.refresh(due_only=True)

    def _start(self, request: RefreshRequest) -> None:
        cancel = threading.Event()
        self._cancel = cancel
        self._running = request
        credentials = self._credentials
        emit = self._emit_progress

        def job(lib: Library) -> RefreshDone:
            return run_refresh(lib, request, credentials=credentials(), progress=emit, cancel=cancel)

        self.started.emit(request)
        self._worker.submit(job, self._done, failed=self._failed, label="refresh the feeds")

    def _emit_progress(self, progress: RefreshProgress) -> None:
        # On the library thread.
        with contextlib.suppress(RuntimeError):  # the window closed while the refresh ran
            self._progress_from_library.emit(progress)

    def _on_progress(self, progress: RefreshProgress) -> None:
        if self._running is not None:
            self.progressed.emit(progress)

    def _done(self, done: RefreshDone) -> None:
        self._running = None
        self._cancel = None
        self._set_errors(dict(done.errors))
        if done.summary is not None:
            new, updated = done.summary.new_papers, done.summary.updated_papers
            if new or updated:
                self.papers_changed.emit(new, updated)
            # A scheduled refresh speaks only when it brought something or something went wrong.
            if not done.request.scheduled or new or updated or done.summary.failed:
                self.message.emit(summary_line(done))
        elif not done.request.scheduled:
            self.message.emit(summary_line(done))
        self.finished.emit(done)
        self._next()

    def _failed(self, exc: BaseException) -> None:
        request = self._running or RefreshRequest(None)
        self._running = None
        self._cancel = None
        self.message.emit(f"The refresh stopped: {exc}")
        self.finished.emit(RefreshDone(request, None, dict(self._errors), 0))
        self._next()

    def _next(self) -> None:
        queued, self._queued = self._queued, None
        if queued is not None and not self._closed:
            self._start(queued)

    def _set_errors(self, errors: dict[str, str]) -> None:
        if errors != self._errors:
            self._errors = errors
            self.feed_errors_changed.emit(dict(errors))


class RefreshStatus(QWidget):
    """The status bar's part of a refresh: what is happening, a progress bar and Cancel. Hidden when idle."""

    def __init__(self, controller: RefreshController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("refreshStatus")
        self._controller = controller
        self.label = QLabel()
        self.label.setObjectName("refreshLabel")
        self.bar = QProgressBar()
        self.bar.setObjectName("refreshProgress")
        self.bar.setFixedWidth(140)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setObjectName("refreshCancel")
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop the refresh; the feeds already read keep their papers")
        self.cancel_button.setAutoRaise(False)
        self.cancel_button.clicked.connect(self._cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.setSpacing(8)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()
        controller.started.connect(self._started)
        controller.progressed.connect(self._progressed)
        controller.finished.connect(self._finished)

    def _started(self, request: RefreshRequest) -> None:
        self.label.setText("Checking the feeds…" if request.scheduled else "Refreshing the feeds…")
        self.bar.setRange(0, 0)  # busy until the first progress says how many
        self.cancel_button.setEnabled(True)
        self.show()

    def _progressed(self, progress: RefreshProgress) -> None:
        if progress.total == 0:
            return
        self.bar.setRange(0, progress.total)
        self.bar.setValue(progress.done)
        text = f"Refreshing feeds: {progress.done} of {progress.total}"
        if progress.new_papers:
            text += f", {progress.new_papers:,} new papers"
        if self.cancel_button.isEnabled():
            self.label.setText(text)

    def _finished(self, _done: RefreshDone) -> None:
        if not self._controller.running:
            self.hide()

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Cancelling the refresh…")
        self._controller.cancel()
