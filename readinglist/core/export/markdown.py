"""Markdown: one document, or one note per paper with YAML front matter for a notes vault."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from readinglist.core.export.bibtex import split_math
from readinglist.core.export.records import ExportRecord, _arxiv_url, _links, cite_year, date_parts
from readinglist.core.models import Paper

# ---- Markdown -------------------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")


def md_text(text: str) -> str:
    """Feed text inside Markdown: characters that would start emphasis, links or HTML are escaped; inline math
    stays as written, for Obsidian, pandoc and other renderers with math."""
    return "".join(piece if is_math else _MD_SPECIAL.sub(r"\\\1", piece) for is_math, piece in split_math(text))


def _md_url(url: str) -> str:
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def _md_links(paper: Paper) -> list[str]:
    links = []
    if paper.arxiv_id:
        links.append(f"[arXiv:{paper.arxiv_id}]({_md_url(_arxiv_url(paper) or '')})")
    if paper.doi:
        links.append(f"[doi:{md_text(paper.doi)}]({_md_url('https://doi.org/' + paper.doi)})")
    for url in _links(paper):
        if url not in (_arxiv_url(paper), f"https://doi.org/{paper.doi}"):
            links.append(f"[web page]({_md_url(url)})")
    if paper.pdf_url:
        links.append(f"[PDF]({_md_url(paper.pdf_url)})")
    return links


def _md_body(record: ExportRecord, *, include_notes: bool, heading: str) -> list[str]:
    paper, state = record.paper, record.state
    lines = [f"{heading} {md_text(paper.title)}", ""]
    facts: list[tuple[str, str]] = [
        ("Authors", md_text(", ".join(paper.authors))),
        ("Date", ("-".join(f"{p:02d}" for p in date_parts(paper)))),
        ("Journal", md_text(paper.journal_ref or "")),
        ("Links", " · ".join(_md_links(paper))),
        ("Tags", ", ".join(md_text(t) for t in state.tags)),
        ("Categories", ", ".join(md_text(c) for c in paper.categories)),
        ("Source", md_text("; ".join(paper.feeds))),
        ("State", ", ".join(s for s, on in (("starred", state.starred), ("read", state.read)) if on)),
        ("Cite as", f"`{record.cite_key}`"),
    ]
    lines += [f"- **{name}:** {value}" for name, value in facts if value]
    if paper.abstract:
        lines += ["", f"{heading}# Abstract", "", md_text(paper.abstract)]
    if include_notes and state.note:
        lines += ["", f"{heading}# Note", "", state.note.rstrip("\n")]
    return lines


def markdown_document(records: Sequence[ExportRecord], *, include_notes: bool = True) -> str:
    """All papers in one Markdown document, one section each."""
    lines = [f"# Reading list: {len(records)} paper{'s' if len(records) != 1 else ''}"]
    for record in records:
        lines += ["", *_md_body(record, include_notes=include_notes, heading="##")]
    return "\n".join(lines) + "\n"


def _yaml_value(value: Any) -> str:
    # JSON is valid YAML (1.2, and 1.1 for these values): quoting every string this way is always safe.
    return json.dumps(value, ensure_ascii=False)


def markdown_note(record: ExportRecord, *, include_notes: bool = True) -> str:
    """One paper as a note for a vault (Obsidian, Logseq, Zettlr): YAML front matter, then the same sections."""
    paper, state = record.paper, record.state
    front: dict[str, Any] = {
        "title": paper.title,
        "authors": list(paper.authors),
        "year": int(cite_year(paper)) if cite_year(paper) else None,
        "date": "-".join(f"{p:02d}" for p in date_parts(paper)) or None,
        "arxiv": paper.arxiv_id,
        "doi": paper.doi,
        "journal": paper.journal_ref,
        "url": paper.abs_url or paper.url,
        "pdf": paper.pdf_url,
        "tags": list(state.tags),
        "starred": state.starred,
        "read": state.read,
        "citekey": record.cite_key,
    }
    lines = ["---", *(f"{k}: {_yaml_value(v)}" for k, v in front.items() if v is not None), "---", ""]
    lines += _md_body(record, include_notes=include_notes, heading="#")
    return "\n".join(lines) + "\n"


def markdown_files(records: Iterable[ExportRecord], *, include_notes: bool = True) -> dict[str, str]:
    """File name -> text, one note per paper, named by citation key: unique, stable, and safe on every system."""
    return {f"{r.cite_key}.md": markdown_note(r, include_notes=include_notes) for r in records}
