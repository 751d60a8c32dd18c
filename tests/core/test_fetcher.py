"""The HTTP fetcher against a real server on 127.0.0.1: statuses, validators, redirects, limits, credentials."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator

import pytest
from feedtools import FeedServer, Route, SilentServer, fixture

from readinglist import __version__
from readinglist.core.credentials import Credential
from readinglist.core.errors import FeedError
from readinglist.core.fetcher import (
    USER_AGENT,
    FeedFetcher,
    FetchStatus,
    describe_status,
    http_date,
    parse_retry_after,
)
from readinglist.core.importer import parse_feed

FEED = fixture("arxiv_rss_cs.CL.xml")


@pytest.fixture
def fetcher() -> Iterator[FeedFetcher]:
    with FeedFetcher(connect_timeout=1.0, read_timeout=0.5, total_timeout=3.0) as f:
        yield f


def test_200_sends_a_user_agent_naming_readinglist(server: FeedServer, fetcher: FeedFetcher) -> None:
    server.routes["/feed"] = Route(body=FEED, headers={"Content-Type": "application/rss+xml"}, etag='"v1"')
    result = fetcher.fetch(server.url("/feed"))
    assert result.status is FetchStatus.OK and result.http_status == 200
    assert result.body == FEED
    assert result.etag == '"v1"'
    assert server.requests[0].headers["user-agent"] == USER_AGENT
    assert f"readinglist/{__version__} (+https://github.com/readinglist)" == USER_AGENT
    assert "gzip" in server.requests[0].headers["accept-encoding"]


def test_304_with_etag(server: FeedServer, fetcher: FeedFetcher) -> None:
    server.routes["/feed"] = Route(body=FEED, etag='"abc"')
    first = fetcher.fetch(server.url("/feed"))
    second = fetcher.fetch(server.url("/feed"), etag=first.etag)
    assert second.status is FetchStatus.NOT_MODIFIED and second.http_status == 304
    assert second.body == b""
    assert server.requests[1].headers["if-none-match"] == '"abc"'


def test_304_with_last_modified(server: FeedServer, fetcher: FeedFetcher) -> None:
    stamp = http_date(1_700_000_000)
    server.routes["/feed"] = Route(body=FEED, last_modified=stamp)
    first = fetcher.fetch(server.url("/feed"))
    assert first.last_modified == stamp
    second = fetcher.fetch(server.url("/feed"), last_modified=first.last_modified)
    assert second.status is FetchStatus.NOT_MODIFIED
    assert server.requests[1].headers["if-modified-since"] == stamp


@pytest.mark.parametrize("code", [301, 308])
def test_permanent_redirect_reports_the_new_address(server: FeedServer, fetcher: FeedFetcher, code: int) -> None:
    server.routes["/old"] = Route(status=code, headers={"Location": "/new"})
    server.routes["/new"] = Route(body=FEED)
    result = fetcher.fetch(server.url("/old"))
    assert result.ok and result.body == FEED
    assert result.moved_to == server.url("/new")


def test_temporary_redirect_keeps_the_address(server: FeedServer, fetcher: FeedFetcher) -> None:
    server.routes["/old"] = Route(status=302, headers={"Location": "/new"})
    server.routes["/new"] = Route(body=FEED)
    result = fetcher.fetch(server.url("/old"))
    assert result.ok and result.moved_to is None and result.final_url == server.url("/new")


def test_a_redirect_loop_is_an_error(server: FeedServer, fetcher: FeedFetcher) -> None:
    server.routes["/a"] = Route(status=301, headers={"Location": "/b"})
    server.routes["/b"] = Route(status=301, headers={"Location": "/a"})
    result = fetcher.fetch(server.url("/a"))
    assert result.status is FetchStatus.ERROR and "redirects" in (result.error or "")


def test_a_redirect_to_a_non_web_scheme_is_refused(server: FeedServer, fetcher: FeedFetcher) -> None:
    server.routes["/a"] = Route(status=301, headers={"Location": "file:///etc/passwd"})
    result = fetcher.fetch(server.url("/a"))
    assert result.status is FetchStatus.ERROR and "not followed" in (result.error or "")


def test_401_without_and_with_credentials(server: FeedServer, fetcher: FeedFetcher) -> None:
    server.routes["/private"] = Route(body=FEED, basic_auth=("alice", "s3cret"))
    denied = fetcher.fetch(server.url("/private"))
    assert denied.status is FetchStatus.ERROR and denied.http_status == 401
    assert denied.error is not None and denied.error.startswith("401 Unauthorized:")
    assert "credentials" in denied.error
    wrong = fetcher.fetch(server.url("/private"), credential=Credential("alice", "nope"))
    assert wrong.http_status == 401 and "nope" not in (wrong.error or "") and "rejected" in (wrong.error or "")
    allowed = fetcher.fetch(server.url("/private"), credential=Credential("alice", "s3cret"))
    assert allowed.ok and allowed.body == FEED


def test_a_token_is_sent_as_a_bearer_header(server: FeedServer, fetcher: FeedFetcher) -> None:
    server.routes["/t"] = Route(body=FEED, token="tok-123")
    assert fetcher.fetch(server.url("/t")).http_status == 401
    assert fetcher.fetch(server.url("/t"), credential=Credential(token="tok-123")).ok


def test_credentials_never_follow_a_redirect_to_another_origin(server: FeedServer, fetcher: FeedFetcher) -> None:
    other = FeedServer().start()
    try:
        other.routes["/elsewhere"] = Route(body=FEED)
        server.routes["/private"] = Route(status=302, headers={"Location": other.url("/elsewhere")})
        result = fetcher.fetch(server.url("/private"), credential=Credential(token="tok-123"))
        assert result.ok
        assert "authorization" in server.requests[0].headers
        assert "authorization" not in other.requests[0].headers
    finally:
        other.stop()


@pytest.mark.parametrize(
    ("code", "start"),
    [(404, "404 Not Found: "), (500, "500 Internal Server Error: "), (410, "410 Gone: "), (403, "403 Forbidden: ")],
)
def test_http_errors_are_human_sentences(server: FeedServer, fetcher: FeedFetcher, code: int, start: str) -> None:
    server.routes["/x"] = Route(status=code, body=b"<html>oops</html>")
    result = fetcher.fetch(server.url("/x"))
    assert result.status is FetchStatus.ERROR and result.http_status == code
    assert result.error is not None and result.error.startswith(start)


def test_429_with_retry_after(server: FeedServer, fetcher: FeedFetcher) -> None:
    server.routes["/busy"] = Route(status=429, headers={"Retry-After": "120"})
    result = fetcher.fetch(server.url("/busy"))
    assert result.http_status == 429 and result.retry_after == 120
    assert result.error == "429 Too Many Requests: the server asks to slow down; will retry in 2 minutes"


def test_503_with_an_http_date_retry_after(server: FeedServer, fetcher: FeedFetcher) -> None:
    server.routes["/down"] = Route(status=503, headers={"Retry-After": http_date(time.time() + 3600)})
    result = fetcher.fetch(server.url("/down"))
    assert result.retry_after is not None and 3500 < result.retry_after <= 3600


def test_retry_after_parsing() -> None:
    assert parse_retry_after("30") == 30
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("99999999") == 7 * 24 * 3600
    assert parse_retry_after(http_date(1000.0), now=900.0) == 100
    assert describe_status(418).startswith("418 I'm a Teapot: ")
    assert describe_status(599).startswith("599 Server Error: ")


def test_a_server_that_never_answers_times_out(fetcher: FeedFetcher) -> None:
    silent = SilentServer()
    try:
        started = time.monotonic()
        result = fetcher.fetch(silent.url)
        took = time.monotonic() - started
    finally:
        silent.stop()
    assert result.status is FetchStatus.ERROR
    assert result.error == "127.0.0.1 did not answer within 0.5 seconds"
    assert took < 3


def test_a_slow_drip_is_stopped_by_the_total_timeout(server: FeedServer) -> None:
    server.routes["/drip"] = Route(body=FEED, drip=0.05)
    with FeedFetcher(read_timeout=1.0, total_timeout=0.3) as fetcher:
        result = fetcher.fetch(server.url("/drip"))
    assert result.status is FetchStatus.ERROR and "too slowly" in (result.error or "")


def test_a_connection_refused_is_a_clear_error(fetcher: FeedFetcher) -> None:
    silent = SilentServer()
    url = silent.url
    silent.stop()
    result = fetcher.fetch(url)
    assert result.status is FetchStatus.ERROR and "refused the connection" in (result.error or "")


def test_a_body_over_the_size_cap_is_refused(server: FeedServer) -> None:
    big = b"<rss>" + b"x" * 5000 + b"</rss>"
    server.routes["/big"] = Route(body=big)
    server.routes["/big-chunked"] = Route(body=big, chunked=True)
    with FeedFetcher(max_bytes=1000, read_timeout=1.0) as fetcher:
        declared = fetcher.fetch(server.url("/big"))
        streamed = fetcher.fetch(server.url("/big-chunked"))
    assert declared.status is FetchStatus.ERROR and declared.error is not None
    assert declared.error.startswith("the feed is larger than 1 KB")
    assert streamed.status is FetchStatus.ERROR and "stopped" in (streamed.error or "")


def test_default_size_cap_is_20_mb() -> None:
    with FeedFetcher() as fetcher:
        assert fetcher.max_bytes == 20 * 1024 * 1024


def test_gzip_is_decoded(server: FeedServer, fetcher: FeedFetcher) -> None:
    server.routes["/gz"] = Route(body=FEED, gzip=True)
    result = fetcher.fetch(server.url("/gz"))
    assert result.ok and result.body == FEED


def test_a_gzip_bomb_stops_at_the_cap(server: FeedServer) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    server.routes["/bomb"] = Route(body=bomb, headers={"Content-Encoding": "gzip"})
    with FeedFetcher(max_bytes=100_000, read_timeout=1.0) as fetcher:
        result = fetcher.fetch(server.url("/bomb"))
    assert result.status is FetchStatus.ERROR and "larger than" in (result.error or "")


def test_an_html_page_downloads_but_is_not_a_feed(server: FeedServer, fetcher: FeedFetcher) -> None:
    page = b"<!DOCTYPE html><html><head><title>Login</title></head><body><p>Please log in</p></body></html>"
    server.routes["/page"] = Route(body=page, headers={"Content-Type": "text/html; charset=utf-8"})
    result = fetcher.fetch(server.url("/page"))
    assert result.ok
    with pytest.raises(FeedError, match="this is a web page, not a feed"):
        parse_feed(result.body, name="Journal", url=result.final_url, headers=result.headers)


def test_a_wrong_charset_label_does_not_garble_text(server: FeedServer, fetcher: FeedFetcher) -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Schrödinger’s feed</title>'
        "<item><title>Über Äpfel und Birnen</title><link>https://example.org/1</link></item></channel></rss>"
    ).encode()
    server.routes["/latin"] = Route(body=body, headers={"Content-Type": "application/rss+xml; charset=ISO-8859-1"})
    result = fetcher.fetch(server.url("/latin"))
    parsed = parse_feed(result.body, name="Journal", url=result.final_url, headers=result.headers)
    assert parsed.title == "Schrödinger’s feed"
    assert parsed.papers[0].title == "Über Äpfel und Birnen"
    assert any("UTF-8" in w for w in parsed.warnings)


def test_latin1_bytes_labelled_utf8_still_read(server: FeedServer, fetcher: FeedFetcher) -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Café</title>'
        "<item><title>Déjà vu</title><link>https://example.org/1</link></item></channel></rss>"
    ).encode("latin-1")
    server.routes["/utf"] = Route(body=body, headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    result = fetcher.fetch(server.url("/utf"))
    parsed = parse_feed(result.body, name="Journal", url=result.final_url, headers=result.headers)
    assert parsed.papers[0].title == "Déjà vu"


def test_not_a_web_address(fetcher: FeedFetcher) -> None:
    result = fetcher.fetch("file:///etc/passwd")
    assert result.status is FetchStatus.ERROR and "only http and https" in (result.error or "")


def test_cancel_stops_a_download(server: FeedServer, fetcher: FeedFetcher) -> None:
    server.routes["/drip"] = Route(body=FEED * 3, drip=0.02)
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    result = fetcher.fetch(server.url("/drip"), cancel=cancel)
    assert result.status is FetchStatus.CANCELLED
