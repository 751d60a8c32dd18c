"""What reaches the terminal: a feed's text may hold escape sequences (clearing the screen, setting the window
title, writing the clipboard with OSC 52) or bidi overrides ("gnp.exe" shown as "exe.png"). Every line the
command line prints goes through `SafeStream`, which shows such characters as visible escapes instead."""

from __future__ import annotations

from typing import Any, TextIO

from readinglist.core.text import visible_controls


def neutralise(text: str) -> str:
    """`text` with control and bidi characters written as visible escapes ("\\x1b", "\\u202e")."""
    return visible_controls(text)


class SafeStream:
    """A text stream that neutralises what it writes; everything else (`buffer`, `isatty`...) is the stream's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(neutralise(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
