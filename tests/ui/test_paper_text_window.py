"""The paper pane and the note preview show a paper's text whole: TeX as Unicode, angle brackets as typed."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from uitools import WindowFactory, wait_idle

from readinglist.app import App
from readinglist.core.importer import read_feed_file
from readinglist.ui.main_window import MainWindow
from readinglist.ui.paper_model import COL_TITLE

FIXTURES = Path(__file__).resolve().parents[1] / "core" / "fixtures"
NBSP = "\u00a0"


def _library_with_arxiv_text(data_dir: Path) -> None:
    with App(data_dir).open_library() as lib:
        for name in ("arxiv_rss_text.xml", "arxiv_atom_text.xml"):
            parsed = read_feed_file(FIXTURES / name)
            lib.add_papers(parsed.papers, source=parsed.title)


def _open_paper(qtbot: QtBot, window: MainWindow, arxiv_id: str) -> str:
    row = next(i for i, k in enumerate(window.model.shown_keys()) if k == f"arxiv:{arxiv_id}")
    window.list.select_row(row)
    qtbot.waitUntil(lambda: window.pane.key == f"arxiv:{arxiv_id}")
    return window.pane.details.toPlainText()


def test_the_pane_shows_math_and_accented_authors_as_a_reader_expects(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    _library_with_arxiv_text(data_dir)
    window = open_window(data_dir)
    text = _open_paper(qtbot, window, "2512.00001")
    assert text.startswith("Beyond <think>: Hidden Reasoning Tokens\nBenoît Sagot, José García, Erwin Schrödinger")
    assert "delimited by <think> and <answer> tags" in text and "(<26% pass rates)" in text and "(p < 0.001)" in text
    text = _open_paper(qtbot, window, "2512.00004")
    # (toPlainText gives the formula's no-break spaces as spaces)
    assert text.startswith("Sorting in 𝒪(n log n) with ε-Nets\nPaul Erdős, Kurt Gödel")
    assert f"𝒪(n{NBSP}log{NBSP}n)" in window.pane.details.toHtml()  # the formula does not wrap
    # The list shows the same reading, and sorts by it.
    rows = range(window.model.rowCount())
    titles = [window.model.data(window.model.index(r, COL_TITLE), Qt.ItemDataRole.DisplayRole) for r in rows]
    assert "Sparse Attention for BabyLM Models" in titles and not any("\\" in str(t) for t in titles)


def test_the_note_preview_shows_angle_brackets_and_everything_after_them(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    _library_with_arxiv_text(data_dir)
    window = open_window(data_dir)
    _open_paper(qtbot, window, "2512.00002")
    window.pane.notes.start_editing()
    note = (
        "The <mask> token replaces 15% of **inputs**.\n\n"
        "`List<int>` and List<int> both, then <br> and <s> and\n\n"
        "<iframe src='https://example.org'></iframe> and the last line."
    )
    window.pane.notes.editor.setPlainText(note)
    window.pane.notes.stop_editing()  # saved; then away and back, as a reader coming back to the paper
    _open_paper(qtbot, window, "2512.00001")
    _open_paper(qtbot, window, "2512.00002")
    wait_idle(qtbot, window)
    assert window.model.state("arxiv:2512.00002").note == note
    preview = window.pane.notes.preview.toPlainText()
    assert "The <mask> token replaces 15% of inputs." in preview  # Markdown still renders: ** is gone
    assert "List<int> and List<int> both, then <br> and <s> and" in preview
    assert "<iframe src='https://example.org'></iframe> and the last line." in preview
