"""The list's orders made ahead on their own thread: exactly Python's stable sort, and only the latest asked for."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from readinglist.ui import list_orders
from readinglist.ui.list_orders import Order, OrderMaker, gather, sort_keys, stable_order


@settings(max_examples=300, deadline=None)
@given(
    keys=st.lists(st.one_of(st.sampled_from(["", "a", "b", "B", "ab", "é"]), st.text(max_size=3)), max_size=120),
    descending=st.booleans(),
    piece=st.integers(1, 9),
    merge_in_c=st.integers(1, 40),
)
def test_an_order_made_in_pieces_is_pythons_stable_sort(
    keys: list[str], descending: bool, piece: int, merge_in_c: int
) -> None:
    """Small pieces and merge limits take every path (C sorts, merges in C, the merge in Python) on lists with
    many equal keys: equal keys keep their given order in both directions, as `sorted` keeps them."""
    pauses: list[int] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(list_orders, "PIECE", piece)
        patch.setattr(list_orders, "MERGE_IN_C", merge_in_c)
        order = stable_order(keys, descending=descending, pause=lambda: pauses.append(1))
    assert order == sorted(range(len(keys)), key=keys.__getitem__, reverse=descending)
    assert len(pauses) >= len(keys) // piece  # (a turn given back at least once per piece)
    assert gather(keys, order) == sorted(keys, reverse=descending)


@settings(max_examples=200, deadline=None)
@given(
    titles=st.lists(
        st.one_of(st.text(), st.sampled_from(["\ud800", "\udfff x", "\U0001f600", "\uffff", "é", "e\u0301"])),
        max_size=60,
    ),
    descending=st.booleans(),
)
def test_titles_sort_by_their_bytes_exactly_as_by_their_text(titles: list[str], descending: bool) -> None:
    """Strings are sorted as UTF-8 bytes (faster: new objects side by side); the order is the text's, lone
    surrogates and characters past the basic plane included."""
    rows = [(f"k{i}", t) for i, t in enumerate(titles)]
    values = sort_keys(rows, lambda r: r[1], lambda: None)
    assert all(isinstance(v, bytes) for v in values)
    order = stable_order(values, descending=descending)
    assert order == sorted(range(len(titles)), key=titles.__getitem__, reverse=descending)
    flags = sort_keys(rows, lambda r: len(r[1]) > 2, lambda: None)  # (other keys are kept as they are)
    assert flags == [len(t) > 2 for t in titles]


def test_only_the_orders_of_the_latest_rows_arrive_and_none_after_close(qtbot: QtBot) -> None:
    made: list[Order] = []

    class Receiver:
        def take(self, order: Order) -> None:
            made.append(order)

    receiver = Receiver()
    maker = OrderMaker(receiver.take)
    old: list[Any] = [(f"k{i}", i % 13) for i in range(50_000)]
    new: list[Any] = [(f"n{i}", -i) for i in range(300)]

    def wanted(name: str) -> list[tuple[str, Any, bool]]:
        return [(name, lambda r: r[1], False), (name + " desc", lambda r: r[1], True)]

    maker.make(old, [r[0] for r in old], wanted("old"))
    maker.make(new, [r[0] for r in new], wanted("new"))  # before the first is done: it is dropped
    qtbot.waitUntil(lambda: not maker.busy, timeout=10_000)
    assert [m.name for m in made] == ["new", "new desc"]
    assert all(m.base is new for m in made)
    assert made[0].keys == [f"n{i}" for i in range(299, -1, -1)] and made[0].rows == sorted(new, key=lambda r: r[1])
    assert made[1].rows == new
    maker.close()
    maker.make(new, [r[0] for r in new], wanted("late"))
    qtbot.wait(50)
    assert [m.name for m in made] == ["new", "new desc"] and not maker.busy


def test_a_maker_let_go_while_working_stops_and_delivers_nothing(qtbot: QtBot) -> None:
    made: list[Order] = []
    maker = OrderMaker(made.append)
    rows: list[Any] = [(f"k{i}", str(i)) for i in range(200_000)]
    maker.make(rows, [r[0] for r in rows], [("title", lambda r: r[1], False)])
    executor = maker._executor
    assert executor is not None
    del maker  # (the window's model went away): the thread sees it at its next pause
    executor.shutdown(wait=True)
    qtbot.wait(20)
    assert made == []
