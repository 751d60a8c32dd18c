"""The library thread: every call on the Library runs here, one at a time, in the order it was asked for.

The Library is not thread-safe by design (its docstring says so) and TinyDB is not either (FIELD-NOTES), so one
single-thread executor owns it, as anki's taskman owns its collection. A job is a function of the Library; its
result travels back to the GUI thread through a queued signal, and the callback runs there. A job never touches
a widget and the GUI never touches the Library. Jobs run in submission order, so a write submitted before a read
is always seen by it, which is what makes optimistic updates and undo safe.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from readinglist.core.library import Library

T = TypeVar("T")
Job = Callable[[Library], T]
Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]
log = logging.getLogger(__name__)


class LibraryNotOpenError(RuntimeError):
    pass


class LibraryWorker(QObject):
    """Owns the Library on its one thread. `submit(job, done, failed=...)` from the GUI thread only."""

    opened = Signal(int)  # papers in the library
    open_failed = Signal(object)  # the exception, worded for the user
    job_failed = Signal(str, object)  # label of the job, exception: for jobs submitted without `failed`
    idle = Signal()  # no job pending: tests and benchmarks wait on it
    _finished = Signal(int, bool, object)  # job id, ok, result or exception

    def __init__(self, open_library: Callable[[], Library], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open_library = open_library
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="library")
        self._library: Library | None = None  # read and written on the library thread only
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[str, Done | None, Failed | None]] = {}
        self._closed = False
        self.thread_id: int | None = None
        # Emitted on the library thread, received on the GUI thread: Qt queues it because the receiver lives there.
        self._finished.connect(self._deliver)

    @property
    def pending(self) -> int:
        return len(self._callbacks)

    @property
    def closed(self) -> bool:
        return self._closed

    # ---- the GUI side ---------------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the library on its thread; `opened` or `open_failed` follows."""
        self._submit_raw("open", self._open, self._on_opened, self._on_open_failed)

    def submit(
        self,
        job: Job[T],
        done: Callable[[T], None] | None = None,
        *,
        failed: Callable[[BaseException], None] | None = None,
        label: str = "",
    ) -> None:
        if self._closed:
            return
        self._submit_raw(label or getattr(job, "__name__", "job"), lambda: job(self._require()), done, failed)

    def submit_unopened(self, call: Callable[[], T], done: Callable[[T], None], *, label: str) -> None:
        """Run `call`, which needs no library, on the library thread in turn with the jobs: asked before `start`,
        it runs before the library opens (the window's first screen, read from the catalog meanwhile)."""
        if not self._closed:
            self._submit_raw(label, call, done, None)

    def close(self) -> None:
        """Finish every job already submitted (a note being saved, a star), close the library, stop the thread.

        Blocks until then: a write the user was promised must reach the disk before the process ends.
        """
        if self._closed:
            return
        self._closed = True
        self._executor.submit(self._close_library)
        self._executor.shutdown(wait=True)
        self._callbacks.clear()

    # ---- plumbing ------------------------------------------------------------------------------------------

    def _submit_raw(
        self,
        label: str,
        call: Callable[[], Any],
        done: Callable[[Any], None] | None,
        failed: Callable[[BaseException], None] | None,
    ) -> None:
        job_id = next(self._ids)
        self._callbacks[job_id] = (label, done, failed)
        self._executor.submit(self._run, job_id, call)

    def _run(self, job_id: int, call: Callable[[], Any]) -> None:
        # On the library thread.
        try:
            result = call()
        except BaseException as exc:  # every failure goes back to the GUI, none is lost in the executor
            if not isinstance(exc, Exception):
                log.exception("library job failed")
            self._emit(job_id, False, exc)
            return
        self._emit(job_id, True, result)

    def _emit(self, job_id: int, ok: bool, value: object) -> None:
        with contextlib.suppress(RuntimeError):  # the QObject is gone: the window closed while this job ran
            self._finished.emit(job_id, ok, value)

    def _deliver(self, job_id: int, ok: bool, value: object) -> None:
        # On the GUI thread.
        entry = self._callbacks.pop(job_id, None)
        if entry is None or self._closed:
            return
        label, done, failed = entry
        try:
            if ok:
                if done is not None:
                    done(value)
            elif failed is not None:
                assert isinstance(value, BaseException)
                failed(value)
            else:
                self.job_failed.emit(label, value)
        finally:
            if not self._callbacks:
                self.idle.emit()

    def _require(self) -> Library:
        if self._library is None:
            raise LibraryNotOpenError("the library is not open")
        return self._library

    def _open(self) -> int:
        self.thread_id = threading.get_ident()
        self._library = self._open_library()
        return len(self._library)

    def _on_opened(self, papers: int) -> None:
        self.opened.emit(papers)

    def _on_open_failed(self, exc: BaseException) -> None:
        self.open_failed.emit(exc)

    def _close_library(self) -> None:
        if self._library is not None:
            library, self._library = self._library, None
            library.close()
