"""`normalize_url` reads the plain shape of a URL directly; the result is the general reading's, kept here as the
reference, on random URLs of that shape and near it, and on every link and guid of the samples and corpus."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from feedtools import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from readinglist.core import identity


def old_normalize_url(url: str | None) -> str | None:
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if host.startswith("www."):
        host = host[4:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in identity._TRACKING_PARAMS
    ]
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("", host, path, urlencode(sorted(query)), "")).lstrip("/")


def _reference(url: str) -> str | type[Exception] | None:
    try:
        return old_normalize_url(url)
    except Exception as exc:
        return type(exc)


def _fast(url: str) -> str | type[Exception] | None:
    try:
        return identity.normalize_url(url)
    except Exception as exc:
        return type(exc)


_piece = st.text(alphabet="aZ09.-_~/%?#&=+;:@[]! \t\n\r\u00e9\u0000", max_size=8)
_hosts = st.one_of(
    st.sampled_from(["arxiv.org", "www.Nature.com", "WWW.", "www.", ".", "-", "a", "x.example", "biorxiv.org"]),
    st.text(alphabet="aZ09.-w", min_size=0, max_size=10),
)
_urls = st.tuples(
    st.sampled_from(["http://", "https://", "HTTPS://", "hTtp://", "ftp://", "https:/", " https://", "https://u@"]),
    _hosts,
    st.sampled_from(["", ":80", ":443", ":8080", ":"]),
    st.lists(st.one_of(_piece, st.sampled_from(["/", "/abs/2301.00001", "?utm_source=x&a=1", "?rss=1", "#f", "//"])),
             max_size=6).map("".join),
    st.sampled_from(["", " ", "\n", "/"]),
).map("".join)  # fmt: skip


@settings(max_examples=4000, deadline=None)
@given(_urls)
def test_normalize_url_equals_the_general_reading_on_random_urls(url: str) -> None:
    assert _fast(url) == _reference(url), repr(url)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_normalize_url_equals_the_general_reading_on_any_text(url: str) -> None:
    assert _fast(url) == _reference(url), repr(url)


_LINK = re.compile(rb"(?:href=[\"']([^\"']{1,500})[\"']|>(https?://[^<]{1,500})<)")


def test_normalize_url_equals_the_general_reading_on_the_corpus_links(shared: Path) -> None:
    paths = [p for p in (shared / "samples").rglob("*") if p.is_file()] + sorted(FIXTURES.rglob("*"))
    root = shared / "corpus" / "feedparser-tests"
    if root.is_dir():
        paths += [p for p in root.rglob("*") if p.is_file()]
    urls: set[str] = set()
    for path in paths:
        if path.is_file():
            for m in _LINK.finditer(path.read_bytes()):
                urls.add((m.group(1) or m.group(2)).decode("utf-8", "replace"))
    assert len(urls) > 200
    for url in sorted(urls):
        assert _fast(url) == _reference(url), url
