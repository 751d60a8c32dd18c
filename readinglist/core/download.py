"""The requests each kind of subscription needs, and reading what they gave (stage 2 of a refresh).

`download` makes every request one subscription needs and never parses: an arXiv query pages through the API with
`start`/`max_results`, at least 3 seconds between calls to arXiv (its rule), shared by every query of a refresh
through one `RateLimiter`; Hugging Face days missed while away are fetched too. `read_download` parses what came,
on the library's thread. Kinds and addresses are in `sources.py`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from readinglist.core.credentials import Credential
from readinglist.core.errors import FeedError
from readinglist.core.fetcher import FeedFetcher, FetchResult, FetchStatus
from readinglist.core.importer import ParsedFeed, parse_hf_daily, parse_papers
from readinglist.core.sources import (
    ARXIV_MAX_RESULTS,
    ARXIV_MIN_INTERVAL,
    ARXIV_PAGE_SIZE,
    HF_MAX_MISSED_DAYS,
    FeedKind,
    hf_day,
    with_params,
)


class RateLimiter:
    """At least `interval` seconds between the starts of successive calls, across threads. Clock and sleep are
    injectable so tests run without waiting."""

    def __init__(
        self,
        interval: float = ARXIV_MIN_INTERVAL,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._last: float | None = None

    def wait(self, cancel: threading.Event | None = None) -> bool:
        """Block until the next call may start. False if cancelled while waiting."""
        with self._lock:
            now = self._clock()
            delay = 0.0 if self._last is None else self._last + self.interval - now
            if delay > 0:
                if self._sleep is not None:
                    self._sleep(delay)
                elif cancel is not None:
                    if cancel.wait(delay):
                        return False
                else:
                    time.sleep(delay)
                now = self._clock() if self._sleep is None else now + delay
            self._last = now
        return not (cancel is not None and cancel.is_set())


# ---- downloading --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Download:
    """The pages one subscription gave in one refresh (one, or several for an API query)."""

    pages: tuple[FetchResult, ...]
    warnings: tuple[str, ...] = ()

    @property
    def first(self) -> FetchResult:
        return self.pages[0]


_TOTAL = re.compile(rb"<(?:\w+:)?totalResults[^>]*>\s*(\d+)\s*<", re.IGNORECASE)
_ENTRY = re.compile(rb"<entry[\s>]")


def download(
    kind: FeedKind,
    url: str,
    fetcher: FeedFetcher,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    credential: Credential | None = None,
    cancel: threading.Event | None = None,
    limiter: RateLimiter | None = None,
    page_size: int = ARXIV_PAGE_SIZE,
    max_results: int = ARXIV_MAX_RESULTS,
    missed_days: Sequence[date] = (),
) -> Download:
    """Download one subscription. For Hugging Face daily papers without a fixed date, `missed_days` (days since the
    last success, before today) are fetched by date too, so a few days away from the app lose nothing."""
    if kind is FeedKind.HF_DAILY:
        result = fetcher.fetch(url, etag=etag, last_modified=last_modified, credential=credential, cancel=cancel)
        days = [result]
        warnings: list[str] = []
        if result.status in (FetchStatus.OK, FetchStatus.NOT_MODIFIED) and "date=" not in url:
            for day in sorted(missed_days)[-HF_MAX_MISSED_DAYS:]:
                page = fetcher.fetch(hf_day(url, day), credential=credential, cancel=cancel)
                if page.ok:
                    days.append(page)
                elif page.status is FetchStatus.CANCELLED:
                    break
                else:
                    warnings.append(f"the papers of {day.isoformat()} could not be fetched: {page.error}")
        return Download(tuple(days), tuple(warnings))
    if kind is not FeedKind.ARXIV_QUERY:
        result = fetcher.fetch(url, etag=etag, last_modified=last_modified, credential=credential, cancel=cancel)
        return Download((result,))
    limiter = limiter or RateLimiter()
    pages: list[FetchResult] = []
    start = 0
    while start < max_results:
        if not limiter.wait(cancel):
            pages.append(FetchResult(url, FetchStatus.CANCELLED, error="cancelled"))
            break
        size = min(page_size, max_results - start)
        result = fetcher.fetch(with_params(url, start=start, max_results=size), credential=credential, cancel=cancel)
        pages.append(result)
        if not result.ok:
            break
        # Only enough of a look to know whether to page on; the parse happens on the parsing thread.
        m = _TOTAL.search(result.body[:4096])
        total = int(m.group(1)) if m else 0
        count = len(_ENTRY.findall(result.body))
        start += count
        if count == 0 or start >= total:
            break
    stopped: tuple[str, ...] = ()
    if len(pages) > 1 and not pages[-1].ok:
        failed = pages.pop()
        stopped = (f"stopped after {len(pages)} pages of results: {failed.error}",)
    return Download(tuple(pages), stopped)


# ---- reading --------------------------------------------------------------------------------------------------


def read_download(kind: FeedKind, dl: Download, *, name: str) -> ParsedFeed:
    """Parse what was downloaded. Raises FeedError naming the feed when nothing usable is in it."""
    if kind is FeedKind.HF_DAILY:
        parsed = []
        extra: list[str] = []
        for i, page in enumerate(dl.pages):
            if not page.ok:
                continue
            try:
                parsed.append(parse_hf_daily(page.body, name=name))
            except FeedError as exc:
                if i == 0:
                    raise  # the subscription's own address: its failure is the feed's
                extra.append(f"{str(exc).removeprefix(name + ': ')} (an earlier day)")
        if extra:
            dl = Download(dl.pages, (*dl.warnings, *extra))
    else:
        parsed = [
            parse_papers(p.body, name=name, url=p.final_url or p.url, headers=p.headers) for p in dl.pages if p.ok
        ]
    if not parsed:
        raise FeedError(f"{name}: nothing was downloaded")
    if len(parsed) == 1 and not dl.warnings:
        return parsed[0]
    first_feed = parsed[0]
    papers = tuple(p for feed in parsed for p in feed.papers)
    warnings = tuple(w for feed in parsed for w in feed.warnings) + tuple(f"{name}: {w}" for w in dl.warnings)
    return ParsedFeed(
        title=first_feed.title,
        papers=papers,
        warnings=warnings,
        link=first_feed.link,
        total_results=first_feed.total_results,
    )
