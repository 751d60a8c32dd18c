"""A fast reading of the feeds that carry the flood (arXiv RSS and Atom, plain RSS 2.0 and Atom 1.0), with lxml.

It builds the same entry and feed mappings feedparser would, for the elements `importer.entry_to_paper` reads, so
the papers come from the one converter whichever reader ran. Anything it does not fully recognise (another root or
version, a DOCTYPE, an encoding other than UTF-8, markup inside a text element, an element it does not know, xml:base,
XHTML or base64 content, an e-mail in an author) makes it answer None, and feedparser reads the feed as before.
feedparser's own helpers decide the rare values (a date in another form, its HTML guess, the relative-URI pass);
the small ones every read uses (URL joining, content types, the cp1252 table) are copies a test holds to feedparser's,
so the two readings cannot drift apart and a fast read never loads feedparser.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import re
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no stubs

_ATOM = "http://www.w3.org/2005/Atom"
_DC = "http://purl.org/dc/elements/1.1/"
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_ARXIV = "http://arxiv.org/schemas/atom"
_OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"

# Entities, DTDs and the network are never touched; a DOCTYPE is refused before parsing anyway.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=False, recover=False
)

_DECLARATION = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([^;\"'\s]+)", re.IGNORECASE)
_EMAIL = re.compile(r"@")
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

# ---- feedparser's helpers, as feedparser 6 has them ---------------------------------------------------------------
# Importing any part of feedparser runs its package, which loads urllib.request, http.client, email and ssl (some
# 30 ms of a 0.2 s import). What every fast read uses is therefore here, copied (test_fastfeed holds each to
# feedparser's own); feedparser is imported only for what is rare: a date in another form, markup with relative
# links, text that may be HTML.

_RELATIVE = frozenset(
    {"comments", "docs", "href", "icon", "id", "link", "logo", "url", "wfw_comment", "wfw_commentrss"}
)  # feedparser.mixin._FeedParserMixin.can_be_relative_uri
_CONTAINS_URIS = frozenset(
    {"content", "copyright", "description", "info", "rights", "subtitle", "summary", "tagline", "title"}
)  # _FeedParserMixin.can_contain_relative_uris
# feedparser.html._cp1252: Windows-1252's characters at 128-159 where a feed has their code points.
_CP1252 = {
    128: "\u20ac", 130: "\u201a", 131: "\u0192", 132: "\u201e", 133: "\u2026", 134: "\u2020", 135: "\u2021",
    136: "\u02c6", 137: "\u2030", 138: "\u0160", 139: "\u2039", 140: "\u0152", 142: "\u017d", 145: "\u2018",
    146: "\u2019", 147: "\u201c", 148: "\u201d", 149: "\u2022", 150: "\u2013", 151: "\u2014", 152: "\u02dc",
    153: "\u2122", 154: "\u0161", 155: "\u203a", 156: "\u0153", 158: "\u017e", 159: "\u0178",
}  # fmt: skip
# feedparser.urls.ACCEPTABLE_URI_SCHEMES
_SCHEMES = (
    "file", "ftp", "gopher", "h323", "hdl", "http", "https", "imap", "magnet", "mailto", "mms", "news", "nntp",
    "prospero", "rsync", "rtsp", "rtspu", "sftp", "shttp", "sip", "sips", "snews", "svn", "svn+ssh", "telnet", "wais",
    "aim", "callto", "cvs", "facetime", "feed", "git", "gtalk", "irc", "ircs", "irc6", "itms", "mms", "msnim",
    "skype", "ssh", "smb", "svn", "ymsg",
)  # fmt: skip
_URIFIXER = re.compile("^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")


def _urljoin(base: str, uri: str) -> str:
    """feedparser.urls._urljoin."""
    if ":///" in uri:  # (the only text the pattern changes: slashes after "scheme://")
        uri = _URIFIXER.sub(r"\1\3", uri)
    try:
        return urllib.parse.urljoin(base, uri)
    except ValueError:
        return ""


def make_safe_absolute_uri(base: str, rel: str | None = None) -> str:
    """feedparser.urls.make_safe_absolute_uri."""
    if not base:
        return rel or ""
    if not rel:
        try:
            scheme = urllib.parse.urlparse(base)[0]
        except ValueError:
            return ""
        if not scheme or scheme in _SCHEMES:
            return base
        return ""
    uri = _urljoin(base, rel)
    if uri.strip().split(":", 1)[0] not in _SCHEMES:
        return ""
    return uri


def _map_content_type(content_type: str) -> str:
    """feedparser.mixin._FeedParserMixin.map_content_type."""
    content_type = content_type.lower()
    if content_type in ("text", "plain"):
        return "text/plain"
    if content_type == "html":
        return "text/html"
    if content_type == "xhtml":
        return "application/xhtml+xml"
    return content_type


def _looks_like_html(s: str) -> bool:
    """feedparser's `looks_like_html`, which needs a closing tag or an entity to say yes."""
    if "</" not in s and "&" not in s:
        return False
    from feedparser.mixin import _FeedParserMixin

    return bool(_FeedParserMixin.looks_like_html(s))


# What feedparser's HTML processor does not give back as it is: a tag, an end tag, a comment, a declaration or a
# processing instruction ("<" and a letter, "/", "!", "?" or ">"), a short tag its first pass rewrites ("<x/>"), or
# an entity or character reference. Text with none of them ("p < 0.05", "AT & T") is all data to its SGML scanner,
# kept verbatim; only text that has one goes through feedparser's pass.
_MARKUP = re.compile(r"<[a-zA-Z/!?>]|&[a-zA-Z#]|<[^<>\s]+?\s*/>")


def resolve_relative_uris(html_source: str, base_uri: str, encoding: str, type_: str) -> str:
    """feedparser.urls.resolve_relative_uris."""
    if _MARKUP.search(html_source) is None:
        return html_source
    from feedparser.urls import resolve_relative_uris as resolve

    return str(resolve(html_source, base_uri, encoding, type_))


def _parse_date(value: str) -> time.struct_time | None:
    from feedparser.datetimes import _parse_date as parse

    return parse(value)  # type: ignore[no-any-return]


class _Refused(Exception):
    """The fast path does not read this feed the way feedparser would: feedparser reads it."""


@dataclass
class FeedData:
    """What feedparser's `feed` and `entries` would hold, for the keys the importer reads."""

    version: str
    feed: dict[str, Any] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)


def _acceptable_bytes(data: bytes, headers: Mapping[str, str]) -> bool:
    if data[:3] in (b"\xef\xbb\xbf",) or data[:2] in (b"\xfe\xff", b"\xff\xfe") or not data.startswith(b"<"):
        return False
    if b"<!DOCTYPE" in data or b"<!doctype" in data or b"<!ENTITY" in data or b"xml:base" in data:
        return False
    if b"http://www.w3.org/1999/xlink" in data:  # feedparser hands xlink declarations to elements as attributes
        return False
    m = _DECLARATION.match(data)
    if data.startswith(b"<?xml") and (m is None and b"encoding" in data[:200]):
        return False
    if m and m.group(1).lower() != b"utf-8":
        return False
    content_type = headers.get("content-type")
    if content_type is not None:
        media = content_type.split(";", 1)[0].strip().lower()
        if media not in ("application/xml", "application/rss+xml", "application/atom+xml", "text/xml"):
            return False
        charset = _CHARSET.search(content_type)
        if charset is None and media.startswith("text/"):
            return False  # text/xml without a charset is US-ASCII to feedparser (RFC 3023)
        if charset is not None and charset.group(1).lower() != "utf-8":
            return False
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


class _Reader:
    def __init__(self, base: str, atom: bool) -> None:
        self.base = base
        self.atom = atom

    def text(self, el: Any, element: str, content_type: str | None, *, guidislink: bool = False) -> tuple[str, str]:
        """An element's text as feedparser's `pop` leaves it, and its content type after feedparser's guess."""
        if len(el):
            raise _Refused  # markup or a comment inside: feedparser serialises it its own way
        output = (el.text or "").strip()
        if element in _RELATIVE and output and (element != "id" or guidislink):
            output = _urljoin(self.base, output)
        if content_type is not None and not self.atom and content_type == "text/plain" and _looks_like_html(output):
            content_type = "text/html"
        if (
            content_type in _HTML_TYPES
            and element in _CONTAINS_URIS
            and ("<" in output or "&" in output)  # otherwise the pass leaves the text as it is
        ):
            output = resolve_relative_uris(output, self.base, "utf-8", content_type)
        if output.isascii():
            return output, content_type or ""  # the repair and the cp1252 table change no ASCII character
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            output = output.encode("iso-8859-1").decode("utf-8")  # feedparser's repair of double-encoded UTF-8
        return output.translate(_CP1252), content_type or ""

    def content_type(self, el: Any, default: str) -> str:
        for key in el.attrib:
            if key not in ("type",):
                raise _Refused
        value = _map_content_type(el.get("type", default))
        if value not in ("text/plain", "text/html"):
            raise _Refused  # XHTML, base64 or another type: feedparser's own handling
        return str(value)


def _attrs(el: Any, allowed: frozenset[str]) -> None:
    for key in el.attrib:
        if key not in allowed:
            raise _Refused


_NONE: frozenset[str] = frozenset()
_RSS_CHANNEL_SKIP = frozenset(
    {"description", "language", "copyright", "webMaster", "pubDate", "lastBuildDate", "docs", "generator", "ttl"}
)
_ATOM_FEED_SKIP = frozenset({"updated", "subtitle", "generator", "icon", "logo", "rights", "category"})


def _link(reader: _Reader, ctx: dict[str, Any], el: Any) -> None:
    """An Atom link (or atom:link in RSS) with an href, as feedparser's `_start_link` files it."""
    _attrs(el, frozenset({"href", "rel", "type", "title", "length", "hreflang"}))
    if len(el) or (el.text or "").strip() or not el.get("href"):
        raise _Refused
    attrs = {k: (v.lower() if k in ("rel", "type") else v) for k, v in el.attrib.items()}
    attrs.setdefault("rel", "alternate")
    attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
    attrs["href"] = _urljoin(reader.base, attrs["href"])
    ctx.setdefault("links", []).append(attrs)
    if attrs["rel"] == "alternate" and _map_content_type(attrs["type"]) in _HTML_TYPES:
        ctx["link"] = attrs["href"]


def _text_link(reader: _Reader, ctx: dict[str, Any], el: Any, *, entry: bool) -> None:
    """An RSS <link>text</link>."""
    _attrs(el, _NONE)
    ctx.setdefault("links", []).append({"rel": "alternate", "type": "text/html"})
    output, _ = reader.text(el, "link", None)
    if entry:
        output = output.replace("&amp;", "&")
    if "&" in output:
        output = re.sub("&([A-Za-z0-9_]+);", r"&\g<1>", output)
    ctx["link"] = output
    if output or not entry:
        ctx["links"][-1]["href"] = output


def _title(reader: _Reader, ctx: dict[str, Any], el: Any, key: str = "title") -> None:
    if key in ctx:
        raise _Refused  # feedparser keeps the first title or the last by depth: not worth imitating
    ctype = reader.content_type(el, "text/plain")
    value, ctype = reader.text(el, key, ctype)
    ctx[key] = value
    ctx[f"{key}_detail"] = {"type": ctype}


def _id(reader: _Reader, ctx: dict[str, Any], el: Any) -> None:
    _attrs(el, frozenset({"isPermaLink"}))
    guidislink = el.get("isPermaLink", "true").lower() == "true"
    value, _ = reader.text(el, "id", None, guidislink=guidislink)
    ctx["id"] = value
    ctx.setdefault("guidislink", guidislink and "link" not in ctx)
    if guidislink:
        ctx.setdefault("link", value)


def _category(reader: _Reader, ctx: dict[str, Any], el: Any) -> None:
    _attrs(el, frozenset({"term", "scheme", "domain", "label"}))
    tags: list[dict[str, Any]] = ctx.setdefault("tags", [])

    def add(term: Any, scheme: Any, label: Any) -> None:
        if not term and not scheme and not label:
            return
        value = {"term": term, "scheme": scheme, "label": label}
        if value not in tags:
            tags.append(value)

    add(el.get("term"), el.get("scheme", el.get("domain")), el.get("label"))
    value, _ = reader.text(el, "category", None)
    if not value:
        return
    if tags and not tags[-1]["term"]:
        tags[-1]["term"] = value
    else:
        add(value, None, None)


def _author_text(reader: _Reader, ctx: dict[str, Any], el: Any) -> None:
    """dc:creator (or RSS <author>): one author whose name is the element's text."""
    _attrs(el, _NONE)
    value, _ = reader.text(el, "author", None)
    if _EMAIL.search(value) or "(" in value:
        raise _Refused  # feedparser takes an e-mail out of the name its own way
    detail: dict[str, Any] = {}
    ctx.setdefault("authors", []).append(detail)
    ctx["author"] = value
    if value:
        ctx.setdefault("author_detail", detail)
        detail["name"] = value


def _atom_author(reader: _Reader, ctx: dict[str, Any], el: Any) -> None:
    _attrs(el, _NONE)
    if (el.text or "").strip():
        raise _Refused
    detail: dict[str, Any] = {}
    for child in el:
        if child.tag == f"{{{_ARXIV}}}affiliation" and not len(child) and not child.attrib:
            continue  # filed under a key nothing reads
        if len(child) or child.attrib:
            raise _Refused
        if child.tag == f"{{{_ATOM}}}name" and "name" not in detail:
            # feedparser keeps a <name> as parsed (no text pass): pushed without expecting text.
            detail["name"] = (child.text or "").strip()
        elif child.tag != f"{{{_ATOM}}}uri":
            raise _Refused
    if not detail.get("name"):
        raise _Refused
    ctx.setdefault("authors", []).append(detail)
    ctx["author"] = detail["name"]


def _date(reader: _Reader, ctx: dict[str, Any], el: Any, key: str) -> None:
    _attrs(el, _NONE)
    value, _ = reader.text(el, key, None)
    ctx[key] = value
    ctx[f"{key}_parsed"] = parse_date(value)


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
# The two forms feeds write nearly always, in the narrow spelling whose reading by feedparser's handlers is plain:
# RFC 822 as RSS writes it ("Tue, 16 Sep 2025 00:00:00 -0400") and W3C-DTF as Atom writes it
# ("2025-09-16T00:00:00Z"). Anything else, or a value out of range, goes to feedparser's `_parse_date`.
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
    r"(\d{2}):(\d{2}):(\d{2}) (?:([+-])(\d{2})(\d{2})|GMT|UTC|UT|Z)"
)
_W3DTF = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:Z|([+-])(\d{2}):(\d{2}))")


@functools.lru_cache(maxsize=1024)
def parse_date(value: str) -> time.struct_time | None:
    """feedparser's `_parse_date(value)`, read directly for the common forms (a feed's entries often share one date,
    hence the cache: the result is an immutable struct_time)."""
    m = _RFC822.fullmatch(value)
    if m is not None:
        day, month, year = int(m.group(1)), _MONTHS[m.group(2).lower()], int(m.group(3))
    else:
        m = _W3DTF.fullmatch(value)
        if m is None:
            return _parse_date(value)
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    sign, tz_hours, tz_minutes = m.group(7, 8, 9)
    hours, minutes = (int(tz_hours), int(tz_minutes)) if sign else (0, 0)
    if sign == "-":
        hours, minutes = -hours, -minutes
    try:
        stamp = datetime.datetime(year, month, day, int(m.group(4)), int(m.group(5)), int(m.group(6)))
        return (stamp - datetime.timedelta(minutes=minutes, hours=hours)).utctimetuple()
    except (ValueError, OverflowError):
        return _parse_date(value)


def _summary(reader: _Reader, ctx: dict[str, Any], el: Any, default: str, state: dict[str, bool]) -> None:
    if "summary" in ctx and not state["content"]:
        raise _Refused  # a second summary would become content in feedparser
    ctype = reader.content_type(el, default)
    key = "description" if not reader.atom else "summary"
    value, ctype = reader.text(el, key, ctype)
    ctx["summary"] = value
    ctx["summary_detail"] = {"type": ctype}


def _content(reader: _Reader, ctx: dict[str, Any], el: Any, default: str, state: dict[str, bool]) -> None:
    state["content"] = True
    ctype = reader.content_type(el, default)
    value, ctype = reader.text(el, "content", ctype)
    ctx.setdefault("content", []).append({"type": ctype, "value": value})
    ctx.setdefault("summary", value)


def _unknown(reader: _Reader, ctx: dict[str, Any], el: Any, prefix: str) -> None:
    """An element of a namespace feedparser does not know: filed under the document's prefix."""
    if el.prefix != prefix:
        raise _Refused
    key = f"{prefix}_{etree.QName(el).localname.lower()}"
    attrs = {k.lower(): v for k, v in el.attrib.items()}
    if attrs:
        if len(el) or any(k.startswith("{") for k in el.attrib):
            raise _Refused
        ctx[key] = attrs
        return
    ctx[key], _ = reader.text(el, key, None)


def _rights(reader: _Reader, ctx: dict[str, Any], el: Any) -> None:
    ctype = reader.content_type(el, "text/plain")
    ctx["rights"], ctype = reader.text(el, "rights", ctype)
    ctx["rights_detail"] = {"type": ctype}


def _rss_item(reader: _Reader, item: Any) -> dict[str, Any]:
    _attrs(item, _NONE)
    entry: dict[str, Any] = {}
    state = {"content": False}
    for el in item:
        tag = el.tag
        if not isinstance(tag, str):
            raise _Refused
        if tag == "title":
            _title(reader, entry, el)
        elif tag == "link":
            _text_link(reader, entry, el, entry=True)
        elif tag == "description":
            _summary(reader, entry, el, "text/html", state)
        elif tag == "guid":
            _id(reader, entry, el)
        elif tag == "category":
            _category(reader, entry, el)
        elif tag == "pubDate":
            _date(reader, entry, el, "published")
        elif tag == f"{{{_DC}}}creator":
            _author_text(reader, entry, el)
        elif tag == f"{{{_DC}}}rights":
            _rights(reader, entry, el)
        elif tag == f"{{{_DC}}}date":
            _date(reader, entry, el, "updated")
        elif tag == f"{{{_CONTENT}}}encoded":
            _content(reader, entry, el, "text/html", state)
        elif tag.startswith(f"{{{_ARXIV}}}"):
            _unknown(reader, entry, el, "arxiv")
        else:
            raise _Refused
    return entry


def _read_rss(reader: _Reader, root: Any) -> FeedData:
    if root.get("version") != "2.0" or len(root) != 1 or root[0].tag != "channel":
        raise _Refused
    out = FeedData(version="rss20")
    feed = out.feed
    for el in root[0]:
        tag = el.tag
        if not isinstance(tag, str):
            raise _Refused
        if tag == "item":
            out.entries.append(_rss_item(reader, el))
        elif tag == "title":
            _title(reader, feed, el)
        elif tag == "link":
            _text_link(reader, feed, el, entry=False)
        elif tag == f"{{{_ATOM}}}link":
            _link(reader, feed, el)
        elif tag in _RSS_CHANNEL_SKIP or tag in ("managingEditor", "skipDays", "skipHours"):
            continue
        else:
            raise _Refused
    return out


def _atom_entry(reader: _Reader, item: Any) -> dict[str, Any]:
    _attrs(item, _NONE)
    entry: dict[str, Any] = {}
    state = {"content": False}
    for el in item:
        tag = el.tag
        if not isinstance(tag, str):
            raise _Refused
        if not tag.startswith(f"{{{_ATOM}}}"):
            if tag.startswith(f"{{{_ARXIV}}}"):
                _unknown(reader, entry, el, "arxiv")
                continue
            raise _Refused
        local = tag[len(_ATOM) + 2 :]
        if local == "title":
            _title(reader, entry, el)
        elif local == "id":
            _id(reader, entry, el)
        elif local == "link":
            _link(reader, entry, el)
        elif local == "summary":
            _summary(reader, entry, el, "text/plain", state)
        elif local == "content":
            _content(reader, entry, el, "text/plain", state)
        elif local in ("published", "updated"):
            _date(reader, entry, el, local)
        elif local == "author":
            _atom_author(reader, entry, el)
        elif local == "category":
            _category(reader, entry, el)
        elif local == "rights":
            _rights(reader, entry, el)
        else:
            raise _Refused
    return entry


def _read_atom(reader: _Reader, root: Any) -> FeedData:
    _attrs(root, frozenset({"{http://www.w3.org/XML/1998/namespace}lang"}))
    out = FeedData(version="atom10")
    feed = out.feed
    for el in root:
        tag = el.tag
        if not isinstance(tag, str):
            raise _Refused
        if tag == f"{{{_ATOM}}}entry":
            out.entries.append(_atom_entry(reader, el))
        elif tag == f"{{{_ATOM}}}title":
            _title(reader, feed, el)
        elif tag == f"{{{_ATOM}}}link":
            _link(reader, feed, el)
        elif tag == f"{{{_ATOM}}}id":
            _id(reader, feed, el)
        elif tag == f"{{{_ATOM}}}author":
            continue
        elif tag.startswith(f"{{{_ATOM}}}") and tag[len(_ATOM) + 2 :] in _ATOM_FEED_SKIP:
            if len(el) and tag != f"{{{_ATOM}}}author":
                raise _Refused
        elif tag.startswith(f"{{{_OPENSEARCH}}}"):
            _unknown(reader, feed, el, "opensearch")
        else:
            raise _Refused
    return out


def read_fast(data: bytes, *, headers: Mapping[str, str] | None = None) -> FeedData | None:
    """The feed and entry mappings feedparser would make of `data`, or None when feedparser must read it.

    `headers` are the response headers as `parse_feed` hands them to feedparser (lower-case names)."""
    headers = headers or {}
    if not _acceptable_bytes(data, headers):
        return None
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.getroottree().docinfo.doctype or not isinstance(root.tag, str):
        return None
    contentloc = headers.get("content-location", "")
    base = make_safe_absolute_uri("", contentloc) or make_safe_absolute_uri(contentloc) or ""
    try:
        if root.tag == "rss":
            return _read_rss(_Reader(base, atom=False), root)
        if root.tag == f"{{{_ATOM}}}feed":
            return _read_atom(_Reader(base, atom=True), root)
    except _Refused:
        return None
    return None
