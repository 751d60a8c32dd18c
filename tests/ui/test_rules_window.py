"""Rules and people in the window (issue 13): a rule made in the Rules dialog mutes what its preview said, the
Inbox says how many it hides and lists them on request, Ctrl+Z takes the rule back, and an author's name in the
pane lists their papers in every form of the name, with Follow."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot
from uitools import WindowFactory, read_library, wait_idle

from readinglist.app import App
from readinglist.core.models import IncomingPaper, ListFilter
from readinglist.core.rules import Action
from readinglist.ui.library_jobs import INBOX, Selection
from readinglist.ui.main_window import MainWindow

SAGOT = ("Benoît Sagot", "Beno\\^it Sagot", "B. Sagot", "Sagot, B.", "Benjamin Sagot")


def make_library(data_dir: Path) -> None:
    papers = [
        IncomingPaper(title=f"A Survey of Topic {n}", arxiv_id=f"2511.{n:05d}", authors=("Ann Lee",))
        for n in range(1, 6)
    ]
    papers += [
        IncomingPaper(title=f"Parsing French, part {n}", arxiv_id=f"2511.{n + 10:05d}", authors=(a, "Djamé Seddah"))
        for n, a in enumerate(SAGOT)
    ]
    papers += [IncomingPaper(title="Starred Survey of Surveys", arxiv_id="2511.00100", authors=("Ann Lee",))]
    with App(data_dir).open_library() as lib:
        lib.add_papers(papers, source="arXiv cs.CL")
        lib.set_starred(["arxiv:2511.00100"], True)


def show(qtbot: QtBot, window: MainWindow, selection: Selection) -> None:
    window.show_view(selection)
    qtbot.waitUntil(lambda: window.selection == selection and window.worker.pending == 0)
    wait_idle(qtbot, window)


def test_a_rule_from_the_dialog_mutes_what_it_said_and_undo_takes_it_back(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    make_library(data_dir)
    window = open_window(data_dir)
    show(qtbot, window, INBOX)
    assert window.model.rowCount() == 11 and not window.view_notice.isVisible()

    dialog = window.action_rules()
    dialog.name.setText("no surveys")
    dialog.rows[0].value.setText("survey")
    qtbot.waitUntil(lambda: dialog.preview_text.text().startswith("Matches 6 papers"), timeout=5000)
    # The starred survey is matched but left alone, and the preview says so before anything is saved.
    assert "mutes 5" in dialog.preview_text.text() and "1 you starred" in dialog.preview_text.text()
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "Muted 5 papers" in window.statusBar().currentMessage(), timeout=5000)
    wait_idle(qtbot, window)

    assert window.model.rowCount() == 6  # five surveys out of the Inbox; the starred one stays
    assert window.view_notice.isVisible() and "5 papers muted by your rules" in window.view_notice.text()
    assert window.counts is not None and window.counts.views[ListFilter.MUTED.value] == 5
    window._notice_link("show-muted")
    qtbot.waitUntil(lambda: window.selection.kind == "muted" and window.worker.pending == 0)
    wait_idle(qtbot, window)
    assert sorted(window.model.shown_keys()) == [f"arxiv:2511.{n:05d}" for n in range(1, 6)]
    window.list.select_row(0)
    wait_idle(qtbot, window)
    assert "Muted by rule “no surveys”" in window.pane.details.toPlainText()
    with read_library(data_dir) as lib:
        assert [r.name for r in lib.rules()] == ["no surveys"]
        assert all(lib.state(f"arxiv:2511.{n:05d}").muted for n in range(1, 6))

    dialog.close()
    show(qtbot, window, INBOX)
    window.action_undo()
    qtbot.waitUntil(lambda: window.worker.pending == 0 and window.model.rowCount() == 11, timeout=5000)
    wait_idle(qtbot, window)
    assert not window.view_notice.isVisible()
    with read_library(data_dir) as lib:
        assert lib.rules() == []
        assert not any(lib.state(k).muted or lib.state(k).read for k in lib.keys())  # noqa: SIM118 - a Library


def test_an_authors_name_lists_their_papers_in_every_form_and_follow_adds_them(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    make_library(data_dir)
    window = open_window(data_dir)
    show(qtbot, window, INBOX)
    window.list.select_row(window.model.row_of("arxiv:2511.00010") or 0)
    wait_idle(qtbot, window)
    assert window.pane.key == "arxiv:2511.00010"
    window.pane.author_clicked.emit("Benoît Sagot")  # what clicking the name's link in the pane sends
    qtbot.waitUntil(lambda: window.selection.kind == "author" and "Follow" in window.view_notice.text())
    wait_idle(qtbot, window)
    assert window.view_title.text() == "Papers by Benoît Sagot"
    # Benoît in four spellings; Benjamin Sagot is someone else.
    assert sorted(window.model.shown_keys()) == [f"arxiv:2511.{n:05d}" for n in range(10, 14)]

    window._notice_link("follow")
    qtbot.waitUntil(lambda: "Following Benoît Sagot" in window.statusBar().currentMessage(), timeout=5000)
    wait_idle(qtbot, window)
    assert "You follow" in window.view_notice.text()
    # The sidebar counts the new ones: the paper opened above was marked read.
    assert window.counts is not None and window.counts.views[ListFilter.FOLLOWING.value] == 3
    with read_library(data_dir) as lib:
        assert [r.action for r in lib.rules()] == [Action.FOLLOW]
        assert len(lib.query(view=ListFilter.FOLLOWING)) == 4


def two_records_of_one_paper(data_dir: Path, *, note: str = "") -> None:
    """An arXiv preprint and its journal version, which no identifier links (the journal one with `note`)."""
    with App(data_dir).open_library() as lib:
        lib.add_papers(
            [
                IncomingPaper(title="Sparse Attention for Long French Documents", arxiv_id="2501.00001",
                              authors=("Benoît Sagot",), published="2025-01-02T00:00:00Z"),
                IncomingPaper(title="Sparse attention for long French documents", doi="10.1000/j.1",
                              authors=("B. Sagot",), journal_ref="J. Fr. NLP 3", published="2025-06-01T00:00:00Z"),
            ],
            source="feed",
        )  # fmt: skip
        if note:
            lib.set_note("doi:10.1000/j.1", note)


def test_same_paper_is_offered_in_the_pane_merged_on_the_users_word_and_undone(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    two_records_of_one_paper(data_dir, note="journal note")
    window = open_window(data_dir)
    show(qtbot, window, Selection("view", ListFilter.ALL.value))
    window.list.select_row(window.model.row_of("doi:10.1000/j.1") or 0)
    wait_idle(qtbot, window)
    assert "Same paper?" in window.pane.details.toPlainText()
    window.merge_papers("arxiv:2501.00001", "doi:10.1000/j.1", ask=False)
    qtbot.waitUntil(lambda: window.worker.pending == 0 and window.model.rowCount() == 1, timeout=5000)
    wait_idle(qtbot, window)
    with read_library(data_dir) as lib:
        assert lib.state("arxiv:2501.00001").note == "journal note"
        assert lib.get("arxiv:2501.00001").doi == "10.1000/j.1"
    window.action_undo()
    qtbot.waitUntil(lambda: window.worker.pending == 0 and window.model.rowCount() == 2, timeout=5000)
    with read_library(data_dir) as lib:
        assert len(lib) == 2 and lib.state("doi:10.1000/j.1").note == "journal note"
        assert lib.get("arxiv:2501.00001").doi is None


def test_the_paper_open_at_launch_is_offered_its_double_once_the_doubles_are_worked_out(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    from PySide6.QtCore import Qt

    from readinglist.ui.paper_model import COL_DATE
    from readinglist.ui.settings import WindowSettings

    two_records_of_one_paper(data_dir)
    settings = WindowSettings(data_dir)  # the window was left on the journal version
    settings.save_place(
        selection="view:all", current_key="doi:10.1000/j.1", sort=(COL_DATE, Qt.SortOrder.DescendingOrder)
    )
    settings.sync()
    # The list comes before the doubles are worked out (seconds at a million papers); the pane then offers it.
    window = open_window(data_dir)
    wait_idle(qtbot, window)
    assert window.pane.key == "doi:10.1000/j.1"
    assert "Same paper?" in window.pane.details.toPlainText()
    assert window.model.same_paper("doi:10.1000/j.1") is not None
