"""What reaches the terminal: a feed's text may hold escape sequences (clearing the screen, setting the window
title, writing the clipboard with OSC 52) or bidi overrides ("gnp.exe" shown as "exe.png"). Every line the
command line prints goes through `SafeStream`, which shows such characters as visible escapes instead."""

from __future__ import annotations

import re
from typing import Any, TextIO

# C0 controls but tab, newline and carriage return (the progress bar redraws with it), DEL and C1 controls
# (0x9b is a one-byte CSI), and the bidi controls that reorder what follows them.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def neutralise(text: str) -> str:
    """`text` with control and bidi characters written as visible escapes ("\\x1b", "\\u202e")."""
    return _UNSAFE.sub(_visible, text)


class SafeStream:
    """A text stream that neutralises what it writes; everything else (`buffer`, `isatty`...) is the stream's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(neutralise(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
