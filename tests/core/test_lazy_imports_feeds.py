"""The fast feed path reads a feed without loading feedparser: the helpers of feedparser's it copies are held here to
feedparser's own, and the shortcuts taken on the hot path of an import (white space, author lists, the relative-URI
pass) to the patterns they stand for, over many generated strings."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import ACCEPTABLE_URI_SCHEMES, _urljoin, make_safe_absolute_uri, resolve_relative_uris

from readinglist.core import fastfeed, importer, text


def strings(alphabet: list[str], n: int, seed: int, longest: int = 12) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, longest))) for _ in range(n)]


def test_the_copied_tables_are_feedparsers() -> None:
    assert _FeedParserMixin.can_be_relative_uri == fastfeed._RELATIVE
    assert _FeedParserMixin.can_contain_relative_uris == fastfeed._CONTAINS_URIS
    assert _cp1252 == fastfeed._CP1252
    assert fastfeed._SCHEMES == ACCEPTABLE_URI_SCHEMES


URIS = ["", "x", "/rel", "rel/a", "http:///a", "http:////a/b", "https://a/b?c#d", "javascript:alert(1)", "ftp://h/",
        "HTTP://X/", "mailto:a@b", "http://[bad", "feed://q", " http://a ", "data:x", "//host/p"]  # fmt: skip
BASES = ["", "http://x.org/a/", "https://x.org/a/b.xml", "javascript:1", "http://[", "feed://q", "file:///tmp/"]


@pytest.mark.parametrize("base", BASES)
def test_url_helpers_are_feedparsers(base: str) -> None:
    assert fastfeed.make_safe_absolute_uri(base) == make_safe_absolute_uri(base)
    for uri in URIS:
        assert fastfeed._urljoin(base, uri) == _urljoin(base, uri), uri
        assert fastfeed.make_safe_absolute_uri(base, uri) == make_safe_absolute_uri(base, uri), uri


def test_content_types_and_the_html_guess_are_feedparsers() -> None:
    for value in ("text", "plain", "html", "xhtml", "TEXT", "Text/HTML", "application/xml", ""):
        assert fastfeed._map_content_type(value) == _FeedParserMixin.map_content_type(value)
    alphabet = ["<", ">", "/", "&", ";", "#", "b", "i", "zz", "amp", "39", " ", "x"]
    for s in strings(alphabet, 20_000, seed=1):
        assert fastfeed._looks_like_html(s) == _FeedParserMixin.looks_like_html(s), s


def test_text_without_markup_skips_feedparsers_relative_uri_pass_to_the_same_result() -> None:
    alphabet = [*"<>&;#/!?aZ 0x=\"'\n-", "<b>", "&amp;", "&#39;", "&#34;", "<br/>", "p < 0.05", "&lt;", "</s>",
                "<!--", "<?x", "<5/>", "AT&T", "<!x", "<>"]  # fmt: skip
    for s in strings(alphabet, 30_000, seed=2):
        for base in ("", "http://x.org/a/"):
            assert fastfeed.resolve_relative_uris(s, base, "utf-8", "text/html") == resolve_relative_uris(
                s, base, "utf-8", "text/html"
            ), s


_SPACES = re.compile(r"[\t\r\f\v\u00a0][ \t\r\f\v\u00a0]*| [ \t\r\f\v\u00a0]+")


def test_joining_a_paragraph_is_the_pattern_it_stands_for() -> None:
    alphabet = [*" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2003\u3000ab.,;&", "Smith", "é"]
    for p in strings(alphabet, 50_000, seed=3):
        assert text._joined(p) == _SPACES.sub(" ", " ".join(p.split("\n"))).strip(), repr(p)


def _split_authors_by_patterns(value: str) -> list[str]:
    """`split_authors` as it read before its shortcuts: every pattern applied."""
    value = text.one_line(value)
    if not value:
        return []
    et_al = bool(importer._ET_AL.search(value))
    value = importer._ET_AL.sub("", value)
    sep = ";" if ";" in value else ","
    tokens = [n.strip() for n in importer._NAME_SEPARATORS[sep].split(value) if n.strip()]
    names: list[str] = []
    for token in tokens:
        if names and importer._INITIALS.match(token) and " " not in names[-1]:
            names[-1] = f"{token} {names[-1]}"
        else:
            names.append(token)
    if et_al and names:
        names[-1] += " et al."
    return names


def test_splitting_authors_is_the_patterns_it_stands_for() -> None:
    alphabet = [" ", ",", ";", "&", "and", " and ", "AND", "et", "al", "et al.", "Et Al", "et. al", ".", "J.",
                "A.B.", "Smith", "Ålund", "\u00a0", "\t", "Alan", "Betal", "-", "<b>", "&amp;", "x", "\u0130", "ET",
                "AL"]  # fmt: skip
    for s in strings(alphabet, 50_000, seed=4, longest=9):
        assert importer.split_authors(s) == _split_authors_by_patterns(s), repr(s)


def test_reading_an_arxiv_feed_loads_no_feedparser() -> None:
    code = (
        "import sys\n"
        "from readinglist.core.importer import parse_feed\n"
        'feed = (\'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>cs.CL</title>\'\n'
        "        '<item><title>A paper</title><link>https://arxiv.org/abs/2301.00001</link>'\n"
        "        '<description>arXiv:2301.00001v1 Announce Type: new Abstract: p &lt; 0.05 &amp; more.</description>'\n"
        "        '<guid isPermaLink=\"false\">oai:arXiv.org:2301.00001v1</guid>'\n"
        "        '<pubDate>Tue, 16 Sep 2025 00:00:00 -0400</pubDate></item></channel></rss>')\n"
        "parsed = parse_feed(feed.encode(), name='x')\n"
        "assert parsed.papers[0].abstract == 'p < 0.05 & more.', parsed.papers[0].abstract\n"
        "print('feedparser' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
