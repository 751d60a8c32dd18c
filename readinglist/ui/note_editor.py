"""A paper's note: Markdown written in a plain editor, shown rendered, saved on its own.

Saving is debounced: a second after the last keystroke, and at once when the user leaves the paper, stops
editing or closes the window, so a note is never lost and the disk is not written on every key.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFontDatabase, QPalette, QTextCursor, QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QSplitter, QVBoxLayout, QWidget

from readinglist.ui.elide import NOTE_PREVIEW_SHOWN, shown_part
from readinglist.ui.links import SafeTextBrowser
from readinglist.ui.timers import single_shot_timer

SAVE_DELAY_MS = 1000
PREVIEW_DELAY_MS = 120
NOTE_MARKDOWN = QTextDocument.MarkdownFeature.MarkdownDialectGitHub | QTextDocument.MarkdownFeature.MarkdownNoHTML
PLACEHOLDER = "Write a note in Markdown: **bold**, *italic*, - lists, [links](https://…), # headings"


class NoteEditor(QWidget):
    note_edited = Signal(str, str)  # paper key, the note as it should now be saved
    editing_started = Signal()
    editing_stopped = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._key: str | None = None
        self._saved_text = ""
        self._editing = False
        self.other_version: str | None = None  # a note another process saved while this one was being edited

        self._title = QLabel("Note")
        bold = self._title.font()
        bold.setBold(True)
        self._title.setFont(bold)
        self._status = QLabel()
        self._status.setObjectName("noteStatus")
        self._status.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # a hint, dimmer than text

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("noteEditor")
        self.editor.setPlaceholderText(PLACEHOLDER)
        self.editor.setTabChangesFocus(True)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.textChanged.connect(self._on_text_changed)
        self.editor.installEventFilter(self)
        self.preview = SafeTextBrowser()
        self.preview.setObjectName("notePreview")
        self.preview.setFrameShape(SafeTextBrowser.Shape.NoFrame)
        self.preview.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

        self._split = QSplitter(Qt.Orientation.Vertical)
        self._split.addWidget(self.editor)
        self._split.addWidget(self.preview)
        self._split.setChildrenCollapsible(False)
        self.editor.hide()

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self._title)
        header.addStretch(1)
        header.addWidget(self._status)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self._split, 1)

        self._save_timer = single_shot_timer(self, SAVE_DELAY_MS, self.flush)
        self._preview_timer = single_shot_timer(self, PREVIEW_DELAY_MS, self._render)
        self._render()
        self._update_status()

    # ---- what the pane asks --------------------------------------------------------------------------------

    @property
    def key(self) -> str | None:
        return self._key

    @property
    def text(self) -> str:
        return self.editor.toPlainText()

    @property
    def editing(self) -> bool:
        return self._editing

    @property
    def dirty(self) -> bool:
        return self._key is not None and self.text != self._saved_text

    def load(self, key: str | None, text: str) -> None:
        """Show another paper's note; what was typed for the previous one is saved first."""
        self.flush()
        if self._editing:
            self.stop_editing()
        self._key = key
        self._saved_text = text
        self.other_version = None
        self.editor.blockSignals(True)
        self.editor.setPlainText(text)
        self.editor.blockSignals(False)
        self.editor.document().clearUndoRedoStacks()  # Ctrl+Z must not bring back another paper's note
        self._render()
        self._update_status()
        self.setEnabled(key is not None)

    def start_editing(self) -> None:
        if self._key is None:
            return
        if not self._editing:
            self._editing = True
            self.editor.show()
            self._split.setSizes([1, 1])
            cursor = self.editor.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            self.editor.setTextCursor(cursor)
            self._update_status()
            self.editing_started.emit()
        self.editor.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def stop_editing(self) -> None:
        self.flush()
        if self._editing:
            self._editing = False
            self.editor.hide()
            self._update_status()
            self.editing_stopped.emit()

    def flush(self) -> None:
        """Save now what is typed, if it differs from what was saved."""
        self._save_timer.stop()
        if self._key is None or self.text == self._saved_text:
            return
        self._saved_text = self.text
        self._update_status()
        self.note_edited.emit(self._key, self._saved_text)

    # ---- internals ------------------------------------------------------------------------------------------

    def eventFilter(self, watched: object, event: QEvent) -> bool:
        if watched is self.editor and event.type() == QEvent.Type.FocusOut:
            self.flush()  # leaving the editor (a click elsewhere) saves, as leaving the paper does
        return False

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._render()  # the empty-note hint carries a palette colour
        super().changeEvent(event)

    def _on_text_changed(self) -> None:
        self._save_timer.start()
        self._preview_timer.start()
        self._update_status()

    def _render(self) -> None:
        text = self.text
        if text.strip():
            # setMarkdown renders a note in under a millisecond (FIELD-NOTES); resources are refused by
            # SafeTextBrowser.loadResource, so an image in a note never fetches anything. Raw HTML is shown as
            # the text it is: "The <mask> token", List<int> or a stray <iframe> must not hide what follows.
            self.preview.document().setMarkdown(shown_part(text, NOTE_PREVIEW_SHOWN), NOTE_MARKDOWN)
        elif self._key is None:
            self.preview.clear()
        else:
            color = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
            self.preview.setHtml(f"<p style='color: {color}'>No note yet. Press <b>E</b> to write one.</p>")

    @property
    def saved_text(self) -> str:
        """The note as this window last saved or loaded it."""
        return self._saved_text

    def changed_elsewhere(self, text: str) -> None:
        """Another process saved a different note for this paper while it is being edited here. The typing here
        wins (it is saved as usual); the other version is said, and kept in the status tooltip until the paper
        is left, so that nothing the user wrote elsewhere disappears unseen."""
        self.other_version = text
        self._update_status()

    def _update_status(self) -> None:
        if self._key is None:
            self._status.setText("")
            self._status.setToolTip("")
        elif self.other_version is not None:
            words = " ".join(self.other_version.split())
            self._status.setText(f"Changed elsewhere meanwhile; yours is kept. Theirs: “{words[:40]}…”")
            self._status.setToolTip(self.other_version or "(their version is empty)")
        elif self.dirty:
            self._status.setText("Editing… saves after a second")
        elif self._editing:
            self._status.setText("Saved · Esc to finish")
        else:
            self._status.setText("E to edit")
