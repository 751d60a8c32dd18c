"""What a search asks: the words of a query, and the FTS5 query that finds them (the index is `core.catalog`)."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)


def query_words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def as_shown(text: str) -> str:
    """A query as what it finds is shown: "Beno\\^it" finds what reads Benoît."""
    from readinglist.core.text import has_tex, tex_to_unicode

    return tex_to_unicode(text) if has_tex(text) else text


def fts_query(text: str) -> str | None:
    """Every word must appear, as a word or a word prefix ("transform" finds "transformers")."""
    words = query_words(as_shown(text))
    if not words:
        return None
    return " AND ".join(f'"{w}"*' for w in words)
