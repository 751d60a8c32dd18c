"""Window tests: offscreen Qt, a temporary library per test, windows that are closed (and so saved) at the end."""

from __future__ import annotations

import os

# Before any QApplication exists: no test ever opens a window on the developer's screen.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from uitools import WindowFactory, load_sample, wait_idle

from readinglist.app import App
from readinglist.ui.main_window import PAGE_WELCOME, MainWindow
from readinglist.ui.settings import MarkReadMode, WindowSettings


@pytest.fixture
def sample_dir(data_dir: Path) -> Path:
    """A data folder holding the bundled sample library (60 papers, all unread)."""
    load_sample(data_dir)
    return data_dir


@pytest.fixture
def open_window(qtbot: QtBot) -> Iterator[WindowFactory]:
    """Opens a window on a data folder and waits until it shows the library (or the welcome view).

    Each window is closed at the end of the test, as a user closing it would: its note is saved, its
    settings written and its library closed.
    """
    windows: list[MainWindow] = []

    def factory(
        data_dir: Path, *, mark_read: MarkReadMode | None = None, read_delay_ms: int | None = None, wait: bool = True
    ) -> MainWindow:
        if mark_read is not None or read_delay_ms is not None:
            settings = WindowSettings(data_dir)
            if mark_read is not None:
                settings.set_mark_read(mark_read)
            if read_delay_ms is not None:
                settings.set_mark_read_delay_ms(read_delay_ms)
            settings.sync()
        window = MainWindow(App(data_dir, lock_timeout=0.2))
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        if wait:
            # Ready: the welcome view, or the list with the sidebar counted (a moment after the list is drawn).
            qtbot.waitUntil(
                lambda: window.stack.currentIndex() == PAGE_WELCOME or window.counts is not None, timeout=5000
            )
            wait_idle(qtbot, window)
        return window

    yield factory
    for window in windows:
        window.close()
