"""Long text, laid out in part: Qt's text layout grows faster than the text, and a 2 MB title froze the window
for minutes. What is shown is cut at a generous length and says so; what is stored stays whole."""

from __future__ import annotations

from readinglist.core.text import visible_controls

TITLE_SHOWN = 500  # characters of a title in the list and its tooltip
PANE_TITLE_SHOWN = 2_000
ABSTRACT_SHOWN = 50_000  # a long abstract is a few thousand characters
AUTHORS_SHOWN = 5_000
NOTE_PREVIEW_SHOWN = 100_000  # the note's Markdown preview (the editor holds it all)


def shown_part(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters and a word on what was left out; control and bidi-override
    characters shown as visible escapes (a feed must not make "gnp.exe" read as "exe.png")."""
    if len(text) <= limit:
        return visible_controls(text)
    return f"{visible_controls(text[:limit])}… ({len(text) - limit:,} more characters, kept in the library)"


def shown(text: str) -> str:
    """Short text from a feed (a name, an author, a tag), with control characters made visible."""
    return visible_controls(text)
