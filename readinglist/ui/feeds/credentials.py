"""Asking for a feed's credentials: a user name and password, or a token, handed over once and not kept."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from readinglist.core.credentials import Credential
from readinglist.ui.feeds.words import NO_KEYRING_WARNING

# ---- credentials ----------------------------------------------------------------------------------------------


class CredentialDialog(QDialog):
    """A user name and password, or a token. The warning says plainly when nothing can be saved."""

    def __init__(
        self, feed_name: str, *, keyring_ok: bool, reason: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("credentialDialog")
        self.setWindowTitle(f"Credentials for {feed_name}")
        self.basic = QRadioButton("User name and password (HTTP Basic)")
        self.basic.setObjectName("credBasic")
        self.token_choice = QRadioButton("Token, sent as “Authorization: Bearer …” or in a header you name")
        self.token_choice.setObjectName("credToken")
        self.basic.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.basic)
        group.addButton(self.token_choice)
        self.username = QLineEdit()
        self.username.setObjectName("credUsername")
        self.password = QLineEdit()
        self.password.setObjectName("credPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.token = QLineEdit()
        self.token.setObjectName("credTokenText")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.header = QLineEdit("Authorization")
        self.header.setObjectName("credHeader")
        self.header.setToolTip("Authorization sends “Bearer TOKEN”; any other header gets the token as it is")

        form = QFormLayout()
        form.addRow(self.basic)
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        form.addRow(self.token_choice)
        form.addRow("Token", self.token)
        form.addRow("Header", self.header)

        where = (
            "They are saved in the system keyring, never in the library or its backups."
            if keyring_ok
            else NO_KEYRING_WARNING
        )
        self.note = QLabel(where)
        self.note.setObjectName("credNote")
        self.note.setWordWrap(True)
        if not keyring_ok:
            self.note.setToolTip(reason or "")
            self.note.setText(f"⚠ {where}")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        for widget in (self.basic, self.token_choice):
            widget.toggled.connect(self._sync)
        for edit in (self.username, self.password, self.token, self.header):
            edit.textChanged.connect(self._sync)
        self._sync()

    def credential(self) -> Credential | None:
        if self.basic.isChecked():
            if not self.username.text().strip() and not self.password.text():
                return None
            return Credential(username=self.username.text().strip(), password=self.password.text())
        if not self.token.text().strip():
            return None
        return Credential(token=self.token.text().strip(), header=self.header.text().strip() or "Authorization")

    def _sync(self) -> None:
        basic = self.basic.isChecked()
        for widget in (self.username, self.password):
            widget.setEnabled(basic)
        for widget in (self.token, self.header):
            widget.setEnabled(not basic)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(self.credential() is not None)
