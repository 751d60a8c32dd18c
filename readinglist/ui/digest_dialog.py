"""Digest preview: what `readinglist digest --send` would send now, as the mail will show it, with Send and Save.

The digest is made on the library thread; sending talks to the mail server on a thread of its own (never the
library's, which a slow server would hold up, nor the GUI's); what was sent is then recorded on the library
thread, so a paper is in one digest only and a failed send leaves the digest to be sent again."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from readinglist.core import digest as dg
from readinglist.core.credentials import MAIL_ACCOUNT, CredentialStore
from readinglist.core.library import Library
from readinglist.ui.errors import error_text
from readinglist.ui.links import SafeTextBrowser
from readinglist.ui.worker import LibraryWorker


@dataclass(frozen=True, slots=True)
class Prepared:
    digest: dg.Digest
    html: str
    mail: dict[str, Any]  # MailSettings.to_doc(), or {} when none is set up
    sent_today: int | None  # papers of a digest sent today already


def prepare(lib: Library) -> Prepared:
    config = dg.settings(lib)
    made = dg.make_digest(lib, config)
    earlier = dg.sent_today(lib)
    return Prepared(made, dg.to_html(made), dict(config.mail), len(earlier.keys) if earlier else None)


def shown_html(prepared: Prepared) -> str:
    """The mail's HTML as Qt can draw it (Qt's rich text knows a subset of CSS: no boxes)."""
    return dg.to_html(prepared.digest, cards=False)


class _Sender(QObject):
    finished = Signal(object)  # None when sent, else the error's words

    def start(self, prepared: Prepared, password: str | None) -> None:
        def run() -> None:
            from readinglist.core.mail import MailSettings, build_message, send

            try:
                mail = MailSettings.from_doc(prepared.mail)
                mail.check()
                message = build_message(
                    subject=prepared.digest.subject,
                    text=dg.to_text(prepared.digest),
                    html=prepared.html,
                    sender=mail.sender or mail.to[0],
                    to=mail.to,
                )
                send(message, mail, password)
            except Exception as exc:  # every failure is told in the dialog; the digest stays unsent
                self.finished.emit(error_text(exc))
                return
            self.finished.emit(None)

        threading.Thread(target=run, name="send the digest", daemon=True).start()


class DigestDialog(QDialog):
    sent = Signal(str)  # what to say in the status bar once a digest was sent

    def __init__(self, worker: LibraryWorker, credentials: CredentialStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digestDialog")
        self.setWindowTitle("Digest Preview")
        self.setMinimumSize(640, 480)
        self.resize(760, 720)
        self._worker = worker
        self._credentials = credentials
        self._prepared: Prepared | None = None
        self._sender = _Sender(self)
        self._sender.finished.connect(self._send_finished)

        self.heading = QLabel("Making the digest…")
        self.heading.setObjectName("digestHeading")
        self.heading.setWordWrap(True)
        self.browser = SafeTextBrowser()
        self.browser.setObjectName("digestPreview")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.send_button = QPushButton("&Send Now")
        self.send_button.setObjectName("sendDigest")
        self.save_button = QPushButton("Save &As…")
        buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.send_button.clicked.connect(self.send)
        self.save_button.clicked.connect(self._save_as)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.reload()

    @property
    def prepared(self) -> Prepared | None:
        return self._prepared

    def reload(self) -> None:
        self.send_button.setEnabled(False)
        self._worker.submit(prepare, self._show, label="make the digest")

    def _show(self, prepared: Prepared) -> None:
        self._prepared = prepared
        made = prepared.digest
        self.browser.setHtml(shown_html(prepared))
        if made.empty:
            self.heading.setText("Nothing new since the previous digest: nothing would be sent now.")
        else:
            self.heading.setText(
                f"<b>{made.subject}</b><br>{len(made.keys)} of the {made.new_papers:,} papers new since the "
                "previous digest; each goes out in one digest only."
            )
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        to = prepared.mail.get("to") or []
        if not prepared.mail.get("host"):
            self.status.setText("No mail server yet: set one in Preferences (or `readinglist digest setup`).")
        elif prepared.sent_today is not None:
            self.status.setText(f"A digest of {prepared.sent_today} papers was sent today already.")
        else:
            self.status.setText(f"Send goes to {', '.join(map(str, to))} through {prepared.mail.get('host')}.")
        self.send_button.setEnabled(bool(prepared.mail.get("host")) and not made.empty)

    def send(self, *, ask: bool = True) -> None:
        prepared = self._prepared
        if prepared is None or prepared.digest.empty:
            return
        if prepared.sent_today is not None and ask:
            answer = QMessageBox.question(self, "Send Again?", "A digest was sent today already. Send another?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.send_button.setEnabled(False)
        self.status.setText(f"Sending through {prepared.mail.get('host')}…")
        store = self._credentials

        def password(lib: Library) -> str | None:
            if not prepared.mail.get("username"):
                return None
            credential = store.get(MAIL_ACCOUNT)
            return credential.password if credential is not None and credential.password else None

        def got(secret: str | None) -> None:
            if prepared.mail.get("username") and secret is None:
                self.status.setText("No password for the mail server: set it in Preferences (kept in the keyring).")
                self.send_button.setEnabled(True)
                return
            self._sender.start(prepared, secret)

        self._worker.submit(password, got, label="read the mail password")

    def _send_finished(self, problem: str | None) -> None:
        prepared = self._prepared
        if problem is not None or prepared is None:
            self.status.setText(f"Not sent: {problem}. The digest stays to be sent again.")
            self.send_button.setEnabled(True)
            return
        made = prepared.digest
        to = ", ".join(map(str, prepared.mail.get("to") or []))
        self._worker.submit(
            lambda lib: dg.record_sent(lib, made, via=f"email to {to}"),
            lambda _: self._recorded(f"Digest sent to {to}: {len(made.keys)} papers"),
            label="record the digest",
        )

    def _recorded(self, message: str) -> None:
        self.status.setText(message)
        self.sent.emit(message)
        self.reload()

    def _save_as(self) -> None:
        prepared = self._prepared
        if prepared is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Save the Digest", "digest.html", "HTML (*.html);;Text (*.txt)")
        if not name:
            return
        path = Path(name)
        text = dg.to_text(prepared.digest) if path.suffix.lower() == ".txt" else prepared.html
        from readinglist.core.files import write_atomically

        try:
            write_atomically(path, text.encode("utf-8"))
        except OSError as exc:
            self.status.setText(f"Not saved: {error_text(exc)}")
            return
        self.status.setText(f"Saved {path}")
