"""The rules that make one paper one record: arXiv ids, DOIs and URLs normalised into comparable aliases."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from readinglist.core.models import PaperKey

# New-style ids (since April 2007): YYMM.NNNN (until 2014) or YYMM.NNNNN, optional version.
_NEW_ID = r"(?P<new>\d{4}\.\d{4,5})"
# Old-style ids: archive(.SUBJECT-CLASS)/YYMMNNN, e.g. hep-ex/0307015 or math.GT/0309136.
_OLD_ID = r"(?P<old>[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/\d{7})"
_VERSION = r"(?:v(?P<version>\d+))?"
_ARXIV_BARE = re.compile(rf"^(?:arxiv:)?(?:{_NEW_ID}|{_OLD_ID}){_VERSION}$", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(
    rf"(?:arxiv\.org/(?:abs|pdf|html)/|oai:arxiv\.org:|arxiv:\s?|10\.48550/arxiv\.)(?:{_NEW_ID}|{_OLD_ID}){_VERSION}",
    re.IGNORECASE,
)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_DOI_PREFIXES = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/|info:doi/)", re.IGNORECASE)

# Query parameters that say who sent the reader, not which paper it is.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "yclid",
        "igshid",
        "_hsenc",
        "_hsmi",
        "ref",
        "ref_src",
        "rss",
        "utm",
        "source",
        "cmp",
        "campaign",
        "s_cid",
        "wt.mc_id",
        "feed",
        "af",
    }
)


@dataclass(frozen=True, slots=True)
class ArxivId:
    id: str
    version: int | None

    def __str__(self) -> str:
        return f"{self.id}v{self.version}" if self.version else self.id


def _from_match(m: re.Match[str]) -> ArxivId:
    base = m.group("new") or m.group("old")
    if m.group("old"):
        archive, number = base.split("/", 1)
        # The archive is lower case, the subject class (math.GT) upper case, as arXiv writes them.
        if "." in archive:
            arch, cls = archive.split(".", 1)
            archive = f"{arch.lower()}.{cls.upper()}"
        else:
            archive = archive.lower()
        base = f"{archive}/{number}"
    version = m.group("version")
    return ArxivId(base, int(version) if version else None)


def parse_arxiv_id(text: str | None) -> ArxivId | None:
    """An arXiv id from a bare id, an `arXiv:` id, an abs/pdf URL, an OAI guid or an arXiv DOI; else None."""
    if not text:
        return None
    text = text.strip()
    m = _ARXIV_BARE.match(text)
    if m:
        return _from_match(m)
    m = _ARXIV_IN_TEXT.search(text)
    if m:
        return _from_match(m)
    return None


def normalize_doi(text: str | None) -> str | None:
    """A DOI in its canonical comparable form (lower case, no resolver prefix), or None if there is none."""
    if not text:
        return None
    text = _DOI_PREFIXES.sub("", text.strip())
    m = _DOI.search(text)
    if not m:
        return None
    doi = m.group(1).rstrip(".,;)]}")
    # DOIs are case-insensitive by definition (DOI Handbook 2.4); compare them lower-cased.
    return doi.lower()


# An http(s) URL in the plain shape nearly every feed link has: a host of ASCII letters, digits, dots and hyphens
# (no user, no port, no brackets), then an optional path, query and fragment, with none of the characters urlsplit
# removes (tab, CR, LF). For it, urlsplit's parts are these groups, and the host is its hostname once lower-cased.
_PLAIN_URL = re.compile(
    r"https?://([A-Za-z0-9.\-]+)(/[^?#\t\r\n]*)?(?:\?([^#\t\r\n]*))?(?:#[^\t\r\n]*)?", re.IGNORECASE
)


def normalize_url(url: str | None) -> str | None:
    """A URL reduced to what identifies the page: no scheme difference, no www, no fragment, no tracking."""
    if not url:
        return None
    url = url.strip()
    m = _PLAIN_URL.fullmatch(url)
    if m is not None and m.group(1).lower() != "www.":
        # What the general reading below gives for this shape, without urlsplit and urlunsplit.
        host, path, query = m.group(1).lower(), m.group(2), m.group(3)
        if host.startswith("www."):
            host = host[4:]
        path = path.rstrip("/") if path else ""
        query = _query(query) if query else ""
        return f"{host}{path}?{query}" if query else f"{host}{path}"
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if host.startswith("www."):
        host = host[4:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("", host, path, _query(parts.query), "")).lstrip("/")


def _query(query: str) -> str:
    """A URL's query without tracking parameters, in a canonical order."""
    kept = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_PARAMS
    ]
    return urlencode(sorted(kept))


def normalize_title(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(re.findall(r"\w+", text))


def aliases(*, arxiv_id: str | None, doi: str | None, url: str | None, guid: str | None = None) -> list[str]:
    """Every identifier that names this paper, most authoritative first. Two papers sharing one are the same."""
    out: list[str] = []
    if arxiv_id:
        out.append(f"arxiv:{arxiv_id}")
    if doi:
        out.append(f"doi:{doi}")
    for raw in (url, guid):
        if not raw:
            continue
        norm = normalize_url(raw)
        alias = f"url:{norm}" if norm else f"guid:{raw.strip()}"
        if alias not in out:
            out.append(alias)
    return out


def make_key(*, arxiv_id: str | None, doi: str | None, url: str | None, guid: str | None, title: str) -> PaperKey:
    """A stable, typeable key chosen when a paper is first seen; it never changes afterwards."""
    if arxiv_id:
        return PaperKey(f"arxiv:{arxiv_id}")
    if doi:
        return PaperKey(f"doi:{doi}")
    import hashlib  # (here: loading it costs the commands that make no key, `list` among them)

    basis = normalize_url(url) or normalize_url(guid) or (guid or "").strip() or normalize_title(title)
    return PaperKey("web:" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:12])


def key_candidates(text: str) -> list[str]:
    """What a user may type for a paper: its key, or a bare arXiv id or DOI; the aliases to look it up by."""
    text = text.strip()
    out = [text]
    arxiv = parse_arxiv_id(text)
    if arxiv:
        out.append(f"arxiv:{arxiv.id}")
    doi = normalize_doi(text)
    if doi:
        out.append(f"doi:{doi}")
    return out


def is_web_url(url: str) -> bool:
    """An absolute http(s) address with a host and a valid port, and no white space or control characters in it
    (a newline in an address is a header injection waiting to happen): the only links readinglist follows."""
    if not isinstance(url, str) or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port out of range, such as 99999)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
