"""The work of a refresh, apart from the window: which feeds (on the library thread), their downloads (on a
thread of its own) and the core's refresh over the recorded answers (on the library thread again). No Qt here.

Loading the core's feed machinery (httpx, keyring, feedparser) costs a noticeable part of a launch, and the window
needs none of it before the first refresh: those imports happen inside the functions, on the thread that runs
them, never on the GUI thread at start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from readinglist.core.credentials import Credential, CredentialStore
    from readinglist.core.feeds import Feed, FeedRegistry, RefreshProgress, RefreshSummary
    from readinglist.core.fetcher import FeedFetcher, FetchResult
    from readinglist.core.library import Library
    from readinglist.core.sources import RateLimiter

NAMES_IN_SUMMARY = 3
DOWNLOADS_AT_ONCE = 4


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    feed_ids: tuple[str, ...] | None  # None: every feed
    due_only: bool = False  # only the feeds whose interval has passed (the schedule)

    @property
    def everything(self) -> bool:
        return self.feed_ids is None and not self.due_only

    @property
    def scheduled(self) -> bool:
        """Only the schedule asked: nothing to say unless something came of it."""
        return self.due_only and not self.feed_ids

    def merged(self, other: RefreshRequest) -> RefreshRequest:
        """One request that does what both asked for: due_only with ids means the due feeds and those."""
        if self.everything:
            return self
        if other.everything:
            return other
        ids = tuple(dict.fromkeys((*(self.feed_ids or ()), *(other.feed_ids or ()))))
        return RefreshRequest(ids, self.due_only or other.due_only)

    def covers(self, other: RefreshRequest) -> bool:
        """Whether running this one also does all that `other` asks."""
        if self.everything:
            return True
        if other.scheduled:
            return self.due_only
        wanted = set(other.feed_ids or ())
        return not other.due_only and wanted <= set(self.feed_ids or ())


@dataclass(frozen=True, slots=True)
class RefreshDone:
    """What a refresh job hands back: the core's summary (None when nothing was due), every feed's current error,
    and how many feeds there are at all."""

    request: RefreshRequest
    summary: RefreshSummary | None
    errors: Mapping[str, str]  # feed id -> its last error, for every feed that has one now
    feeds: int

    @property
    def changed_papers(self) -> int:
        return 0 if self.summary is None else self.summary.new_papers + self.summary.updated_papers


def error_sentence(feed: Feed) -> str:
    """The feed's last error without the feed's name in front (the core names the feed for the command line;
    the window shows the error next to the name already)."""
    error = feed.last_error or ""
    return error.removeprefix(f"{feed.name}: ") or error


def feed_errors(registry: FeedRegistry) -> dict[str, str]:
    """Feed id -> the sentence saying what went wrong the last time, for every feed whose last try failed."""
    return {f.id: error_sentence(f) for f in registry.feeds() if f.last_error}


def load_feed_errors(lib: Library) -> dict[str, str]:
    from readinglist.core.feeds import FeedRegistry

    return feed_errors(FeedRegistry(lib.store))


@dataclass(frozen=True, slots=True)
class RefreshPlan:
    """Which feeds a refresh fetches, chosen on the library thread, and what the window needs meanwhile."""

    request: RefreshRequest
    feeds: tuple[Feed, ...]
    errors: Mapping[str, str]
    total: int  # subscriptions in all


def plan_refresh(lib: Library, request: RefreshRequest) -> RefreshPlan:
    """The feeds to refresh. The schedule takes those due, leaving alone those whose server asked to wait."""
    from datetime import UTC, datetime

    from readinglist.core.feeds import FeedRegistry

    registry = FeedRegistry(lib.store)
    feeds = registry.feeds()
    by_id = {f.id: f for f in feeds}
    if request.everything:
        chosen = feeds
    else:
        chosen = [by_id[i] for i in dict.fromkeys(request.feed_ids or ()) if i in by_id]
        if request.due_only:
            now = datetime.now(UTC)
            due = [f for f in feeds if f.is_due(now) and f.waiting_until(now) is None]
            chosen = list({f.id: f for f in [*due, *chosen]}.values())
    return RefreshPlan(request, tuple(chosen), feed_errors(registry), len(feeds))


Recorded: TypeAlias = "dict[str, list[FetchResult]]"  # address -> its answers, in order


class RecordingFetcher:
    """A FeedFetcher that keeps each answer by address (thread-safe, as the downloads run on several threads)."""

    def __init__(self, fetcher: FeedFetcher) -> None:
        self._fetcher = fetcher
        self._lock = threading.Lock()
        self.recorded: Recorded = {}

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        credential: Credential | None = None,
        cancel: threading.Event | None = None,
    ) -> FetchResult:
        from readinglist.core.fetcher import FetchStatus

        result = self._fetcher.fetch(url, etag=etag, last_modified=last_modified, credential=credential, cancel=cancel)
        if result.status is not FetchStatus.CANCELLED:
            with self._lock:
                self.recorded.setdefault(url, []).append(result)
        return result

    def snapshot(self) -> Recorded:
        with self._lock:
            return {url: list(results) for url, results in self.recorded.items()}


class ReplayFetcher:
    """What `refresh_feeds` fetches through on the library thread: the recorded answers, each given once; anything
    else from the network (with arXiv's pause between API calls), as the core would have done."""

    def __init__(self, recorded: Recorded) -> None:
        from readinglist.core.sources import RateLimiter

        self._answers = {url: list(results) for url, results in recorded.items()}
        self._lock = threading.Lock()
        self._fallback: FeedFetcher | None = None
        self._limiter = RateLimiter()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        credential: Credential | None = None,
        cancel: threading.Event | None = None,
    ) -> FetchResult:
        from readinglist.core.fetcher import FeedFetcher, FetchResult, FetchStatus
        from readinglist.core.sources import is_arxiv_url

        with self._lock:
            answers = self._answers.get(url)
            if answers:
                return answers.pop(0)
            if self._fallback is None:
                self._fallback = FeedFetcher()
            fallback = self._fallback
        if is_arxiv_url(url) and not self._limiter.wait(cancel):
            return FetchResult(url, FetchStatus.CANCELLED, error="cancelled")
        return fallback.fetch(url, etag=etag, last_modified=last_modified, credential=credential, cancel=cancel)

    def close(self) -> None:
        with self._lock:
            fallback, self._fallback = self._fallback, None
        if fallback is not None:
            fallback.close()


def _download_one(
    feed: Feed,
    fetcher: RecordingFetcher,
    credentials: CredentialStore | None,
    cancel: threading.Event,
    limiter: RateLimiter,
) -> None:
    from readinglist.core.credentials import CredentialError
    from readinglist.core.sources import ARXIV_MAX_RESULTS, download

    credential = None
    if feed.auth and credentials is not None:
        try:
            credential = credentials.get(feed.id)
        except CredentialError:
            return  # the core meets the same error and records it on the feed
    download(
        feed.kind,
        feed.url,
        fetcher,  # type: ignore[arg-type]  # the fetcher's interface, recorded
        etag=feed.etag,
        last_modified=feed.last_modified,
        credential=credential,
        cancel=cancel,
        limiter=limiter,
        max_results=feed.max_results or ARXIV_MAX_RESULTS,
    )


def download_feeds(
    feeds: Sequence[Feed],
    *,
    credentials: CredentialStore | None,
    cancel: threading.Event,
    progress: Callable[[int, int], None],
) -> Recorded:
    """Step 2, off the library thread: download what the core would, keep the answers. Returns at once on cancel
    (downloads still running are abandoned; they end on their own and close their client behind them)."""
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
    from datetime import UTC, datetime

    from readinglist.core.fetcher import FeedFetcher
    from readinglist.core.sources import RateLimiter

    now = datetime.now(UTC)
    todo = [f for f in feeds if f.waiting_until(now) is None]  # the core reports those as waiting, unfetched
    fetcher = FeedFetcher()
    recorder = RecordingFetcher(fetcher)
    limiter = RateLimiter()
    executor = ThreadPoolExecutor(max_workers=DOWNLOADS_AT_ONCE, thread_name_prefix="readinglist-download")
    remaining: set[Future[None]] = {
        executor.submit(_download_one, feed, recorder, credentials, cancel, limiter) for feed in todo
    }
    done = 0
    progress(0, len(todo))
    while remaining and not cancel.is_set():
        finished, remaining = wait(remaining, timeout=0.1, return_when=FIRST_COMPLETED)
        if finished:
            done += len(finished)
            progress(done, len(todo))
    if cancel.is_set():
        executor.shutdown(wait=False, cancel_futures=True)
        threading.Thread(target=_close_after, args=(executor, fetcher), daemon=True).start()
    else:
        executor.shutdown(wait=True)
        fetcher.close()
    return recorder.snapshot()


def _close_after(executor: ThreadPoolExecutor, fetcher: FeedFetcher) -> None:
    executor.shutdown(wait=True)
    fetcher.close()


def run_refresh(
    lib: Library,
    plan: RefreshPlan,
    recorded: Recorded,
    *,
    credentials: CredentialStore | None,
    progress: Callable[[RefreshProgress], None],
    cancel: threading.Event,
) -> RefreshDone:
    """Step 3, on the library thread: the core's refresh of the planned feeds, over the recorded answers."""
    from readinglist.core.feeds import FeedRegistry, refresh_feeds
    from readinglist.core.sources import RateLimiter

    registry = FeedRegistry(lib.store)
    known = {f.id for f in registry.feeds()}
    ids = [f.id for f in plan.feeds if f.id in known]  # a feed removed meanwhile is simply not refreshed
    replay = ReplayFetcher(recorded)
    try:
        summary = refresh_feeds(
            lib,
            registry,
            feed_ids=ids,
            fetcher=replay,  # type: ignore[arg-type]  # the fetcher's interface, replayed
            limiter=RateLimiter(0.0),  # the pauses arXiv asks for were made while downloading
            credentials=credentials,
            progress=progress,
            cancel=cancel,
        )
    finally:
        replay.close()
    return RefreshDone(plan.request, summary, feed_errors(registry), len(known))


def summary_line(done: RefreshDone) -> str:
    """One line for the status bar: the core's summary, and which feeds failed (each shows why in the sidebar)."""
    from readinglist.core.feeds import RefreshOutcome

    summary = done.summary
    if done.feeds == 0:
        return "No feeds yet: add one with File ▸ Add Feed…"
    if summary is None:
        return "No feed is due for a refresh"
    line = summary.summary()
    failed = [r.name for r in summary.results if r.outcome is RefreshOutcome.FAILED]
    if failed:
        names = ", ".join(failed[:NAMES_IN_SUMMARY])
        if len(failed) > NAMES_IN_SUMMARY:
            names += f" and {len(failed) - NAMES_IN_SUMMARY} more"
        line += f" · could not refresh {names} (the reason shows on the feed)"
    return line
