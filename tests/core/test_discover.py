"""Feed autodiscovery (issue 15): a web page given where a feed was expected is replaced by the feed it names, or
refused with the feeds it names; a feed that cannot be fetched is subscribed only with a warning that says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from feedtools import FeedServer, Route, fixture
from test_cli import run

from readinglist.core.discover import feed_links
from readinglist.core.library import Library

FEED = fixture("arxiv_rss_cs.CL.xml")


def page(*links: str) -> bytes:
    head = "".join(links)
    return f"<!DOCTYPE html><html><head><title>Lab</title>{head}</head><body><p>Our papers</p></body></html>".encode()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer().start()
    yield srv
    srv.stop()


def test_the_links_a_page_names_are_found_absolute_and_once() -> None:
    html = page(
        '<link rel="alternate" type="application/rss+xml" title="News" href="/feed.xml">',
        '<link rel="alternate" type="application/atom+xml" href="https://other.example/atom">',
        '<link rel="alternate" type="application/rss+xml" href="/feed.xml">',
        '<link rel="stylesheet" href="/style.css">',
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">',
    )
    found = feed_links(html, "https://lab.example/papers/")
    assert [(f.url, f.title, f.kind) for f in found] == [
        ("https://lab.example/feed.xml", "News", "RSS"),
        ("https://other.example/atom", "", "Atom"),
    ]


def test_feeds_add_with_a_page_subscribes_to_the_feed_it_names(data_dir: Path, server: FeedServer) -> None:
    server.routes["/feed.xml"] = Route(body=FEED, headers={"Content-Type": "application/rss+xml"})
    server.routes["/lab"] = Route(
        body=page('<link rel="alternate" type="application/rss+xml" title="Lab papers" href="/feed.xml">'),
        headers={"Content-Type": "text/html"},
    )
    code, out, err = run("feeds", "add", server.url("/lab"))
    assert code == 0, err
    assert "is a web page; subscribing to the feed it names: Lab papers" in out
    with Library.open(data_dir, writer=False) as lib:
        assert [f.url for f in lib.feeds.feeds()] == [server.url("/feed.xml")]


def test_a_page_naming_several_feeds_is_refused_with_them(data_dir: Path, server: FeedServer) -> None:
    server.routes["/lab"] = Route(
        body=page(
            '<link rel="alternate" type="application/rss+xml" title="Papers" href="/papers.xml">',
            '<link rel="alternate" type="application/atom+xml" title="News" href="/news.atom">',
        ),
        headers={"Content-Type": "text/html"},
    )
    code, _, err = run("feeds", "add", server.url("/lab"))
    assert code == 1 and "naming 2 feeds; choose one; nothing was subscribed" in err
    assert f"readinglist feeds add {server.url('/papers.xml')}" in err and "# News" in err
    with Library.open(data_dir, writer=False) as lib:
        assert lib.feeds.feeds() == []


def test_a_page_with_no_feed_is_refused_and_a_dead_server_is_subscribed_with_a_warning(
    data_dir: Path, server: FeedServer
) -> None:
    server.routes["/plain"] = Route(body=page(), headers={"Content-Type": "text/html"})
    code, _, err = run("feeds", "add", server.url("/plain"))
    assert code == 1 and "names no feed; nothing was subscribed" in err
    server.routes["/gone"] = Route(status=503, body=b"down")
    code, _, err = run("feeds", "add", server.url("/gone"), "--name", "Flaky")
    assert code == 0
    assert "Flaky could not be fetched" in err and "subscribed anyway" in err and "feeds remove" in err


def test_a_refresh_of_a_page_names_the_feeds_it_offers(data_dir: Path, server: FeedServer) -> None:
    server.routes["/lab"] = Route(
        body=page('<link rel="alternate" type="application/rss+xml" title="Lab papers" href="/feed.xml">'),
        headers={"Content-Type": "text/html"},
    )
    assert run("feeds", "add", server.url("/lab"), "--name", "Lab", "--no-check")[0] == 0
    code, _, err = run("refresh")
    assert code == 1
    assert f"this is a web page, not a feed; it names 1 feed: Lab papers <{server.url('/feed.xml')}>" in err
