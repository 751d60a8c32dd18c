"""Subscriptions end to end: the registry, and refreshes from a real HTTP server into a real library."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import keyring
import orjson
import pytest
from feedtools import FeedServer, MemoryKeyring, NoKeyring, Route, SilentServer, fixture, library_files_text

from readinglist.core import refresh as refresh_module
from readinglist.core.credentials import Credential, CredentialStore
from readinglist.core.download import RateLimiter
from readinglist.core.errors import SubscriptionError
from readinglist.core.feeds import (
    ARXIV_INTERVAL,
    DEFAULT_INTERVAL,
    Feed,
    FeedKind,
    FeedRegistry,
    FeedSpec,
    FeedStatus,
    subscribe,
    unsubscribe,
)
from readinglist.core.fetcher import FeedFetcher
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper
from readinglist.core.refresh import RefreshOutcome, RefreshProgress, backoff_delay, next_success_due, refresh_feeds

CL = fixture("arxiv_rss_cs.CL.xml")
LG = fixture("arxiv_rss_cs.LG.xml")
HF = fixture("hf_daily_papers_2025-09-17.json")


@pytest.fixture
def fetcher() -> Iterator[FeedFetcher]:
    with FeedFetcher(connect_timeout=1.0, read_timeout=0.5, total_timeout=3.0, max_bytes=200_000) as f:
        yield f


def run(library: Library, registry: FeedRegistry, fetcher: FeedFetcher, **kw: Any) -> refresh_module.RefreshSummary:
    kw.setdefault("limiter", RateLimiter(sleep=lambda s: None))
    return refresh_feeds(library, registry, fetcher=fetcher, **kw)


def snapshot(library: Library) -> tuple[bytes, bytes]:
    keys = sorted(library.keys())
    papers = orjson.dumps([library.doc(k) for k in keys])
    states = orjson.dumps([library.state_doc(k) for k in keys])
    return papers, states


def add(registry: FeedRegistry, url: str, **kw: Any) -> Feed:
    return registry.add(FeedSpec(url=url, **kw))


# ---- the registry -------------------------------------------------------------------------------------------


def test_add_list_rename_remove_and_reopen(data_dir: Path) -> None:
    with Library.open(data_dir) as library:
        registry = FeedRegistry(library.store)
        cl = add(registry, "cs.CL")
        query = add(registry, 'cat:cs.CL AND abs:"masked language"')
        hf = add(registry, "https://huggingface.co/api/daily_papers", group="ML / Daily")
        journal = add(registry, "https://www.nature.com/subjects/bioinformatics.atom", name="Nature bioinformatics")
        assert cl.url == "https://rss.arxiv.org/rss/cs.CL" and cl.kind is FeedKind.RSS and cl.name == "arXiv cs.CL"
        assert cl.interval == ARXIV_INTERVAL and journal.interval == DEFAULT_INTERVAL
        assert query.kind is FeedKind.ARXIV_QUERY and "search_query=cat%3Acs.CL" in query.url
        assert hf.kind is FeedKind.HF_DAILY and hf.group == "ML/Daily"
        assert cl.id.startswith("f-") and len({cl.id, query.id, hf.id, journal.id}) == 4
        assert registry.resolve("arxiv CS.cl").id == cl.id
        assert registry.resolve(journal.id).name == "Nature bioinformatics"
        assert registry.resolve("https://www.nature.com/subjects/bioinformatics.atom/").id == journal.id
        renamed = registry.update(journal.id, name="Nature: bioinformatics")
        assert renamed.id == journal.id and renamed.named_by_user
        registry.remove(query.id)
    with Library.open(data_dir) as library:
        registry = FeedRegistry(library.store)
        names = [f.name for f in registry.feeds()]
        assert names == ["arXiv cs.CL", "Nature: bioinformatics", "Hugging Face daily papers"]
        assert all(f.status is FeedStatus.NEW for f in registry.feeds())


def test_bad_addresses_and_duplicates_are_refused(registry: FeedRegistry) -> None:
    add(registry, "https://example.org/feed.xml")
    with pytest.raises(SubscriptionError, match="already subscribed"):
        add(registry, "http://www.example.org/feed.xml/")
    with pytest.raises(SubscriptionError, match="files are not subscriptions"):
        add(registry, "file:///home/me/feed.xml")
    with pytest.raises(SubscriptionError, match="not a feed address"):
        add(registry, "javascript:alert(1)")
    with pytest.raises(SubscriptionError, match="keyring"):
        add(registry, "https://bob:pw@example.net/feed")
    with pytest.raises(SubscriptionError, match="unknown announce types"):
        add(registry, "cs.LG", announce_types=("new", "sometimes"))
    with pytest.raises(SubscriptionError, match="shortest"):
        registry.update(registry.feeds()[0].id, interval=10)
    assert len(registry) == 1


def test_names_stay_unique(registry: FeedRegistry) -> None:
    a = add(registry, "https://a.example/feed", name="Papers")
    b = add(registry, "https://b.example/feed", name="papers")
    assert b.name == "papers (2)"
    with pytest.raises(SubscriptionError, match="already named"):
        registry.update(b.id, name="PAPERS")
    assert registry.get(a.id).name == "Papers"


def test_credentials_in_the_url_go_to_the_keyring(
    registry: FeedRegistry, memory_keyring: MemoryKeyring, data_dir: Path
) -> None:
    store = CredentialStore()
    done = subscribe(registry, FeedSpec(url="https://bob:pa%3Ass@journal.example/feed"), credentials=store)
    assert done.credential_saved is True
    assert done.feed.url == "https://journal.example/feed" and done.feed.auth == "basic"
    assert store.get(done.feed.id) == Credential("bob", "pa:ss")
    assert "pa:ss" not in library_files_text(data_dir) and "bob" not in library_files_text(data_dir)
    unsubscribe(registry, done.feed.id, credentials=store)
    assert memory_keyring.data == {}


# ---- refreshing: arXiv, Hugging Face, journals ----------------------------------------------------------


def test_arxiv_feed_new_cross_replace(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher
) -> None:
    # The library already has v2 of a paper that today's feed replaces, starred, read and annotated.
    library.add_papers(
        [
            IncomingPaper(
                title="Scaling Laws for Instruction Tuning",
                arxiv_id="2501.04321",
                arxiv_version=2,
                abstract="Old abstract.",
                authors=("Hannah Becker",),
            )
        ],
        source="f-earlier",
    )
    key = library.resolve("2501.04321")
    library.set_starred([key], True)
    library.set_read([key], True)
    library.set_note(key, "Compare with *v3*.")
    before = library.state(key)
    server.routes["/rss/cs.CL"] = Route(body=CL, headers={"Content-Type": "application/rss+xml"})
    feed = add(registry, server.url("/rss/cs.CL"))
    summary = run(library, registry, fetcher)
    (result,) = summary.results
    assert result.outcome is RefreshOutcome.UPDATED and result.error is None
    # new + cross add papers; the replace updates the paper we had; replace-cross of an unknown paper is skipped.
    assert {library.get(k).arxiv_id for k in result.new} == {"2509.13332", "2509.13401", "2509.12877"}
    assert result.updated == (key,)
    assert result.seen == 5 and result.filtered == 1
    paper = library.get(key)
    assert paper.arxiv_version == 3 and paper.title == "Scaling Laws for Instruction Tuning, Revisited"
    assert paper.journal_ref == "Transactions of the ACL 13 (2025)"
    assert paper.content_updated is not None and "f-earlier" in paper.feeds
    assert library.state(key) == before
    probing = library.get(library.resolve("2509.13401"))
    assert probing.doi == "10.18653/v1/2025.acl-long.101"
    assert probing.journal_ref == "Proceedings of ACL 2025, pages 1200-1215"
    assert probing.authors == ("Jonas Müller", "Sofia Rossi")
    assert probing.feeds == (feed.id,)
    assert probing.extra["announce_type"] == "new"
    moe = library.get(library.resolve("2509.13332"))
    assert moe.abstract.startswith("We study sparse") and "(p < 0.001)." in moe.abstract
    assert "Announce" not in moe.abstract
    stored = registry.get(feed.id)
    assert stored.status is FeedStatus.OK and stored.failures == 0 and stored.last_error is None
    assert stored.last_new == 3 and stored.title == "cs.CL updates on arXiv.org"
    assert library.feed_counts()[feed.id] == 4  # the three new papers and the replaced one


def test_announce_types_are_a_per_feed_choice(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher
) -> None:
    server.routes["/cl"] = Route(body=CL)
    add(registry, server.url("/cl"), announce_types=("new",))
    (result,) = run(library, registry, fetcher).results
    assert {library.get(k).arxiv_id for k in result.new} == {"2509.13332", "2509.13401"}
    assert result.filtered == 3


def test_one_paper_from_two_categories_and_hugging_face_is_one_record(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher
) -> None:
    server.routes["/rss/cs.CL"] = Route(body=CL)
    server.routes["/rss/cs.LG"] = Route(body=LG)
    server.routes["/api/daily_papers"] = Route(body=HF, headers={"Content-Type": "application/json"})
    cl = add(registry, server.url("/rss/cs.CL"))
    lg = add(registry, server.url("/rss/cs.LG"))
    hf = add(registry, server.url("/api/daily_papers"), kind=FeedKind.HF_DAILY)
    summary = run(library, registry, fetcher)
    assert all(r.outcome is RefreshOutcome.UPDATED for r in summary.results)
    keys = library.keys()
    matches = [k for k in keys if library.get(k).arxiv_id == "2509.13332"]
    assert len(matches) == 1
    paper = library.get(matches[0])
    assert set(paper.feeds) == {cl.id, lg.id, hf.id}
    assert paper.extra["upvotes"] == 42 and paper.extra["comment_count"] == 5
    assert paper.extra["code_repository"] == "https://github.com/example/moe-mt"
    assert paper.extra["project_page"] == "https://example.github.io/moe-mt/"
    assert set(paper.categories) >= {"cs.CL", "cs.LG"}
    video = library.get(library.resolve("2509.14001"))
    assert "project_page" not in video.extra  # a javascript: link never survives
    hf_result = next(r for r in summary.results if r.feed_id == hf.id)
    assert any("skipped" in w for w in hf_result.warnings)


def test_an_empty_arxiv_day_is_a_normal_success(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher
) -> None:
    server.routes["/cl"] = Route(body=fixture("arxiv_rss_empty.xml"))
    feed = add(registry, server.url("/cl"))
    (result,) = run(library, registry, fetcher).results
    assert result.outcome is RefreshOutcome.UPDATED and result.new == () and result.error is None
    assert registry.get(feed.id).status is FeedStatus.OK and len(library) == 0


def test_journal_feeds(server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher) -> None:
    data = Path(__file__).resolve().parent.parent / "data"
    server.routes["/biorxiv"] = Route(body=(data / "biofeed_biorxiv_20250413.xml").read_bytes())
    server.routes["/nature"] = Route(body=(data / "biofeed_nature_20250319.xml").read_bytes())
    bio = add(registry, server.url("/biorxiv"))
    nature = add(registry, server.url("/nature"))
    summary = run(library, registry, fetcher)
    assert [r.outcome for r in summary.results] == [RefreshOutcome.UPDATED] * 2
    assert library.feed_counts()[bio.id] == 30 and library.feed_counts()[nature.id] == 30
    paper = library.get(library.resolve("10.1038/s41598-025-86513-x"))
    assert paper.authors == ("Basanta Kumar Das et al.",)
    biorxiv = library.get(library.resolve("10.1101/2025.04.07.647590"))
    assert biorxiv.abstract and "<" not in biorxiv.abstract
    # A feed not named by the user takes its own title.
    assert registry.get(bio.id).name == "bioRxiv Subject Collection: Bioinformatics"


# ---- refreshing: every HTTP answer, nothing lost -------------------------------------------------------------

HTML = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in.</body></html>"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("401", "401 Unauthorized: the feed needs credentials; check the feed's credentials"),
        ("404", "404 Not Found: there is no feed at this address; check the URL"),
        ("429", "429 Too Many Requests: the server asks to slow down; will retry in 10 minutes"),
        ("500", "500 Internal Server Error: the server failed; will retry later"),
        ("never answers", "127.0.0.1 did not answer within 0.5 seconds"),
        ("over the cap", "the feed is larger than 195 KB"),
        ("html", "this is a web page, not a feed"),
        ("garbage", "no feed found in the data"),
    ],
)
def test_a_failing_feed_loses_nothing(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher, mode: str, expected: str
) -> None:
    server.routes["/feed"] = Route(body=CL)
    feed = add(registry, server.url("/feed"))
    first = run(library, registry, fetcher)
    assert first.results[0].outcome is RefreshOutcome.UPDATED
    key = library.resolve("2509.13332")
    library.set_starred([key], True)
    library.set_note(key, "keep me")
    before = snapshot(library)
    ok_feed = registry.get(feed.id)
    silent = None
    if mode == "never answers":
        silent = SilentServer()
        registry.update(feed.id, url=silent.url)
    else:
        server.routes["/feed"] = {
            "401": Route(status=401, headers={"WWW-Authenticate": "Basic"}),
            "404": Route(status=404),
            "429": Route(status=429, headers={"Retry-After": "600"}),
            "500": Route(status=500, body=b"Internal error"),
            "over the cap": Route(body=b"<rss>" + b"x" * 300_000 + b"</rss>"),
            "html": Route(body=HTML, headers={"Content-Type": "text/html"}),
            "garbage": Route(body=b"\x00\x01\x02 this is not a feed \xff"),
        }[mode]
    started = time.monotonic()
    try:
        (result,) = run(library, registry, fetcher).results
    finally:
        if silent is not None:
            silent.stop()
    assert time.monotonic() - started < 3
    assert result.outcome is RefreshOutcome.FAILED
    assert result.error is not None and expected in result.error
    assert snapshot(library) == before
    failed = registry.get(feed.id)
    assert failed.status is FeedStatus.ERROR and failed.last_error == result.error and failed.failures == 1
    assert failed.last_success == ok_feed.last_success
    due = datetime.fromisoformat(failed.next_due.replace("Z", "+00:00"))  # type: ignore[union-attr]
    assert due >= datetime.now(UTC) + timedelta(minutes=14 if mode != "429" else 9)
    if mode == "429":
        # The server asked for 10 minutes: even an explicit refresh waits, and says why.
        (again,) = run(library, registry, fetcher).results
        assert again.outcome is RefreshOutcome.WAITING and "wait" in (again.error or "")
        assert server.hits("/feed") == 2


def test_success_after_failures_resets_the_count(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher
) -> None:
    server.routes["/feed"] = Route(status=500)
    feed = add(registry, server.url("/feed"))
    run(library, registry, fetcher)
    run(library, registry, fetcher)
    assert registry.get(feed.id).failures == 2
    server.routes["/feed"] = Route(body=CL)
    run(library, registry, fetcher)
    fixed = registry.get(feed.id)
    assert fixed.failures == 0 and fixed.last_error is None and fixed.status is FeedStatus.OK


@pytest.mark.parametrize("validator", ["etag", "last_modified"])
def test_304_costs_no_parse_and_no_write(
    server: FeedServer,
    library: Library,
    registry: FeedRegistry,
    fetcher: FeedFetcher,
    validator: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stamp = "Wed, 17 Sep 2025 04:00:00 GMT"
    route = Route(body=CL, etag='"v1"') if validator == "etag" else Route(body=CL, last_modified=stamp)
    server.routes["/feed"] = route
    feed = add(registry, server.url("/feed"))
    run(library, registry, fetcher)
    papers_files = {p: f for p, f in _manifest(library).items() if p.startswith("papers-")}

    def no_parse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a 304 must not be parsed")

    monkeypatch.setattr(refresh_module, "read_download", no_parse)
    (result,) = run(library, registry, fetcher).results
    assert result.outcome is RefreshOutcome.NOT_MODIFIED and result.http_status == 304
    assert {p: f for p, f in _manifest(library).items() if p.startswith("papers-")} == papers_files
    assert registry.get(feed.id).status is FeedStatus.OK


def _manifest(library: Library) -> dict[str, str]:
    data = orjson.loads((library.store.dir / "manifest.json").read_bytes())
    files: dict[str, str] = data["files"]
    return files


@pytest.mark.parametrize("code", [301, 308])
def test_a_permanent_redirect_moves_the_subscription(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher, code: int
) -> None:
    server.routes["/old"] = Route(status=code, headers={"Location": "/new"})
    server.routes["/new"] = Route(body=CL)
    feed = add(registry, server.url("/old"))
    (result,) = run(library, registry, fetcher).results
    assert result.outcome is RefreshOutcome.UPDATED and result.moved_to == server.url("/new")
    assert registry.get(feed.id).url == server.url("/new")


def test_a_temporary_redirect_does_not(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher
) -> None:
    server.routes["/old"] = Route(status=307, headers={"Location": "/new"})
    server.routes["/new"] = Route(body=CL)
    feed = add(registry, server.url("/old"))
    run(library, registry, fetcher)
    assert registry.get(feed.id).url == server.url("/old")


def test_gzip_and_wrong_charset_refresh(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher
) -> None:
    server.routes["/gz"] = Route(body=CL, gzip=True)
    server.routes["/latin"] = Route(
        body=LG.replace(b"Olga Ivanova", "Ольга Иванова".encode()),
        headers={"Content-Type": "text/xml; charset=iso-8859-1"},
    )
    add(registry, server.url("/gz"))
    add(registry, server.url("/latin"))
    summary = run(library, registry, fetcher)
    assert [r.outcome for r in summary.results] == [RefreshOutcome.UPDATED] * 2
    assert library.get(library.resolve("2509.13555")).authors[0] == "Ольга Иванова"


def test_401_then_credentials_from_the_keyring(
    server: FeedServer,
    library: Library,
    registry: FeedRegistry,
    fetcher: FeedFetcher,
    memory_keyring: MemoryKeyring,
    data_dir: Path,
) -> None:
    server.routes["/private"] = Route(body=CL, basic_auth=("alice", "s3cret-pw"))
    store = CredentialStore()
    plain = add(registry, server.url("/private"), name="Without")
    url = server.url("/private").replace("http://", "http://alice:s3cret-pw@").replace("/private", "/private?x=1")
    server.routes["/private?x=1"] = server.routes["/private"]
    done = subscribe(registry, FeedSpec(url=url, name="With"), credentials=store)
    summary = run(library, registry, fetcher, credentials=store)
    by_id = {r.feed_id: r for r in summary.results}
    assert by_id[plain.id].outcome is RefreshOutcome.FAILED and by_id[plain.id].http_status == 401
    assert by_id[done.feed.id].outcome is RefreshOutcome.UPDATED
    text = library_files_text(data_dir)
    assert "s3cret-pw" not in text and "alice" not in text


def test_without_a_keyring_credentials_work_for_this_run_only(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher, data_dir: Path
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        server.routes["/private"] = Route(body=CL, basic_auth=("alice", "s3cret-pw"))
        store = CredentialStore()
        assert not store.available()
        done = subscribe(
            registry,
            FeedSpec(url=server.url("/private")),
            credentials=store,
            credential=Credential("alice", "s3cret-pw"),
        )
        assert done.credential_saved is False and done.warning is not None and "keyring" in done.warning
        assert "s3cret" not in done.warning
        (ok,) = run(library, registry, fetcher, credentials=store).results
        assert ok.outcome is RefreshOutcome.UPDATED
        # The next run (a new process) has nothing: the feed says what is missing.
        library.add_papers([], source="x")
        (later,) = run(library, registry, fetcher, credentials=CredentialStore()).results
        assert later.outcome is RefreshOutcome.FAILED and "none are available" in (later.error or "")
        assert "s3cret-pw" not in library_files_text(data_dir)
    finally:
        keyring.set_keyring(previous)


# ---- refreshing: concurrency, progress, cancel ---------------------------------------------------------------


def test_bounded_downloads_one_parse_at_a_time_and_progress(
    server: FeedServer,
    library: Library,
    registry: FeedRegistry,
    fetcher: FeedFetcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    active = {"downloads": 0, "max_downloads": 0, "parses": 0, "max_parses": 0}
    lock = threading.Lock()
    caller = threading.get_ident()
    parse_threads: set[int] = set()

    def slow(handler: BaseHTTPRequestHandler) -> None:
        with lock:
            active["downloads"] += 1
            active["max_downloads"] = max(active["max_downloads"], active["downloads"])
        time.sleep(0.05)
        with lock:
            active["downloads"] -= 1
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(CL)))
        handler.end_headers()
        handler.wfile.write(CL)

    for i in range(8):
        server.routes[f"/f{i}"] = Route(handler=slow)
        add(registry, server.url(f"/f{i}"))
    server.routes["/broken"] = Route(status=500)
    add(registry, server.url("/broken"))
    real = refresh_module.read_download

    def counting(*args: Any, **kwargs: Any) -> Any:
        parse_threads.add(threading.get_ident())
        active["parses"] += 1
        active["max_parses"] = max(active["max_parses"], active["parses"])
        try:
            return real(*args, **kwargs)
        finally:
            active["parses"] -= 1

    monkeypatch.setattr(refresh_module, "read_download", counting)
    seen: list[RefreshProgress] = []
    summary = run(library, registry, fetcher, progress=seen.append, max_workers=3)
    assert len(summary.results) == 9
    assert summary.count(RefreshOutcome.UPDATED) == 8 and summary.count(RefreshOutcome.FAILED) == 1
    assert active["max_downloads"] <= 3 and active["max_parses"] == 1 and parse_threads == {caller}
    assert [p.done for p in seen] == list(range(10)) and {p.total for p in seen} == {9}
    assert seen[-1].new_papers == summary.new_papers == 3
    assert "3 new papers" in summary.summary() and "1 failed" in summary.summary()


def test_cancel_stops_promptly_and_writes_nothing_half_done(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher
) -> None:
    silent = SilentServer()
    try:
        for i in range(6):
            server.routes[f"/f{i}"] = Route(body=CL, delay=0.05 * i)
            add(registry, server.url(f"/f{i}"))
        hung = add(registry, silent.url)
        cancel = threading.Event()

        def progress(p: RefreshProgress) -> None:
            if p.done >= 1:
                cancel.set()

        started = time.monotonic()
        summary = run(library, registry, fetcher, progress=progress, cancel=cancel, max_workers=2)
        took = time.monotonic() - started
    finally:
        silent.stop()
    assert summary.cancelled and took < 1.0
    assert len(summary.results) == 7
    assert summary.count(RefreshOutcome.CANCELLED) >= 5
    assert registry.get(hung.id).last_error is None
    # Whatever was written is whole: each paper's feed list names a feed that finished.
    finished = {r.feed_id for r in summary.results if r.outcome is RefreshOutcome.UPDATED}
    keys = library.keys()
    assert {f for k in keys for f in library.get(k).feeds} <= finished


def test_due_only_and_arxiv_schedule(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher
) -> None:
    server.routes["/feed"] = Route(body=CL)
    feed = add(registry, server.url("/feed"))
    assert len(run(library, registry, fetcher, due_only=True).results) == 1
    assert run(library, registry, fetcher, due_only=True).results == ()
    arxiv = Feed(id="f-1", name="arXiv cs.CL", url="https://rss.arxiv.org/rss/cs.CL", interval=ARXIV_INTERVAL)
    assert next_success_due(arxiv, datetime(2025, 9, 17, 3, 0, tzinfo=UTC)) == datetime(2025, 9, 17, 4, 30, tzinfo=UTC)
    assert next_success_due(arxiv, datetime(2025, 9, 17, 5, 0, tzinfo=UTC)) == datetime(2025, 9, 18, 4, 30, tzinfo=UTC)
    assert backoff_delay(1) == 900 and backoff_delay(3) == 3600 and backoff_delay(20) == 86400
    assert backoff_delay(1, retry_after=7200) == 7200
    assert registry.get(feed.id).interval == DEFAULT_INTERVAL


# ---- the arXiv API ------------------------------------------------------------------------------------------


def _api(pages: dict[int, bytes], calls: list[dict[str, list[str]]]) -> Route:
    def handler(h: BaseHTTPRequestHandler) -> None:
        query = parse_qs(urlsplit(h.path).query)
        calls.append(query)
        body = pages[int(query["start"][0])]
        h.send_response(200)
        h.send_header("Content-Type", "application/atom+xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return Route(handler=handler)


def test_arxiv_query_pages_politely(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher
) -> None:
    calls: list[dict[str, list[str]]] = []
    server.routes["/api/query"] = _api({0: fixture("arxiv_api_page1.xml"), 2: fixture("arxiv_api_page2.xml")}, calls)
    url = server.url("/api/query?search_query=cat%3Acs.CL+AND+abs%3A%22masked+language%22&sortBy=submittedDate")
    feed = add(registry, url, kind=FeedKind.ARXIV_QUERY)
    fake_now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        fake_now[0] += seconds

    limiter = RateLimiter(clock=lambda: fake_now[0], sleep=sleep)
    summary = run(library, registry, fetcher, limiter=limiter, arxiv_page_size=2)
    (result,) = summary.results
    assert result.outcome is RefreshOutcome.UPDATED, result.error
    assert [(c["start"], c["max_results"]) for c in calls] == [(["0"], ["2"]), (["2"], ["2"])]
    assert calls[0]["search_query"] == ['cat:cs.CL AND abs:"masked language"']
    assert slept == [3.0]
    assert len(result.new) == 3
    old = library.get(library.resolve("hep-th/9901001"))
    assert old.arxiv_version == 3 and old.journal_ref == "Nucl.Phys. B550 (1999) 123-145"
    assert old.extra["comment"] == "LaTeX, 20 pages" and old.pdf_url == "https://arxiv.org/pdf/hep-th/9901001v3"
    code = library.get(library.resolve("2409.01234"))
    assert code.doi == "10.1145/3650212.3680001" and code.categories[0] == "cs.CL"
    assert registry.get(feed.id).interval == ARXIV_INTERVAL


def test_the_rate_limiter_spaces_calls_across_threads() -> None:
    limiter = RateLimiter(interval=0.05)
    starts: list[float] = []

    def call() -> None:
        limiter.wait()
        starts.append(time.monotonic())

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert all(b - a >= 0.045 for a, b in itertools.pairwise(starts))


def test_arxiv_429_stops_and_waits(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher
) -> None:
    server.routes["/api/query"] = Route(status=429, headers={"Retry-After": "30"})
    feed = add(registry, server.url("/api/query?search_query=cat:cs.CL"), kind=FeedKind.ARXIV_QUERY)
    (result,) = run(library, registry, fetcher).results
    assert result.outcome is RefreshOutcome.FAILED and result.http_status == 429
    assert registry.get(feed.id).retry_until is not None
    assert server.hits("/api/query") == 1


def test_arxiv_429_on_a_later_page_keeps_the_first(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher
) -> None:
    page1 = fixture("arxiv_api_page1.xml")

    def handler(h: BaseHTTPRequestHandler) -> None:
        start = parse_qs(urlsplit(h.path).query)["start"][0]
        if start == "0":
            h.send_response(200)
            h.send_header("Content-Length", str(len(page1)))
            h.end_headers()
            h.wfile.write(page1)
        else:
            h.send_response(429)
            h.send_header("Retry-After", "5")
            h.send_header("Content-Length", "0")
            h.end_headers()

    server.routes["/api/query"] = Route(handler=handler)
    add(registry, server.url("/api/query?search_query=all:masked"), kind=FeedKind.ARXIV_QUERY)
    (result,) = run(library, registry, fetcher, arxiv_page_size=2).results
    assert result.outcome is RefreshOutcome.UPDATED and len(result.new) == 2
    assert any("429" in w for w in result.warnings)


# ---- safety ---------------------------------------------------------------------------------------------------

HOSTILE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>Hostile &xxe;</title><link>javascript:alert(1)</link>
<item><title>Paper one &xxe;</title><link>javascript:alert(document.cookie)</link><guid>urn:x:1</guid>
<description>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src="javascript:alert(2)"&gt;
&lt;a href="data:text/html;base64,PHNjcmlwdD4="&gt;click&lt;/a&gt; text
&lt;iframe src="https://evil.example/"&gt;&lt;/iframe&gt;</description></item>
<item><title>Paper two</title><link>data:text/html,hi</link><guid>urn:x:2</guid><description>ok</description></item>
</channel></rss>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>Laughs &lol9;</title><guid>urn:x:3</guid>
<link>https://example.org/laughs</link></item></channel></rss>"""


def test_hostile_feeds_do_nothing_harmful(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher, data_dir: Path
) -> None:
    server.routes["/hostile"] = Route(body=HOSTILE)
    server.routes["/laughs"] = Route(body=LAUGHS)
    add(registry, server.url("/hostile"), name="Hostile")
    add(registry, server.url("/laughs"), name="Laughs")
    summary = run(library, registry, fetcher)
    assert len(summary.results) == 2
    text = library_files_text(data_dir)
    assert "root:" not in text
    for scheme in ("javascript:", "data:text", "<script", "<iframe", "evil.example"):
        assert scheme not in text
    keys = library.keys()
    for key in keys:
        paper = library.get(key)
        assert len(paper.title) < 200
        for url in (paper.url, paper.pdf_url, paper.abs_url):
            assert url is None or url.startswith(("http://", "https://"))


def test_search_finds_refreshed_papers_reading_only_the_parts_the_refresh_changed(
    server: FeedServer,
    library: Library,
    registry: FeedRegistry,
    fetcher: FeedFetcher,
) -> None:
    server.routes["/cl"] = Route(body=CL)
    server.routes["/lg"] = Route(body=LG)
    add(registry, server.url("/cl"))
    add(registry, server.url("/lg"))
    assert library.search("anything") == set()  # the index exists and is current before the refresh
    catalog = library.catalog
    assert catalog is not None and catalog.current(library.store)
    before = catalog.indexed_files()
    run(library, registry, fetcher)
    # The refresh changed a few parts; the search reads those, and no other part's file.
    behind = catalog.behind(library.store)
    assert behind and all(p.startswith(("papers-", "paper-changes", "state-")) for p in behind)
    assert library.search("gradient noise") == {library.resolve("2509.13555")}
    after = catalog.indexed_files()
    assert {p for p in after if after[p] != before.get(p)} == set(behind)
    assert library.search("mixture experts") == {library.resolve("2509.13332")}


def test_hugging_face_fetches_the_days_missed_since_the_last_success(
    server: FeedServer, library: Library, registry: FeedRegistry, fetcher: FeedFetcher
) -> None:
    today = datetime.now(UTC).date()
    days = {(today - timedelta(days=n)).isoformat(): n for n in range(1, 4)}
    entries = orjson.loads(HF)[:2]

    def handler(h: BaseHTTPRequestHandler) -> None:
        day = parse_qs(urlsplit(h.path).query).get("date", [""])[0]
        if day == (today - timedelta(days=2)).isoformat():
            body, status = b"<html>oops</html>", 502
        else:
            # Today: the first entry; each earlier day: the second entry under another arXiv id.
            entry = orjson.loads(orjson.dumps(entries[0 if not day else 1]))
            if day:
                entry["paper"]["id"] = f"2509.2{days[day]:04d}"
            body, status = orjson.dumps([entry]), 200
        h.send_response(status)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    server.routes["/api/daily_papers"] = Route(handler=handler)
    feed = add(registry, server.url("/api/daily_papers"), kind=FeedKind.HF_DAILY)
    last = datetime.now(UTC) - timedelta(days=3)
    registry.update(feed.id, last_success=last.isoformat().replace("+00:00", "Z"))
    (result,) = run(library, registry, fetcher).results
    assert result.outcome is RefreshOutcome.UPDATED, result.error
    asked = sorted(parse_qs(urlsplit(r.path).query).get("date", ["today"])[0] for r in server.requests)
    assert asked == sorted([*days, "today"])
    assert {library.get(k).arxiv_id for k in result.new} == {"2509.13332", "2509.20001", "2509.20003"}
    assert any("could not be fetched" in w for w in result.warnings)
    (again,) = run(library, registry, fetcher).results  # the last success is now today: no earlier day
    assert len(server.requests) == 5 and again.outcome is RefreshOutcome.UPDATED


def test_feed_addresses_differing_only_in_their_query_are_two_feeds(registry: FeedRegistry) -> None:
    add(registry, "https://blog.example/?feed=rss2")
    add(registry, "https://blog.example/?feed=atom")
    with pytest.raises(SubscriptionError, match="already subscribed"):
        add(registry, "http://WWW.blog.example:80/?feed=atom")
    assert len(registry) == 2


def test_a_move_from_http_to_https_is_kept(registry: FeedRegistry) -> None:
    feed = add(registry, "http://journal.example/feed")
    other = add(registry, "https://other.example/feed")
    assert (
        refresh_module._accept_move(registry, feed, "https://journal.example/feed")[0] == "https://journal.example/feed"
    )
    assert refresh_module._accept_move(registry, feed, "https://other.example/feed/")[0] is None  # taken by `other`
    assert refresh_module._accept_move(registry, other, "https://other.example/feed")[0] is None
