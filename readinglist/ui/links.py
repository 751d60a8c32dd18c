"""Links out of the window: only http(s) ever leaves, and only to the system browser.

Abstracts and notes are untrusted text (feedparser's sanitizer kept `<img src="javascript:...">`, FIELD-NOTES),
so every text browser here loads nothing by itself and hands http(s) links to the desktop, nothing else.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage
from PySide6.QtWidgets import QTextBrowser, QWidget

from readinglist.core.identity import is_web_url as is_core_web_url

INTERNAL_SCHEME = "readinglist"


def author_link(name: str) -> str:
    """The href of a link that lists the papers of one author in the window."""
    return f"{INTERNAL_SCHEME}:author/" + quote(name, safe="")


def author_of_link(url: QUrl) -> str | None:
    path = url.path(QUrl.ComponentFormattingOption.FullyEncoded)
    if url.scheme() != INTERNAL_SCHEME or not path.startswith("author/"):
        return None
    return unquote(path[len("author/") :]) or None


def merge_link(keep: str, other: str) -> str:
    """The href of a link that offers to make two records of one paper one."""
    return f"{INTERNAL_SCHEME}:merge/" + quote(keep, safe="") + "/" + quote(other, safe="")


def merge_of_link(url: QUrl) -> tuple[str, str] | None:
    path = url.path(QUrl.ComponentFormattingOption.FullyEncoded)
    if url.scheme() != INTERNAL_SCHEME or not path.startswith("merge/"):
        return None
    keep, _, other = path[len("merge/") :].partition("/")
    return (unquote(keep), unquote(other)) if keep and other else None


def is_web_url(url: str | QUrl) -> bool:
    """The core's rule (`identity.is_web_url`), for a QUrl too."""
    if isinstance(url, QUrl):
        return url.isValid() and is_core_web_url(url.toString())
    return is_core_web_url(url)


def open_in_browser(url: str | QUrl) -> bool:
    """Open a web page in the user's browser; anything but an http(s) URL is refused."""
    if not is_web_url(url):
        return False
    return bool(QDesktopServices.openUrl(url if isinstance(url, QUrl) else QUrl(url)))


class SafeTextBrowser(QTextBrowser):
    """Shows rich text and Markdown, loads no resource at all (no remote images, no local files), and opens
    http(s) links in the system browser instead of navigating."""

    internal_link = Signal(QUrl)  # a link of the window's own ("readinglist:author/NAME"): the window follows it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._clicked)

    def _clicked(self, url: QUrl) -> None:
        if url.scheme() == INTERNAL_SCHEME:
            self.internal_link.emit(url)
        else:
            open_in_browser(url)

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        # An empty image, not None: None means "not handled" and Qt then opens the path itself, on the GUI thread
        # (a note with ![x](/dev/zero) aborted the app). A null QImage is an answer, and draws nothing.
        return QImage()
