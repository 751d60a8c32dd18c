"""Refreshing feeds, in three stages that each own one kind of effect:

1. `plan`: which feeds (all, some, or those due) and which of them wait for their server; reads the registry only.
2. `download`: the network only. Every request a feed needs (arXiv's pages with their pauses, the days of
   Hugging Face papers missed while away, validators and credentials) is made here, on any thread, and comes back
   as a `Downloaded` value. Nothing here touches the library.
3. `Applier`: parse, decide (announce types, moves, the feed's new status) and write, on the library's thread,
   with no network. Writes are grouped into transactions.

`refresh_feeds` runs the three in a row for the command line. The window runs `download` on its network thread
and `Applier.apply` as library jobs, so a slow server never holds up a star or a search.

Its size (about 630 lines): the three stages and the results they share; each stage is a few functions, and a
feed's schedule and backoff, which the apply stage decides, are with it.
"""

from __future__ import annotations

import contextlib
import enum
import threading
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from readinglist.core.credentials import Credential, CredentialStore, redact, split_credentials
from readinglist.core.download import Download, RateLimiter, download, read_download
from readinglist.core.errors import CredentialError, FeedError, StoreError, SubscriptionError
from readinglist.core.feeds import ARXIV_INTERVAL, Feed, FeedRegistry, format_time, parse_time
from readinglist.core.fetcher import FeedFetcher, FetchStatus, describe_wait, origin
from readinglist.core.importer import ParsedFeed
from readinglist.core.models import IncomingPaper, PaperKey
from readinglist.core.sources import ARXIV_MAX_RESULTS, ARXIV_PAGE_SIZE, HF_MAX_MISSED_DAYS, FeedKind, is_arxiv_url

if TYPE_CHECKING:
    from readinglist.core.intake import PaperSink

# arXiv rebuilds its RSS feeds daily around 04:00 UTC (FIELD-NOTES): a daily arXiv feed is due just after.
ARXIV_BUILD_UTC = (4, 30)
UPDATE_TYPES = frozenset({"replace", "replace-cross", "absonly"})
BACKOFF_FIRST = 15 * 60
BACKOFF_MAX = 24 * 3600
# A group of feeds shares one transaction for at most this long: it holds the writer lock meanwhile, and a star
# from another process (the window, a command) waits for it. About half a second keeps that wait short.
COMMIT_EVERY = 0.5
DOWNLOADS_AT_ONCE = 4

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


# ---- results ---------------------------------------------------------------------------------------------------


class RefreshOutcome(enum.Enum):
    UPDATED = "updated"  # downloaded and read; it may have brought nothing new (an empty arXiv day is fine)
    NOT_MODIFIED = "not-modified"  # 304: nothing parsed, nothing written to the papers
    FAILED = "failed"
    WAITING = "waiting"  # the server asked us to wait (Retry-After) and that time has not come
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class FeedRefreshResult:
    feed_id: str
    name: str
    outcome: RefreshOutcome
    new: tuple[PaperKey, ...] = ()
    updated: tuple[PaperKey, ...] = ()
    seen: int = 0
    filtered: int = 0
    error: str | None = None
    warnings: tuple[str, ...] = ()
    http_status: int | None = None
    moved_to: str | None = None
    move_refused: str | None = None  # a permanent move that was not followed, and why: always worth telling
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class RefreshProgress:
    done: int
    total: int
    new_papers: int
    updated_papers: int = 0
    last: FeedRefreshResult | None = None


@dataclass(frozen=True, slots=True)
class RefreshSummary:
    results: tuple[FeedRefreshResult, ...]
    cancelled: bool = False
    elapsed: float = 0.0

    @property
    def new_papers(self) -> int:
        return sum(len(r.new) for r in self.results)

    @property
    def updated_papers(self) -> int:
        return sum(len(r.updated) for r in self.results)

    def count(self, outcome: RefreshOutcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def failed(self) -> tuple[FeedRefreshResult, ...]:
        return tuple(r for r in self.results if r.outcome is RefreshOutcome.FAILED)

    def summary(self) -> str:
        n = len(self.results)
        parts = [f"{self.new_papers} new papers", f"{self.updated_papers} updated"]
        for outcome, label in (
            (RefreshOutcome.NOT_MODIFIED, "unchanged"),
            (RefreshOutcome.FAILED, "failed"),
            (RefreshOutcome.WAITING, "waiting"),
            (RefreshOutcome.CANCELLED, "cancelled"),
        ):
            k = self.count(outcome)
            if k:
                parts.append(f"{k} {label}")
        head = f"Refreshed {n} feed{'s' if n != 1 else ''}" + (" (cancelled)" if self.cancelled else "")
        return f"{head} in {self.elapsed:.1f} s: " + ", ".join(parts)


def select_announced(
    papers: Sequence[IncomingPaper], feed: Feed, library: PaperSink
) -> tuple[list[IncomingPaper], int]:
    """Keep items of the announce types this feed adds; replacements of papers already in the library always
    update them. Items without an announce type (any non-arXiv feed) are always kept."""
    adding = set(feed.adding_types)
    kept: list[IncomingPaper] = []
    dropped = 0
    for paper in papers:
        kind = paper.announce_type
        if kind is None or kind in adding or (kind in UPDATE_TYPES and library.find(paper) is not None):
            kept.append(paper)
        else:
            dropped += 1
    return kept, dropped


def next_success_due(feed: Feed, now: datetime) -> datetime:
    if feed.interval == ARXIV_INTERVAL and feed.kind is FeedKind.RSS and is_arxiv_url(feed.url):
        hour, minute = ARXIV_BUILD_UTC
        due = now.astimezone(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
        return due if due > now else due + timedelta(days=1)
    return now + timedelta(seconds=feed.interval)


def backoff_delay(failures: int, retry_after: float | None = None) -> float:
    delay = min(float(BACKOFF_FIRST * 2 ** max(0, failures - 1)), float(BACKOFF_MAX))
    return max(delay, retry_after or 0.0)


def _success_fields(feed: Feed, now: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "last_attempt": format_time(now),
        "last_success": format_time(now),
        "last_error": None,
        "failures": 0,
        "retry_until": None,
        "next_due": format_time(next_success_due(feed, now)),
        **extra,
    }


def _failure_fields(feed: Feed, now: datetime, error: str, retry_after: float | None) -> dict[str, Any]:
    failures = feed.failures + 1
    delay = backoff_delay(failures, retry_after)
    return {
        "last_attempt": format_time(now),
        "last_error": error,
        "failures": failures,
        "next_due": format_time(now + timedelta(seconds=delay)),
        "retry_until": format_time(now + timedelta(seconds=retry_after)) if retry_after else None,
    }


# ---- 1. plan ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefreshPlan:
    """The feeds a refresh downloads, as values, and those whose server asked to wait (reported, not fetched)."""

    feeds: tuple[Feed, ...]
    waiting: tuple[FeedRefreshResult, ...] = ()

    @property
    def total(self) -> int:
        return len(self.feeds) + len(self.waiting)


def plan(
    registry: FeedRegistry,
    *,
    feed_ids: Sequence[str] | None = None,
    due_only: bool = False,
    now: datetime | None = None,
) -> RefreshPlan:
    """Every feed, the ids given, or (due_only) those whose interval has passed; with both, the due ones and those
    given. A feed that no longer exists is left out."""
    now = now or _utc_now()
    feeds = registry.feeds()
    if feed_ids is None:
        chosen = [f for f in feeds if f.is_due(now)] if due_only else feeds
    else:
        by_id = {f.id: f for f in feeds}
        named = [by_id[i] for i in dict.fromkeys(feed_ids) if i in by_id]
        due = [f for f in feeds if due_only and f.is_due(now)]
        chosen = list({f.id: f for f in [*due, *named]}.values())
    fetch: list[Feed] = []
    waiting: list[FeedRefreshResult] = []
    for feed in chosen:
        until = feed.waiting_until(now)
        if until is None:
            fetch.append(feed)
            continue
        wait_for = describe_wait((until - now).total_seconds())
        error = f"the server asked to wait; next try in {wait_for} ({feed.last_error or 'rate limited'})"
        waiting.append(FeedRefreshResult(feed.id, feed.name, RefreshOutcome.WAITING, error=error))
    return RefreshPlan(tuple(fetch), tuple(waiting))


# ---- 2. download -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Downloaded:
    """What the network gave for one feed: its answers, or why there are none."""

    feed: Feed
    credential: Credential | None = None
    download: Download | None = None
    error: str | None = None


def download_feed(
    feed: Feed,
    fetcher: FeedFetcher,
    *,
    credentials: CredentialStore | None = None,
    cancel: threading.Event | None = None,
    limiter: RateLimiter | None = None,
    page_size: int = ARXIV_PAGE_SIZE,
    now: datetime | None = None,
) -> Downloaded:
    """Every request `feed` needs, on the calling thread. Thread-safe; never touches the library."""
    cancel = cancel or threading.Event()
    if cancel.is_set():
        return Downloaded(feed, error="cancelled")
    credential = None
    if feed.auth and credentials is not None:
        try:
            credential = credentials.get(feed.id)
        except CredentialError as exc:
            return Downloaded(feed, error=str(exc))
    dl = download(
        feed.kind,
        feed.url,
        fetcher,
        etag=feed.etag,
        last_modified=feed.last_modified,
        credential=credential,
        cancel=cancel,
        limiter=limiter or RateLimiter(),
        page_size=page_size,
        max_results=feed.max_results or ARXIV_MAX_RESULTS,
        missed_days=_missed_days(feed, now or _utc_now()) if feed.kind is FeedKind.HF_DAILY else (),
    )
    return Downloaded(feed, credential, download=dl)


def download_feeds(
    feeds: Sequence[Feed],
    fetcher: FeedFetcher,
    *,
    credentials: CredentialStore | None = None,
    cancel: threading.Event | None = None,
    max_workers: int = DOWNLOADS_AT_ONCE,
    limiter: RateLimiter | None = None,
    page_size: int = ARXIV_PAGE_SIZE,
) -> Generator[Downloaded, None, None]:
    """Download `feeds` on up to `max_workers` threads, yielding each as it completes. On cancel, yields the
    feeds not done as cancelled and returns at once: downloads still running are abandoned (they see `cancel` or
    time out on their own)."""
    cancel = cancel or threading.Event()
    limiter = limiter or RateLimiter()
    executor = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="readinglist-download")
    futures: dict[Future[Downloaded], Feed] = {
        executor.submit(
            download_feed, feed, fetcher, credentials=credentials, cancel=cancel, limiter=limiter, page_size=page_size
        ): feed
        for feed in feeds
    }
    remaining = set(futures)
    try:
        while remaining and not cancel.is_set():
            done, remaining = wait(remaining, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in done:
                if cancel.is_set():
                    remaining.add(future)
                    continue
                yield future.result()
        for future in remaining:  # only when cancelled
            future.cancel()
            yield Downloaded(futures[future], error="cancelled")
    finally:
        executor.shutdown(wait=not cancel.is_set(), cancel_futures=True)


def _missed_days(feed: Feed, now: datetime) -> list[date]:
    """The days from the last success's (its list may have grown after it) to yesterday, UTC; at most the last
    HF_MAX_MISSED_DAYS. Today's papers come from the subscription's own address."""
    last = parse_time(feed.last_success)
    if last is None:
        return []
    today = now.astimezone(UTC).date()
    day = last.astimezone(UTC).date()
    days = []
    while day < today:
        days.append(day)
        day += timedelta(days=1)
    return days[-HF_MAX_MISSED_DAYS:]


# ---- 3. apply ---------------------------------------------------------------------------------------------------


class Applier:
    """Reads what was downloaded and writes papers and feed status, on the library's thread, with no network.

    With `commit_every` > 0, the feeds applied within that many seconds share one transaction (their papers and
    their status together), so a segment of the library that many feeds touch is written once, not once per feed;
    a crash loses at most the last group, whole, and the next refresh fetches those feeds again. With 0, every
    `apply` commits before it returns (the window: nothing it acknowledged waits in an open transaction).
    """

    def __init__(
        self,
        library: PaperSink,
        registry: FeedRegistry,
        plan: RefreshPlan,
        *,
        progress: Callable[[RefreshProgress], None] | None = None,
        clock: Clock = _utc_now,
        commit_every: float = COMMIT_EVERY,
    ) -> None:
        self.library = library
        self.registry = registry
        self.total = plan.total
        self.results: list[FeedRefreshResult] = []
        self._progress = progress
        self._clock = clock
        self._now = clock()
        self._pending: dict[str, dict[str, Any]] = {}
        self._group = _WriteGroup(library, commit_every)
        self._new = self._updated = 0
        if progress is not None:
            progress(RefreshProgress(0, self.total, 0))
        for result in plan.waiting:
            self._report(result)

    def _report(self, result: FeedRefreshResult) -> None:
        self.results.append(result)
        self._new += len(result.new)
        self._updated += len(result.updated)
        if self._progress is not None:
            self._progress(RefreshProgress(len(self.results), self.total, self._new, self._updated, result))

    def apply(self, downloaded: Downloaded) -> FeedRefreshResult:
        """One feed's answers into the library. Never raises for the feed's own trouble."""
        try:
            dl = downloaded.download
            if dl is not None and any(p.ok for p in dl.pages):
                self._group.open()
            result = _process(self.library, self.registry, downloaded, self._clock(), self._pending)
            if result.outcome is RefreshOutcome.UPDATED:
                self._group.members.append(len(self.results))
            self._report(result)
            if self._group.due():
                self.commit()
        except BaseException:
            self._group.rollback()
            raise
        return result

    def commit(self) -> None:
        """Commit the feeds applied since the last commit now."""
        self._settle()

    def _settle(self) -> None:
        """Commit the open group; if that fails, its feeds failed: nothing of theirs was saved."""
        error = self._group.commit()
        if error is None:
            return
        for index in self._group.members:
            r = self.results[index]
            message = f"{r.name}: the papers could not be saved ({error})"
            self.results[index] = replace(r, outcome=RefreshOutcome.FAILED, new=(), updated=(), error=message)
            self._pending[r.feed_id] = _failure_fields(self.registry.get(r.feed_id), self._now, message, None)
        self._group.members.clear()

    def finish(self, *, cancelled: bool = False, elapsed: float = 0.0) -> RefreshSummary:
        """Commit what is open and save every feed's status; the summary of all that was applied."""
        try:
            self._settle()
        finally:
            try:
                if self._pending:
                    self.registry.update_many(self._pending)
                    self._pending = {}
            except (StoreError, SubscriptionError):
                pass  # the feeds' status could not be saved; papers already are, and the next refresh will retry
        return RefreshSummary(tuple(self.results), cancelled=cancelled, elapsed=elapsed)


def refresh_feeds(
    library: PaperSink,
    registry: FeedRegistry,
    *,
    feed_ids: Sequence[str] | None = None,
    due_only: bool = False,
    fetcher: FeedFetcher | None = None,
    credentials: CredentialStore | None = None,
    progress: Callable[[RefreshProgress], None] | None = None,
    cancel: threading.Event | None = None,
    max_workers: int = DOWNLOADS_AT_ONCE,
    limiter: RateLimiter | None = None,
    clock: Clock = _utc_now,
    arxiv_page_size: int = ARXIV_PAGE_SIZE,
    commit_every: float = COMMIT_EVERY,
) -> RefreshSummary:
    """Plan, download and apply in a row, on the library's thread (the command line). Downloads run on up to
    `max_workers` threads; each is applied here as it arrives. Setting `cancel` stops promptly: feeds not yet done
    come back CANCELLED and nothing half-written is left. One result per feed, in completion order."""
    started = time.monotonic()
    cancel = cancel or threading.Event()
    if feed_ids is not None:
        for feed_id in feed_ids:
            registry.get(feed_id)  # an unknown feed is the caller's mistake: said, before anything is fetched
    the_plan = plan(registry, feed_ids=feed_ids, due_only=due_only and feed_ids is None, now=clock())
    applier = Applier(library, registry, the_plan, progress=progress, clock=clock, commit_every=commit_every)
    own_fetcher = fetcher is None
    fetcher = fetcher or FeedFetcher()
    try:
        downloads = download_feeds(
            the_plan.feeds,
            fetcher,
            credentials=credentials,
            cancel=cancel,
            max_workers=max_workers,
            limiter=limiter,
            page_size=arxiv_page_size,
        )
        try:
            for downloaded in downloads:
                if cancel.is_set() and downloaded.error != "cancelled":
                    downloaded = Downloaded(downloaded.feed, error="cancelled")
                applier.apply(downloaded)
        finally:
            downloads.close()
        return applier.finish(cancelled=cancel.is_set(), elapsed=time.monotonic() - started)
    finally:
        if own_fetcher:
            close_fetcher(fetcher, cancelled=cancel.is_set())


def close_fetcher(fetcher: FeedFetcher, *, cancelled: bool) -> None:
    """Close a refresh's client: now, or after a cancel, once the downloads it abandoned have ended (none runs
    longer than the fetcher's total timeout)."""
    if not cancelled:
        fetcher.close()
        return
    timer = threading.Timer(fetcher.total_timeout + 5.0, fetcher.close)
    timer.daemon = True
    timer.start()


class _WriteGroup:
    """One store transaction spanning the writes of several feeds, opened on demand and committed on time."""

    def __init__(self, library: PaperSink, interval: float) -> None:
        self.library = library
        self.interval = interval
        self.members: list[int] = []
        self._tx: contextlib.AbstractContextManager[None] | None = None
        self._opened = 0.0
        self._last_commit = 0.0

    def open(self) -> None:
        if self._tx is None:
            self._tx = self.library.batch()
            self._tx.__enter__()
            self._opened = time.monotonic()

    def due(self) -> bool:
        # At least `interval`, and at least twice what the last commit took: writing stays under a third of the
        # time even when every group touches many segments of a large library.
        wait_for = max(self.interval, 2 * self._last_commit)
        return self._tx is not None and time.monotonic() - self._opened >= wait_for

    def commit(self) -> StoreError | None:
        tx, self._tx = self._tx, None
        if tx is None:
            return None
        started = time.monotonic()
        try:
            tx.__exit__(None, None, None)
        except StoreError as exc:
            return exc  # the store went back to what is on disk, and the library with it (on_reload)
        finally:
            self._last_commit = time.monotonic() - started
        self.members.clear()
        return None

    def rollback(self) -> None:
        tx, self._tx = self._tx, None
        if tx is not None:
            error = RuntimeError("refresh interrupted")
            tx.__exit__(RuntimeError, error, None)


def _process(
    library: PaperSink, registry: FeedRegistry, job: Downloaded, now: datetime, pending: dict[str, dict[str, Any]]
) -> FeedRefreshResult:
    """Read one feed's download and write its papers and status. Never raises for a feed's own trouble."""
    feed = job.feed
    secrets_ = job.credential.secrets() if job.credential else ()
    dl = job.download
    if dl is None or job.error:
        error = job.error or "nothing was downloaded"
        if error == "cancelled":
            return FeedRefreshResult(feed.id, feed.name, RefreshOutcome.CANCELLED, error=error)
        pending[feed.id] = _failure_fields(feed, now, error, None)
        return FeedRefreshResult(feed.id, feed.name, RefreshOutcome.FAILED, error=error)
    first = dl.first
    elapsed = sum(p.elapsed for p in dl.pages)
    if first.status is FetchStatus.CANCELLED:
        return FeedRefreshResult(feed.id, feed.name, RefreshOutcome.CANCELLED, error="cancelled", elapsed=elapsed)
    if first.status is FetchStatus.ERROR:
        error = redact(first.error or "the download failed", secrets_)
        if feed.auth and job.credential is None and first.http_status in (401, 403):
            error += " (none are available: no keyring, or none were saved)"
        pending[feed.id] = _failure_fields(feed, now, error, first.retry_after)
        return FeedRefreshResult(
            feed.id, feed.name, RefreshOutcome.FAILED, error=error, http_status=first.http_status, elapsed=elapsed
        )
    moved_to, move_warning = _accept_move(registry, feed, first.moved_to)
    if move_warning:
        dl = Download(dl.pages, (*dl.warnings, move_warning))
    if first.status is FetchStatus.NOT_MODIFIED and not any(p.ok for p in dl.pages[1:]):
        # A 304 costs no parse and no write to the papers; the feed's status is saved with the others at the end.
        extra = {"url": moved_to} if moved_to else {}
        pending[feed.id] = _success_fields(feed, now, last_new=0, **extra)
        return FeedRefreshResult(
            feed.id,
            feed.name,
            RefreshOutcome.NOT_MODIFIED,
            http_status=304,
            moved_to=moved_to,
            move_refused=move_warning,
            elapsed=elapsed,
        )
    try:
        parsed = read_download(feed.kind, dl, name=feed.name)
    except FeedError as exc:
        # A result's error is about its feed, which every display already names: say the name once.
        error = redact(str(exc).removeprefix(f"{feed.name}: "), secrets_)
        pending[feed.id] = _failure_fields(feed, now, error, None)
        return FeedRefreshResult(
            feed.id, feed.name, RefreshOutcome.FAILED, error=error, http_status=first.http_status, elapsed=elapsed
        )
    except Exception as exc:  # a parser bug must stay this feed's error
        error = f"the feed could not be read ({type(exc).__name__})"
        pending[feed.id] = _failure_fields(feed, now, error, None)
        return FeedRefreshResult(feed.id, feed.name, RefreshOutcome.FAILED, error=error, elapsed=elapsed)
    papers, filtered = select_announced(parsed.papers, feed, library)
    facts = _feed_facts(registry, feed, parsed, first.etag, first.last_modified, moved_to)
    status = _success_fields(feed, now, **facts)
    try:
        with library.transaction():
            result = library.add_papers(papers, source=feed.id) if papers else None
            status["last_new"] = len(result.new) if result else 0
            pending.pop(feed.id, None)
            registry.update(feed.id, **status)
    except (StoreError, SubscriptionError) as exc:
        error = f"the papers could not be saved ({exc})"
        pending[feed.id] = _failure_fields(feed, now, error, None)
        return FeedRefreshResult(feed.id, feed.name, RefreshOutcome.FAILED, error=error, elapsed=elapsed)
    return FeedRefreshResult(
        feed.id,
        feed.name,
        RefreshOutcome.UPDATED,
        new=result.new if result else (),
        updated=result.updated if result else (),
        seen=len(parsed.papers),
        filtered=filtered,
        warnings=tuple(redact(w, secrets_) for w in parsed.warnings),
        http_status=first.http_status,
        moved_to=moved_to,
        move_refused=move_warning,
        elapsed=elapsed,
    )


def _same_site_or_upgrade(old: str, new: str) -> bool:
    """The same origin, or the same host moved from http to https (where credentials are safer, not exposed)."""
    (old_scheme, old_host, _), (new_scheme, new_host, _) = origin(old), origin(new)
    return origin(old) == origin(new) or (old_host == new_host and old_scheme == "http" and new_scheme == "https")


def _accept_move(registry: FeedRegistry, feed: Feed, moved_to: str | None) -> tuple[str | None, str | None]:
    """A permanent redirect moves the subscription, unless another feed already has that address; and never, for
    a feed with credentials, to another origin (its credentials would go there at the next refresh, even from a
    run that had none to send). Returns the new address, and a warning when a move was refused."""
    if moved_to:
        moved_to, _ = split_credentials(moved_to)  # never store credentials a server put in an address
    if not moved_to or moved_to == feed.url:
        return None, None  # (http -> https is a move worth keeping, though both name the same subscription)
    if feed.auth and not _same_site_or_upgrade(feed.url, moved_to):
        return None, (
            f"the server says the feed moved to {moved_to}, another site; the address is kept, because the feed's "
            "credentials must not go there (change the address by hand if the move is genuine)"
        )
    other = registry.find_url(moved_to)
    if other is not None and other.id != feed.id:
        return None, None
    return moved_to, None


def _feed_facts(
    registry: FeedRegistry,
    feed: Feed,
    parsed: ParsedFeed,
    etag: str | None,
    last_modified: str | None,
    moved_to: str | None,
) -> dict[str, Any]:
    facts: dict[str, Any] = {"etag": etag, "last_modified": last_modified}
    if parsed.title:
        facts["title"] = parsed.title
    if parsed.link:
        facts["site_url"] = parsed.link
    if moved_to:
        facts["url"] = moved_to
    if parsed.hf_daily and feed.kind is FeedKind.RSS:
        facts["kind"] = FeedKind.HF_DAILY  # recognised by its content: refresh it as daily papers from now on
    named_by_feed = not feed.named_by_user and feed.kind is FeedKind.RSS and not is_arxiv_url(feed.url)
    if named_by_feed and parsed.title and parsed.title != feed.name:
        others = {f.name.casefold() for f in registry.feeds() if f.id != feed.id}
        facts["name"] = registry._unique_name(parsed.title, others)
        facts["named_by_user"] = False
    return facts
