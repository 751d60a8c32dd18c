"""Papers out of the library: BibTeX, RIS, CSL-JSON, Markdown and CSV, citation keys, and file writes.

A module per format (`bibtex`, `ris`, `csl`, `markdown`, `csvtext`) over what they share (`records`: the formats,
an exported record, names in parts, dates, citation keys). Everything is plain text in, plain text out: the
window's "Copy BibTeX" and Export menu and the `export` command call the functions here. Text is exported in
UTF-8 throughout (biber, bibtex8, Zotero, pandoc and every spreadsheet read it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from readinglist.core.errors import ExportError
from readinglist.core.export.bibtex import bibtex_entries, bibtex_entry, bibtex_text, split_math, tex_text
from readinglist.core.export.csl import csl_item, csl_items, csl_json
from readinglist.core.export.csvtext import CSV_COLUMNS, csv_text
from readinglist.core.export.markdown import markdown_document, markdown_files, markdown_note, md_text
from readinglist.core.export.records import (
    ExportFormat,
    ExportRecord,
    PersonName,
    base_cite_key,
    citation_keys,
    cite_year,
    date_parts,
    export_records,
    is_east_asian,
    parse_authors,
    parse_name,
)
from readinglist.core.export.ris import ris_record, ris_records
from readinglist.core.files import describe_oserror, write_atomically
from readinglist.core.models import Paper

if TYPE_CHECKING:
    from readinglist.core.library import Library

__all__ = [
    "CSV_COLUMNS",
    "ExportFormat",
    "ExportRecord",
    "PersonName",
    "base_cite_key",
    "bibtex_entries",
    "bibtex_entry",
    "bibtex_text",
    "citation_keys",
    "citation_text",
    "cite_year",
    "csl_item",
    "csl_items",
    "csl_json",
    "csv_text",
    "date_parts",
    "export_papers",
    "export_records",
    "format_records",
    "markdown_document",
    "markdown_files",
    "markdown_note",
    "md_text",
    "parse_authors",
    "parse_name",
    "ris_record",
    "ris_records",
    "split_math",
    "tex_text",
    "write_export",
    "write_markdown_folder",
]


# ---- one entry point ---------------------------------------------------------------------------------------------


def format_records(records: Sequence[ExportRecord], fmt: ExportFormat, *, include_notes: bool | None = None) -> str:
    notes = fmt.notes_by_default if include_notes is None else include_notes
    if fmt is ExportFormat.BIBTEX:
        return bibtex_entries(records, include_notes=notes)
    if fmt is ExportFormat.RIS:
        return ris_records(records, include_notes=notes)
    if fmt is ExportFormat.CSLJSON:
        return csl_json(records, include_notes=notes)
    if fmt is ExportFormat.MARKDOWN:
        return markdown_document(records, include_notes=notes)
    return csv_text(records, include_notes=notes)


def export_papers(
    library: Library, keys: Iterable[str], fmt: ExportFormat, *, include_notes: bool | None = None
) -> str:
    """The papers named by `keys`, in that order, as one document in `fmt` (for the clipboard or a file).
    `include_notes` None means the format's default (`ExportFormat.notes_by_default`)."""
    return format_records(export_records(library, keys), fmt, include_notes=include_notes)


def citation_text(paper: Paper) -> str:
    """A plain-text reference for pasting into an e-mail or a document, in APA's shape:
    Vaswani, A., Shazeer, N., & Parmar, N. (2017). Attention Is All You Need. arXiv:1706.03762. https://..."""
    names, et_al = parse_authors(paper.authors)
    people = [_apa_name(n) for n in names]
    if len(people) > 20:
        people = [*people[:19], "…", people[-1]]
        authors = ", ".join(people[:-2]) + " " + people[-1]
    elif et_al and people:
        authors = ", ".join(people) + ", et al."
    elif len(people) > 1:
        authors = ", ".join(people[:-1]) + ", & " + people[-1]
    else:
        authors = people[0] if people else ""
    year = cite_year(paper) or "n.d."
    parts = [f"{authors} ({year})." if authors else f"({year}).", _sentence(paper.title)]
    if paper.journal_ref:
        parts.append(_sentence(paper.journal_ref))
    if paper.arxiv_id:
        parts.append(f"arXiv:{paper.arxiv_id}.")
    link = f"https://doi.org/{paper.doi}" if paper.doi else paper.abs_url
    if link:
        parts.append(link)
    return " ".join(parts)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _apa_name(name: PersonName) -> str:
    if name.literal or is_east_asian(name.family + name.given):
        return name.display()
    initials = " ".join(
        "-".join(f"{part[0]}." for part in given.split("-") if part) for given in name.given.replace(".", ". ").split()
    )
    family = name.full_family
    text = f"{family}, {initials}" if initials else family
    return f"{text}, {name.suffix}" if name.suffix else text


# ---- writing files --------------------------------------------------------------------------------------------------


def write_export(
    library: Library, keys: Iterable[str], fmt: ExportFormat, path: Path, *, include_notes: bool | None = None
) -> Path:
    """Export to one file, atomically."""
    return write_atomically(path, export_papers(library, keys, fmt, include_notes=include_notes))


def write_markdown_folder(
    library: Library, keys: Iterable[str], folder: Path, *, include_notes: bool = True
) -> list[Path]:
    """One Markdown note per paper in `folder` (created if it is missing but its parent exists). A re-export
    rewrites the notes of the same papers in place: the library is where notes are edited."""
    folder = Path(folder)
    if not folder.is_dir():
        if not folder.parent.is_dir():
            raise ExportError(f"cannot write into {folder}: the folder {folder.parent} does not exist")
        try:
            folder.mkdir()
        except OSError as exc:
            raise ExportError(f"cannot create the folder {folder}: {describe_oserror(exc)}") from exc
    files = markdown_files(export_records(library, keys), include_notes=include_notes)
    return [write_atomically(folder / name, text) for name, text in files.items()]
