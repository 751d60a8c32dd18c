"""Feed bytes to papers: arXiv RSS and API specifics, Hugging Face JSON, journal specifics, untrusted text."""

from __future__ import annotations

import pytest
from feedtools import DATA, fixture

from readinglist.core.errors import FeedError
from readinglist.core.importer import parse_feed, parse_hf_daily, plain_text, safe_url, split_authors


def by_id(papers: tuple, arxiv_id: str):  # type: ignore[no-untyped-def]
    return next(p for p in papers if p.arxiv_id == arxiv_id)


def test_arxiv_rss_items() -> None:
    parsed = parse_feed(fixture("arxiv_rss_cs.CL.xml"), name="cs.CL")
    assert parsed.title == "cs.CL updates on arXiv.org" and parsed.warnings == ()
    assert [p.announce_type for p in parsed.papers] == ["new", "new", "cross", "replace", "replace-cross"]
    moe = by_id(parsed.papers, "2509.13332")
    assert moe.arxiv_version == 1
    assert moe.authors == ("Ana Pereira", "Tomasz Nowak", "Mei Lin")
    assert moe.abstract.startswith("We study sparse mixture-of-experts routing")
    assert "Announce Type" not in moe.abstract and "halving the training cost (p < 0.001)." in moe.abstract
    assert moe.categories == ("cs.CL", "cs.LG")
    assert moe.url == "https://arxiv.org/abs/2509.13332" and moe.pdf_url == "https://arxiv.org/pdf/2509.13332v1"
    assert moe.published == "2025-09-17T04:00:00Z"  # midnight US Eastern
    assert moe.extra["license"] == "http://creativecommons.org/licenses/by/4.0/"
    probe = by_id(parsed.papers, "2509.13401")
    assert probe.doi == "10.18653/v1/2025.acl-long.101"
    assert probe.journal_ref == "Proceedings of ACL 2025, pages 1200-1215"
    replaced = by_id(parsed.papers, "2501.04321")
    assert replaced.arxiv_version == 3 and replaced.journal_ref == "Transactions of the ACL 13 (2025)"


def test_an_empty_arxiv_feed_is_not_an_error() -> None:
    parsed = parse_feed(fixture("arxiv_rss_empty.xml"), name="cs.CL")
    assert parsed.papers == () and parsed.warnings == ()


def test_arxiv_api_atom() -> None:
    page1 = parse_feed(fixture("arxiv_api_page1.xml"), name="query")
    assert page1.total_results == 3
    moe = by_id(page1.papers, "2509.13332")
    assert moe.arxiv_version == 2 and moe.updated == "2025-09-18T17:02:11Z" and moe.published == "2025-09-16T13:45:09Z"
    assert moe.title == "Sparse Mixture-of-Experts Routing for Low-Resource Machine Translation"
    assert moe.extra["comment"] == "14 pages, 5 figures; v2: added results on Swahili"
    assert moe.pdf_url == "https://arxiv.org/pdf/2509.13332v2"
    code = by_id(page1.papers, "2409.01234")
    assert code.doi == "10.1145/3650212.3680001" and code.journal_ref == "ISSTA 2024: 101-112"
    assert code.categories == ("cs.CL", "cs.SE")
    page2 = parse_feed(fixture("arxiv_api_page2.xml"), name="query")
    (old,) = page2.papers
    assert (
        old.arxiv_id == "hep-th/9901001"
        and old.arxiv_version == 3
        and old.url == "https://arxiv.org/abs/hep-th/9901001"
    )
    assert old.authors == ("J. Q. Physicist",)


def test_hugging_face_daily_papers() -> None:
    parsed = parse_hf_daily((DATA / "hf_daily_papers_2024-10-25.json").read_bytes(), name="HF")
    assert len(parsed.papers) == 29 and parsed.warnings == ()
    first = parsed.papers[0]
    assert first.arxiv_id == "2410.17243" and first.arxiv_version is None
    assert first.title == "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss"
    assert first.authors[0] == "Zesen Cheng" and len(first.authors) == 9
    assert first.extra["upvotes"] == 64 and first.extra["comment_count"] == 3
    assert first.published == "2024-10-22T17:59:30Z"
    assert "\n" not in first.abstract[:100]
    ours = parse_hf_daily(fixture("hf_daily_papers_2025-09-17.json"), name="HF")
    assert len(ours.papers) == 2 and "1 entries" in ours.warnings[0]
    assert "project_page" not in ours.papers[1].extra


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<!DOCTYPE html><html><body>rate limited</body></html>", "web page"),
        (b"{not json", "not valid JSON"),
        (b'{"error": "Invalid date"}', "Invalid date"),
        (b'{"papers": []}', "not a list"),
    ],
)
def test_hugging_face_errors_name_the_feed(data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message) as info:
        parse_hf_daily(data, name="HF daily")
    assert str(info.value).startswith("HF daily: ")


def test_journal_feeds() -> None:
    nature = parse_feed((DATA / "biofeed_nature_20250319.xml").read_bytes(), name="Nature")
    assert all(p.doi and p.doi.startswith("10.1038/") for p in nature.papers)
    assert nature.papers[0].authors == ("Basanta Kumar Das et al.",)
    biorxiv = parse_feed((DATA / "biofeed_biorxiv_20250413.xml").read_bytes(), name="bioRxiv")
    first = biorxiv.papers[0]
    assert first.doi == "10.1101/2025.04.07.647590" and first.authors[:2] == ("N. Hou", "Z. Wu")
    assert first.abstract and "<" not in first.abstract


def test_doi_from_prism_dc_identifier_and_links() -> None:
    feed = b"""<?xml version="1.0"?>
<rdf:RDF xmlns="http://purl.org/rss/1.0/" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/">
<channel rdf:about="https://j.example/"><title>J</title><link>https://j.example/</link><description>d</description></channel>
<item rdf:about="https://j.example/a"><title>A</title><link>https://j.example/a</link><prism:doi>10.1000/PRISM.1</prism:doi></item>
<item rdf:about="https://j.example/b"><title>B</title><link>https://j.example/b</link><dc:identifier>doi:10.1000/dc.2</dc:identifier>
<dc:creator>Smith, J., Doe, A. and Roe, R.</dc:creator></item>
<item rdf:about="https://j.example/c"><title>C</title><link>https://onlinelibrary.example/doi/10.1000/link.3?af=R</link></item>
<item rdf:about="https://j.example/d"><title>D</title><link>https://www.nature.com/articles/nature12345</link></item>
</rdf:RDF>"""
    papers = parse_feed(feed, name="J").papers
    assert [p.doi for p in papers] == ["10.1000/prism.1", "10.1000/dc.2", "10.1000/link.3", "10.1038/nature12345"]
    assert papers[1].authors == ("J. Smith", "A. Doe", "R. Roe")


def test_abstracts_are_plain_text_and_links_only_http() -> None:
    assert plain_text("<p>A &amp; B</p><script>evil()</script><p>C&nbsp;&lt;D&gt;</p>") == "A & B\n\nC <D>"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,hi") is None
    assert safe_url("file:///etc/passwd") is None
    assert safe_url(" https://ok.example/x ") == "https://ok.example/x"
    assert split_authors("A. One, B. Two et al.") == ["A. One", "B. Two et al."]


def test_content_used_when_there_is_no_summary() -> None:
    feed = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<entry><id>urn:x:1</id><title>One</title><content type="html">&lt;p&gt;Body &lt;b&gt;text&lt;/b&gt;&lt;/p&gt;</content>
<link href="https://x.example/1"/></entry></feed>"""
    (paper,) = parse_feed(feed, name="T").papers
    assert paper.abstract == "Body text"


def test_not_a_feed_names_the_feed() -> None:
    with pytest.raises(FeedError, match=r"^My feed: no feed found"):
        parse_feed(b"just some text", name="My feed")
    with pytest.raises(FeedError, match=r"^My feed: this is a web page"):
        parse_feed(b"<html><body>hi</body></html>", name="My feed")


def test_many_files_parsed_on_other_cores_come_back_in_order_as_one_process_reads_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    from readinglist.core.importer import FeedFiles, read_feed_file

    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><body>Not a feed</body></html>")
    paths = [
        DATA / "biofeed_nature_20250319.xml",
        tmp_path / "missing.xml",
        DATA / "hf_daily_papers_2024-10-25.json",
        page,
        DATA / "biofeed_biorxiv_20250413.xml",
        tmp_path / "refs.bib",
    ]
    paths[-1].write_text("@article{k, title={Attention Is All You Need}, author={Vaswani, Ashish}, year={2017}}\n")
    with FeedFiles(paths, workers=2) as files:
        got = list(files)
        assert files._pool is not None  # (parsed in worker processes)
        pids = files._pool.submit(os.getpid).result(), os.getpid()
    assert pids[0] != pids[1]
    assert [path for path, _ in got] == paths
    for path, parsed in got:
        if path in (page, tmp_path / "missing.xml"):
            assert isinstance(parsed, FeedError) and str(path) in str(parsed)
            with pytest.raises(FeedError, match=str(parsed).split(": ", 1)[1][:20]):
                read_feed_file(path)
        else:
            assert parsed == read_feed_file(path) and parsed.papers
