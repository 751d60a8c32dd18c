"""Another tool's library as papers: BibTeX, RIS and CSL-JSON files (what Zotero, Mendeley, JabRef or Google
Scholar export), read into the same `IncomingPaper`s a feed gives, so that the identity rules (arXiv id, DOI, URL)
match them with the papers already here instead of adding them twice.

Text is kept as the file writes it, as a feed's is: BibTeX's TeX (`G{\\"o}del`, `\\emph{x}`, `$O(n)$`) stays TeX,
which the library reads as Unicode for display (text.py). Only BibTeX's case-protecting braces (`{BERT}`,
`{van der Maaten}`) are dropped: they tell a bibliography style not to change the case, and mean nothing here.
RIS and CSL-JSON carry plain text.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from readinglist.core.errors import FeedError
from readinglist.core.identity import is_web_url, normalize_doi, parse_arxiv_id
from readinglist.core.models import IncomingPaper
from readinglist.core.sources import looks_like_arxiv_categories
from readinglist.core.text import one_line, plain, tex_to_unicode

if TYPE_CHECKING:
    from bibtexparser.model import Entry

    from readinglist.core.importer import ParsedFeed

BIBTEX = "bibtex"
RIS = "ris"
CSL_JSON = "csl-json"

_HEAD = 64 * 1024  # how much of a file detection looks at (a header before the first record included)


# ---- telling the formats apart ------------------------------------------------------------------------------

# The item types of CSL 1.0.2 (schemas/input/csl-data.json), the only values Zotero and citeproc write.
_CSL_TYPE_NAMES = (
    "article article-journal article-magazine article-newspaper bill book broadcast chapter classic collection "
    "dataset document entry entry-dictionary entry-encyclopedia event figure graphic hearing interview legal_case "
    "legislation manuscript map motion_picture musical_score pamphlet paper-conference patent performance "
    "periodical personal_communication post post-weblog regulation report review review-book software song "
    "speech standard thesis treaty webpage"
)
_CSL_TYPES = frozenset(_CSL_TYPE_NAMES.split())
# A BibTeX file: `@type{` (or `@type(`) once the `%` comment lines before it are skipped.
_BIB_START = re.compile(r"\A(?:%[^\n]*(?:\n|\Z)|\s+)*@\s*[A-Za-z]+\s*[{(]")
_BIB_ENTRY = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
# A RIS tag line (as rispy reads one: two characters, two spaces, a dash); a record opens with TY.
_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -", re.MULTILINE)


def looks_like_citations(data: bytes, name: str) -> str | None:
    """ "bibtex", "ris" or "csl-json" when `data` is a citation file of that kind, else None (a feed, Hugging Face's
    daily papers, anything else). The content decides; the file's suffix only lets a BibTeX or RIS file that opens
    with free text (an export tool's header) count."""
    head = _decode(data[:_HEAD], strict=False)[0].lstrip()
    if not head:
        return None
    suffix = PurePath(name).suffix.lower()
    if head[0] in "[{":
        return CSL_JSON if _csl_items(data) is not None else None
    if head[0] == "<":  # RSS, Atom, a web page
        return None
    if _BIB_START.match(head) or (suffix in (".bib", ".bibtex") and _BIB_ENTRY.search(head)):
        return BIBTEX
    tags = [m.group(1) for m in itertools.islice(_RIS_TAG.finditer(head), 2)]
    if len(tags) == 2 and tags[0] == "TY":
        # Publishers' downloads open with "Provider: ..." lines; the first tag must still open a record, and a
        # record has more than its type.
        return RIS
    return None


def _csl_items(data: bytes) -> list[Any] | None:
    """The items of a CSL-JSON file (a list of them, or one item alone), or None when it is other JSON. Hugging
    Face's daily papers (a list of {"paper": {...}}) and an empty list (a day without papers) are not claimed."""
    import orjson

    try:
        doc = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except ValueError:  # not JSON, not UTF-8, or nested too deep (orjson stops at 1024 levels)
        return None
    items = doc if isinstance(doc, list) else [doc]
    if not items or not all(isinstance(i, dict) and isinstance(i.get("type"), str) for i in items):
        return None
    if any(isinstance(i.get("paper"), dict) for i in items):
        return None
    if not any(i["type"] in _CSL_TYPES and ("title" in i or "id" in i) for i in items):
        return None
    return items


def _decode(data: bytes, *, strict: bool = True) -> tuple[str, str | None]:
    """The file's text, and a word for the user when it was not UTF-8. Old BibTeX and RIS files (JabRef, EndNote)
    are often Windows-1252; UTF-16 comes with its byte order mark."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        if not strict:  # a head cut in the middle of a character
            return data.decode("utf-8-sig", errors="ignore"), None
    try:
        return data.decode("cp1252"), "the file is not UTF-8; it was read as Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "the file is not UTF-8; it was read as Latin-1"


# ---- reading --------------------------------------------------------------------------------------------------


def read_citations(data: bytes, *, name: str) -> ParsedFeed:
    """The papers of a BibTeX, RIS or CSL-JSON file, as `IncomingPaper`s for `Library.add_papers`. Records
    without a title are skipped and counted in the warnings; entries BibTeX cannot read are named by line.
    Raises FeedError (naming `name`) when the file is none of these, or nothing in it can be read."""
    from readinglist.core.importer import ParsedFeed, looks_like_web_page

    kind = looks_like_citations(data, name)
    if kind is None:
        if looks_like_web_page(data):
            raise FeedError(f"{name}: this is a web page, not a BibTeX, RIS or CSL-JSON file")
        raise FeedError(f"{name}: not a BibTeX, RIS or CSL-JSON file")
    warnings: list[str] = []
    if kind == CSL_JSON:
        records = _each(_csl_record, _csl_items(data) or [])
    else:
        text, note = _decode(data)
        if note:
            warnings.append(f"{name}: {note}")
        read = _bibtex_records if kind == BIBTEX else _ris_records
        records = read(text, name, warnings)
    papers: list[IncomingPaper] = []
    untitled = unreadable = 0
    for record in records:
        try:
            paper = _paper(record) if record is not None else None
        except Exception:
            paper, record = None, None
        if paper is not None:
            papers.append(paper)
        elif record is None:
            unreadable += 1
        else:
            untitled += 1
    if untitled:
        warnings.append(f"{name}: {_records(untitled)} without a title {_were(untitled)} skipped")
    if unreadable:
        warnings.append(f"{name}: {_records(unreadable)} could not be read and {_were(unreadable)} skipped")
    if not papers and not untitled and not unreadable:
        warnings.append(f"{name}: there are no references in the file")
    return ParsedFeed(title=PurePath(name).name or name, papers=tuple(papers), warnings=tuple(warnings))


def _each(convert: Callable[[Any], _Record | None], items: Iterable[Any]) -> list[_Record | None]:
    """Each item as a record; None for one the converter trips on: one odd record must not cost the rest."""
    out: list[_Record | None] = []
    for item in items:
        try:
            out.append(convert(item))
        except Exception:
            out.append(None)
    return out


def _records(n: int) -> str:
    return f"{n} record" if n == 1 else f"{n} records"


def _were(n: int) -> str:
    return "was" if n == 1 else "were"


@dataclass(slots=True)
class _Record:
    """What one record of any of the formats says, before it is made into a paper."""

    title: str = ""
    authors: list[str] = field(default_factory=list)
    abstract: str = ""
    # Text that names the record's arXiv id (an eprint, an arxiv.org link, an arXiv DOI, "arXiv:2401.01234"),
    # the most explicit first.
    arxiv: list[str] = field(default_factory=list)
    doi: str = ""
    links: list[str] = field(default_factory=list)
    pdf: str = ""
    date: tuple[int, ...] = ()  # (year, month, day), as far as the record says
    container: str = ""  # the journal or the proceedings, as the reader sees it
    volume: str = ""
    issue: str = ""
    pages: str = ""
    categories: list[str] = field(default_factory=list)
    citation_key: str = ""


def _paper(rec: _Record) -> IncomingPaper | None:
    """A record as a paper, identified as a feed's would be; None when it has no title."""
    if not rec.title:
        return None
    arxiv = next((a for a in map(parse_arxiv_id, rec.arxiv) if a is not None), None)
    doi = normalize_doi(rec.doi)
    links = [u.strip() for u in rec.links if is_web_url(u.strip())]
    if doi is None:
        doi = next((normalize_doi(u) for u in links if "doi.org/10." in u), None)
    if arxiv is None and doi and doi.startswith("10.48550/arxiv."):
        arxiv = parse_arxiv_id(doi)
    url = links[0] if links else None
    pdf = rec.pdf.strip() if is_web_url(rec.pdf.strip()) else None
    if arxiv is not None:
        # As a feed gives it. The version is left out: a citation names the paper, and a version number in it
        # (an old link) must not read as news of a new version, replacing the text the library holds.
        url = f"https://arxiv.org/abs/{arxiv.id}"
        pdf = f"https://arxiv.org/pdf/{arxiv.id}"
        if doi and doi.startswith("10.48550/"):
            doi = None
    categories = [c for c in rec.categories if looks_like_arxiv_categories(c) and "+" not in c]
    return IncomingPaper(
        title=rec.title,
        authors=tuple(dict.fromkeys(a for a in rec.authors if a)),
        abstract=rec.abstract,
        arxiv_id=arxiv.id if arxiv else None,
        doi=doi,
        url=url,
        pdf_url=pdf,
        published=_published(rec.date),
        categories=tuple(dict.fromkeys(categories)),
        journal_ref=_journal_ref(rec),
        extra={"citation_key": rec.citation_key} if rec.citation_key else {},
    )


def _published(parts: tuple[int, ...]) -> str | None:
    """A full date as the feeds write theirs. A year, or a year and month, is not one: the library compares and
    checks dates as ISO times, and a made-up first of January would be shown and exported as the date. (The
    year still reaches citations through the journal reference, and an arXiv id carries its month.)"""
    if len(parts) < 3:
        return None
    try:
        day = date(*parts[:3])
    except ValueError:
        return None
    return f"{day.isoformat()}T00:00:00Z"


# "arXiv", "CoRR", "arXiv preprint arXiv:…", "ArXiv e-prints": the preprint server, not a journal.
_PREPRINT_SERVER = re.compile(r"^\s*(?:arxiv\b|corr\s*$|corr\s+abs/)", re.IGNORECASE)


_PAGE_RANGE = re.compile(r"(\w)\s*(?:-{1,3}|–)\s*(\w)")


def _journal_ref(rec: _Record) -> str | None:
    """Where it was published, in arXiv's way of writing it: "Nature 521(7553), 436–444 (2015)"."""
    container = " ".join(rec.container.split())
    if not container or _PREPRINT_SERVER.match(container):
        return None
    ref = container
    if rec.volume:
        ref += f" {rec.volume}" + (f"({rec.issue})" if rec.issue else "")
    if rec.pages:
        ref += ", " + _PAGE_RANGE.sub("\\1–\\2", rec.pages)
    if rec.date:
        ref += f" ({rec.date[0]})"
    return ref


def _preprint_container(rec: _Record) -> None:
    """A container that is arXiv names the id ("arXiv preprint arXiv:1706.03762"; DBLP's CoRR writes it in the
    volume, "abs/1907.11692"), and is no journal."""
    if rec.container and _PREPRINT_SERVER.match(rec.container):
        rec.arxiv.append(rec.container)
        if rec.volume.lower().startswith("abs/"):
            rec.arxiv.append(f"arXiv:{rec.volume[4:]}")
        rec.container = rec.volume = rec.issue = ""


# A field that is an arXiv id and nothing else (Zotero's note "arXiv:1810.04805 [cs]", its CSL "number"). Only a
# whole field counts: a note that mentions another paper's id must not make this record that paper.
_ARXIV_FIELD = re.compile(r"^\s*arxiv:\s?\S+(?:\s*\[[^\]]*\])?\s*$", re.IGNORECASE)


def _whole_arxiv_field(value: str) -> list[str]:
    return [value] if _ARXIV_FIELD.match(value) else []


_MONTH_NAMES = "jan feb mar apr may jun jul aug sep oct nov dec"
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES.split(), start=1)}
_DATE = re.compile(r"^\s*(\d{4})(?:\s*[-/.]\s*(\d{1,2})?(?:\s*[-/.]\s*(\d{1,2})?)?)?")


def _date(text: str) -> tuple[int, ...]:
    """(year, month, day) of "2019-06-02", "2019/06/02/", "2019/06//", "2019": as much as it says."""
    m = _DATE.match(text)
    return _date_parts(int(g) for g in m.groups() if g) if m else ()


def _date_parts(numbers: Iterable[int]) -> tuple[int, ...]:
    """Year, month and day as far as they are real: a month 13 or a day 32 ends the date there."""
    parts: list[int] = []
    for k, number in enumerate(numbers):
        if k > 2 or (k == 1 and not 1 <= number <= 12) or (k == 2 and not 1 <= number <= 31):
            break
        parts.append(number)
    return tuple(parts)


def _month(text: str) -> int | None:
    text = text.strip().strip("{}").strip().lower()
    if text.isdigit():
        return int(text) if 1 <= int(text) <= 12 else None
    return _MONTHS.get(text[:3])


def _text(value: Any) -> str:
    """A field's value as text: numbers (a CSL volume) as written, anything else (a list, a bool) as nothing."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _line(text: str) -> str:
    return one_line(text, "text/plain")


def _reorder(name: str) -> str:
    """RIS's "Last, First" as the feeds write names, "First Last"; "Last, First, Jr." keeps the suffix at the
    end. A name without a comma (an organisation) is as written."""
    parts = [p.strip() for p in name.split(",")]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return _line(name)
    return _line(" ".join([parts[1], parts[0], *parts[2:]]))


def _et_al(names: list[str]) -> list[str]:
    """'et al.' kept on the last name, as the feeds keep it, so that it stays visible."""
    if names:
        names[-1] += " et al."
    return names


# ---- BibTeX ---------------------------------------------------------------------------------------------------

_LOGGED_FAILURES = 3  # broken entries named one by one; the rest are counted


def _bibtex_records(text: str, name: str, warnings: list[str]) -> list[_Record | None]:
    from bibtexparser.entrypoint import parse_string
    from bibtexparser.model import Entry

    try:
        with _quiet("bibtexparser"):
            library = parse_string(text)
    except Exception as exc:  # the splitter raises on states it did not foresee instead of failing the block
        raise FeedError(f"{name}: the BibTeX could not be read ({type(exc).__name__}: {exc})") from exc
    strings = {s.key.lower(): s.value for s in library.strings if isinstance(s.value, str)}
    entries: list[tuple[Entry, bool]] = [(e, True) for e in library.entries]
    failures: list[tuple[int, str]] = []
    for block in library.failed_blocks:
        salvaged = block.ignore_error_block
        if isinstance(salvaged, Entry):
            # The same key twice (two papers, one key), or a field twice: read it anyway, the first value winning
            # as in BibTeX. Such a block has not been through the parse stack: its values are still enclosed.
            entries.append((salvaged, False))
        else:
            reason = getattr(block.error, "abort_reason", "") or str(block.error) or type(block.error).__name__
            failures.append(((block.start_line or 0) + 1, " ".join(str(reason).split())))
    if failures and not entries:
        line, reason = failures[0]
        raise FeedError(f"{name}: no entry could be read (line {line}: {reason})")
    for line, reason in failures[:_LOGGED_FAILURES]:
        warnings.append(f"{name}: the entry at line {line} could not be read ({reason}); the others were read")
    if len(failures) > _LOGGED_FAILURES:
        more = len(failures) - _LOGGED_FAILURES
        warnings.append(f"{name}: {more} more {'entry' if more == 1 else 'entries'} could not be read")
    entries.sort(key=lambda pair: pair[0].start_line or 0)
    return _each(lambda pair: _bibtex_record(pair[0], strings if not pair[1] else None), entries)


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """bibtexparser logs each broken entry at WARNING: where logging is not set up (the command line) that is text
    on stderr that the warnings here already say in words. Its records stop at a handler that drops them."""
    logger = logging.getLogger(logger_name)
    handler = logging.NullHandler()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _enclosed_value(raw: str, strings: Mapping[str, str]) -> str:
    """A field value as written ({...}, "...", a number, an @string name) as the parse stack would give it."""
    raw = raw.strip()
    if len(raw) >= 2 and (raw[0], raw[-1]) in (("{", "}"), ('"', '"')):
        return raw[1:-1]
    return strings.get(raw.lower(), raw)


def _bibtex_record(entry: Entry, strings: Mapping[str, str] | None) -> _Record:
    """One entry as a record; `strings` (the file's @string names) for an entry whose values are still enclosed."""
    f: dict[str, str] = {}
    for item in entry.fields:
        key = item.key.strip().lower()
        if key not in f and isinstance(item.value, str):
            f[key] = item.value if strings is None else _enclosed_value(item.value, strings)
    rec = _Record(
        title=_bib_line(f.get("title", "")),
        authors=_bib_names(f.get("author", "")),
        abstract=plain(unbraced(f.get("abstract", ""))),
        doi=_bib_link(f.get("doi", "")),
        citation_key=entry.key.strip(),
    )
    eprint_type = (f.get("archiveprefix") or f.get("eprinttype") or "").strip().lower()
    if f.get("eprint") and eprint_type in ("", "arxiv"):
        rec.arxiv.append(f["eprint"])
    for name in ("arxivid", "arxiv"):  # Mendeley's arxivId
        if f.get(name):
            rec.arxiv.append(f[name])
    for name in ("url", "howpublished"):
        link = _bib_link(f.get(name, ""))
        if link:
            rec.arxiv.append(link)
            rec.links.append(link)
    if rec.doi:
        rec.arxiv.append(rec.doi)
    rec.container = _bib_reading(f.get("journal") or f.get("journaltitle") or f.get("booktitle") or "")
    rec.volume = _bib_reading(f.get("volume", ""))
    rec.issue = _bib_reading(f.get("number") or f.get("issue") or "")
    rec.pages = _bib_reading(f.get("pages", ""))
    _preprint_container(rec)
    for name in ("note", "number", "eid", "addendum"):
        rec.arxiv.extend(_whole_arxiv_field(f.get(name, "")))
    rec.categories = [c.strip() for c in (f.get("primaryclass"), f.get("eprintclass")) if c]
    rec.date = _date(f.get("date", ""))
    if not rec.date and _date(f.get("year", "")):
        year = _date(f["year"])[0]
        month = _month(f.get("month", ""))
        day = f.get("day", "").strip()
        rec.date = (year, month, int(day)) if month and day.isdigit() else (year, month) if month else (year,)
    return rec


def _bib_line(value: str) -> str:
    """A short BibTeX field as source text: TeX kept, case-protecting braces dropped, on one line."""
    return _line(unbraced(value))


def _bib_reading(value: str) -> str:
    """A field the library shows as it is stored (the journal, the pages): its Unicode reading."""
    return _line(tex_to_unicode(_bib_line(value)))


_URL_COMMAND = re.compile(r"\\(?:url|href)\s*\{([^{}]*)\}")


def _bib_link(value: str) -> str:
    """A link in `url` or in `howpublished = {\\url{...}}`; "" when the field holds none."""
    value = value.strip()
    m = _URL_COMMAND.search(value)
    link = m.group(1).strip() if m else value
    return link.replace("\\_", "_").replace("\\%", "%").replace("\\#", "#").replace("\\&", "&")


_TIE = re.compile(r"(?<!\\)~")


def _bib_names(value: str) -> list[str]:
    """BibTeX's `A and B and others` as the feeds give names: "First von Last Jr", each; 'others' as 'et al.'."""
    if not value.strip():
        return []
    from bibtexparser.middlewares.names import (
        InvalidNameError,
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    try:
        raw_names = split_multiple_persons_names(value)
    except InvalidNameError:
        raw_names = [value]
    names: list[str] = []
    et_al = False
    for raw in raw_names:
        if raw.strip().lower() == "others":
            et_al = True
            continue
        try:
            parts = parse_single_name_into_parts(raw)
            text = " ".join([*parts.first, *parts.von, *parts.last, *parts.jr])
        except InvalidNameError:  # an unbalanced brace, too many commas: the name as written
            text = raw.replace(",", " ") if raw.count(",") > 2 else _reorder(raw)
        # A tie between initials ("D.~E. Knuth") is a space in a name.
        name = _line(_TIE.sub(" ", unbraced(text)))
        if name:
            names.append(name)
    return _et_al(names) if et_al else names


def unbraced(text: str) -> str:
    """BibTeX text without its case-protecting braces: `{BERT}: {Pre}-training` is "BERT: Pre-training". The
    braces TeX needs are kept: a command's arguments (`\\"{o}`, `\\emph{x}`), a group that opens with a command
    (`{\\"o}`, `{\\em x}`), escaped braces (`\\{`) and everything in math (`$x^{2}$`). In one pass, however deep
    the braces nest."""
    if "{" not in text:
        return text
    drop: set[int] = set()
    stack: list[tuple[int, str]] = []  # (where a group opens, what it is: "case", "argument" or "scope")
    arg_at = -1  # where a brace opens a command's argument: right after the command, or after its last argument
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            j = i + 1
            if j < n and text[j].isalpha():
                while j < n and text[j].isalpha():
                    j += 1
            else:
                j = min(j + 1, n)
            i = arg_at = j
            continue
        if c == "$":
            double = text.startswith("$$", i)
            end = _unescaped(text, "$$" if double else "$", i + (2 if double else 1))
            if end >= 0:
                i = end + (2 if double else 1)
                continue
        elif c == "{":
            kind = "argument" if i == arg_at else "scope" if text.startswith("\\", i + 1) else "case"
            stack.append((i, kind))
        elif c == "}" and stack:
            start, kind = stack.pop()
            if kind == "case":
                drop.update((start, i))
            elif kind == "argument":
                arg_at = i + 1  # \\frac{a}{b}, \\href{url}{text}: a group right after is an argument too
        i += 1
    if not drop:
        return text
    return "".join(ch for k, ch in enumerate(text) if k not in drop)


def _unescaped(text: str, mark: str, start: int) -> int:
    while True:
        end = text.find(mark, start)
        if end <= 0 or text[end - 1] != "\\":
            return end
        start = end + 1


# ---- RIS ------------------------------------------------------------------------------------------------------


def _ris_records(text: str, name: str, warnings: list[str]) -> list[_Record | None]:
    import rispy

    lines: list[str] = []
    in_record = False
    unterminated = 0
    for line in re.split(r"\r\n|\r|\n", text):
        tag = line[:2] if line[2:5] == "  -" else None
        if tag == "TY":
            if in_record:  # rispy would fold this record into the one before it
                lines.append("ER  - ")
                unterminated += 1
            in_record = True
        elif tag == "ER":
            in_record = False
        lines.append(line)
    if in_record:  # rispy would drop a last record that lacks its ER line
        lines.append("ER  - ")
        unterminated += 1
    if unterminated:
        warnings.append(
            f"{name}: {_records(unterminated)} without an end (ER) line {_were(unterminated)} read as far as "
            f"{'it goes' if unterminated == 1 else 'they go'}"
        )
    try:
        entries = rispy.loads("\n".join(lines), skip_unknown_tags=True)
    except Exception as exc:
        raise FeedError(f"{name}: the RIS could not be read ({type(exc).__name__}: {exc})") from exc
    return _each(_ris_record, entries)


def _ris_first(entry: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = entry.get(name)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str) and v.strip()), "")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _ris_all(entry: Mapping[str, Any], *names: str) -> list[str]:
    out: list[str] = []
    for name in names:
        value = entry.get(name)
        values = value if isinstance(value, list) else [value]
        out.extend(v.strip() for v in values if isinstance(v, str) and v.strip())
    return out


def _ris_record(entry: Mapping[str, Any]) -> _Record:
    rec = _Record(
        title=_line(_ris_first(entry, "title", "primary_title")),
        authors=[_reorder(a) for a in _ris_all(entry, "authors", "first_authors")],
        abstract=plain(_ris_first(entry, "abstract", "notes_abstract")),
        doi=_ris_first(entry, "doi"),
        links=_ris_all(entry, "urls"),
        pdf=_ris_first(entry, "file_attachments1"),
        container=_line(_ris_first(entry, "secondary_title", "alternate_title3", "journal_name", "alternate_title2")),
        volume=_line(_ris_first(entry, "volume")),
        issue=_line(_ris_first(entry, "number")),
    )
    first, last = _ris_first(entry, "start_page"), _ris_first(entry, "end_page")
    rec.pages = f"{first}–{last}" if first and last and first != last else first or last
    rec.arxiv = [*rec.links]
    if rec.doi:
        rec.arxiv.append(rec.doi)
    _preprint_container(rec)
    for value in _ris_all(entry, "accession_number", "note", "notes", "type_of_work", "number"):
        rec.arxiv.extend(_whole_arxiv_field(value))
    # DA is the full date ("2019/05/24/"), PY often the year alone: the one that says most.
    rec.date = max((_date(d) for d in _ris_all(entry, "date", "year", "publication_year")), key=len, default=())
    return rec


# ---- CSL-JSON -------------------------------------------------------------------------------------------------

# CSL's rich text in titles (https://citeproc-js.readthedocs.io, "Rich text"): markup for a style, not text. Any
# other "<...>" (a "<think>" in a title) is the author's and is kept.
_CSL_MARKUP = re.compile(
    r"</?(?:i|b|sup|sub|sc)>|<span\s+(?:class=\"nocase\"|style=\"font-variant:\s*small-caps;?\")>|</span>"
)


def _csl_record(item: Any) -> _Record | None:
    if not isinstance(item, dict):
        return None
    rec = _Record(
        title=_line(_CSL_MARKUP.sub("", _text(item.get("title")))),
        authors=_csl_names(item.get("author")),
        abstract=plain(_text(item.get("abstract"))),
        doi=_text(item.get("DOI")),
        links=[u for u in (_text(item.get("URL")),) if u],
        volume=_line(_text(item.get("volume"))),
        issue=_line(_text(item.get("issue"))),
        pages=_line(_text(item.get("page"))),
        citation_key=_line(_text(item.get("citation-key"))),
    )
    container = item.get("container-title")
    if isinstance(container, list):  # CSL-JSON from older tools
        container = next((c for c in container if isinstance(c, str)), "")
    rec.container = _line(_CSL_MARKUP.sub("", _text(container)))
    rec.arxiv = [*rec.links]
    if rec.doi:
        rec.arxiv.append(rec.doi)
    _preprint_container(rec)
    for name in ("number", "note", "archive_location"):
        rec.arxiv.extend(_whole_arxiv_field(_text(item.get(name))))
    rec.date = _csl_date(item.get("issued"))
    return rec


def _csl_names(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    names = []
    for person in value:
        if not isinstance(person, dict):
            continue
        literal = _text(person.get("literal"))
        if literal:
            names.append(_line(literal))
            continue
        parts = [
            _text(person.get(k)) for k in ("given", "dropping-particle", "non-dropping-particle", "family", "suffix")
        ]
        name = _line(" ".join(p for p in parts if p))
        if name:
            names.append(name)
    return names


def _csl_date(value: Any) -> tuple[int, ...]:
    """CSL's {"date-parts": [[2019, 5, 24]]} (numbers or numerals), {"raw": "2019-05-24"}, or an EDTF string."""
    if isinstance(value, str):
        return _date(value)
    if not isinstance(value, dict):
        return ()
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list):
        numerals = [_text(p).strip() for p in parts[0][:3]]
        out = _date_parts(int(p) for p in itertools.takewhile(str.isdigit, numerals))
        if out:
            return out
    for name in ("raw", "literal"):
        if isinstance(value.get(name), str):
            return _date(value[name])
    return ()
