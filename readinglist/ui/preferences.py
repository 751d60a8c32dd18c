"""Preferences: how opening a paper marks it read, the tray and notifications, and the daily digest (where it goes,
through which mail server, when, how many papers, which sections). The window's own settings live in window.ini;
the digest's live in the library ("digest" part), shared with the command line and the scheduled run; the mail
password goes to the system keyring, never to a file."""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QTime, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from readinglist.core import digest as dg
from readinglist.core.credentials import MAIL_ACCOUNT, Credential, CredentialStore
from readinglist.core.library import Library
from readinglist.ui.errors import error_text
from readinglist.ui.settings import MarkReadMode, WindowSettings, mark_read_labels
from readinglist.ui.worker import LibraryWorker

SECURITY_LABELS = {"starttls": "STARTTLS (port 587)", "tls": "TLS (port 465)", "none": "None (this machine only)"}


@dataclass(frozen=True, slots=True)
class Loaded:
    config: dg.DigestSettings
    has_password: bool
    keyring: str | None  # why the keyring cannot be used, or None


def load(lib: Library, credentials: CredentialStore) -> Loaded:
    config = dg.settings(lib)
    has = False
    reason = None
    try:
        if credentials.available():
            found = credentials.get(MAIL_ACCOUNT)
            has = bool(found and found.password)
        else:
            reason = credentials.unavailable_reason
    except Exception as exc:  # a broken keyring: say so, the rest of the dialog works
        reason = error_text(exc)
    return Loaded(config, has, reason)


class PreferencesDialog(QDialog):
    preview_requested = Signal()
    changed = Signal()  # the window's settings changed (tray, notifications, mark read)

    def __init__(
        self,
        worker: LibraryWorker,
        credentials: CredentialStore,
        settings: WindowSettings,
        mark_read: MarkReadMode,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("preferencesDialog")
        self.setWindowTitle("Preferences")
        self.setMinimumSize(600, 800)
        self._worker = worker
        self._credentials = credentials
        self._settings = settings
        self._loaded: Loaded | None = None

        reading = QGroupBox("Reading")
        self.mark_read = QComboBox()
        for mode, label in mark_read_labels(settings.mark_read_delay_ms()).items():
            self.mark_read.addItem(label.replace("&", ""), mode)
        self.mark_read.setCurrentIndex(max(0, self.mark_read.findData(mark_read)))
        form = QFormLayout(reading)
        form.addRow("Mark a paper read when opened:", self.mark_read)

        desktop = QGroupBox("Desktop")
        self.tray = QCheckBox("Show an icon in the tray with the unread and For you counts")
        self.tray.setChecked(settings.tray())
        self.close_to_tray = QCheckBox("Closing the window keeps Reading List in the tray")
        self.close_to_tray.setChecked(settings.close_to_tray())
        self.notifications = QCheckBox("Notify when a refresh brings papers (one notification per refresh)")
        self.notifications.setChecked(settings.notifications())
        note = QLabel("A feed's papers can be left out of notifications in its settings (Feeds…).")
        note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        box = QVBoxLayout(desktop)
        for w in (self.tray, self.close_to_tray, self.notifications, note):
            box.addWidget(w)

        export = QGroupBox("Export and copy")
        self.export_notes = QCheckBox("Include my notes in BibTeX, RIS and CSL-JSON (always in Markdown and CSV)")
        self.export_notes.setChecked(settings.export_notes())
        self.citation_style = QComboBox()
        from readinglist.core.export.styles import STYLES

        for style, name in STYLES.items():
            self.citation_style.addItem(name, style)
        self.citation_style.setCurrentIndex(max(0, self.citation_style.findData(settings.citation_style())))
        export_form = QFormLayout(export)
        export_form.addRow(self.export_notes)
        export_form.addRow("Copy Citation style:", self.citation_style)

        digest = QGroupBox("Daily digest by email")
        self.to = QLineEdit()
        self.to.setObjectName("digestTo")
        self.to.setPlaceholderText("you@example.org")
        self.host = QLineEdit()
        self.host.setObjectName("digestHost")
        self.host.setPlaceholderText("smtp.fastmail.com")
        self.security = QComboBox()
        for value, label in SECURITY_LABELS.items():
            self.security.addItem(label, value)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(587)
        self.security.currentIndexChanged.connect(self._security_changed)
        self.username = QLineEdit()
        self.username.setPlaceholderText("usually your address")
        self.password = QLineEdit()
        self.password.setObjectName("digestPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.ca_file = QLineEdit()
        self.ca_file.setPlaceholderText("only for a self-hosted server with its own CA")
        self.limit = QSpinBox()
        self.limit.setRange(1, 200)
        self.limit.setValue(dg.DEFAULT_LIMIT)
        self.at = QTimeEdit()
        self.at.setDisplayFormat("HH:mm")
        self.sections = {s: QCheckBox(dg.SECTION_TITLES[s]) for s in dg.SECTIONS}
        sections_row = QHBoxLayout()
        for box_ in self.sections.values():
            box_.setChecked(True)
            sections_row.addWidget(box_)
        sections_row.addStretch(1)
        server_row = QHBoxLayout()
        server_row.addWidget(self.host, 1)
        server_row.addWidget(self.security)
        server_row.addWidget(self.port)
        preview = QPushButton("&Preview the Digest…")
        preview.clicked.connect(self.preview_requested)
        self.schedule_note = QLabel(
            "Sent at this time by the daily run: <code>readinglist schedule install</code> (a systemd timer that "
            "catches up after sleep, or a cron line)."
        )
        self.schedule_note.setWordWrap(True)
        self.schedule_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        form = QFormLayout(digest)
        form.addRow("Send to:", self.to)
        form.addRow("Mail server:", server_row)
        form.addRow("User name:", self.username)
        form.addRow("Password:", self.password)
        form.addRow("CA file:", self.ca_file)
        form.addRow("Papers per digest:", self.limit)
        form.addRow("Send at:", self.at)
        form.addRow("Sections:", sections_row)
        form.addRow("", self.schedule_note)
        form.addRow("", preview)

        self.problem = QLabel()
        self.problem.setObjectName("preferencesProblem")
        self.problem.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(reading)
        layout.addWidget(desktop)
        layout.addWidget(export)
        layout.addWidget(digest)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        worker.submit(lambda lib: load(lib, credentials), self._fill, label="read the preferences")

    def _security_changed(self) -> None:
        self.port.setValue({"tls": 465, "none": 25}.get(self.security.currentData(), 587))

    def _fill(self, loaded: Loaded) -> None:
        self._loaded = loaded
        config = loaded.config
        mail = config.mail
        self.to.setText(", ".join(map(str, mail.get("to") or [])))
        self.host.setText(str(mail.get("host") or ""))
        self.security.setCurrentIndex(max(0, self.security.findData(mail.get("security") or "starttls")))
        self.port.setValue(int(mail.get("port") or 587))
        self.username.setText(str(mail.get("username") or ""))
        self.ca_file.setText(str(mail.get("ca_file") or ""))
        self.limit.setValue(config.limit)
        hours, _, minutes = config.at.partition(":")
        self.at.setTime(QTime(int(hours or 7), int(minutes or 30)))
        for name, box in self.sections.items():
            box.setChecked(name in config.sections)
        if loaded.keyring:
            self.password.setPlaceholderText("no keyring: asked for at each send, never stored")
            self.password.setEnabled(False)
        elif loaded.has_password:
            self.password.setPlaceholderText("saved in the system keyring (type to change)")
        else:
            self.password.setPlaceholderText("kept in the system keyring")

    def digest_settings(self) -> dg.DigestSettings:
        from readinglist.core.mail import MailSettings

        base = self._loaded.config if self._loaded else dg.DigestSettings()
        sections = tuple(s for s, box in self.sections.items() if box.isChecked())
        new = replace(
            base,
            limit=self.limit.value(),
            at=self.at.time().toString("HH:mm"),
            sections=sections or dg.SECTIONS,
        )
        to = tuple(a.strip() for a in self.to.text().split(",") if a.strip())
        if not self.host.text().strip() and not to:
            return replace(new, mail={})
        mail = MailSettings(
            host=self.host.text().strip(),
            port=self.port.value(),
            security=self.security.currentData(),
            username=self.username.text().strip(),
            to=to,
            ca_file=self.ca_file.text().strip() or None,
        )
        mail.check()  # a MailError says what is wrong; nothing is saved
        return replace(new, mail=mail.to_doc())

    def save(self) -> None:
        try:
            config = self.digest_settings()
        except Exception as exc:
            self.problem.setText(f"Not saved: {error_text(exc)}")
            return
        settings = self._settings
        settings.set_mark_read(self.mark_read.currentData())
        settings.set_tray(self.tray.isChecked())
        settings.set_close_to_tray(self.close_to_tray.isChecked())
        settings.set_notifications(self.notifications.isChecked())
        settings.set_export_notes(self.export_notes.isChecked())
        settings.set_citation_style(self.citation_style.currentData())
        settings.sync()
        password = self.password.text()
        username = str(config.mail.get("username") or "")
        credentials = self._credentials

        def job(lib: Library) -> None:
            dg.save_settings(lib, config)
            if password and username:
                credentials.save(MAIL_ACCOUNT, Credential(username=username, password=password))

        self.password.clear()
        self._worker.submit(job, lambda _: self._saved(), failed=self._failed, label="save the preferences")

    def _saved(self) -> None:
        self.changed.emit()
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.problem.setText(f"Not saved: {error_text(exc)}")
