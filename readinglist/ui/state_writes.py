"""The user's changes to papers (star, read, note, tags), from the key press to the disk, and their undo.

A change shows at once (the optimistic state), is made durable by a job on the library thread, and is then
redrawn from the library's answer (`StateChange`). While a change is on its way, answers about that paper that
are older than it (a view loaded meanwhile) must not show it as it was: `pending` counts the changes in flight per
paper. Papers opened in quick succession (holding J) are marked read in one write. Ctrl+Z writes back the `before`
states of the last undoable change; jobs run in submission order, so an undo right after a change finds it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from readinglist.core.library import Library
from readinglist.core.models import StateChange
from readinglist.ui import library_jobs as jobs
from readinglist.ui.errors import error_text
from readinglist.ui.library_jobs import RowState, SidebarCounts, SidebarTracker
from readinglist.ui.worker import LibraryWorker


@dataclass
class UndoEntry:
    """One undoable change. `change` is filled in on the library thread by the job that makes the change, before
    any later job runs, so an undo submitted right after always finds it."""

    label: str
    change: StateChange | None = None


class StateWrites(QObject):
    """Owns the optimistic states, the writes in flight and the undo stack. GUI thread only."""

    states_changed = Signal(dict)  # key -> RowState to show now
    undone = Signal(list)  # the papers an undo or redo changed: the window brings the first into view
    counts_changed = Signal(object)  # SidebarCounts after a change
    undo_changed = Signal()  # the undo stack grew or shrank: the Undo action's text and state follow
    message = Signal(str, int)  # a status line, and how long to show it (0: until replaced)
    rules_changed = Signal()  # rules or records changed (or such a change was undone): views are read again

    def __init__(
        self,
        worker: LibraryWorker,
        tracker: SidebarTracker,
        state_of: Callable[[str], RowState],
        title_of: Callable[[str], str] = str,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._worker = worker
        self._tracker = tracker
        self._state_of = state_of
        self._title_of = title_of
        self._undo: list[UndoEntry] = []
        self._redo: list[UndoEntry] = []  # undone entries, their `change` the undo's own (redoing undoes it)
        self.pending: Counter[str] = Counter()  # key -> changes submitted and not yet answered
        self._auto_read: list[str] = []
        self._auto_read_busy = False

    # ---- what the window asks ------------------------------------------------------------------------------

    @property
    def undo_label(self) -> str | None:
        return self._undo[-1].label if self._undo else None

    @property
    def redo_label(self) -> str | None:
        return self._redo[-1].label if self._redo else None

    def change(
        self,
        label: str,
        optimistic: Mapping[str, RowState],
        apply: Callable[[Library], StateChange],
        *,
        undoable: bool = True,
    ) -> None:
        """Show `optimistic` now, make the change durable on the library thread, and keep it for undo."""
        keys = list(optimistic)
        if any(k in optimistic for k in self._auto_read):
            # The library sees the user's changes in the user's order: a read-on-open still waiting goes first,
            # so that M right after opening is undone back to read, as the user saw it.
            self.flush_auto_read(force=True)
        self.states_changed.emit(dict(optimistic))
        entry = UndoEntry(label) if undoable else None
        if entry is not None:
            self._undo.append(entry)
            self._redo.clear()  # a new change: what was undone before it cannot be redone on top of it
            self.undo_changed.emit()
        self.pending.update(keys)
        tracker = self._tracker

        def job(lib: Library) -> tuple[StateChange, SidebarCounts]:
            change = tracker.change(lib, keys, lambda: apply(lib))
            if entry is not None:
                entry.change = change
            return change, tracker.current(lib)

        self._worker.submit(
            job,
            lambda result: self._done(keys, entry, result),
            failed=lambda exc: self._failed(keys, entry, exc),
            label=label.lower(),
        )

    def reshape(
        self, label: str, apply: Callable[[Library], StateChange], describe: Callable[[StateChange], str]
    ) -> None:
        """A change of the rules (core.rules) or of the records (a merge): which papers it touches is known only
        once it is made, so nothing is shown before; the answer redraws them, says what happened (`describe`), and
        Ctrl+Z undoes it whole."""
        entry = UndoEntry(label)
        self._undo.append(entry)
        self._redo.clear()
        self.undo_changed.emit()
        tracker = self._tracker

        def job(lib: Library) -> tuple[StateChange, SidebarCounts]:
            change = tracker.change(lib, [], lambda: apply(lib))
            entry.change = change
            return change, tracker.current(lib)

        def done(result: tuple[StateChange, SidebarCounts]) -> None:
            change, counts = result
            self._show_answer(change)
            self.counts_changed.emit(counts)
            self.message.emit(describe(change), 8000)
            self.rules_changed.emit()

        def failed(exc: BaseException) -> None:
            if entry in self._undo:
                self._undo.remove(entry)
                self.undo_changed.emit()
            self.message.emit(f"Rule not saved: {error_text(exc)}", 0)

        self._worker.submit(job, done, failed=failed, label=label.lower())

    def mark_read_on_open(self, key: str) -> None:
        """The paper was opened: read, written together with any other opened meanwhile."""
        state = self._state_of(key)
        if state.read:
            return
        self.states_changed.emit({key: state._replace(read=True)})
        self._auto_read.append(key)
        self.pending[key] += 1  # from now: an answer about this paper must not show it unread again
        self.flush_auto_read()

    def flush_auto_read(self, *, force: bool = False) -> None:
        if (self._auto_read_busy and not force) or not self._auto_read:
            return
        keys, self._auto_read = self._auto_read, []
        self._auto_read_busy = True
        tracker = self._tracker

        def job(lib: Library) -> tuple[StateChange, SidebarCounts]:
            return tracker.change(lib, keys, lambda: lib.set_read(keys, True)), tracker.current(lib)

        def done(result: tuple[StateChange, SidebarCounts]) -> None:
            self._auto_read_busy = False
            self._done(keys, None, result)
            self.flush_auto_read()

        def failed(exc: BaseException) -> None:
            self._auto_read_busy = False
            self._failed(keys, None, exc)

        self._worker.submit(job, done, failed=failed, label="mark as read")

    def undo(self) -> None:
        self._step(self._undo, self._redo, "Nothing to undo", "Undone")

    def redo(self) -> None:
        self._step(self._redo, self._undo, "Nothing to redo", "Redone")

    def _step(self, source: list[UndoEntry], target: list[UndoEntry], nothing: str, verb: str) -> None:
        """Write back the `before` states of the newest entry of `source`, field by field (a field changed again
        since, here or by another process, is left as it is now), and keep what that did on `target`."""
        if not source:
            self.message.emit(nothing, 3000)
            return
        entry = source.pop()
        redone = UndoEntry(entry.label)
        target.append(redone)
        self.undo_changed.emit()
        tracker = self._tracker

        def job(lib: Library) -> tuple[StateChange, SidebarCounts]:
            change = entry.change
            if change is None or (not change.after and not change.reshapes):
                return StateChange((), ()), tracker.current(lib)
            done = tracker.change(lib, change.keys, lambda: jobs.undo_change(lib, change))
            redone.change = done
            return done, tracker.current(lib)

        def done(result: tuple[StateChange, SidebarCounts]) -> None:
            change = result[0]
            self._show_answer(change)
            self.counts_changed.emit(result[1])
            if change.reshapes:
                self.rules_changed.emit()
                self.message.emit(f"{verb}: {entry.label}", 5000)
                return
            keys = list(change.keys)
            if not keys:
                if redone in target:
                    target.remove(redone)
                    self.undo_changed.emit()
                self.message.emit(f"Nothing left to change for {entry.label}: changed again since", 5000)
                return
            what = f"“{self._title_of(keys[0])}”" + (f" and {len(keys) - 1:,} more" if len(keys) > 1 else "")
            self.message.emit(f"{verb}: {entry.label} on {what}", 5000)
            self.undone.emit(keys)

        self._worker.submit(job, done, label=f"{verb.lower()} {entry.label}")

    # ---- answers ---------------------------------------------------------------------------------------------

    def _written(self, keys: Sequence[str]) -> None:
        self.pending.subtract(keys)
        for key in keys:
            if self.pending[key] <= 0:
                del self.pending[key]

    def _done(self, keys: Sequence[str], entry: UndoEntry | None, result: tuple[StateChange, SidebarCounts]) -> None:
        change, counts = result
        self._written(keys)
        self._show_answer(change)
        self.counts_changed.emit(counts)
        if entry is not None and not change.after and entry in self._undo:
            self._undo.remove(entry)  # nothing changed (already so): nothing to undo
            self.undo_changed.emit()

    def _failed(self, keys: Sequence[str], entry: UndoEntry | None, exc: BaseException) -> None:
        self._written(keys)
        if entry is not None and entry in self._undo:
            self._undo.remove(entry)
            self.undo_changed.emit()
        self.message.emit(f"Not saved: {error_text(exc)}", 0)
        # Put back what the library holds.
        self._worker.submit(lambda lib: jobs.states_of(lib, keys), self.states_changed.emit, label="reload the state")

    def _show_answer(self, change: StateChange) -> None:
        """The library's word on what a change did; a key with a newer change still in flight keeps its newer look."""
        fresh = {s.key: RowState.from_state(s) for s in change.after if s.key not in self.pending}
        self.states_changed.emit(fresh)
