"""Subscriptions: the feed registry (stored in the library's "feeds" part) and the refresh that feeds the library.

A feed's id is a stable string chosen when it is added ("f-" and 8 hex digits); it is the `source` of every paper
the feed brings, so a rename never touches papers. Credentials are never here: a feed only records which kind of
credential the keyring holds for it.

A refresh downloads on a few worker threads and parses and writes on the calling thread, one feed at a time, each
feed's papers and its new status in one transaction. A failure of one feed is recorded on that feed and never
touches papers or the user's state.
"""

from __future__ import annotations

import contextlib
import enum
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from readinglist.core.credentials import Credential, CredentialError, CredentialStore, redact, split_credentials
from readinglist.core.fetcher import FeedFetcher, FetchStatus, describe_wait, is_web_url
from readinglist.core.importer import FeedError, ParsedFeed
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper, PaperKey
from readinglist.core.sources import (
    ARXIV_MAX_RESULTS,
    ARXIV_PAGE_SIZE,
    HF_MAX_MISSED_DAYS,
    Download,
    FeedKind,
    RateLimiter,
    arxiv_query_url,
    arxiv_rss_url,
    download,
    guess_kind,
    is_arxiv_url,
    looks_like_arxiv_categories,
    looks_like_arxiv_query,
    read_download,
)
from readinglist.core.storage import Store, StoreError

PART = "feeds"
TABLE = "feeds"
DEFAULT_INTERVAL = 3600
ARXIV_INTERVAL = 24 * 3600
MIN_INTERVAL = 5 * 60
# arXiv rebuilds its RSS feeds daily around 04:00 UTC (FIELD-NOTES): a daily arXiv feed is due just after.
ARXIV_BUILD_UTC = (4, 30)
ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross", "absonly")
DEFAULT_ANNOUNCE_TYPES = ("new", "cross")
UPDATE_TYPES = frozenset({"replace", "replace-cross", "absonly"})
BACKOFF_FIRST = 15 * 60
BACKOFF_MAX = 24 * 3600
COMMIT_EVERY = 2.0


class FeedRegistryError(FeedError):
    """A problem with a subscription, worded for the user."""


class FeedStatus(enum.Enum):
    NEW = "new"
    OK = "ok"
    ERROR = "error"


def parse_time(text: str | None) -> datetime | None:
    """A stored ISO time as an aware datetime (naive ones are UTC); None when absent or unreadable."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _fmt_time(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Feed:
    """One subscription, as stored. Times are ISO 8601 UTC strings."""

    id: str
    name: str
    url: str
    kind: FeedKind = FeedKind.RSS
    group: str = ""
    interval: int = DEFAULT_INTERVAL
    announce_types: tuple[str, ...] | None = None
    max_results: int | None = None
    auth: str = ""
    named_by_user: bool = False
    added: str = ""
    title: str = ""
    site_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_attempt: str | None = None
    last_success: str | None = None
    last_error: str | None = None
    failures: int = 0
    next_due: str | None = None
    retry_until: str | None = None
    last_new: int = 0

    @property
    def status(self) -> FeedStatus:
        if self.last_error:
            return FeedStatus.ERROR
        return FeedStatus.OK if self.last_success else FeedStatus.NEW

    @property
    def adding_types(self) -> tuple[str, ...]:
        return self.announce_types if self.announce_types is not None else DEFAULT_ANNOUNCE_TYPES

    def is_due(self, now: datetime) -> bool:
        due = parse_time(self.next_due)
        return due is None or due <= now

    def waiting_until(self, now: datetime) -> datetime | None:
        """When the server asked us to wait (Retry-After) until a time still ahead, that time."""
        until = parse_time(self.retry_until)
        return until if until is not None and until > now else None

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, FeedKind):
                value = value.value
            elif isinstance(value, tuple):
                value = list(value)
            doc[f.name] = value
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Feed:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in doc.items() if k in known}
        try:
            values["kind"] = FeedKind(values.get("kind", "rss"))
        except ValueError:
            values["kind"] = FeedKind.RSS
        types = values.get("announce_types")
        values["announce_types"] = tuple(types) if isinstance(types, list | tuple) else None
        return cls(**values)


@dataclass(frozen=True, slots=True)
class FeedListing:
    """A feed with its paper counts, for lists: the window's sidebar and `feeds list`."""

    feed: Feed
    papers: int
    unread: int


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """A subscription to add (from the command line, the window or an OPML file)."""

    url: str
    name: str | None = None
    group: str = ""
    kind: FeedKind | None = None
    interval: int | None = None
    announce_types: tuple[str, ...] | None = None
    auth: str = ""


def default_interval(kind: FeedKind, url: str) -> int:
    return ARXIV_INTERVAL if kind is FeedKind.ARXIV_QUERY or is_arxiv_url(url) else DEFAULT_INTERVAL


def name_from_url(kind: FeedKind, url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if kind is FeedKind.HF_DAILY:
        return "Hugging Face daily papers"
    if kind is FeedKind.ARXIV_QUERY:
        from urllib.parse import parse_qs

        query = parse_qs(parts.query).get("search_query", [""])[0]
        return f"arXiv: {query}" if query else "arXiv query"
    if host.endswith("arxiv.org") and ("/rss/" in parts.path or "/atom/" in parts.path):
        return "arXiv " + unquote(parts.path.rsplit("/", 1)[-1]).replace("+", " + ")
    path = parts.path.rstrip("/")
    return f"{host.removeprefix('www.')}{path}" if path else host.removeprefix("www.")


def normalize_feed_url(text: str, kind: FeedKind | None = None) -> tuple[str, FeedKind]:
    """What the user typed to a subscription address and kind: a URL, an arXiv query or arXiv categories."""
    text = text.strip()
    if not text:
        raise FeedRegistryError("no address given")
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme == "file" or text.startswith(("/", "./", "~")):
        raise FeedRegistryError(
            f"{text}: files are not subscriptions; import a feed file with `readinglist import FILE`"
        )
    if kind is FeedKind.ARXIV_QUERY and not is_web_url(text):
        return arxiv_query_url(text), FeedKind.ARXIV_QUERY
    if kind is None and not is_web_url(text):
        if looks_like_arxiv_query(text):
            return arxiv_query_url(text), FeedKind.ARXIV_QUERY
        if looks_like_arxiv_categories(text):
            return arxiv_rss_url(text), FeedKind.RSS
    if not is_web_url(text):
        raise FeedRegistryError(f"{text}: not a feed address (only http and https URLs can be subscribed to)")
    return text, kind or guess_kind(text)


def feed_url_key(url: str) -> str:
    """What makes two feed addresses the same subscription: scheme, `www.`, default port, trailing slash and
    fragment aside. Unlike paper URLs, the query stays whole (`?feed=rss2` and `?feed=atom` are two feeds)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    host = (parts.hostname or "").lower().removeprefix("www.")
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    return f"{host}{parts.path.rstrip('/')}" + (f"?{parts.query}" if parts.query else "")


def _same_url(a: str, b: str) -> bool:
    return feed_url_key(a) == feed_url_key(b)


class FeedRegistry:
    """The subscriptions of one library, in its "feeds" part. Call it from the thread that owns the library."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ---- reading ---------------------------------------------------------------------------------------------

    def _raw(self) -> dict[str, Any]:
        return self.store.table(PART, TABLE)

    def _doc_id(self, feed_id: str) -> int:
        for doc_id, doc in self._raw().items():
            if doc.get("id") == feed_id:
                return int(doc_id)
        raise FeedRegistryError(f"no feed with id {feed_id!r}")

    def feeds(self) -> list[Feed]:
        """Every subscription, by group then name."""
        out = [Feed.from_doc(doc) for doc in self._raw().values()]
        out.sort(key=lambda f: (f.group.casefold(), f.name.casefold()))
        return out

    def __len__(self) -> int:
        return len(self._raw())

    def get(self, feed_id: str) -> Feed:
        for doc in self._raw().values():
            if doc.get("id") == feed_id:
                return Feed.from_doc(doc)
        raise FeedRegistryError(f"no feed with id {feed_id!r}")

    def find_url(self, url: str) -> Feed | None:
        for feed in self.feeds():
            if _same_url(feed.url, url):
                return feed
        return None

    def source_id(self, text: str) -> str:
        """What papers record as their source for the feed the user named: a subscription's id (named by id, name
        or address), else the text itself (the title of an imported feed file)."""
        try:
            return self.resolve(text).id
        except FeedRegistryError:
            return text

    def resolve(self, text: str) -> Feed:
        """The feed a user named: by id, by name (any case), or by URL."""
        feeds = self.feeds()
        for test in (
            lambda f: f.id == text,
            lambda f: f.name == text,
            lambda f: f.name.casefold() == text.casefold(),
            lambda f: is_web_url(text) and _same_url(f.url, text),
        ):
            hits = [f for f in feeds if test(f)]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                ids = ", ".join(f.id for f in hits)
                raise FeedRegistryError(f"{text!r} names {len(hits)} feeds; use the id ({ids})")
        raise FeedRegistryError(f"no feed named {text!r} (see `readinglist feeds list`)")

    def listing(self, library: Library) -> list[FeedListing]:
        """Every feed with how many papers it brought and how many of those are unread."""
        counts = library.feed_counts()
        unread = library.feed_counts(unread_only=True)
        return [FeedListing(f, counts.get(f.id, 0), unread.get(f.id, 0)) for f in self.feeds()]

    def feed_names(self) -> dict[str, str]:
        """Feed id -> name, to show a paper's `feeds` list."""
        return {f.id: f.name for f in self.feeds()}

    # ---- changing --------------------------------------------------------------------------------------------

    def _new_id(self, taken: set[str]) -> str:
        while True:
            feed_id = f"f-{secrets.token_hex(4)}"
            if feed_id not in taken:
                return feed_id

    def _unique_name(self, name: str, taken: Iterable[str]) -> str:
        used = {n.casefold() for n in taken}
        if name.casefold() not in used:
            return name
        n = 2
        while f"{name} ({n})".casefold() in used:
            n += 1
        return f"{name} ({n})"

    def _build(self, spec: FeedSpec, existing: Sequence[Feed], now: str) -> Feed:
        url, kind = normalize_feed_url(spec.url, spec.kind)
        if "@" in urlsplit(url).netloc:
            raise FeedRegistryError("credentials in a feed address must go to the keyring first (use subscribe())")
        name = (spec.name or "").strip()
        named = bool(name)
        if not name:
            name = name_from_url(kind, url)
        name = self._unique_name(name, (f.name for f in existing))
        interval = spec.interval if spec.interval is not None else default_interval(kind, url)
        types = _check_types(spec.announce_types) if spec.announce_types is not None else None
        taken = {f.id for f in existing}
        return Feed(
            id=self._new_id(taken),
            name=name,
            url=url,
            kind=kind,
            group=_clean_group(spec.group),
            interval=max(MIN_INTERVAL, int(interval)),
            announce_types=types,
            auth=spec.auth,
            named_by_user=named,
            added=now,
        )

    def add(self, spec: FeedSpec) -> Feed:
        """Subscribe. Raises FeedRegistryError for a bad address or one already subscribed."""
        existing = self.feeds()
        feed = self._build(spec, existing, _fmt_time(datetime.now(UTC)))
        dup = next((f for f in existing if _same_url(f.url, feed.url)), None)
        if dup is not None:
            raise FeedRegistryError(f"already subscribed to {feed.url} as {dup.name!r}")
        self.store.db(PART).table(TABLE).insert(feed.to_doc())
        return feed

    def add_many(self, specs: Iterable[FeedSpec]) -> tuple[list[Feed], list[tuple[FeedSpec, str]]]:
        """Add several feeds in one transaction; duplicates (of each other or of existing feeds) and bad addresses
        are skipped with a reason. Returns (added, skipped)."""
        existing = self.feeds()
        now = _fmt_time(datetime.now(UTC))
        added: list[Feed] = []
        skipped: list[tuple[FeedSpec, str]] = []
        for spec in specs:
            try:
                feed = self._build(spec, [*existing, *added], now)
            except FeedRegistryError as exc:
                skipped.append((spec, str(exc)))
                continue
            dup = next((f for f in [*existing, *added] if _same_url(f.url, feed.url)), None)
            if dup is not None:
                skipped.append((spec, f"already subscribed as {dup.name!r}"))
                continue
            added.append(feed)
        if added:
            with self.store.transaction():
                self.store.db(PART).table(TABLE).insert_multiple([f.to_doc() for f in added])
        return added, skipped

    def remove(self, feed_id: str) -> Feed:
        """Unsubscribe. The papers it brought stay in the library (they may be starred or noted)."""
        feed = self.get(feed_id)
        self.store.db(PART).table(TABLE).remove(doc_ids=[self._doc_id(feed_id)])
        return feed

    def update(self, feed_id: str, **changes: Any) -> Feed:
        """Change settings or status fields of one feed: name, group, interval, announce_types, url..."""
        return self.update_many({feed_id: changes})[feed_id]

    def update_many(self, changes: Mapping[str, Mapping[str, Any]]) -> dict[str, Feed]:
        if not changes:
            return {}
        current = {f.id: f for f in self.feeds()}
        new: dict[str, Feed] = {}
        for feed_id, fields_ in changes.items():
            if feed_id not in current:
                raise FeedRegistryError(f"no feed with id {feed_id!r}")
            new[feed_id] = self._validated(current[feed_id], dict(fields_), current)
        docs = {f.id: f.to_doc() for f in new.values()}
        doc_ids = [int(i) for i, d in self._raw().items() if d.get("id") in docs]

        def apply(doc: MutableMapping[str, Any]) -> None:
            replacement = docs[doc["id"]]
            doc.clear()
            doc.update(replacement)

        self.store.db(PART).table(TABLE).update(apply, doc_ids=doc_ids)
        return new

    def _validated(self, feed: Feed, changes: dict[str, Any], current: Mapping[str, Feed]) -> Feed:
        if "name" in changes:
            name = str(changes["name"]).strip()
            if not name:
                raise FeedRegistryError("a feed needs a name")
            others = [f.name for f in current.values() if f.id != feed.id]
            if name.casefold() in {n.casefold() for n in others}:
                raise FeedRegistryError(f"another feed is already named {name!r}")
            changes["name"] = name
            changes.setdefault("named_by_user", True)
        if "group" in changes:
            changes["group"] = _clean_group(changes["group"] or "")
        if "interval" in changes:
            interval = int(changes["interval"])
            if interval < MIN_INTERVAL:
                raise FeedRegistryError(f"the shortest refresh interval is {MIN_INTERVAL // 60} minutes")
            changes["interval"] = interval
            if feed.last_success:
                last = parse_time(feed.last_success)
                if last is not None:
                    changes.setdefault("next_due", _fmt_time(last + timedelta(seconds=interval)))
        if "announce_types" in changes and changes["announce_types"] is not None:
            changes["announce_types"] = _check_types(changes["announce_types"])
        if "kind" in changes:
            changes["kind"] = FeedKind(changes["kind"])
            if changes["kind"] is not feed.kind:
                # The address is read again as the new kind says (an arXiv search becomes its API address), and
                # what the server said about the old reading no longer applies.
                changes.setdefault("url", feed.url)
                changes.setdefault("etag", None)
                changes.setdefault("last_modified", None)
        if "url" in changes:
            url, _kind = normalize_feed_url(str(changes["url"]), changes.get("kind", feed.kind))
            if "@" in urlsplit(url).netloc:
                raise FeedRegistryError("credentials in a feed address must go to the keyring first")
            if any(_same_url(f.url, url) for f in current.values() if f.id != feed.id):
                raise FeedRegistryError(f"another feed already has the address {url}")
            changes["url"] = url
            if url != feed.url:
                changes.setdefault("etag", None)
                changes.setdefault("last_modified", None)
        if "max_results" in changes and changes["max_results"] is not None:
            changes["max_results"] = max(1, min(int(changes["max_results"]), 2000))
        unknown = set(changes) - {f.name for f in fields(Feed)}
        if unknown or "id" in changes:
            raise FeedRegistryError(f"unknown feed settings: {', '.join(sorted(unknown | ({'id'} & set(changes))))}")
        return replace(feed, **changes)


def _clean_group(group: str) -> str:
    return "/".join(p.strip() for p in str(group).split("/") if p.strip())


def _check_types(types: Iterable[str]) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(t.strip().lower() for t in types if t.strip()))
    bad = [t for t in out if t not in ANNOUNCE_TYPES]
    if bad:
        raise FeedRegistryError(f"unknown announce types {', '.join(bad)} (known: {', '.join(ANNOUNCE_TYPES)})")
    return out


# ---- subscribing with credentials --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subscribed:
    feed: Feed
    credential_saved: bool | None = None  # None: no credential; False: kept for this run only (no keyring)
    warning: str | None = None


def subscribe(
    registry: FeedRegistry,
    spec: FeedSpec,
    *,
    credentials: CredentialStore | None = None,
    credential: Credential | None = None,
) -> Subscribed:
    """Add a feed. Credentials in the URL (`https://user:pass@host/feed`) or given separately go to the keyring,
    never to the library; with no keyring they are kept for this run only, and the warning says so."""
    url, from_url = split_credentials(spec.url)
    credential = credential or from_url
    auth = credential.kind if credential else spec.auth
    if credential is not None and credentials is None:
        raise FeedRegistryError("this feed has credentials but no keyring access was given")
    feed = registry.add(replace(spec, url=url, auth=auth))
    if credential is None or credentials is None:
        return Subscribed(feed)
    try:
        saved = credentials.save_or_remember(feed.id, credential)
    except CredentialError as exc:
        credentials.remember_for_session(feed.id, credential)
        return Subscribed(feed, False, f"{exc}; the credentials are kept for this run only")
    if saved:
        return Subscribed(feed, True)
    return Subscribed(feed, False, f"{credentials.unavailable_reason}; the credentials are kept for this run only")


def unsubscribe(registry: FeedRegistry, feed_id: str, *, credentials: CredentialStore | None = None) -> Feed:
    feed = registry.remove(feed_id)
    if credentials is not None and feed.auth:
        credentials.delete(feed.id)
    return feed


# ---- refreshing ----------------------------------------------------------------------------------------------


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
    papers: Sequence[IncomingPaper], feed: Feed, library: Library
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
        "last_attempt": _fmt_time(now),
        "last_success": _fmt_time(now),
        "last_error": None,
        "failures": 0,
        "retry_until": None,
        "next_due": _fmt_time(next_success_due(feed, now)),
        **extra,
    }


def _failure_fields(feed: Feed, now: datetime, error: str, retry_after: float | None) -> dict[str, Any]:
    failures = feed.failures + 1
    delay = backoff_delay(failures, retry_after)
    return {
        "last_attempt": _fmt_time(now),
        "last_error": error,
        "failures": failures,
        "next_due": _fmt_time(now + timedelta(seconds=delay)),
        "retry_until": _fmt_time(now + timedelta(seconds=retry_after)) if retry_after else None,
    }


@dataclass(frozen=True, slots=True)
class _Job:
    feed: Feed
    credential: Credential | None
    download: Download | None = None
    error: str | None = None


def refresh_feeds(
    library: Library,
    registry: FeedRegistry,
    *,
    feed_ids: Sequence[str] | None = None,
    due_only: bool = False,
    fetcher: FeedFetcher | None = None,
    credentials: CredentialStore | None = None,
    progress: Callable[[RefreshProgress], None] | None = None,
    cancel: threading.Event | None = None,
    max_workers: int = 4,
    limiter: RateLimiter | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    arxiv_page_size: int = ARXIV_PAGE_SIZE,
    commit_every: float = COMMIT_EVERY,
) -> RefreshSummary:
    """Refresh feeds (all, the ids given, or those due) into the library; call it on the library's thread.

    Downloads run on up to `max_workers` threads; parsing and writing happen here, one feed at a time. `progress`
    is called here after each feed. Setting `cancel` stops promptly: feeds not yet done come back CANCELLED and
    nothing half-written is left. Returns one result per feed, in completion order.

    Writes are grouped: the feeds read within `commit_every` seconds share one transaction (their papers and their
    status together), so a segment of the library that many feeds touch is written once, not once per feed. A
    crash loses at most the last group, whole; the next refresh fetches those feeds again.
    """
    started = time.monotonic()
    cancel = cancel or threading.Event()
    now = clock()
    if feed_ids is not None:
        feeds = [registry.get(i) for i in dict.fromkeys(feed_ids)]
    else:
        feeds = registry.feeds()
        if due_only:
            feeds = [f for f in feeds if f.is_due(now)]
    total = len(feeds)
    results: list[FeedRefreshResult] = []
    pending_status: dict[str, dict[str, Any]] = {}
    counters = {"new": 0, "updated": 0}

    def report(result: FeedRefreshResult) -> None:
        results.append(result)
        counters["new"] += len(result.new)
        counters["updated"] += len(result.updated)
        if progress is not None:
            progress(RefreshProgress(len(results), total, counters["new"], counters["updated"], result))

    if progress is not None:
        progress(RefreshProgress(0, total, 0))

    to_fetch: list[Feed] = []
    for feed in feeds:
        until = feed.waiting_until(now)
        if until is not None:
            wait_for = describe_wait((until - now).total_seconds())
            report(
                FeedRefreshResult(
                    feed.id,
                    feed.name,
                    RefreshOutcome.WAITING,
                    error=f"the server asked to wait; next try in {wait_for} ({feed.last_error or 'rate limited'})",
                )
            )
        else:
            to_fetch.append(feed)

    own_fetcher = fetcher is None
    fetcher = fetcher or FeedFetcher()
    limiter = limiter or RateLimiter()
    executor = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="readinglist-download")
    futures: dict[Future[_Job], Feed] = {}
    group = _WriteGroup(library, commit_every)

    def settle() -> None:
        """Commit the open group; if that fails, its feeds failed: nothing of theirs was saved."""
        error = group.commit()
        if error is None:
            return
        for index in group.members:
            r = results[index]
            message = f"{r.name}: the papers could not be saved ({error})"
            results[index] = replace(r, outcome=RefreshOutcome.FAILED, new=(), updated=(), error=message)
            pending_status[r.feed_id] = _failure_fields(registry.get(r.feed_id), now, message, None)
        group.members.clear()

    try:
        for feed in to_fetch:
            futures[executor.submit(_download_job, feed, fetcher, credentials, cancel, limiter, arxiv_page_size)] = feed
        remaining = set(futures)
        while remaining and not cancel.is_set():
            done, remaining = wait(remaining, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in done:
                if cancel.is_set():
                    remaining.add(future)
                    continue
                feed = futures[future]
                job = future.result() if not future.cancelled() else _Job(feed, None, error="cancelled")
                if job.download is not None and any(p.ok for p in job.download.pages):
                    group.open()
                result = _process(library, registry, job, clock(), pending_status)
                if result.outcome is RefreshOutcome.UPDATED:
                    group.members.append(len(results))
                report(result)
                if group.due():
                    settle()
        for future in remaining:  # only when cancelled
            future.cancel()
            feed = futures[future]
            report(FeedRefreshResult(feed.id, feed.name, RefreshOutcome.CANCELLED, error="cancelled"))
        settle()
    except BaseException:
        group.rollback()
        raise
    finally:
        try:
            if pending_status:
                registry.update_many(pending_status)
        except (StoreError, FeedRegistryError):
            pass  # the feeds' status could not be saved; papers already are, and the next refresh will retry
        if cancel.is_set():
            # Downloads still running are abandoned: they see `cancel` or time out on their own, then the
            # client is closed behind them. Nothing they return is written.
            executor.shutdown(wait=False, cancel_futures=True)
            if own_fetcher:
                closer = threading.Thread(target=_close_after, args=(executor, fetcher), daemon=True)
                closer.start()
        else:
            executor.shutdown(wait=True)
            if own_fetcher:
                fetcher.close()
    return RefreshSummary(tuple(results), cancelled=cancel.is_set(), elapsed=time.monotonic() - started)


class _WriteGroup:
    """One store transaction spanning the writes of several feeds, opened on demand and committed on time."""

    def __init__(self, library: Library, interval: float) -> None:
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


def _close_after(executor: ThreadPoolExecutor, fetcher: FeedFetcher) -> None:
    executor.shutdown(wait=True)
    fetcher.close()


def _download_job(
    feed: Feed,
    fetcher: FeedFetcher,
    credentials: CredentialStore | None,
    cancel: threading.Event,
    limiter: RateLimiter,
    page_size: int,
) -> _Job:
    if cancel.is_set():
        return _Job(feed, None, error="cancelled")
    credential = None
    if feed.auth and credentials is not None:
        try:
            credential = credentials.get(feed.id)
        except CredentialError as exc:
            return _Job(feed, None, error=str(exc))
    dl = download(
        feed.kind,
        feed.url,
        fetcher,
        etag=feed.etag,
        last_modified=feed.last_modified,
        credential=credential,
        cancel=cancel,
        limiter=limiter,
        page_size=page_size,
        max_results=feed.max_results or ARXIV_MAX_RESULTS,
        missed_days=_missed_days(feed, datetime.now(UTC)) if feed.kind is FeedKind.HF_DAILY else (),
    )
    return _Job(feed, credential, download=dl)


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


def _process(
    library: Library, registry: FeedRegistry, job: _Job, now: datetime, pending: dict[str, dict[str, Any]]
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
    moved_to = _accept_move(registry, feed, first.moved_to)
    if first.status is FetchStatus.NOT_MODIFIED and not any(p.ok for p in dl.pages[1:]):
        # A 304 costs no parse and no write to the papers; the feed's status is saved with the others at the end.
        extra = {"url": moved_to} if moved_to else {}
        pending[feed.id] = _success_fields(feed, now, last_new=0, **extra)
        return FeedRefreshResult(
            feed.id, feed.name, RefreshOutcome.NOT_MODIFIED, http_status=304, moved_to=moved_to, elapsed=elapsed
        )
    try:
        parsed = read_download(feed.kind, dl, name=feed.name)
    except FeedError as exc:
        error = redact(str(exc), secrets_)
        pending[feed.id] = _failure_fields(feed, now, error, None)
        return FeedRefreshResult(
            feed.id, feed.name, RefreshOutcome.FAILED, error=error, http_status=first.http_status, elapsed=elapsed
        )
    except Exception as exc:  # a parser bug must stay this feed's error
        error = f"{feed.name}: the feed could not be read ({type(exc).__name__})"
        pending[feed.id] = _failure_fields(feed, now, error, None)
        return FeedRefreshResult(feed.id, feed.name, RefreshOutcome.FAILED, error=error, elapsed=elapsed)
    papers, filtered = select_announced(parsed.papers, feed, library)
    facts = _feed_facts(registry, feed, parsed, first.etag, first.last_modified, moved_to)
    status = _success_fields(feed, now, **facts)
    try:
        with library.store.transaction():
            result = library.add_papers(papers, source=feed.id) if papers else None
            status["last_new"] = len(result.new) if result else 0
            pending.pop(feed.id, None)
            registry.update(feed.id, **status)
    except (StoreError, FeedRegistryError) as exc:
        error = f"{feed.name}: the papers could not be saved ({exc})"
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
        elapsed=elapsed,
    )


def _accept_move(registry: FeedRegistry, feed: Feed, moved_to: str | None) -> str | None:
    """A permanent redirect moves the subscription, unless another feed already has that address."""
    if moved_to:
        moved_to, _ = split_credentials(moved_to)  # never store credentials a server put in an address
    if not moved_to or moved_to == feed.url:
        return None  # (http -> https is a move worth keeping, though both name the same subscription)
    other = registry.find_url(moved_to)
    if other is not None and other.id != feed.id:
        return None
    return moved_to


def _feed_facts(
    registry: FeedRegistry,
    feed: Feed, parsed: ParsedFeed, etag: str | None, last_modified: str | None, moved_to: str | None
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
        others = [f.name for f in registry.feeds() if f.id != feed.id]
        facts["name"] = registry._unique_name(parsed.title, others)
        facts["named_by_user"] = False
    return facts


__all__ = [
    "ANNOUNCE_TYPES",
    "DEFAULT_ANNOUNCE_TYPES",
    "Feed",
    "FeedKind",
    "FeedListing",
    "FeedRefreshResult",
    "FeedRegistry",
    "FeedRegistryError",
    "FeedSpec",
    "FeedStatus",
    "RefreshOutcome",
    "RefreshProgress",
    "RefreshSummary",
    "Subscribed",
    "refresh_feeds",
    "select_announced",
    "subscribe",
    "unsubscribe",
]
