"""The paper pane: what the paper is (title, authors, dates, links, abstract) and what the user made of it (note, tags).

It draws from the row the list already holds, so moving through the list never waits for the library thread.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import (
    QLabel,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from readinglist.core.duplicates import SamePaper
from readinglist.core.text import visible_controls
from readinglist.ui.elide import ABSTRACT_SHOWN, AUTHORS_SHOWN, PANE_TITLE_SHOWN, shown_part
from readinglist.ui.flow_layout import FlowLayout
from readinglist.ui.library_jobs import DEFAULT_STATE, PaperRow, RowState
from readinglist.ui.links import (
    SafeTextBrowser,
    author_link,
    author_of_link,
    is_web_url,
    merge_link,
    merge_of_link,
)
from readinglist.ui.note_editor import NoteEditor
from readinglist.ui.tag_bar import TagBar

# Extra fields that hold a link, and what to call it; any other web URL in `extra` is shown under its own name.
LINK_NAMES = {
    "code": "Code",
    "code_url": "Code",
    "github": "Code",
    "github_repo": "Code",
    "githubRepo": "Code",
    "repository": "Code",
    "project_page": "Project page",
    "projectPage": "Project page",
    "hf_url": "Hugging Face",
    "huggingface": "Hugging Face",
    "hf_page": "Hugging Face",
}
META_NAMES = {"announce_type": "Announced as", "comment": "Comment"}


def human_date(iso: str) -> str:
    """ "12 Mar 2025" from an ISO timestamp; the text itself when it is not one."""
    if not iso:
        return ""
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso[:10]
    return f"{when.day} {when:%b %Y}"


def paper_links(row: PaperRow, feeds: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(label, url) of every web link the paper has, the landing page first; never anything but http(s)."""
    links: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(label: str, url: str | None) -> None:
        if url and url not in seen and is_web_url(url):
            seen.add(url)
            links.append((label, url))

    add("arXiv page" if row.arxiv_id else "Paper page", row.abs_url)
    add("PDF", row.pdf_url)
    if row.doi:
        add("DOI", f"https://doi.org/{row.doi}")
    add("Web page", row.url)
    for name, value in row.extra.items():
        if isinstance(value, str) and is_web_url(value):
            add(LINK_NAMES.get(name, name.replace("_", " ").capitalize()), value)
    if row.arxiv_id and any("hugging" in f.casefold() for f in (*row.feeds, *feeds)):
        add("Hugging Face", f"https://huggingface.co/papers/{row.arxiv_id}")
    return links


def _extra_lines(extra: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for name, value in extra.items():
        if isinstance(value, str) and is_web_url(value):
            continue
        if isinstance(value, (str, int, float)) and str(value).strip():
            yield META_NAMES.get(name, name.replace("_", " ").capitalize()), str(value)


def paper_html(
    row: PaperRow,
    palette: QPalette,
    feeds: Sequence[str] | None = None,
    why: tuple[str, str] | None = None,
    muted_by: str = "",
    same: SamePaper | None = None,
    *,
    all_authors: bool = False,
) -> str:
    """The paper as HTML for a QTextBrowser. Every text from a feed is escaped: the abstract is shown as text.
    `feeds`: the names of the paper's feeds (its row holds what the papers record: subscription ids); `why`: a
    label and the words that ranked it ("Why for you", "diffusion · denoising")."""
    feeds = list(row.feeds) if feeds is None else feeds

    def e(text: str, quote: bool = True) -> str:  # escaped, and no control character reorders or restyles it
        return html.escape(visible_controls(text), quote=quote)

    dim = palette.color(QPalette.ColorRole.PlaceholderText).name()
    parts = [f"<h2 style='margin-bottom: 4px'>{e(shown_part(row.title, PANE_TITLE_SHOWN))}</h2>"]
    if row.authors:
        # Each name a link to the author's papers (the window's own link, never the web).
        # A long list (a 60-author paper) is collapsed to its first names, with a link that shows the rest: the
        # abstract stays above the fold.
        listed = row.authors if all_authors or len(row.authors) <= AUTHORS_LISTED + 2 else row.authors[:AUTHORS_LISTED]
        names: list[str] = []
        room = AUTHORS_SHOWN
        for name in listed:
            if room <= 0:
                break
            names.append(
                f"<a href='{e(author_link(name))}' style='text-decoration: none'>{e(shown_part(name, 80))}</a>"
            )
            room -= len(name) + 2
        more = len(row.authors) - len(names)
        tail = f" <a href='{ALL_AUTHORS_LINK}'>and {more} more</a>" if more > 0 else ""
        parts.append(f"<p style='margin-top: 0'>{', '.join(names)}{tail}</p>")
    else:
        parts.append(f"<p style='margin-top: 0; color: {dim}'>No authors given by the feed</p>")
    if muted_by:
        parts.append(
            f"<p style='color: {dim}'><b>Muted</b> by rule “{e(muted_by)}”: out of Inbox and For you. "
            "Mark it unread (M) to keep it; Edit ▸ Rules… changes the rule.</p>"
        )
    if same is not None:
        other = same.other if same.keep == row.key else same.keep
        accent = palette.color(QPalette.ColorRole.Link).name()
        parts.append(
            f"<p style='color: {dim}'><b style='color: {accent}'>Same paper?</b> Another record, {e(other)}, has the "
            f"{e(same.reason)}. <a href='{e(merge_link(same.keep, same.other))}'>Merge them</a> (one record, your "
            "stars, notes and tags on both kept; Ctrl+Z undoes it)</p>"
        )
    if why is not None:
        accent = palette.color(QPalette.ColorRole.Link).name()
        parts.append(f"<p style='color: {accent}'><b>{e(why[0])}:</b> {e(why[1])}</p>")

    facts: list[str] = []
    if row.published:
        facts.append(f"Published {human_date(row.published)}")
    if row.updated and row.updated[:10] != row.published[:10]:
        facts.append(f"updated {human_date(row.updated)}")
    if row.content_updated:
        facts.append(f"<b>new version seen {human_date(row.content_updated)}</b>")
    if row.first_seen:
        facts.append(f"added {human_date(row.first_seen)}")
    ids = []
    if row.arxiv_id:
        ids.append(f"arXiv {e(row.arxiv_id)}" + (f"v{row.arxiv_version}" if row.arxiv_version else ""))
    if row.doi:
        ids.append(f"DOI {e(row.doi)}")
    if row.journal_ref:
        ids.append(e(row.journal_ref))
    meta = [" · ".join(facts)[:1].upper() + " · ".join(facts)[1:]] if facts else []
    if ids:
        meta.append(" · ".join(ids))
    if row.categories:
        meta.append("Categories: " + e(", ".join(row.categories)))
    if feeds:
        meta.append(("Feed: " if len(feeds) == 1 else "Feeds: ") + e(", ".join(feeds)))
    for name, value in _extra_lines(row.extra):
        meta.append(f"{e(name)}: {e(value)}")
    parts.append(f"<p style='color: {dim}'>" + "<br>".join(meta) + "</p>")

    links = paper_links(row, feeds)
    if links:
        anchors = " &nbsp;·&nbsp; ".join(f"<a href='{e(url, quote=True)}'>{e(label)}</a>" for label, url in links)
        parts.append(f"<p>{anchors}</p>")
    if row.abstract:
        paragraphs = [p for p in shown_part(row.abstract, ABSTRACT_SHOWN).split("\n") if p.strip()]
        parts.extend(f"<p style='line-height: 130%'>{e(p)}</p>" for p in paragraphs)
    else:
        parts.append(f"<p style='color: {dim}'>No abstract in the feed.</p>")
    return "\n".join(parts)


AUTHORS_LISTED = 8  # a longer author list shows these and "and N more"
ALL_AUTHORS_LINK = "readinglist:all-authors"


class PaperPane(QWidget):
    """Shows one paper. The window gives it the row and state; it reports edits to the note and the tags."""

    author_clicked = Signal(str)  # an author's name, clicked: the window lists their papers
    merge_requested = Signal(str, str)  # keep, other: the user asked to make two records of one paper one
    note_edited = Signal(str, str)  # key, note
    tags_added = Signal(str, list)  # key, tags
    tag_removed = Signal(str, str)  # key, tag
    done_tagging = Signal()

    def __init__(self, actions: Iterable[QAction] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row: PaperRow | None = None
        self._state: RowState = DEFAULT_STATE
        self._feeds: list[str] = []
        self._why: tuple[str, str] | None = None
        self._muted_by = ""
        self._same: SamePaper | None = None
        self._all_authors = False  # "and 57 more" was clicked for the paper shown

        # The paper's buttons wrap onto a second line when the pane is narrow or the fonts large, where a toolbar
        # hid the last ones (PDF ↗) in an overflow menu nobody sees.
        self.toolbar = QWidget()
        self.toolbar.setObjectName("paneButtons")
        buttons = FlowLayout(self.toolbar, spacing=2)
        buttons.setContentsMargins(4, 4, 4, 2)
        size_policy = self.toolbar.sizePolicy()
        size_policy.setHeightForWidth(True)
        size_policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        self.toolbar.setSizePolicy(size_policy)
        self.buttons: list[QToolButton] = []
        for action in actions:
            button = QToolButton(self.toolbar)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setAutoRaise(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard has the shortcuts; focus stays put
            buttons.addWidget(button)
            self.buttons.append(button)

        self.details = SafeTextBrowser()
        self.details.setObjectName("paperDetails")
        self.details.setFrameShape(SafeTextBrowser.Shape.NoFrame)
        self.details.document().setDocumentMargin(12)
        self.details.internal_link.connect(self._internal_link)
        self.notes = NoteEditor()
        self.notes.note_edited.connect(self.note_edited)
        self.tag_bar = TagBar()
        self.tag_bar.tags_added.connect(self._on_tags_added)
        self.tag_bar.tag_removed.connect(self._on_tag_removed)
        self.tag_bar.finished.connect(self.done_tagging)

        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(12, 8, 12, 8)
        lower_layout.setSpacing(8)
        lower_layout.addWidget(self.tag_bar)
        lower_layout.addWidget(self.notes, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.details)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.setSpacing(0)
        content_layout.addWidget(self.toolbar)
        content_layout.addWidget(self.splitter, 1)

        self._empty = QLabel(
            "No paper selected\n\nJ and K move through the list, N jumps to the next unread paper,\n? lists every key"
        )
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._empty.setWordWrap(True)

        self._stack = QStackedWidget()
        self._stack.addWidget(self._empty)
        self._stack.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)

    @property
    def key(self) -> str | None:
        return self._row.key if self._row else None

    @property
    def row(self) -> PaperRow | None:
        return self._row

    def show_paper(
        self,
        row: PaperRow | None,
        state: RowState = DEFAULT_STATE,
        feeds: Sequence[str] | None = None,
        muted_by: str = "",
        same: SamePaper | None = None,
    ) -> None:
        """Show a paper (None: no paper), with the names of its feeds, the rule that muted it and a record that
        looks like the same paper. The same paper again only refreshes its state."""
        if row is not None and self._row is not None and row.key == self._row.key and row == self._row:
            self.update_state(state)
            return
        self._row = row
        self._muted_by = muted_by if state.muted else ""
        self._same = same
        self._all_authors = False
        self._state = state
        self._why = None
        self._feeds = list(row.feeds if feeds is None else feeds) if row is not None else []
        self.tag_bar.edit.clear()  # a tag half typed for the previous paper must not land on this one
        if row is None:
            self.notes.load(None, "")
            self.tag_bar.set_tags(())
            self._stack.setCurrentIndex(0)
            return
        self._render()
        self.notes.load(row.key, state.note)
        self.tag_bar.set_tags(state.tags)
        self._stack.setCurrentIndex(1)

    def set_why(self, key: str, label: str, words: Sequence[str]) -> None:
        """Say why the paper shown was ranked where it is (nothing when `words` is empty)."""
        if self._row is None or self._row.key != key:
            return
        why = (label, " · ".join(words)) if words else None
        if why != self._why:
            self._why = why
            self._render()

    def set_same(self, key: str, same: SamePaper | None) -> None:
        """Offer the record that looks like the same paper as the one shown, found after it was shown."""
        if self._row is None or self._row.key != key or same == self._same:
            return
        self._same = same
        self._render()

    def _render(self) -> None:
        if self._row is not None:
            self.details.setHtml(
                paper_html(
                    self._row,
                    self.palette(),
                    self._feeds,
                    self._why,
                    self._muted_by,
                    self._same,
                    all_authors=self._all_authors,
                )
            )

    def _internal_link(self, url: QUrl) -> None:
        if url.toString() == ALL_AUTHORS_LINK:
            self._all_authors = True
            self._render()
            return
        name = author_of_link(url)
        if name:
            self.author_clicked.emit(name)
        pair = merge_of_link(url)
        if pair is not None:
            self.merge_requested.emit(*pair)

    @property
    def why_text(self) -> str:
        return self._why[1] if self._why else ""

    def update_state(self, state: RowState) -> None:
        """The user's state on the shown paper changed (here or by undo): show it, without disturbing typing."""
        self._state = state
        if self._muted_by and not state.muted:
            self._muted_by = ""  # un-muted (unread by hand, starred): the pane stops saying so
            self._render()
        self.tag_bar.set_tags(state.tags)
        if state.note == self.notes.text:
            return
        if not self.notes.editing and not self.notes.dirty:
            self.notes.load(self.key, state.note)
        elif state.note != self.notes.saved_text:
            self.notes.changed_elsewhere(state.note)  # not what this window saved: another process wrote it

    def set_known_tags(self, names: Iterable[str]) -> None:
        self.tag_bar.set_known_tags(names)

    def flush(self) -> None:
        self.notes.flush()

    def _on_tags_added(self, tags: list[str]) -> None:
        if self._row is not None:
            self.tags_added.emit(self._row.key, tags)

    def _on_tag_removed(self, tag: str) -> None:
        if self._row is not None:
            self.tag_removed.emit(self._row.key, tag)

    def changeEvent(self, event: QEvent) -> None:
        # The system switched between light and dark: the HTML carries palette colours, so draw it again.
        if event.type() == QEvent.Type.PaletteChange and self._row is not None:
            self._render()
        super().changeEvent(event)
