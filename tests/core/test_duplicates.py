"""Offering to join records that are one paper although no identifier links them (an arXiv paper and its journal
version), and never offering it for records that only look alike."""

from __future__ import annotations

from typing import Any

from readinglist.core.duplicates import SamePaper, find_same_papers, is_generic_title

TITLE = "Sparse Attention for Long Documents"


def doc(
    key: str, title: str = TITLE, authors: tuple[str, ...] = ("Benoît Sagot", "A. Other"), **fields: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key, "title": title, "authors": list(authors), "ids": [key]}
    out.update(fields)
    return out


def library(*docs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["key"]: d for d in docs}


def arxiv_and_journal() -> dict[str, dict[str, Any]]:
    return library(
        doc("doi:10.1000/j.1", authors=("Sagot, B.", "Other, A."), doi="10.1000/j.1", published="2024-03-01",
            first_seen="2024-01-01T00:00:00Z"),
        doc("arxiv:2301.00001", arxiv_id="2301.00001", doi="10.48550/arXiv.2301.00001", published="2023-01-02",
            first_seen="2024-06-01T00:00:00Z"),
    )  # fmt: skip


def test_the_journal_version_of_an_arxiv_paper_is_offered_keeping_the_arxiv_record() -> None:
    [pair] = find_same_papers(arxiv_and_journal())
    assert (pair.keep, pair.other) == ("arxiv:2301.00001", "doi:10.1000/j.1")
    assert "Sagot" in pair.reason and TITLE in pair.reason


def test_titles_are_compared_as_read_and_normalized() -> None:
    docs = library(
        doc("web:a", title="Sparse  attention for long documents.", first_seen="2024-02-01"),
        doc("web:b", title="Sparse {A}ttention for Long Documents", first_seen="2024-01-01",
            authors=("Beno\\^it Sagot",)),
    )  # fmt: skip
    assert find_same_papers(docs) == [SamePaper("web:b", "web:a", find_same_papers(docs)[0].reason)]


def test_without_an_arxiv_id_the_record_seen_first_is_kept() -> None:
    docs = library(doc("web:new", first_seen="2024-05-01"), doc("web:old", first_seen="2023-05-01"))
    [pair] = find_same_papers(docs)
    assert (pair.keep, pair.other) == ("web:old", "web:new")


def test_two_editorials_by_the_same_editor_stay_apart() -> None:
    docs = library(
        doc("doi:10.1000/e1", title="Editorial", authors=("Jane Editor",), doi="10.1000/e1"),
        doc("web:e2", title="Editorial", authors=("Jane Editor",)),
        doc("web:e3", title="Editorial: In this issue of the journal", authors=("Jane Editor",)),
        doc("web:e4", title="Editorial: In this issue of the journal", authors=("Jane Editor",)),
        doc("web:e5", title="Erratum to Sparse Attention for Long Documents", authors=("Jane Editor",)),
        doc("web:e6", title="Erratum to Sparse Attention for Long Documents", authors=("Jane Editor",)),
    )
    assert find_same_papers(docs) == []


def test_generic_titles() -> None:
    for title in ("Editorial", "Book Reviews", "Table of Contents 12", "Corrigendum: a note", "Front matter",
                  "In This Issue", "Acknowledgments to reviewers", "Correction to: Sparse attention"):  # fmt: skip
        assert is_generic_title(title), title
    assert not is_generic_title(TITLE)
    assert not is_generic_title("An introduction to sparse attention")


def test_short_titles_are_not_enough() -> None:
    assert (
        find_same_papers(library(doc("web:a", title="Sparse Attention"), doc("web:b", title="Sparse Attention"))) == []
    )


def test_same_title_by_another_first_author_stays_apart() -> None:
    docs = library(doc("web:a"), doc("web:b", authors=("Benoît Durand", "Benoît Sagot")))
    assert find_same_papers(docs) == []


def test_two_arxiv_ids_are_two_papers() -> None:
    docs = library(doc("arxiv:2301.00001", arxiv_id="2301.00001"), doc("arxiv:2302.00002", arxiv_id="2302.00002"))
    assert find_same_papers(docs) == []


def test_two_dois_are_two_papers_unless_one_is_arxivs() -> None:
    docs = library(doc("doi:10.1000/a", doi="10.1000/a"), doc("doi:10.2000/b", doi="10.2000/b"))
    assert find_same_papers(docs) == []
    docs = library(
        doc("doi:10.1000/a", doi="10.1000/a"), doc("doi:10.48550/arxiv.2301.00001", doi="10.48550/arXiv.2301.00001")
    )
    [pair] = find_same_papers(docs)
    assert pair.keep == "doi:10.48550/arxiv.2301.00001"  # an arXiv DOI names an arXiv record


def test_years_far_apart_are_two_papers() -> None:
    docs = library(doc("web:a", published="2015-01-01"), doc("web:b", published="2019-06-01"))
    assert find_same_papers(docs) == []
    docs = library(doc("web:a", published="2017-01-01"), doc("web:b", published="2019-06-01"))
    assert len(find_same_papers(docs)) == 1


def test_keys_restrict_to_pairs_with_those_records() -> None:
    docs = arxiv_and_journal()
    docs.update(library(doc("web:x", title="Another Paper About Something Else"),
                        doc("web:y", title="Another Paper About Something Else")))  # fmt: skip
    assert len(find_same_papers(docs)) == 2
    assert [p.other for p in find_same_papers(docs, keys=["doi:10.1000/j.1"])] == ["doi:10.1000/j.1"]
    assert [p.keep for p in find_same_papers(docs, keys=["web:y"])] == ["web:x"]
    assert find_same_papers(docs, keys=["web:absent"]) == []
    assert find_same_papers(docs, keys=[]) == []


def test_the_order_is_stable() -> None:
    docs = arxiv_and_journal()
    docs.update(library(doc("web:x", title="Another Paper About Something Else", first_seen="1"),
                        doc("web:y", title="Another Paper About Something Else", first_seen="2")))  # fmt: skip
    forward = find_same_papers(docs)
    backward = find_same_papers(dict(reversed(list(docs.items()))))
    assert forward == backward == sorted(forward, key=lambda p: (p.keep, p.other))


def test_records_without_authors_or_title_are_passed_over() -> None:
    docs = library(doc("web:a", authors=()), doc("web:b", authors=()), doc("web:c", title=""), doc("web:d", title=""))
    assert find_same_papers(docs) == []
