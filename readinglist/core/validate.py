"""Records that come from outside the library (an archive's papers, states and subscriptions), held to the rules the
library's own records follow before any of them is written.

A library trusts its own documents: every list row, export and window pane reads them without checking types. So a
record from another file is checked field by field against what the importer, the state setters and the feed
registry would have written: text is text, lists hold text, times are ISO strings, identifiers match their
scheme, links are web addresses. A record that breaks a rule is skipped whole and named; a link that is not a web
address is dropped from a record that is otherwise sound, as the importer drops one from a feed, and named too.
Fields no readinglist writes are left out (nothing here could say what they may hold).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from readinglist.core.errors import SubscriptionError
from readinglist.core.feeds import ANNOUNCE_TYPES, MIN_INTERVAL, Feed, normalize_feed_url, parse_time
from readinglist.core.identity import is_web_url, normalize_doi, parse_arxiv_id
from readinglist.core.sources import FeedKind

Doc = dict[str, Any]

NAME_SHOWN = 60  # characters of a record's name or a bad value shown in a message


class RecordError(ValueError):
    """One record breaks a rule; the message says which, in words for the user."""


@dataclass(frozen=True, slots=True)
class Checked:
    """What checking one record gave: the record to write (None when it is skipped), why it was skipped, and the
    links taken out of it."""

    doc: Doc | None
    problem: str | None = None
    dropped: tuple[str, ...] = ()


def quoted(value: Any, limit: int = NAME_SHOWN) -> str:
    """A value as a message quotes it: repr (control characters escaped), cut to `limit` characters."""
    text = value if isinstance(value, str) else repr(value)
    cut = text[:limit] + "…" if len(text) > limit else text
    return repr(cut) if isinstance(value, str) else cut


# ---- single fields ------------------------------------------------------------------------------------------------


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise RecordError(f"{name} is not text")
    return value


def _texts(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecordError(f"{name} is not a list of text")
    return list(value)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise RecordError(f"{name} is not true or false")
    return value


def _count(name: str, value: Any, *, least: int = 0, most: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < least or (most is not None and value > most):
        bounds = f"from {least} to {most}" if most is not None else f"of at least {least}"
        raise RecordError(f"{name} is not a whole number {bounds}")
    return value


def _time(name: str, value: Any) -> str:
    """An ISO 8601 time, as every stamp and date readinglist writes (they are compared as text)."""
    if not isinstance(value, str) or parse_time(value) is None:
        raise RecordError(f"{name} {quoted(value)} is not a time")
    return value


def arxiv_id_ok(value: Any) -> bool:
    """An arXiv id as the library stores one: canonical, without its version (`2401.01234`, `hep-ex/0307015`)."""
    if not isinstance(value, str):
        return False
    parsed = parse_arxiv_id(value)
    return parsed is not None and parsed.version is None and parsed.id == value


def doi_ok(value: Any) -> bool:
    """A DOI as the library stores one: in its canonical form (lower case, no resolver)."""
    return isinstance(value, str) and bool(value) and normalize_doi(value) == value


def _arxiv_id(name: str, value: Any) -> str:
    if not arxiv_id_ok(value):
        raise RecordError(f"{name} {quoted(value)} is not an arXiv id")
    return str(value)


def _doi(name: str, value: Any) -> str:
    if not doi_ok(value):
        raise RecordError(f"{name} {quoted(value)} is not a DOI")
    return str(value)


_WEB_KEY = re.compile(r"^web:[0-9a-f]{12}$")


def paper_key_ok(value: Any) -> bool:
    """A key as `identity.make_key` makes them: arxiv:ID, doi:DOI or web:HASH."""
    if not isinstance(value, str):
        return False
    scheme, _, rest = value.partition(":")
    if scheme == "arxiv":
        return arxiv_id_ok(rest)
    if scheme == "doi":
        return doi_ok(rest)
    return bool(_WEB_KEY.match(value))


def alias_ok(value: Any) -> bool:
    """An identifier as `identity.aliases` makes them."""
    if not isinstance(value, str):
        return False
    scheme, _, rest = value.partition(":")
    if scheme == "arxiv":
        return arxiv_id_ok(rest)
    if scheme == "doi":
        return doi_ok(rest)
    return scheme in ("url", "guid") and bool(rest.strip())


def _aliases(name: str, value: Any) -> list[str]:
    aliases = _texts(name, value)
    bad = next((a for a in aliases if not alias_ok(a)), None)
    if bad is not None:
        raise RecordError(f"{name} holds {quoted(bad)}, which is not an identifier")
    return aliases


# Extra fields the importer fills with a link; any other extra value that is an address (scheme://...) or a
# script (javascript:) must be a web address too.
_EXTRA_LINKS = frozenset({"license", "code_repository", "project_page"})
_LINKISH = re.compile(r"^\s*(?:[A-Za-z][A-Za-z0-9+.-]*://|(?:javascript|vbscript)\s*:)", re.IGNORECASE)


def _extra(value: Any, dropped: list[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RecordError("extra is not a set of named values")
    out: dict[str, Any] = {}
    for name, item in value.items():
        if item is None:
            continue
        if not isinstance(item, str | int | float | bool):
            raise RecordError(f"extra {quoted(name)} is not text or a number")
        if isinstance(item, str) and (name in _EXTRA_LINKS or _LINKISH.match(item)) and not is_web_url(item):
            dropped.append(f"extra {quoted(name)} {quoted(item)}")
            continue
        out[name] = item
    return out


def _link(name: str, value: Any, dropped: list[str]) -> bool:
    """Whether a link is kept: text that is not a web address is dropped (and named, unless it is empty), as the
    importer drops such links from a feed; anything but text makes the record damaged."""
    if not isinstance(value, str):
        raise RecordError(f"{name} is not text")
    if is_web_url(value):
        return True
    if value:
        dropped.append(f"{name} {quoted(value)}")
    return False


# ---- records -----------------------------------------------------------------------------------------------------

Rule = Callable[[str, Any], Any]

PAPER_RULES: Mapping[str, Rule] = {
    "title": _text,
    "abstract": _text,
    "journal_ref": _text,
    "authors": _texts,
    "categories": _texts,
    "feeds": _texts,
    "ids": _aliases,
    "arxiv_id": _arxiv_id,
    "arxiv_version": lambda n, v: _count(n, v, least=1),
    "doi": _doi,
    "published": _time,
    "updated": _time,
    "first_seen": _time,
    "content_updated": _time,
}
PAPER_LINKS = ("url", "pdf_url")


def check_paper(doc: Any) -> Checked:
    """A paper document from another library, as this one may store it (its reading, `shown`, is always made
    again from its text: it is left out)."""
    if not isinstance(doc, dict):
        return Checked(None, "it is not a record")
    key = doc.get("key")
    if not paper_key_ok(key):
        return Checked(None, f"its key {quoted(key)} is not a paper key" if key is not None else "it has no key")
    out: Doc = {"key": key}
    dropped: list[str] = []
    try:
        for name, value in doc.items():
            if value is None or name in ("key", "shown"):
                continue
            rule = PAPER_RULES.get(name)
            if rule is not None:
                out[name] = rule(name, value)
            elif name in PAPER_LINKS:
                if _link(name, value, dropped):
                    out[name] = value
            elif name == "extra":
                out[name] = _extra(value, dropped)
    except RecordError as exc:
        return Checked(None, str(exc))
    return Checked(out, None, tuple(dropped))


STATE_RULES: Mapping[str, Rule] = {
    "starred": _flag,
    "dismissed": _flag,
    "later": _flag,
    "later_at": _time,
    "read": _flag,
    "note": _text,
    "tags": _texts,
    "starred_at": _time,
    "dismissed_at": _time,
    "read_at": _time,
    "note_at": _time,
    "tags_at": _time,
    "muted_by": lambda n, v: _rule_ref(n, v),
    "muted_at": _time,
}


_RULE_REF = re.compile(r"^(?:kept|[A-Za-z0-9][A-Za-z0-9_.:-]{0,99})$")


def _rule_ref(name: str, value: Any) -> str:
    if not isinstance(value, str) or not (value == "" or _RULE_REF.match(value)):
        raise RecordError(f"its {name} {quoted(value)} does not name a rule")
    return value


def check_state(doc: Any) -> Checked:
    """A state document (star, read mark, note, tags and when each changed) from another library."""
    if not isinstance(doc, dict):
        return Checked(None, "it is not a record")
    key = doc.get("key")
    if not isinstance(key, str) or not key:
        return Checked(None, "it names no paper")
    out: Doc = {"key": key}
    try:
        for name, value in doc.items():
            rule = STATE_RULES.get(name)
            if rule is not None and value is not None:
                out[name] = rule(name, value)
    except RecordError as exc:
        return Checked(None, str(exc))
    return Checked(out)


def _feed_kind(name: str, value: Any) -> str:
    if value not in {k.value for k in FeedKind}:
        known = ", ".join(k.value for k in FeedKind)
        raise RecordError(f"{name} {quoted(value)} is not a kind of subscription ({known})")
    return str(value)


def _announce_types(name: str, value: Any) -> list[str]:
    types = _texts(name, value)
    bad = [t for t in types if t not in ANNOUNCE_TYPES]
    if bad:
        raise RecordError(f"{name} holds {quoted(bad[0])}, which is not an arXiv announce type")
    return types


_FEED_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")


def _feed_id(name: str, value: Any) -> str:
    if not isinstance(value, str) or not _FEED_ID.match(value):
        raise RecordError(f"its id {quoted(value)} is not a subscription id")
    return value


def _feed_name(name: str, value: Any) -> str:
    if not _text(name, value).strip():
        raise RecordError(f"its {name} is empty")
    return str(value)


def _optional(rule: Rule) -> Rule:
    """A rule for a field that may hold None (stored subscriptions write every field)."""
    return lambda name, value: None if value is None else rule(name, value)


FEED_RULES: Mapping[str, Rule] = {
    "id": _feed_id,
    "name": _feed_name,
    "kind": _feed_kind,
    "group": _text,
    "interval": lambda n, v: _count(n, v, least=MIN_INTERVAL),
    "announce_types": _optional(_announce_types),
    "max_results": _optional(lambda n, v: _count(n, v, least=1, most=2000)),
    "auth": _text,
    "named_by_user": _flag,
    "added": lambda n, v: _time(n, v) if v else _text(n, v),
    "title": _text,
    "etag": _optional(_text),
    "last_modified": _optional(_text),
    "last_attempt": _optional(_time),
    "last_success": _optional(_time),
    "last_error": _optional(_text),
    "failures": _count,
    "next_due": _optional(_time),
    "retry_until": _optional(_time),
    "last_new": _count,
    "notify": _flag,
}
# Every field of `Feed` has a rule here or below (url, site_url): tests/core/test_archive_validation.py checks it,
# so that a new field cannot come in from an archive unchecked.
FEED_LINKS = ("url", "site_url")


def _feed_url(doc: Mapping[str, Any]) -> str:
    """The address as the registry would have stored it: a web address (never file:, javascript: or a path) that
    `feeds.normalize_feed_url` leaves as it is, without credentials in it (those live in the keyring)."""
    url = doc.get("url")
    if not isinstance(url, str) or not is_web_url(url):
        raise RecordError(f"its address {quoted(url)} is not a web address")
    kind = FeedKind(_feed_kind("kind", doc.get("kind", FeedKind.RSS.value)))
    try:
        normalized, _ = normalize_feed_url(url, kind)
    except SubscriptionError:
        raise RecordError(f"its address {quoted(url)} is not a web address") from None
    if normalized != url:
        raise RecordError(f"its address {quoted(url)} is not a feed address")
    if "@" in url.split("://", 1)[1].split("/", 1)[0]:
        raise RecordError("its address holds credentials")
    return url


def check_subscription(doc: Any) -> Checked:
    """A subscription (a document of the "feeds" part's "feeds" table) from another library."""
    if not isinstance(doc, dict):
        return Checked(None, "it is not a record")
    out: Doc = {}
    dropped: list[str] = []
    try:
        for name in ("id", "name", "url"):
            if name not in doc:
                raise RecordError(f"it has no {name}")
        for name, value in doc.items():
            rule = FEED_RULES.get(name)
            if rule is not None:
                out[name] = rule(name, value)
            elif name == "url":
                out[name] = _feed_url(doc)
            elif name == "site_url":
                out[name] = value if value is None or _link(name, value, dropped) else None
        Feed.from_doc(out)  # what every reader of the registry does with it
    except RecordError as exc:
        return Checked(None, str(exc))
    except (TypeError, ValueError) as exc:  # Feed itself refuses it: skipped rather than guessed at
        return Checked(None, f"it is not a subscription ({exc})")
    return Checked(out, None, tuple(dropped))


def subscription_name(doc: Any, position: int) -> str:
    """How a message names a subscription record: by name, else id, else its place in the file."""
    if isinstance(doc, dict):
        for name in ("name", "id", "url"):
            value = doc.get(name)
            if isinstance(value, str) and value.strip():
                return f"subscription {quoted(value)}"
    return f"subscription #{position}"


def paper_name(doc: Any, position: int) -> str:
    key = doc.get("key") if isinstance(doc, dict) else None
    return f"paper {quoted(key)}" if isinstance(key, str) and key else f"paper #{position}"


def state_name(doc: Any, position: int) -> str:
    key = doc.get("key") if isinstance(doc, dict) else None
    return f"your state on {quoted(key)}" if isinstance(key, str) and key else f"state #{position}"


def check_rule_doc(doc: Any) -> Checked:
    """A rule (a document of the "rules" part) from another library: the rule as `rules add` would have made it
    (a pattern that could hang every refresh is refused like one typed by hand)."""
    from readinglist.core.rules import Rule, RuleError, check_rule

    if not isinstance(doc, dict):
        return Checked(None, "it is not a record")
    try:
        if not isinstance(doc.get("id"), str) or not _FEED_ID.match(doc["id"]):
            raise RecordError(f"its id {quoted(doc.get('id'))} is not a rule id")
        conditions = doc.get("conditions")
        if not isinstance(conditions, list) or not all(
            isinstance(c, dict) and isinstance(c.get("field"), str) and isinstance(c.get("value"), str)
            for c in conditions
        ):
            raise RecordError("its conditions are not a list of field and value")
        for name in ("name", "tag", "created", "changed"):
            if name in doc and doc[name] is not None:
                _text(name, doc[name])
        if not isinstance(doc.get("enabled", True), bool):
            raise RecordError("its enabled is not yes or no")
        rule = check_rule(Rule.from_doc(doc))
    except RecordError as exc:
        return Checked(None, str(exc))
    except RuleError as exc:
        return Checked(None, str(exc))
    except (KeyError, TypeError, ValueError) as exc:
        return Checked(None, f"it is not a rule ({exc})")
    return Checked(rule.to_doc())


def rule_name(doc: Any, position: int) -> str:
    name = doc.get("name") if isinstance(doc, dict) else None
    return f"rule {quoted(name)}" if isinstance(name, str) and name.strip() else f"rule #{position}"


_HHMM = re.compile(r"^\d{1,2}:\d{2}$")


def check_digest_settings(doc: Any) -> Checked:
    """The digest's settings from another library: counts are counts, the mail settings read as `mail.MailSettings`
    (a CA file that is not on this machine is the user's to fix; it is not checked here)."""
    from readinglist.core.digest import SECTIONS
    from readinglist.core.mail import MailError, MailSettings

    if not isinstance(doc, dict):
        return Checked(None, "it is not a record")
    try:
        out: Doc = {"limit": _count("limit", doc.get("limit", 20), least=1, most=200)}
        sections = _texts("sections", doc.get("sections", list(SECTIONS)))
        if any(x not in SECTIONS for x in sections):
            raise RecordError(f"its sections {quoted(sections)} are not digest sections")
        out["sections"] = sections
        at = doc.get("at", "07:30")
        if not isinstance(at, str) or not _HHMM.match(at):
            raise RecordError(f"its time {quoted(at)} is not a time of day")
        out["at"] = at
        mail = doc.get("mail") or {}
        if not isinstance(mail, dict):
            raise RecordError("its mail settings are not a record")
        if mail:
            for name in ("host", "username", "sender", "security"):
                if name in mail and not isinstance(mail[name], str):
                    raise RecordError(f"its mail {name} is not text")
            out["mail"] = MailSettings.from_doc(mail).to_doc()
        else:
            out["mail"] = {}
    except RecordError as exc:
        return Checked(None, str(exc))
    except (MailError, TypeError, ValueError) as exc:
        return Checked(None, f"its mail settings do not read ({exc})")
    return Checked(out)


def check_sent_digest(doc: Any) -> Checked:
    """One sent digest from another library's record: when, which papers, how."""
    if not isinstance(doc, dict):
        return Checked(None, "it is not a record")
    try:
        out: Doc = {
            "sent_at": _time("sent_at", doc.get("sent_at")),
            "made_at": _time("made_at", doc.get("made_at") or doc.get("sent_at")),
            "keys": [k for k in _texts("keys", doc.get("keys", [])) if paper_key_ok(k)],
            "via": _text("via", doc.get("via", "")),
        }
    except RecordError as exc:
        return Checked(None, str(exc))
    return Checked(out)
