"""Helpers for the tests of the feeds dialog, refresh and export: a library worker without a window, and the
core tier's test HTTP server and keyrings (tests/core/feedtools.py), reused rather than copied."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pytestqt.qtbot import QtBot

from readinglist.app import App
from readinglist.core.feeds import Feed, FeedRegistry, FeedSpec
from readinglist.core.library import Library
from readinglist.ui.worker import LibraryWorker

CORE_TESTS = Path(__file__).resolve().parent.parent / "core"
if str(CORE_TESTS) not in sys.path:
    sys.path.insert(0, str(CORE_TESTS))

from feedtools import FeedServer, MemoryKeyring, NoKeyring, Route, SilentServer, fixture  # noqa: E402

__all__ = [
    "FeedServer",
    "MemoryKeyring",
    "NoKeyring",
    "Route",
    "SilentServer",
    "add_feeds",
    "fixture",
    "running_worker",
    "wait_worker",
]


@contextmanager
def running_worker(qtbot: QtBot, data_dir: Path) -> Iterator[LibraryWorker]:
    """A LibraryWorker with the library open, closed (and so saved) at the end."""
    worker = LibraryWorker(App(data_dir, lock_timeout=0.5).open_library)
    with qtbot.waitSignal(worker.opened, timeout=5000):
        worker.start()
    try:
        yield worker
    finally:
        worker.close()


def wait_worker(qtbot: QtBot, worker: LibraryWorker, timeout: int = 5000) -> None:
    qtbot.waitUntil(lambda: worker.pending == 0, timeout=timeout)


def add_feeds(data_dir: Path, *specs: FeedSpec) -> list[Feed]:
    """Subscribe before any window or worker opens the library."""
    with Library.open(data_dir) as lib:
        registry = FeedRegistry(lib.store)
        return [registry.add(spec) for spec in specs]
