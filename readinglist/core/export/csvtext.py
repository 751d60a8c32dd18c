"""CSV: one row per paper with the user's state, for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from readinglist.core.export.records import ExportRecord, date_parts

# ---- CSV -----------------------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "key", "cite_key", "title", "authors", "date", "published", "updated", "arxiv_id", "arxiv_version", "doi",
    "journal_ref", "url", "pdf_url", "categories", "feeds", "abstract",
    "starred", "starred_at", "read", "read_at", "tags", "tags_at", "note", "note_at",
)  # fmt: skip


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula ("=HYPERLINK(...)", "+cmd", "@SUM") starts with an
    apostrophe, as OWASP advises for CSV exports: shown as text, the rest of it kept. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(records: Iterable[ExportRecord], *, include_notes: bool = True) -> str:
    """One row per paper with the user's state; lists joined with '; '; booleans as true/false."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        p, s = r.paper, r.state
        writer.writerow(
            [
                _cell(v) for v in (
                p.key, r.cite_key, p.title, "; ".join(p.authors), "-".join(f"{x:02d}" for x in date_parts(p)),
                p.published or "", p.updated or "", p.arxiv_id or "", p.arxiv_version or "", p.doi or "",
                p.journal_ref or "", p.abs_url or p.url or "", p.pdf_url or "", "; ".join(p.categories),
                "; ".join(p.feeds), p.abstract,
                str(s.starred).lower(), s.starred_at or "", str(s.read).lower(), s.read_at or "",
                "; ".join(s.tags), s.tags_at or "", s.note if include_notes else "",
                (s.note_at or "") if include_notes else "",
                )
            ]
        )  # fmt: skip
    return buffer.getvalue()
