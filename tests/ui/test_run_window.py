"""`readinglist` with no command: run_window's exit status, the second launch, a library another process writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from readinglist.app import App
from readinglist.core.library import Library
from readinglist.ui.main import run_window
from readinglist.ui.main_window import MainWindow
from readinglist.ui.single_instance import SingleInstance


def watch_windows(qtbot: QtBot, *, close_on_welcome: bool) -> list[bool]:
    """Hand every window run_window opens to qtbot; close it once it shows the welcome view, if asked.
    Watches until the returned list is given an item."""
    adopted: set[int] = set()
    stop: list[bool] = []

    def check() -> None:
        if stop:
            return
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and id(widget) not in adopted:
                adopted.add(id(widget))
                qtbot.addWidget(widget)
            if (
                close_on_welcome
                and isinstance(widget, MainWindow)
                and widget.isVisible()
                and widget.stack.currentIndex() == 1
                and widget.worker.pending == 0
            ):
                widget.close()
                return
        QTimer.singleShot(10, check)

    QTimer.singleShot(0, check)
    return stop


def test_run_window_opens_and_closes_cleanly(qtbot: QtBot, data_dir: Path) -> None:
    stop = watch_windows(qtbot, close_on_welcome=True)
    assert run_window(App(data_dir, lock_timeout=0.2)) == 0
    stop.append(True)
    assert (data_dir / "window.ini").is_file()
    assert (data_dir / "window.ini").stat().st_mode & 0o777 == 0o600  # as private as the library
    with Library.open(data_dir):  # the lock was let go
        pass


def test_a_second_launch_raises_the_first_window_and_exits(qtbot: QtBot, data_dir: Path) -> None:
    first = SingleInstance(data_dir)
    assert first.listen()
    raised: list[bool] = []
    first.activated.connect(lambda: raised.append(True))
    assert run_window(App(data_dir, lock_timeout=0.2)) == 0  # returns at once: no second window
    qtbot.waitUntil(lambda: bool(raised), timeout=2000)
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    first.close()


def test_a_library_another_process_is_writing_opens_all_the_same(
    qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lock is held for one write at a time, never for a process's life: the window opens while
    # `readinglist import` (here: this test, in the middle of a write) holds it.
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _parent, _title, text: shown.append(text))
    stop = watch_windows(qtbot, close_on_welcome=True)
    with Library.open(data_dir) as other, other.store.locked():
        assert run_window(App(data_dir, lock_timeout=0.2)) == 0
    stop.append(True)
    assert shown == []


def test_a_library_that_could_not_be_opened_can_be_retried_from_the_message(
    qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Library.open(data_dir) as lib:
        App(data_dir).load_sample(lib)
    manifest = data_dir / "library" / "manifest.json"
    good = manifest.read_text()
    newer = json.loads(good)
    newer["schema"] = 99  # written by a newer readinglist
    manifest.write_text(json.dumps(newer))
    said: list[str] = []

    def critical(_parent: object, _title: str, text: str, *_buttons: object) -> QMessageBox.StandardButton:
        said.append(text)
        manifest.write_text(good)  # the user upgrades, or restores the file, then presses Retry
        return QMessageBox.StandardButton.Retry

    monkeypatch.setattr(QMessageBox, "critical", critical)
    listed: list[int] = []

    def close_when_listed() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible() and widget.model.rowCount():
                qtbot.addWidget(widget)
                listed.append(widget.model.rowCount())
                widget.close()
                return
        QTimer.singleShot(10, close_when_listed)

    QTimer.singleShot(0, close_when_listed)
    assert run_window(App(data_dir, lock_timeout=0.2)) == 0
    assert len(said) == 1 and "newer readinglist" in said[0]
    assert listed == [60]  # the retried window opened the library


def test_with_sample_an_empty_library_opens_on_the_sample_papers(qtbot: QtBot, data_dir: Path) -> None:
    shown: list[int] = []

    def close_when_listed() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible() and widget.model.rowCount():
                qtbot.addWidget(widget)
                shown.append(widget.model.rowCount())
                widget.close()
                return
        QTimer.singleShot(10, close_when_listed)

    QTimer.singleShot(0, close_when_listed)
    assert run_window(App(data_dir, lock_timeout=0.2), sample=True) == 0
    assert shown == [60]  # straight to the list: no welcome view, no second process holding the lock
