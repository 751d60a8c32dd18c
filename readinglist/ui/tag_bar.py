"""A paper's tags: one removable chip per tag and a field that adds tags, completing from the library's tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPalette
from PySide6.QtWidgets import QCompleter, QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QToolButton, QWidget

from readinglist.ui.flow_layout import FlowLayout


def parse_tags(text: str) -> list[str]:
    """Tags typed in the field: separated by commas; spaces inside a tag are kept ("to read")."""
    return list(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))


class TagBar(QWidget):
    tags_added = Signal(list)  # tag names
    tag_removed = Signal(str)
    finished = Signal()  # Enter in the empty field: the user is done tagging (Escape goes back too)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tags: tuple[str, ...] = ()
        self._known: list[str] = []
        label = QLabel("Tags")
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        # The chips and the field wrap onto more lines inside the pane: ten tags never widen the pane (nor crush
        # the list), and the layout does not jump as tagged papers pass.
        chips = QWidget()
        self._chips = FlowLayout(chips, spacing=4)
        self.edit = QLineEdit()
        self.edit.setObjectName("tagEdit")
        self.edit.setPlaceholderText("Add a tag (T)")
        self.edit.setToolTip("Type a tag and press Enter; commas separate several. Backspace removes the last one.")
        self.edit.setMinimumWidth(160)
        self.edit.setClearButtonEnabled(True)
        self._completions = QStringListModel(self)
        completer = QCompleter(self._completions, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.edit.setCompleter(completer)
        self.edit.returnPressed.connect(self._commit)
        self.edit.installEventFilter(self)

        size_policy = chips.sizePolicy()
        size_policy.setHeightForWidth(True)
        size_policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)  # its width is the pane's, never its own
        chips.setSizePolicy(size_policy)
        self._chips_widget = chips
        self._chips.addWidget(self.edit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(label, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(chips, 1)

    @property
    def tags(self) -> tuple[str, ...]:
        return self._tags

    def set_tags(self, tags: Sequence[str]) -> None:
        tags = tuple(tags)
        if tags == self._tags and self._chips.count() == len(tags) + 1:
            return
        self._tags = tags
        while self._chips.count() > 1:  # the chips; the field stays, last
            item = self._chips.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()  # out of sight now; deleted when the event loop next runs
                widget.deleteLater()
        for tag in tags:
            chip = QToolButton()
            chip.setObjectName("tagChip")
            chip.setText(f"{tag}  ✕")
            chip.setToolTip(f"Remove the tag “{tag}”")
            chip.setAccessibleName(f"tag {tag}, remove")
            chip.setAutoRaise(False)
            chip.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            chip.setBackgroundRole(QPalette.ColorRole.AlternateBase)
            chip.clicked.connect(lambda _=False, t=tag: self.tag_removed.emit(t))
            chip.setParent(self._chips_widget)
            chip.show()
            self._chips.insert_widget(self._chips.count() - 1, chip)
        self._chips.invalidate()
        self._chips_widget.updateGeometry()
        self._update_completions()

    def set_known_tags(self, names: Iterable[str]) -> None:
        self._known = list(names)
        self._update_completions()

    def _update_completions(self) -> None:
        mine = set(self._tags)
        self._completions.setStringList([t for t in self._known if t not in mine])

    def _commit(self) -> None:
        """Enter adds what was typed and leaves the field open for the next tag (typing on at once must not fall
        into the window's shortcuts: "to-read" lost its t to T); Enter in the empty field is done."""
        typed = self.edit.text().strip()
        tags = [t for t in parse_tags(typed) if t not in self._tags]
        self.edit.clear()
        if tags:
            self.tags_added.emit(tags)
        if not typed:
            self.finished.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Backspace in the empty field takes the last tag off, as in mail address fields.
        if (
            watched is self.edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Backspace
            and not self.edit.text()
            and self._tags
        ):
            self.tag_removed.emit(self._tags[-1])
            return True
        return False
