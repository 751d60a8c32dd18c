"""Refreshing from the window: a real HTTP server on 127.0.0.1, one feed that works and one that fails; progress,
cancel, the schedule, and errors that stay on their feed instead of becoming dialogs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow, QMessageBox
from pytestqt.qtbot import QtBot
from uitools import WindowFactory, reopen, wait_idle
from workertools import FeedServer, Route, SilentServer, add_feeds, fixture, running_worker, wait_worker

from readinglist.core.credentials import CredentialStore
from readinglist.core.feeds import FeedKind, FeedRegistry, FeedSpec
from readinglist.core.library import Library
from readinglist.core.refresh import RefreshOutcome
from readinglist.ui.feeds.table import COL_STATUS
from readinglist.ui.library_jobs import Selection
from readinglist.ui.main_window import PAGE_MAIN, PAGE_WELCOME, MainWindow
from readinglist.ui.refresh_controller import (
    RefreshController,
    RefreshDone,
    RefreshRequest,
    RefreshStatus,
    summary_line,
)
from readinglist.ui.settings import MarkReadMode
from readinglist.ui.sidebar_model import COL_COUNT

CL = fixture("arxiv_rss_cs.CL.xml")


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer().start()
    srv.routes["/good.xml"] = Route(body=CL, headers={"Content-Type": "application/rss+xml"})
    srv.routes["/broken.xml"] = Route(status=500, body=b"oops")
    yield srv
    srv.stop()


def no_credentials() -> CredentialStore | None:
    return None


def status_bar_with(qtbot: QtBot, controller: RefreshController) -> tuple[QMainWindow, RefreshStatus]:
    """The refresh's status widget where the window puts it: in a main window's status bar."""
    window = QMainWindow()
    window.setMinimumSize(600, 200)  # fixed: the offscreen platform warns about every size hint change otherwise
    qtbot.addWidget(window)
    status = RefreshStatus(controller)
    window.statusBar().addPermanentWidget(status)
    window.show()
    return window, status


def test_a_refresh_shows_progress_and_keeps_each_error_on_its_feed(
    qtbot: QtBot, data_dir: Path, server: FeedServer
) -> None:
    good, broken = add_feeds(
        data_dir,
        FeedSpec(server.url("/good.xml"), name="Good feed"),
        FeedSpec(server.url("/broken.xml"), name="Broken feed"),
    )
    with running_worker(qtbot, data_dir) as worker:
        controller = RefreshController(worker, no_credentials)
        _window, status = status_bar_with(qtbot, controller)
        progress: list[tuple[int, int]] = []
        errors: list[dict[str, str]] = []
        messages: list[str] = []
        changed: list[tuple[int, int]] = []
        controller.progressed.connect(lambda p: progress.append((p.done, p.total)))
        controller.feed_errors_changed.connect(errors.append)
        controller.message.connect(messages.append)
        controller.papers_changed.connect(lambda new, upd: changed.append((new, upd)))

        with qtbot.waitSignal(controller.finished, timeout=10_000) as finished:
            controller.refresh()
            assert controller.running and status.isVisible() and status.cancel_button.isEnabled()
        done: RefreshDone = finished.args[0]

        assert not controller.running and not status.isVisible()
        assert done.summary is not None
        outcomes = {r.name: r.outcome for r in done.summary.results}
        assert outcomes == {"Good feed": RefreshOutcome.UPDATED, "Broken feed": RefreshOutcome.FAILED}
        assert progress[0] == (0, 2) and progress[-1] == (2, 2)  # progress arrived on the GUI thread, in order
        new = done.summary.new_papers
        assert new > 0 and changed == [(new, 0)]
        # The failing feed's reason is kept for the sidebar; the working feed has none. One line, no dialog.
        assert list(errors[-1]) == [broken.id] and "500" in errors[-1][broken.id]
        assert controller.errors == errors[-1]
        assert len(messages) == 1
        assert f"{new} new papers" in messages[0] and "could not refresh Broken feed" in messages[0]

        # The library has the papers and both feeds' status, as a restart would find them.
        server.routes["/broken.xml"] = Route(body=CL)  # the server is fixed: the error goes away
        with qtbot.waitSignal(controller.feed_errors_changed, timeout=10_000) as cleared:
            controller.refresh([broken.id])
        assert cleared.args[0] == {}
        wait_worker(qtbot, worker)
    with Library.open(data_dir, writer=False) as lib:
        registry = FeedRegistry(lib.store)
        assert registry.get(good.id).last_success and registry.get(broken.id).last_error is None
        assert lib.feed_counts()[good.id] == new


def test_the_library_thread_stays_free_while_feeds_download(qtbot: QtBot, data_dir: Path, server: FeedServer) -> None:
    server.routes["/slow.xml"] = Route(body=CL, delay=0.5)
    add_feeds(data_dir, FeedSpec(server.url("/slow.xml"), name="Slow feed"))
    with running_worker(qtbot, data_dir) as worker:
        controller = RefreshController(worker, no_credentials)
        downloads: list[tuple[int, int]] = []
        controller.downloading.connect(lambda done, total: downloads.append((done, total)))
        with qtbot.waitSignal(controller.downloading, timeout=5000):
            controller.refresh()
        # While the slow server thinks, a search (any job) on the library thread answers at once.
        started = time.monotonic()
        with qtbot.waitCallback(timeout=5000) as answered:
            worker.submit(len, answered)
        assert time.monotonic() - started < 0.25 and answered.args == [0]
        with qtbot.waitSignal(controller.finished, timeout=10_000) as finished:
            pass
        assert downloads == [(0, 1), (1, 1)]
        assert finished.args[0].summary.new_papers > 0
        assert server.hits("/slow.xml") == 1  # downloaded once, on the network thread


def test_errors_from_earlier_runs_are_read_at_start(qtbot: QtBot, data_dir: Path, server: FeedServer) -> None:
    (broken,) = add_feeds(data_dir, FeedSpec(server.url("/broken.xml"), name="Broken feed"))
    with Library.open(data_dir) as lib:
        FeedRegistry(lib.store).update(broken.id, last_error="Broken feed: HTTP 500, the server failed")
    with running_worker(qtbot, data_dir) as worker:
        controller = RefreshController(worker, no_credentials)
        with qtbot.waitSignal(controller.feed_errors_changed) as blocker:
            controller.load_errors()
        assert blocker.args[0] == {broken.id: "HTTP 500, the server failed"}  # the name is shown beside it


def test_cancel_ends_a_refresh_stuck_on_a_silent_server_at_once(qtbot: QtBot, data_dir: Path) -> None:
    silent = SilentServer()
    try:
        add_feeds(data_dir, FeedSpec(silent.url, name="Silent feed"))
        with running_worker(qtbot, data_dir) as worker:
            controller = RefreshController(worker, no_credentials)
            _window, status = status_bar_with(qtbot, controller)
            with qtbot.waitSignal(controller.downloading, timeout=5000):
                controller.refresh()
            started = time.monotonic()
            with qtbot.waitSignal(controller.finished, timeout=5000) as finished:
                qtbot.mouseClick(status.cancel_button, Qt.MouseButton.LeftButton)
                assert status.label.text() == "Cancelling the refresh…"
            assert time.monotonic() - started < 2
            done: RefreshDone = finished.args[0]
            assert done.summary is not None and done.summary.cancelled
            assert [r.outcome for r in done.summary.results] == [RefreshOutcome.CANCELLED]
            assert "cancelled" in summary_line(done)
    finally:
        silent.stop()


def test_the_schedule_fetches_only_due_feeds_and_is_silent_when_nothing_came(
    qtbot: QtBot, data_dir: Path, server: FeedServer
) -> None:
    _good, later = add_feeds(
        data_dir,
        FeedSpec(server.url("/good.xml"), name="Good feed"),
        FeedSpec(server.url("/broken.xml"), name="Broken feed"),
    )
    with Library.open(data_dir) as lib:  # the broken feed is not due for a day
        FeedRegistry(lib.store).update(later.id, next_due="2999-01-01T00:00:00Z")
    with running_worker(qtbot, data_dir) as worker:
        controller = RefreshController(worker, no_credentials, schedule_ms=50)
        messages: list[str] = []
        controller.message.connect(messages.append)
        with qtbot.waitSignal(controller.finished, timeout=10_000) as first:
            controller.start_schedule(first_check_ms=0)
        done: RefreshDone = first.args[0]
        assert done.request.scheduled and done.summary is not None
        assert [r.name for r in done.summary.results] == ["Good feed"]
        assert len(messages) == 1 and "new papers" in messages[0]  # it brought papers: it says so
        # The next check finds nothing due: nothing is downloaded and nothing is said.
        hits = server.hits("/good.xml")
        with qtbot.waitSignal(controller.finished, timeout=5000) as second:
            pass
        assert second.args[0].summary is None
        controller.shutdown()
        wait_worker(qtbot, worker)
        assert server.hits("/good.xml") == hits and len(messages) == 1


def test_requests_made_while_one_runs_are_merged_and_run_once_after_it(
    qtbot: QtBot, data_dir: Path, server: FeedServer
) -> None:
    good, broken = add_feeds(
        data_dir,
        FeedSpec(server.url("/good.xml"), name="Good feed"),
        FeedSpec(server.url("/broken.xml"), name="Broken feed"),
    )
    server.routes["/good.xml"].delay = 0.3
    with running_worker(qtbot, data_dir) as worker:
        controller = RefreshController(worker, no_credentials)
        runs: list[RefreshRequest] = []
        messages: list[str] = []
        controller.started.connect(runs.append)
        controller.message.connect(messages.append)
        with qtbot.waitSignal(controller.downloading):  # planned: it is fetching the good feed
            controller.refresh([good.id])
        controller.refresh([good.id])  # already being fetched: said once, not queued
        controller.refresh([broken.id])
        controller.refresh(due_only=True)
        qtbot.waitUntil(lambda: len(runs) == 2 and not controller.running, timeout=10_000)
        assert runs == [RefreshRequest((good.id,)), RefreshRequest((broken.id,), due_only=True)]
        assert messages[0] == "A refresh is already running"


def test_a_feed_added_during_a_refresh_of_every_feed_is_fetched_after_it(
    qtbot: QtBot, data_dir: Path, server: FeedServer
) -> None:
    (good,) = add_feeds(data_dir, FeedSpec(server.url("/good.xml"), name="Good feed"))
    server.routes["/good.xml"].delay = 0.3
    with running_worker(qtbot, data_dir) as worker:
        controller = RefreshController(worker, no_credentials)
        runs: list[RefreshRequest] = []
        controller.started.connect(runs.append)
        with qtbot.waitSignal(controller.downloading):
            controller.refresh()
        late = FeedSpec(server.url("/broken.xml"), name="Late feed")
        with qtbot.waitCallback() as added:
            worker.submit(lambda lib: FeedRegistry(lib.store).add(late).id, added)
        controller.refresh([added.args[0]])  # not in the running refresh's plan: it follows
        qtbot.waitUntil(lambda: len(runs) == 2 and not controller.running, timeout=10_000)
        assert runs[1] == RefreshRequest((added.args[0],))
        assert good.id not in runs[1].feed_ids


def test_request_merging_rules() -> None:
    everything, due = RefreshRequest(None), RefreshRequest(None, due_only=True)
    a, b = RefreshRequest(("a",)), RefreshRequest(("b",))
    assert a.merged(b) == RefreshRequest(("a", "b")) and a.merged(everything) is everything
    assert due.merged(a) == RefreshRequest(("a",), due_only=True) and not due.merged(a).scheduled
    assert everything.covers(a) and everything.covers(due) and due.covers(due)
    assert not a.covers(b) and not a.covers(due) and RefreshRequest(("a", "b")).covers(a)


# ---- in the window ------------------------------------------------------------------------------------------


def feed_index(window: MainWindow, feed_id: str) -> QModelIndex:
    index = window.sidebar_model.index_of(Selection("feed", feed_id))
    assert index.isValid()
    return index


def test_ctrl_r_in_the_window_adds_the_new_papers_in_place_and_marks_the_failing_feed(
    qtbot: QtBot, sample_dir: Path, server: FeedServer, open_window: WindowFactory
) -> None:
    good, broken = add_feeds(
        sample_dir,
        FeedSpec(server.url("/good.xml"), name="Good feed", group="Journals"),
        FeedSpec(server.url("/broken.xml"), name="Broken feed", group="Journals"),
    )
    window = open_window(sample_dir, mark_read=MarkReadMode.NEVER)
    qtbot.waitUntil(lambda: window.counts is not None, timeout=5000)
    assert window.model.rowCount() == 60
    # Subscribed feeds are in the sidebar before they have papers, under their group's heading.
    heading = feed_index(window, broken.id).siblingAtRow(feed_index(window, broken.id).row() - 1)
    assert heading.data() == "▾ Journals" and not heading.flags() & Qt.ItemFlag.ItemIsSelectable
    window.list.select_row(5)
    current = window.list.current_key()

    with qtbot.waitSignal(window.refresh.finished, timeout=10_000):
        qtbot.keyClick(window.list, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        assert window.refresh_status.isVisible()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.counts is not None and window.counts.papers > 60, timeout=5000)

    new = window.counts.papers - 60
    assert new > 0 and window.model.rowCount() == 60 + new  # the new papers are in the Inbox list
    assert window.list.current_key() == current and window.pane.key == current  # the user's place is kept
    assert not window.refresh_status.isVisible()
    message = window.statusBar().currentMessage()
    assert f"{new} new papers" in message and "could not refresh Broken feed" in message
    # The error is on the failing feed, with the reason on hover; the working feed has its papers and no mark.
    bad = feed_index(window, broken.id)
    assert isinstance(bad.data(Qt.ItemDataRole.DecorationRole), QIcon)
    assert "The last refresh failed: 500 Internal Server Error" in bad.data(Qt.ItemDataRole.ToolTipRole)
    ok = feed_index(window, good.id)
    assert "failed" not in ok.data(Qt.ItemDataRole.ToolTipRole) and not window.sidebar_model.feed_error(good.id)
    assert ok.siblingAtColumn(COL_COUNT).data() == str(new)
    # No dialog, let alone one per feed.
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]

    # A restart shows the mark again, from the library.
    window = reopen(window, open_window)
    qtbot.waitUntil(lambda: bool(window.sidebar_model.feed_error(broken.id)), timeout=5000)
    assert "500 Internal Server Error" in feed_index(window, broken.id).data(Qt.ItemDataRole.ToolTipRole)


def test_first_run_add_a_feed_from_the_welcome_view(
    qtbot: QtBot, data_dir: Path, server: FeedServer, open_window: WindowFactory
) -> None:
    window = open_window(data_dir)
    assert window.stack.currentIndex() == PAGE_WELCOME
    button = next(b for b in window.welcome.buttons if b.text() == "Add Feed…")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.feeds_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.address)
    qtbot.keyClicks(dialog.address, server.url("/good.xml"))
    with qtbot.waitSignal(window.refresh.finished, timeout=10_000):
        qtbot.keyClick(dialog.address, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == PAGE_MAIN and window.model.rowCount() > 0, timeout=5000)
    wait_idle(qtbot, window)
    assert "new papers" in window.statusBar().currentMessage()
    # The dialog shows how it went: fetched, named by the feed itself.
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1 and dialog.model.index(0, COL_STATUS).data() == "OK")
    assert dialog.model.index(0, 1).data() == "cs.CL updates on arXiv.org"


def test_a_feed_that_only_fails_still_leaves_the_welcome_view_and_shows_why(
    qtbot: QtBot, data_dir: Path, server: FeedServer, open_window: WindowFactory
) -> None:
    window = open_window(data_dir)
    dialog = window.open_feeds_dialog()
    with qtbot.waitSignal(window.refresh.finished, timeout=10_000):
        dialog.add_feed(url=server.url("/broken.xml"))
    qtbot.waitUntil(lambda: window.stack.currentIndex() == PAGE_MAIN, timeout=5000)
    wait_idle(qtbot, window)
    feed_id = dialog.current_feed_id()
    assert feed_id is not None
    qtbot.waitUntil(lambda: window.counts is not None and len(window.counts.feeds) == 1, timeout=5000)
    assert "500 Internal Server Error" in feed_index(window, feed_id).data(Qt.ItemDataRole.ToolTipRole)
    # Its own view says why it is empty.
    window.show_view(Selection("feed", feed_id))
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 0
    assert window.list.empty_text.startswith("No papers from this feed yet: its last refresh failed.")
    assert "500 Internal Server Error" in window.list.empty_text


def test_missed_hugging_face_days_download_off_the_library_thread(
    qtbot: QtBot, data_dir: Path, server: FeedServer
) -> None:
    # A daily-papers feed last read three days ago: today's list and the two missed days are all fetched, and the
    # slow answers for the missed days keep the network thread busy, never the library thread.
    server.routes["/daily"] = Route(body=fixture("hf_daily_papers_2025-09-17.json"), delay=0.4)
    (feed,) = add_feeds(data_dir, FeedSpec(server.url("/daily"), kind=FeedKind.HF_DAILY, name="Daily"))
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).isoformat().replace("+00:00", "Z")
    with Library.open(data_dir) as lib:
        FeedRegistry(lib.store).update(feed.id, last_success=three_days_ago)
    with running_worker(qtbot, data_dir) as worker:
        controller = RefreshController(worker, no_credentials)
        with qtbot.waitSignal(controller.downloading, timeout=5000):
            controller.refresh()
        time.sleep(0.5)  # today's answer has come; the missed days are downloading now
        started = time.monotonic()
        with qtbot.waitCallback(timeout=5000) as answered:
            worker.submit(len, answered)
        assert time.monotonic() - started < 0.25
        with qtbot.waitSignal(controller.finished, timeout=15_000) as finished:
            pass
    summary = finished.args[0].summary
    assert summary.results[0].outcome is RefreshOutcome.UPDATED and summary.new_papers > 0
    dated = [r.path for r in server.requests if "date=" in r.path]
    assert len(dated) == 3 and server.hits("/daily") == 4  # today, and each missed day once


def test_first_run_import_opml_from_the_welcome_view_subscribes_and_fetches(
    qtbot: QtBot,
    data_dir: Path,
    server: FeedServer,
    open_window: WindowFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opml = tmp_path / "subscriptions.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>'
        '<outline text="Work">'
        f'<outline type="rss" text="Lab feed" xmlUrl="{server.url("/good.xml")}"/>'
        f'<outline type="rss" text="Broken journal" xmlUrl="{server.url("/broken.xml")}"/>'
        "</outline></body></opml>",
        encoding="utf-8",
    )
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(opml), ""))
    window = open_window(data_dir)
    button = next(b for b in window.welcome.buttons if b.text() == "Import OPML…")
    with qtbot.waitSignal(window.refresh.finished, timeout=10_000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == PAGE_MAIN and window.model.rowCount() > 0, timeout=5000)
    wait_idle(qtbot, window)
    dialog = window.feeds_dialog
    assert dialog is not None and dialog.isVisible()
    assert "subscriptions.opml: 2 feeds added in 1 group" in dialog.feedback.text()
    qtbot.waitUntil(lambda: window.counts is not None and len(window.counts.feeds) == 2, timeout=5000)
    assert set(window.counts.groups.values()) == {"Work"}
    broken = next(source for source, name, _ in window.counts.feeds if name == "Broken journal")
    assert "500 Internal Server Error" in feed_index(window, broken).data(Qt.ItemDataRole.ToolTipRole)


def test_the_status_names_the_slow_feed_it_is_waiting_for(qtbot: QtBot, data_dir: Path, server: FeedServer) -> None:
    server.routes["/slow.xml"] = Route(body=CL, delay=1.5)
    add_feeds(
        data_dir,
        FeedSpec(server.url("/good.xml"), name="Quick feed"),
        FeedSpec(server.url("/slow.xml"), name="Slow journal"),
    )
    with running_worker(qtbot, data_dir) as worker:
        controller = RefreshController(worker, no_credentials)
        _window, status = status_bar_with(qtbot, controller)
        with qtbot.waitSignal(controller.finished, timeout=15_000):
            controller.refresh()
            qtbot.waitUntil(lambda: "waiting for Slow journal" in status.label.text(), timeout=5000)
            assert (
                status.label.text().endswith("1 of 2 · waiting for Slow journal") or "new papers" in status.label.text()
            )
        wait_worker(qtbot, worker)


def test_cancel_keeps_the_feeds_already_downloaded(qtbot: QtBot, data_dir: Path, server: FeedServer) -> None:
    silent = SilentServer()
    try:
        good, _stuck = add_feeds(
            data_dir, FeedSpec(server.url("/good.xml"), name="Quick feed"), FeedSpec(silent.url, name="Stuck feed")
        )
        with running_worker(qtbot, data_dir) as worker:
            controller = RefreshController(worker, no_credentials)
            _window, _status = status_bar_with(qtbot, controller)
            progress: list[int] = []
            controller.progressed.connect(lambda p: progress.append(p.done))
            controller.refresh()
            qtbot.waitUntil(lambda: bool(progress) and progress[-1] >= 1, timeout=10_000)  # the quick one is read
            with qtbot.waitSignal(controller.finished, timeout=5000) as finished:
                controller.cancel()
            done: RefreshDone = finished.args[0]
            outcomes = {r.name: r.outcome for r in done.summary.results}  # type: ignore[union-attr]
            assert outcomes == {"Quick feed": RefreshOutcome.UPDATED, "Stuck feed": RefreshOutcome.CANCELLED}
            wait_worker(qtbot, worker)
        with Library.open(data_dir, writer=False) as lib:
            assert lib.feed_counts()[good.id] > 0  # what came in before Cancel stays
    finally:
        silent.stop()
