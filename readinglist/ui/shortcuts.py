"""Every action of the window, its keys and its menu, in one table; and the `?` sheet drawn from it.

The menus, the keys and the sheet all come from ACTIONS, so a key shown is always a key that works. Each entry's
handler is the window's `action_<name>`; the Export submenu (export_actions.py) is added to the File menu beside them.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from readinglist.ui.links import SafeTextBrowser


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str  # the window's handler is `action_<name>`
    text: str
    menu: str
    keys: tuple[str, ...] = ()  # bound as shortcuts; the first one is shown in the menu
    also: tuple[str, ...] = ()  # keys the list itself handles to the same effect: listed in the sheet, not bound
    tip: str = ""
    checkable: bool = False
    short: str = ""  # the text on a toolbar button, where the menu text is too long


MENUS = ("File", "Edit", "Go", "Paper", "View", "Help")

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "add_feed", "&Add Feed…", "File", ("Ctrl+N",), tip="Subscribe to a feed address, arXiv categories or a search"
    ),
    ActionSpec("feeds", "&Feeds…", "File", tip="Your subscriptions: status, errors, names, groups, credentials"),
    ActionSpec(
        "refresh", "&Refresh Feeds", "File", ("Ctrl+R", "F5"), tip="Fetch every feed now; Cancel in the status bar"
    ),
    ActionSpec("import_opml", "&Import OPML…", "File", tip="Subscribe to the feeds of another reader's OPML file"),
    ActionSpec("export_opml", "E&xport OPML…", "File", tip="Write your subscriptions for another reader"),
    ActionSpec(
        "digest_preview", "&Digest Preview…", "File", tip="What the daily digest would send now, with Send and Save"
    ),
    ActionSpec("load_sample", "Load &Sample Papers", "File", tip="Add the bundled sample papers to the library"),
    ActionSpec("quit", "&Quit", "File", ("Ctrl+Q",), tip="Save everything and close the window"),
    ActionSpec("undo", "&Undo", "Edit", ("Ctrl+Z",), tip="Undo the last star, read, tag or mark-all change"),
    ActionSpec("redo", "&Redo", "Edit", ("Ctrl+Shift+Z",), tip="Do again what Undo undid"),
    ActionSpec(
        "copy_bibtex", "Copy &BibTeX", "Edit", ("Ctrl+Shift+C",), tip="The selected papers as BibTeX for a .bib file"
    ),
    ActionSpec(
        "copy_citation",
        "Copy &Citation",
        "Edit",
        ("Ctrl+Alt+C",),
        tip="The selected papers as references in the citation style chosen below (APA, IEEE, ACM, Chicago, Nature)",
    ),
    ActionSpec("copy_link", "Copy &Link", "Edit", ("Ctrl+Shift+L",), tip="The paper's web page address"),
    ActionSpec("copy_id", "Copy arXiv &ID", "Edit", ("Ctrl+Shift+I",), tip="The paper's arXiv id (else its DOI)"),
    ActionSpec(
        "rules",
        "R&ules…",
        "Edit",
        ("Ctrl+Shift+U",),
        tip="Rules that mute, tag, star or highlight papers as they come in",
    ),
    ActionSpec(
        "preferences", "&Preferences…", "Edit", ("Ctrl+,",), tip="Reading, tray and notifications, the daily digest"
    ),
    ActionSpec("search", "&Search This View", "Edit", ("/", "Ctrl+F"), tip="Search title, authors, abstract, note"),
    ActionSpec("next", "&Next Paper", "Go", ("J",), ("Down",), "The next paper in the list"),
    ActionSpec("previous", "&Previous Paper", "Go", ("K",), ("Up",), "The previous paper in the list"),
    ActionSpec("next_unread", "Next &Unread Paper", "Go", ("N",), tip="The next unread paper in the list"),
    ActionSpec(
        "page_or_next",
        "Page Down, Then Next Unread",
        "Go",
        ("Space",),
        tip="The rest of a long abstract first, then the next unread paper",
    ),
    ActionSpec("page_up", "Page Up in the Paper", "Go", ("Shift+Space",), tip="Back up a long abstract"),
    ActionSpec("next_entry", "Next &Subscription or View", "Go", ("Z",), tip="The next entry of the sidebar"),
    ActionSpec(
        "previous_entry", "Previous Subscription or View", "Go", ("A",), tip="The previous entry of the sidebar"
    ),
    ActionSpec(
        "back", "&Back to the List", "Go", ("Esc",), tip="Leave the note, tags or search; Esc again clears search"
    ),
    ActionSpec("star", "&Star", "Paper", ("S",), tip="Star or unstar the paper", checkable=True),
    ActionSpec("toggle_read", "Mark &Read", "Paper", ("M",), tip="Mark the paper read or unread"),
    ActionSpec(
        "keep_unread",
        "&Keep Unread and Next",
        "Paper",
        ("U",),
        tip="Leave the paper unread for later and go on to the next unread one: one key, not M then N",
    ),
    ActionSpec(
        "dismiss",
        "&Not Interested",
        "Paper",
        ("X",),
        tip="Out of For you, and papers like it rank lower; Ctrl+Z undoes it",
        checkable=True,
    ),
    ActionSpec(
        "read_later",
        "Read &Later",
        "Paper",
        ("W",),
        tip="Put the paper in the Read later queue (again: take it out); apart from the star",
        checkable=True,
        short="Later",
    ),
    ActionSpec(
        "more_like_this", "More &Like This", "Paper", ("L",), tip="The papers in the library most like this one"
    ),
    ActionSpec(
        "mute_like_this",
        "&Mute Papers Like This…",
        "Paper",
        ("Shift+X",),
        tip="A rule that mutes papers like this one; you see what it would match before saving",
    ),
    ActionSpec(
        "edit_note", "&Edit Note", "Paper", ("E",), tip="Write the paper's note (Markdown; saves itself)", short="Note"
    ),
    ActionSpec(
        "tag", "Add &Tag…", "Paper", ("T",), tip="Tag the paper; Backspace in the empty field untags", short="Tag"
    ),
    ActionSpec(
        "open",
        "&Open in Browser",
        "Paper",
        ("O",),
        ("Enter",),
        "The paper's page, in the system browser",
        short="Open ↗",
    ),
    ActionSpec("open_pdf", "Open &PDF", "Paper", ("P",), tip="The paper's PDF, in the system browser", short="PDF ↗"),
    ActionSpec(
        "mark_all_read",
        "Mark &All in View as Read",
        "Paper",
        ("Shift+A",),
        tip="Every unread paper listed; asks first above 50 papers; Ctrl+Z undoes it",
    ),
    ActionSpec(
        "sort_relevance",
        "Sort by &Relevance",
        "View",
        ("Shift+R",),
        tip="Every view best first by what you star (For you is always so); a column header sorts by it again",
        checkable=True,
    ),
    ActionSpec("shortcuts", "&Keyboard Shortcuts", "Help", ("?", "F1"), tip="This list"),
    ActionSpec("about", "&About Reading List", "Help", tip="Version and where the library is"),
)


def make_actions(parent: QWidget) -> dict[str, QAction]:
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = QAction(spec.text, parent)
        action.setObjectName(f"action_{spec.name}")
        if spec.keys:
            action.setShortcuts([QKeySequence(k) for k in spec.keys])
        action.setStatusTip(spec.tip)
        action.setToolTip(f"{spec.tip} ({spec.keys[0]})" if spec.keys else spec.tip)
        action.setCheckable(spec.checkable)
        if spec.short:
            action.setIconText(spec.short)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        actions[spec.name] = action
    return actions


def _key_text(key: str) -> str:
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) or key


def sheet_html(actions: Iterable[QAction], extra_rows: Iterable[tuple[str, str, str]] = ()) -> str:
    """The `?` sheet: menu by menu, each action's keys and what it does."""
    specs = {f"action_{s.name}": s for s in ACTIONS}
    rows: dict[str, list[tuple[str, str, str]]] = {m: [] for m in MENUS}
    for action in actions:
        spec = specs.get(action.objectName())
        if spec is None:
            continue
        names = [_key_text(k) for k in (*spec.keys, *spec.also)]
        rows[spec.menu].append((" or ".join(names), spec.text.replace("&", ""), spec.tip))
    for menu, extra_keys, extra_text in extra_rows:
        rows.setdefault(menu, []).append((extra_keys, extra_text, ""))
    e = html.escape
    out = [
        "<h3>Keyboard shortcuts</h3><p>Every action is also in the menus, with its key shown.</p>",
        "<table cellspacing='0' cellpadding='4' width='100%'>",
    ]
    for menu, entries in rows.items():
        if not entries:
            continue
        out.append(f"<tr><td colspan='3'><br><b>{e(menu)}</b></td></tr>")
        for keys, text, tip in entries:
            out.append(
                f"<tr><td width='22%'><code>{e(keys) or '–'}</code></td><td width='30%'>{e(text)}</td>"
                f"<td>{e(tip)}</td></tr>"
            )
    out.append("</table>")
    return "\n".join(out)


class ShortcutSheet(QDialog):
    def __init__(self, html_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.setObjectName("shortcutSheet")
        browser = SafeTextBrowser()
        browser.setHtml(html_text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(browser)
        layout.addWidget(buttons)
        self.setMinimumSize(480, 360)  # fixed, not left to the layout (see MainWindow.setMinimumSize)
        self.resize(720, 640)
