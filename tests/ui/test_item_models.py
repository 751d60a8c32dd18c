"""The item models under Qt's own model tester, and the promises the list makes about redrawing."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from readinglist.core.library import Library
from readinglist.core.text import RENDER_VERSION
from readinglist.ui import library_jobs as jobs
from readinglist.ui import paper_model
from readinglist.ui.library_jobs import RowState, Selection, SidebarCounts
from readinglist.ui.paper_model import (
    COL_DATE,
    COL_STAR,
    COL_TITLE,
    COLUMN_COUNT,
    FEW_HITS,
    KEY_ROLE,
    ROW_ROLE,
    PaperTableModel,
    short_authors,
)
from readinglist.ui.sidebar_model import COL_COUNT, SELECTION_ROLE, SidebarModel


def sample_rows(sample_dir: Path) -> jobs.ViewRows:
    with Library.open(sample_dir) as lib:
        keys = lib.query()
        lib.set_read(keys[:10], True)
        lib.set_starred(keys[5:8], True)
        lib.add_tags(keys[:2], ["ml"])
        return jobs.view_rows(lib, Selection("view", "all"))


def test_paper_model_passes_the_model_tester_through_every_change(
    qtbot: QtBot, qtmodeltester: ModelTester, sample_dir: Path
) -> None:
    model = PaperTableModel()
    qtmodeltester.check(model)  # empty
    view = sample_rows(sample_dir)
    model.set_rows(view.rows, view.states)
    qtmodeltester.check(model)
    assert model.rowCount() == 60 and model.columnCount() == COLUMN_COUNT
    for column in range(COLUMN_COUNT):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            model.sort(column, order)
            qtmodeltester.check(model)
    keys = model.shown_keys()
    model.set_search_hits(set(keys[::3]))
    qtmodeltester.check(model)
    assert model.rowCount() == 20
    model.set_states({k: RowState(starred=True) for k in keys[:30]})
    qtmodeltester.check(model)
    model.set_search_hits(set())
    qtmodeltester.check(model)
    model.set_search_hits(None)
    model.set_rows(view.rows[:5], view.states)
    qtmodeltester.check(model)


def test_a_search_shows_exactly_its_hits_in_the_order_of_the_view_however_few_or_many(
    qtbot: QtBot, sample_dir: Path
) -> None:
    """A few hits are placed by their positions in the view, many by a walk of every row: the user sees the
    same list either way, in the view's order, through a sort and a reload."""
    model = PaperTableModel()
    view = sample_rows(sample_dir)
    model.set_rows(view.rows, view.states)
    every = len(view.rows)
    assert every >= 40

    def expected(hits: set[str]) -> list[str]:
        return [k for k in model_all_keys() if k in hits]

    def model_all_keys() -> list[str]:
        model.set_search_hits(None)
        return model.shown_keys()

    for column, order in ((COL_DATE, Qt.SortOrder.DescendingOrder), (COL_TITLE, Qt.SortOrder.AscendingOrder)):
        model.sort(column, order)
        keys = model_all_keys()
        few = {keys[-1], keys[len(keys) // 2], keys[0], "arxiv:not-in-this-view"}  # under a tenth of the rows
        many = set(keys[::2])  # half of them
        assert len(few) * FEW_HITS < every <= len(many) * FEW_HITS
        for hits in (few, many, few):  # (the positions made for the first search serve the third)
            want = expected(hits)
            model.set_search_hits(hits)
            assert model.shown_keys() == want and model.rowCount() == len(want)
            assert [model.key_at(r) for r in range(model.rowCount())] == want
    # A sort while searching, and a reload of the same papers, keep the hits in the new order.
    model.set_search_hits(few)
    model.sort(COL_DATE, Qt.SortOrder.AscendingOrder)
    shown = model.shown_keys()
    assert shown == expected(few)
    model.set_search_hits(few)
    model.set_rows(list(reversed(view.rows)), view.states)
    shown = model.shown_keys()
    assert shown == expected(few)
    # A different set of papers: positions of the old view are not used.
    model.set_search_hits(set(few))  # (positions made for this view)
    half = view.rows[: every // 2]
    model.set_rows(half, view.states)
    kept, gone = {half[-1].key}, view.rows[-1].key
    assert (len(kept) + 1) * FEW_HITS < len(half)
    model.set_search_hits(kept | {gone})
    assert sorted(model.shown_keys()) == sorted(kept) and model.shown_keys() == expected(kept)


def test_paper_model_roles(qtbot: QtBot, sample_dir: Path) -> None:
    model = PaperTableModel()
    view = sample_rows(sample_dir)
    model.set_rows(view.rows, view.states)
    model.sort(COL_DATE, Qt.SortOrder.DescendingOrder)
    unread = next(r for r in range(60) if not model.state(model.key_at(r)).read)
    read = next(r for r in range(60) if model.state(model.key_at(r)).read)
    starred = next(r for r in range(60) if model.state(model.key_at(r)).starred)
    font = model.data(model.index(unread, COL_TITLE), Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()  # unread in bold
    assert model.data(model.index(read, COL_TITLE), Qt.ItemDataRole.FontRole) is None
    assert model.data(model.index(starred, COL_STAR)) == "★"
    assert model.data(model.index(unread, COL_TITLE), KEY_ROLE) == model.key_at(unread)
    assert model.data(model.index(unread, COL_TITLE), ROW_ROLE) is model.row_at(unread)


def test_a_state_change_redraws_one_row_and_the_same_set_never_resets(qtbot: QtBot, sample_dir: Path) -> None:
    model = PaperTableModel()
    view = sample_rows(sample_dir)
    model.set_rows(view.rows, view.states)
    key = model.key_at(7)
    changed: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(lambda a, b, _roles=(): changed.append((a.row(), a.column(), b.row(), b.column())))
    state = model.state(key)
    model.set_states({key: state._replace(starred=not state.starred)})
    assert changed == [(7, 0, 7, COLUMN_COUNT - 1)]

    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.set_rows(list(reversed(view.rows)), view.states)  # the same papers again: no reset
    assert not resets
    model.set_rows(view.rows[:-1], view.states)  # one paper fewer: a reset
    assert resets == [True]


def test_sorting_keeps_the_selected_paper(qtbot: QtBot, sample_dir: Path) -> None:
    from readinglist.ui.paper_list import PaperListView

    model = PaperTableModel()
    view = sample_rows(sample_dir)
    model.set_rows(view.rows, view.states)
    table = PaperListView(model)
    qtbot.addWidget(table)
    table.select_row(12)
    key = table.current_key()
    table.sortByColumn(COL_TITLE, Qt.SortOrder.AscendingOrder)
    assert table.current_key() == key
    titles = [model.row_at(r).title.casefold() for r in range(60)]
    assert titles == sorted(titles)
    table.sortByColumn(COL_STAR, Qt.SortOrder.DescendingOrder)
    assert table.current_key() == key
    assert [model.state(model.key_at(r)).starred for r in range(3)] == [True] * 3


def test_after_a_sort_the_paper_being_read_is_still_on_screen(qtbot: QtBot, sample_dir: Path) -> None:
    from readinglist.ui.paper_list import PaperListView

    model = PaperTableModel()
    view = sample_rows(sample_dir)
    model.set_rows(view.rows, view.states)
    table = PaperListView(model)
    qtbot.addWidget(table)
    table.resize(600, 300)  # about ten rows of the sixty
    table.show()
    qtbot.waitExposed(table)
    table.sortByColumn(COL_TITLE, Qt.SortOrder.AscendingOrder)
    table.select_row(1)
    key = table.current_key()

    def on_screen() -> bool:
        row = model.row_of(key)
        assert row is not None
        return table.viewport().rect().intersects(table.visualRect(model.index(row, COL_TITLE)))

    assert on_screen() and table.verticalScrollBar().value() == 0
    table.sortByColumn(COL_TITLE, Qt.SortOrder.DescendingOrder)  # the paper goes to the bottom of sixty
    assert table.current_key() == key and model.row_of(key) == 58
    assert on_screen()
    assert table.verticalScrollBar().value() > 0
    table.select_row(55)  # on screen, and still on screen when sorted again: the list does not move
    key = table.current_key()
    scrolled = table.verticalScrollBar().value()
    model.sort(COL_TITLE, Qt.SortOrder.DescendingOrder)  # (no change of order: nothing to keep in sight)
    table.sortByColumn(COL_DATE, Qt.SortOrder.DescendingOrder)
    table.sortByColumn(COL_TITLE, Qt.SortOrder.DescendingOrder)
    assert model.row_of(key) == 55 and table.verticalScrollBar().value() == scrolled
    table.scrollToTop()
    table.selectionModel().clearCurrentIndex()
    table.sortByColumn(COL_TITLE, Qt.SortOrder.AscendingOrder)
    assert table.verticalScrollBar().value() == 0  # nothing being read: the list stays where it was


def test_the_head_of_a_search_is_the_first_rows_of_its_whole_result(qtbot: QtBot, sample_dir: Path) -> None:
    """Shown while the whole result is found: the newest matches, with every other match of the last one's date
    (`Catalog.newest_matching`), those of the view, in its order; then the whole result begins with the same
    rows. A day's papers share one time, as a day's arXiv announcement does."""
    view = sample_rows(sample_dir)
    days = [f"2026-11-{1 + i // 6:02d}T00:00:00Z" for i in range(len(view.rows))]  # six papers a day
    rows = [row._replace(sort_date=day) for row, day in zip(view.rows, days, strict=True)]
    rows.sort(key=lambda r: r.sort_date, reverse=True)
    model = PaperTableModel()
    model.set_rows(rows, view.states, newest_first=True)
    keys = model.shown_keys()
    date = {r.key: r.sort_date for r in rows}
    matches = set(keys[1::2])  # the whole result: three a day
    in_order = sorted(matches, key=lambda k: keys.index(k))
    last = date[in_order[4]]
    newest = sorted(k for k in in_order if date[k] >= last)
    newest.sort(key=lambda k: date[k], reverse=True)  # as the catalog finds them: date, then key
    found = [(k, date[k]) for k in newest]
    assert len(found) > 5  # (past the fifth match, the rest of its day)
    assert model.show_head_of_search([found[0], ("arxiv:not-in-this-view", date[newest[0]]), *found[1:]])
    assert model.searching and model.showing_head
    head = model.shown_keys()
    assert head == [k for k in keys if k in set(newest)]  # in the list's order, not the catalog's
    model.set_search_hits(matches)
    assert not model.showing_head
    whole = model.shown_keys()
    assert whole[: len(head)] == head and len(whole) == len(matches)
    assert model.show_head_of_search([(k, date[newest[0]]) for k in in_order if date[k] == date[newest[0]]])
    assert model.shown_keys() == whole[:3] and model.showing_head  # one day's matches are a head too
    model.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)  # by title the newest are not the first rows
    assert not model.show_head_of_search(found) and model.shown_keys() != head


def test_the_rows_of_a_view_left_are_freed_in_pieces_and_rows_still_shown_are_never_touched(
    qtbot: QtBot, sample_dir: Path
) -> None:
    """A million rows freed at once stalled the list for 170 ms: they go a piece per turn of the event loop. A
    list something else still holds (the rows on screen share lists with the view left) is only let go."""

    model = PaperTableModel()
    view = sample_rows(sample_dir)
    model.set_rows(view.rows, view.states, newest_first=True, keys=view.keys)
    shown = model.shown_keys()
    left = list(range(3 * paper_model.RELEASE_PIECE + 5))  # only the model will hold this one
    states = {i: i for i in range(2 * paper_model.RELEASE_PIECE)}
    still_held = list(range(2 * paper_model.RELEASE_PIECE))
    model._release_later(still_held, left, states)
    pieces = []
    real_free = model._free_released

    def one_piece() -> None:
        pieces.append(sum(len(x) for x in model._released if isinstance(x, list | dict) and x is not still_held))
        real_free()

    model._free_released = one_piece  # type: ignore[method-assign]
    del left, states
    model.set_rows(list(reversed(view.rows)), view.states)  # the same papers: the model lets its lists go
    qtbot.waitUntil(lambda: not model._released, timeout=5000)
    assert len(pieces) >= 5  # what is freed a turn: never more than a piece (and a few small lists)
    assert all(a - b <= paper_model.RELEASE_PIECE + 500 for a, b in pairwise(pieces)), pieces
    assert still_held == list(range(2 * paper_model.RELEASE_PIECE))  # let go, never emptied
    assert sorted(model.shown_keys()) == sorted(shown) and model.rowCount() == len(shown)


def test_sidebar_model_passes_the_model_tester(qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    model = SidebarModel()
    qtmodeltester.check(model)
    counts = SidebarCounts(
        papers=10,
        views={"unread": 7, "today": 0, "starred": 2, "noted": 1, "updated": 0, "all": 10, "read": 3},
        feeds=(("f1", "arXiv cs.CL", 5), ("Nature", "Nature", 2)),
        tags=(("ml", 3),),
    )
    model.set_counts(counts)
    qtmodeltester.check(model)
    inbox = model.index_of(jobs.INBOX)
    assert inbox.isValid() and inbox.data() == "Inbox"
    assert inbox.siblingAtColumn(COL_COUNT).data() == "7"
    assert inbox.data(SELECTION_ROLE) == jobs.INBOX
    assert not (model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsSelectable)  # section headers
    feed = model.index_of(Selection("feed", "f1"))  # papers record the subscription's id; the sidebar its name
    assert feed.data() == "arXiv cs.CL" and counts.label(Selection("feed", "f1")) == "arXiv cs.CL"
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.set_counts(SidebarCounts(10, {**counts.views, "unread": 6}, counts.feeds, counts.tags))
    assert not resets and inbox.siblingAtColumn(COL_COUNT).data() == "6"
    model.set_counts(SidebarCounts(10, counts.views, counts.feeds, (("ml", 3), ("to read", 1))))
    assert resets == [True]
    qtmodeltester.check(model)
    assert [s.to_text() for s in model.selections()][-2:] == ["tag:ml", "tag:to read"]
    assert model.parent(QModelIndex()) == QModelIndex()


def test_short_authors() -> None:
    assert short_authors([]) == ""
    assert short_authors(["Ashish Vaswani", "Noam Shazeer"]) == "Vaswani, Shazeer"
    assert short_authors(["A B", "C D", "E F", "G H"]) == "B, D, F et al."
    assert short_authors(["Smith, J.", "Doe, A."]) == "Smith, Doe"
    assert short_authors(["J. Smith et al."]) == "J. Smith et al."


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    papers=st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["b", "A", "c", "a"])), min_size=1, max_size=30),
    clicks=st.lists(
        st.tuples(
            st.sampled_from([COL_DATE, COL_TITLE, COL_STAR]),
            st.sampled_from([Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder]),
        ),
        max_size=6,
    ),
    settle=st.booleans(),
)
def test_a_column_sorts_newest_first_among_equals_whatever_was_clicked_before(
    qtbot: QtBot, papers: list[tuple[int, str]], clicks: list[tuple[int, Qt.SortOrder]], settle: bool
) -> None:
    """The rows come newest first from the library thread; each header click shows them by that column with
    equal values newest first (ties of equal dates in the view's order), and the date column, newest first, is
    the view again: never an order left over from an earlier click. With `settle`, the orders made ahead on
    their own thread arrive before each click (and are what the click shows); without, the click sorts."""
    docs = [
        {"key": f"p{i}", "title": title, "published": f"2026-01-0{1 + day}T00:00:00Z", "shown": RENDER_VERSION}
        for i, (day, title) in enumerate(papers)
    ]
    rows = sorted(map(jobs.row_from_doc, docs), key=lambda r: r.sort_date, reverse=True)  # (stable: view order)
    starred = {r.key: RowState(starred=True) for r in rows[::3]}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paper_model, "ORDERS_AFTER_MS", 0)  # (made as soon as the rows come: examples are many)
        model = PaperTableModel()
    model.set_rows(rows, starred, newest_first=True)
    assert model.shown_keys() == [r.key for r in rows]
    keys: dict[int, Callable[[jobs.PaperRow], Any]] = {
        COL_DATE: lambda r: r.sort_date,
        COL_TITLE: lambda r: r.sort_title,
        COL_STAR: lambda r: r.key in starred,
    }
    for column, order in clicks:
        if settle:
            qtbot.waitUntil(lambda: not model.making_orders, timeout=5000)
        model.sort(column, order)
        descending = order == Qt.SortOrder.DescendingOrder
        want = sorted(rows, key=keys[column], reverse=descending)  # (stable: equal ones stay newest first)
        assert model.shown_keys() == [r.key for r in want], (column, order)


def test_a_sort_asked_for_twice_lays_the_list_out_once_but_stars_sort_again(qtbot: QtBot, sample_dir: Path) -> None:
    """Qt's `sortByColumn` asks the model to sort twice: the second costs nothing (at 100,000 papers each sort
    by title is tens of milliseconds of the GUI thread). The star column sorts again: stars change under it."""
    from readinglist.ui.paper_list import PaperListView

    model = PaperTableModel()
    view = sample_rows(sample_dir)
    model.set_rows(view.rows, view.states, newest_first=False)
    table = PaperListView(model)
    qtbot.addWidget(table)
    layouts: list[int] = []
    model.layoutChanged.connect(lambda *_: layouts.append(1))
    table.sortByColumn(COL_TITLE, Qt.SortOrder.AscendingOrder)
    assert len(layouts) == 1
    titles = [model.row_at(r).sort_title for r in range(model.rowCount())]
    assert titles == sorted(titles)
    table.sortByColumn(COL_STAR, Qt.SortOrder.DescendingOrder)
    last = model.key_at(model.rowCount() - 1)
    assert not model.state(last).starred
    model.set_states({last: RowState(starred=True)})
    table.sortByColumn(COL_STAR, Qt.SortOrder.DescendingOrder)
    top = [model.key_at(r) for r in range(4)]
    assert last in top and all(model.state(k).starred for k in top)


def title_rows(titles: list[str]) -> list[jobs.PaperRow]:
    """Rows newest first (p0 the newest, an hour apart) with these titles (at most 600)."""
    docs = [
        {
            "key": f"p{i}",
            "title": title,
            "published": f"2026-01-{28 - i // 24:02d}T{23 - i % 24:02d}:00:00Z",
            "shown": RENDER_VERSION,
        }
        for i, title in enumerate(titles)
    ]
    return sorted(map(jobs.row_from_doc, docs), key=lambda r: r.sort_date, reverse=True)


def test_a_title_sort_made_ahead_is_the_sort_of_the_rows_shown_now_never_of_rows_replaced(qtbot: QtBot) -> None:
    """The orders a header click asks for are made on their own thread from the rows as they came. A reload
    with a paper retitled must not show the order of the old titles, before the new orders are made or after."""
    rows = title_rows([f"Paper {i % 7}" for i in range(40)])
    model = PaperTableModel()
    model.set_rows(rows, {}, newest_first=True)
    assert model.making_orders  # (a moment after the rows come: a view switch is not slowed by it)
    qtbot.waitUntil(lambda: not model.making_orders, timeout=5000)

    def by_title(rows: list[jobs.PaperRow], descending: bool) -> list[str]:
        return [r.key for r in sorted(rows, key=lambda r: r.sort_title, reverse=descending)]

    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        model.sort(COL_TITLE, order)
        assert model.shown_keys() == by_title(rows, order == Qt.SortOrder.DescendingOrder)
    model.sort(COL_DATE, Qt.SortOrder.DescendingOrder)
    retitled = [r._replace(title="Aardvarks", sort_title="aardvarks") if r.key == "p30" else r for r in rows]
    model.set_rows(retitled, {}, newest_first=True)  # the same papers: a reload
    model.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    assert model.shown_keys() == by_title(retitled, False) and model.key_at(0) == "p30"
    model.sort(COL_DATE, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: not model.making_orders, timeout=5000)
    model.sort(COL_TITLE, Qt.SortOrder.DescendingOrder)
    assert model.shown_keys() == by_title(retitled, True) and model.key_at(39) == "p30"
    model.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    assert model.shown_keys() == by_title(retitled, False)


def test_the_paper_being_read_stays_selected_through_sorts_among_papers_of_equal_title(qtbot: QtBot) -> None:
    """After a sort the current row is found by the order (a bisection to the rows that sort equal to it): of
    five papers titled alike, the one being read is the one still current, in every column and direction."""
    from readinglist.ui.paper_list import PaperListView

    rows = title_rows(["Same title"] * 5 + [f"Other {i}" for i in range(30)])
    model = PaperTableModel()
    model.set_rows(rows, {}, newest_first=True)
    table = PaperListView(model)
    qtbot.addWidget(table)
    qtbot.waitUntil(lambda: not model.making_orders, timeout=5000)
    table.setCurrentIndex(model.index(model.row_of("p3") or 0, COL_TITLE))
    clicks = [(COL_TITLE, Qt.SortOrder.AscendingOrder), (COL_TITLE, Qt.SortOrder.DescendingOrder)]
    clicks += [(COL_DATE, Qt.SortOrder.AscendingOrder), (COL_STAR, Qt.SortOrder.DescendingOrder)]
    clicks += [(COL_DATE, Qt.SortOrder.DescendingOrder), (COL_TITLE, Qt.SortOrder.DescendingOrder)]
    for column, order in clicks:
        table.sortByColumn(column, order)
        qtbot.waitUntil(lambda: not model.making_orders, timeout=5000)
        assert model.key_at(table.currentIndex().row()) == "p3", (column, order)
        assert table.currentIndex().column() == COL_TITLE


def test_a_paper_is_found_where_it_is_now_after_the_list_changed_under_the_row_last_asked_about(
    qtbot: QtBot,
) -> None:
    """The rows the window asked about are remembered to find them again at once; after a sort, a search or a
    reload the remembered row is somewhere else, and the paper is still found where it is."""
    rows = title_rows([f"Paper {39 - i:02d}" for i in range(40)])
    model = PaperTableModel()
    model.set_rows(rows, {}, newest_first=True)
    assert model.key_at(3) == "p3" and model.row_of("p3") == 3
    model.sort(COL_TITLE, Qt.SortOrder.AscendingOrder)
    assert model.row_of("p3") == 36 and model.key_at(36) == "p3"
    model.set_search_hits({"p3", "p10"})
    assert model.row_of("p3") == 1 and model.row_of("p10") == 0
    model.set_search_hits(None)
    model.set_rows(rows[:20], {}, newest_first=True)
    assert model.row_of("p3") == 16 and model.row_of("p30") is None
    assert [model.row_of(k) for k in model.shown_keys()] == list(range(20))
