"""Two records of one paper that no identifier links (issue 13): offered as "same paper?", merged only on the
user's word, keeping everything the user did on either, and undone exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from readinglist.cli.main import main
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper

ARXIV = IncomingPaper(
    title="Sparse Attention for Long French Documents",
    arxiv_id="2501.00001",
    authors=("Benoît Sagot", "Djamé Seddah"),
    abstract="We study sparse attention.",
    published="2025-01-02T00:00:00Z",
    categories=("cs.CL",),
)
JOURNAL = IncomingPaper(
    title="Sparse attention for long French documents",
    doi="10.1000/jfnlp.2025.3",
    authors=("B. Sagot", "D. Seddah"),
    journal_ref="J. French NLP 3 (2025)",
    url="https://journal.example/articles/3",
    published="2025-06-01T00:00:00Z",
)
EDITORIALS = [IncomingPaper(title="Editorial", doi=f"10.1000/ed.{n}", authors=("Ann Lee",)) for n in (1, 2)]


def snapshot(lib: Library) -> dict[str, object]:
    keys = list(lib.keys())
    return {k: (dict(lib.doc(k)), lib.state(k)) for k in keys}


@pytest.fixture
def lib(library: Library) -> Library:
    library.add_papers([ARXIV, JOURNAL, *EDITORIALS], source="feed")
    library.set_starred(["arxiv:2501.00001"], True)
    library.set_note("doi:10.1000/jfnlp.2025.3", "Read the journal version's appendix.")
    library.add_tags(["doi:10.1000/jfnlp.2025.3"], ["to-cite"])
    return library


def test_the_journal_version_is_offered_and_two_editorials_are_not(lib: Library) -> None:
    pairs = lib.same_papers()
    assert [(p.keep, p.other) for p in pairs] == [("arxiv:2501.00001", "doi:10.1000/jfnlp.2025.3")]
    assert "Sagot" in pairs[0].reason
    assert len(lib) == 4  # offered, never merged by itself


def test_merging_keeps_the_star_the_note_and_the_tags_and_the_journal_never_comes_back(lib: Library) -> None:
    lib.merge_papers("arxiv:2501.00001", "doi:10.1000/jfnlp.2025.3")
    assert len(lib) == 3
    state = lib.state("arxiv:2501.00001")
    assert state.starred and state.note == "Read the journal version's appendix." and state.tags == ("to-cite",)
    paper = lib.get("arxiv:2501.00001")
    assert paper.doi == "10.1000/jfnlp.2025.3" and paper.journal_ref == "J. French NLP 3 (2025)"
    # Every name the journal record went by now finds the one record; the journal feed does not add it again.
    assert lib.resolve("doi:10.1000/jfnlp.2025.3") == "arxiv:2501.00001"
    assert lib.resolve("10.1000/jfnlp.2025.3") == "arxiv:2501.00001"
    result = lib.add_papers([JOURNAL], source="journal")
    assert not result.new and len(lib) == 3
    assert lib.same_papers() == []
    assert lib.search("appendix") == {"arxiv:2501.00001"}


def test_two_notes_are_both_kept(lib: Library) -> None:
    lib.set_note("arxiv:2501.00001", "arXiv note")
    lib.merge_papers("arxiv:2501.00001", "doi:10.1000/jfnlp.2025.3")
    note = lib.state("arxiv:2501.00001").note
    assert "arXiv note" in note and "journal version's appendix" in note


def test_unmerge_puts_both_records_back_as_they_were(lib: Library, data_dir: Path) -> None:
    before = snapshot(lib)
    merge = lib.merge_papers("arxiv:2501.00001", "doi:10.1000/jfnlp.2025.3")
    lib.unmerge(merge)
    assert snapshot(lib) == before
    with Library.open(data_dir, writer=False) as again:  # and on disk
        assert snapshot(again) == before


def test_same_and_merge_on_the_command_line(lib: Library, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib.close()
    assert main(["--data-dir", str(data_dir), "same"]) == 0
    out = capsys.readouterr().out
    assert "arxiv:2501.00001  <-  doi:10.1000/jfnlp.2025.3" in out and "Editorial" not in out
    assert main(["--data-dir", str(data_dir), "merge", "2501.00001", "doi:10.1000/jfnlp.2025.3"]) == 0
    assert "kept: starred, a note, tags" in capsys.readouterr().out
    assert main(["--data-dir", str(data_dir), "merge", "2501.00001", "2501.00001"]) == 1
    assert "one record already" in capsys.readouterr().err
