"""One clock bounds the whole fetch of a feed (issue 11, item 3): headers sent a line at a time and a chain of slow
redirects, each step under the read timeout, are stopped at the total timeout, with an error that says so."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from feedtools import FeedServer, Route, fixture

from readinglist.core.fetcher import FeedFetcher, FetchResult, FetchStatus

FEED = fixture("arxiv_rss_cs.CL.xml")
TOTAL = 1.5
# Without one clock the fetch runs on well past this; the guard makes that a failure rather than a hang.
GUARD = 6.0


class TrickleServer:
    """Answers every request with a status line, then one header line every `every` seconds, never ending the
    headers (for `for_at_most` seconds, or until stopped)."""

    def __init__(self, every: float = 0.2, for_at_most: float = 20.0) -> None:
        self.every = every
        self.for_at_most = for_at_most
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/feed"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)
            worker = threading.Thread(target=self._trickle, args=(conn,), daemon=True)
            self._threads.append(worker)
            worker.start()

    def _trickle(self, conn: socket.socket) -> None:
        ends = time.monotonic() + self.for_at_most
        try:
            conn.settimeout(2.0)
            request = b""
            while b"\r\n\r\n" not in request:
                data = conn.recv(4096)
                if not data:
                    return
                request += data
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            line = 0
            while not self._stop.wait(self.every) and time.monotonic() < ends:
                line += 1
                conn.sendall(f"X-Line-{line}: still coming\r\n".encode())
        except OSError:
            pass  # the client hung up: what a fixed fetcher does
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        for conn in self.accepted:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(3)
        self.sock.close()


@pytest.fixture
def trickle() -> Iterator[TrickleServer]:
    srv = TrickleServer()
    yield srv
    srv.stop()


@pytest.fixture
def fetcher() -> Iterator[FeedFetcher]:
    with FeedFetcher(connect_timeout=1.0, read_timeout=1.0, total_timeout=TOTAL) as f:
        yield f


def fetch_within(fetcher: FeedFetcher, url: str, limit: float = GUARD) -> tuple[FetchResult, float]:
    """The fetch on a thread of its own, as in a refresh; a failure, not a hang, if it has not ended by `limit`."""
    done: list[tuple[FetchResult, float]] = []

    def run() -> None:
        started = time.monotonic()
        result = fetcher.fetch(url)
        done.append((result, time.monotonic() - started))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    if not done:
        pytest.fail(f"the fetch of {url} was still running after {limit:g} seconds (total timeout {TOTAL:g})")
    return done[0]


def test_headers_sent_a_line_at_a_time_are_stopped_at_the_total_timeout(
    trickle: TrickleServer, server: FeedServer, fetcher: FeedFetcher
) -> None:
    result, took = fetch_within(fetcher, trickle.url)
    assert result.status is FetchStatus.ERROR
    assert result.error == "127.0.0.1 sent the feed too slowly: it took longer than 1.5 seconds; stopped"
    assert TOTAL - 0.1 <= took < TOTAL + 2.5
    # The shared client is fine for the next feed.
    server.routes["/feed"] = Route(body=FEED, headers={"Content-Type": "application/rss+xml"})
    after, took_after = fetch_within(fetcher, server.url("/feed"))
    assert after.ok and after.body == FEED
    assert took_after < 1.0


def test_the_total_timeout_covers_every_redirect_hop(server: FeedServer, fetcher: FeedFetcher) -> None:
    # Each hop answers in 0.6 s (under the 1 s read timeout); five of them would take 3 s.
    for hop in range(4):
        server.routes[f"/hop{hop}"] = Route(status=302, headers={"Location": f"/hop{hop + 1}"}, delay=0.6)
    server.routes["/hop4"] = Route(body=FEED, delay=0.6)
    result, took = fetch_within(fetcher, server.url("/hop0"))
    assert result.status is FetchStatus.ERROR
    assert took < TOTAL + 1.0
    assert server.hits("/hop3") == 0 and server.hits("/hop4") == 0
    assert result.error == "127.0.0.1 sent the feed too slowly: it took longer than 1.5 seconds; stopped"


def test_each_fetch_has_its_own_clock(trickle: TrickleServer, server: FeedServer, fetcher: FeedFetcher) -> None:
    # A feed started on another thread while the trickling one is stuck outlives the first one's deadline.
    server.routes["/slow"] = Route(body=FEED, delay=0.9)
    stuck: list[tuple[FetchResult, float]] = []
    first = threading.Thread(target=lambda: stuck.append(fetch_within(fetcher, trickle.url)), daemon=True)
    first.start()
    time.sleep(0.9)
    result, took = fetch_within(fetcher, server.url("/slow"))
    first.join(GUARD)
    assert result.ok and result.body == FEED and took >= 0.9
    assert stuck and stuck[0][0].status is FetchStatus.ERROR
    assert "took longer than 1.5 seconds" in (stuck[0][0].error or "")


def test_a_genuine_read_timeout_keeps_its_own_message(trickle: TrickleServer) -> None:
    trickle.every = 1.0  # the first header line comes later than the read timeout, well before the total one
    with FeedFetcher(connect_timeout=1.0, read_timeout=0.4, total_timeout=5.0) as fetcher:
        result, took = fetch_within(fetcher, trickle.url)
    assert result.error == "127.0.0.1 did not answer within 0.4 seconds"
    assert took < 1.5
