"""Export from the window: the view or the selection to a file, BibTeX and citations to the clipboard, and an
error said once, in words, with nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from workertools import running_worker

from readinglist.core.library import Library
from readinglist.ui.export_actions import SELECTION, VIEW, ExportActions, file_stem, with_suffix
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
    assert window.messages[-1] == "Copied the citation"


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
