"""The window and the command line on one library at the same time, as real processes: the commands never wait for
the window, the window shows what they did within a second or two, and nothing either side did is lost."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from uitools import WindowFactory, read_library, wait_idle

from readinglist.ui.paper_model import COL_TITLE
from readinglist.ui.settings import MarkReadMode

ROOT = Path(__file__).resolve().parents[2]
ARXIV_RSS = ROOT / "tests" / "core" / "fixtures" / "arxiv_rss_text.xml"


def readinglist(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "readinglist.cli.main", "--data-dir", str(data_dir), "--wait", "10", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_commands_write_while_the_window_is_open_and_the_window_shows_them(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir)
    keys = window.model.shown_keys()
    starred, noted, tagged, mine = keys[0], keys[1], keys[2], keys[3]
    # The window writes too, between the commands.
    window.writes.change("Star", {mine: window.model.state(mine)._replace(starred=True)},
                         lambda lib: lib.set_starred([mine], True))  # fmt: skip
    readinglist(sample_dir, "star", starred)
    readinglist(sample_dir, "note", noted, "Written in a terminal.")
    readinglist(sample_dir, "tag", tagged, "from-cli")
    readinglist(sample_dir, "import", str(ARXIV_RSS))
    qtbot.waitUntil(lambda: window.model.rowCount() == 64, timeout=8000)  # the sample's 60 and the 4 imported
    wait_idle(qtbot, window)
    assert window.model.state(starred).starred
    assert window.model.state(noted).note == "Written in a terminal."
    assert "from-cli" in window.model.state(tagged).tags
    assert window.counts is not None and window.counts.views["starred"] == 2
    titles = {window.model.data(window.model.index(r, COL_TITLE)) for r in range(window.model.rowCount())}
    assert "Beyond <think>: Hidden Reasoning Tokens" in titles
    with read_library(sample_dir) as lib:  # and on disk, both sides' changes
        assert lib.state(mine).starred and lib.state(starred).starred
        assert lib.state(noted).note == "Written in a terminal." and "from-cli" in lib.state(tagged).tags
        assert len(lib) == 64


def test_a_note_typed_in_the_window_is_kept_when_a_command_changes_it_meanwhile(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir)
    key = window.model.shown_keys()[0]
    window.list.select_row(0)
    qtbot.waitUntil(lambda: window.pane.key == key)
    notes = window.pane.notes
    notes.start_editing()
    # The user keeps typing (each key holds off the save) while a terminal writes the same paper's note.
    command = subprocess.Popen(
        [sys.executable, "-m", "readinglist.cli.main", "--data-dir", str(sample_dir), "note", key, "From a terminal"]
    )
    typed = "Typed in the window"
    qtbot.keyClicks(notes.editor, typed)
    deadline = time.monotonic() + 10
    while notes.other_version is None and time.monotonic() < deadline:
        qtbot.keyClicks(notes.editor, ".")
        typed += "."
        qtbot.wait(150)
    assert command.wait(timeout=60) == 0
    assert notes.other_version == "From a terminal"
    assert notes.text == typed  # the typing is never overwritten...
    assert "Changed elsewhere" in notes._status.text()  # ...and the other version is said
    notes.stop_editing()  # saved: the user's version wins, knowingly
    wait_idle(qtbot, window)
    with read_library(sample_dir) as lib:
        assert lib.state(key).note == typed


def test_undo_names_the_paper_brings_it_into_view_redoes_and_never_brings_back_a_stale_state(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir, mark_read=MarkReadMode.IMMEDIATELY)
    keys = window.model.shown_keys()
    window.list.select_row(0)
    qtbot.keyClick(window.list, Qt.Key.Key_S)  # star the first paper...
    qtbot.keyClick(window.list, Qt.Key.Key_J)
    qtbot.keyClick(window.list, Qt.Key.Key_J)  # ...and move on, two papers down
    wait_idle(qtbot, window)
    assert window.pane.key == keys[2]
    title = window.model.row_at(0).title
    qtbot.keyClick(window.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window)
    assert not window.model.state(keys[0]).starred
    assert window.pane.key == keys[0]  # the paper undone is the one in front of the user
    assert window.statusBar().currentMessage().startswith(f"Undone: Star on “{title[:30]}")
    qtbot.keyClick(window.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_idle(qtbot, window)
    assert window.model.state(keys[0]).starred and window.statusBar().currentMessage().startswith("Redone: Star")

    # The same paper unstarred in a terminal meanwhile: undoing the redo has nothing left to put back.
    readinglist(sample_dir, "unstar", keys[0])
    qtbot.waitUntil(lambda: not window.model.state(keys[0]).starred, timeout=8000)
    readinglist(sample_dir, "tag", keys[0], "kept")
    qtbot.waitUntil(lambda: "kept" in window.model.state(keys[0]).tags, timeout=8000)
    qtbot.keyClick(window.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window)
    assert not window.model.state(keys[0]).starred and "kept" in window.model.state(keys[0]).tags
    assert "changed again since" in window.statusBar().currentMessage()
