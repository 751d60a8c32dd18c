"""A cold start from the user's existing library: BibTeX, RIS and CSL-JSON exports of another tool (Zotero, Google
Scholar, DBLP) read as papers, told apart from feeds, and matched with the papers already here by the identity
rules instead of added twice."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import jsonschema
import pytest
from feedtools import DATA, FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from readinglist.core.citations import looks_like_citations, read_citations, unbraced
from readinglist.core.errors import FeedError
from readinglist.core.export.records import cite_year
from readinglist.core.importer import ParsedFeed
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper

CITATIONS = FIXTURES / "citations"


def read(name: str) -> ParsedFeed:
    return read_citations((CITATIONS / name).read_bytes(), name=name)


def by_title(parsed: ParsedFeed, start: str) -> IncomingPaper:
    return next(p for p in parsed.papers if p.title.startswith(start))


def bib(text: str) -> ParsedFeed:
    return read_citations(text.encode("utf-8"), name="refs.bib")


# ---- BibTeX -------------------------------------------------------------------------------------------------


def test_a_zotero_bibtex_export_reads_as_a_feed_would_give_the_papers() -> None:
    parsed = read("library.bib")
    assert parsed.title == "library.bib"
    assert parsed.warnings == (
        "library.bib: the entry at line 50 could not be read (Unexpected block start: `@misc`. Was still looking "
        "for field-value closing `,` or `}`); the others were read",
        "library.bib: 1 record without a title was skipped",
    )
    assert [p.title for p in parsed.papers] == [
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "Attention is all you need",
        '{\\"U}ber formal unentscheidbare S{\\"a}tze der Principia Mathematica und verwandter Systeme I',
        "Visualizing Data using t-SNE",
        "Language Models are Few-Shot Learners",
        "RoBERTa: A Robustly Optimized BERT Pretraining Approach",
    ]

    # Zotero's arXiv preprint: eprint + archivePrefix, arXiv's DOI, a local PDF that is no link.
    bert = by_title(parsed, "BERT")
    assert (bert.arxiv_id, bert.arxiv_version, bert.doi) == ("1810.04805", None, None)
    assert (bert.url, bert.pdf_url) == ("https://arxiv.org/abs/1810.04805", "https://arxiv.org/pdf/1810.04805")
    assert bert.authors == ("Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova")
    assert bert.abstract == (
        "We introduce a new language representation model called BERT, which stands for Bidirectional Encoder "
        "Representations from Transformers."
    )
    assert bert.categories == ("cs.CL",) and bert.journal_ref is None
    assert bert.published is None  # Zotero's BibTeX says "May 2019": no day, so no date to sort by
    assert bert.extra == {"citation_key": "devlin_bert_2019"}

    # Google Scholar's way: the id in the journal field, which is no journal.
    attention = by_title(parsed, "Attention")
    assert attention.arxiv_id == "1706.03762" and attention.journal_ref is None
    assert attention.authors[-2:] == ("{\\L}ukasz Kaiser", "Illia Polosukhin")

    # A journal article: its DOI normalised, the journal written as arXiv writes journal references.
    godel = by_title(parsed, '{\\"U}ber')
    assert (godel.arxiv_id, godel.doi) == (None, "10.1007/bf01700692")
    assert godel.authors == ('Kurt G{\\"o}del',)
    assert godel.journal_ref == "Monatshefte für Mathematik und Physik 38(1), 173–198 (1931)"

    # Known by its link alone; braces that protect a name's case are dropped, the @string resolved.
    tsne = by_title(parsed, "Visualizing")
    assert (tsne.arxiv_id, tsne.doi, tsne.url) == (None, None, "http://jmlr.org/papers/v9/vandermaaten08a.html")
    assert tsne.authors == ("Laurens van der Maaten", "Geoffrey Hinton")
    assert tsne.journal_ref == "Journal of Machine Learning Research 9(86), 2579–2605 (2008)"

    # An abs link with a version names the paper, not news of a version; "and others" stays visible.
    gpt3 = by_title(parsed, "Language Models")
    assert (gpt3.arxiv_id, gpt3.arxiv_version, gpt3.url) == ("2005.14165", None, "https://arxiv.org/abs/2005.14165")
    assert gpt3.authors == ("Tom B. Brown", "Benjamin Mann", "Nick Ryder et al.")
    assert gpt3.journal_ref == "Advances in Neural Information Processing Systems 33, 1877–1901 (2020)"

    # DBLP: "First Last" names, journal CoRR (arXiv itself), eprinttype.
    roberta = by_title(parsed, "RoBERTa")
    assert roberta.arxiv_id == "1907.11692" and roberta.journal_ref is None
    assert roberta.authors[:2] == ("Yinhan Liu", "Myle Ott") and len(roberta.authors) == 10


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        ("{BERT}: {Pre}-training", "BERT: Pre-training"),
        ('G{\\"o}del', 'G{\\"o}del'),  # a group that opens with a command: the accent's scope
        ('G\\"{o}del', 'G\\"{o}del'),  # a command's argument
        ("{\\em sparse} {MoE}", "{\\em sparse} MoE"),
        ("\\emph{{BERT} models}", "\\emph{BERT models}"),
        ("\\frac{a}{b} and \\href{https://x.org}{X} {Y}", "\\frac{a}{b} and \\href{https://x.org}{X} Y"),
        ("$\\mathcal{O}(n^{2})$ {Time}", "$\\mathcal{O}(n^{2})$ Time"),
        ("\\{literal\\} {B}", "\\{literal\\} B"),
        ("Pre{}-training of {{Deep {Nets}}}", "Pre-training of Deep Nets"),
        ("costs $5 {and} more", "costs $5 and more"),
        ("{unclosed and closed}}", "unclosed and closed}"),
        ("{unclosed", "{unclosed"),
    ],
)
def test_only_the_braces_that_protect_case_are_dropped(source: str, kept: str) -> None:
    assert unbraced(source) == kept


def test_bibtex_names_in_every_form() -> None:
    parsed = bib(
        "@article{a, title = {Names}, author = {de la Fontaine, Jean and King, Jr., Martin Luther and "
        '{OpenAI} and {Google DeepMind} and Knuth, D.~E. and {\\"O}zt{\\"u}rk, Ay{\\c{s}}e and Doe, J, K, L}}'
    )
    assert parsed.papers[0].authors == (
        "Jean de la Fontaine",
        "Martin Luther King Jr.",
        "OpenAI",
        "Google DeepMind",
        "D. E. Knuth",
        'Ay{\\c{s}}e {\\"O}zt{\\"u}rk',
        "Doe J K L",  # too many commas for BibTeX: kept as written
    )


def test_bibtex_dates_identifiers_and_what_does_not_identify() -> None:
    parsed = bib(
        """
@article{dated, title = {Dated}, year = 2021, month = {Jun}, day = {7}, doi = {https://doi.org/10.1145/ABC\\_1}}
@online{biblatex, title = {Biblatex}, date = {2022-03-04/2022-03-05}, eprinttype = {arxiv}, eprint = {2203.01234v2},
        eprintclass = {cs.LG}}
@article{pubmed, title = {PubMed}, eprinttype = {pubmed}, eprint = {31234567}, year = {2019}, month = {13}}
@misc{mentions, title = {Mentions}, note = {Extends arXiv:1706.03762 to images}, year = {2020}}
@misc{zotero, title = {Zotero note}, note = {arXiv:2401.01234 [cs.CL]}}
@misc{howpub, title = {How published}, howpublished = {\\url{https://arxiv.org/abs/hep-th/9901001}}}
@misc{arxivdoi, title = {DOI only}, doi = {10.48550/arXiv.2312.00752}}
@article{mendeley, title = {Mendeley}, arxivId = {1412.6980}, archivePrefix = {arXiv}}
"""
    )
    got = {p.title: p for p in parsed.papers}
    assert got["Dated"].published == "2021-06-07T00:00:00Z" and got["Dated"].doi == "10.1145/abc_1"
    assert got["Biblatex"].published == "2022-03-04T00:00:00Z"
    assert (got["Biblatex"].arxiv_id, got["Biblatex"].categories) == ("2203.01234", ("cs.LG",))
    assert got["PubMed"].arxiv_id is None and got["PubMed"].published is None
    assert got["Mentions"].arxiv_id is None  # a note that mentions another paper does not make it that paper
    assert got["Zotero note"].arxiv_id == "2401.01234"
    assert got["How published"].arxiv_id == "hep-th/9901001"
    assert (got["DOI only"].arxiv_id, got["DOI only"].doi) == ("2312.00752", None)
    assert got["Mendeley"].arxiv_id == "1412.6980"


def test_a_bibtex_entry_with_a_field_twice_or_a_key_twice_is_still_read() -> None:
    parsed = bib(
        "@string{nips = {NeurIPS}}\n"
        "@inproceedings{smith2020, title = {First}, booktitle = nips, year = {2020}}\n"
        "@article{smith2020, title = {{Second}}, journal = nips, month = may, year = 2021, url = {https://x.org/2}}\n"
        '@article{jones2021, title = "Third", title = {Ignored}, journal = nips}\n'
    )
    assert [(p.title, p.journal_ref) for p in parsed.papers] == [
        ("First", "NeurIPS (2020)"),
        ("Second", "NeurIPS (2021)"),
        ("Third", "NeurIPS"),
    ]
    assert parsed.papers[1].url == "https://x.org/2" and parsed.warnings == ()


def test_a_bibtex_file_in_windows_1252_is_read_and_said_so() -> None:
    data = "@book{k, title = {Caf\u00e9 G\u00f6del}, author = {M\u00fcller, J\u00fcrgen}}".encode("cp1252")
    parsed = read_citations(data, name="old.bib")
    assert parsed.papers[0].title == "Café Gödel" and parsed.papers[0].authors == ("Jürgen Müller",)
    assert parsed.warnings == ("old.bib: the file is not UTF-8; it was read as Windows-1252",)


def test_braces_nested_without_end_cost_nothing_but_that_entry() -> None:
    deep = "{" * 60_000 + "x" + "}" * 60_000
    parsed = bib(
        f"@misc{{deep, title = {{{deep}}}}}\n@misc{{ok, title = {{Fine}}}}\n@misc{{open, title = {{{'{' * 60_000}"
    )
    assert [p.title for p in parsed.papers] == ["x", "Fine"]
    assert len(parsed.warnings) == 1 and "line 3 could not be read" in parsed.warnings[0]


def test_bibtexparser_logs_nothing_the_warnings_already_say(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        read("library.bib")
    assert [r for r in caplog.records if r.name.startswith("bibtexparser")] == []
    assert logging.getLogger("bibtexparser").propagate and not logging.getLogger("bibtexparser").handlers


# ---- RIS and CSL-JSON -----------------------------------------------------------------------------------------


def test_a_zotero_ris_export_reads_as_a_feed_would_give_the_papers() -> None:
    parsed = read("library.ris")  # CRLF line ends and a byte order mark, as Zotero writes them
    assert parsed.warnings == ("library.ris: 1 record without a title was skipped",)
    attention, deep = parsed.papers
    assert (attention.title, attention.arxiv_id, attention.doi) == ("Attention Is All You Need", "1706.03762", None)
    assert attention.authors == ("Ashish Vaswani", "Noam Shazeer", "Niki Parmar", "Łukasz Kaiser")
    assert attention.abstract.startswith("The dominant sequence transduction models")
    assert attention.published == "2017-06-12T00:00:00Z"
    assert attention.pdf_url == "https://arxiv.org/pdf/1706.03762"  # not the file:// attachment
    assert (deep.title, deep.doi) == ("Deep learning", "10.1038/nature14539")
    assert deep.url == "https://www.nature.com/articles/nature14539"
    assert deep.arxiv_id is None  # its note mentions an arXiv paper; it is not that paper
    assert deep.authors == ("Yann LeCun", "Yoshua Bengio", "Geoffrey Hinton")
    assert deep.journal_ref == "Nature 521(7553), 436–444 (2015)"
    assert deep.published == "2015-05-28T00:00:00Z"


def test_ris_records_without_their_end_line_are_read_not_merged_or_lost() -> None:
    data = b"TY  - JOUR\nTI  - One\nDO  - 10.1000/one\nTY  - JOUR\nTI  - Two\nDO  - 10.1000/two\n"
    parsed = read_citations(data, name="cut.ris")
    assert [(p.title, p.doi) for p in parsed.papers] == [("One", "10.1000/one"), ("Two", "10.1000/two")]
    assert parsed.warnings == ("cut.ris: 2 records without an end (ER) line were read as far as they go",)


def test_a_zotero_csl_json_export_is_valid_csl_and_reads_as_a_feed_would_give_the_papers() -> None:
    schema = json.loads((DATA / "csl-data.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(json.loads((CITATIONS / "library.json").read_bytes()))
    parsed = read("library.json")
    assert parsed.warnings == ("library.json: 1 record without a title was skipped",)
    bert, tsne, gpt3, gemma = parsed.papers
    assert (bert.arxiv_id, bert.doi, bert.published) == ("1810.04805", None, "2019-05-24T00:00:00Z")
    assert bert.authors == ("Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova")
    assert tsne.authors == ("Laurens van der Maaten", "Geoffrey Hinton") and tsne.published is None
    assert tsne.journal_ref == "Journal of Machine Learning Research 9(86), 2579–2605 (2008)"
    assert gpt3.authors == ("Tom B. Brown", "Benjamin Mann", "OpenAI") and gpt3.arxiv_id == "2005.14165"
    assert gpt3.extra == {"citation_key": "brown2020language"}
    # CSL's rich-text markup is for a style, not part of the title.
    assert gemma.title == "Gemma: Open Models Based on Gemini Research and Technology"
    assert (gemma.arxiv_id, gemma.published) == ("2403.08295", "2024-03-13T00:00:00Z")


def test_one_csl_item_alone_is_a_csl_json_file() -> None:
    item = {"id": "x", "type": "article-journal", "title": "Alone", "DOI": "10.1000/ALONE"}
    data = json.dumps(item).encode()
    assert looks_like_citations(data, "item.json") == "csl-json"
    assert [(p.title, p.doi) for p in read_citations(data, name="item.json").papers] == [("Alone", "10.1000/alone")]


@settings(max_examples=300, deadline=None)
@given(
    head=st.sampled_from(["@article{k,", "@misc(", "TY  - JOUR\n", '[{"type": "article", "title": ', "{", "%\n@"]),
    body=st.text(alphabet=st.sampled_from(list('{}\\"$@,=#%~ \nTYERAU-:[]0123abc\u00e9')), max_size=80),
    name=st.sampled_from(["x.bib", "x.ris", "x.json", "x"]),
)
def test_whatever_a_file_holds_reading_it_gives_papers_or_a_worded_error(head: str, body: str, name: str) -> None:
    data = (head + body).encode("utf-8")
    if looks_like_citations(data, name) is None:
        return
    try:
        parsed = read_citations(data, name=name)
    except FeedError as exc:
        assert str(exc).startswith(f"{name}: ")
    else:
        assert all(p.title.strip() for p in parsed.papers)


# ---- telling them apart ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name", "kind"),
    [
        (CITATIONS / "library.bib", "library.bib", "bibtex"),
        (CITATIONS / "library.bib", "export.txt", "bibtex"),  # by its content, whatever it is called
        (CITATIONS / "library.ris", "library.ris", "ris"),
        (CITATIONS / "library.ris", "download", "ris"),
        (CITATIONS / "library.json", "library.json", "csl-json"),
        (CITATIONS / "library.json", "export", "csl-json"),
        (DATA / "hf_daily_papers_2024-10-25.json", "daily.json", None),
        (FIXTURES / "hf_daily_papers_2025-09-17.json", "library.json", None),
        (FIXTURES / "arxiv_rss_cs.CL.xml", "cs.CL.xml", None),
        (FIXTURES / "arxiv_api_page1.xml", "refs.bib", None),
        (FIXTURES / "journal_html.xml", "journal.ris", None),
    ],
)
def test_citation_files_are_told_apart_from_feeds_by_their_content(path: Path, name: str, kind: str | None) -> None:
    assert looks_like_citations(path.read_bytes(), name) == kind


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (b"Provider: Example Publishing\r\nContent: text/plain\r\n\r\nTY  - JOUR\r\nTI  - X\r\nER  - \r\n", "a", "ris"),
        (b"This file was created with JabRef 2.10.\nEncoding: UTF8\n\n@article{k, title={X}}", "refs.bib", "bibtex"),
        (b"This file was created with JabRef 2.10.\nEncoding: UTF8\n\n@article{k, title={X}}", "notes.txt", None),
        (b"\xef\xbb\xbf% a comment\n\n@Article{k, title={X}}", "refs", "bibtex"),
        (b"[]", "library.json", None),  # an empty list is also a day without daily papers
        (b'[{"type": "PushEvent", "id": "1"}]', "events.json", None),
        (b'{"error": "Not Found"}', "x.json", None),
        (b'[{"paper": {"id": "2401.01234", "title": "X"}, "type": "article", "title": "X"}]', "x.json", None),
        (b"<!DOCTYPE html><html><body>@article{k, title={X}}</body></html>", "refs.bib", None),
        (b'<?xml version="1.0"?><rss><channel><description>@article{k,</description></channel></rss>', "x", None),
        (b"Dear reader,\nTY  - JOUR is how RIS starts.", "letter.txt", None),
        (b"", "empty.bib", None),
        (b"   \n\n", "blank.ris", None),
    ],
)
def test_what_is_and_is_not_claimed(data: bytes, name: str, kind: str | None) -> None:
    assert looks_like_citations(data, name) == kind


def test_no_feed_of_feedparsers_own_corpus_is_taken_for_a_citation_file(shared: Path) -> None:
    paths = [p for p in (shared / "corpus" / "feedparser-tests").rglob("*") if p.is_file()]
    paths += sorted((shared / "samples").iterdir())
    assert len(paths) > 2000
    assert [p for p in paths if looks_like_citations(p.read_bytes(), p.name) is not None] == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"just some words", "notes.bib", "notes.bib: not a BibTeX, RIS or CSL-JSON file"),
        (b"<!doctype html><html></html>", "page.bib", "page.bib: this is a web page, not a BibTeX, RIS or CSL-JSON"),
        (b"@article{a, title = {never closed", "broken.bib", "broken.bib: no entry could be read (line 1: "),
        (b"[" * 100_000, "deep.json", "deep.json: not a BibTeX, RIS or CSL-JSON file"),
        ((DATA / "hf_daily_papers_2024-10-25.json").read_bytes(), "daily.json", "daily.json: not a BibTeX"),
    ],
)
def test_a_file_that_is_not_a_citation_file_is_an_error_that_names_it(data: bytes, name: str, message: str) -> None:
    with pytest.raises(FeedError) as caught:
        read_citations(data, name=name)
    assert str(caught.value).startswith(message)


def test_an_empty_export_is_no_error() -> None:
    parsed = read_citations(b"% nothing exported yet\n@comment{x}\n", name="empty.bib")
    assert parsed.papers == () and parsed.warnings == ("empty.bib: there are no references in the file",)


# ---- into the library --------------------------------------------------------------------------------------


def from_feed(arxiv_id: str, title: str, authors: tuple[str, ...], abstract: str) -> IncomingPaper:
    """A paper as arXiv's RSS feed gives it."""
    return IncomingPaper(
        title=title,
        authors=authors,
        abstract=abstract,
        arxiv_id=arxiv_id,
        arxiv_version=1,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}v1",
        published="2019-05-24T04:00:00Z",
        categories=("cs.CL",),
    )


FEED = (
    from_feed(
        "1810.04805",
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        ("Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova"),
        "We introduce a new language representation model called BERT, which stands for Bidirectional Encoder "
        "Representations from Transformers. Unlike recent language representation models, BERT is designed to "
        "pre-train deep bidirectional representations from unlabeled text.",
    ),
    from_feed(
        "1706.03762",
        "Attention Is All You Need",
        (
            "Ashish Vaswani",
            "Noam Shazeer",
            "Niki Parmar",
            "Jakob Uszkoreit",
            "Llion Jones",
            "Aidan N. Gomez",
            "Łukasz Kaiser",
            "Illia Polosukhin",
        ),
        "The dominant sequence transduction models are based on complex recurrent or convolutional neural "
        "networks. We propose a new simple network architecture, the Transformer, based solely on attention.",
    ),
    from_feed(
        "2005.14165",
        "Language Models are Few-Shot Learners",
        ("Tom B. Brown", "Benjamin Mann", "Nick Ryder", "Melanie Subbiah"),
        "Recent work has demonstrated substantial gains on many NLP tasks and benchmarks by pre-training on a "
        "large corpus of text followed by fine-tuning on a specific task.",
    ),
)


def test_a_bib_from_another_tool_merges_with_the_arxiv_papers_already_here(library: Library) -> None:
    library.add_papers(FEED, source="f-x")
    before = {key: library.get(key) for key in (f"arxiv:{p.arxiv_id}" for p in FEED)}
    parsed = read("library.bib")
    result = library.add_papers(parsed.papers, source=parsed.title)

    # Three of the file's six papers were here already: they are one record each, not two.
    assert len(library) == 6
    godel_key, tsne_key, roberta_key = result.new  # in the file's order
    assert (godel_key, roberta_key) == ("doi:10.1007/bf01700692", "arxiv:1907.11692") and tsne_key.startswith("web:")
    assert result.updated == () and result.unchanged == 3
    for key, old in before.items():
        merged = library.get(key)
        assert merged.feeds == ("f-x", "library.bib")
        # What the feed said stays: the file's shorter abstract and its "et al." do not replace it.
        assert (merged.title, merged.authors, merged.abstract) == (old.title, old.authors, old.abstract)
        assert merged.arxiv_version == 1 and merged.content_updated is None
    # ...and what only the file knew is added.
    assert library.get("arxiv:2005.14165").journal_ref == (
        "Advances in Neural Information Processing Systems 33, 1877–1901 (2020)"
    )
    assert library.get("arxiv:1810.04805").extra == {"citation_key": "devlin_bert_2019"}

    # The papers only the file has read as they should: TeX kept in the record, shown as Unicode.
    godel = library.get(library.resolve("10.1007/BF01700692"))
    assert godel.title.startswith('{\\"U}ber') and godel.authors == ('Kurt G{\\"o}del',)
    shown = godel.as_shown()
    assert shown.title == "Über formal unentscheidbare Sätze der Principia Mathematica und verwandter Systeme I"
    assert shown.authors == ("Kurt Gödel",)
    assert godel.abs_url == "https://doi.org/10.1007/bf01700692" and cite_year(godel) == "1931"
    tsne = library.get(tsne_key)
    assert tsne.as_shown().title == "Visualizing Data using t-SNE"
    assert tsne.as_shown().authors == ("Laurens van der Maaten", "Geoffrey Hinton")
    roberta = library.get("arxiv:1907.11692").as_shown()
    assert roberta.title == "RoBERTa: A Robustly Optimized BERT Pretraining Approach"
    assert roberta.abs_url == "https://arxiv.org/abs/1907.11692" and roberta.feeds == ("library.bib",)

    # Importing the file again changes nothing.
    again = library.add_papers(read("library.bib").papers, source="library.bib")
    assert (again.new, again.updated, again.unchanged, len(library)) == ((), (), 6, 6)


def test_one_library_exported_three_ways_is_one_set_of_records(library: Library) -> None:
    library.add_papers(FEED, source="f-x")
    for name in ("library.bib", "library.ris", "library.json"):
        parsed = read(name)
        library.add_papers(parsed.papers, source=parsed.title)
    # From the feed: BERT, Attention, GPT-3. New: RoBERTa, Gödel and t-SNE (.bib), Deep learning (.ris), Gemma
    # (.json). t-SNE, in the .bib and the .json by its link alone, is one record: same link, same title.
    keys = library.keys()
    titles = sorted(library.get(k).as_shown().title for k in keys)
    assert titles == [
        "Attention Is All You Need",
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "Deep learning",
        "Gemma: Open Models Based on Gemini Research and Technology",
        "Language Models are Few-Shot Learners",
        "RoBERTa: A Robustly Optimized BERT Pretraining Approach",
        "Visualizing Data using t-SNE",
        "Über formal unentscheidbare Sätze der Principia Mathematica und verwandter Systeme I",
    ]
    assert library.get("arxiv:1810.04805").feeds == ("f-x", "library.bib", "library.json")
    assert library.get("arxiv:1706.03762").feeds == ("f-x", "library.bib", "library.ris")
