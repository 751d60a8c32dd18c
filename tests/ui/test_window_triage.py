"""The window driven from the keyboard only, as a user goes through a morning's papers."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QToolButton
from pytestqt.qtbot import QtBot
from uitools import WindowFactory, read_library, reopen, wait_idle

from readinglist.core.library import Library
from readinglist.ui.library_jobs import Selection
from readinglist.ui.main_window import MainWindow
from readinglist.ui.settings import MarkReadMode

CTRL = Qt.KeyboardModifier.ControlModifier


def press(
    qtbot: QtBot, window: MainWindow, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    """A key pressed wherever the focus is, as the user would."""
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key, modifier)


def test_a_keyboard_triage_session_is_on_disk_after_a_restart(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir)
    keys = window.model.shown_keys()
    assert len(keys) == 60 and window.pane.key is None  # nothing is opened (or marked read) by itself

    press(qtbot, window, Qt.Key.Key_J)  # the first paper, marked read as it opens
    press(qtbot, window, Qt.Key.Key_J)
    assert window.pane.key == keys[1]
    press(qtbot, window, Qt.Key.Key_S)  # star it
    assert window.model.state(keys[1]).starred  # shown in the same frame, before the write
    press(qtbot, window, Qt.Key.Key_E)  # write a note; the letters go to the note, not to the shortcuts
    assert QApplication.focusWidget() is window.pane.notes.editor
    qtbot.keyClicks(window.pane.notes.editor, "Read *this* first: sets the baseline")
    press(qtbot, window, Qt.Key.Key_Escape)  # back to the list; the note is saved on leaving
    assert QApplication.focusWidget() is window.list
    press(qtbot, window, Qt.Key.Key_J)
    press(qtbot, window, Qt.Key.Key_M)  # keep the third paper unread for later...
    assert not window.model.state(keys[2]).read
    press(qtbot, window, Qt.Key.Key_Z, CTRL)  # ...changed my mind: undo puts it back to read
    wait_idle(qtbot, window)
    assert window.model.state(keys[2]).read
    press(qtbot, window, Qt.Key.Key_N)  # the next unread paper
    assert window.pane.key == keys[3]
    press(qtbot, window, Qt.Key.Key_S)
    press(qtbot, window, Qt.Key.Key_Z, CTRL)  # undo the star straight away, before its write is answered
    wait_idle(qtbot, window)
    assert not window.model.state(keys[3]).starred
    assert window.counts is not None and window.counts.unread == 56
    assert window.windowTitle() == "56 unread — Reading List"

    window = reopen(window, open_window)
    with read_library(sample_dir) as lib:
        states = {k: lib.state(k) for k in keys[:5]}
    assert [s.read for s in states.values()] == [True, True, True, True, False]
    assert [s.starred for s in states.values()] == [False, True, False, False, False]
    assert states[keys[1]].note == "Read *this* first: sets the baseline"
    # The window comes back on the same view; the papers read meanwhile have left the Inbox.
    assert window.selection.to_text() == "view:unread"
    assert window.model.rowCount() == 56 and keys[1] not in window.model.shown_keys()
    assert window.counts is not None and window.counts.unread == 56 and window.counts.views["starred"] == 1
    window.show_view(Selection("view", "starred"))
    wait_idle(qtbot, window)
    assert window.model.shown_keys() == [keys[1]]
    assert window.model.state(keys[1]).note == "Read *this* first: sets the baseline"


def test_a_note_typed_just_before_closing_is_saved(qtbot: QtBot, sample_dir: Path, open_window: WindowFactory) -> None:
    window = open_window(sample_dir, mark_read=MarkReadMode.NEVER)
    press(qtbot, window, Qt.Key.Key_J)
    key = window.pane.key
    press(qtbot, window, Qt.Key.Key_E)
    qtbot.keyClicks(window.pane.notes.editor, "half a thought")
    window.close()  # within the second the editor waits before saving
    with read_library(sample_dir) as lib:
        assert lib.state(key).note == "half a thought"
        assert not lib.state(key).read  # "never" means never


def test_the_note_saves_itself_and_leaving_the_paper_saves_it_at_once(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir)
    press(qtbot, window, Qt.Key.Key_J)
    first = window.pane.key
    press(qtbot, window, Qt.Key.Key_E)
    qtbot.keyClicks(window.pane.notes.editor, "debounced")
    assert window.pane.notes.dirty
    qtbot.waitUntil(lambda: not window.pane.notes.dirty, timeout=3000)  # a second after the last key
    wait_idle(qtbot, window)
    assert window.model.state(first).note == "debounced"
    qtbot.keyClicks(window.pane.notes.editor, " and more")
    window.list.select_row(5)  # leave the paper by mouse: saved without waiting
    wait_idle(qtbot, window)
    assert window.model.state(first).note == "debounced and more"
    assert window.counts is not None and window.counts.views["noted"] == 1
    # The preview shows the note rendered.
    window.list.select_row(0)
    assert "debounced and more" in window.pane.notes.preview.toPlainText()


def test_mark_all_in_view_as_read_asks_above_fifty_and_undo_brings_them_back(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(sample_dir)
    asked: list[str] = []
    answer = False
    monkeypatch.setattr(window, "confirm", lambda title, text: asked.append(text) or answer)
    press(qtbot, window, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    assert asked and "60" in asked[0]
    assert not any(window.model.state(k).read for k in window.model.shown_keys())  # "no": nothing changed

    answer = True
    press(qtbot, window, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    assert all(window.model.state(k).read for k in window.model.shown_keys())  # at once, before the write
    wait_idle(qtbot, window)
    assert window.counts is not None and window.counts.unread == 0
    assert window.windowTitle() == "0 unread — Reading List"

    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    wait_idle(qtbot, window)
    assert window.counts is not None and window.counts.unread == 60
    with read_library(sample_dir) as lib:
        assert lib.stats().unread == 60


def test_a_small_view_is_marked_read_without_asking(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(sample_dir)
    monkeypatch.setattr(window, "confirm", lambda *_: pytest.fail("asked for 3 papers"))
    qtbot.keyClicks(window.search, "masked language")  # narrow the view first
    press(qtbot, window, Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    shown = window.model.shown_keys()
    assert 0 < len(shown) <= 50
    press(qtbot, window, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    wait_idle(qtbot, window)
    assert window.counts is not None and window.counts.unread == 60 - len(shown)


def test_every_library_call_runs_on_the_library_thread(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every public method of the Library records the thread that calls it, through a morning's triage.
    calls: list[tuple[str, int]] = []
    for name in [n for n in vars(Library) if not n.startswith("_") and callable(getattr(Library, n))]:
        method = getattr(Library, name)
        if isinstance(vars(Library)[name], (classmethod, staticmethod)):
            continue

        def recording(self: Library, *args: Any, _name: str = name, _method: Any = method, **kw: Any) -> Any:
            calls.append((_name, threading.get_ident()))
            return _method(self, *args, **kw)

        monkeypatch.setattr(Library, name, recording)
    window = open_window(sample_dir)
    for key in (Qt.Key.Key_J, Qt.Key.Key_J, Qt.Key.Key_S, Qt.Key.Key_M):
        press(qtbot, window, key)
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    press(qtbot, window, Qt.Key.Key_Slash)
    qtbot.keyClicks(QApplication.focusWidget(), "retrieval")
    wait_idle(qtbot, window)
    names = {n for n, _ in calls}
    assert {"query", "set_starred", "set_read", "put_states", "search"} <= names
    gui = threading.get_ident()
    assert window.worker.thread_id not in (None, gui)
    assert {thread for _, thread in calls} == {window.worker.thread_id}


def test_read_on_open_after_a_delay_and_never(qtbot: QtBot, sample_dir: Path, open_window: WindowFactory) -> None:
    window = open_window(sample_dir, mark_read=MarkReadMode.DELAYED, read_delay_ms=400)
    assert window.mark_read_actions[MarkReadMode.DELAYED].text() == "After &0.4 Seconds"
    press(qtbot, window, Qt.Key.Key_J)
    key = window.pane.key
    assert key is not None and not window.model.state(key).read
    qtbot.waitUntil(lambda: window.model.state(key).read, timeout=2000)
    # Passed over quickly: not read.
    press(qtbot, window, Qt.Key.Key_J)
    skipped = window.pane.key
    press(qtbot, window, Qt.Key.Key_J)
    qtbot.wait(600)
    assert skipped is not None and not window.model.state(skipped).read

    window.set_mark_read_mode(MarkReadMode.NEVER)
    press(qtbot, window, Qt.Key.Key_J)
    qtbot.wait(100)
    assert window.pane.key is not None and not window.model.state(window.pane.key).read
    window = reopen(window, open_window)
    assert window.mark_read_mode is MarkReadMode.NEVER
    assert window.mark_read_actions[MarkReadMode.NEVER].isChecked()


def test_tags_are_added_with_t_and_come_back_in_the_sidebar(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir)
    press(qtbot, window, Qt.Key.Key_J)
    key = window.pane.key
    press(qtbot, window, Qt.Key.Key_T)
    assert QApplication.focusWidget() is window.pane.tag_bar.edit
    qtbot.keyClicks(window.pane.tag_bar.edit, "to read, baseline")
    press(qtbot, window, Qt.Key.Key_Return)
    # Enter adds them and leaves the field open: the next tag typed at once keeps its first letter (it used to
    # fall into T and "to-cite" became "o-cite").
    assert QApplication.focusWidget() is window.pane.tag_bar.edit
    qtbot.keyClicks(window.pane.tag_bar.edit, "to-cite")
    press(qtbot, window, Qt.Key.Key_Return)
    press(qtbot, window, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is window.list  # Enter in the empty field: done tagging
    wait_idle(qtbot, window)
    assert window.model.state(key).tags == ("to read", "baseline", "to-cite")
    window.pane.tag_removed.emit(key, "to-cite")
    wait_idle(qtbot, window)
    assert window.model.state(key).tags == ("to read", "baseline")
    assert window.counts is not None and dict(window.counts.tags) == {"baseline": 1, "to read": 1}
    assert window.sidebar_model.index_of(window.sidebar_model.selections()[-1]).isValid()
    # Backspace in the empty field takes the last tag off; undo puts it back.
    press(qtbot, window, Qt.Key.Key_T)
    press(qtbot, window, Qt.Key.Key_Backspace)
    wait_idle(qtbot, window)
    assert window.model.state(key).tags == ("to read",)
    press(qtbot, window, Qt.Key.Key_Escape)
    press(qtbot, window, Qt.Key.Key_Z, CTRL)
    wait_idle(qtbot, window)
    assert window.model.state(key).tags == ("to read", "baseline")

    def chips() -> list[str]:
        return [c.text() for c in window.pane.tag_bar.findChildren(QToolButton, "tagChip") if c.isVisible()]

    qtbot.waitUntil(lambda: chips() == ["to read  ✕", "baseline  ✕"])
    press(qtbot, window, Qt.Key.Key_J)  # a paper with no tags shows no chips, at once
    assert chips() == []


def test_o_and_enter_open_the_paper_page_in_the_browser(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()) or True)
    window = open_window(sample_dir)
    press(qtbot, window, Qt.Key.Key_J)
    press(qtbot, window, Qt.Key.Key_O)
    press(qtbot, window, Qt.Key.Key_Return)
    assert window.pane.row is not None
    assert opened == [window.pane.row.abs_url] * 2
    assert opened[0].startswith("https://arxiv.org/")


def test_the_paper_left_open_and_kept_unread_stays_unread_after_a_restart(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir)  # read-on-open: immediately
    press(qtbot, window, Qt.Key.Key_J)
    press(qtbot, window, Qt.Key.Key_J)
    key = window.pane.key
    press(qtbot, window, Qt.Key.Key_M)  # keep it for later
    wait_idle(qtbot, window)
    window = reopen(window, open_window)
    assert window.pane.key == key  # the same paper is shown again...
    wait_idle(qtbot, window)
    assert key is not None and not window.model.state(key).read  # ...without being marked read by that
    press(qtbot, window, Qt.Key.Key_J)
    press(qtbot, window, Qt.Key.Key_K)  # but opening it again is reading it
    wait_idle(qtbot, window)
    assert window.model.state(key).read
