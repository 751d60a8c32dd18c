"""Feed bytes to normalised papers: arXiv RSS and API, journal RSS/Atom, any feed feedparser reads.

The same functions serve file imports and (later) HTTP fetches: give them bytes, get `IncomingPaper`s or a
`FeedError` that names the feed. Feed text is untrusted: abstracts become plain text, links are kept only if
they are http(s).
"""

from __future__ import annotations

import functools
import json
import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from readinglist.core.errors import FeedError
from readinglist.core.files import read_capped
from readinglist.core.identity import normalize_doi, parse_arxiv_id
from readinglist.core.models import IncomingPaper
from readinglist.core.text import feed_text, html_to_text, one_line, plain

# feedparser is imported where a feed goes to it (`parse_feed`): a feed the fast path reads never loads it.


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    papers: tuple[IncomingPaper, ...]
    warnings: tuple[str, ...] = ()
    link: str | None = None
    total_results: int | None = None  # arXiv API (opensearch:totalResults): how many match the query in all
    hf_daily: bool = False  # Hugging Face's daily-papers JSON, whatever the subscription said it was


# ---- text ------------------------------------------------------------------------------------------------------


def plain_text(markup: str | None) -> str:
    """Markup to readable text (the feed did not say whether it is HTML, so it is treated as HTML)."""
    return html_to_text(markup)


_WEB_URL = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
_UNSAFE_IN_URL = re.compile(r"[\s<>\"]")


def safe_url(url: Any) -> str | None:
    """Only absolute http(s) links survive: no javascript:, data:, file: or relative oddities."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if _WEB_URL.match(url) and not _UNSAFE_IN_URL.search(url):
        return str(url)
    return None


# ---- authors ------------------------------------------------------------------------------------------------------

_INITIALS = re.compile(r"^(?:[A-Z]\.?(?:\s|-)?){1,4}$")
_ET_AL = re.compile(r"\s*(?:,\s*)?\bet\.?\s*al\.?\s*$", re.IGNORECASE)


_NAME_SEPARATORS = {sep: re.compile(rf"\s*{sep}\s*|\s+and\s+|\s*&\s*") for sep in (";", ",")}


def split_authors(text: str) -> list[str]:
    """'A, B and C' / 'A; B' / 'A et al.' into names; 'et al.' is kept on the last name so it stays visible."""
    text = one_line(text)
    if not text:
        return []
    # The patterns below, only where they can match (most author lists hold neither "et al." nor "and" or "&",
    # and the searches cost more than the rest of the reading).
    low = text.lower()
    et_al = "al" in low and "et" in low and bool(_ET_AL.search(text))
    if et_al:
        text = _ET_AL.sub("", text)
    sep = ";" if ";" in text else ","
    if "and" in text or "&" in text:
        tokens = [n.strip() for n in _NAME_SEPARATORS[sep].split(text) if n.strip()]
    else:  # only the separator: the same tokens, as `strip` takes the white space the pattern would
        tokens = [n.strip() for n in text.split(sep) if n.strip()]
    names: list[str] = []
    for token in tokens:
        # "Hou, N., Wu, Z." (bioRxiv): a token of initials belongs to the surname before it.
        if names and _INITIALS.match(token) and " " not in names[-1]:
            names[-1] = f"{token} {names[-1]}"
        else:
            names.append(token)
    if et_al and names:
        names[-1] += " et al."
    return names


def _authors(entry: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for author in entry.get("authors") or ():
        name = author.get("name") if isinstance(author, Mapping) else None
        if name:
            names.extend(split_authors(name))
    if not names and entry.get("author"):
        names = split_authors(entry["author"])
    return list(dict.fromkeys(names))


# ---- dates --------------------------------------------------------------------------------------------------------


def _iso_from_struct(parsed: Any) -> str | None:
    """feedparser's dates are UTC struct_times: format them without a local-time round trip."""
    if not parsed:
        return None
    if isinstance(parsed, time.struct_time):  # (the entries of a feed share a few dates)
        return _iso_of_struct_time(parsed)
    return _iso_of_fields(parsed)


@functools.lru_cache(maxsize=1024)
def _iso_of_struct_time(parsed: time.struct_time) -> str | None:
    return _iso_of_fields(parsed)


def _iso_of_fields(parsed: Any) -> str | None:
    try:
        year, month, day, hour, minute, second = parsed[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC).isoformat().replace("+00:00", "Z")
    except (ValueError, TypeError):
        return None


def _published(entry: Mapping[str, Any]) -> str | None:
    """The paper's date: the feed's published date, else PRISM's publication date, else dc:date or updated
    (feedparser reads dc:date as `updated`). bioRxiv gives only the last two."""
    published = _iso_from_struct(entry.get("published_parsed"))
    if published:
        return published
    prism = entry.get("prism_publicationdate") or entry.get("prism_coverdate")
    if isinstance(prism, str) and prism.strip():
        from feedparser.datetimes import _parse_date

        published = _iso_from_struct(_parse_date(prism.strip()))
        if published:
            return published
    return _iso_from_struct(entry["updated_parsed"] if "updated_parsed" in entry else None)  # noqa: SIM401


# ---- entries --------------------------------------------------------------------------------------------------

_ARXIV_PREFIX = re.compile(
    r"^\s*arXiv:\S+\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:)?\s*", re.IGNORECASE | re.DOTALL
)


def _links(entry: Mapping[str, Any]) -> tuple[str | None, str | None]:
    url = safe_url(entry.get("link"))
    pdf = None
    for link in entry.get("links") or ():
        if not isinstance(link, Mapping):
            continue
        href = safe_url(link.get("href"))
        if not href:
            continue
        if link.get("type") == "application/pdf" or link.get("title") == "pdf":
            pdf = pdf or href
        elif link.get("rel", "alternate") == "alternate" and not url:
            url = href
    return url, pdf


def _doi(entry: Mapping[str, Any], url: str | None) -> str | None:
    for field in ("arxiv_doi", "prism_doi", "dc_identifier", "doi"):
        doi = normalize_doi(entry.get(field))
        if doi:
            return doi
    for candidate in (entry.get("id"), url, *_related_links(entry)):
        if not isinstance(candidate, str):
            continue
        if "doi.org/" in candidate or "/doi/" in candidate or "/content/10." in candidate or "doi=10." in candidate:
            doi = normalize_doi(candidate.split("doi=", 1)[-1] if "doi=10." in candidate else candidate)
            if doi:
                # bioRxiv links end in the version: .../10.1101/2025.04.07.647590v1?rss=1
                return re.sub(r"v\d+$", "", doi.split("?")[0].split("&")[0])
        m = _NATURE_ARTICLE.match(candidate)
        if m:
            # Nature's article ids are the suffix of their DOIs under the 10.1038 prefix.
            return normalize_doi(f"10.1038/{m.group(1)}")
    return None


_NATURE_ARTICLE = re.compile(r"^https?://(?:www\.)?nature\.com/articles/([A-Za-z0-9.\-]+?)/?(?:[?#].*)?$")


def _related_links(entry: Mapping[str, Any]) -> list[str]:
    out = []
    for link in entry.get("links") or ():
        if isinstance(link, Mapping) and (link.get("title") == "doi" or link.get("rel") == "related"):
            href = link.get("href")
            if isinstance(href, str):
                out.append(href)
    return out


def _detail_type(entry: Mapping[str, Any], name: str) -> str | None:
    detail = entry.get(f"{name}_detail")
    return detail.get("type") if isinstance(detail, Mapping) else None


_ARXIV_GUID = re.compile(r"^(?:oai:arXiv\.org:|https?://(?:www\.|export\.)?arxiv\.org/abs/)", re.IGNORECASE)


def entry_to_paper(entry: Mapping[str, Any]) -> IncomingPaper | None:
    """One feedparser entry as a paper; None when it names nothing (no title and no identifier)."""
    url, pdf = _links(entry)
    guid = entry.get("id") if isinstance(entry.get("id"), str) else None
    # arXiv's RSS and Atom text is plain (Atom type="text"), whatever feedparser guesses from "<s> and </s>" in
    # an RSS description: text between angle brackets there is the author's.
    from_arxiv = bool(_ARXIV_GUID.match(guid or "") or _ARXIV_GUID.match(str(entry.get("link") or "")))
    title_type = "text/plain" if from_arxiv else _detail_type(entry, "title")
    title = one_line(entry.get("title"), title_type or "text/plain")
    raw_summary = entry.get("summary") or ""
    summary_type = _detail_type(entry, "summary")
    if not raw_summary:
        for content in entry.get("content") or ():
            if isinstance(content, Mapping) and content.get("value"):
                raw_summary = content["value"]
                summary_type = content.get("type")
                break
    abstract = feed_text(raw_summary, "text/plain" if from_arxiv else (summary_type or "text/html"))
    announce_type = entry.get("arxiv_announce_type")
    m = _ARXIV_PREFIX.match(abstract)
    if m:
        announce_type = announce_type or m.group("type")
        abstract = abstract[m.end() :]
    arxiv = None
    for candidate in (guid, url, entry.get("link")):
        arxiv = parse_arxiv_id(candidate) if candidate else None
        if arxiv:
            break
    doi = _doi(entry, url)
    if arxiv is None and doi and doi.startswith("10.48550/arxiv."):
        arxiv = parse_arxiv_id(doi)
    if arxiv is not None:
        url = f"https://arxiv.org/abs/{arxiv.id}"
        pdf = pdf or f"https://arxiv.org/pdf/{arxiv}"
        if pdf.startswith("http://arxiv.org/"):
            pdf = "https://" + pdf[len("http://") :]
        if doi and doi.startswith("10.48550/"):
            doi = None
    categories = []
    for tag in entry.get("tags") or ():
        term = tag.get("term") if isinstance(tag, Mapping) else None
        if term and isinstance(term, str):
            categories.append(one_line(term))
    primary = entry.get("arxiv_primary_category")
    if isinstance(primary, Mapping) and primary.get("term"):
        categories.insert(0, primary["term"])
    journal_ref = one_line(entry.get("arxiv_journal_reference") or entry.get("arxiv_journal_ref"), "text/plain") or None
    extra: dict[str, Any] = {}
    comment = one_line(entry.get("arxiv_comment"), "text/plain")
    if comment:
        extra["comment"] = comment
    license_url = safe_url(entry.get("rights")) if arxiv is not None else None
    if license_url:
        extra["license"] = license_url
    if not title and not (arxiv or doi or url or guid):
        return None
    return IncomingPaper(
        title=title or "(untitled)",
        authors=tuple(_authors(entry)),
        abstract=abstract,
        arxiv_id=arxiv.id if arxiv else None,
        arxiv_version=arxiv.version if arxiv else None,
        doi=doi,
        url=url,
        guid=guid if not arxiv else None,
        pdf_url=pdf,
        published=_published(entry),
        updated=_iso_from_struct(entry["updated_parsed"] if "updated_parsed" in entry else None),  # noqa: SIM401 (.get falls back to published, with a DeprecationWarning)
        categories=tuple(dict.fromkeys(c for c in categories if c)),
        journal_ref=journal_ref,
        announce_type=announce_type.lower() if isinstance(announce_type, str) else None,
        extra=extra,
    )


def looks_like_web_page(data: bytes) -> bool:
    return data.lstrip()[:200].lower().startswith((b"<!doctype html", b"<html"))


def _convert(entries: Iterable[Any], convert: Callable[[Any], IncomingPaper | None]) -> tuple[list[IncomingPaper], int]:
    """Each entry as a paper; an entry that names nothing, or that the converter trips on, is skipped and counted
    (one odd entry must not cost the rest of the feed)."""
    papers: list[IncomingPaper] = []
    skipped = 0
    for entry in entries:
        try:
            paper = convert(entry)
        except Exception:
            paper = None
        if paper is None:
            skipped += 1
        else:
            papers.append(paper)
    return papers, skipped


class WebPageError(FeedError):
    """A web page where a feed was expected; `found` holds the feeds the page names (autodiscovery)."""

    def __init__(self, message: str, *, found: list[Any]) -> None:
        super().__init__(message)
        self.found = found


def parse_feed(
    data: bytes, *, name: str, url: str | None = None, headers: Mapping[str, str] | None = None
) -> ParsedFeed:
    """Parse feed bytes into papers. Raises FeedError (naming `name`) when nothing usable is in them."""
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    if url:
        response_headers.setdefault("content-location", url)
    charset_warning = _fix_declared_charset(data, response_headers)
    from readinglist.core.storage import gc_paused

    with gc_paused():  # objects by the thousand per feed, none of them in a cycle: no collector passes meanwhile
        return _parse_feed(data, name=name, url=url, response_headers=response_headers, charset_warning=charset_warning)


def _parse_feed(
    data: bytes, *, name: str, url: str | None, response_headers: dict[str, str], charset_warning: str | None
) -> ParsedFeed:
    from readinglist.core.fastfeed import read_fast

    # The feeds that carry the flood (arXiv's, plain RSS 2.0 and Atom) are read with lxml into the mappings feedparser
    # would make, several times faster; anything the fast path does not fully recognise goes to feedparser.
    fast = read_fast(data, headers=response_headers)
    parsed: Mapping[str, Any]
    if fast is not None:
        parsed = {"entries": fast.entries, "feed": fast.feed, "version": fast.version, "bozo": False}
    else:
        import feedparser

        try:
            # No sanitising: nothing here is ever rendered as HTML (text is made plain below, by the content type the
            # feed declares), and feedparser's sanitiser deletes tags it does not know, `<think>` in an abstract
            # included.
            parsed = feedparser.parse(data, response_headers=response_headers, sanitize_html=False)
        except Exception as exc:  # feedparser raises on some inputs instead of setting bozo (FIELD-NOTES)
            raise FeedError(f"{name}: the feed could not be parsed ({type(exc).__name__}: {exc})") from exc
    entries = parsed.get("entries") or []
    feed_info = parsed.get("feed") or {}
    version = parsed.get("version") or ""
    bozo = parsed.get("bozo")
    if not entries and not version:
        reason = parsed.get("bozo_exception")
        if looks_like_web_page(data):
            from readinglist.core.discover import feed_links

            found = feed_links(data, url or "")
            if found:
                named = "; ".join(f.describe() for f in found[:5]) + (
                    f" and {len(found) - 5} more" if len(found) > 5 else ""
                )
                raise WebPageError(
                    f"{name}: this is a web page, not a feed; it names {len(found)} feed"
                    f"{'s' if len(found) != 1 else ''}: {named}",
                    found=found,
                )
            raise WebPageError(f"{name}: this is a web page, not a feed", found=[])
        detail = f" ({reason})" if reason else ""
        raise FeedError(f"{name}: no feed found in the data{detail}")
    papers, skipped = _convert(entries, entry_to_paper)
    warnings = []
    if charset_warning:
        warnings.append(f"{name}: {charset_warning}")
    if bozo and entries:  # (only feedparser says bozo)
        from feedparser.exceptions import CharacterEncodingOverride

        if not isinstance(parsed.get("bozo_exception"), CharacterEncodingOverride):
            warnings.append(f"{name}: the feed has errors ({parsed.get('bozo_exception')}); read what could be read")
        else:
            warnings.append(f"{name}: {parsed.get('bozo_exception')}")
    if skipped:
        warnings.append(f"{name}: {skipped} entries without a title or identifier were skipped")
    return ParsedFeed(
        title=one_line(feed_info.get("title"), _detail_type(feed_info, "title") or "text/plain") or name,
        papers=tuple(papers),
        warnings=tuple(warnings),
        link=safe_url(feed_info.get("link")),
        total_results=_int_or_none(feed_info.get("opensearch_totalresults")),
    )


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


_SINGLE_BYTE = re.compile(r"^(?:us-?ascii|ascii|iso-?8859-\d+|latin-?1|l1|windows-125\d|cp125\d)$", re.IGNORECASE)
_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([^;\"'\s]+)[\"']?", re.IGNORECASE)


def _fix_declared_charset(data: bytes, headers: dict[str, str]) -> str | None:
    """Servers often label UTF-8 feeds as Latin-1 or ASCII. Non-ASCII bytes that decode as UTF-8 are almost
    never meant as Latin-1 (the pairs would be mojibake such as "Ã¶"), so trust the bytes over the label."""
    content_type = headers.get("content-type", "")
    m = _CHARSET.search(content_type)
    if not m or not _SINGLE_BYTE.match(m.group(1)) or data.isascii():
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    headers["content-type"] = content_type[: m.start()] + "; charset=utf-8" + content_type[m.end() :]
    return f"the server labels the feed as {m.group(1)} but it is UTF-8; read as UTF-8"


# ---- Hugging Face daily papers (JSON) -------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    m = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]00:?00)?$", value.strip())
    return f"{m.group(1)}Z" if m else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def hf_entry_to_paper(entry: Any) -> IncomingPaper | None:
    if not isinstance(entry, dict):
        return None
    raw = entry.get("paper")
    paper: dict[str, Any] = raw if isinstance(raw, dict) else {}
    arxiv = parse_arxiv_id(str(paper.get("id") or ""))
    # Hugging Face's JSON carries plain text: "<think>" in a title is the author's.
    title = one_line(str(paper.get("title") or entry.get("title") or ""), "text/plain")
    if arxiv is None or not title:
        return None
    authors = []
    for author in paper.get("authors") or ():
        if isinstance(author, dict) and isinstance(author.get("name"), str):
            name = one_line(author["name"], "text/plain")
            if name:
                authors.append(name)
    extra: dict[str, Any] = {}
    upvotes = _count(paper.get("upvotes"))
    if upvotes is not None:
        extra["upvotes"] = upvotes
    comments = _count(entry.get("numComments"))
    if comments is not None:
        extra["comment_count"] = comments
    code = safe_url(paper.get("githubRepo"))
    if code:
        extra["code_repository"] = code
    project = safe_url(paper.get("projectPage"))
    if project:
        extra["project_page"] = project
    return IncomingPaper(
        title=title,
        authors=tuple(dict.fromkeys(authors)),
        abstract=plain(str(paper.get("summary") or "")),
        arxiv_id=arxiv.id,
        arxiv_version=arxiv.version,
        url=f"https://arxiv.org/abs/{arxiv.id}",
        pdf_url=f"https://arxiv.org/pdf/{arxiv}",
        published=_iso(paper.get("publishedAt")),
        extra=extra,
    )


def parse_hf_daily(data: bytes, *, name: str) -> ParsedFeed:
    """The Hugging Face daily-papers JSON: a list of entries, each with a `paper` whose `id` is an arXiv id."""
    try:
        doc = json.loads(data)
    except RecursionError:
        raise FeedError(f"{name}: not the daily papers data (its JSON is nested thousands of levels deep)") from None
    except (ValueError, UnicodeDecodeError):
        raise FeedError(
            f"{name}: this is a web page, not the daily papers data"
            if looks_like_web_page(data)
            else f"{name}: not valid JSON"
        ) from None
    if isinstance(doc, dict) and isinstance(doc.get("error"), str):
        raise FeedError(f"{name}: the server answered with an error ({one_line(doc['error'])[:200]})")
    if not isinstance(doc, list):
        raise FeedError(f"{name}: not a list of daily papers")
    papers, skipped = _convert(doc, hf_entry_to_paper)
    warnings = (f"{name}: {skipped} entries without an arXiv id or title were skipped",) if skipped else ()
    return ParsedFeed(title="Hugging Face daily papers", papers=tuple(papers), warnings=warnings, hf_daily=True)


def looks_like_json(data: bytes) -> bool:
    """A feed is XML; Hugging Face's daily papers are a JSON list. The first byte tells them apart."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"[", b"{")


def parse_papers(
    data: bytes, *, name: str, url: str | None = None, headers: Mapping[str, str] | None = None
) -> ParsedFeed:
    """Feed bytes of any kind readinglist reads, told apart by their content: RSS, Atom, or daily-papers JSON."""
    if looks_like_json(data):
        return parse_hf_daily(data, name=name)
    return parse_feed(data, name=name, url=url, headers=headers)


def read_feed_file(path: Path) -> ParsedFeed:
    """A file saved from a feed (RSS, Atom) or from Hugging Face's daily papers (JSON), or another tool's library
    exported as BibTeX, RIS or CSL-JSON (a Zotero export), told apart by content."""
    try:
        data = read_capped(Path(path))
    except OSError as exc:
        raise FeedError(f"{path}: {exc.strerror or exc}") from exc
    if data[:1] != b"<":  # (a file that opens with "<" is never a citation file: RSS, Atom or a web page)
        from readinglist.core.citations import looks_like_citations, read_citations

        if looks_like_citations(data, str(path)):
            return read_citations(data, name=str(path))
    return parse_papers(data, name=str(path))


def _read_or_error(path: Path) -> ParsedFeed | FeedError:
    try:
        return read_feed_file(path)
    except FeedError as exc:
        return exc


def _read_in_worker(path: Path) -> ParsedFeed | FeedError:
    """`_read_or_error` in a worker process: an error that would not come back whole (an error with more than its
    words, such as a web page's feeds) comes back as its words, which is what an import says of it."""
    import pickle

    parsed = _read_or_error(path)
    if isinstance(parsed, FeedError):
        try:
            pickle.loads(pickle.dumps(parsed))
        except Exception:  # (anything that fails to travel: the words travel instead)
            return FeedError(str(parsed))
    return parsed


class FeedFiles:
    """Files read as `read_feed_file` reads them, each as `(path, its ParsedFeed or the FeedError naming it)` in
    the order given. Several files are parsed at once in worker processes, a few ahead of the one the caller is
    taking: the parse is pure Python, and on a machine with two cores an import of many feeds then writes one feed
    while the next ones parse. Enter it before opening the library: the workers are forked then, holding nothing
    of it. A few files, or one core, are read in this process."""

    AHEAD = 2  # files waiting per worker (each a 1,000-entry feed: a few MB of papers)
    # Fewer files are read here: with two files of 1,000 entries, starting the workers and waiting for the first
    # file's parse cost more (60 ms) than parsing the second one alongside saved.
    MIN_FILES = 4

    def __init__(self, paths: Sequence[Path], *, workers: int | None = None) -> None:
        self._paths = list(paths)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        many = len(self._paths) >= self.MIN_FILES or workers is not None
        self._workers = min(workers or cores, len(self._paths)) if many and cores > 1 else 0
        self._pool: Any = None
        self._ahead: deque[tuple[Path, Any]] = deque()
        self._next = 0

    def __enter__(self) -> FeedFiles:
        if self._workers:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # fork: a worker starts in a few milliseconds with this process's modules (the parser included);
            # nothing is open yet but the files it is given.
            self._pool = ProcessPoolExecutor(self._workers, mp_context=multiprocessing.get_context("fork"))
            self._fill()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _fill(self) -> None:
        while self._next < len(self._paths) and len(self._ahead) < self._workers * self.AHEAD:
            path = self._paths[self._next]
            self._ahead.append((path, self._pool.submit(_read_in_worker, path)))
            self._next += 1

    def __iter__(self) -> Iterator[tuple[Path, ParsedFeed | FeedError]]:
        if self._pool is None:
            for path in self._paths:
                yield path, _read_or_error(path)
            return
        while self._ahead:
            path, future = self._ahead.popleft()
            self._fill()
            yield path, future.result()
