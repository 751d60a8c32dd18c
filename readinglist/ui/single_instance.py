"""One window per data folder: a second launch asks the first window to come forward instead of opening twice.

The library's writer lock already refuses a second writer; this only makes the second launch useful (the first
window is raised) and quick (no waiting for the lock to time out). A launch that finds the lock held by something
that is not a window (a `readinglist import` running) still meets the lock, and says so in a message box.
"""

from __future__ import annotations

import getpass
import hashlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

RAISE = b"raise\n"
OPEN = b"open "  # "open KEY\n": come forward and show this paper (a readinglist://paper/KEY link was opened)
CONNECT_TIMEOUT_MS = 500


def server_name(data_dir: Path) -> str:
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode("utf-8")).hexdigest()[:16]
    return f"readinglist-{getpass.getuser()}-{digest}"


class SingleInstance(QObject):
    activated = Signal()  # another launch asked this window to come forward
    open_paper = Signal(str)  # ... and to show this paper

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(data_dir)
        self._server: QLocalServer | None = None

    def ask_running_window(self, paper: str | None = None) -> bool:
        """True when a window already has this library open; it has been asked to come forward (and to show
        `paper`)."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
            return False
        socket.write(OPEN + paper.encode("utf-8") + b"\n" if paper else RAISE)
        socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
        socket.disconnectFromServer()
        return True

    def listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # A window that crashed leaves its socket file behind; nobody answered on it, so it is stale.
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                return False
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _on_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            # The other launch writes its one line as soon as it is connected: read it here and hang up.
            arrived = socket.bytesAvailable() > 0 or socket.waitForReadyRead(CONNECT_TIMEOUT_MS)
            line = bytes(socket.readAll().data()) if arrived else b""
            if line.startswith(RAISE.strip()):
                self.activated.emit()
            elif line.startswith(OPEN):
                self.activated.emit()
                key = line[len(OPEN) :].strip().decode("utf-8", "replace")[:300]
                if key:
                    self.open_paper.emit(key)
            socket.abort()
            socket.deleteLater()
