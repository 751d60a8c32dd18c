"""Every sample feed, and all 2,106 files of feedparser's own test corpus, through fetch, parse and import.

The corpus files are served by a real HTTP server on 127.0.0.1 and fetched with the refresh's fetcher, then parsed
and added to one library in one transaction: nothing may raise except a FeedError that names the file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from feedtools import DATA, FIXTURES, FeedServer, Route

from readinglist.core.errors import FeedError
from readinglist.core.fetcher import FeedFetcher, FetchStatus
from readinglist.core.importer import ParsedFeed, parse_feed, parse_hf_daily
from readinglist.core.library import Library
from readinglist.core.opml import read_opml


def _read_sample(path: Path) -> ParsedFeed | int:
    data = path.read_bytes()
    if path.suffix == ".json":
        return parse_hf_daily(data, name=path.name)
    if path.suffix == ".opml":
        return len(read_opml(data, name=path.name))
    return parse_feed(data, name=path.name)


def _samples(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".xml", ".json", ".opml") and "csl" not in p.name)


def test_every_bundled_sample_and_fixture_reads(data_dir: Path) -> None:
    paths = _samples(DATA) + _samples(FIXTURES)
    assert len(paths) >= 10
    with Library.open(data_dir) as library:
        for path in paths:
            parsed = _read_sample(path)
            if isinstance(parsed, ParsedFeed):
                library.add_papers(parsed.papers, source=parsed.title)
            else:
                assert parsed > 0, path
        assert len(library) > 80


def test_every_shared_sample_reads(shared: Path, data_dir: Path) -> None:
    paths = _samples(shared / "samples")
    assert paths
    with Library.open(data_dir) as library:
        for path in paths:
            parsed = _read_sample(path)
            if isinstance(parsed, ParsedFeed):
                assert parsed.papers, path
                library.add_papers(parsed.papers, source=parsed.title)


@pytest.fixture
def corpus(shared: Path) -> list[Path]:
    root = shared / "corpus" / "feedparser-tests"
    if not root.is_dir():
        pytest.skip("../shared/corpus/feedparser-tests is not present")
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def corpus_server(corpus: list[Path], shared: Path) -> Iterator[FeedServer]:
    root = shared / "corpus" / "feedparser-tests"
    server = FeedServer().start()
    for i, path in enumerate(corpus):
        server.routes[f"/c/{i}"] = Route(
            body=path.read_bytes(), headers={"Content-Type": "application/xml", "X-Corpus": str(path.relative_to(root))}
        )
    yield server
    server.stop()


def test_the_feedparser_corpus_never_crashes_the_importer(
    corpus: list[Path], corpus_server: FeedServer, data_dir: Path
) -> None:
    assert len(corpus) == 2106
    started = time.monotonic()
    parsed: list[tuple[str, ParsedFeed]] = []
    refused = 0
    with FeedFetcher(connect_timeout=2.0, read_timeout=5.0) as fetcher:
        for i, path in enumerate(corpus):
            result = fetcher.fetch(corpus_server.url(f"/c/{i}"))
            assert result.status is FetchStatus.OK, (path, result.error)
            try:
                feed = parse_feed(result.body, name=path.name, url=result.final_url, headers=result.headers)
            except FeedError as exc:
                assert path.name in str(exc)
                refused += 1
                continue
            parsed.append((path.name, feed))
    fetched = time.monotonic() - started
    with Library.open(data_dir) as library:
        with library.store.transaction():
            for name, feed in parsed:
                library.add_papers(feed.papers, source=name)
        papers = len(library)
    with Library.open(data_dir) as reopened:
        assert len(reopened) == papers
    took = time.monotonic() - started
    assert len(parsed) > 1500 and refused < 600
    assert papers > 50  # most corpus entries have neither id nor link: they merge by title
    assert took < 60, f"fetch+parse {fetched:.1f} s, total {took:.1f} s"
