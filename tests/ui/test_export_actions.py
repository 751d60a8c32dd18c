"""Export from the window: the view or the selection to a file, BibTeX and citations to the clipboard, and an
error said once, in words, with nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from uitools import WindowFactory, wait_idle
from workertools import running_worker

from readinglist.core.library import Library
from readinglist.ui.export_actions import SELECTION, VIEW, ExportActions, file_stem, with_suffix
from readinglist.ui.links import SafeTextBrowser
from readinglist.ui.settings import MarkReadMode
from readinglist.ui.worker import LibraryWorker


@pytest.fixture
def keys(sample_dir: Path) -> list[str]:
    with Library.open(sample_dir) as lib:
        keys = [str(k) for k in lib.query()]
        lib.set_note(keys[0], "private thoughts")
        return keys


@pytest.fixture
def worker(qtbot: QtBot, sample_dir: Path, keys: list[str]) -> Iterator[LibraryWorker]:
    with running_worker(qtbot, sample_dir) as w:
        yield w


class Window:
    """What the window tells the export actions: the papers listed, the ones selected, the view's name."""

    def __init__(self, qtbot: QtBot, worker: LibraryWorker, listed: list[str]) -> None:
        self.widget = QWidget()
        qtbot.addWidget(self.widget)
        self.listed = listed
        self.selected: list[str] = []
        self.actions = ExportActions(
            worker,
            window=self.widget,
            view_keys=lambda: list(self.listed),
            selected_keys=lambda: list(self.selected),
            view_name=lambda: "Starred: to cite",
        )
        self.messages: list[str] = []
        self.actions.message.connect(self.messages.append)


def titles(sample_dir: Path, keys: list[str]) -> list[str]:
    with Library.open(sample_dir, writer=False) as lib:
        return [lib.get(k).title for k in keys]


def test_copy_bibtex_and_citation_of_the_selection(
    qtbot: QtBot, worker: LibraryWorker, keys: list[str], sample_dir: Path
) -> None:
    window = Window(qtbot, worker, keys)
    window.actions.update_actions()
    assert not window.actions.copy_bibtex_action.isEnabled()  # nothing selected: nothing to copy
    window.selected = keys[:2]
    window.actions.update_actions()
    assert window.actions.copy_bibtex_action.isEnabled()
    assert window.actions.copy_bibtex_action.shortcut().toString() == "Ctrl+Shift+C"

    with qtbot.waitSignal(window.actions.copied):
        window.actions.copy_bibtex_action.trigger()
    text = QGuiApplication.clipboard().text()
    library = bibtexparser.parse_string(text)
    assert len(library.entries) == 2
    wanted = titles(sample_dir, keys[:2])
    got = [e.fields_dict["title"].value for e in library.entries]
    for title, entry_title in zip(wanted, got, strict=True):
        assert entry_title.replace("{", "").replace("}", "") == title
    assert "private thoughts" not in text  # notes stay out of bibliographies unless asked
    assert window.messages[-1] == "Copied the BibTeX of 2 papers"

    window.selected = keys[:1]
    with qtbot.waitSignal(window.actions.copied):
        window.actions.copy_citation_action.trigger()
    citation = QGuiApplication.clipboard().text()
    assert wanted[0].rstrip(".") in citation and "\n" not in citation
    assert window.messages[-1] == "Copied the citation (APA)"


def test_export_the_view_to_a_file_and_the_selection_as_notes(
    qtbot: QtBot, worker: LibraryWorker, keys: list[str], sample_dir: Path, tmp_path: Path
) -> None:
    window = Window(qtbot, worker, keys[:5])
    window.actions.update_actions()
    assert window.actions.view_header.text() == "Starred: to cite · 5 papers"
    assert window.actions.selection_header.text() == "Selection · none"
    assert not window.actions.selection_actions["bibtex"].isEnabled()

    with qtbot.waitSignal(window.actions.exported) as written:
        window.actions.export(scope=VIEW, choice="bibtex", path=tmp_path / "to-cite")
    assert written.args[0] == str(tmp_path / "to-cite.bib")  # the format's extension, when none was typed
    assert len(bibtexparser.parse_string((tmp_path / "to-cite.bib").read_text(encoding="utf-8")).entries) == 5
    assert window.messages[-1] == f"Exported 5 papers to {tmp_path / 'to-cite.bib'}"

    with qtbot.waitSignal(window.actions.exported):
        window.actions.export(scope=VIEW, choice="csv", path=tmp_path / "view.csv")
    assert (tmp_path / "view.csv").read_text(encoding="utf-8").count("\n") >= 6

    window.selected = keys[:2]
    with qtbot.waitSignal(window.actions.exported):
        window.actions.export(scope=SELECTION, choice="markdown_folder", path=tmp_path / "vault")
    notes = sorted((tmp_path / "vault").glob("*.md"))
    assert len(notes) == 2 and any("private thoughts" in n.read_text(encoding="utf-8") for n in notes)


def test_an_export_error_is_said_once_and_leaves_nothing(
    qtbot: QtBot, worker: LibraryWorker, keys: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = Window(qtbot, worker, keys)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text, *a: shown.append(text))
    target = tmp_path / "gone" / "papers.ris"
    window.actions.export(scope=VIEW, choice="ris", path=target)
    qtbot.waitUntil(lambda: not window.actions.busy)
    assert len(shown) == 1 and "does not exist" in shown[0] and str(target) in shown[0]
    assert not target.parent.exists()
    assert window.messages[-1].startswith("Export failed: ")

    window.listed = []
    window.actions.export(scope=VIEW, choice="ris", path=tmp_path / "empty.ris")
    assert window.messages[-1] == "Nothing to export: the view is empty" and not (tmp_path / "empty.ris").exists()


def test_file_names_from_view_names() -> None:
    assert file_stem("Starred: to cite") == "Starred to cite"
    assert file_stem("a/b\\c") == "a b c" and file_stem("...") == "papers"
    from readinglist.core.export import ExportFormat

    assert with_suffix(Path("x.txt"), ExportFormat.BIBTEX) == Path("x.txt")
    assert with_suffix(Path("x"), ExportFormat.CSLJSON) == Path("x.json")


# ---- in the window ------------------------------------------------------------------------------------------


def test_in_the_window_ctrl_shift_c_copies_the_selected_paper_and_the_export_menu_offers_both_sets(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory, tmp_path: Path
) -> None:
    window = open_window(sample_dir, mark_read=MarkReadMode.NEVER)
    assert not window.actions_by_name["copy_bibtex"].isEnabled()  # no paper chosen yet
    window.list.select_row(2)
    key = window.list.current_key()
    assert key is not None and window.actions_by_name["copy_bibtex"].isEnabled()
    QGuiApplication.clipboard().clear()
    with qtbot.waitSignal(window.exports.copied):
        ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        qtbot.keyClick(window.list, Qt.Key.Key_C, ctrl_shift)
    entries = bibtexparser.parse_string(QGuiApplication.clipboard().text()).entries
    assert len(entries) == 1
    assert entries[0].fields_dict["title"].value.replace("{", "").replace("}", "") == window.model.row_at(2).title
    assert window.statusBar().currentMessage() == "Copied the BibTeX of 1 paper"

    # File ▸ Export: the view (what is listed) and the selection, each in every format.
    file_menu = window.menuBar().actions()[0].menu()
    assert window.export_menu.menuAction() in file_menu.actions()
    window.exports.update_actions()
    assert window.exports.view_header.text() == "Inbox · 60 papers"
    assert window.exports.selection_header.text() == "Selection · 1 paper"
    texts = [a.text() for a in window.export_menu.actions() if not a.isSeparator()]
    assert texts.count("BibTeX…") == 2 and texts.count("Markdown Folder, One Note per Paper…") == 2

    with qtbot.waitSignal(window.exports.exported):
        window.exports.export(scope=VIEW, choice="ris", path=tmp_path / "inbox.ris")
    assert (tmp_path / "inbox.ris").read_text(encoding="utf-8").count("ER  -") == 60


def test_the_shortcut_sheet_lists_the_feed_and_export_keys(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir)
    window.action_shortcuts()
    assert window._sheet is not None
    text = window._sheet.findChild(SafeTextBrowser).toPlainText()
    for expected in ("Refresh Feeds", "Ctrl+R", "Copy BibTeX", "Ctrl+Shift+C", "Add Feed…", "Import OPML…"):
        assert expected in text
    window._sheet.close()


def test_several_papers_selected_are_copied_starred_and_kept_selected_through_a_reload(
    qtbot: QtBot, sample_dir: Path, open_window: WindowFactory
) -> None:
    window = open_window(sample_dir, mark_read=MarkReadMode.NEVER)
    window.list.setFocus()
    window.list.select_row(3)
    for _ in range(2):
        qtbot.keyClick(window.list, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    keys = [window.model.key_at(r) for r in (3, 4, 5)]
    assert window.selected_keys() == keys and window.pane.key == keys[2]
    window.exports.update_actions()
    assert window.exports.selection_header.text() == "Selection · 3 papers"

    with qtbot.waitSignal(window.exports.copied):
        window.actions_by_name["copy_bibtex"].trigger()
    assert len(bibtexparser.parse_string(QGuiApplication.clipboard().text()).entries) == 3

    qtbot.keyClick(window.list, Qt.Key.Key_S)  # S stars every selected paper
    wait_idle(qtbot, window)
    assert all(window.model.state(k).starred for k in keys)
    assert window.actions_by_name["undo"].text() == "&Undo Star 3 Papers"
    window.reload_view()  # as after a refresh: the same three stay selected
    wait_idle(qtbot, window)
    assert window.selected_keys() == keys
    qtbot.keyClick(window.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window)
    assert not any(window.model.state(k).starred for k in keys)
    qtbot.keyClick(window.list, Qt.Key.Key_J)  # J reads on, one paper at a time again
    assert window.selected_keys() == [window.model.key_at(6)]
