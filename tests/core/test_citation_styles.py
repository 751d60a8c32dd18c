"""References in the common citation styles (issue 15: Copy Citation had one fixed style), by the CSL styles."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli import run

from readinglist.core.errors import ExportError
from readinglist.core.export.styles import STYLES, references, style_id
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper

PAPER = IncomingPaper(
    title="Attention Is All You Need",
    arxiv_id="1706.03762",
    authors=("Ashish Vaswani", "Noam Shazeer", "Niki Parmar"),
    published="2017-06-12T00:00:00Z",
    journal_ref="NeurIPS 2017",
)


@pytest.fixture
def lib(library: Library) -> Library:
    library.add_papers([PAPER, IncomingPaper(title="Sparse Attention", arxiv_id="2501.00001", authors=("Benoît Sagot",),
                                             published="2025-01-02T00:00:00Z")], source="test")  # fmt: skip
    return library


EXPECTED = {
    "apa": "Vaswani, A., Shazeer, N., & Parmar, N. (2017).",
    "ieee": "[1] A. Vaswani, N. Shazeer, and N. Parmar, “Attention Is All You Need”",
    "association-for-computing-machinery": "[1] Ashish Vaswani, Noam Shazeer, and Niki Parmar. 2017. Attention Is All",
    "chicago-author-date": "Vaswani, A., N. Shazeer, and N. Parmar. 2017. “Attention Is All You Need”.",
    "nature": "1. Vaswani, A., Shazeer, N. & Parmar, N. Attention Is All You Need.",
}


@pytest.mark.parametrize("style", list(STYLES))
def test_each_style_reads_as_that_style(lib: Library, style: str) -> None:
    text = references(lib, ["arxiv:1706.03762"], style)
    assert text.startswith(EXPECTED[style]), text
    assert "\n" not in text


def test_several_papers_are_one_reference_a_line_accents_kept(lib: Library) -> None:
    text = references(lib, ["arxiv:1706.03762", "arxiv:2501.00001"], "ieee")
    lines = text.splitlines()
    assert len(lines) == 2 and lines[0].startswith("[1] ") and lines[1].startswith("[2] B. Sagot")


def test_a_style_is_named_by_id_or_name_and_an_unknown_one_is_refused() -> None:
    assert style_id("ACM") == "association-for-computing-machinery" and style_id("chicago") == "chicago-author-date"
    with pytest.raises(ExportError, match="not a citation style"):
        style_id("mla")


def test_cite_on_the_command_line(tmp_path: Path) -> None:
    data = str(tmp_path / "lib")
    with Library.open(Path(data)) as lib:
        lib.add_papers([PAPER], source="test")
    code, out, _ = run("--data-dir", data, "cite", "1706.03762", "--style", "nature")
    assert code == 0 and out.startswith(EXPECTED["nature"])
    code, _, err = run("--data-dir", data, "cite", "1706.03762", "--style", "mla")
    assert code == 1 and "not a citation style" in err


def test_a_paper_without_authors_gets_its_title_once(library: Library) -> None:
    library.add_papers([IncomingPaper(title="2D Matryoshka Sentence Embeddings", arxiv_id="2402.14776")], source="t")
    text = references(library, ["arxiv:2402.14776"], "apa")
    assert text.count("2D Matryoshka Sentence Embeddings") == 1, text
