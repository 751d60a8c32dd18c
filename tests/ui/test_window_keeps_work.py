"""The window never takes the user's work away: the paper being read, a half-typed tag or note, a star in flight,
search after an error, and a Markdown preview that never opens local files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication, QTextDocument
from uitools import wait_idle

from readinglist.ui.links import SafeTextBrowser
from readinglist.ui.settings import MarkReadMode


def press(qtbot, window, key):
    qtbot.keyClick(window.list, key)


def test_a_refresh_keeps_the_paper_being_read_in_the_inbox(qtbot, sample_dir, open_window):
    window = open_window(sample_dir)  # immediately mark read; Inbox view
    assert window.selection.name == "unread"
    window.list.setFocus()
    press(qtbot, window, Qt.Key.Key_J)
    press(qtbot, window, Qt.Key.Key_J)
    wait_idle(qtbot, window)
    key = window.pane.key
    assert key is not None and window.model.state(key).read
    # What a refresh that brought papers does (RefreshController.papers_changed -> _feeds_brought_papers):
    window._feeds_brought_papers(1, 0)
    wait_idle(qtbot, window)
    assert window.pane.key == key, "the paper being read vanished from the pane"


def test_tag_text_typed_for_one_paper_does_not_land_on_the_next(qtbot, sample_dir, open_window):
    window = open_window(sample_dir, mark_read=MarkReadMode.NEVER)
    window.list.select_row(0)
    first = window.pane.key
    window.action_tag()
    qtbot.keyClicks(window.pane.tag_bar.edit, "important")
    window.list.select_row(3)  # the user clicks another paper before pressing Enter
    second = window.pane.key
    window.pane.tag_bar.edit.setFocus()
    qtbot.keyClick(window.pane.tag_bar.edit, Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    assert "important" not in window.model.state(second).tags
    assert "important" not in window.model.state(first).tags  # never confirmed with Enter there either


def test_a_refresh_leaves_the_note_being_written_open(qtbot, sample_dir, open_window):
    window = open_window(sample_dir)
    window.list.setFocus()
    press(qtbot, window, Qt.Key.Key_J)
    wait_idle(qtbot, window)
    key = window.pane.key
    window.action_edit_note()
    qtbot.keyClicks(window.pane.notes.editor, "half a thought")
    window._feeds_brought_papers(1, 0)  # a scheduled refresh brought a paper
    wait_idle(qtbot, window)
    assert window.pane.notes.editing and window.pane.key == key
    assert window.pane.notes.editor.toPlainText() == "half a thought"


def test_a_reload_answered_before_a_star_keeps_the_star_shown(qtbot, sample_dir, open_window):
    window = open_window(sample_dir, mark_read=MarkReadMode.NEVER)
    window.list.select_row(2)
    key = window.pane.key
    seen = []
    window.view_loaded.connect(
        lambda _s: seen.append((window.model.state(key).starred, window.actions_by_name["star"].isChecked()))
    )
    window.reload_view()  # e.g. a refresh finished a moment ago
    window.action_star()  # the user presses S before the reload answers
    assert window.model.state(key).starred
    wait_idle(qtbot, window)
    assert window.model.state(key).starred
    assert seen == [(True, True)]


def test_search_works_again_after_a_failed_search(qtbot, sample_dir, open_window):
    window = open_window(sample_dir, mark_read=MarkReadMode.NEVER)
    calls = {"n": 0}

    def break_once(lib):
        real = lib.search

        def flaky(text):
            calls["n"] += 1
            if calls["n"] == 1:
                raise OSError("disk hiccup")
            return real(text)

        lib.search = flaky

    window.worker.submit(break_once)
    wait_idle(qtbot, window)
    window.search.setText("attention ")
    qtbot.waitUntil(lambda: window.worker.pending == 0)
    window.search.setText("transformer ")
    qtbot.wait(300)
    assert window.search_idle()


def test_copy_bibtex_while_typing_includes_the_note(qtbot, sample_dir, open_window):
    window = open_window(sample_dir, mark_read=MarkReadMode.NEVER)
    window.list.select_row(0)
    window.exports.include_notes_action.setChecked(True)
    window.action_edit_note()
    qtbot.keyClicks(window.pane.notes.editor, "UNIQUENOTE")
    qtbot.keyClick(
        window.pane.notes.editor, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    with qtbot.waitSignal(window.exports.copied, timeout=3000):
        pass
    text = QGuiApplication.clipboard().text()
    assert "UNIQUENOTE" in text


def test_the_note_preview_never_opens_a_local_file(qtbot, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    browser = SafeTextBrowser()
    qtbot.addWidget(browser)
    for url in (QUrl.fromLocalFile(str(secret)), QUrl("/dev/zero"), QUrl("https://example.org/x.png")):
        image = browser.loadResource(int(QTextDocument.ResourceType.ImageResource), url)
        assert image is not None and image.isNull()  # answered, with nothing: Qt does not fall back to the file
    browser.setMarkdown(f"![x]({secret}) and ![y](/dev/zero)")  # would abort the app if Qt read /dev/zero
    browser.grab()
