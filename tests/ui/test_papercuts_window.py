"""Window papercuts a new user met (issue 15): the title is the column that takes the room, columns are chosen
from the header and kept, and `o` says so when no browser can be opened."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot
from uitools import WindowFactory, reopen, wait_idle

from readinglist.ui.paper_model import COL_AUTHORS, COL_DATE, COL_SOURCE, COL_TITLE


def test_the_title_takes_the_room_and_hidden_columns_stay_hidden(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir)
    header = window.list.horizontalHeader()
    widths = {c: header.sectionSize(c) for c in (COL_TITLE, COL_AUTHORS, COL_SOURCE, COL_DATE)}
    assert widths[COL_TITLE] > widths[COL_AUTHORS] + widths[COL_SOURCE], widths
    authors = next(a for a in window.list.column_actions() if a.text() == "Authors")
    authors.setChecked(False)
    assert header.isSectionHidden(COL_AUTHORS)
    wide = header.sectionSize(COL_TITLE)
    assert wide > widths[COL_TITLE]  # the room the authors had goes to the title

    window = reopen(window, open_window)
    header = window.list.horizontalHeader()
    assert header.isSectionHidden(COL_AUTHORS) and not header.isSectionHidden(COL_TITLE)
    assert header.sectionResizeMode(COL_TITLE).name == "Stretch"


def test_o_says_so_when_no_browser_can_be_opened(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(sample_dir)
    window.list.select_row(0)
    wait_idle(qtbot, window)
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda _url: False))  # a desktop with no browser
    window.action_open()
    assert window.statusBar().currentMessage().startswith("No web browser could be opened for https://")


def test_read_later_is_a_queue_apart_from_the_star_kept_across_restarts(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    from PySide6.QtCore import Qt

    from readinglist.core.models import ListFilter
    from readinglist.ui.library_jobs import Selection

    window = open_window(sample_dir)
    queued = []
    for row in (3, 0, 5):  # queued in this order
        window.list.select_row(row)
        wait_idle(qtbot, window)
        queued.append(window.pane.key)
        qtbot.keyClick(window.list, Qt.Key.Key_W)
        wait_idle(qtbot, window)
    assert window.counts is not None and window.counts.views[ListFilter.LATER.value] == 3
    assert not any(window.model.state(k).starred for k in queued)  # not a star
    window = reopen(window, open_window)
    window.show_view(Selection("view", ListFilter.LATER.value))
    qtbot.waitUntil(lambda: window.selection.name == "later" and window.worker.pending == 0)
    wait_idle(qtbot, window)
    assert window.model.shown_keys() == queued  # the first queued first
    window.list.select_row(0)
    wait_idle(qtbot, window)
    qtbot.keyClick(window.list, Qt.Key.Key_W)  # out of the queue
    wait_idle(qtbot, window)
    assert window.counts.views[ListFilter.LATER.value] == 2


def test_a_feeds_menu_marks_its_papers_read_and_renames_it(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    from uitools import read_library
    from workertools import add_feeds

    from readinglist.core.feeds import FeedSpec
    from readinglist.core.importer import read_feed_file
    from readinglist.core.models import ListFilter

    (feed,) = add_feeds(data_dir, FeedSpec("cs.CL"))
    parsed = read_feed_file(Path(__file__).resolve().parents[1] / "core" / "fixtures" / "arxiv_rss_cs.CL.xml")
    from readinglist.app import App

    with App(data_dir).open_library() as lib:
        lib.add_papers(parsed.papers, source=feed.id)
        total = len(lib)
    window = open_window(data_dir)
    assert window.counts is not None and feed.id in window.counts.subscribed
    window.mark_feed_read(feed.id)
    qtbot.waitUntil(lambda: window.counts is not None and window.counts.views[ListFilter.UNREAD.value] == 0)
    wait_idle(qtbot, window)
    assert "Ctrl+Z undoes it" in window.statusBar().currentMessage()
    window.action_undo()
    qtbot.waitUntil(lambda: window.counts.views[ListFilter.UNREAD.value] == total)  # type: ignore[union-attr]
    window.rename_feed(feed.id, "Computation and Language")
    from readinglist.ui.library_jobs import Selection

    qtbot.waitUntil(lambda: window._label(Selection("feed", feed.id)) == "Computation and Language")
    with read_library(data_dir) as lib:
        assert lib.feeds.get(feed.id).name == "Computation and Language"


def test_a_and_z_walk_the_sidebar_and_n_goes_on_to_the_next_feed_with_unread_papers(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    from PySide6.QtCore import Qt
    from workertools import add_feeds

    from readinglist.app import App
    from readinglist.core.feeds import FeedSpec
    from readinglist.core.importer import read_feed_file
    from readinglist.ui.library_jobs import INBOX, Selection

    fixtures = Path(__file__).resolve().parents[1] / "core" / "fixtures"
    cl, lg = add_feeds(data_dir, FeedSpec("cs.CL", name="A: cs.CL"), FeedSpec("cs.LG", name="B: cs.LG"))
    with App(data_dir).open_library() as lib:
        lib.add_papers(read_feed_file(fixtures / "arxiv_rss_cs.CL.xml").papers, source=cl.id)
        lib.add_papers(read_feed_file(fixtures / "arxiv_rss_cs.LG.xml").papers, source=lg.id)
        lib.set_read([k for k in lib.query(feed=cl.id)][1:], True)  # one unread paper left in cs.CL
    window = open_window(data_dir)
    assert window.selection == INBOX
    qtbot.keyClick(window.list, Qt.Key.Key_Z)  # down the sidebar: For you
    qtbot.waitUntil(lambda: window.selection.name == "for-you")
    qtbot.keyClick(window.list, Qt.Key.Key_A)  # and back up
    qtbot.waitUntil(lambda: window.selection == INBOX)

    window.show_view(Selection("feed", cl.id))
    qtbot.waitUntil(lambda: window.selection.name == cl.id and window.worker.pending == 0)
    wait_idle(qtbot, window)
    qtbot.keyClick(window.list, Qt.Key.Key_N)  # its one unread paper
    wait_idle(qtbot, window)
    qtbot.keyClick(window.list, Qt.Key.Key_N)  # none left here: on to cs.LG, at its first unread paper
    qtbot.waitUntil(lambda: window.selection.name == lg.id and window.pane.key is not None, timeout=5000)
    assert window.pane.key in window.model.shown_keys() and window.list.current_row() is not None


def test_a_library_whose_feeds_all_fail_says_so_instead_of_well_done(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    import socket

    from workertools import add_feeds

    from readinglist.core.feeds import FeedSpec

    with socket.socket() as s:  # a port nothing listens on: connection refused, as when offline
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    add_feeds(
        data_dir,
        FeedSpec(f"http://127.0.0.1:{port}/a.xml", name="A"),
        FeedSpec(f"http://127.0.0.1:{port}/b.xml", name="B"),
    )
    window = open_window(data_dir)
    window.refresh.stop_schedule()
    assert "have not been fetched" in window.list.empty_text
    with qtbot.waitSignal(window.refresh.finished, timeout=20_000):
        window.refresh.refresh()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "None of your 2 feeds could be fetched" in window.list.empty_text, timeout=5000)
    # Refused on this machine: the servers are down, which the text says (it is not "offline").
    assert "refused the connection" in window.list.empty_text and "Well done" not in window.list.empty_text


def test_copy_the_papers_arxiv_id_and_link(qtbot: QtBot, data_dir: Path, open_window: WindowFactory) -> None:
    from PySide6.QtGui import QGuiApplication

    from readinglist.app import App
    from readinglist.core.importer import read_feed_file

    fixtures = Path(__file__).resolve().parents[1] / "core" / "fixtures"
    with App(data_dir).open_library() as lib:
        lib.add_papers(read_feed_file(fixtures / "arxiv_rss_cs.CL.xml").papers, source="cs.CL")
    window = open_window(data_dir)
    window.list.select_row(0)
    wait_idle(qtbot, window)
    row = window.pane.row
    assert row is not None and row.arxiv_id
    window.action_copy_id()
    assert QGuiApplication.clipboard().text() == row.arxiv_id
    window.action_copy_link()
    assert QGuiApplication.clipboard().text() == f"https://arxiv.org/abs/{row.arxiv_id}"
    assert window.statusBar().currentMessage() == f"Copied https://arxiv.org/abs/{row.arxiv_id}"


def test_space_pages_through_a_long_paper_before_moving_on_and_a_long_author_list_is_collapsed(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    from PySide6.QtCore import Qt

    from readinglist.app import App
    from readinglist.core.models import IncomingPaper

    long_abstract = " ".join(f"Sentence {n} of a long abstract about sparse attention." for n in range(300))
    authors = tuple(f"Author{n} Person{n}" for n in range(60))
    papers = [
        IncomingPaper(title="A long one", arxiv_id="2512.00001", authors=authors, abstract=long_abstract),
        IncomingPaper(title="A short one", arxiv_id="2512.00002", authors=("Ann Lee",), abstract="Short."),
    ]
    with App(data_dir).open_library() as lib:
        lib.add_papers(papers, source="feed")
    window = open_window(data_dir)
    window.list.select_row(window.model.row_of("arxiv:2512.00001") or 0)
    wait_idle(qtbot, window)
    text = window.pane.details.toPlainText()
    assert "Author7 Person7" in text and "Author8 Person8" not in text and "and 52 more" in text
    bar = window.pane.details.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    qtbot.keyClick(window.list, Qt.Key.Key_Space)  # the rest of the abstract, not the next paper
    assert window.pane.key == "arxiv:2512.00001" and bar.value() > 0
    while bar.value() < bar.maximum():
        qtbot.keyClick(window.list, Qt.Key.Key_Space)
    qtbot.keyClick(window.list, Qt.Key.Key_Space)  # at the end of it: the next unread paper
    wait_idle(qtbot, window)
    assert window.pane.key == "arxiv:2512.00002"


def test_ten_tags_wrap_inside_the_pane_and_nothing_outside_it_moves(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    from PySide6.QtWidgets import QToolButton

    from readinglist.app import App

    tags = [f"tag-number-{n}" for n in range(10)]
    with App(sample_dir).open_library() as lib:
        first = lib.query()[0]
        lib.add_tags([first], tags)
    window = open_window(sample_dir)
    window.resize(1280, 800)
    wait_idle(qtbot, window)
    window.list.select_row(window.model.row_of("__none__") or 1)  # a paper without tags
    wait_idle(qtbot, window)
    sizes, header = window.main_split.sizes(), window.list.horizontalHeader().sectionSize(1)
    bar_height = window.pane.tag_bar.height()
    window.list.select_row(window.model.row_of(first) or 0)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.pane.tag_bar.height() > bar_height)  # the chips took more lines
    assert window.main_split.sizes() == sizes and window.list.horizontalHeader().sectionSize(1) == header
    chips = [c for c in window.pane.tag_bar.findChildren(QToolButton, "tagChip") if c.isVisible()]
    assert len(chips) == 10 and all(c.text().startswith("tag-number-") for c in chips)
    assert all(c.geometry().right() <= window.pane.tag_bar.width() for c in chips)  # none cut at the edge


DECISIONS = ["skip", "skip", "skip", "skip", "star", "keep"] * 5  # 30 papers: 20 read and passed, 5 starred, 5 kept


def _triage(qtbot: QtBot, window: object, keep_keys: list[str]) -> tuple[int, dict[str, tuple[bool, bool]]]:
    """Triage the first 30 papers of the Inbox by DECISIONS, counting keys; the state each decision left."""
    from PySide6.QtCore import Qt

    keymap = {"N": Qt.Key.Key_N, "S": Qt.Key.Key_S, "M": Qt.Key.Key_M, "U": Qt.Key.Key_U}
    presses = 0

    def press(name: str) -> None:
        nonlocal presses
        presses += 1
        qtbot.keyClick(window.list, keymap[name])  # type: ignore[attr-defined]
        wait_idle(qtbot, window)  # type: ignore[arg-type]

    press("N")  # open the first unread paper
    decided: dict[str, str] = {}
    for decision in DECISIONS:
        key = window.pane.key  # type: ignore[attr-defined]
        decided[key] = decision
        if decision == "skip":
            press("N")
        elif decision == "star":
            press("S")
            press("N")
        else:
            for name in keep_keys:
                press(name)
    states = {k: (window.model.state(k).read, window.model.state(k).starred) for k in decided}  # type: ignore[attr-defined]
    expected = {"skip": (True, False), "star": (True, True), "keep": (False, False)}
    assert all(states[k] == expected[d] for k, d in decided.items()), states
    return presses, states


def test_keeping_a_paper_unread_is_one_key_u_and_triage_takes_fewer_keys(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory, tmp_path: Path
) -> None:
    """Keystrokes per decision on the sample library (30 papers: 20 passed, 5 starred, 5 kept unread): M then N
    to keep one unread, before; U, now."""
    from uitools import load_sample

    from readinglist.ui.settings import MarkReadMode

    before_dir, after_dir = tmp_path / "before", tmp_path / "after"
    load_sample(before_dir)
    load_sample(after_dir)
    before, _ = _triage(qtbot, open_window(before_dir, mark_read=MarkReadMode.IMMEDIATELY), ["M", "N"])
    after, _ = _triage(qtbot, open_window(after_dir, mark_read=MarkReadMode.IMMEDIATELY), ["U"])
    assert (before, after) == (41, 36)  # 1.37 keys per decision before, 1.20 with U


def test_copy_citation_in_the_style_chosen_last_and_kept(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    from PySide6.QtGui import QGuiApplication

    from readinglist.app import App
    from readinglist.core.models import IncomingPaper

    paper = IncomingPaper(title="Attention Is All You Need", arxiv_id="1706.03762",
                          authors=("Ashish Vaswani", "Noam Shazeer"), published="2017-06-12T00:00:00Z")  # fmt: skip
    with App(data_dir).open_library() as lib:
        lib.add_papers([paper], source="test")
    window = open_window(data_dir)
    window.list.select_row(0)
    wait_idle(qtbot, window)
    window.citation_style_actions["ieee"].trigger()
    with qtbot.waitSignal(window.exports.copied):
        window.actions_by_name["copy_citation"].trigger()
    assert QGuiApplication.clipboard().text().startswith("[1] A. Vaswani and N. Shazeer, “Attention Is All You Need”")
    assert window.statusBar().currentMessage() == "Copied the citation (IEEE)"
    window = reopen(window, open_window)
    assert window.citation_style_actions["ieee"].isChecked()
    assert window.actions_by_name["copy_citation"].shortcut().toString() == "Ctrl+Alt+C"


def test_after_adding_a_feed_the_dialog_says_what_its_first_fetch_did(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    from workertools import FeedServer, Route, fixture

    server = FeedServer().start()
    try:
        server.routes["/cl.xml"] = Route(body=fixture("arxiv_rss_cs.CL.xml"), headers={"Content-Type": "text/xml"})
        window = open_window(sample_dir)
        window.refresh.stop_schedule()
        dialog = window.open_feeds_dialog()
        qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
        assert "not subscriptions" in dialog.empty.text()  # the sample's papers are listed, but came from a file
        with qtbot.waitSignal(window.refresh.finished, timeout=20_000):
            dialog.add_feed(url=server.url("/cl.xml"), name="cs.CL")
        qtbot.waitUntil(lambda: dialog.feedback.text().startswith("cs.CL: "), timeout=5000)
        assert "papers" in dialog.feedback.text() and "fetching" not in dialog.feedback.text()
        dialog.close()
    finally:
        server.stop()


def test_a_group_of_feeds_shows_its_unread_count_and_collapses_to_its_heading(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    from workertools import add_feeds

    from readinglist.app import App
    from readinglist.core.feeds import FeedSpec
    from readinglist.core.importer import read_feed_file
    from readinglist.ui.sidebar_model import COL_COUNT, COL_NAME

    fixtures = Path(__file__).resolve().parents[1] / "core" / "fixtures"
    cl, lg = add_feeds(data_dir, FeedSpec("cs.CL", group="arXiv"), FeedSpec("cs.LG", group="arXiv"))
    with App(data_dir).open_library() as lib:
        lib.add_papers(read_feed_file(fixtures / "arxiv_rss_cs.CL.xml").papers, source=cl.id)
        lib.add_papers(read_feed_file(fixtures / "arxiv_rss_cs.LG.xml").papers, source=lg.id)
        unread = len(lib.query(feed=cl.id)) + len(lib.query(feed=lg.id))
    window = open_window(data_dir)
    model = window.sidebar_model

    def heading():  # type: ignore[no-untyped-def]
        feeds = model.index(1, 0)  # the Feeds section
        for row in range(model.rowCount(feeds)):
            index = model.index(row, COL_NAME, feeds)
            if str(index.data()).endswith("arXiv"):
                return index
        raise AssertionError("no heading")

    assert heading().data() == "▾ arXiv" and heading().siblingAtColumn(COL_COUNT).data() == f"{unread:,}"
    feeds_shown = model.rowCount(model.index(1, 0))
    window.sidebar.clicked.emit(heading())  # a click on the heading
    assert heading().data() == "▸ arXiv" and model.rowCount(model.index(1, 0)) == feeds_shown - 2
    window.sidebar.clicked.emit(heading())
    assert model.rowCount(model.index(1, 0)) == feeds_shown


def test_every_paper_button_stays_in_sight_in_a_narrow_pane_with_large_fonts(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir)
    font = window.pane.font()
    font.setPointSizeF(font.pointSizeF() * 1.6)  # GTK's large fonts
    window.pane.setFont(font)
    window.main_split.setSizes([200, 780, 300])
    window.list.select_row(0)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.pane.toolbar.height() > 0)
    bar = window.pane.toolbar
    texts = [b.text() for b in window.pane.buttons]
    assert "PDF ↗" in texts
    for button in window.pane.buttons:  # wrapped onto more lines, none hidden in an overflow
        assert button.isVisible() and button.geometry().right() <= bar.width(), button.text()
    assert len({b.geometry().top() for b in window.pane.buttons}) > 1  # they did wrap


def test_a_new_refresh_clears_the_last_ones_summary_from_the_status_bar(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir)
    window.refresh.stop_schedule()
    window.statusBar().showMessage("Refreshed 9 feeds in 3.2 s: 40 new papers, 0 updated")
    seen: list[str] = []
    window.refresh.started.connect(lambda _r: seen.append(window.statusBar().currentMessage()))
    with qtbot.waitSignal(window.refresh.finished, timeout=10_000):
        window.refresh.refresh()
    assert seen == [""]  # gone when the progress began, not cut off under it
