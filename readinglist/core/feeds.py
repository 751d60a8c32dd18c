"""Subscriptions: the feed registry, stored in the library's "feeds" part, and subscribing with credentials.

A feed's id is a stable string chosen when it is added ("f-" and 8 hex digits); it is the `source` of every paper
the feed brings, so a rename never touches papers. Credentials are never here: a feed only records which kind of
credential the keyring holds for it.

Refreshing them is `core/refresh.py`.
"""

from __future__ import annotations

import enum
import functools
import os
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import unquote, urlsplit

from readinglist.core.credentials import Credential, CredentialStore, split_credentials
from readinglist.core.errors import SubscriptionError
from readinglist.core.identity import is_web_url
from readinglist.core.sources import (
    FeedKind,
    arxiv_query_url,
    arxiv_rss_url,
    guess_kind,
    is_arxiv_url,
    looks_like_arxiv_categories,
    looks_like_arxiv_query,
)
from readinglist.core.storage import Store

if TYPE_CHECKING:
    from readinglist.core.library import Library
    from readinglist.core.shelf import Shelf

PART = "feeds"
TABLE = "feeds"
DEFAULT_INTERVAL = 3600
ARXIV_INTERVAL = 24 * 3600
MIN_INTERVAL = 5 * 60
ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross", "absonly")
DEFAULT_ANNOUNCE_TYPES = ("new", "cross")


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


def format_time(when: datetime) -> str:
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
    notify: bool = True  # a refresh that brings papers from this feed says so in a desktop notification

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
        raise SubscriptionError("no address given")
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme == "file" or text.startswith(("/", "./", "~")):
        raise SubscriptionError(
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
        raise SubscriptionError(f"{text}: not a feed address (only http and https URLs can be subscribed to)")
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


_T = TypeVar("_T")
_P = ParamSpec("_P")


def _writes(method: Callable[Concatenate[FeedRegistry, _P], _T]) -> Callable[Concatenate[FeedRegistry, _P], _T]:
    """A change to the subscriptions, in one transaction begun before it reads them (see `library.writes`)."""

    @functools.wraps(method)
    def in_transaction(self: FeedRegistry, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        with self.store.transaction():
            return method(self, *args, **kwargs)

    return in_transaction


class _Taken:
    """What new subscriptions must not repeat: ids, names (casefolded) and addresses (by `feed_url_key`)."""

    def __init__(self, feeds: Iterable[Feed]) -> None:
        self.ids: set[str] = set()
        self.names: set[str] = set()
        self.urls: dict[str, Feed] = {}
        for feed in feeds:
            self.add(feed)

    def add(self, feed: Feed) -> None:
        self.ids.add(feed.id)
        self.names.add(feed.name.casefold())
        self.urls.setdefault(feed_url_key(feed.url), feed)


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
        raise SubscriptionError(f"no feed with id {feed_id!r}")

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
        raise SubscriptionError(f"no feed with id {feed_id!r}")

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
        except SubscriptionError:
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
                raise SubscriptionError(f"{text!r} names {len(hits)} feeds; use the id ({ids})")
        raise SubscriptionError(f"no feed named {text!r} (see `readinglist feeds list`)")

    def listing(self, library: Library | Shelf) -> list[FeedListing]:
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
            feed_id = f"f-{os.urandom(4).hex()}"
            if feed_id not in taken:
                return feed_id

    def _unique_name(self, name: str, used: set[str]) -> str:
        """`name`, or `name (2)`, `name (3)`… if it is in `used` (casefolded names)."""
        if name.casefold() not in used:
            return name
        n = 2
        while f"{name} ({n})".casefold() in used:
            n += 1
        return f"{name} ({n})"

    def _build(self, spec: FeedSpec, taken: _Taken, now: str) -> Feed:
        url, kind = normalize_feed_url(spec.url, spec.kind)
        if "@" in urlsplit(url).netloc:
            raise SubscriptionError("credentials in a feed address must go to the keyring first (use subscribe())")
        name = (spec.name or "").strip()
        named = bool(name)
        if not name:
            name = name_from_url(kind, url)
        name = self._unique_name(name, taken.names)
        interval = spec.interval if spec.interval is not None else default_interval(kind, url)
        types = _check_types(spec.announce_types) if spec.announce_types is not None else None
        return Feed(
            id=self._new_id(taken.ids),
            name=name,
            url=url,
            kind=kind,
            group=clean_group(spec.group),
            interval=max(MIN_INTERVAL, int(interval)),
            announce_types=types,
            auth=spec.auth,
            named_by_user=named,
            added=now,
        )

    @_writes
    def add(self, spec: FeedSpec) -> Feed:
        """Subscribe. Raises SubscriptionError for a bad address or one already subscribed."""
        taken = _Taken(self.feeds())
        feed = self._build(spec, taken, format_time(datetime.now(UTC)))
        dup = taken.urls.get(feed_url_key(feed.url))
        if dup is not None:
            raise SubscriptionError(f"already subscribed to {feed.url} as {dup.name!r}")
        self.store.db(PART).table(TABLE).insert(feed.to_doc())
        return feed

    @_writes
    def add_many(self, specs: Iterable[FeedSpec]) -> tuple[list[Feed], list[tuple[FeedSpec, str]]]:
        """Add several feeds in one transaction; duplicates (of each other or of existing feeds) and bad addresses
        are skipped with a reason. Returns (added, skipped). Linear in the number of feeds: an OPML file of
        20,000 subscriptions takes seconds, not minutes."""
        taken = _Taken(self.feeds())
        now = format_time(datetime.now(UTC))
        added: list[Feed] = []
        skipped: list[tuple[FeedSpec, str]] = []
        for spec in specs:
            try:
                feed = self._build(spec, taken, now)
            except SubscriptionError as exc:
                skipped.append((spec, str(exc)))
                continue
            dup = taken.urls.get(feed_url_key(feed.url))
            if dup is not None:
                skipped.append((spec, f"already subscribed as {dup.name!r}"))
                continue
            taken.add(feed)
            added.append(feed)
        if added:
            with self.store.transaction():
                self.store.db(PART).table(TABLE).insert_multiple([f.to_doc() for f in added])
        return added, skipped

    @_writes
    def remove(self, feed_id: str) -> Feed:
        """Unsubscribe. The papers it brought stay in the library (they may be starred or noted)."""
        feed = self.get(feed_id)
        self.store.db(PART).table(TABLE).remove(doc_ids=[self._doc_id(feed_id)])
        return feed

    def update(self, feed_id: str, **changes: Any) -> Feed:
        """Change settings or status fields of one feed: name, group, interval, announce_types, url..."""
        return self.update_many({feed_id: changes})[feed_id]

    @_writes
    def update_many(self, changes: Mapping[str, Mapping[str, Any]]) -> dict[str, Feed]:
        if not changes:
            return {}
        current = {f.id: f for f in self.feeds()}
        new: dict[str, Feed] = {}
        for feed_id, fields_ in changes.items():
            if feed_id not in current:
                raise SubscriptionError(f"no feed with id {feed_id!r}")
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
                raise SubscriptionError("a feed needs a name")
            others = [f.name for f in current.values() if f.id != feed.id]
            if name.casefold() in {n.casefold() for n in others}:
                raise SubscriptionError(f"another feed is already named {name!r}")
            changes["name"] = name
            changes.setdefault("named_by_user", True)
        if "group" in changes:
            changes["group"] = clean_group(changes["group"] or "")
        if "interval" in changes:
            interval = int(changes["interval"])
            if interval < MIN_INTERVAL:
                raise SubscriptionError(f"the shortest refresh interval is {MIN_INTERVAL // 60} minutes")
            changes["interval"] = interval
            if feed.last_success:
                last = parse_time(feed.last_success)
                if last is not None:
                    changes.setdefault("next_due", format_time(last + timedelta(seconds=interval)))
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
                raise SubscriptionError("credentials in a feed address must go to the keyring first")
            if any(_same_url(f.url, url) for f in current.values() if f.id != feed.id):
                raise SubscriptionError(f"another feed already has the address {url}")
            changes["url"] = url
            if url != feed.url:
                changes.setdefault("etag", None)
                changes.setdefault("last_modified", None)
        if "max_results" in changes and changes["max_results"] is not None:
            changes["max_results"] = max(1, min(int(changes["max_results"]), 2000))
        unknown = set(changes) - {f.name for f in fields(Feed)}
        if unknown or "id" in changes:
            raise SubscriptionError(f"unknown feed settings: {', '.join(sorted(unknown | ({'id'} & set(changes))))}")
        return replace(feed, **changes)


def clean_group(group: str) -> str:
    """A group as stored: folder names trimmed, empty ones dropped ("Work / ML" is "Work/ML")."""
    return "/".join(p.strip() for p in str(group).split("/") if p.strip())


def _check_types(types: Iterable[str]) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(t.strip().lower() for t in types if t.strip()))
    bad = [t for t in out if t not in ANNOUNCE_TYPES]
    if bad:
        raise SubscriptionError(f"unknown announce types {', '.join(bad)} (known: {', '.join(ANNOUNCE_TYPES)})")
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
        raise SubscriptionError("this feed has credentials but no keyring access was given")
    feed = registry.add(replace(spec, url=url, auth=auth))
    if credential is None or credentials is None:
        return Subscribed(feed)
    warning = credentials.keep(feed.id, credential)
    return Subscribed(feed, warning is None, warning)


def unsubscribe(registry: FeedRegistry, feed_id: str, *, credentials: CredentialStore | None = None) -> Feed:
    feed = registry.remove(feed_id)
    if credentials is not None and feed.auth:
        credentials.delete(feed.id)
    return feed


__all__ = [
    "ANNOUNCE_TYPES",
    "DEFAULT_ANNOUNCE_TYPES",
    "Feed",
    "FeedKind",
    "FeedListing",
    "FeedRegistry",
    "FeedSpec",
    "FeedStatus",
    "Subscribed",
    "SubscriptionError",
    "subscribe",
    "unsubscribe",
]
