"""Getting papers out of the window: the Export menu (the current view or the selection, to a file) and
Copy BibTeX / Copy Citation of the selected papers to the clipboard.

The text is made on the library thread (citation keys are unique across the whole library, so making them reads
it) and the file is written there too, atomically: a failed export leaves no half-written file. An error is said
once, in one message box, in the core's own words, which name the file and what went wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from readinglist.ui.errors import error_text
from readinglist.ui.worker import LibraryWorker

if TYPE_CHECKING:
    from readinglist.core.export import ExportFormat
    from readinglist.core.library import Library

VIEW, SELECTION = "view", "selection"
COPY_BIBTEX_KEYS = "Ctrl+Shift+C"


@dataclass(frozen=True, slots=True)
class ExportChoice:
    name: str
    text: str  # the menu entry
    format_name: str  # an ExportFormat's value: the exporters are loaded on the first export, not at launch
    folder: bool = False  # one Markdown note per paper in a folder
    tip: str = ""

    @property
    def fmt(self) -> ExportFormat:
        from readinglist.core.export import ExportFormat

        return ExportFormat(self.format_name)

    @property
    def file_filter(self) -> str:
        return f"{self.fmt.label} (*{self.fmt.suffix});;All files (*)"


CHOICES: tuple[ExportChoice, ...] = (
    ExportChoice("bibtex", "BibTeX…", "bibtex", tip="For LaTeX: @misc with eprint for arXiv papers"),
    ExportChoice("ris", "RIS…", "ris", tip="For Zotero, Mendeley and EndNote"),
    ExportChoice("csljson", "CSL-JSON…", "csljson", tip="For pandoc and Zotero"),
    ExportChoice("markdown", "Markdown…", "markdown", tip="One document: titles, authors, links, notes"),
    ExportChoice(
        "markdown_folder",
        "Markdown Folder, One Note per Paper…",
        "markdown",
        folder=True,
        tip="A note per paper, for a notes vault (Obsidian, Logseq); re-exporting updates them",
    ),
    ExportChoice("csv", "CSV…", "csv", tip="A spreadsheet row per paper, with stars, tags and notes"),
)
CHOICE_BY_NAME = {c.name: c for c in CHOICES}


def file_stem(name: str) -> str:
    """A view's name as a file name: "Starred", "arXiv cs.CL", "tag reading group" -> safe on every system."""
    stem = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", name).strip(" .")
    return re.sub(r"\s+", " ", stem) or "papers"


def with_suffix(path: Path, fmt: ExportFormat) -> Path:
    """A name typed without an extension gets the format's; one the user typed is kept."""
    return path if path.suffix else path.with_name(path.name + fmt.suffix)


def citations(lib: Library, keys: Sequence[str], style: str = "apa") -> str:
    from readinglist.core.export.styles import references

    return references(lib, [k for k in keys if k in lib], style)


def count_text(n: int) -> str:
    return f"{n:,} paper" if n == 1 else f"{n:,} papers"


class ExportActions(QObject):
    """The Export menu and the copy actions. The window says what its view and selection are; this does the rest."""

    message = Signal(str)  # one line for the status bar
    exported = Signal(str)  # the file or folder written
    copied = Signal(str)  # "bibtex" or "citation": the clipboard holds it

    def __init__(
        self,
        worker: LibraryWorker,
        *,
        window: QWidget,
        view_keys: Callable[[], list[str]],
        selected_keys: Callable[[], list[str]],
        view_name: Callable[[], str],
        copy_actions: tuple[QAction, QAction] | None = None,
        before: Callable[[], None] | None = None,
        citation_style: Callable[[], str] = lambda: "apa",
    ) -> None:
        """`copy_actions`: the window's Copy BibTeX and Copy Citation actions, whose handlers call `copy_bibtex` and
        `copy_citation`; without them this makes its own (with their keys), for use on its own. `before` runs first
        in every copy and export: the window saves the note being typed, so that a shortcut pressed while typing
        exports the note as it is on screen."""
        super().__init__(window)
        self._worker = worker
        self._window = window
        self._view_keys = view_keys
        self._selected_keys = selected_keys
        self._view_name = view_name
        self._before = before or (lambda: None)
        self._citation_style = citation_style
        self._last_folder = Path.home()
        self._busy = 0

        if copy_actions is None:
            bibtex, citation = QAction("Copy &BibTeX", window), QAction("Copy C&itation", window)
            bibtex.setShortcut(QKeySequence(COPY_BIBTEX_KEYS))
            bibtex.setStatusTip("The selected papers as BibTeX entries, ready to paste into a .bib file")
            citation.setStatusTip("The selected papers as plain-text references (APA style)")
            bibtex.triggered.connect(self.copy_bibtex)
            citation.triggered.connect(self.copy_citation)
        else:
            bibtex, citation = copy_actions  # the window's own (shortcuts.ACTIONS); it calls copy_bibtex() itself
        bibtex.setObjectName("action_copy_bibtex")
        citation.setObjectName("action_copy_citation")
        self.copy_bibtex_action, self.copy_citation_action = bibtex, citation
        self.include_notes_action = QAction("Include My Notes in BibTeX, RIS and CSL-JSON", window, checkable=True)
        self.include_notes_action.setObjectName("action_export_notes")
        self.include_notes_action.setStatusTip(
            "Notes are private, so bibliographies leave them out unless this is on; Markdown and CSV always have them"
        )
        self.view_header = QAction("Current view", window, enabled=False)
        self.selection_header = QAction("Selected papers", window, enabled=False)
        self.view_actions: dict[str, QAction] = {}
        self.selection_actions: dict[str, QAction] = {}
        for scope, actions in ((VIEW, self.view_actions), (SELECTION, self.selection_actions)):
            for choice in CHOICES:
                action = QAction(choice.text, window)
                action.setObjectName(f"action_export_{scope}_{choice.name}")
                action.setStatusTip(choice.tip)
                action.triggered.connect(lambda _=False, s=scope, c=choice: self.export(scope=s, choice=c))
                actions[choice.name] = action

    # ---- menus -----------------------------------------------------------------------------------------------

    def build_menu(self, parent: QWidget | None = None) -> QMenu:
        """The Export submenu: the current view's formats, then the selection's, then the notes switch."""
        menu = QMenu("&Export", parent)
        menu.setObjectName("exportMenu")
        menu.setToolTipsVisible(True)
        menu.addAction(self.view_header)
        for action in self.view_actions.values():
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.selection_header)
        for action in self.selection_actions.values():
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.include_notes_action)
        menu.aboutToShow.connect(self.update_actions)
        return menu

    def update_actions(self) -> None:
        """Headers that say what will be exported, and nothing offered that has nothing to act on."""
        view = len(self._view_keys())
        selected = len(self._selected_keys())
        self.view_header.setText(f"{self._view_name()} · {count_text(view)}")
        self.selection_header.setText(f"Selection · {count_text(selected)}" if selected else "Selection · none")
        for action in self.view_actions.values():
            action.setEnabled(view > 0)
        for action in self.selection_actions.values():
            action.setEnabled(selected > 0)
        self.update_copy_actions(selected > 0)

    def update_copy_actions(self, has_selection: bool) -> None:
        self.copy_bibtex_action.setEnabled(has_selection)
        self.copy_citation_action.setEnabled(has_selection)

    @property
    def busy(self) -> bool:
        return self._busy > 0

    # ---- copying ---------------------------------------------------------------------------------------------

    def copy_bibtex(self) -> None:
        self._before()
        keys = self._selected_keys()
        if not keys:
            self.message.emit("Select a paper to copy its BibTeX")
            return
        notes = True if self.include_notes_action.isChecked() else None

        def job(lib: Library) -> str:
            from readinglist.core.export import ExportFormat, export_papers

            return export_papers(lib, keys, ExportFormat.BIBTEX, include_notes=notes)

        self._copy(
            "bibtex",
            job,
            f"Copied the BibTeX of {count_text(len(keys))}",
        )

    def copy_citation(self) -> None:
        self._before()
        keys = self._selected_keys()
        if not keys:
            self.message.emit("Select a paper to copy its citation")
            return
        from readinglist.core.export.styles import STYLES

        style = self._citation_style()
        what = "the citation" if len(keys) == 1 else f"the citations of {count_text(len(keys))}"
        self._copy("citation", lambda lib: citations(lib, keys, style), f"Copied {what} ({STYLES.get(style, style)})")

    def _copy(self, kind: str, job: Callable[[Library], str], said: str) -> None:
        def done(text: str) -> None:
            self._busy -= 1
            QGuiApplication.clipboard().setText(text)
            self.message.emit(said)
            self.copied.emit(kind)

        self._busy += 1
        self._worker.submit(job, done, failed=self._failed, label=f"copy the {kind}")

    # ---- exporting -------------------------------------------------------------------------------------------

    def export(self, *, scope: str, choice: ExportChoice | str, path: Path | str | None = None) -> None:
        """Export the current view (`VIEW`: the papers listed, in their order) or the selection to `path`, asked
        for in a file dialog when not given."""
        if isinstance(choice, str):
            choice = CHOICE_BY_NAME[choice]
        self._before()
        keys = self._view_keys() if scope == VIEW else self._selected_keys()
        if not keys:
            self.message.emit("Nothing to export: the view is empty" if scope == VIEW else "No paper is selected")
            return
        target = Path(path) if path is not None else self._ask_path(scope, choice, len(keys))
        if target is None:
            return
        if not choice.folder:
            target = with_suffix(target, choice.fmt)
        self._last_folder = target if choice.folder else target.parent
        notes = True if self.include_notes_action.isChecked() else None
        fmt = choice.fmt

        def job(lib: Library) -> Path:
            from readinglist.core.export import write_export, write_markdown_folder

            if choice.folder:
                write_markdown_folder(lib, keys, target)
            else:
                write_export(lib, keys, fmt, target, include_notes=notes)
            return target

        def done(written: Path) -> None:
            self._busy -= 1
            what = f"as {fmt.label} notes in" if choice.folder else "to"
            self.message.emit(f"Exported {count_text(len(keys))} {what} {written}")
            self.exported.emit(str(written))

        self._busy += 1
        self._worker.submit(job, done, failed=self._failed, label="export the papers")

    def _ask_path(self, scope: str, choice: ExportChoice, n: int) -> Path | None:
        name = self._view_name() if scope == VIEW else ("Selected papers" if n > 1 else "Selected paper")
        if choice.folder:
            chosen = QFileDialog.getExistingDirectory(
                self._window, f"Export {count_text(n)} as Markdown notes into…", str(self._last_folder)
            )
            return Path(chosen) if chosen else None
        suggested = self._last_folder / f"{file_stem(name)}{choice.fmt.suffix}"
        chosen, _ = QFileDialog.getSaveFileName(
            self._window, f"Export {count_text(n)} as {choice.fmt.label}", str(suggested), choice.file_filter
        )
        return Path(chosen) if chosen else None

    def _failed(self, exc: BaseException) -> None:
        self._busy -= 1
        text = error_text(exc)
        self.message.emit(f"Export failed: {text}")
        QMessageBox.warning(self._window, "Export Failed", text)
