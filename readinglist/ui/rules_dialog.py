"""The Rules dialog: the user's rules (on/off, what each does) and an editor that says, as you type, what the rule
would do to the papers already here. Saving, turning on or off and removing go through the window's state writes,
so each is one undoable change with a count ("Muted 41 papers by rule “no surveys”")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from readinglist.core.library import Library
from readinglist.core.rules import FIELDS, MAX_CONDITIONS, Action, Condition, Rule, describe_change, new_rule_id
from readinglist.ui import rules_jobs
from readinglist.ui.rules_jobs import Preview, RuleList
from readinglist.ui.state_writes import StateWrites
from readinglist.ui.worker import LibraryWorker

ACTION_LABELS = {
    Action.MUTE: "Mute (mark read, out of Inbox and For you)",
    Action.TAG: "Tag",
    Action.STAR: "Star",
    Action.HIGHLIGHT: "Highlight in the list",
    Action.FOLLOW: "Follow (Authors I follow)",
}
PLACEHOLDERS = {
    "text": "words, comma-separated alternatives, or /a regex/",
    "title": "survey, review of   or   /\\bsurvey\\b/",
    "abstract": "words, or /a regex/",
    "authors": "words in the author list",
    "author": "a person: Benoît Sagot (finds B. Sagot, Sagot, B.)",
    "category": "cs.CL, cs.LG   (cs. for all of cs)",
    "feed": "",
    "announce": "replace, cross",
}
ID_ROLE = Qt.ItemDataRole.UserRole + 1
PREVIEW_DELAY_MS = 250


class ConditionRow(QWidget):
    """One condition: what to look at, and what to look for (a feed is chosen from the subscriptions)."""

    def __init__(
        self, feeds: Sequence[tuple[str, str]], on_change: Callable[[], None], on_remove: Callable[[ConditionRow], None]
    ) -> None:
        super().__init__()
        self.field = QComboBox()
        for name, label in FIELDS.items():
            self.field.addItem(label.capitalize(), name)
        self.value = QLineEdit()
        self.feed = QComboBox()
        for feed_id, name in feeds:
            self.feed.addItem(name, feed_id)
        remove = QToolButton()
        remove.setText("−")
        remove.setToolTip("Remove this condition")
        remove.clicked.connect(lambda: on_remove(self))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field)
        layout.addWidget(self.value, 1)
        layout.addWidget(self.feed, 1)
        layout.addWidget(remove)
        self.field.currentIndexChanged.connect(self._field_changed)
        self.field.currentIndexChanged.connect(on_change)
        self.value.textChanged.connect(on_change)
        self.feed.currentIndexChanged.connect(on_change)
        self._field_changed()

    def _field_changed(self) -> None:
        name = self.field.currentData()
        is_feed = name == "feed"
        self.value.setVisible(not is_feed)
        self.feed.setVisible(is_feed)
        self.value.setPlaceholderText(PLACEHOLDERS.get(name, ""))

    def set_condition(self, cond: Condition) -> None:
        self.field.setCurrentIndex(max(0, self.field.findData(cond.field)))
        if cond.field == "feed":
            self.feed.setCurrentIndex(max(0, self.feed.findData(cond.value)))
        else:
            self.value.setText(cond.value)

    def condition(self) -> Condition | None:
        name = self.field.currentData()
        value = self.feed.currentData() if name == "feed" else self.value.text().strip()
        return Condition(name, value) if value else None


class RulesDialog(QDialog):
    def __init__(self, worker: LibraryWorker, writes: StateWrites, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rules")
        self.setObjectName("rulesDialog")
        # A fixed minimum: left to the layouts it changes as conditions come and go (a round trip to the window
        # system each time).
        self.setMinimumSize(760, 480)
        self.resize(900, 560)
        self._worker = worker
        self._writes = writes
        self._list: RuleList | None = None
        self._editing: Rule | None = None  # the saved rule being edited (None: a new one)
        self._serial = 0
        self._pending_new: Rule | None = None

        self.model = QStandardItemModel(self)
        self.view = QListView()
        self.view.setObjectName("rulesList")
        self.view.setModel(self.model)
        self.view.setSpacing(2)
        self.view.setWordWrap(True)
        self.view.selectionModel().currentChanged.connect(self._picked)
        self.model.itemChanged.connect(self._toggled)
        new = QPushButton("&New Rule")
        new.clicked.connect(lambda: self.edit(None))
        self.remove_button = QPushButton("&Remove")
        self.remove_button.clicked.connect(self._remove)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        intro = QLabel("Rules act on every paper that comes in, and on those already here when you save one. "
                       "Untick a rule to turn it off: papers it muted come back as they were.")  # fmt: skip
        intro.setWordWrap(True)
        intro.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        left_layout.addWidget(intro)
        left_layout.addWidget(self.view, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(new)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        left_layout.addLayout(buttons)

        self.name = QLineEdit()
        self.name.setObjectName("ruleName")
        self.name.setPlaceholderText("no surveys")
        self.action = QComboBox()
        self.action.setObjectName("ruleAction")
        for action, label in ACTION_LABELS.items():
            self.action.addItem(label, action)
        self.tag = QLineEdit()
        self.tag.setPlaceholderText("the tag to give")
        self.conditions_box = QVBoxLayout()
        self.conditions_box.setSpacing(4)
        self.rows: list[ConditionRow] = []
        add_condition = QPushButton("Add a &condition")
        add_condition.clicked.connect(lambda: self._add_row(None))
        self.preview_text = QLabel()
        self.preview_text.setObjectName("rulePreview")
        self.preview_text.setWordWrap(True)
        self.preview_titles = QLabel()
        self.preview_titles.setWordWrap(True)
        self.preview_titles.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.preview_titles.setTextFormat(Qt.TextFormat.PlainText)
        self.save_button = QPushButton("&Save Rule")
        self.save_button.setObjectName("saveRule")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)

        form = QFormLayout()
        form.addRow("Name:", self.name)
        action_row = QHBoxLayout()
        action_row.addWidget(self.action, 1)
        action_row.addWidget(self.tag, 1)
        form.addRow("Action:", action_row)
        conds = QWidget()
        conds_layout = QVBoxLayout(conds)
        conds_layout.setContentsMargins(0, 0, 0, 0)
        conds_layout.addLayout(self.conditions_box)
        conds_layout.addWidget(add_condition, 0, Qt.AlignmentFlag.AlignLeft)
        form.addRow("When all of:", conds)
        right = QWidget()
        right_layout = QGridLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)
        right_layout.addLayout(form, 0, 0)
        right_layout.addWidget(self.preview_text, 1, 0)
        right_layout.addWidget(self.preview_titles, 2, 0)
        right_layout.setRowStretch(3, 1)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save_button)
        right_layout.addLayout(save_row, 4, 0)

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([320, 580])
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(close)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._preview)
        self.name.textChanged.connect(self._changed)
        self.action.currentIndexChanged.connect(self._changed)
        self.tag.textChanged.connect(self._changed)
        writes.rules_changed.connect(self.reload)
        self.edit(None)
        self.reload()

    # ---- the list ------------------------------------------------------------------------------------------

    def reload(self) -> None:
        self._worker.submit(rules_jobs.rule_list, self._listed, label="read the rules")

    def _listed(self, listing: RuleList) -> None:
        self._list = listing
        current = self._editing.id if self._editing else None
        with _Blocked(self.model):
            self.model.clear()
            for rule in listing.rules:
                muted = listing.muted.get(rule.id, 0)
                did = f"\n{muted:,} muted now" if rule.action is Action.MUTE and rule.enabled else ""
                item = QStandardItem(f"{rule.name}\n{listing.descriptions[rule.id]}{did}")
                item.setCheckable(True)
                item.setEditable(False)
                item.setCheckState(Qt.CheckState.Checked if rule.enabled else Qt.CheckState.Unchecked)
                item.setData(rule.id, ID_ROLE)
                item.setToolTip("Ticked: the rule is on")
                self.model.appendRow(item)
        self.view.viewport().update()
        for n, rule in enumerate(listing.rules):
            if rule.id == current:
                self.view.setCurrentIndex(self.model.index(n, 0))
                self._editing = rule
        self.remove_button.setEnabled(self._editing is not None)

    def _rule_at(self, index: QModelIndex) -> Rule | None:
        if self._list is None or not index.isValid():
            return None
        rule_id = index.data(ID_ROLE)
        return next((r for r in self._list.rules if r.id == rule_id), None)

    def _picked(self, current: QModelIndex, _previous: QModelIndex) -> None:
        rule = self._rule_at(current)
        if rule is not None and (self._editing is None or rule.id != self._editing.id):
            self.edit(rule)

    def _toggled(self, item: QStandardItem) -> None:
        rule = self._rule_at(item.index())
        if rule is None:
            return
        on = item.checkState() == Qt.CheckState.Checked
        if on == rule.enabled:
            return
        rule_id = rule.id
        self._writes.reshape(
            f"Turn {'On' if on else 'Off'} Rule",
            lambda lib: rules_jobs.set_enabled(lib, rule_id, on),
            lambda change: describe_change(change, rule if on else None),
        )

    def _remove(self) -> None:
        rule = self._editing
        if rule is None:
            return
        rule_id = rule.id
        self._writes.reshape(
            "Remove Rule",
            lambda lib: rules_jobs.remove_rule(lib, rule_id),
            lambda change: f"Removed rule “{rule.name}”. {describe_change(change)}",
        )
        self.edit(None)

    # ---- the editor ----------------------------------------------------------------------------------------

    def edit(self, rule: Rule | None) -> None:
        """Edit a saved rule, or (None) a new one; `prefill` gives a new one its first values."""
        self._editing = rule
        self._fill(rule or Rule("", "", (Condition("title", ""),), Action.MUTE))
        self.remove_button.setEnabled(rule is not None)
        self.save_button.setText("&Save Rule" if rule is not None else "&Add Rule")
        if rule is None:
            self.view.clearSelection()

    def prefill(self, rule: Rule) -> None:
        """A new rule with these values ("Mute papers like this…")."""
        self.edit(None)
        self._fill(rule)

    def _fill(self, rule: Rule) -> None:
        self.name.setText(rule.name)
        self.action.setCurrentIndex(max(0, self.action.findData(rule.action)))
        self.tag.setText(rule.tag)
        for row in self.rows:
            self._drop(row)
        self.rows = []
        for cond in rule.conditions or (Condition("title", ""),):
            self._add_row(cond)
        self._changed()

    def _add_row(self, cond: Condition | None) -> None:
        if len(self.rows) >= MAX_CONDITIONS:
            return
        feeds = self._list.feeds if self._list else ()
        row = ConditionRow(feeds, self._changed, self._remove_row)
        if cond is not None:
            row.set_condition(cond)
        self.rows.append(row)
        self.conditions_box.addWidget(row)
        self._changed()

    def _remove_row(self, row: ConditionRow) -> None:
        if len(self.rows) <= 1:
            row.value.clear()
            return
        self.rows.remove(row)
        self._drop(row)
        self._changed()

    def _drop(self, row: ConditionRow) -> None:
        self.conditions_box.removeWidget(row)
        row.hide()
        row.setParent(None)
        row.deleteLater()

    def current_rule(self) -> Rule:
        action = self.action.currentData()
        conditions = tuple(c for c in (r.condition() for r in self.rows) if c is not None)
        base = self._editing or Rule(new_rule_id(), "", (), action)
        if self._pending_new is not None and self._editing is None:
            base = self._pending_new
        else:
            self._pending_new = base if self._editing is None else None
        return replace(base, name=self.name.text().strip(), action=action,
                       tag=self.tag.text().strip() if action is Action.TAG else "", conditions=conditions)  # fmt: skip

    def _changed(self) -> None:
        self.tag.setVisible(self.action.currentData() is Action.TAG)
        self._timer.start()

    def _preview(self) -> None:
        rule = self.current_rule()
        self._serial += 1
        serial = self._serial
        if not rule.name:
            rule = replace(rule, name="(unnamed)")

        def done(preview: Preview) -> None:
            if serial != self._serial:
                return
            self.show_preview(preview)

        self._worker.submit(lambda lib: rules_jobs.preview(lib, rule), done, label="try the rule")

    def show_preview(self, preview: Preview) -> None:
        self.preview_text.setText(preview.problem or preview.text)
        self.preview_titles.setText("\n".join(f"• {t}" for t in preview.titles))
        self.save_button.setEnabled(not preview.problem and bool(self.name.text().strip()))

    def save(self) -> None:
        rule = self.current_rule()
        editing = self._editing is not None
        self._writes.reshape(
            "Change Rule" if editing else "Add Rule",
            lambda lib: rules_jobs.save_rule(lib, rule),
            lambda change: describe_change(change, rule) if rule.action.writes_state else f"Saved rule “{rule.name}”",
        )
        self._editing = rule
        self._pending_new = None


class _Blocked:
    def __init__(self, model: QStandardItemModel) -> None:
        self.model = model

    def __enter__(self) -> None:
        self.model.blockSignals(True)

    def __exit__(self, *exc: object) -> None:
        self.model.blockSignals(False)
        self.model.layoutChanged.emit()


def mute_like(lib: Library, key: str) -> Rule:
    """A new mute rule for papers like this one: its title's most telling word and its first category; the
    dialog shows what it would match before anything is saved."""
    from readinglist.core.text import shown

    doc = lib.doc(key)
    title = shown(doc)[0]
    words = [w.strip(".,:;()[]{}\"'") for w in title.split()]
    words = [w for w in words if len(w) >= 5 and w.isalpha() and w.lower() not in _COMMON]
    word = max(words, key=len) if words else ""
    conditions = [Condition("title", word.lower())] if word else []
    cats = doc.get("categories") or ()
    if cats:
        conditions.append(Condition("category", cats[0]))
    return Rule(
        new_rule_id(),
        f"mute {word.lower() or 'papers like this'}",
        tuple(conditions) or (Condition("title", ""),),
        Action.MUTE,
    )


_COMMON_WORDS = (
    "about above after again against among based beyond between could their there these those through towards "
    "under using where which while with within without large model models learning neural network networks "
    "paper approach method methods results study novel"
)
_COMMON = frozenset(_COMMON_WORDS.split())
