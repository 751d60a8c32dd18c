"""What the feeds dialog says about a feed: its kind, status, times and intervals, and what a typed address is."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from PySide6.QtCore import QModelIndex, QPersistentModelIndex

from readinglist.core.errors import SubscriptionError
from readinglist.core.feeds import (
    Feed,
    FeedKind,
    FeedListing,
    FeedStatus,
    normalize_feed_url,
    parse_time,
)
from readinglist.core.sources import hf_daily_url, is_arxiv_url

KIND_CHOICES: tuple[tuple[FeedKind | None, str], ...] = (
    (None, "Detect from the address"),
    (FeedKind.RSS, "RSS or Atom feed"),
    (FeedKind.ARXIV_QUERY, "arXiv search"),
    (FeedKind.HF_DAILY, "Hugging Face daily papers"),
)
UNITS = (("minutes", 60), ("hours", 3600), ("days", 86400))
AUTH_TEXT = {"": "None", "basic": "User name and password", "token": "Token"}
NO_KEYRING_WARNING = (
    "No system keyring is available, so these credentials cannot be saved: they are kept for this run only, and "
    "you will be asked again after a restart."
)
Index = QModelIndex | QPersistentModelIndex


# ---- words --------------------------------------------------------------------------------------------------


def kind_label(feed: Feed) -> str:
    if feed.kind is FeedKind.ARXIV_QUERY:
        return "arXiv search"
    if feed.kind is FeedKind.HF_DAILY:
        return "Hugging Face daily"
    return "arXiv categories" if is_arxiv_url(feed.url) else "RSS / Atom"


def is_arxiv_rss(feed: Feed) -> bool:
    """Only arXiv's RSS feeds say how each paper was announced (new, cross-list, replacement)."""
    return feed.kind is FeedKind.RSS and is_arxiv_url(feed.url)


def ago(text: str | None, now: datetime | None = None) -> str:
    """ "5 min ago", "3 h ago", "2 days ago"; "never" when there is no time."""
    when = parse_time(text)
    if when is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return "yesterday" if days == 1 else f"{days} days ago"


def local_time(text: str | None) -> str:
    when = parse_time(text)
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else "never"


def interval_text(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"every {unit}" if n == 1 else f"every {n} {unit}s"
    return f"every {seconds} seconds"


def status_text(listing: FeedListing, now: datetime | None = None) -> str:
    feed = listing.feed
    if feed.waiting_until(now or datetime.now(UTC)) is not None:
        return "Waiting"
    return {FeedStatus.OK: "OK", FeedStatus.ERROR: "Error", FeedStatus.NEW: "Not fetched yet"}[feed.status]


def detect(text: str, kind: FeedKind | None) -> tuple[str, FeedKind]:
    """What an address typed in the dialog subscribes to. Raises SubscriptionError, worded for the user.

    The one thing added to the core's rules: Hugging Face's daily papers page (huggingface.co/papers), which is
    what a user copies from the browser, stands for its API address, and so does an empty address with that kind.
    """
    text = text.strip()
    if kind is FeedKind.HF_DAILY and not text:
        return hf_daily_url(), FeedKind.HF_DAILY
    parts = urlsplit(text if "://" in text else f"https://{text}")
    host = (parts.hostname or "").lower().removeprefix("www.")
    if host == "huggingface.co" and parts.path.rstrip("/") == "/papers" and kind in (None, FeedKind.HF_DAILY):
        return hf_daily_url(), FeedKind.HF_DAILY
    return normalize_feed_url(text, kind)


def describe_address(text: str, kind: FeedKind | None) -> tuple[bool, str]:
    """(usable, what the dialog says under the address field as the user types)."""
    if not text.strip() and kind is not FeedKind.HF_DAILY:
        return False, "Paste a feed address, type arXiv categories such as cs.CL+cs.LG, or an arXiv search."
    try:
        url, found = detect(text, kind)
    except SubscriptionError as exc:
        return False, str(exc)[:1].upper() + str(exc)[1:]
    if found is FeedKind.ARXIV_QUERY:
        return True, "An arXiv search: its newest papers, checked daily."
    if found is FeedKind.HF_DAILY:
        return True, "Hugging Face daily papers, checked hourly."
    if is_arxiv_url(url):
        cats = url.rsplit("/", 1)[-1].replace("+", ", ")
        return True, f"arXiv's daily announcements in {cats}, checked once a day after they are published."
    return True, f"An RSS or Atom feed: {url}"
