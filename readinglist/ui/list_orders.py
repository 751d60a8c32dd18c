"""The list's other orders, made ahead on a thread of their own, so a click on a column header swaps lists.

A sort of 100,000 rows by title is 60-90 ms of the GUI thread (CPython's `list.sort` comparing scattered strings);
at 1,000,000 it is half a second, and even a permutation worked out elsewhere costs that much to apply, since
gathering a million rows in a new order writes every row's reference count in random order (measured: 37 ms at
100,000, 595 ms at 1,000,000). So after a view's rows arrive, this thread makes the whole rows-and-keys lists of
the orders a click would ask for, and the model keeps them beside the view; the click itself is a swap and a
relayout, well under a frame.

The work shares the interpreter with the GUI thread, so it is cut into pieces that each hold the GIL a few
milliseconds (C sorts of 4,096 keys, merges in C of runs up to 65,536, then a merge in Python of what is left,
gathers of 16,384 rows) with a turn given to the GUI thread between them: keys and paints go on while it runs.
The result is exactly `sorted(rows, key=..., reverse=...)` of the rows as given: stable, equal keys keep the
view's order in either direction, which is what the model's own sort gives.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
import types
import weakref
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from operator import methodcaller
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

PIECE = 4_096  # keys sorted in one C call: ~2 ms at most of the GIL
MERGE_IN_C = 65_536  # two runs are merged by one C sort while together at most this long (a few ms)
GATHER = 16_384  # rows put in the new order per piece
ACTIVE = 0.25  # seconds after the GUI was last at work (`OrderMaker.touch`) during which the thread backs off
BACK_OFF = 0.005  # how long it then sleeps between pieces


class Stopped(Exception):
    """The orders being made are not wanted any more (new rows came, or the window closed)."""


def stable_order(keys: Sequence[Any], *, descending: bool, pause: Callable[[], None] = lambda: None) -> list[int]:
    """The positions of `keys` in sorted order, as `sorted(range(len(keys)), key=keys.__getitem__,
    reverse=descending)` gives them (equal keys in their given order either way), made in pieces with `pause()`
    called between them."""
    get = keys.__getitem__
    count = len(keys)
    runs: list[list[int]] = []
    for start in range(0, count, PIECE):
        runs.append(sorted(range(start, min(start + PIECE, count)), key=get, reverse=descending))
        pause()
    # Each run holds a span of positions and the runs are in position order, so merging neighbours by a stable
    # sort (which sees two runs, and merges them in one pass) keeps equal keys in position order.
    while len(runs) > 1 and len(runs[0]) + len(runs[1]) <= MERGE_IN_C:
        merged = []
        for i in range(0, len(runs), 2):
            if i + 1 < len(runs):
                merged.append(sorted(runs[i] + runs[i + 1], key=get, reverse=descending))
                pause()
            else:
                merged.append(runs[i])
        runs = merged
    if len(runs) == 1:
        return runs[0]
    if not runs:
        return []
    # Ties go to the earlier run in either direction (heapq.merge orders equal keys by the run's place).
    merging = heapq.merge(*runs, key=get, reverse=descending)
    order: list[int] = []
    while len(order) < count:
        order.extend(itertools.islice(merging, PIECE))
        pause()
    return order


def gather(items: Sequence[Any], order: Sequence[int], pause: Callable[[], None] = lambda: None) -> list[Any]:
    """`[items[i] for i in order]`, in pieces."""
    out: list[Any] = []
    at = items.__getitem__
    for start in range(0, len(order), GATHER):
        out.extend(map(at, order[start : start + GATHER]))
        pause()
    return out


@dataclass(frozen=True)
class Order:
    """One order of a view's rows, made ahead: `rows` and their `keys` (the paper keys) in that order."""

    base: object  # the list of rows it was made from (by identity: a new list of rows makes it stale)
    name: Hashable  # what the model calls the order (its column and direction)
    rows: list[Any]
    keys: list[str]


class _Relay(QObject):
    """Carries made orders from the thread to the GUI thread: one for the process, made there at the first use and
    never deleted, so no thread ever emits on a Qt object that a closing model just took with it."""

    done = Signal(object)  # (the maker, by weak reference; serial; Order or None)


_relay: _Relay | None = None


def _the_relay() -> _Relay:
    global _relay
    if _relay is None:
        _relay = _Relay()
        _relay.done.connect(_deliver)
    return _relay


def _deliver(message: tuple[weakref.ref[OrderMaker], int, Order | None]) -> None:
    # On the GUI thread (Qt queues the signal: the relay lives there).
    maker = message[0]()
    if maker is not None:
        maker._deliver(message[1], message[2])


class OrderMaker:
    """Makes orders of a list of rows on its own thread, newest request first; each is handed to `on_made` on the
    GUI thread. Only the rows are read there (tuples, never changed), nothing of Qt. Held by weak reference
    from the thread, and holding its receiver so: a model dropped while orders are made is let go."""

    def __init__(self, on_made: Callable[[Order], None]) -> None:
        self._relay = _the_relay()  # (on the GUI thread, where the maker is made)
        self._on_made: Callable[[], Callable[[Order], None] | None] = (
            weakref.WeakMethod(on_made) if isinstance(on_made, types.MethodType) else lambda: on_made
        )
        self._executor: ThreadPoolExecutor | None = None
        self._serial = 0  # the request wanted now; an older one stops at its next pause
        self._closed = False
        self._busy = 0
        self._touched = 0.0  # when the GUI was last at work (`touch`); read by the thread

    @property
    def busy(self) -> bool:
        """Orders are being made (tests and benchmarks wait on it)."""
        return self._busy > 0

    def make(
        self,
        base: Sequence[Any],
        keys: Sequence[str],
        wanted: Sequence[tuple[Hashable, Callable[[Any], Any], bool]],
    ) -> None:
        """Make these orders of `base` (the rows; `keys` theirs): for each, its name, the sort key of a row and
        whether descending. What an earlier call was still making is dropped."""
        self._serial += 1
        if self._closed or not wanted or not base:
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="list-orders")
        self._executor.submit(self._make, self._relay, weakref.ref(self), self._serial, base, keys, tuple(wanted))
        self._busy += 1  # (after the submit: one that raised leaves nothing to wait for)

    def cancel(self) -> None:
        self._serial += 1

    def touch(self) -> None:
        """The user is at work (a key, a search): the orders go slower for a moment, leaving the GIL to them."""
        self._touched = time.monotonic()

    def close(self) -> None:
        """Stop (the work in hand stops at its next pause, within milliseconds) and let the thread end."""
        self._closed = True
        self._serial += 1
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    # ---- on the thread ------------------------------------------------------------------------------------

    @staticmethod
    def _make(
        relay: _Relay,
        me: weakref.ref[OrderMaker],
        serial: int,
        base: Sequence[Any],
        keys: Sequence[str],
        wanted: tuple[tuple[Hashable, Callable[[Any], Any], bool], ...],
    ) -> None:
        def pause() -> None:
            maker = me()
            if maker is None or serial != maker._serial:
                raise Stopped
            # A turn for the GUI thread if it waits for the GIL; while the user is at work, a longer one.
            time.sleep(BACK_OFF if time.monotonic() - maker._touched < ACTIVE else 0)

        try:
            last_key: Callable[[Any], Any] | None = None
            values: list[Any] = []
            for name, sort_key, descending in wanted:
                if sort_key is not last_key:  # (both ways of a column share its keys)
                    values = sort_keys(base, sort_key, pause)
                    last_key = sort_key
                order = stable_order(values, descending=descending, pause=pause)
                made = Order(base, name, gather(base, order, pause), gather(keys, order, pause))
                relay.done.emit((me, serial, made))
        except Stopped:
            pass
        except Exception:  # an order not made is a slower click, not a failure the user must see
            log.exception("making the list's orders failed")
        finally:
            relay.done.emit((me, serial, None))

    # ---- on the GUI thread ----------------------------------------------------------------------------------

    def _deliver(self, serial: int, made: Order | None) -> None:
        if made is None:
            self._busy -= 1
            return
        receiver = self._on_made()
        if serial == self._serial and not self._closed and receiver is not None:
            receiver(made)


def sort_keys(rows: Sequence[Any], sort_key: Callable[[Any], Any], pause: Callable[[], None]) -> list[Any]:
    """`sort_key` of every row, in pieces; strings as their UTF-8 bytes, which sort alike (byte order is code point
    order) and twice as fast: new objects side by side in memory, where the rows' strings are scattered over the
    heap and each comparison is a cache miss."""
    out: list[Any] = []
    for start in range(0, len(rows), GATHER):
        out.extend(map(sort_key, rows[start : start + GATHER]))
        pause()
    if not all(type(value) is str for value in out):
        return out
    encoded: list[bytes] = []
    for start in range(0, len(out), GATHER):
        encoded.extend(map(_utf8, out[start : start + GATHER]))
        pause()
    return encoded


_utf8 = methodcaller("encode", "utf-8", "surrogatepass")
