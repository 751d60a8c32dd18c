"""Feed autodiscovery: a web page names its feeds in `<link rel="alternate" type="application/rss+xml"
href="...">` (the convention every blog engine and journal site follows, and every reader honours). When the
user gives a page instead of its feed, the feeds it names are offered instead of "this is a web page"."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from readinglist.core.identity import is_web_url

FEED_TYPES = {
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/rdf+xml": "RSS",
    "application/feed+json": "JSON Feed",
    "application/json": "JSON Feed",
}
MAX_SCANNED = 2_000_000  # bytes of a page read for its <link>s (they live in <head>)


@dataclass(frozen=True, slots=True)
class FoundFeed:
    url: str
    title: str
    kind: str  # "RSS", "Atom", "JSON Feed"

    def describe(self) -> str:
        return f"{self.title} <{self.url}>" if self.title else self.url


class _Links(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.found: list[FoundFeed] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base = urljoin(self.base, href)
            return
        if tag != "link":
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        rels = a.get("rel", "").lower().split()
        kind = FEED_TYPES.get(a.get("type", "").lower().split(";")[0].strip())
        href = a.get("href", "").strip()
        if "alternate" in rels and kind and href:
            url = urljoin(self.base, href)
            if is_web_url(url) and all(f.url != url for f in self.found):
                title = " ".join(a.get("title", "").split())[:200]
                self.found.append(FoundFeed(url, title, kind))


def feed_links(page: bytes, base_url: str) -> list[FoundFeed]:
    """The feeds a web page names, as absolute web addresses, in the page's order (no duplicates)."""
    text = page[:MAX_SCANNED].decode("utf-8", errors="replace")
    parser = _Links(base_url)
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # a page broken enough to stop the parser: what it found so far stands
        pass
    return parser.found


@dataclass(frozen=True, slots=True)
class Probe:
    """What one fetch of an address before subscribing says: the address to subscribe to (a page's own feed in
    place of the page), or the feeds a page names when it names several, or why it cannot be subscribed, or that
    it could not be fetched now (subscribing is still possible, with a warning)."""

    url: str
    found: tuple[FoundFeed, ...] = ()
    replaced: FoundFeed | None = None  # the page's one feed, subscribed to in its place
    refused: str | None = None  # nothing should be subscribed, and why
    unreachable: str | None = None  # the fetch failed: why


def probe(url: str, *, credential: Any = None, timeout: float = 30.0) -> Probe:
    """Fetch `url` once (the network: call it off the library's thread) and say what subscribing to it means."""
    from readinglist.core.errors import FeedError
    from readinglist.core.fetcher import FeedFetcher
    from readinglist.core.importer import WebPageError, parse_papers

    with FeedFetcher(total_timeout=timeout) as fetcher:
        result = fetcher.fetch(url, credential=credential)
    if not result.ok:
        return Probe(url, unreachable=result.error or "no answer")
    try:
        parse_papers(result.body, name=url, url=result.final_url or url, headers=result.headers)  # any kind we read
    except WebPageError as exc:
        found = tuple(exc.found)
        if len(found) == 1:
            return Probe(found[0].url, found, replaced=found[0])
        if found:
            return Probe(url, found, refused=f"{url} is a web page naming {len(found)} feeds; choose one")
        return Probe(url, refused=f"{url} is a web page, not a feed, and it names no feed")
    except FeedError as exc:
        return Probe(url, refused=str(exc))
    return Probe(url)
