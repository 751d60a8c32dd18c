"""Papers out of the library: BibTeX, RIS, CSL-JSON, Markdown and CSV, citation keys, and atomic file writes.

Everything here is plain text in, plain text out: the window's "Copy BibTeX" and Export menu and the `export`
command call the same functions. Text is exported as the user sees it, in UTF-8 throughout (biber, bibtex8,
Zotero, pandoc and every spreadsheet read it; Chinese, Greek or Cyrillic names cannot be escaped anyway).
"""

from __future__ import annotations

import csv
import enum
import functools
import io
import json
import re
import unicodedata
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from readinglist.core.errors import ExportError
from readinglist.core.files import describe_oserror, write_atomically
from readinglist.core.library import Library
from readinglist.core.models import Paper, PaperState
from readinglist.core.text import has_tex, shown


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
        if _is_east_asian(self.family + self.given):
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


def _is_east_asian(text: str) -> bool:
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
    if _is_east_asian(text):
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
    for m in _WORD.finditer(_MATH.sub(" ", title) if "$" in title else title):
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


# ---- LaTeX text ---------------------------------------------------------------------------------------------------

# Inline math as arXiv authors write it in titles and abstracts ($O(n^2)$), by pandoc's rule: no space just inside
# the dollars, and no digit right after the closing one ("$5 and $10" is money, not math).
_MATH = re.compile(r"\$(?=[^\s$])(?:[^$\\]|\\.)+?(?<=[^\s\\])\$(?!\d)")
_TEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += (c == "{") - (c == "}")
        if depth < 0:
            return False
    return depth == 0


def split_math(text: str) -> list[tuple[bool, str]]:
    """Text as (is_math, piece) runs. Math that TeX or BibTeX would choke on stays text, to be escaped."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in _MATH.finditer(text):
        body = m.group()
        if not _balanced(body) or re.search(r"(?<!\\)[%#&]", body):
            continue
        if m.start() > pos:
            out.append((False, text[pos : m.start()]))
        out.append((True, body))
        pos = m.end()
    if pos < len(text):
        out.append((False, text[pos:]))
    return out


def _escape_word(word: str, *, protect_case: bool = False) -> str:
    """Escape one whitespace-free run of text. Braces become \\{ \\} in matched pairs; an unmatched one becomes
    \\textbraceleft{} or \\textbraceright{}, because BibTeX counts braces without regard to backslashes.

    With `protect_case`, the word from its first to its last letter or digit is braced, so a style that changes
    a title's case leaves it alone: {BERT}, \\{{BERT}\\}:. Bracing the whole word could make a group that opens
    with a backslash ({\\{BERT\\}}), which BibTeX takes for an accent and changes the case inside after all.
    """
    if "{" not in word and "}" not in word:  # the common case, in one regex pass
        if not protect_case:
            return _TEX_PLAIN.sub(_tex_escape, word)
        alnum = [i for i, c in enumerate(word) if c.isalnum()]
        if not alnum:
            return _TEX_PLAIN.sub(_tex_escape, word)
        lead, core, tail = word[: alnum[0]], word[alnum[0] : alnum[-1] + 1], word[alnum[-1] + 1 :]
        return "".join((_TEX_PLAIN.sub(_tex_escape, lead), "{", _TEX_PLAIN.sub(_tex_escape, core), "}",
                        _TEX_PLAIN.sub(_tex_escape, tail)))  # fmt: skip
    paired: set[int] = set()
    stack: list[int] = []
    for i, c in enumerate(word):
        if c == "{":
            stack.append(i)
        elif c == "}" and stack:
            paired.update((stack.pop(), i))
    alnum = [i for i, c in enumerate(word) if c.isalnum()]
    first, last = (alnum[0], alnum[-1]) if protect_case and alnum else (-1, -1)
    out = []
    for i, c in enumerate(word):
        if i == first:
            out.append("{")
        if c == "{":
            out.append(r"\{" if i in paired else r"\textbraceleft{}")
        elif c == "}":
            out.append(r"\}" if i in paired else r"\textbraceright{}")
        else:
            out.append(_TEX_ESCAPES.get(c, c))
        if i == last:
            out.append("}")
    return "".join(out)


def _needs_protection(word: str) -> bool:
    """A capital after a word's first letter (BERT, GPT-4, iPhone, ImageNet) must survive a style that
    lower-cases titles; hyphens start new words (Large-Scale is plain title case). Zotero's rule."""
    for part in word.split("-"):
        rest = part.lstrip("([{\"'“‘")[1:]
        if rest != rest.lower():  # an upper-case letter after the first
            return True
    return False


def tex_text(text: str, *, protect_case: bool = False) -> str:
    """Plain text as the value of a BibTeX field: specials escaped, inline math kept, UTF-8 kept."""
    if not protect_case and not _TEX_SPECIAL.search(text):
        return text  # most abstracts and notes: nothing to do
    out = []
    for is_math, piece in split_math(text):
        if is_math:
            out.append(piece)
        elif not protect_case and "{" not in piece and "}" not in piece:
            out.append(_TEX_PLAIN.sub(_tex_escape, piece))  # no braces to pair: one pass over the text
        else:
            for token in _SPACES.split(piece):
                if not token or token.isspace():
                    out.append(token)
                else:
                    out.append(_escape_word(token, protect_case=protect_case and _needs_protection(token)))
    return "".join(out)


def bibtex_text(source: str, reading: str, *, protect_case: bool = False) -> str:
    """A title or abstract as a BibTeX value. Text the author wrote in TeX (arXiv's) stays TeX: commands, braces
    and math as written, only what would break the entry escaped (a bare &, %, #, or a $ that opens no math).
    Plain text is escaped whole. TeX that cannot be kept safely (unbalanced braces) goes out as its Unicode reading."""
    if has_tex(source) and _TEX_SOURCE.search(source):
        kept = _keep_tex(source, protect_case=protect_case)
        if kept is not None:
            return kept
        return tex_text(reading, protect_case=protect_case)
    return tex_text(source, protect_case=protect_case)


# A TeX command, an escaped special, a bare brace group or inline math: the marks of text written in TeX.
_TEX_SOURCE = re.compile(r"\\(?:[A-Za-z]+|[^A-Za-z\s])|\{[^{}]*\}|\$")
_TEX_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[&%#$_^]|[^\\&%#$_^]+|\\", re.DOTALL)
_KEEP_ESCAPES = {"&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$", "_": r"\_", "^": r"\textasciicircum{}"}


def _keep_tex(text: str, *, protect_case: bool) -> str | None:
    if not _balanced(text):
        return None
    out: list[str] = []
    for is_math, piece in split_math(text):
        if is_math:
            # In a title, math is braced so that a style changing the title's case leaves $N$ alone.
            out.append(f"{{{piece}}}" if protect_case else piece)
            continue
        for token in _SPACES.split(piece):
            if not token or token.isspace():
                out.append(token)
            elif protect_case and not _TEX_SPECIAL.search(token) and _needs_protection(token):
                out.append(_escape_word(token, protect_case=True))
            else:
                out.append("".join(_tex_token(m.group()) for m in _TEX_TOKEN.finditer(token)))
    return "".join(out)


def _tex_token(token: str) -> str:
    if token == "\\":
        return r"\textbackslash{}"  # a lone backslash at the end
    return _KEEP_ESCAPES.get(token, token)


_TEX_SPECIAL = re.compile(r"[\\&%$#_~^{}]")
_TEX_PLAIN = re.compile(r"[\\&%$#_~^]")
_SPACES = re.compile(r"(\s+)")


def _tex_escape(m: re.Match[str]) -> str:
    return _TEX_ESCAPES[m.group()]


def _tex_verbatim(text: str) -> str:
    """URLs and DOIs are read verbatim by biblatex and hyperref: only braces, which would end the field, change."""
    return text.replace("{", "%7B").replace("}", "%7D")


def _bibtex_name(name: PersonName) -> str:
    if name.literal:
        text = tex_text(name.literal)
        # A literal name is one name, whatever is in it ('Barnes and Noble'): brace it whole.
        return f"{{{text}}}" if re.search(r"\band\b|,", name.literal, re.IGNORECASE) else text
    parts = [tex_text(name.full_family)]
    if name.suffix:
        parts.append(tex_text(name.suffix))
    if name.given:
        parts.append(tex_text(name.given))
    if re.search(r"\band\b", " ".join(parts), re.IGNORECASE):
        parts = [f"{{{p}}}" if re.search(r"\band\b", p, re.IGNORECASE) else p for p in parts]
    return ", ".join(parts)


# ---- BibTeX -------------------------------------------------------------------------------------------------------


def bibtex_entry(record: ExportRecord, *, include_notes: bool = False) -> str:
    """One BibTeX entry: @article when a DOI and a journal reference say it was published, else @misc, with
    arXiv's eprint fields (biblatex and natbib styles print them as 'arXiv:1706.03762 [cs.CL]')."""
    paper, state, source = record.paper, record.state, record.tex
    # Names go out as the reader sees them (UTF-8, which biber and bibtex8 read): their TeX accents would only
    # get in the way of splitting them into parts. Title and abstract keep the author's TeX.
    names, et_al = parse_authors(paper.authors)
    authors = [_bibtex_name(n) for n in names]
    if et_al:
        authors.append("others")
    fields: list[tuple[str, str]] = [("title", bibtex_text(source.title, paper.title, protect_case=True))]
    if authors:
        fields.append(("author", " and ".join(authors)))
    article = _is_article(paper)
    if article and paper.journal_ref:
        fields.append(("journal", tex_text(paper.journal_ref)))
    year = cite_year(paper)
    if year:
        fields.append(("year", year))
    if paper.arxiv_id:
        fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
        if paper.categories:
            fields.append(("primaryClass", tex_text(paper.categories[0])))
    if paper.doi:
        fields.append(("doi", _tex_verbatim(paper.doi)))
    url = paper.abs_url or paper.url
    if url:
        fields.append(("url", _tex_verbatim(url)))
    if paper.abstract:
        fields.append(("abstract", bibtex_text(source.abstract, paper.abstract)))
    if state.tags:
        fields.append(("keywords", tex_text(", ".join(state.tags))))
    if include_notes and state.note:
        fields.append(("annote", tex_text(state.note)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{'article' if article else 'misc'}{{{record.cite_key},\n{body}\n}}\n"


def bibtex_entries(records: Iterable[ExportRecord], *, include_notes: bool = False) -> str:
    """A .bib file's text: one entry per paper, a blank line between them."""
    return "\n".join(bibtex_entry(r, include_notes=include_notes) for r in records)


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


# ---- CSV -----------------------------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "key", "cite_key", "title", "authors", "date", "published", "updated", "arxiv_id", "arxiv_version", "doi",
    "journal_ref", "url", "pdf_url", "categories", "feeds", "abstract",
    "starred", "starred_at", "read", "read_at", "tags", "tags_at", "note", "note_at",
)  # fmt: skip


def csv_text(records: Iterable[ExportRecord], *, include_notes: bool = True) -> str:
    """One row per paper with the user's state; lists joined with '; '; booleans as true/false."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        p, s = r.paper, r.state
        writer.writerow(
            [
                p.key, r.cite_key, p.title, "; ".join(p.authors), "-".join(f"{x:02d}" for x in date_parts(p)),
                p.published or "", p.updated or "", p.arxiv_id or "", p.arxiv_version or "", p.doi or "",
                p.journal_ref or "", p.abs_url or p.url or "", p.pdf_url or "", "; ".join(p.categories),
                "; ".join(p.feeds), p.abstract,
                str(s.starred).lower(), s.starred_at or "", str(s.read).lower(), s.read_at or "",
                "; ".join(s.tags), s.tags_at or "", s.note if include_notes else "",
                (s.note_at or "") if include_notes else "",
            ]
        )  # fmt: skip
    return buffer.getvalue()


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
    if name.literal or _is_east_asian(name.family + name.given):
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
