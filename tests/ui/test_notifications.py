"""Desktop notifications over a real session D-Bus (issue 14): the window runs inside `dbus-run-session` with
`dbus-monitor` listening on the bus, refreshes feeds from a real HTTP server on 127.0.0.1, and exactly one Notify
call goes out for the refresh that brings papers: none for a refresh that brings nothing, none for a feed whose
"notify" is off.

The test runs this same file as a script inside the D-Bus session (`inner()` below), so no notification ever
reaches the developer's desktop.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()


def test_one_notification_for_the_refresh_that_brings_papers_and_none_otherwise(tmp_path: Path) -> None:
    missing = [tool for tool in ("dbus-run-session", "dbus-monitor") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (apt-get install dbus-daemon dbus-bin)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "XDG_RUNTIME"))}
    env.update(HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    (tmp_path / "home").mkdir()
    proc = subprocess.run(
        ["dbus-run-session", "--", sys.executable, str(HERE), "inner", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    calls = result["notify_calls"]
    # One refresh brought papers from a feed that notifies: one call, saying how many. The refresh that brought
    # nothing, and the one whose papers came only from a feed with notifications off, sent none.
    assert len(calls) == 1, result
    assert calls[0]["summary"] == f"{result['new']} new papers"
    assert result["sent"] == [[calls[0]["summary"], calls[0]["body"]]]
    assert result["third_refresh_new"] > 0  # the quiet feed did bring papers
    # The notification server said the user clicked it: the window came to For you.
    assert result["view_before_click"] == "view:unread" and result["view_after_click"] == "view:for-you"


def _fake_notification_server(clicks: list[int]) -> None:
    """A notification server on the session bus, as a desktop runs one: it answers Notify with an id and, a moment
    later, says the user clicked that notification (the "default" action)."""
    import threading

    from jeepney import DBusAddress, MessageType, new_method_return, new_signal
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    conn = open_dbus_connection(bus="SESSION")
    conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.Notifications"))

    def serve() -> None:
        next_id = 41
        while True:
            msg = conn.receive()
            fields = msg.header.fields
            if msg.header.message_type is MessageType.method_call and fields.get(3) == "Notify":
                next_id += 1
                conn.send(new_method_return(msg, "u", (next_id,)))
                time.sleep(0.3)
                clicks.append(next_id)
                address = DBusAddress("/org/freedesktop/Notifications", interface="org.freedesktop.Notifications")
                conn.send(new_signal(address, "ActionInvoked", "us", (next_id, "default")))

    threading.Thread(target=serve, daemon=True).start()


def _notify_calls(monitor_output: str) -> list[dict[str, str]]:
    """The Notify method calls dbus-monitor printed: their summary and body (the 4th and 5th string argument)."""
    calls = []
    for block in monitor_output.split("method call ")[1:]:
        if "member=Notify" not in block.splitlines()[0]:
            continue
        strings = [
            line.strip()[len('string "') : -1] for line in block.splitlines() if line.strip().startswith("string ")
        ]
        calls.append({"summary": strings[2], "body": strings[3]})
    return calls


def inner(tmp: Path) -> None:
    """Runs inside the D-Bus session: the window, two feeds, three refreshes, and a monitor on the bus."""
    sys.path.insert(0, str(HERE.parent))
    sys.path.insert(0, str(HERE.parent.parent / "core"))
    from feedtools import FeedServer, Route
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication
    from workertools import add_feeds, fixture

    from readinglist.app import App
    from readinglist.core.feeds import FeedSpec
    from readinglist.ui.main_window import MainWindow
    from readinglist.ui.notify import session_bus_available

    assert session_bus_available(), os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    log = (tmp / "monitor.txt").open("w")
    monitor = subprocess.Popen(
        ["dbus-monitor", "--session", "type='method_call',interface='org.freedesktop.Notifications'"],
        stdout=log,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)  # the monitor is listening before anything is sent
    clicks: list[int] = []
    _fake_notification_server(clicks)
    server = FeedServer().start()
    server.routes["/cl.xml"] = Route(
        body=fixture("arxiv_rss_cs.CL.xml"), headers={"Content-Type": "application/rss+xml"}
    )
    server.routes["/quiet.xml"] = Route(body=b"", status=404)
    data_dir = tmp / "data"
    _loud, quiet = add_feeds(
        data_dir, FeedSpec(server.url("/cl.xml"), name="cs.CL"), FeedSpec(server.url("/quiet.xml"), name="Quiet")
    )
    from readinglist.core.library import Library

    with Library.open(data_dir) as lib:
        lib.feeds.update(quiet.id, notify=False)

    qapp = QApplication([])
    window = MainWindow(App(data_dir))
    window.refresh.stop_schedule()
    window.show()
    sent: list[list[str]] = []
    window.notifier.sent.connect(lambda summary, body: sent.append([summary, body]))
    finished: list[object] = []
    window.refresh.finished.connect(finished.append)

    def wait(until, seconds: float = 20) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not until():
            qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        for _ in range(20):  # the count job, the notification thread
            qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.02)

    wait(lambda: window.counts is not None)
    before = window.selection.to_text()
    window.refresh.refresh()
    wait(lambda: len(finished) == 1)
    wait(lambda: window.selection.to_text() == "view:for-you", seconds=5)
    after = window.selection.to_text()
    first = finished[0].summary.new_papers  # type: ignore[attr-defined]
    window.refresh.refresh()  # nothing new: the same feed again
    wait(lambda: len(finished) == 2)
    server.routes["/quiet.xml"] = Route(
        body=fixture("arxiv_rss_cs.LG.xml"), headers={"Content-Type": "application/rss+xml"}
    )
    window.refresh.refresh()  # papers, but only from the feed that does not notify
    wait(lambda: len(finished) == 3)
    third = finished[2].summary.new_papers  # type: ignore[attr-defined]
    time.sleep(0.5)
    window.close()
    server.stop()
    monitor.terminate()
    monitor.wait(5)
    log.close()
    calls = _notify_calls((tmp / "monitor.txt").read_text())
    result = {"notify_calls": calls, "new": first, "third_refresh_new": third, "sent": sent}
    print(json.dumps({**result, "clicks": clicks, "view_before_click": before, "view_after_click": after}))


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "inner":
    inner(Path(sys.argv[2]))
