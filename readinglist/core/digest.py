"""The daily digest: the best of the new papers since the previous digest, by the user's own taste, rules and the
authors they follow, as HTML, Markdown or plain text, ready to send by email (core.mail) or write to a file.

What goes in: papers first seen since the previous digest was sent (the last day, for the first one), unread, not
dismissed, never muted, never in an earlier digest. Sections, each only when it has papers: **For you** (ranked
by the user's taste, core.taste; newest first while there is too little evidence), **From authors you follow**
(follow rules), **Trending** (the community signal). A paper is in one section only; at most `limit` papers in
all. The settings and the record of sent digests live in the library's "digest" part, so the window, the command
line and a scheduled run share them; the mail password lives in the keyring only (core.credentials).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from readinglist.core.feeds import parse_time
from readinglist.core.identity import is_web_url
from readinglist.core.models import ListFilter, is_muted, landing_url, utc_now
from readinglist.core.rules import Action
from readinglist.core.taste import community_signal, trending_why
from readinglist.core.text import shown, visible_controls

if TYPE_CHECKING:
    from readinglist.core.library import Library

PART = "digest"
SETTINGS = "settings"
SENT = "sent"
DEFAULT_LIMIT = 20
SECTIONS = ("for-you", "following", "trending")
SECTION_TITLES = {"for-you": "For you", "following": "From authors you follow", "trending": "Trending"}
FIRST_WINDOW = timedelta(days=1)  # the first digest looks back one day
SUMMARY_CHARS = 260  # about two lines of a mail client
APP_SCHEME = "readinglist"


def paper_link(key: str) -> str:
    """A link that opens the paper in readinglist where the desktop knows the scheme (readinglist.desktop)."""
    return f"{APP_SCHEME}://paper/{quote(key, safe=':')}"


@dataclass(frozen=True, slots=True)
class DigestSettings:
    limit: int = DEFAULT_LIMIT
    sections: tuple[str, ...] = SECTIONS
    at: str = "07:30"  # when the scheduled run sends it (core.schedule)
    mail: Mapping[str, Any] = field(default_factory=dict)  # core.mail.MailSettings.to_doc(); never a password

    def to_doc(self) -> dict[str, Any]:
        return {"limit": self.limit, "sections": list(self.sections), "at": self.at, "mail": dict(self.mail)}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> DigestSettings:
        doc = doc or {}
        limit = doc.get("limit", DEFAULT_LIMIT)
        sections = tuple(s for s in doc.get("sections", SECTIONS) if s in SECTIONS)
        return cls(
            limit=limit if isinstance(limit, int) and 1 <= limit <= 200 else DEFAULT_LIMIT,
            sections=sections or SECTIONS,
            at=str(doc.get("at") or "07:30"),
            mail=dict(doc.get("mail") or {}),
        )


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    title: str
    authors: tuple[str, ...]
    summary: str
    why: tuple[str, ...]
    url: str | None
    pdf_url: str | None
    app_url: str


@dataclass(frozen=True, slots=True)
class Digest:
    """One digest as it would be sent now."""

    made_at: str
    since: str
    sections: tuple[tuple[str, tuple[Entry, ...]], ...]  # (section id, entries), only sections with papers
    new_papers: int  # new papers since the previous digest, before choosing (what "14 new" says)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(e.key for _, entries in self.sections for e in entries)

    @property
    def empty(self) -> bool:
        return not self.keys

    def count(self, section: str) -> int:
        return next((len(e) for s, e in self.sections if s == section), 0)

    @property
    def subject(self) -> str:
        parts = []
        if self.count("for-you"):
            parts.append(f"{self.count('for-you')} for you")
        if self.count("following"):
            parts.append(f"{self.count('following')} from authors you follow")
        if self.count("trending"):
            parts.append(f"{self.count('trending')} trending")
        day = (parse_time(self.made_at) or datetime.now(UTC)).astimezone().strftime("%a %d %b")
        return f"Reading List, {day}: {', '.join(parts)}" if parts else f"Reading List, {day}: nothing new"


@dataclass(frozen=True, slots=True)
class SentDigest:
    id: int
    sent_at: str
    keys: tuple[str, ...]
    via: str  # "email" (to whom) or "file"
    made_at: str = ""  # when its papers were chosen: the next digest takes the papers first seen after it


# ---- the record --------------------------------------------------------------------------------------------------


def settings(lib: Library) -> DigestSettings:
    docs = lib.store.table(PART, SETTINGS)
    return DigestSettings.from_doc(next(iter(docs.values()), None))


def save_settings(lib: Library, new: DigestSettings) -> None:
    with lib.transaction():
        table = lib.store.db(PART).table(SETTINGS)
        table.truncate()
        table.insert(new.to_doc())


def sent(lib: Library) -> list[SentDigest]:
    out = []
    for doc_id, doc in lib.store.table(PART, SENT).items():
        out.append(
            SentDigest(
                int(doc_id),
                str(doc.get("sent_at", "")),
                tuple(doc.get("keys", ())),
                str(doc.get("via", "")),
                str(doc.get("made_at") or doc.get("sent_at", "")),
            )
        )
    out.sort(key=lambda d: (d.sent_at, d.id))
    return out


def record_sent(lib: Library, digest: Digest, *, via: str) -> None:
    """Remember what was sent: its papers never come again, and the next digest starts from now."""
    with lib.transaction():
        doc = {"sent_at": utc_now(), "made_at": digest.made_at, "keys": list(digest.keys), "via": via}
        lib.store.db(PART).table(SENT).insert(doc)


def sent_today(lib: Library, now: datetime | None = None) -> SentDigest | None:
    """The digest already sent today (local time), if one was."""
    today = (now or datetime.now(UTC)).astimezone().date()
    for d in reversed(sent(lib)):
        when = parse_time(d.sent_at)
        if when is not None and when.astimezone().date() == today:
            return d
    return None


# ---- choosing ----------------------------------------------------------------------------------------------------


def _summary(abstract: str) -> str:
    text = " ".join(abstract.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text[:SUMMARY_CHARS]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    if end > SUMMARY_CHARS // 2:
        return cut[: end + 1]
    return cut[: cut.rfind(" ")].rstrip(",;:") + " …"


def _web(url: str | None) -> str | None:
    """Only a web address becomes a link in a mail (never javascript:, file: or a path)."""
    return url if url and is_web_url(url) else None


def _entry(lib: Library, key: str, why: Sequence[str]) -> Entry:
    doc = lib.doc(key)
    title, authors, abstract = shown(doc)
    return Entry(
        key=key,
        title=title,
        authors=authors,
        summary=_summary(abstract),
        why=tuple(why),
        url=_web(landing_url(doc.get("arxiv_id"), doc.get("doi"), doc.get("url"))),
        pdf_url=_web(doc.get("pdf_url")),
        app_url=paper_link(key),
    )


def make_digest(lib: Library, config: DigestSettings | None = None, *, now: datetime | None = None) -> Digest:
    """The digest as it would be sent now (nothing is recorded: `record_sent` does that once it was sent)."""
    config = config or settings(lib)
    now = now or datetime.now(UTC)
    history = sent(lib)
    # From when the previous digest's papers were chosen, not when it was sent: a paper that came in while it was
    # being sent (or while its preview was open) is in the next one.
    since = history[-1].made_at if history else _stamp(now - FIRST_WINDOW)
    already = {k for d in history for k in d.keys}
    states = lib.state_docs()
    fresh = []
    for key in lib.query(view=ListFilter.ALL):  # newest first
        doc = lib.doc(key)
        if doc.get("first_seen", "") < since or key in already:
            continue
        st = states.get(key) or {}
        if st.get("read") or st.get("dismissed") or is_muted(st):
            continue  # read, not interested, muted
        fresh.append(key)
    taken: set[str] = set()
    limit = config.limit
    chosen: dict[str, list[Entry]] = {s: [] for s in SECTIONS}

    def room() -> int:
        return limit - len(taken)

    if "following" in config.sections:
        followed = lib.shown_by_rules(Action.FOLLOW)
        rules = [r for r in lib.rules() if r.enabled and r.action is Action.FOLLOW]
        for key in fresh:
            if key in followed and len(chosen["following"]) < max(1, limit // 2) and room() > 0:
                names = [r.name.removeprefix("follow ") for r in rules if _matches(r, lib.doc(key))]
                chosen["following"].append(_entry(lib, key, [f"by {n}" for n in names[:2]] or ["an author you follow"]))
                taken.add(key)
    if "trending" in config.sections:
        signal = sorted(
            (k for k in fresh if k not in taken and community_signal(lib.doc(k)) > 0),
            key=lambda k: lib.trending(k, now=now),
            reverse=True,
        )
        for key in signal[: min(max(3, limit // 5), room())]:
            chosen["trending"].append(_entry(lib, key, trending_why(lib.doc(key))))
            taken.add(key)
    if "for-you" in config.sections and room() > 0:
        rest = [k for k in fresh if k not in taken]
        model = lib.taste.model() if rest else None
        if model is not None:
            for r in model.rank(rest, limit=room(), why=3):
                chosen["for-you"].append(_entry(lib, r.key, r.why))
                taken.add(r.key)
        else:
            for key in rest[: room()]:
                chosen["for-you"].append(_entry(lib, key, ()))
                taken.add(key)
    ordered = tuple((s, tuple(chosen[s])) for s in SECTIONS if chosen[s] and s in config.sections)
    return Digest(made_at=_stamp(now), since=since, sections=ordered, new_papers=len(fresh))


def _stamp(when: datetime) -> str:
    """A time as the library stamps first_seen (microseconds, Z), so the two compare as text."""
    return when.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _matches(rule: Any, doc: Mapping[str, Any]) -> bool:
    from readinglist.core.rules import compiled

    return compiled(rule).matches(doc)


# ---- what a refresh brought ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arrival:
    """What a refresh brought, as one notification says it."""

    new: int
    for_you: int
    following: int

    @property
    def summary(self) -> str:
        return f"{self.new:,} new paper{'s' if self.new != 1 else ''}"

    @property
    def body(self) -> str:
        parts = []
        if self.for_you:
            parts.append(f"{self.for_you} for you")
        if self.following:
            parts.append(f"{self.following} from authors you follow")
        return ", ".join(parts) if parts else "in your feeds"

    @property
    def text(self) -> str:
        """ "14 new, 3 for you, 1 from authors you follow"."""
        rest = self.body if (self.for_you or self.following) else ""
        return f"{self.new:,} new" + (f", {rest}" if rest else "")


def arrival(lib: Library, keys: Sequence[str], *, top: int = DEFAULT_LIMIT) -> Arrival:
    """Of the papers a refresh brought (`keys`), those still unread and not muted; how many of them are among the
    `top` of For you, and how many are by authors the user follows."""
    states = lib.state_docs()
    fresh = [k for k in dict.fromkeys(keys) if k in lib and not (states.get(k) or {}).get("read")]
    fresh = [k for k in fresh if not is_muted(states.get(k))]
    if not fresh:
        return Arrival(0, 0, 0)
    following = len(set(fresh) & lib.shown_by_rules(Action.FOLLOW))
    for_you = 0
    model = lib.taste.model()
    if model is not None:
        best = model.rank(lib.query(view=ListFilter.FOR_YOU), limit=top, why=0)
        for_you = len(set(fresh) & {r.key for r in best})
    return Arrival(len(fresh), for_you, following)


# ---- writing it out ----------------------------------------------------------------------------------------------


def _names(authors: Sequence[str], first: int = 4) -> str:
    if len(authors) <= first:
        return ", ".join(authors)
    return ", ".join(authors[:first]) + f" and {len(authors) - first} more"


def to_text(digest: Digest) -> str:
    lines = [digest.subject, ""]
    if digest.empty:
        lines.append("Nothing new since the previous digest.")
    for section, entries in digest.sections:
        title = SECTION_TITLES[section]
        lines += [title, "=" * len(title), ""]
        for n, e in enumerate(entries, 1):
            lines.append(f"{n}. {visible_controls(e.title)}")
            if e.authors:
                lines.append(f"   {visible_controls(_names(e.authors))}")
            if e.why:
                lines.append(f"   Why: {visible_controls(', '.join(e.why))}")
            if e.summary:
                lines.append(f"   {visible_controls(e.summary)}")
            links = [u for u in (e.url, e.pdf_url) if u]
            lines.append("   " + "  ".join([*links, e.app_url]))
            lines.append("")
    lines.append("Sent by Reading List from your own library; your stars and rules chose these papers.")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    # Every character Markdown would read as markup, and "<", which a viewer would take for HTML (a feed's title
    # may hold <script> or <img onerror=...>): all kept as text.
    out = visible_controls(text).replace("\\", "\\\\")
    for c in "*_[]`<>#":
        out = out.replace(c, "\\" + c)
    return out


def to_markdown(digest: Digest) -> str:
    lines = [f"# {_md(digest.subject)}", ""]
    if digest.empty:
        lines.append("Nothing new since the previous digest.")
    for section, entries in digest.sections:
        lines += [f"## {SECTION_TITLES[section]}", ""]
        for e in entries:
            link = e.url or e.app_url
            lines.append(f"- **[{_md(e.title)}](<{link}>)**" + (f"  \n  {_md(_names(e.authors))}" if e.authors else ""))
            if e.why:
                lines.append(f"  *Why: {_md(', '.join(e.why))}*")
            if e.summary:
                lines.append(f"  {_md(e.summary)}")
            links = ([f"[PDF](<{e.pdf_url}>)"] if e.pdf_url else []) + [f"[Open in Reading List](<{e.app_url}>)"]
            lines.append("  " + " · ".join(links))
            lines.append("")
    return "\n".join(lines) + "\n"


_STYLE = {
    "body": "margin:0;padding:0;background:#f4f4f5;",
    "wrap": "max-width:640px;margin:0 auto;padding:24px 16px;font-family:-apple-system,'Segoe UI',Roboto,"
    "'Helvetica Neue',Arial,sans-serif;color:#1f2328;font-size:15px;line-height:1.45;",
    "h1": "font-size:20px;margin:0 0 4px 0;",
    "lead": "color:#57606a;margin:0 0 20px 0;font-size:13px;",
    "h2": "font-size:16px;margin:24px 0 8px 0;padding-bottom:4px;border-bottom:1px solid #d0d7de;",
    "card": "background:#ffffff;border:1px solid #d0d7de;border-radius:8px;padding:12px 14px;margin:0 0 10px 0;",
    "title": "font-size:16px;font-weight:600;color:#0b57d0;text-decoration:none;",
    "authors": "color:#57606a;font-size:13px;margin:2px 0 6px 0;",
    "why": "color:#8250df;font-size:13px;margin:0 0 6px 0;",
    "summary": "margin:0 0 8px 0;",
    "links": "font-size:13px;",
    "link": "color:#0b57d0;text-decoration:none;",
    "foot": "color:#57606a;font-size:12px;margin-top:24px;",
}


def to_html(digest: Digest, *, cards: bool = True) -> str:
    """The digest as an HTML mail (inline styles, one column, what mail clients draw alike). `cards=False`: without
    the boxes around papers, for Qt's rich text, which draws a box's background behind each of its lines."""

    def e(text: str) -> str:
        return html.escape(visible_controls(text), quote=True)

    s = dict(_STYLE)
    if not cards:
        s["card"] = "margin:0 0 14px 0;"
        s["body"] = ""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(digest.subject)}</title></head>",
        f'<body style="{s["body"]}"><div style="{s["wrap"]}">',
        f'<h1 style="{s["h1"]}">{e(digest.subject)}</h1>',
        f'<p style="{s["lead"]}">{digest.new_papers:,} new papers since the previous digest; the best of them, '
        "chosen on your machine by what you star, note and follow.</p>",
    ]
    if digest.empty:
        parts.append("<p>Nothing new since the previous digest.</p>")
    for section, entries in digest.sections:
        parts.append(f'<h2 style="{s["h2"]}">{e(SECTION_TITLES[section])}</h2>')
        for entry in entries:
            link = entry.url or entry.app_url
            parts.append(f'<div style="{s["card"]}">')
            parts.append(f'<a href="{e(link)}" style="{s["title"]}">{e(entry.title)}</a>')
            if entry.authors:
                parts.append(f'<div style="{s["authors"]}">{e(_names(entry.authors))}</div>')
            if entry.why:
                parts.append(f'<div style="{s["why"]}">Why: {e(" · ".join(entry.why))}</div>')
            if entry.summary:
                parts.append(f'<p style="{s["summary"]}">{e(entry.summary)}</p>')
            links = []
            if entry.url:
                label = "arXiv" if "arxiv.org" in entry.url else "Paper"
                links.append(f'<a href="{e(entry.url)}" style="{s["link"]}">{label}</a>')
            if entry.pdf_url:
                links.append(f'<a href="{e(entry.pdf_url)}" style="{s["link"]}">PDF</a>')
            links.append(f'<a href="{e(entry.app_url)}" style="{s["link"]}">Open in Reading List</a>')
            parts.append(f'<div style="{s["links"]}">{" &nbsp;·&nbsp; ".join(links)}</div></div>')
    parts.append(
        f'<p style="{s["foot"]}">Sent by Reading List from your own library. Change what comes here with stars, '
        "rules and followed authors; change when in Preferences or with <code>readinglist schedule</code>.</p>"
    )
    parts.append("</div></body></html>")
    return "\n".join(parts) + "\n"


FORMATS = {"html": to_html, "markdown": to_markdown, "text": to_text}


def with_limit(config: DigestSettings, limit: int | None) -> DigestSettings:
    return config if limit is None else replace(config, limit=limit)
