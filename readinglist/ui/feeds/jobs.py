"""The feeds dialog's work on the library thread: plain functions of the library, returning plain values."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readinglist.core.credentials import Credential, CredentialStore
from readinglist.core.feeds import (
    Feed,
    FeedListing,
    FeedSpec,
    Subscribed,
    subscribe,
    unsubscribe,
)
from readinglist.core.files import write_atomically
from readinglist.core.library import Library
from readinglist.core.opml import OpmlImportResult, export_opml, import_opml_file

# ---- work on the library thread ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CredentialSaved:
    feed: Feed
    durable: bool  # False: no keyring; kept for this run only
    warning: str | None = None


def load_feeds(lib: Library) -> list[FeedListing]:
    return lib.feeds.listing(lib)


def add_feed(lib: Library, spec: FeedSpec, credentials: CredentialStore | None) -> Subscribed:
    return subscribe(lib.feeds, spec, credentials=credentials)


def save_feed(lib: Library, feed_id: str, changes: dict[str, Any]) -> Feed:
    return lib.feeds.update(feed_id, **changes)


def set_credential(lib: Library, store: CredentialStore, feed_id: str, credential: Credential) -> CredentialSaved:
    registry = lib.feeds
    registry.get(feed_id)  # a feed removed meanwhile: say so before touching the keyring
    warning = store.keep(feed_id, credential)
    return CredentialSaved(registry.update(feed_id, auth=credential.kind), warning is None, warning)


def forget_credential(lib: Library, store: CredentialStore, feed_id: str) -> Feed:
    store.delete(feed_id)
    return lib.feeds.update(feed_id, auth="")


def remove_feed(lib: Library, store: CredentialStore | None, feed_id: str) -> tuple[Feed, int]:
    """Unsubscribe; returns the feed and how many of its papers stay in the library."""
    feed = unsubscribe(lib.feeds, feed_id, credentials=store)
    return feed, lib.feed_counts().get(feed_id, 0)


def import_opml(lib: Library, path: Path, store: CredentialStore | None) -> OpmlImportResult:
    return import_opml_file(lib.feeds, path, credentials=store)


def export_opml_file(lib: Library, path: Path) -> int:
    feeds = lib.feeds.feeds()
    write_atomically(path, export_opml(feeds))
    return len(feeds)


def keyring_state(store: CredentialStore) -> tuple[bool, str | None]:
    available = store.available()
    return available, store.unavailable_reason
