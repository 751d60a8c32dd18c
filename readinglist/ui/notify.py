"""Desktop notifications: one when a refresh brings papers ("14 new, 3 for you, 1 from authors you follow"), never
one per feed and never when nothing is new; clicking it shows the window on For you.

On Linux they go to the desktop's notification server over the session D-Bus (org.freedesktop.Notifications,
the specification every Linux desktop implements), with a default action so that a click comes back here. The
D-Bus talk runs on a thread of its own (jeepney, which the keyring already brings on Linux), so a slow or absent
server never holds up the window. Where there is no session bus, the tray icon's balloon says it instead
(Windows, macOS); with neither, nothing is shown.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"
APP_NAME = "Reading List"
ICON = "readinglist"  # resources/readinglist.svg, installed as the desktop's icon
TIMEOUT_MS = 10_000


def session_bus_available() -> bool:
    return sys.platform.startswith("linux") and bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))


class _DBusThread(threading.Thread):
    """Sends Notify calls and hears ActionInvoked signals, on one connection, off the GUI thread."""

    def __init__(self, on_clicked: Any, on_error: Any) -> None:
        super().__init__(name="notifications", daemon=True)
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._on_clicked = on_clicked
        self._on_error = on_error
        self._pending: dict[int, None] = {}  # serials of Notify calls whose reply (the id) is awaited
        self._ids: set[int] = set()

    def post(self, summary: str, body: str) -> None:
        self._queue.put((summary, body))

    def stop(self) -> None:
        self._queue.put(None)

    def run(self) -> None:
        try:
            from jeepney import DBusAddress, MatchRule, MessageType, message_bus, new_method_call  # type: ignore[import-untyped]
            from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]
        except ImportError as exc:
            self._on_error(f"no D-Bus library ({exc})")
            return
        try:
            conn = open_dbus_connection(bus="SESSION")
        except Exception as exc:  # no session bus after all
            self._on_error(f"the session bus cannot be reached ({exc})")
            return
        address = DBusAddress(PATH, bus_name=SERVICE, interface=INTERFACE)
        with contextlib.closing(conn):
            rule = MatchRule(type="signal", interface=INTERFACE, member="ActionInvoked", path=PATH)
            with contextlib.suppress(Exception):
                conn.send(new_method_call(message_bus, "AddMatch", "s", (rule.serialise(),)))
            while True:
                try:
                    item = self._queue.get(timeout=0.2)
                except queue.Empty:
                    item = ()  # type: ignore[assignment]
                if item is None:
                    return
                if item:
                    summary, body = item
                    call = new_method_call(
                        address,
                        "Notify",
                        "susssasa{sv}i",
                        (APP_NAME, 0, ICON, summary, body, ["default", "Show"], {}, TIMEOUT_MS),
                    )
                    try:
                        serial = next(conn.outgoing_serial)  # chosen here, to know which reply carries the id
                        conn.send(call, serial=serial)
                        self._pending[serial] = None
                    except Exception as exc:
                        self._on_error(str(exc))
                self._receive(conn, MessageType)

    def _receive(self, conn: Any, message_type: Any) -> None:
        while True:
            try:
                msg = conn.receive(timeout=0.05)
            except TimeoutError:
                return
            except Exception:
                return
            header = msg.header
            if header.message_type is message_type.method_return:
                serial = header.fields.get(5)  # REPLY_SERIAL
                if serial in self._pending and msg.body:
                    del self._pending[serial]
                    self._ids.add(int(msg.body[0]))
            elif header.message_type is message_type.error:
                serial = header.fields.get(5)
                if serial in self._pending:
                    del self._pending[serial]
                    self._on_error(str(msg.body[0]) if msg.body else "the notification server refused")
            elif (
                header.message_type is message_type.signal
                and header.fields.get(3) == "ActionInvoked"
                and msg.body
                and int(msg.body[0]) in self._ids
            ):
                self._on_clicked()


class Notifier(QObject):
    clicked = Signal()  # the user clicked the notification (or its "Show" action)
    sent = Signal(str, str)  # summary, body: what was shown
    failed = Signal(str)  # why a notification could not be shown (for the status bar, once)

    def __init__(self, tray: QSystemTrayIcon | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tray = tray
        self._thread: _DBusThread | None = None
        if session_bus_available():
            self._thread = _DBusThread(self.clicked.emit, self.failed.emit)
            self._thread.start()
        if tray is not None:
            tray.messageClicked.connect(self.clicked)

    @property
    def uses_dbus(self) -> bool:
        return self._thread is not None

    def notify(self, summary: str, body: str) -> None:
        if self._thread is not None:
            self._thread.post(summary, body)
        elif self._tray is not None and self._tray.isVisible():
            self._tray.showMessage(summary, body, QSystemTrayIcon.MessageIcon.Information, TIMEOUT_MS)
        else:
            return
        self.sent.emit(summary, body)

    def close(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread.join(timeout=1)
            self._thread = None
