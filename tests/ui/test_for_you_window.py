"""For you, Not interested, More like this and Trending in the window (issue 12), driven by keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from uitools import WindowFactory, read_library, wait_idle

from readinglist.app import App
from readinglist.core.importer import read_feed_file
from readinglist.ui.library_jobs import FOR_YOU, Selection
from readinglist.ui.main_window import MainWindow
from readinglist.ui.paper_model import COL_TITLE
from readinglist.ui.settings import MarkReadMode

DATA = Path(__file__).resolve().parents[1] / "data"
DIFFUSION = [f"arxiv:2511.{n:05d}" for n in range(1, 10)]
NEW_DIFFUSION, NEW_PARSING, NEW_RL, NEAR_DUPLICATE = (f"arxiv:2512.0090{n}" for n in range(1, 5))


def press(
    qtbot: QtBot, window: MainWindow, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifier)


def make_library(data_dir: Path, stars: int) -> None:
    with App(data_dir).open_library() as lib:
        lib.add_papers(read_feed_file(DATA / "topics-feed.xml").papers, source="topics")
        lib.set_starred(DIFFUSION[:stars], True)
        lib.add_papers(read_feed_file(DATA / "topics-new-day.xml").papers, source="new day")


def show(qtbot: QtBot, window: MainWindow, selection: Selection) -> None:
    window.show_view(selection)
    qtbot.waitUntil(lambda: window.selection == selection and window.worker.pending == 0)
    wait_idle(qtbot, window)


@pytest.fixture
def ranked_window(qtbot: QtBot, data_dir: Path, open_window: WindowFactory) -> MainWindow:
    make_library(data_dir, stars=5)
    window = open_window(data_dir)
    show(qtbot, window, FOR_YOU)
    return window


def test_for_you_lists_the_new_diffusion_paper_first_and_the_pane_says_why(
    qtbot: QtBot, ranked_window: MainWindow
) -> None:
    window = ranked_window
    keys = window.model.shown_keys()
    diffusion = {*DIFFUSION, NEW_DIFFUSION, NEAR_DUPLICATE}
    assert set(keys[:5]) <= diffusion, keys[:5]  # the unstarred diffusion papers, old and new, lead
    assert keys.index(NEW_DIFFUSION) < keys.index(NEW_PARSING)
    assert not window.view_notice.isVisible()
    tip = window.model.data(window.model.index(keys.index(NEW_DIFFUSION), COL_TITLE), Qt.ItemDataRole.ToolTipRole)
    assert "Why:" in tip and any(w in tip.lower() for w in ("diffusion", "denoising", "sampling")), tip
    window.list.select_row(keys.index(NEW_DIFFUSION))
    qtbot.waitUntil(lambda: window.pane.key == NEW_DIFFUSION)
    qtbot.waitUntil(lambda: "Why for you:" in window.pane.details.toPlainText())
    assert window.pane.why_text  # the words, from the paper itself
    assert window.counts is not None and window.counts.views["for-you"] == len(keys)


def test_not_interested_takes_the_paper_out_and_ctrl_z_brings_it_back(
    qtbot: QtBot, ranked_window: MainWindow, data_dir: Path
) -> None:
    window = ranked_window
    window.set_mark_read_mode(MarkReadMode.NEVER)  # opening the paper leaves it unread: in For you until X
    counted = window.counts.views["for-you"] if window.counts else 0
    window.list.select_row(window.model.shown_keys().index(NEW_RL))
    qtbot.waitUntil(lambda: window.pane.key == NEW_RL)
    window.list.setFocus()
    press(qtbot, window, Qt.Key.Key_X)
    assert window.model.state(NEW_RL).dismissed  # shown at once
    wait_idle(qtbot, window)
    with read_library(data_dir) as lib:
        assert lib.state(NEW_RL).dismissed
    assert window.counts is not None and window.counts.views["for-you"] == counted - 1
    window.reload_view()
    wait_idle(qtbot, window)
    assert NEW_RL not in window.model.shown_keys()  # (X moved on to the next paper)
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window)
    with read_library(data_dir) as lib:
        assert not lib.state(NEW_RL).dismissed
    assert window.counts is not None and window.counts.views["for-you"] == counted


def test_more_like_this_opens_a_view_with_the_near_duplicate_first(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    make_library(data_dir, stars=5)
    window = open_window(data_dir)
    show(qtbot, window, Selection("view", "all"))
    window.list.select_row(window.model.shown_keys().index(DIFFUSION[0]))
    qtbot.waitUntil(lambda: window.pane.key == DIFFUSION[0])
    window.list.setFocus()
    press(qtbot, window, Qt.Key.Key_L)
    qtbot.waitUntil(lambda: window.selection.kind == "similar")
    wait_idle(qtbot, window)
    keys = window.model.shown_keys()
    assert keys[0] == NEAR_DUPLICATE and DIFFUSION[0] not in keys[:-1]
    assert window.view_title.text() == "More like this" and "most like" in window.view_notice.text()


def test_with_too_little_evidence_for_you_says_so_and_lists_the_newest(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    make_library(data_dir, stars=2)
    window = open_window(data_dir)
    show(qtbot, window, FOR_YOU)
    assert window.view_notice.isVisible()
    text = window.view_notice.text()
    assert "needs 5" in text and "you have 2" in text and "Press S" in text
    assert window.model.rowCount() > 0


def test_a_star_in_for_you_ranks_the_view_again_and_keeps_the_paper_being_read(
    qtbot: QtBot, ranked_window: MainWindow
) -> None:
    window = ranked_window
    window.set_mark_read_mode(MarkReadMode.NEVER)
    before = window.model.shown_keys()
    rl = [f"arxiv:2511.{n:05d}" for n in range(19, 28)]  # the reinforcement learning papers
    window.list.select_row(before.index(NEW_RL))
    qtbot.waitUntil(lambda: window.pane.key == NEW_RL)
    window.list.setFocus()
    with qtbot.waitSignal(window.view_loaded, timeout=3000):  # ranked again within a second or so
        press(qtbot, window, Qt.Key.Key_S)  # a reinforcement learning paper: more of those, please
    wait_idle(qtbot, window)
    after = window.model.shown_keys()
    assert window.pane.key == NEW_RL and window.list.current_key() == NEW_RL  # the user's place is kept
    assert sum(after.index(k) for k in rl if k in after) < sum(before.index(k) for k in rl)  # its topic moved up
