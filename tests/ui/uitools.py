"""Helpers for the window tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from readinglist.app import App
from readinglist.core.library import Library
from readinglist.ui.main_window import MainWindow

WindowFactory = Callable[..., MainWindow]


def load_sample(data_dir: Path) -> None:
    app = App(data_dir)
    with app.open_library() as lib:
        app.load_sample(lib)


def wait_idle(qtbot: QtBot, window: MainWindow, timeout: int = 5000) -> None:
    """Until every library job asked for has answered and the list shows what is typed in the search box."""
    qtbot.waitUntil(lambda: window.worker.pending == 0 and window.search_idle(), timeout=timeout)


def reopen(window: MainWindow, open_window: WindowFactory) -> MainWindow:
    """Close the window (as the user would) and open a new one on the same library."""
    data_dir = window.app.data_dir
    window.close()
    assert window.worker.closed
    return open_window(data_dir)


def read_library(data_dir: Path) -> Library:
    """The library as it is on disk, read by a separate reader (the window's lock does not stop readers)."""
    return Library.open(data_dir, writer=False)
