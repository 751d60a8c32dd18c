"""The first-run view: an empty library says what the app is for and offers the ways to fill it."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QIcon, QPalette
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

BLURB = (
    "Reading List keeps the papers your feeds announce (arXiv, Hugging Face, journals) in one place on your "
    "computer. Go through a day of them from the keyboard, star what matters, and write notes as you read."
)
CLI_HINT = "You can also import feed files you already have: <code>readinglist import FILE…</code>"


class WelcomeView(QWidget):
    """One button per way in. Each button triggers an action of the window, so its text and state follow it."""

    def __init__(self, actions: Iterable[QAction], icon: QIcon | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeView")
        self.buttons: list[QPushButton] = []

        card = QFrame()
        card.setFixedWidth(520)  # a fixed width lets the wrapped labels know their height
        layout = QVBoxLayout(card)
        layout.setSpacing(14)
        if icon is not None and not icon.isNull():
            picture = QLabel()
            picture.setPixmap(icon.pixmap(QSize(96, 96), self.devicePixelRatioF()))
            picture.setMinimumHeight(100)
            picture.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            layout.addWidget(picture)
        title = QLabel("Welcome to Reading List")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(title)
        blurb = QLabel(BLURB)
        blurb.setWordWrap(True)
        blurb.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(blurb)
        layout.addSpacing(8)
        for i, action in enumerate(actions):
            button = QPushButton(action.text().replace("&", ""))
            button.setObjectName(f"welcome_{action.objectName()}")
            button.setToolTip(action.statusTip())
            button.setMinimumHeight(36)
            button.setDefault(i == 0)
            button.setEnabled(action.isEnabled())
            button.clicked.connect(action.trigger)
            action.enabledChanged.connect(button.setEnabled)
            layout.addWidget(button)
            self.buttons.append(button)
        layout.addSpacing(8)
        hint = QLabel(CLI_HINT)
        hint.setTextFormat(Qt.TextFormat.RichText)
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(hint)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
