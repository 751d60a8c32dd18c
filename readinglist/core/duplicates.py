"""Records that are probably one paper although no identifier links them: a journal version of an arXiv paper
often arrives without the DOI that would tie it to the arXiv record, and the library keeps both. These are
offered to the user, never merged here.

Two records are offered when their titles are the same (normalized), the title is long enough to mean something
and is not an item every journal issue has ("Editorial", "Erratum", ...), their first authors share a family
name, and nothing in them says otherwise: two arXiv ids, two DOIs (an arXiv DOI aside), or years more than two
apart. Records are grouped by title first, so a whole library is one pass.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from readinglist.core.identity import normalize_doi, normalize_title, parse_arxiv_id
from readinglist.core.people import family_key, family_of, written_family
from readinglist.core.storage import gc_paused
from readinglist.core.text import shown, shown_title

MIN_TITLE_WORDS = 4
MAX_YEARS_APART = 2
# A title and first author shared by more records than this is a series (a column, a report), not one paper.
MAX_GROUP = 50

_GENERIC_TITLES = frozenset(
    (
        "editorial", "editorials", "guest editorial", "editor s note", "editors note", "editorial note",
        "from the editor", "from the editors", "letter from the editor", "erratum", "errata", "corrigendum",
        "corrigenda", "correction", "corrections", "author correction", "publisher correction", "retraction",
        "retraction note", "retraction notice", "retracted article", "expression of concern", "addendum",
        "preface", "foreword", "introduction", "index", "author index", "subject index", "contents",
        "table of contents", "front matter", "back matter", "frontmatter", "backmatter", "cover", "front cover",
        "back cover", "masthead", "book review", "book reviews", "reviewers", "list of reviewers",
        "acknowledgment", "acknowledgments", "acknowledgement", "acknowledgements", "acknowledgment of reviewers",
        "acknowledgement to reviewers", "thanks to reviewers", "acknowledgments to reviewers",
        "in this issue", "this issue", "letter to the editor",
        "letters to the editor", "letters", "news", "news and views", "announcement", "announcements",
        "call for papers", "obituary", "in memoriam", "calendar", "publisher s note", "issue information",
        "information for authors", "instructions for authors", "notes on contributors", "conference report",
        "editorial board", "title page", "copyright", "abstracts", "miscellany",
    )
)  # fmt: skip
# Items about another item ("Erratum to “...”", "Correction: ..."), whatever follows.
_GENERIC_PREFIXES = (
    "erratum ", "errata ", "corrigendum ", "correction to ", "correction for ", "author correction ",
    "publisher correction ", "retraction ", "retracted ", "retraction note ", "expression of concern ",
    "addendum ", "editorial ", "guest editorial ", "comment on ", "reply to ", "response to ", "book review ",
)  # fmt: skip
_HEAD = re.compile(r"\s*[:\u2013\u2014|]\s*|\s+-\s+")
_TRAILING_NUMBER = re.compile(r"(?:\s+(?:no|vol|part|issue|number))?(?:\s+(?:\d+|[ivxlc]+))+$")
_YEAR = re.compile(r"^\d{4}")
_ARXIV_DOI = "10.48550/arxiv."
_NOT_WORD_BYTES = bytes(b for b in range(128) if not (chr(b).isalnum() or chr(b) == "_"))


@dataclass(frozen=True, slots=True)
class SamePaper:
    keep: str  # the key to keep: the record with an arXiv id, else the one first seen
    other: str
    reason: str  # for the user: 'same title and first author (Sagot): "Sparse Attention ..."'


def is_generic_title(title: str) -> bool:
    """An item every issue has ("Editorial", "Erratum 2", "Book reviews: spring"), whose title names no paper."""
    norm = normalize_title(title)
    if norm.startswith(_GENERIC_PREFIXES):
        return True
    head = normalize_title(_HEAD.split(title, maxsplit=1)[0])
    return any(text in _GENERIC_TITLES or _TRAILING_NUMBER.sub("", text) in _GENERIC_TITLES for text in (norm, head))


@dataclass(slots=True)
class _Record:
    key: str
    title: str
    family: str
    written: str
    arxiv: frozenset[str]
    dois: frozenset[str]
    year: int | None
    first_seen: str


def _identifiers(doc: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    arxiv: set[str] = set()
    dois: set[str] = set()
    raw_ids = [str(i) for i in doc.get("ids") or () if isinstance(i, str)]
    candidates_arxiv = [doc.get("arxiv_id")] + [i[6:] for i in raw_ids if i.startswith("arxiv:")]
    candidates_doi = [doc.get("doi")] + [i[4:] for i in raw_ids if i.startswith("doi:")]
    for text in candidates_arxiv:
        parsed = parse_arxiv_id(text) if isinstance(text, str) else None
        if parsed is not None:
            arxiv.add(parsed.id)
    for text in candidates_doi:
        doi = normalize_doi(text) if isinstance(text, str) else None
        if doi is None:
            continue
        if doi.startswith(_ARXIV_DOI):
            parsed = parse_arxiv_id(doi[len(_ARXIV_DOI) :])
            if parsed is not None:
                arxiv.add(parsed.id)
        else:
            dois.add(doi)
    return frozenset(arxiv), frozenset(dois)


def _record(key: str, doc: Mapping[str, Any], title: str, first_author: str) -> _Record:
    arxiv, dois = _identifiers(doc)
    published = doc.get("published")
    m = _YEAR.match(published) if isinstance(published, str) else None
    return _Record(
        key=key,
        title=title,
        family=family_key(family_of(first_author)),
        written=written_family(first_author),
        arxiv=arxiv,
        dois=dois,
        year=int(m.group()) if m else None,
        first_seen=str(doc.get("first_seen") or ""),
    )


def _contradict(a: _Record, b: _Record) -> bool:
    if a.arxiv and b.arxiv and not a.arxiv & b.arxiv:
        return True
    if a.dois and b.dois and not a.dois & b.dois:
        return True
    return a.year is not None and b.year is not None and abs(a.year - b.year) > MAX_YEARS_APART


def _keep_first(a: _Record, b: _Record) -> tuple[_Record, _Record]:
    if bool(a.arxiv) != bool(b.arxiv):
        return (a, b) if a.arxiv else (b, a)
    if a.first_seen and b.first_seen and a.first_seen != b.first_seen:
        return (a, b) if a.first_seen < b.first_seen else (b, a)
    if bool(a.first_seen) != bool(b.first_seen):
        return (a, b) if a.first_seen else (b, a)
    return (a, b) if a.key <= b.key else (b, a)


def _reason(keep: _Record, other: _Record) -> str:
    title = keep.title if len(keep.title) <= 100 else keep.title[:99].rstrip() + "…"
    return f"same title and first author ({keep.written or other.written}): “{title}”"


def _letters(title: str) -> bytes:
    """The word characters of `normalize_title(title)`, run together: equal whenever the normalized titles are."""
    if title.isascii():
        return title.lower().encode("ascii").translate(None, _NOT_WORD_BYTES)
    return normalize_title(title).replace(" ", "").encode("utf-8")


def find_same_papers(docs: Mapping[str, Mapping[str, Any]], *, keys: Iterable[str] | None = None) -> list[SamePaper]:
    """Pairs of records that look like one paper, to offer to the user, in a stable order (by the kept key, then
    the other). With `keys`, only pairs involving one of those records (papers just imported, say)."""
    wanted = None if keys is None else frozenset(keys)
    if wanted is not None and not wanted & docs.keys():
        return []
    with gc_paused():
        found = _find(docs, wanted)
    found.sort(key=lambda p: (p.keep, p.other))
    return found


def _find(docs: Mapping[str, Mapping[str, Any]], wanted: frozenset[str] | None) -> list[SamePaper]:
    # One pass: every record by the letters and digits of its title (cheap, and equal whenever the normalized
    # titles are); only those sharing them with another record have their title normalized and read further.
    by_letters: dict[bytes, list[str]] = defaultdict(list)
    for key, doc in docs.items():
        by_letters[_letters(shown_title(doc))].append(key)
    by_title: dict[str, list[str]] = defaultdict(list)
    for same_letters in by_letters.values():
        if len(same_letters) < 2:
            continue
        for key in same_letters:
            norm = normalize_title(shown_title(docs[key]))
            if norm.count(" ") + 1 >= MIN_TITLE_WORDS:
                by_title[norm].append(key)
    found: list[SamePaper] = []
    for group in by_title.values():
        if len(group) < 2 or (wanted is not None and wanted.isdisjoint(group)):
            continue
        read = {key: shown(docs[key]) for key in group}
        if is_generic_title(read[group[0]][0]):
            continue
        by_author: dict[str, list[_Record]] = defaultdict(list)
        for key in group:
            title, authors, _ = read[key]
            if not authors:
                continue
            rec = _record(key, docs[key], title, authors[0])
            if rec.family:
                by_author[rec.family].append(rec)
        for recs in by_author.values():
            if len(recs) < 2 or len(recs) > MAX_GROUP:
                continue
            for i, a in enumerate(recs):
                for b in recs[i + 1 :]:
                    if wanted is not None and a.key not in wanted and b.key not in wanted:
                        continue
                    if _contradict(a, b):
                        continue
                    keep, other = _keep_first(a, b)
                    found.append(SamePaper(keep.key, other.key, _reason(keep, other)))
    return found
