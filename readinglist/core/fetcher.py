"""Polite, bounded HTTP downloads of feeds: timeouts, conditional requests, redirects, size cap, human errors.

feedparser has no timeouts by design (FIELD-NOTES), so every byte comes through here first. Redirects are followed
by hand so that credentials never leave the feed's own origin and so that only a chain of permanent redirects
(301/308) moves a subscription to a new address.

One clock bounds each fetch: connect, TLS, sending, every header line, each redirect hop and the body all share the
deadline `total_timeout` seconds after `fetch` starts. httpx's timeouts are per operation (a server that sends a
header line every few seconds never trips the read timeout), so the sockets come from a network backend that cuts
every operation's timeout down to what is left of the deadline of the fetch running on that thread.
"""

from __future__ import annotations

import enum
import http
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from readinglist import __version__
from readinglist.core.credentials import Credential, redact
from readinglist.core.identity import is_web_url

USER_AGENT = f"readinglist/{__version__} (+https://github.com/readinglist)"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_RETRY_AFTER = 7 * 24 * 3600.0
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})

_HINTS: dict[int, str] = {
    400: "the server did not understand the request; check the feed's address",
    401: "check the feed's credentials",
    403: "the server refuses access to this feed; check the address or the credentials",
    404: "there is no feed at this address; check the URL",
    405: "the server does not allow reading this address",
    406: "the server will not send this address as a feed",
    407: "a proxy asks for credentials",
    408: "the server gave up waiting; will retry later",
    410: "the feed was removed for good; consider unsubscribing",
    429: "the server asks to slow down",
    451: "the feed is unavailable for legal reasons",
    500: "the server failed; will retry later",
    502: "a gateway in front of the server failed; will retry later",
    503: "the server is unavailable for now",
    504: "a gateway in front of the server timed out; will retry later",
}


class FetchStatus(enum.Enum):
    OK = "ok"
    NOT_MODIFIED = "not-modified"
    ERROR = "error"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one download gave: the body and validators, or a human error; never raises for network trouble."""

    url: str
    status: FetchStatus
    http_status: int | None = None
    body: bytes = field(default=b"", repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    final_url: str | None = None
    moved_to: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None
    error: str | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is FetchStatus.OK


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80 if scheme == "http" else None)
    return scheme, (parts.hostname or "").lower(), port


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), capped at a week."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else time.time()
    return min(max(0.0, when.timestamp() - current), MAX_RETRY_AFTER)


def describe_wait(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} seconds"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} hours"
    return f"{round(seconds / 86400)} days"


def describe_status(code: int, *, retry_after: float | None = None, had_credentials: bool = False) -> str:
    """A human sentence for an HTTP error status: "401 Unauthorized: check the feed's credentials"."""
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = "Client Error" if 400 <= code < 500 else "Server Error" if code >= 500 else "Unexpected Answer"
    hint = _HINTS.get(code)
    if code == 401:
        hint = (
            "the server rejected the credentials; check the feed's user name and password"
            if had_credentials
            else "the feed needs credentials; check the feed's credentials"
        )
    if hint is None:
        hint = "the server refused the request" if code < 500 else "the server failed; will retry later"
    if code in (429, 503):
        hint += f"; will retry in {describe_wait(retry_after)}" if retry_after else "; will retry later"
    return f"{code} {phrase}: {hint}"


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _describe_exception(exc: Exception, url: str, fetcher: FeedFetcher) -> str:
    host = _host(url)
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return f"could not connect to {host} within {fetcher.connect_timeout:g} seconds"
    if isinstance(exc, httpx.TimeoutException):
        return f"{host} did not answer within {fetcher.read_timeout:g} seconds"
    text = str(exc)
    low = text.lower()
    if isinstance(exc, httpx.ConnectError):
        if "certificate" in low or "ssl" in low or "tls" in low:
            return f"the secure connection to {host} failed ({text}); the server's certificate may be invalid"
        if "name or service not known" in low or "nodename" in low or "getaddrinfo" in low or "name resolution" in low:
            return f"the server {host} was not found; check the address and the network"
        if "refused" in low:
            return f"{host} refused the connection; the server may be down"
        return f"could not connect to {host} ({text})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{host} broke off the connection ({text})"
    if isinstance(exc, httpx.DecodingError):
        return f"{host} sent a compressed body that could not be decompressed"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "not a valid web address (only http and https are fetched)"
    if isinstance(exc, httpx.HTTPError):
        return f"the download from {host} failed ({type(exc).__name__}: {text})"
    return f"the download from {host} failed ({type(exc).__name__})"


_T = TypeVar("_T")
_local = threading.local()  # .deadline: the _Deadline of the fetch running on this thread, if any


class _Deadline:
    """The one clock of a fetch. `expired` is set once a socket operation was stopped by it, not by its own timeout."""

    __slots__ = ("at", "expired", "url")

    def __init__(self, at: float, url: str) -> None:
        self.at = at
        self.url = url  # the address being fetched (the current redirect hop), for the error
        self.expired = False

    def passed(self) -> bool:
        return self.expired or time.monotonic() >= self.at


def _bounded(call: Callable[[float | None], _T], timeout: float | None, timeout_error: type[Exception]) -> _T:
    """Run one socket operation with its timeout cut to what is left of this thread's deadline."""
    deadline: _Deadline | None = getattr(_local, "deadline", None)
    if deadline is None:
        return call(timeout)
    left = deadline.at - time.monotonic()
    if timeout is not None and timeout < left:
        return call(timeout)  # its own timeout comes first: a genuine connect or read timeout, said as such
    if left <= 0:  # a zero timeout would make the socket non-blocking, not time out
        deadline.expired = True
        raise timeout_error("the deadline of the download has passed")
    try:
        return call(left)
    except timeout_error:
        deadline.expired = True
        raise


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _bounded(lambda t: self._inner.read(max_bytes, t), timeout, httpcore.ReadTimeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _bounded(lambda t: self._inner.write(buffer, t), timeout, httpcore.WriteTimeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = _bounded(
            lambda t: self._inner.start_tls(ssl_context, server_hostname, t), timeout, httpcore.ConnectTimeout
        )
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own sockets, each operation held to the deadline of the fetch on the calling thread. A pooled
    connection reused by another feed's fetch follows that fetch's deadline: nothing is kept per connection."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        def connect(t: float | None) -> httpcore.NetworkStream:
            return self._inner.connect_tcp(host, port, t, local_address, socket_options)

        return _DeadlineStream(_bounded(connect, timeout, httpcore.ConnectTimeout))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        def connect(t: float | None) -> httpcore.NetworkStream:
            return self._inner.connect_unix_socket(path, t, socket_options)

        return _DeadlineStream(_bounded(connect, timeout, httpcore.ConnectTimeout))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's default transport (no proxy, certifi's roots), its connection pool on the deadline backend."""

    def __init__(self, limits: httpx.Limits) -> None:
        ssl_context = httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(),
        )


class FeedFetcher:
    """One HTTP client shared by every download of a refresh; `fetch` is safe to call from several threads."""

    def __init__(
        self,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        total_timeout: float = 120.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = 5,
        max_connections: int = 8,
        user_agent: str = USER_AGENT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        # A transport given by the caller (tests) is held to the deadline only between hops and while reading the body.
        self._client = httpx.Client(
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout),
            follow_redirects=False,
            limits=limits,
            headers={
                "User-Agent": user_agent,
                "Accept": "application/atom+xml, application/rss+xml, application/rdf+xml, application/xml;q=0.9, "
                "text/xml;q=0.9, application/json;q=0.8, */*;q=0.5",
                "Accept-Encoding": "gzip, deflate",  # decoded by _Inflater, with the size cap on every stage
            },
            trust_env=False,
            transport=transport if transport is not None else _DeadlineTransport(limits),
        )
        self._closed = threading.Event()

    def close(self) -> None:
        self._closed.set()
        self._client.close()

    def __enter__(self) -> FeedFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        credential: Credential | None = None,
        cancel: threading.Event | None = None,
    ) -> FetchResult:
        """GET `url`. Network trouble, HTTP errors, oversized bodies and cancellation come back as results."""
        started = time.monotonic()
        secrets = credential.secrets() if credential else ()
        deadline = _Deadline(started + self.total_timeout, url)
        outer = getattr(_local, "deadline", None)
        _local.deadline = deadline
        try:
            return self._fetch(url, etag, last_modified, credential, cancel, started, deadline)
        except Exception as exc:  # an unexpected failure of one download is that feed's error, never a crash
            if cancel is not None and cancel.is_set():
                return FetchResult(url, FetchStatus.CANCELLED, error="cancelled", elapsed=time.monotonic() - started)
            if isinstance(exc, httpx.TimeoutException) and deadline.passed():
                message = self._too_slow(deadline.url)
            else:
                message = _describe_exception(exc, url, self)
            return FetchResult(
                url, FetchStatus.ERROR, error=redact(message, secrets), elapsed=time.monotonic() - started
            )
        finally:
            _local.deadline = outer

    def _too_slow(self, url: str) -> str:
        return f"{_host(url)} sent the feed too slowly: it took longer than {self.total_timeout:g} seconds; stopped"

    def _fetch(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        credential: Credential | None,
        cancel: threading.Event | None,
        started: float,
        deadline: _Deadline,
    ) -> FetchResult:
        if not is_web_url(url):
            return FetchResult(url, FetchStatus.ERROR, error="not a web address: only http and https feeds are fetched")
        home = origin(url)
        current = url
        moved_to: str | None = None
        permanent_chain = True
        for _hop in range(self.max_redirects + 1):
            if cancel is not None and cancel.is_set():
                return FetchResult(url, FetchStatus.CANCELLED, error="cancelled", elapsed=time.monotonic() - started)
            deadline.url = current
            left = deadline.at - time.monotonic()
            if left <= 0:
                return FetchResult(
                    url, FetchStatus.ERROR, error=self._too_slow(current), elapsed=time.monotonic() - started
                )
            # Waiting for a free connection of the pool is no socket operation: its wait is cut here.
            timeout = httpx.Timeout(
                connect=self.connect_timeout,
                read=self.read_timeout,
                write=self.read_timeout,
                pool=min(self.connect_timeout, left),
            )
            headers: dict[str, str] = {}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            auth: httpx.BasicAuth | None = None
            # Credentials go only to the feed's own origin (same scheme, host and port), never along a redirect.
            send_credentials = credential is not None and origin(current) == home
            if credential is not None and send_credentials:
                if credential.token:
                    headers.update(credential.headers())
                elif credential.username or credential.password:
                    auth = httpx.BasicAuth(credential.username, credential.password)
            with self._client.stream("GET", current, headers=headers, auth=auth, timeout=timeout) as response:
                code = response.status_code
                if code in _REDIRECTS and response.headers.get("location"):
                    target = urljoin(str(response.url), response.headers["location"].strip())
                    if not is_web_url(target):
                        return FetchResult(
                            url,
                            FetchStatus.ERROR,
                            http_status=code,
                            error=f"{code} redirect to an address that is not http(s); not followed",
                            elapsed=time.monotonic() - started,
                        )
                    if permanent_chain and code in _PERMANENT:
                        # Moving a feed that has credentials to another origin would send them there next time.
                        if credential is None or origin(target) == home:
                            moved_to = target
                    else:
                        permanent_chain = False
                    current = target
                    continue
                return self._answer(
                    url, response, moved_to, etag, last_modified, send_credentials, cancel, started, deadline.at
                )
        return FetchResult(
            url,
            FetchStatus.ERROR,
            error=f"more than {self.max_redirects} redirects; the feed's address may be wrong",
            elapsed=time.monotonic() - started,
        )

    def _answer(
        self,
        url: str,
        response: httpx.Response,
        moved_to: str | None,
        etag: str | None,
        last_modified: str | None,
        sent_credentials: bool,
        cancel: threading.Event | None,
        started: float,
        deadline: float,
    ) -> FetchResult:
        code = response.status_code

        def result(status: FetchStatus, **kw: Any) -> FetchResult:
            return FetchResult(
                url,
                status,
                http_status=code,
                headers={k.lower(): v for k, v in response.headers.items()},
                final_url=str(response.url),
                moved_to=moved_to,
                elapsed=time.monotonic() - started,
                **kw,
            )

        if code == 304:
            return result(FetchStatus.NOT_MODIFIED, etag=etag, last_modified=last_modified)
        if code >= 400 or code < 200 or code == 204 or code in _REDIRECTS:
            retry_after = parse_retry_after(response.headers.get("retry-after")) if code in (429, 503) else None
            if code in _REDIRECTS:
                error = f"{code} redirect without a new address"
            elif code == 204:
                error = "204 No Content: the server sent nothing"
            else:
                error = describe_status(code, retry_after=retry_after, had_credentials=sent_credentials)
            return result(FetchStatus.ERROR, retry_after=retry_after, error=error)
        body, problem = self._read_body(response, cancel, deadline)
        if problem == "cancelled":
            return result(FetchStatus.CANCELLED, error="cancelled")
        if problem:
            return result(FetchStatus.ERROR, error=problem)
        return result(
            FetchStatus.OK,
            body=body,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )

    def _read_body(
        self, response: httpx.Response, cancel: threading.Event | None, deadline: float
    ) -> tuple[bytes, str | None]:
        cap = self.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            return b"", f"the feed is larger than {_mb(cap)} ({_mb(int(declared))}); not downloaded"
        chunks: list[bytes] = []
        size = 0
        try:
            decoders = _decoders(response.headers.get("content-encoding", ""), cap)
        except ValueError as exc:
            return b"", f"{_host(str(response.url))} sent the feed in an encoding readinglist cannot read ({exc})"
        too_big = f"the feed is larger than {_mb(cap)}; the download was stopped"
        # The raw bytes, decompressed here a bounded piece at a time: each stage of every encoding (gzip, gzip
        # nested, deflate) stops at the cap, so a small bomb never inflates past a few times the cap in memory.
        for raw in response.iter_raw(64 * 1024):
            try:
                pieces = _decode(decoders, raw, cap)
            except _TooBig:
                return b"", too_big
            except zlib.error:
                return b"", f"{_host(str(response.url))} sent a compressed body that could not be decompressed"
            for chunk in pieces:
                size += len(chunk)
                if size > cap:
                    return b"", too_big
                chunks.append(chunk)
            if cancel is not None and cancel.is_set():
                return b"", "cancelled"
            if time.monotonic() > deadline:
                return b"", self._too_slow(str(response.url))
        return b"".join(chunks), None


class _TooBig(Exception):
    pass


class _Inflater:
    """One content-coding (gzip or deflate), inflating at most `cap` + 1 bytes in all."""

    def __init__(self, coding: str, cap: int) -> None:
        self.coding = coding
        self.cap = cap
        self.out = 0
        wbits = 16 + zlib.MAX_WBITS if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._z = zlib.decompressobj(wbits)
        self._raw_tried = coding != "deflate"

    def feed(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        while data:
            try:
                piece = self._z.decompress(data, 256 * 1024)
            except zlib.error:
                if self._raw_tried or self.out:
                    raise
                # Servers send "deflate" both as zlib (RFC) and as raw deflate: try the other once.
                self._raw_tried = True
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self.out += len(piece)
            if self.out > self.cap:
                raise _TooBig
            if piece:
                out.append(piece)
            data = self._z.unconsumed_tail
            if self._z.eof and self._z.unused_data and self.coding in ("gzip", "x-gzip"):
                # Concatenated gzip members are one body (RFC 1952).
                data = self._z.unused_data + data
                self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return out


def _decoders(header: str, cap: int) -> list[_Inflater]:
    """The decoders a Content-Encoding header asks for, in the order they undo it (the last applied first)."""
    codings = [c.strip().lower() for c in header.split(",") if c.strip() and c.strip().lower() != "identity"]
    if len(codings) > 3:
        raise ValueError(f"{len(codings)} nested encodings")
    for coding in codings:
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise ValueError(coding)
    return [_Inflater(c, cap) for c in reversed(codings)]


def _decode(decoders: list[_Inflater], data: bytes, cap: int) -> list[bytes]:
    pieces = [data]
    for decoder in decoders:
        pieces = [out for piece in pieces for out in decoder.feed(piece)]
    return pieces


def _mb(n: int) -> str:
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.0f} MB"


def http_date(ts: float | None = None) -> str:
    """An RFC 7231 date, for tests and servers."""
    when = datetime.fromtimestamp(ts if ts is not None else time.time(), UTC)
    return when.strftime("%a, %d %b %Y %H:%M:%S GMT")
