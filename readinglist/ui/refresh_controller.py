"""Refreshing feeds from the window: on demand (Ctrl+R) and on each feed's schedule, with a progress bar and a
Cancel button in the status bar, and each feed's error kept on that feed.

The core's refresh has three stages (`core/refresh.py`), and the window runs each where it belongs, so that no job
of the window (a search, a view, a star being saved) ever queues behind a slow server:

1. plan, on the library thread: which feeds (all, some, or those due), as plain Feed values;
2. download, on a network thread of its own: every request the feeds need, each feed handed back as it completes;
3. apply, on the library thread: the downloads that have arrived are read and written in one job, committed
   before the job ends; the next job takes whatever arrived meanwhile. A last job saves the feeds' status.

Progress reaches the window through queued signals. Cancel is a threading.Event set from the GUI thread; downloads
see it at once and the feeds not done come back cancelled, with nothing half-written.

One refresh at a time. A refresh asked for while one runs (a feed just added, Ctrl+R again) waits for it and then
runs once, merged with any other request that came meanwhile.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from readinglist.ui.errors import error_text
from readinglist.ui.refresh_jobs import (
    RefreshDone,
    RefreshRequest,
    RefreshRun,
    WindowPlan,
    download_planned,
    load_feed_errors,
    plan_refresh,
    summary_line,
)
from readinglist.ui.timers import single_shot_timer
from readinglist.ui.worker import LibraryWorker

if TYPE_CHECKING:
    from readinglist.core.credentials import CredentialStore
    from readinglist.core.refresh import Downloaded, RefreshProgress

SCHEDULE_MS = 5 * 60 * 1000  # how often the window looks for feeds whose interval has passed
FIRST_CHECK_MS = 20 * 1000  # the first look, once the window has settled after opening

__all__ = ["RefreshController", "RefreshDone", "RefreshRequest", "RefreshStatus", "summary_line"]


class RefreshController(QObject):
    """Runs refreshes on the library worker and says how they go. Lives on the GUI thread; call it from there."""

    started = Signal(object)  # the RefreshRequest that began
    downloading = Signal(int, int)  # feeds downloaded, of how many
    progressed = Signal(object)  # RefreshProgress, as the core reads and saves them
    finished = Signal(object)  # RefreshDone
    feed_errors_changed = Signal(dict)  # feed id -> error sentence, for every feed with an error (others: none)
    papers_changed = Signal(int, int)  # new, updated papers: the window reloads its view, keeping the place
    message = Signal(str)  # one line for the status bar
    _progress_from_library = Signal(object)  # emitted on the library thread; queued to this object's thread
    _downloaded = Signal(object, object)  # RefreshRun, Downloaded: emitted on the network thread, queued here
    _downloads_ended = Signal(object)  # RefreshRun

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
        self._started_at = 0.0
        self._plan_ids: frozenset[str] | None = None  # the feeds the running refresh fetches, once planned
        self._run: RefreshRun | None = None
        self._arrived: list[Downloaded] = []  # downloads waiting for the next apply job
        self._arrived_ids: list[str] = []  # the feeds whose download came back, this refresh
        self._downloaded_count = 0
        self._applying = False
        self._downloads_done = False
        self._progress_from_library.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._downloaded.connect(self._on_downloaded, Qt.ConnectionType.QueuedConnection)
        self._downloads_ended.connect(self._on_downloads_ended, Qt.ConnectionType.QueuedConnection)
        self._timer = QTimer(self, interval=schedule_ms)
        self._timer.timeout.connect(self._scheduled_check)
        self._first_check = single_shot_timer(self, 0, self._scheduled_check)

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
            if self._covered(request):
                if not request.scheduled:
                    self.message.emit("A refresh is already running")
                return
            self._queued = request if self._queued is None else self._queued.merged(request)
            return
        self._start(request)

    def _covered(self, request: RefreshRequest) -> bool:
        """Whether the running refresh already does what `request` asks. Particular feeds (one just added) only
        when its plan has them: a refresh of every feed planned a moment ago does not know a feed added since."""
        assert self._running is not None
        if request.feed_ids:
            return not request.due_only and self._plan_ids is not None and set(request.feed_ids) <= self._plan_ids
        return self._running.covers(request)

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
        self._cancel = threading.Event()
        self._started_at = time.monotonic()
        self._plan_ids = None
        self._running = request
        self.started.emit(request)
        self._worker.submit(
            lambda lib: plan_refresh(lib, request), self._planned, failed=self._failed, label="plan the refresh"
        )

    def _planned(self, plan: WindowPlan) -> None:
        cancel = self._cancel
        if self._closed or cancel is None:
            return
        self._plan_ids = frozenset(f.id for f in plan.feeds)
        if not plan.feeds and not plan.plan.waiting:
            self._done(RefreshDone(plan.request, None, plan.errors, plan.total))
            return
        run = self._run = RefreshRun(plan, self._emit_progress)
        self._arrived, self._downloaded_count, self._applying, self._downloads_done = [], 0, False, False
        self._arrived_ids = []
        self.downloading.emit(0, len(plan.feeds))
        credentials = self._credentials

        def each(downloaded: Downloaded) -> None:  # on the network thread
            with contextlib.suppress(RuntimeError):  # the window is gone
                self._downloaded.emit(run, downloaded)

        def network() -> None:
            try:
                download_planned(plan, credentials=credentials(), cancel=cancel, each=each)
            finally:
                with contextlib.suppress(RuntimeError):
                    self._downloads_ended.emit(run)

        threading.Thread(target=network, name="readinglist-network", daemon=True).start()

    def waiting_for(self) -> list[str]:
        """The names of the feeds whose download has not come back yet (a slow server is named, not hidden)."""
        run = self._run
        if run is None:
            return []
        arrived = set(self._arrived_ids)
        return [f.name for f in run.plan.feeds if f.id not in arrived]

    def _on_downloaded(self, run: RefreshRun, downloaded: Downloaded) -> None:
        if run is not self._run:
            return
        self._arrived_ids.append(downloaded.feed.id)
        self._arrived.append(downloaded)
        self._downloaded_count += 1
        self.downloading.emit(self._downloaded_count, len(run.plan.feeds))
        self._pump()

    def _on_downloads_ended(self, run: RefreshRun) -> None:
        if run is self._run:
            self._downloads_done = True
            self._pump()

    def _pump(self) -> None:
        """One apply job at a time, taking every download that has arrived; then the job that finishes."""
        run, cancel = self._run, self._cancel
        if run is None or cancel is None or self._applying:
            return
        if self._arrived:
            batch, self._arrived = self._arrived, []
            self._applying = True
            self._worker.submit(
                lambda lib: run.apply(lib, batch), self._applied, failed=self._failed, label="read the feeds"
            )
        elif self._downloads_done:
            self._applying = True
            self._worker.submit(
                lambda lib: run.finish(lib, cancelled=cancel.is_set()), self._done, failed=self._failed,
                label="save the feeds' status",
            )  # fmt: skip

    def _applied(self, _count: int) -> None:
        self._applying = False
        self._pump()

    def _emit_progress(self, progress: RefreshProgress) -> None:
        # On the library thread.
        with contextlib.suppress(RuntimeError):  # the window closed while the refresh ran
            self._progress_from_library.emit(progress)

    def _on_progress(self, progress: RefreshProgress) -> None:
        if self._running is not None:
            self.progressed.emit(progress)

    def _done(self, done: RefreshDone) -> None:
        if done.summary is not None:  # the whole refresh, as the user waited for it
            done = replace(done, summary=replace(done.summary, elapsed=time.monotonic() - self._started_at))
        self._running = None
        self._cancel = None
        self._run = None
        self._applying = False
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
        if self._cancel is not None:
            self._cancel.set()  # downloads still running are of no use now
        self._cancel = None
        self._run = None
        self._applying = False
        self.message.emit(f"The refresh stopped: {error_text(exc)}")
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
        controller.downloading.connect(self._downloading)
        controller.progressed.connect(self._progressed)
        controller.finished.connect(self._finished)

    def _started(self, request: RefreshRequest) -> None:
        self.label.setText("Checking the feeds…" if request.scheduled else "Refreshing the feeds…")
        self.bar.setRange(0, 0)  # busy until the first progress says how many
        self.cancel_button.setEnabled(True)
        self.show()

    def _downloading(self, done: int, total: int) -> None:
        # Downloading is most of a refresh: it fills the first nine tenths of the bar, reading the rest.
        if total:
            self._show(done * 9, total * 10, f"Downloading feeds: {done} of {total}" + self._waiting(done))

    def _waiting(self, done: int) -> str:
        """ " · waiting for Slow journal": once some feeds came back, the ones still out, by name."""
        waiting = self._controller.waiting_for() if done else []
        if not waiting:
            return ""
        if len(waiting) <= 3:
            return " · waiting for " + ", ".join(waiting)
        return f" · waiting for {waiting[0]} and {len(waiting) - 1} more"

    def _progressed(self, progress: RefreshProgress) -> None:
        if progress.total == 0:
            return
        text = f"Reading feeds: {progress.done} of {progress.total}"
        if progress.new_papers:
            text += f", {progress.new_papers:,} new papers"
        text += self._waiting(progress.done)
        self._show(progress.total * 9 + progress.done, progress.total * 10, text)

    def _show(self, value: int, maximum: int, text: str) -> None:
        self.bar.setRange(0, maximum)
        self.bar.setValue(value)
        if self.cancel_button.isEnabled():
            self.label.setText(text)

    def _finished(self, _done: RefreshDone) -> None:
        if not self._controller.running:
            self.hide()

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Cancelling the refresh…")
        self._controller.cancel()
