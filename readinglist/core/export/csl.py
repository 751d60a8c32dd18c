"""CSL-JSON, what pandoc, Zotero and citeproc read, valid against the CSL input schema."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from readinglist.core.export.records import ExportRecord, PersonName, _is_article, date_parts, parse_authors

# ---- CSL-JSON -----------------------------------------------------------------------------------------------------


def _csl_name(name: PersonName) -> dict[str, str]:
    if name.literal:
        return {"literal": name.literal}
    out = {"family": name.family}
    if name.given:
        out["given"] = name.given
    if name.particle:
        out["non-dropping-particle"] = name.particle
    if name.suffix:
        out["suffix"] = name.suffix
    return out


def csl_item(record: ExportRecord, *, include_notes: bool = False) -> dict[str, Any]:
    """One CSL-JSON item (what pandoc, Zotero and citeproc read), valid against the CSL input schema.

    An arXiv preprint is an `article` with publisher arXiv and number arXiv:ID, as Zotero writes it, so citation
    styles print 'arXiv:1706.03762'. What has no CSL variable (the PDF link, dates of new versions, feed extras)
    goes into `custom`, which the schema leaves open for exactly this.
    """
    paper, state = record.paper, record.state
    names, _ = parse_authors(paper.authors)
    item: dict[str, Any] = {
        "id": record.cite_key,
        "citation-key": record.cite_key,
        "type": "article-journal" if _is_article(paper) else "article",
        "title": paper.title,
    }
    if names:
        item["author"] = [_csl_name(n) for n in names]
    parts = date_parts(paper)
    if parts:
        item["issued"] = {"date-parts": [list(parts)]}
    if paper.journal_ref:
        item["container-title"] = paper.journal_ref
    if paper.arxiv_id:
        item["publisher"] = "arXiv"
        item["number"] = f"arXiv:{paper.arxiv_id}"
        if paper.arxiv_version:
            item["version"] = str(paper.arxiv_version)
    if paper.doi:
        item["DOI"] = paper.doi
    url = paper.abs_url or paper.url
    if url:
        item["URL"] = url
    if paper.abstract:
        item["abstract"] = paper.abstract
    if paper.categories:
        item["categories"] = list(paper.categories)
    if state.tags:
        item["keyword"] = ", ".join(state.tags)
    comment = paper.extra.get("comment")
    if isinstance(comment, str) and comment:
        item["note"] = f"Comment: {comment}"
    if include_notes and state.note:
        item["annote"] = state.note
    if paper.feeds:
        item["source"] = "; ".join(paper.feeds)
    custom: dict[str, Any] = {"readinglist-key": paper.key}
    for name, value in (("pdf-url", paper.pdf_url), ("url", paper.url), ("updated", paper.updated)):
        if value and value != url:
            custom[name] = value
    if paper.extra:
        custom["extra"] = dict(paper.extra)
    item["custom"] = custom
    return item


def csl_items(records: Iterable[ExportRecord], *, include_notes: bool = False) -> list[dict[str, Any]]:
    return [csl_item(r, include_notes=include_notes) for r in records]


def csl_json(records: Iterable[ExportRecord], *, include_notes: bool = False) -> str:
    items = csl_items(records, include_notes=include_notes)
    return orjson.dumps(items, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode("utf-8")
