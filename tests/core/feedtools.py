"""Test helpers for subscriptions: a real HTTP server on 127.0.0.1, a server that never answers, an in-memory
keyring backend, and the arXiv fixtures."""

from __future__ import annotations

import base64
import gzip
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import keyring.backend
import keyring.errors
from jaraco.classes import properties

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DATA = Path(__file__).resolve().parent.parent / "data"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Route:
    """What the server answers on one path. `handler`, if set, decides everything."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    basic_auth: tuple[str, str] | None = None
    token: str | None = None
    gzip: bool = False
    chunked: bool = False
    delay: float = 0.0
    drip: float = 0.0  # seconds between 100-byte chunks of the body
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    server: FeedServer  # type: ignore[assignment]
    protocol_version = "HTTP/1.1"
    # Headers and body in one write, and no Nagle: otherwise each keep-alive answer waits ~40 ms for an ACK.
    wbufsize = 64 * 1024

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        srv = self.server
        srv.requests.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
        path = self.path.split("?", 1)[0]
        route = srv.routes.get(self.path) or srv.routes.get(path)
        if route is None:
            self._send(404, b"not here", {"Content-Type": "text/plain"})
            return
        if route.handler is not None:
            route.handler(self)
            return
        if route.delay:
            time.sleep(route.delay)
        if route.basic_auth is not None:
            expected = "Basic " + base64.b64encode(":".join(route.basic_auth).encode()).decode()
            if self.headers.get("Authorization") != expected:
                self._send(401, b"who are you?", {"WWW-Authenticate": 'Basic realm="feeds"'})
                return
        if route.token is not None and self.headers.get("Authorization") != f"Bearer {route.token}":
            self._send(401, b"token please", {})
            return
        if route.etag and self.headers.get("If-None-Match") == route.etag:
            self._send(304, b"", {"ETag": route.etag})
            return
        if route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified:
            self._send(304, b"", {"Last-Modified": route.last_modified})
            return
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        body = route.body
        if route.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self._send(route.status, body, headers, chunked=route.chunked, drip=route.drip)

    def _send(
        self, status: int, body: bytes, headers: dict[str, str], *, chunked: bool = False, drip: float = 0.0
    ) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if chunked or drip:
            self.send_header("Transfer-Encoding", "chunked")
        elif status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status == 304:
            return
        try:
            if chunked or drip:
                step = 100 if drip else 64 * 1024
                for i in range(0, len(body), step):
                    part = body[i : i + step]
                    self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    self.wfile.flush()
                    if drip:
                        time.sleep(drip)
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class FeedServer(ThreadingHTTPServer):
    """A real HTTP server on 127.0.0.1 (a free port), serving `routes` from a thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (a timeout, a size cap, a closed keep-alive connection) is what tests provoke,
        # not a fault of the server: no traceback in the test output for it.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(5)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path.split("?", 1)[0] == path)


class SilentServer:
    """Accepts TCP connections (the kernel completes them) and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/feed"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring for unit tests; never chosen by keyring on its own (not viable)."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test backend: only used through keyring.set_keyring")

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.data:
            raise keyring.errors.PasswordDeleteError("no such password")
        del self.data[(service, username)]


class NoKeyring(keyring.backend.KeyringBackend):
    """What keyring picks on a machine without a Secret Service: every call raises NoKeyringError."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test backend: only used through keyring.set_keyring")

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.NoKeyringError("No recommended backend was available.")


def library_files_text(data_dir: Path) -> str:
    """Everything the library wrote, as text: to check that no secret ever lands there."""
    out = []
    for path in sorted((data_dir).rglob("*")):
        if path.is_file():
            out.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(out)
