"""A 2 MB title, a 3 MB abstract and a 3.2 MB pasted note: the window lays out a generous part of each and says
so, and the library keeps every character (hostile input, item 8)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from uitools import WindowFactory, read_library, wait_idle

from readinglist.app import App
from readinglist.core.feeds import FeedSpec
from readinglist.core.models import IncomingPaper
from readinglist.ui.paper_model import COL_TITLE


def test_huge_title_abstract_and_note_are_shown_in_part_and_kept_whole(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    title = "Huge " + "title words " * 180_000  # about 2 MB
    abstract = "An abstract sentence that goes on. " * 90_000  # about 3 MB
    with App(data_dir).open_library() as lib:
        key = lib.add_papers([IncomingPaper(title=title, abstract=abstract, arxiv_id="2512.09999")], source="x").new[0]
    window = open_window(data_dir)
    assert len(window.model.data(window.model.index(0, COL_TITLE))) < 600
    window.list.select_row(0)
    qtbot.waitUntil(lambda: window.pane.key == key)
    shown = window.pane.details.toPlainText()
    assert len(shown) < 60_000 and "more characters, kept in the library" in shown
    note = "A pasted line of a very long note.\n" * 90_000  # about 3.2 MB
    window.pane.notes.start_editing()
    window.pane.notes.editor.setPlainText(note)
    window.pane.notes.stop_editing()
    wait_idle(qtbot, window)
    assert len(window.pane.notes.preview.toPlainText()) < 110_000
    with read_library(data_dir) as library:
        paper = library.get(key)
        assert paper.title == title and paper.abstract == abstract
        assert library.state(key).note == note


def test_bidi_overrides_and_escapes_from_a_feed_are_shown_as_visible_escapes(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    """A right-to-left override makes "gnp\u202eexe.png" read as "gnpgnp.exe"; the window shows the override."""
    title = "Figures in gnp\u202eexe.png and \x1b[2J"
    with App(data_dir).open_library() as lib:
        feed = lib.feeds.add(FeedSpec("https://example.org/feed", name="Evil\u202e feed"))
        paper = IncomingPaper(title=title, authors=("Eve\u2066 Red",), abstract="x", arxiv_id="2512.09998")
        key = lib.add_papers([paper], source=feed.id).new[0]
    window = open_window(data_dir)
    shown = [window.model.data(window.model.index(0, col)) for col in range(window.model.columnCount())] + [
        window.model.data(window.model.index(0, COL_TITLE), Qt.ItemDataRole.ToolTipRole)
    ]
    window.list.select_row(0)
    qtbot.waitUntil(lambda: window.pane.key == key)
    shown.append(window.pane.details.toPlainText())
    sidebar = window.sidebar.model()
    shown += [
        sidebar.data(sidebar.index(r, 0, sidebar.index(s, 0)))
        for s in range(sidebar.rowCount())
        for r in range(sidebar.rowCount(sidebar.index(s, 0)))
    ]
    text = "\n".join(str(s) for s in shown if s)
    assert not any(c in text for c in "\u202e\u2066\x1b"), text
    assert "gnp\\u202eexe.png" in text and "Eve\\u2066 Red" in text and "Evil\\u202e feed" in text
    with read_library(data_dir) as library:
        assert library.get(key).title == title  # stored as the feed sent it
