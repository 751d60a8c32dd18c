"""The tray icon: the unread and For-you counts at a glance, a menu (Show, Refresh, Quit), and, as an option, a
window that closes to the tray instead of quitting. Only where the desktop has a tray (an offscreen run or a
desktop without one gets none, and closing quits as always)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from readinglist.core.models import ListFilter
from readinglist.ui.library_jobs import SidebarCounts


def tray_text(counts: SidebarCounts | None) -> str:
    if counts is None or not counts.papers:
        return "Reading List"
    unread = counts.views.get(ListFilter.UNREAD.value, 0)
    for_you = counts.views.get(ListFilter.FOR_YOU.value, 0)
    following = counts.views.get(ListFilter.FOLLOWING.value, 0)
    text = f"Reading List: {unread:,} unread, {for_you:,} for you"
    if following:
        text += f", {following:,} from authors you follow"
    return text


class Tray(QObject):
    show_requested = Signal()  # the icon clicked, or Show chosen
    for_you_requested = Signal()
    refresh_requested = Signal()
    quit_requested = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(icon, self)
        menu = QMenu()
        self._menu = menu  # kept: the tray holds no reference of its own
        for text, signal in (
            ("&Show Reading List", self.show_requested),
            ("Show &For You", self.for_you_requested),
            ("&Refresh Feeds", self.refresh_requested),
        ):
            action = QAction(text, menu)
            action.triggered.connect(signal)
            menu.addAction(action)
        menu.addSeparator()
        quit_action = QAction("&Quit", menu)
        quit_action.triggered.connect(self.quit_requested)
        menu.addAction(quit_action)
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        self.icon.setToolTip("Reading List")

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def set_counts(self, counts: SidebarCounts | None) -> None:
        self.icon.setToolTip(tray_text(counts))

    def set_visible(self, visible: bool) -> None:
        self.icon.setVisible(visible)

    @property
    def visible(self) -> bool:
        return self.icon.isVisible()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()
