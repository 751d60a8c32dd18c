"""The digest in the window (issue 14): the preview shows what would be sent now, and Preferences keep the mail
settings in the library and the password in the keyring, never in a file."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from pytestqt.qtbot import QtBot
from uitools import WindowFactory, read_library, wait_idle
from workertools import MemoryKeyring

from readinglist.app import App
from readinglist.core import digest as dg
from readinglist.core.credentials import MAIL_ACCOUNT, CredentialStore
from readinglist.core.models import IncomingPaper


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend  # type: ignore[misc]
    keyring.set_keyring(previous)


def make_library(data_dir: Path) -> None:
    papers = [
        IncomingPaper(title=f"Sparse attention, part {n}", arxiv_id=f"2512.{n:05d}", authors=("Ann Lee",),
                      abstract="We study sparse attention. It is fast.", pdf_url=f"https://arxiv.org/pdf/2512.{n:05d}")
        for n in range(1, 4)
    ]  # fmt: skip
    with App(data_dir).open_library() as lib:
        lib.add_papers(papers, source="arXiv cs.CL")


def test_the_preview_shows_the_new_papers_and_says_where_send_would_go(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory
) -> None:
    make_library(data_dir)
    window = open_window(data_dir)
    dialog = window.action_digest_preview()
    qtbot.waitUntil(lambda: dialog.prepared is not None, timeout=5000)
    text = dialog.browser.toPlainText()
    assert all(f"Sparse attention, part {n}" in text for n in range(1, 4))
    assert "3 for you" in dialog.heading.text()
    # No mail server yet: Send is off, and the dialog says where to set one.
    assert not dialog.send_button.isEnabled() and "Preferences" in dialog.status.text()
    dialog.close()


def test_preferences_keep_the_digest_in_the_library_and_the_password_in_the_keyring(
    qtbot: QtBot, data_dir: Path, open_window: WindowFactory, memory_keyring: MemoryKeyring
) -> None:
    make_library(data_dir)
    window = open_window(data_dir)
    window.app._credentials = CredentialStore()  # the memory keyring installed above
    prefs = window.action_preferences()
    wait_idle(qtbot, window)
    prefs.to.setText("me@example.org")
    prefs.host.setText("smtp.example.org")
    prefs.username.setText("me@example.org")
    prefs.password.setText("hunter2-very-secret")
    prefs.limit.setValue(7)
    prefs.save()
    qtbot.waitUntil(lambda: not prefs.isVisible(), timeout=5000)
    wait_idle(qtbot, window)
    with read_library(data_dir) as lib:
        config = dg.settings(lib)
    assert config.limit == 7 and config.mail["host"] == "smtp.example.org" and config.mail["to"] == ["me@example.org"]
    assert CredentialStore().get(MAIL_ACCOUNT).password == "hunter2-very-secret"  # type: ignore[union-attr]
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert b"hunter2-very-secret" not in path.read_bytes(), path

    # A bad address is refused with a sentence and nothing is saved.
    prefs = window.action_preferences()
    wait_idle(qtbot, window)
    prefs.to.setText("not an address")
    prefs.save()
    assert prefs.isVisible() and "Not saved" in prefs.problem.text()
    prefs.close()


def test_a_digest_link_opens_its_paper_in_the_window(qtbot: QtBot, data_dir: Path, open_window: WindowFactory) -> None:
    from readinglist.cli.main import _paper_of_link
    from readinglist.core.digest import paper_link

    make_library(data_dir)
    window = open_window(data_dir)
    link = paper_link("arxiv:2512.00002")
    assert link.startswith("readinglist://paper/")
    key = _paper_of_link(link)  # what the command line takes from the desktop's `readinglist %u`
    assert key == "arxiv:2512.00002"
    window.open_paper(key)
    qtbot.waitUntil(lambda: window.pane.key == "arxiv:2512.00002", timeout=5000)
    assert window.selection.name == "all"
    window.open_paper("2599.99999")
    qtbot.waitUntil(lambda: "No paper 2599.99999" in window.statusBar().currentMessage(), timeout=5000)


def test_preferences_keep_the_export_defaults(qtbot: QtBot, data_dir: Path, open_window: WindowFactory) -> None:
    from uitools import reopen

    make_library(data_dir)
    window = open_window(data_dir)
    prefs = window.action_preferences()
    wait_idle(qtbot, window)
    prefs.export_notes.setChecked(True)
    prefs.citation_style.setCurrentIndex(prefs.citation_style.findData("nature"))
    prefs.save()
    qtbot.waitUntil(lambda: not prefs.isVisible(), timeout=5000)
    assert window.exports.include_notes_action.isChecked() and window.citation_style_actions["nature"].isChecked()
    window = reopen(window, open_window)
    assert window.exports.include_notes_action.isChecked()
    assert window.settings.citation_style() == "nature"
