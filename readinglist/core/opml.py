"""Subscription lists in and out: OPML import (listparser, folders as groups) and export for other readers.

listparser is lenient by design (it reads HTML-ish OPML without complaint), so a file is first checked to be
well-formed XML: a truncated export would otherwise import silently half its feeds. The check uses expat with
entity declarations refused, so no entity trick (external entities, billion laughs) reaches listparser.
"""

from __future__ import annotations

import codecs
import re
import xml.parsers.expat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import listparser

from readinglist.core.credentials import CredentialStore
from readinglist.core.errors import SubscriptionError
from readinglist.core.feeds import Feed, FeedRegistry, FeedSpec, subscribe
from readinglist.core.files import read_capped
from readinglist.core.identity import is_web_url
from readinglist.core.text import one_line

MAX_OPML_BYTES = 10 * 1024 * 1024


class OpmlError(SubscriptionError):
    """An OPML file that cannot be imported, worded for the user; nothing was imported."""


@dataclass(frozen=True, slots=True)
class OpmlImportResult:
    added: tuple[Feed, ...]
    skipped: tuple[tuple[str, str], ...]  # (url or title, reason)
    warnings: tuple[str, ...] = ()

    def summary(self) -> str:
        groups = {f.group for f in self.added if f.group}
        text = f"{len(self.added)} feed{'s' if len(self.added) != 1 else ''} added"
        if groups:
            text += f" in {len(groups)} group{'s' if len(groups) != 1 else ''}"
        if self.skipped:
            text += f", {len(self.skipped)} skipped (duplicates or unusable addresses)"
        return text


_XML_DECL_ENCODING = re.compile(rb"^<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")


def _to_utf8(data: bytes, name: str) -> bytes:
    """listparser decodes as UTF-8 only: decode by BOM or declaration first, and hand it UTF-8."""
    boms = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
    for bom, encoding in boms:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise OpmlError(f"{name}: not a readable OPML file ({exc.reason}); nothing was imported") from None
            return _drop_declared_encoding(text).encode("utf-8")
    m = _XML_DECL_ENCODING.match(data.lstrip())
    encoding = m.group(1).decode("ascii") if m else "utf-8"
    try:
        text = data.decode(encoding)
    except LookupError:
        raise OpmlError(f"{name}: declares an unknown encoding {encoding!r}; nothing was imported") from None
    except UnicodeDecodeError:
        raise OpmlError(f"{name}: is not valid {encoding} text; nothing was imported") from None
    return _drop_declared_encoding(text).encode("utf-8") if encoding.lower().replace("_", "-") != "utf-8" else data


def _drop_declared_encoding(text: str) -> str:
    return re.sub(r"^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*[\"'][^\"']*[\"']", r"\1", text, count=1)


def check_well_formed(data: bytes, name: str) -> None:
    """Raise OpmlError unless `data` is well-formed XML whose root is <opml>, without any entity declaration."""
    parser = xml.parsers.expat.ParserCreate()
    root: list[str] = []

    def refuse_entity(*_args: Any) -> None:
        raise OpmlError(f"{name}: declares XML entities, which an OPML file never needs; nothing was imported")

    def start(tag: str, _attrs: Any) -> None:
        if not root:
            root.append(tag)

    parser.EntityDeclHandler = refuse_entity
    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        reason = xml.parsers.expat.errors.messages.get(exc.code, str(exc)) if exc.code else str(exc)
        raise OpmlError(
            f"{name}: not a well-formed OPML file ({reason} at line {exc.lineno}, column {exc.offset + 1}); "
            "nothing was imported"
        ) from None
    if not root or root[0].lower() != "opml":
        found = f"<{root[0]}>" if root else "no element"
        raise OpmlError(f"{name}: not an OPML file (it starts with {found}); nothing was imported")


def read_opml(data: bytes, *, name: str = "OPML file") -> list[FeedSpec]:
    """The subscriptions in an OPML file, in order, groups from the nested folders. Raises OpmlError."""
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"{name}: larger than {MAX_OPML_BYTES // (1024 * 1024)} MB; nothing was imported")
    if not data.strip():
        raise OpmlError(f"{name}: the file is empty; nothing was imported")
    data = _to_utf8(data, name)
    check_well_formed(data, name)
    try:
        parsed = listparser.parse(data)
    except Exception as exc:  # listparser should not raise, but a bad file must stay a clean refusal
        raise OpmlError(f"{name}: could not be read ({type(exc).__name__}); nothing was imported") from None
    specs: list[FeedSpec] = []
    for entry in parsed.get("feeds") or ():
        url = entry.get("url")
        if not isinstance(url, str) or not url.strip():
            continue
        title = one_line(entry.get("title")) or None
        categories = entry.get("categories") or []
        group = "/".join(one_line(c) for c in categories[0] if one_line(c)) if categories else ""
        specs.append(FeedSpec(url=url.strip(), name=title, group=group))
    return specs


def import_opml(
    registry: FeedRegistry,
    data: bytes,
    *,
    name: str = "OPML file",
    credentials: CredentialStore | None = None,
) -> OpmlImportResult:
    """Subscribe to every feed of an OPML file in one transaction: all or nothing. Duplicates (within the file or
    of existing feeds) and unusable addresses are skipped with a reason. Credentials found in addresses go to the
    keyring (or, with none, are kept for this run) and never into the library."""
    specs = read_opml(data, name=name)
    if not specs:
        raise OpmlError(f"{name}: no feed addresses in it; nothing was imported")
    plain: list[FeedSpec] = []
    with_credentials: list[FeedSpec] = []
    for spec in specs:
        netloc = spec.url.split("://", 1)[-1].split("/", 1)[0]
        (with_credentials if "@" in netloc and is_web_url(spec.url) else plain).append(spec)
    warnings: list[str] = []
    with registry.store.transaction():
        added, skipped = registry.add_many(plain)
        for spec in with_credentials:
            try:
                sub = subscribe(registry, spec, credentials=credentials)
            except SubscriptionError as exc:
                skipped.append((spec, str(exc)))
                continue
            added.append(sub.feed)
            if sub.warning:
                warnings.append(f"{sub.feed.name}: {sub.warning}")
    return OpmlImportResult(
        added=tuple(added),
        skipped=tuple((s.name or _strip_userinfo(s.url), reason) for s, reason in skipped),
        warnings=tuple(warnings),
    )


def _strip_userinfo(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}{sep}{host.rpartition('@')[2]}{slash}{path}"


def import_opml_file(
    registry: FeedRegistry, path: Path, *, credentials: CredentialStore | None = None
) -> OpmlImportResult:
    try:
        data = read_capped(Path(path))
    except OSError as exc:
        raise OpmlError(f"{path}: {exc.strerror or exc}") from exc
    return import_opml(registry, data, name=str(path), credentials=credentials)


def export_opml(feeds: Iterable[Feed], *, title: str = "readinglist subscriptions") -> bytes:
    """OPML 2.0 that other readers import: groups become nested folders. Never any credential: stored addresses
    have none, and the type of credential a feed needs is not written either."""
    tree: dict[str, Any] = {"feeds": [], "folders": {}}
    for feed in feeds:
        node = tree
        for part in [p for p in feed.group.split("/") if p]:
            node = node["folders"].setdefault(part, {"feeds": [], "folders": {}})
        node["feeds"].append(feed)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{escape(title)}</title>",
        "  </head>",
        "  <body>",
    ]

    def emit(node: dict[str, Any], depth: int) -> None:
        pad = "  " * depth
        for folder, child in sorted(node["folders"].items(), key=lambda kv: kv[0].casefold()):
            lines.append(f"{pad}<outline text={quoteattr(folder)} title={quoteattr(folder)}>")
            emit(child, depth + 1)
            lines.append(f"{pad}</outline>")
        for feed in sorted(node["feeds"], key=lambda f: f.name.casefold()):
            attrs = [
                f"type={quoteattr('rss')}",
                f"text={quoteattr(feed.name)}",
                f"title={quoteattr(feed.name)}",
                f"xmlUrl={quoteattr(feed.url)}",
            ]
            if feed.site_url:
                attrs.append(f"htmlUrl={quoteattr(feed.site_url)}")
            lines.append(f"{pad}<outline {' '.join(attrs)}/>")

    emit(tree, 2)
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")
