"""The fast reading of arXiv, Atom and RSS 2.0 feeds gives the papers feedparser's reading gives, field for field.

Every sample, fixture and file of feedparser's own corpus that the fast path accepts is read both ways and compared;
the arXiv layouts must be accepted (or the fast path is never used); hostile XML is never expanded.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from feedparser.datetimes import _parse_date
from feedtools import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

import readinglist.core.fastfeed as fastfeed
from readinglist.core.errors import FeedError
from readinglist.core.importer import ParsedFeed, parse_feed

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from synthetic import PaperFactory

HEADERS: tuple[dict[str, str] | None, ...] = (None, {"Content-Type": "application/xml"})


def _both(data: bytes, headers: dict[str, str] | None) -> tuple[ParsedFeed | str, ParsedFeed | str] | None:
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    if fastfeed.read_fast(data, headers=lower) is None:
        return None
    fast = parse_feed(data, name="feed", headers=headers)
    saved = fastfeed.read_fast
    fastfeed.read_fast = lambda *a, **k: None  # type: ignore[assignment]
    try:
        slow: ParsedFeed | str = parse_feed(data, name="feed", headers=headers)
    except FeedError as exc:
        slow = str(exc)
    finally:
        fastfeed.read_fast = saved  # type: ignore[assignment]
    return fast, slow


def _arxiv_rss(tmp_path: Path) -> Path:
    path = tmp_path / "arxiv.xml"
    PaperFactory().write_arxiv_rss(
        path, [(i, ("new", "cross", "replace")[i % 3], 1) for i in range(300)], category="cs.CL"
    )
    return path


ACCEPTED = [
    "arxiv_rss_cs.CL.xml",
    "arxiv_rss_cs.LG.xml",
    "arxiv_rss_empty.xml",
    "arxiv_rss_text.xml",
    "arxiv_atom_text.xml",
    "arxiv_api_page1.xml",
    "arxiv_api_page2.xml",
]


def test_the_arxiv_layouts_take_the_fast_path_and_read_the_same(tmp_path: Path, shared: Path) -> None:
    paths = [FIXTURES / n for n in ACCEPTED] + [_arxiv_rss(tmp_path)]
    paths += sorted((shared / "samples").glob("*.xml"))
    accepted = 0
    for path in paths:
        for headers in HEADERS:
            both = _both(path.read_bytes(), headers)
            if both is None:
                assert path.name not in ACCEPTED and path.name != "arxiv.xml", path
                continue
            accepted += 1
            fast, slow = both
            assert fast == slow, path
    assert accepted >= 2 * (len(ACCEPTED) + 1)


def test_every_corpus_file_the_fast_path_accepts_reads_the_same(shared: Path) -> None:
    root = shared / "corpus" / "feedparser-tests"
    if not root.is_dir():
        pytest.skip("../shared/corpus/feedparser-tests is not present")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert len(files) == 2106
    accepted = 0
    for path in files:
        data = path.read_bytes()
        for headers in HEADERS:
            both = _both(data, headers)
            if both is not None:
                accepted += 1
                assert both[0] == both[1], path
    assert accepted > 1000  # both header variants of ~600 files


def test_text_fidelity_holds_on_the_fast_path() -> None:
    for name in ("arxiv_rss_text.xml", "arxiv_atom_text.xml"):
        data = (FIXTURES / name).read_bytes()
        assert fastfeed.read_fast(data) is not None
        papers = {p.arxiv_id: p for p in parse_feed(data, name=name).papers}
        think = papers["2512.00001"]
        assert think.title == "Beyond <think>: Hidden Reasoning Tokens"
        assert "delimited by <think> and <answer> tags" in think.abstract
        assert "(p < 0.001)" in think.abstract and "($<26\\%$ pass rates)" in think.abstract
        assert think.authors == ("Beno\\^it Sagot", "Jos\\'e Garc{\\'i}a", 'Erwin Schr\\"odinger')


def test_html_in_plain_rss_reads_alike_both_ways() -> None:
    data = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>J</title>
<link>https://journal.example/</link><item><title>Gene &lt;i&gt;FOXP2&lt;/i&gt; &amp;amp; speech</title>
<link>https://journal.example/a/1</link><guid>https://journal.example/a/1</guid>
<description>&lt;p&gt;We show &lt;i&gt;in vivo&lt;/i&gt; a &lt;b rise.&lt;/p&gt;
&lt;script&gt;alert(1)&lt;/script&gt;</description>
<pubDate>Sun, 30 Nov 2025 00:00:00 GMT</pubDate></item></channel></rss>"""
    both = _both(data, None)
    assert both is not None
    fast, slow = both
    assert fast == slow
    assert isinstance(fast, ParsedFeed)
    (paper,) = fast.papers
    assert paper.title == "Gene FOXP2 & speech"
    assert "alert" not in paper.abstract and "in vivo" in paper.abstract
    assert paper.published == "2025-11-30T00:00:00Z"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">]>
<rss version="2.0"><channel><title>&e;</title><item><title>&e;</title><link>https://x.example/1</link></item></channel></rss>"""


def test_hostile_xml_is_never_read_by_the_fast_path(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    external = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>&x;</title><item><title>&x;</title>'
        "<link>https://x.example/1</link></item></channel></rss>"
    ).encode()
    for data in (BILLION_LAUGHS, external):
        assert fastfeed.read_fast(data) is None
        try:
            parsed = parse_feed(data, name="hostile")
        except FeedError:
            continue
        shown = parsed.title + "".join(p.title for p in parsed.papers)
        assert "TOP-SECRET" not in shown and "aaaaaaaaaa" * 100 not in shown
    # Without the DOCTYPE check, lxml's parser still neither expands nor fetches.
    from lxml import etree

    root = etree.fromstring(external, fastfeed._PARSER)
    assert "TOP-SECRET" not in etree.tostring(root).decode()


# ---- dates ------------------------------------------------------------------------------------------------------

_DATE_ELEMENT = re.compile(
    rb"<(?:[\w.-]+:)?(?:pubDate|date|published|updated|modified|issued|created|lastBuildDate|coverDate|"
    rb"publicationDate)\b[^>]*>([^<]{1,80})</",
    re.IGNORECASE,
)


def _corpus_dates(shared: Path) -> set[str]:
    paths = [p for p in (shared / "samples").rglob("*") if p.is_file()] + sorted(FIXTURES.rglob("*.xml"))
    root = shared / "corpus" / "feedparser-tests"
    if root.is_dir():
        paths += [p for p in root.rglob("*") if p.is_file()]
    out: set[str] = set()
    for path in paths:
        for m in _DATE_ELEMENT.finditer(path.read_bytes()):
            value = m.group(1).decode("utf-8", "replace")
            out.update({value, value.strip()})
    return out


def test_dates_read_directly_equal_feedparsers_on_every_date_of_the_corpus(shared: Path) -> None:
    dates = _corpus_dates(shared)
    assert len(dates) > 60
    direct = 0
    for value in sorted(dates):
        assert fastfeed.parse_date(value) == _parse_date(value), value
        direct += bool(fastfeed._RFC822.fullmatch(value) or fastfeed._W3DTF.fullmatch(value))
    assert direct > 20


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_two = st.integers(0, 99).map(lambda n: f"{n:02d}")
_zone = st.one_of(
    st.sampled_from(["GMT", "UT", "UTC", "Z", "+0000", "-0000", "EST", "gmt", "+00:00"]),
    st.tuples(st.sampled_from("+-"), _two, _two).map("".join),
)
_rfc822 = st.tuples(
    st.sampled_from(("", *(f"{d}, " for d in _DAYS), "Tue ")),
    st.integers(0, 40).map(str) | _two,
    st.sampled_from((*_MONTH_NAMES, "jan", "Sept", "Foo")),
    st.integers(0, 10000).map(lambda n: f"{n:04d}") | _two,
    st.tuples(_two, _two, _two).map(":".join),
    _zone,
).map(lambda t: f"{t[0]}{t[1]} {t[2]} {t[3]} {t[4]} {t[5]}")
_w3dtf = st.tuples(
    st.integers(0, 10000).map(lambda n: f"{n:04d}"),
    _two,
    _two,
    st.sampled_from("Tt "),
    st.tuples(_two, _two, _two).map(":".join),
    st.sampled_from(["", ".5", ".123456"]),
    st.one_of(st.sampled_from(["Z", "z", "", "+0530"]), st.tuples(st.sampled_from("+-"), _two, _two).map(":".join)),
).map(lambda t: f"{t[0]}-{t[1]}-{t[2]}{t[3]}{t[4]}{t[5]}{t[6]}")


@settings(max_examples=3000, deadline=None)
@given(st.one_of(_rfc822, _w3dtf))
def test_dates_read_directly_equal_feedparsers_on_random_dates(value: str) -> None:
    assert fastfeed.parse_date(value) == _parse_date(value), value
