"""RIS, as Zotero, EndNote and Mendeley read it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from readinglist.core.export.records import ExportRecord, _is_article, _links, date_parts, parse_authors

# ---- RIS ------------------------------------------------------------------------------------------------------------

_RIS_TAG_LINE = re.compile(r"^[A-Z][A-Z0-9]  -")


def _ris_value(text: str) -> str:
    """RIS is line based: a line inside a value that looks like a tag ('ER  - ') would end the record early;
    indent it by one space, which readers drop when they join the lines."""
    if "\n" not in text and "\r" not in text:
        return text
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\r\n".join(f" {line}" if i and _RIS_TAG_LINE.match(line) else line for i, line in enumerate(lines))


def ris_record(record: ExportRecord, *, include_notes: bool = False) -> str:
    """One RIS record, tags as Zotero, EndNote and Mendeley read them."""
    paper, state = record.paper, record.state
    names, _ = parse_authors(paper.authors)
    kind = "JOUR" if _is_article(paper) else "UNPB" if (paper.arxiv_id or paper.doi) else "GEN"
    tags: list[tuple[str, str]] = [("TY", kind), ("ID", record.cite_key), ("TI", paper.title)]
    tags += [("AU", n.inverted()) for n in names]
    parts = date_parts(paper)
    if parts:
        tags.append(("PY", f"{parts[0]:04d}"))
        tags.append(("DA", "/".join(f"{p:02d}" for p in parts) + "/"))
    if paper.journal_ref:
        tags.append(("T2", paper.journal_ref))
    if paper.abstract:
        tags.append(("AB", paper.abstract))
    if paper.doi:
        tags.append(("DO", paper.doi))
    tags += [("UR", u) for u in _links(paper)]
    if paper.pdf_url:
        tags.append(("L1", paper.pdf_url))
    if paper.arxiv_id:
        tags += [("AN", f"arXiv:{paper.arxiv_id}"), ("DB", "arXiv")]
        if paper.arxiv_version:
            tags.append(("ET", f"v{paper.arxiv_version}"))
    if paper.feeds:
        tags.append(("DP", "; ".join(paper.feeds)))
    tags += [("KW", t) for t in (*state.tags, *paper.categories)]
    comment = paper.extra.get("comment")
    if isinstance(comment, str) and comment:
        tags.append(("N1", f"Comment: {comment}"))
    if include_notes and state.note:
        tags.append(("N1", state.note))
    lines = [f"{tag}  - {_ris_value(value)}" for tag, value in tags if value]
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"


def ris_records(records: Iterable[ExportRecord], *, include_notes: bool = False) -> str:
    return "\r\n".join(ris_record(r, include_notes=include_notes) for r in records)
