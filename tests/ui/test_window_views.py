"""What the window shows: the welcome view, views and counts, search, and the place it keeps across restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from uitools import WindowFactory, load_sample, read_library, reopen, wait_idle

from readinglist.core.search import query_words
from readinglist.ui.library_jobs import Selection
from readinglist.ui.main_window import PAGE_MAIN, PAGE_WELCOME, MainWindow
from readinglist.ui.paper_model import COL_AUTHORS, COL_SOURCE, COL_TITLE
from readinglist.ui.settings import MarkReadMode
from readinglist.ui.shortcuts import ACTIONS
from readinglist.ui.single_instance import SingleInstance


def type_search(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.search.setFocus()
    qtbot.keyClicks(window.search, text)
    wait_idle(qtbot, window)


def test_first_run_shows_the_welcome_view_and_loads_the_sample_papers(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(data_dir)
    assert window.stack.currentIndex() == PAGE_WELCOME
    assert window.windowTitle() == "Reading List"
    buttons = {b.text(): b for b in window.welcome.buttons}
    # The three ways in: a feed, another reader's subscriptions, or the bundled sample (no network needed).
    assert list(buttons) == ["Add Feed…", "Import OPML…", "Load Sample Papers"]
    assert not window.actions_by_name["next"].isEnabled()

    qtbot.mouseClick(buttons["Load Sample Papers"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == PAGE_MAIN, timeout=5000)
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 60
    assert window.counts is not None and window.counts.unread == 60
    assert window.windowTitle() == "60 unread — Reading List"  # ends with the name: Qt appends none
    assert "60 new" in window.statusBar().currentMessage()
    assert window.view_title.text() == "Inbox" and window.view_count.text() == "60 papers"
    with read_library(data_dir) as lib:
        assert len(lib) == 60


def test_search_narrows_the_list_as_you_type_and_escape_brings_it_back(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir)
    type_search(qtbot, window, "di")
    assert window.model.rowCount() == 60  # two letters: nothing narrowed yet
    type_search(qtbot, window, "ffusion")
    shown = window.model.rowCount()
    assert 0 < shown < 60
    assert window.view_count.text() == f"{shown} of 60 papers match"
    for row in range(shown):
        paper = window.model.row_at(row)
        text = f"{paper.title} {paper.abstract}".casefold()
        assert any(w.startswith("diffusion") for w in query_words(text))

    type_search(qtbot, window, " guided")  # a second word narrows further
    assert 0 < window.model.rowCount() <= shown

    qtbot.keyClick(window.search, Qt.Key.Key_Escape)  # from the search box: back to the list, search kept
    assert QApplication.focusWidget() is window.list
    assert window.model.searching
    qtbot.keyClick(window.list, Qt.Key.Key_Escape)  # again: the whole view
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 60 and not window.model.searching


def test_search_finds_notes_and_stays_within_the_view(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    with read_library(sample_dir) as lib:
        keys = lib.query()
    from readinglist.core.library import Library

    with Library.open(sample_dir) as lib:
        lib.set_note(keys[0], "zebrafish mentioned in passing")
        lib.set_note(keys[1], "zebrafish again")
        lib.set_starred([keys[1]], True)
    window = open_window(sample_dir)
    type_search(qtbot, window, "zebrafish")
    assert sorted(window.model.shown_keys()) == sorted(keys[:2])
    window.show_view(Selection("view", "starred"))
    wait_idle(qtbot, window)
    assert window.model.shown_keys() == [keys[1]]
    assert window.view_count.text() == "1 of 1 paper match"
    type_search(qtbot, window, " nothing-like-this")
    assert window.model.rowCount() == 0
    assert "matches" in window.list.empty_text


def test_views_from_the_sidebar_and_the_keyboard(qtbot: QtBot, sample_dir: Path, open_window: WindowFactory) -> None:
    with read_library(sample_dir) as lib:
        keys = lib.query()
    from readinglist.core.library import Library

    with Library.open(sample_dir) as lib:
        lib.set_starred(keys[:3], True)
        lib.set_read(keys[:5], True)
    window = open_window(sample_dir)
    counts = window.counts
    assert counts is not None
    assert (counts.views["unread"], counts.views["starred"], counts.views["read"]) == (55, 3, 5)
    assert counts.feeds == (("Sample papers", "Sample papers", 55),)
    qtbot.keyClick(
        window.list, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier
    )  # Starred (after Inbox, For you, Today, Trending)
    wait_idle(qtbot, window)
    assert window.view_title.text() == "Starred" and window.model.rowCount() == 3
    feed = window.sidebar_model.index_of(Selection("feed", "Sample papers"))
    rect = window.sidebar.visualRect(feed)
    qtbot.mouseClick(window.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    wait_idle(qtbot, window)
    assert window.selection == Selection("feed", "Sample papers") and window.model.rowCount() == 60
    window.show_view(Selection("view", "noted"))
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 0
    assert window.list.empty_text.startswith("No notes yet")


def test_closing_and_reopening_keeps_view_selection_sort_columns_and_geometry(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir, mark_read=MarkReadMode.NEVER)
    window.show_view(Selection("view", "all"))
    wait_idle(qtbot, window)
    window.list.sortByColumn(COL_TITLE, Qt.SortOrder.AscendingOrder)
    window.list.horizontalHeader().resizeSection(COL_AUTHORS, 111)
    window.resize(780, 520)  # the offscreen screen is 800 × 600: restoreGeometry keeps a window on it
    window.list.select_row(30)
    key = window.pane.key
    titles = [window.model.row_at(r).title.casefold() for r in range(window.model.rowCount())]
    assert titles == sorted(titles)

    window = reopen(window, open_window)
    assert window.selection == Selection("view", "all")
    assert window.pane.key == key and window.list.current_key() == key
    assert window.model.sort_column == COL_TITLE and window.model.sort_order == Qt.SortOrder.AscendingOrder
    assert [window.model.row_at(r).title.casefold() for r in range(window.model.rowCount())] == titles
    assert window.list.horizontalHeader().sectionSize(COL_AUTHORS) == 111
    assert (window.width(), window.height()) == (780, 520)
    assert (sample_dir / "window.ini").is_file()  # in the data folder, not the user's Qt settings


def test_a_reload_keeps_the_selected_paper_and_the_scroll_position(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir, mark_read=MarkReadMode.NEVER)
    window.resize(1000, 500)
    window.list.select_row(45)
    window.list.scrollTo(window.model.index(40, COL_TITLE), window.list.ScrollHint.PositionAtTop)
    top = window.list.rowAt(0)
    key = window.pane.key
    resets: list[bool] = []
    window.model.modelReset.connect(lambda: resets.append(True))
    window.reload_view()  # the same papers again (a refresh that found nothing new)
    wait_idle(qtbot, window)
    assert not resets  # the same set: no reset, so nothing jumps
    assert window.pane.key == key and window.list.rowAt(0) == top

    type_search(qtbot, window, "language")  # a different set: reset, and the place is kept where it can be
    assert resets
    if key in window.model.shown_keys():
        assert window.list.current_key() == key
    qtbot.keyClick(window.list, Qt.Key.Key_Escape)
    wait_idle(qtbot, window)
    assert window.list.current_key() == key


def test_two_windows_on_one_library_both_write_and_each_shows_the_others_changes(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    first = open_window(sample_dir)
    second = open_window(sample_dir)  # as a second process would: its own library, thread and lock
    key_a, key_b = first.model.shown_keys()[:2]
    first.writes.change("Star", {key_a: first.model.state(key_a)._replace(starred=True)},
                        lambda lib: lib.set_starred([key_a], True))  # fmt: skip
    second.writes.change("Star", {key_b: second.model.state(key_b)._replace(starred=True)},
                         lambda lib: lib.set_starred([key_b], True))  # fmt: skip
    wait_idle(qtbot, first)
    wait_idle(qtbot, second)
    qtbot.waitUntil(lambda: second.model.state(key_a).starred and first.model.state(key_b).starred, timeout=5000)
    with read_library(sample_dir) as lib:
        assert lib.state(key_a).starred and lib.state(key_b).starred


def test_a_second_launch_brings_the_first_window_forward(qtbot: QtBot, data_dir: Path) -> None:
    first = SingleInstance(data_dir)
    assert not first.ask_running_window()  # nobody there yet
    assert first.listen()
    second = SingleInstance(data_dir)
    with qtbot.waitSignal(first.activated, timeout=3000):
        assert second.ask_running_window()
    first.close()
    other = SingleInstance(data_dir / "elsewhere")
    assert not other.ask_running_window()


def test_question_mark_lists_every_action_with_its_keys(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir)
    qtbot.keyClick(window.list, Qt.Key.Key_Question)
    sheet = window._sheet
    assert sheet is not None and sheet.isVisible()
    qtbot.addWidget(sheet)
    text = sheet.findChild(type(window.pane.details)).toPlainText()
    for spec in ACTIONS:
        assert spec.text.replace("&", "") in text
    for key in ("J", "K", "N", "Space", "S", "M", "E", "T", "O", "Enter", "/", "Esc", "Ctrl+Z", "Shift+A"):
        assert key in text, key
    # The menus show the same keys.
    assert window.actions_by_name["star"].shortcut().toString() == "S"


def test_clicking_the_star_column_stars(qtbot: QtBot, sample_dir: Path, open_window: WindowFactory) -> None:
    window = open_window(sample_dir, mark_read=MarkReadMode.NEVER)
    rect = window.list.visualRect(window.model.index(2, 0))
    qtbot.mouseClick(window.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    wait_idle(qtbot, window)
    assert window.model.state(window.model.key_at(2)).starred
    assert window.counts is not None and window.counts.views["starred"] == 1


@pytest.mark.parametrize("width", [760, 1600])
def test_the_window_lays_out_at_small_and_large_sizes(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory, width: int
) -> None:
    window = open_window(sample_dir)
    window.resize(width, 600)
    window.list.select_row(0)
    qtbot.wait(10)
    assert window.list.columnWidth(COL_TITLE) > 100  # the title always has room
    assert window.list.indexAt(QPoint(5, 5)).isValid()


def test_feeds_are_shown_by_name_though_papers_record_the_subscription_id(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    from readinglist.app import resource
    from readinglist.core.feeds import FeedRegistry, FeedSpec
    from readinglist.core.importer import read_feed_file
    from readinglist.core.library import Library

    with Library.open(data_dir) as lib:
        feed = FeedRegistry(lib.store).add(FeedSpec(url="https://rss.arxiv.org/rss/cs.CL", name="arXiv cs.CL"))
        lib.add_papers(read_feed_file(resource("sample-papers.xml")).papers[:5], source=feed.id)
    window = open_window(data_dir)
    assert window.counts is not None and window.counts.feeds == ((feed.id, "arXiv cs.CL", 5),)
    assert window.sidebar_model.index_of(Selection("feed", feed.id)).data() == "arXiv cs.CL"
    assert window.model.data(window.model.index(0, COL_SOURCE)) == "arXiv cs.CL"
    window.show_view(Selection("feed", feed.id))
    wait_idle(qtbot, window)
    assert window.view_title.text() == "arXiv cs.CL" and window.model.rowCount() == 5
    window.list.select_row(0)
    assert "Feed: arXiv cs.CL" in window.pane.details.toPlainText()


def test_search_results_start_at_the_top_and_esc_esc_comes_back_to_the_paper_being_read(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir)
    window.resize(1000, 420)  # a short list: some rows below the fold
    wait_idle(qtbot, window)
    window.list.select_row(45)
    window.list.scrollTo(window.model.index(45, 1))
    wait_idle(qtbot, window)
    reading = window.pane.key
    assert window.list.verticalScrollBar().value() > 0
    type_search(qtbot, window, "language")
    assert window.model.rowCount() > 5
    assert window.list.verticalScrollBar().value() == 0  # the best matches in sight
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    qtbot.keyClick(window.list, Qt.Key.Key_Escape)
    wait_idle(qtbot, window)
    assert not window.model.searching and window.pane.key == reading  # back where triage was
    row = window.model.row_of(reading)
    assert row is not None and window.list.rowAt(window.list.viewport().height() // 2) in range(row - 3, row + 4)


def test_after_a_large_import_elsewhere_the_window_opens_at_once_and_indexes_search_in_slices(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from readinglist.core.library import Library
    from readinglist.core.models import IncomingPaper
    from readinglist.ui import library_jobs

    # Another process imported 8,000 papers and never built the catalog (as `readinglist import` leaves it).
    with Library.open(data_dir) as lib:
        for start in (0, 4000):
            lib.add_papers(
                [
                    IncomingPaper(
                        title=("Quokka dynamics" if i == 6543 else f"Paper number {i}"),
                        abstract=f"An abstract about topic {i % 97}.",
                        arxiv_id=f"2405.{i:05d}",
                        arxiv_version=1,
                    )
                    for i in range(start, start + 4000)
                ],
                source="arXiv",
            )
    shutil.rmtree(data_dir / "index", ignore_errors=True)
    slices: list[int] = []
    original = library_jobs.prepare_search

    def counted(lib: Library) -> int:
        left = original(lib)
        slices.append(left)
        return left

    monkeypatch.setattr(library_jobs, "SEARCH_SLICE", 0.005)
    monkeypatch.setattr(library_jobs, "prepare_search", counted)
    messages: list[str] = []
    window = open_window(data_dir, wait=False)
    window.statusBar().messageChanged.connect(messages.append)
    qtbot.waitUntil(lambda: window.model.rowCount() == 8000, timeout=20000)
    # The list is there while the index is still being built, a slice at a time between other jobs.
    qtbot.waitUntil(lambda: bool(slices) and slices[-1] == 0, timeout=60000)
    assert len(slices) >= 2 and slices[0] > 0 and slices == sorted(slices, reverse=True)
    assert any(m.startswith("Indexing for search:") for m in messages), messages
    type_search(qtbot, window, "quokka")
    assert window.model.rowCount() == 1


def test_the_first_screen_comes_from_the_catalog_while_the_library_opens_and_a_star_made_meanwhile_is_kept(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from readinglist.app import App
    from readinglist.core.models import IncomingPaper, ListFilter
    from readinglist.core.shelf import Shelf
    from readinglist.ui.library_jobs import FIRST_SCREEN

    papers = 500
    with App(data_dir).open_library() as lib:
        lib.add_papers(
            [
                IncomingPaper(
                    title=f"Paper number {i}",
                    abstract=f"What paper {i} found.",
                    arxiv_id=f"2405.{i:05d}",
                    arxiv_version=1,
                    published=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
                )
                for i in range(papers)
            ],
            source="arXiv",
        )
        newest = lib.query(view=ListFilter.UNREAD)[:FIRST_SCREEN]
    with Shelf.open(data_dir, writer=False) as shelf:
        shelf.query(limit=1)  # any command brings the catalog up to the library, as `list` does
    # The library takes its time to open (half a minute at 1,000,000 papers): here, until the test says so.
    may_open = threading.Event()
    real_open = App.open_library

    def slow_open(self: App, *, writer: bool = True) -> object:
        may_open.wait(30)
        return real_open(self, writer=writer)

    monkeypatch.setattr(App, "open_library", slow_open)
    window = open_window(data_dir, wait=False)
    qtbot.waitUntil(lambda: window.model.rowCount() == FIRST_SCREEN, timeout=5000)
    assert window.stack.currentIndex() == PAGE_MAIN
    assert [window.model.key_at(r) for r in range(FIRST_SCREEN)] == newest  # the Inbox's newest, in its order
    assert window.view_title.text() == "Inbox"
    assert window.view_count.text() == f"newest {FIRST_SCREEN} while the library opens"
    assert window.statusBar().currentMessage() == f"Opening the library: {papers} papers…"
    feeds_section = window.sidebar_model.index(1, 0)
    placeholder = window.sidebar_model.index(0, 0, feeds_section)
    assert placeholder.data() == "Counting…"  # not "No feeds yet": they are not counted yet
    # Reading and starring work meanwhile: the star shows at once and is written once the library is open.
    window.list.select_row(0)
    assert window.pane.key == newest[0] and "What paper" in window.pane.details.toPlainText()
    qtbot.keyClick(window.list, Qt.Key.Key_S)
    assert window.model.state(newest[0]).starred
    may_open.set()
    qtbot.waitUntil(lambda: window.model.rowCount() == papers, timeout=10000)
    wait_idle(qtbot, window)
    assert window.view_count.text() == f"{papers} papers"
    assert window.pane.key == newest[0] and window.model.state(newest[0]).starred  # the place is kept
    assert window.statusBar().currentMessage() == ""
    assert window.sidebar_model.index(0, 0, window.sidebar_model.index(1, 0)).data() != "Counting…"
    with read_library(data_dir) as lib:
        assert lib.state(newest[0]).starred


def test_without_a_current_catalog_the_window_waits_for_the_library_as_before(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    import shutil

    from readinglist.ui import library_jobs

    load_sample(data_dir)
    shutil.rmtree(data_dir / "index", ignore_errors=True)  # no catalog: nothing to show before the library
    assert library_jobs.first_screen(data_dir, library_jobs.INBOX) is None
    window = open_window(data_dir)
    assert window.model.rowCount() == 60 and window.view_count.text() == "60 papers"
    # A view the catalog cannot answer alone (ranked by the user's taste) never has a first screen either.
    assert library_jobs.first_screen(data_dir, library_jobs.FOR_YOU) is None


def test_a_catalog_far_behind_another_process_s_import_gives_no_first_screen(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readinglist.app import App
    from readinglist.core.models import IncomingPaper
    from readinglist.core.shelf import Shelf
    from readinglist.ui import library_jobs

    load_sample(data_dir)
    with Shelf.open(data_dir, writer=False) as shelf:
        shelf.query(limit=1)
    assert library_jobs.first_screen(data_dir, library_jobs.INBOX) is not None
    with App(data_dir).open_library() as lib:  # an import elsewhere: new papers and states
        lib.add_papers([IncomingPaper(title="A new one", arxiv_id="2501.00001", arxiv_version=1)], source="x")
    # A few parts behind: caught up at once, and the new paper is on the first screen.
    view = library_jobs.first_screen(data_dir, library_jobs.INBOX)
    assert view is not None and "A new one" in [r.title for r in view.rows]
    with App(data_dir).open_library() as lib:
        lib.add_papers([IncomingPaper(title="Another", arxiv_id="2501.00002", arxiv_version=1)], source="x")
    # Further behind than the first screen may wait for (a large import): the library opens without waiting.
    monkeypatch.setattr(library_jobs, "FIRST_SCREEN_BEHIND", 0)
    assert library_jobs.first_screen(data_dir, library_jobs.INBOX) is None


def test_when_the_library_cannot_open_after_the_first_screen_the_window_says_why_instead(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readinglist.app import App
    from readinglist.core.errors import StoreError
    from readinglist.core.shelf import Shelf
    from readinglist.ui.main_window import PAGE_OPENING

    load_sample(data_dir)
    with Shelf.open(data_dir, writer=False) as shelf:
        shelf.query(limit=1)

    def failing_open(self: App, *, writer: bool = True) -> object:
        raise StoreError("the disk said no")

    monkeypatch.setattr(App, "open_library", failing_open)
    window = open_window(data_dir, wait=False)
    errors: list[str] = []
    window.fatal_error.connect(errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert window.stack.currentIndex() == PAGE_OPENING and window.model.rowCount() == 0
    assert "The disk said no" in window.opening.text() and window.statusBar().currentMessage() == ""


class SlowWholeSearch:
    """A view big enough for a head of matches (the thresholds lowered to 80 papers), and a whole search that
    waits until `release()`: the head shows meanwhile, as at 1,000,000 papers."""

    def __init__(self, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        import threading

        from readinglist.core.library import Library
        from readinglist.core.models import IncomingPaper
        from readinglist.ui import library_jobs as jobs
        from readinglist.ui import main_window as main_window_module

        words = ["diffusion", "graph", "kernel", "sparse"]
        papers = [
            IncomingPaper(
                title=f"{words[i % 4].capitalize()} and {words[(i // 4) % 4]} {i}",
                abstract=f"On {words[(i + 1) % 4]}.",
                arxiv_id=f"2411.{i:05d}",
                published=f"2024-11-{1 + i // 3:02d}T00:00:00Z",  # three papers a day
            )
            for i in range(80)
        ]
        with Library.open(data_dir) as lib:
            lib.add_papers(papers, source="arXiv cs.LG")
        monkeypatch.setattr(main_window_module, "SEARCH_HEAD_FROM", 50)  # (a big view: 50,000 papers and more)
        monkeypatch.setattr(jobs, "SEARCH_HEAD", 6)
        monkeypatch.setattr(jobs, "SEARCH_HEAD_WORTH", 10)  # (matches from which the head is worth showing)
        self._monkeypatch, self._jobs, self._gate = monkeypatch, jobs, threading.Event()

    def slow_down(self) -> None:
        whole_search, gate = self._jobs.search, self._gate

        def slow_search(lib: object, text: str) -> object:
            gate.wait(10)  # the whole result takes long to find
            return whole_search(lib, text)

        self._monkeypatch.setattr(self._jobs, "search", slow_search)

    def release(self) -> None:
        self._gate.set()


def test_a_search_of_a_big_view_shows_its_newest_matches_while_the_whole_result_is_found(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 1,000,000 papers the whole result of a common word takes a quarter of a second: the newest matches
    come first (milliseconds), and the whole result then begins with the same rows, in the same place."""
    from readinglist.core.models import ListFilter

    slow = SlowWholeSearch(data_dir, monkeypatch)
    window = open_window(data_dir)
    assert window.model.view_size == 80
    window.list.select_row(70)  # the paper being read when the search begins
    wait_idle(qtbot, window)
    reading = window.pane.key
    slow.slow_down()
    try:
        window.search.setText("graph")
        qtbot.waitUntil(lambda: window.model.showing_head, timeout=5000)
        head = window.model.shown_keys()
        assert not window.search_idle() and "the newest" in window.view_count.text()
        assert "finding the rest" in window.view_count.text()
    finally:
        slow.release()
    wait_idle(qtbot, window)
    with read_library(data_dir) as lib:
        want = lib.query(view=ListFilter.UNREAD, search="graph")
        assert all("graph" in lib.get(k).title.casefold() + lib.get(k).abstract for k in head)
    assert not window.model.showing_head and window.model.shown_keys() == want
    assert 0 < len(head) < len(want) and want[: len(head)] == head  # the same first rows
    assert window.view_count.text() == f"{len(want)} of 80 papers match"
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)  # Esc Esc: back to the paper being read, as without a head
    qtbot.keyClick(window.list, Qt.Key.Key_Escape)
    wait_idle(qtbot, window)
    assert not window.model.searching and window.pane.key == reading


def test_an_older_paper_being_read_stays_open_through_the_head_of_a_search_and_is_current_after_it(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = SlowWholeSearch(data_dir, monkeypatch)
    window = open_window(data_dir, mark_read=MarkReadMode.NEVER)
    window.list.select_row(70)  # older than any head of six matches
    wait_idle(qtbot, window)
    reading = window.pane.key
    assert reading is not None
    word = window.model.row_at(70).title.split()[0].lower()  # a word of its title: it matches
    slow.slow_down()
    try:
        window.search.setText(word)
        qtbot.waitUntil(lambda: window.model.showing_head, timeout=5000)
        assert reading not in window.model.shown_keys()
        assert window.pane.key == reading  # the pane keeps the paper the head leaves out
    finally:
        slow.release()
    wait_idle(qtbot, window)
    assert reading in window.model.shown_keys()
    assert window.list.current_key() == reading and window.pane.key == reading
    assert window.list.rowAt(0) == 0  # the list stays at the head's rows, the first of the whole result


def test_typing_back_to_the_search_shown_while_a_head_is_up_shows_that_search_again(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = SlowWholeSearch(data_dir, monkeypatch)
    window = open_window(data_dir)
    window.search.setText("graph")
    wait_idle(qtbot, window)
    graph = window.model.shown_keys()
    slow.slow_down()
    try:
        window.search.setText("graph kernel")
        qtbot.waitUntil(lambda: window.model.showing_head, timeout=5000)
        window.search.setText("graph ke")  # backspaces: "ke" is too short to count, the search is "graph" again
    finally:
        slow.release()
    wait_idle(qtbot, window)
    assert not window.model.showing_head and window.model.shown_keys() == graph
    assert window.view_count.text() == f"{len(graph)} of 80 papers match"


def test_the_head_of_an_inbox_search_keeps_the_papers_read_since_the_inbox_was_listed(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = SlowWholeSearch(data_dir, monkeypatch)
    window = open_window(data_dir, mark_read=MarkReadMode.IMMEDIATELY)
    window.list.select_row(0)  # read as it opens, and kept in the Inbox until it is listed again
    wait_idle(qtbot, window)
    reading = window.pane.key
    assert reading is not None and window.model.state(reading).read
    word = window.model.row_at(0).title.split()[0].lower()
    slow.slow_down()
    try:
        window.search.setText(word)
        qtbot.waitUntil(lambda: window.model.showing_head, timeout=5000)
        head = window.model.shown_keys()
    finally:
        slow.release()
    wait_idle(qtbot, window)
    assert head[0] == reading  # the newest match, read or not, as the whole result has it
    assert window.model.shown_keys()[: len(head)] == head and window.list.current_key() == reading
