"""The work of a refresh, apart from the window: the core's three stages where the window runs them. The plan
and the writes on the library thread, the downloads on a thread of their own. No Qt here.

Loading the core's feed machinery (httpx, keyring, feedparser) costs a noticeable part of a launch, and the window
needs none of it before the first refresh: those imports happen inside the functions, on the thread that runs
them, never on the GUI thread at start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from readinglist.core.credentials import CredentialStore
    from readinglist.core.feeds import Feed, FeedRegistry
    from readinglist.core.library import Library
    from readinglist.core.refresh import Applier, Downloaded, RefreshPlan, RefreshProgress, RefreshSummary

NAMES_IN_SUMMARY = 3


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


def error_sentence(feed: Feed) -> str:
    """The feed's last error without the feed's name in front (the core names the feed for the command line;
    the window shows the error next to the name already)."""
    error = feed.last_error or ""
    return error.removeprefix(f"{feed.name}: ") or error


def feed_errors(registry: FeedRegistry) -> dict[str, str]:
    """Feed id -> the sentence saying what went wrong the last time, for every feed whose last try failed."""
    return {f.id: error_sentence(f) for f in registry.feeds() if f.last_error}


def load_feed_errors(lib: Library) -> dict[str, str]:

    return feed_errors(lib.feeds)


@dataclass(frozen=True, slots=True)
class WindowPlan:
    """The core's plan for a request, made on the library thread, with what the window shows meanwhile."""

    request: RefreshRequest
    plan: RefreshPlan
    errors: Mapping[str, str]
    total: int  # subscriptions in all

    @property
    def feeds(self) -> tuple[Feed, ...]:
        return self.plan.feeds


def plan_refresh(lib: Library, request: RefreshRequest) -> WindowPlan:
    """Step 1, on the library thread: the feeds to refresh (the core's `plan`). The schedule takes those due."""
    from readinglist.core.refresh import plan

    registry = lib.feeds
    the_plan = plan(registry, feed_ids=request.feed_ids, due_only=request.due_only)
    return WindowPlan(request, the_plan, feed_errors(registry), len(registry.feeds()))


def download_planned(
    plan: WindowPlan,
    *,
    credentials: CredentialStore | None,
    cancel: threading.Event,
    each: Callable[[Downloaded], None],
) -> None:
    """Step 2, on the window's network thread: the core's downloads of the planned feeds, each handed to `each`
    as it completes. Never touches the library. On cancel, the feeds not done come back cancelled at once."""
    from readinglist.core.fetcher import FeedFetcher
    from readinglist.core.refresh import close_fetcher, download_feeds

    fetcher = FeedFetcher()
    downloads = download_feeds(plan.feeds, fetcher, credentials=credentials, cancel=cancel)
    try:
        for downloaded in downloads:
            each(downloaded)
    finally:
        downloads.close()
        close_fetcher(fetcher, cancelled=cancel.is_set())


class RefreshRun:
    """Step 3's state across library jobs: the core's Applier, made and used on the library thread only."""

    def __init__(self, plan: WindowPlan, progress: Callable[[RefreshProgress], None]) -> None:
        self.plan = plan
        self._progress = progress
        self._applier: Applier | None = None

    def _the_applier(self, lib: Library) -> Applier:
        if self._applier is None:
            from readinglist.core.refresh import Applier

            self._applier = Applier(lib, lib.feeds, self.plan.plan, progress=self._progress)
        return self._applier

    def apply(self, lib: Library, downloads: Sequence[Downloaded]) -> int:
        """Read and write these downloads, in one transaction committed before the job ends (a star saved by the
        next job is never held in a transaction a refresh opened); returns how many."""

        applier = self._the_applier(lib)
        known = {f.id for f in lib.feeds.feeds()}
        for downloaded in downloads:
            if downloaded.feed.id in known:  # a feed removed meanwhile is simply not refreshed
                applier.apply(downloaded)
        applier.commit()
        return len(downloads)

    def finish(self, lib: Library, *, cancelled: bool) -> RefreshDone:

        summary = self._the_applier(lib).finish(cancelled=cancelled)
        registry = lib.feeds
        return RefreshDone(self.plan.request, summary, feed_errors(registry), len(registry.feeds()))


def summary_line(done: RefreshDone) -> str:
    """One line for the status bar: the core's summary, and which feeds failed (each shows why in the sidebar)."""
    from readinglist.core.refresh import RefreshOutcome

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
