"""How the window words a failure: the one place that knows which exceptions are already worded for the user."""

from __future__ import annotations

from readinglist.core.errors import ReadingListError


def error_text(exc: BaseException) -> str:
    """A sentence for the user, starting with a capital. The core's errors (and the system's, which name their
    file) are worded already; anything else is a bug, shown with its type so that a report can name it."""
    if isinstance(exc, (ReadingListError, OSError)) and str(exc):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:1].upper() + text[1:]
