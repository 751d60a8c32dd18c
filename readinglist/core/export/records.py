"""What every export format shares: the formats, an exported record, authors' names in parts, dates, and
citation keys that stay the same for a paper whatever is exported with it."""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from readinglist.core.models import Paper, PaperState
from readinglist.core.text import INLINE_MATH, has_tex, shown

if TYPE_CHECKING:
    from readinglist.core.library import Library


class ExportFormat(enum.Enum):
    BIBTEX = "bibtex"
    RIS = "ris"
    CSLJSON = "csljson"
    MARKDOWN = "markdown"
    CSV = "csv"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def suffix(self) -> str:
        return _SUFFIXES[self]

    @property
    def notes_by_default(self) -> bool:
        """Notes are private: bibliographies get shared with co-authors, so only Markdown and CSV carry them
        unless asked."""
        return self in (ExportFormat.MARKDOWN, ExportFormat.CSV)


_LABELS = {
    ExportFormat.BIBTEX: "BibTeX",
    ExportFormat.RIS: "RIS",
    ExportFormat.CSLJSON: "CSL-JSON",
    ExportFormat.MARKDOWN: "Markdown",
    ExportFormat.CSV: "CSV",
}
_SUFFIXES = {
    ExportFormat.BIBTEX: ".bib",
    ExportFormat.RIS: ".ris",
    ExportFormat.CSLJSON: ".json",
    ExportFormat.MARKDOWN: ".md",
    ExportFormat.CSV: ".csv",
}


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One paper as exported: its content as the user sees it (TeX read as Unicode, what RIS, CSL-JSON, Markdown
    and CSV carry), the user's state on it, its citation key, and its content as the feed gave it (`source`, the
    author's TeX, which BibTeX keeps)."""

    paper: Paper
    state: PaperState
    cite_key: str
    source: Paper | None = None

    @property
    def tex(self) -> Paper:
        return self.source or self.paper


# ---- names ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonName:
    """An author's name in parts. `literal` holds names that do not split: organisations, mononyms, and names in
    East Asian scripts written without a space."""

    family: str = ""
    given: str = ""
    particle: str = ""
    suffix: str = ""
    literal: str = ""

    @property
    def full_family(self) -> str:
        return f"{self.particle} {self.family}".strip()

    def display(self) -> str:
        """The name as it reads: given names first (family first for East Asian scripts)."""
        if self.literal:
            return self.literal
        if is_east_asian(self.family + self.given):
            return f"{self.family} {self.given}".strip()
        text = f"{self.given} {self.full_family}".strip()
        return f"{text}, {self.suffix}" if self.suffix else text

    def inverted(self) -> str:
        """'Family, Given' (with ', Suffix' before the given names, as BibTeX and RIS want it)."""
        if self.literal:
            return self.literal
        parts = [self.full_family]
        if self.suffix:
            parts.append(self.suffix)
        if self.given:
            parts.append(self.given)
        return ", ".join(parts)


_PARTICLES = frozenset(
    [
        "van", "von", "der", "den", "de", "del", "della", "dei", "di", "da", "das", "dos", "du", "la", "le", "les",
        "ter", "ten", "te", "op", "zu", "zum", "zur", "af", "av", "bin", "ibn", "al", "el",
    ]
)  # fmt: skip
_SUFFIXES_OF_NAMES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_ORGANISATION = re.compile(r"\band\b|&", re.IGNORECASE)
_ET_AL = re.compile(r"\s*,?\s*\bet\.?\s*al\.?\s*$", re.IGNORECASE)


def is_east_asian(text: str) -> bool:
    if text.isascii():
        return False
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(
        "\u2e80" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af" or "\uf900" <= c <= "\ufaff" for c in letters
    )


@functools.lru_cache(maxsize=65536)  # authors recur across papers; names are immutable
def parse_name(text: str) -> PersonName | None:
    """Split one author as feeds write it ('Given Family', 'Family, Given', 'A. van der Waals Jr.') into parts."""
    text = " ".join(_ET_AL.sub("", text).split())
    if not text:
        return None
    suffix = ""
    if "," in text:
        parts = [p.strip() for p in text.split(",")]
        if len(parts) == 2 and parts[1].casefold() in _SUFFIXES_OF_NAMES:
            text, suffix = parts[0], parts[1]
        elif len(parts) >= 2 and all(parts):
            family, given = parts[0], parts[-1]
            if len(parts) == 3:
                suffix = parts[1]
            return _with_particle(family.split(), given, suffix)
    if _ORGANISATION.search(text):
        return PersonName(literal=text)  # an organisation ("Barnes and Noble"), not a person
    tokens = text.split()
    if len(tokens) > 2 and tokens[-1].casefold() in _SUFFIXES_OF_NAMES:
        suffix = tokens.pop()
    if len(tokens) == 1:
        return PersonName(literal=tokens[0]) if not suffix else PersonName(family=tokens[0], suffix=suffix)
    if is_east_asian(text):
        # Written in its own script, an East Asian name puts the family name first.
        return PersonName(family=tokens[0], given=" ".join(tokens[1:]))
    # Particles before the last word belong to the family name: "Ludwig van Beethoven", "Vincent van der Waals".
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1] in _PARTICLES:
        start -= 1
    return _with_particle(tokens[start:], " ".join(tokens[:start]), suffix)


def _with_particle(family_tokens: list[str], given: str, suffix: str) -> PersonName:
    particle = []
    while len(family_tokens) > 1 and family_tokens[0] in _PARTICLES:
        particle.append(family_tokens.pop(0))
    return PersonName(family=" ".join(family_tokens), given=given, particle=" ".join(particle), suffix=suffix)


def parse_authors(authors: Iterable[str]) -> tuple[list[PersonName], bool]:
    """The names of a paper's authors, and whether the feed cut the list short with 'et al.'."""
    names: list[PersonName] = []
    et_al = False
    for author in authors:
        if _ET_AL.search(author):
            et_al = True
        name = parse_name(author)
        if name is not None:
            names.append(name)
    return names, et_al


# ---- dates and identifiers ------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def date_parts(paper: Paper) -> tuple[int, ...]:
    """(year, month, day) of publication, as far as known: the feed's date, else the month in a new-style arXiv
    id. The date the paper was first seen here is not its publication date and is never used."""
    return _date_parts(paper.published or paper.updated, paper.arxiv_id)


def _date_parts(date: str | None, arxiv_id: str | None) -> tuple[int, ...]:
    m = _ISO_DATE.match(date or "")
    if m:
        return tuple(int(g) for g in m.groups() if g)
    if arxiv_id:
        new = re.match(r"^(\d{2})(\d{2})\.\d{4,5}$", arxiv_id)
        old = re.search(r"/(\d{2})(\d{2})\d{3}$", arxiv_id)
        ym = new or old
        if ym:
            yy, mm = int(ym.group(1)), int(ym.group(2))
            return (2000 + yy if yy < 91 else 1900 + yy, mm)
    return ()


def _journal_year(journal_ref: str | None) -> str:
    """The year in a journal reference ('Phys. Rev. D 100, 1 (2019)'): the published version's year."""
    if journal_ref:
        m = re.search(r"\((\d{4})\)", journal_ref) or re.search(r"\b(1[89]\d\d|20\d\d)\b", journal_ref)
        if m:
            return m.group(1)
    return ""


def _cite_year(date: str | None, arxiv_id: str | None, doi: str | None, journal_ref: str | None) -> str:
    """The year a reference shows: the journal's for a published paper, else the preprint's."""
    if doi and journal_ref:
        year = _journal_year(journal_ref)
        if year:
            return year
    parts = _date_parts(date, arxiv_id)
    return str(parts[0]) if parts else ""


def cite_year(paper: Paper) -> str:
    return _cite_year(paper.published or paper.updated, paper.arxiv_id, paper.doi, paper.journal_ref)


def _is_article(paper: Paper) -> bool:
    return bool(paper.doi and paper.journal_ref)


def _arxiv_url(paper: Paper) -> str | None:
    return f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else None


def _links(paper: Paper) -> list[str]:
    """Every distinct link to the paper: its page, then the page the feed gave if different."""
    out = [u for u in (paper.abs_url, paper.url) if u]
    return list(dict.fromkeys(out))


# ---- citation keys ------------------------------------------------------------------------------------------

_STOPWORDS = frozenset(
    [
        "a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "from", "by", "at", "is", "are", "be", "via",
        "towards", "toward", "do", "does", "what", "when", "why", "how", "can", "as", "into", "using", "use", "we",
        "our", "your", "this", "that", "these", "those", "its", "it", "not", "no", "or", "vs", "versus",
    ]
)  # fmt: skip
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "þ": "th", "ð": "d", "ı": "i"})


def _ascii_word(text: str) -> str:
    if text.isascii():
        return "".join(c for c in text.lower() if c.isalnum())
    text = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    return "".join(c for c in text if c.isascii() and c.isalnum())


_WORD = re.compile(r"\w+")


def base_cite_key(title: str, authors: Sequence[str], year: str) -> str:
    """author-year-word, ASCII only (LaTeX's \\cite and every reference manager accept it): vaswani2017attention."""
    author = ""
    name = parse_name(authors[0]) if authors else None
    if name is not None:
        author = _ascii_word(name.literal or name.family)
    word = ""
    for m in _WORD.finditer(INLINE_MATH.sub(" ", title) if "$" in title else title):
        folded = _ascii_word(m.group())
        if folded and folded not in _STOPWORDS and not folded.isdigit():
            word = folded
            break
    return f"{author or 'anon'}{year}{word}"


def _suffixes() -> Iterator[str]:
    """a, b, ..., z, aa, ab, ...: never runs out."""
    n = 0
    while True:
        text, m = "", n
        while True:
            text = chr(ord("a") + m % 26) + text
            m = m // 26 - 1
            if m < 0:
                break
        yield text
        n += 1


def assign_cite_keys(bases: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Unique keys from paper key -> (base key, order): the first in order keeps the base, later ones get a, b, ..."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for key, (base, order) in bases.items():
        groups.setdefault(base, []).append((order, key))
    taken = set(groups)
    out: dict[str, str] = {}
    for base in sorted(groups):
        members = sorted(groups[base])
        out[members[0][1]] = base
        suffixes = _suffixes()
        for _, key in members[1:]:
            candidate = base + next(suffixes)
            while candidate in taken:
                candidate = base + next(suffixes)
            taken.add(candidate)
            out[key] = candidate
    return out


@dataclass
class _KeyCache:
    generation: int = -1
    keys: dict[str, str] = field(default_factory=dict)
    # Per paper: the fields its base key comes from, and that base key; and every paper's (base, order).
    memo: dict[str, tuple[tuple[Any, ...], str]] = field(default_factory=dict)
    bases: dict[str, tuple[str, str]] = field(default_factory=dict)


_key_caches: weakref.WeakKeyDictionary[Library, _KeyCache] = weakref.WeakKeyDictionary()


def citation_keys(library: Library) -> dict[str, str]:
    """The citation key of every paper in the library.

    Keys are disambiguated over the whole library, never over one export, and in the order papers were first
    seen: exporting the starred papers or all of them gives each paper the same key, and a paper added later never
    takes a key a manuscript already cites. Base keys are remembered per paper and the assignment is kept while
    no base changes, so a star or a note (which changes the library, not the keys) costs one pass over the
    documents, not a recomputation (0.2 s instead of 1 s at 100,000 papers).
    """
    cache = _key_caches.setdefault(library, _KeyCache())
    if cache.generation == library.generation:
        return cache.keys
    bases: dict[str, tuple[str, str]] = {}
    memo = cache.memo
    all_keys = library.keys()
    for key in all_keys:
        doc = library.doc(key)  # the raw document: building 100k Paper objects would double the time
        # Keys are made of the words a reader sees, never of TeX commands (\textsc{BabyLM} gives "babylm").
        title, shown_authors, _ = shown(doc) if "shown" in doc or has_tex(doc.get("title", "")) else (
            doc.get("title", ""), doc.get("authors") or (), "")  # fmt: skip
        authors = tuple(shown_authors) or ("",)
        fields = (title, authors[0], doc.get("published") or doc.get("updated"), doc.get("arxiv_id"),
                  doc.get("doi"), doc.get("journal_ref"))  # fmt: skip
        known = memo.get(key)
        if known is None or known[0] != fields:
            year = _cite_year(fields[2], fields[3], fields[4], fields[5])
            known = memo[key] = (fields, base_cite_key(fields[0], authors[:1] if authors[0] else (), year))
        bases[key] = (known[1], f"{doc.get('first_seen', '')} {key}")
    if bases != cache.bases:
        cache.keys, cache.bases = assign_cite_keys(bases), bases
    cache.generation = library.generation
    return cache.keys


def export_records(library: Library, keys: Iterable[str]) -> list[ExportRecord]:
    """The papers named by `keys`, in that order, with their state and citation key. A paper's `feeds` name its
    subscriptions by their names (the library stores feed ids, which mean nothing outside it)."""
    cite = citation_keys(library)
    names = library.feed_names()
    records = []
    for key in keys:
        paper = library.get(key)
        if names and any(f in names for f in paper.feeds):
            paper = replace(paper, feeds=tuple(names.get(f, f) for f in paper.feeds))
        records.append(ExportRecord(paper.as_shown(), library.state(key), cite[key], source=paper))
    return records
