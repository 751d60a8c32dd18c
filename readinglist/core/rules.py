"""Rules: what the user decided once about papers like these, applied to every paper that comes in.

A rule is a few conditions (all must hold) and one action:

- **mute**: the paper is marked read by the rule and leaves Inbox, For you, Today and Trending; it stays in All
  papers, its feed, its tags and search, and says which rule muted it. A starred paper is never muted, and a paper
  the user kept unread by hand (marked unread after reading) is left alone: state the user set wins.
  Turning the rule off (or removing it) takes the mute back, and the read mark with it when the rule set it.
- **tag** and **star**: written into the user's state once, as if by hand, at import and when the rule is added
  or changed; turning the rule off stops it for new papers and leaves what it did.
- **highlight** and **follow**: nothing is written; the window marks highlighted papers, and "Authors I follow"
  lists the papers followed rules match (a followed author is a rule on `author`).

Conditions read the paper as the user sees it (TeX read as Unicode). Words match as word prefixes in text folded
for case and accents, like search ("survey" finds "Surveys"); several comma-separated phrases are alternatives;
a value written `/like this/` is a regular expression (case-insensitive). `author` is a person (core.people):
"Benoît Sagot" finds "B. Sagot" and "Sagot, Benoît". `category` names arXiv categories ("cs.CL", or "cs." for a
whole archive), `feed` a subscription, `announce` arXiv announce types ("replace").

Rules live in the library's "rules" part, so they travel in backups, archives and merges.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from readinglist.core.errors import ReadingListError
from readinglist.core.papers import RULES
from readinglist.core.text import fold, has_tex, shown, tex_to_unicode

PART = TABLE = RULES  # (named in `core.papers`, with the other parts: a library without rules needs no rules module)
MAX_VALUE = 500  # characters in one condition's value
MAX_CONDITIONS = 12


class RuleError(ReadingListError):
    """A rule that cannot be made as asked (a bad regular expression, an unknown field, no such rule)."""


class Action(enum.Enum):
    MUTE = "mute"
    TAG = "tag"
    STAR = "star"
    HIGHLIGHT = "highlight"
    FOLLOW = "follow"

    @property
    def writes_state(self) -> bool:
        """Whether the action changes the user's state (mute, tag, star) or only how papers are shown."""
        return self in (Action.MUTE, Action.TAG, Action.STAR)


# Field -> how a sentence names it.
FIELDS: Mapping[str, str] = {
    "text": "title or abstract",
    "title": "title",
    "abstract": "abstract",
    "authors": "authors",
    "author": "author",
    "category": "category",
    "feed": "feed",
    "announce": "announce type",
}


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    value: str

    @property
    def is_regex(self) -> bool:
        return (
            self.field in _TEXT_FIELDS
            and len(self.value) > 2
            and self.value.startswith("/")
            and self.value.endswith("/")
        )

    def describe(self, feed_names: Mapping[str, str] | None = None) -> str:
        name = FIELDS.get(self.field, self.field)
        if self.is_regex:
            return f"{name} matches {self.value}"
        if self.field == "author":
            return f"author is {self.value}"
        if self.field == "feed":
            return f"feed is {(feed_names or {}).get(self.value, self.value)}"
        alternatives = [a.strip() for a in self.value.split(",") if a.strip()]
        said = " or ".join(f"“{a}”" for a in alternatives)
        if self.field in ("category", "announce"):
            return f"{name} is {said}"
        return f"{name} has {said}"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    conditions: tuple[Condition, ...]
    action: Action
    tag: str = ""  # the tag a TAG rule gives
    enabled: bool = True
    created: str = ""
    changed: str = ""

    def describe(self, feed_names: Mapping[str, str] | None = None) -> str:
        """'mute papers whose title has “survey”' — the rule as a sentence."""
        when = " and ".join(c.describe(feed_names) for c in self.conditions)
        what = {
            Action.MUTE: "mute",
            Action.TAG: f"tag “{self.tag}”",
            Action.STAR: "star",
            Action.HIGHLIGHT: "highlight",
            Action.FOLLOW: "follow",
        }[self.action]
        return f"{what} papers whose {when}" if when else what

    def to_doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "conditions": [{"field": c.field, "value": c.value} for c in self.conditions],
            "action": self.action.value,
            "tag": self.tag,
            "enabled": self.enabled,
            "created": self.created,
            "changed": self.changed,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Rule:
        return cls(
            id=str(doc["id"]),
            name=str(doc.get("name") or doc["id"]),
            conditions=tuple(Condition(str(c["field"]), str(c["value"])) for c in doc.get("conditions", ())),
            action=Action(doc.get("action", "mute")),
            tag=str(doc.get("tag") or ""),
            enabled=bool(doc.get("enabled", True)),
            created=str(doc.get("created") or ""),
            changed=str(doc.get("changed") or ""),
        )


def follow_rule_name(person: str) -> str:
    """The name of the rule that follows a person (`readinglist follow`, the window's Follow)."""
    return f"follow {' '.join(person.split())}"


def follow_rules(rules: Sequence[Rule], person: str) -> list[Rule]:
    """The rules that follow `person` (by the name `follow_rule_name` gives them), whatever else they narrow to."""
    name = follow_rule_name(person).casefold()
    return [r for r in rules if r.action is Action.FOLLOW and r.name.casefold() == name]


def describe_change(change: Any, rule: Rule | None = None) -> str:
    """ "Muted 41 papers by rule “no surveys”" — what a change of the rules (a StateChange) did, in one sentence."""
    by = f" by rule “{rule.name}”" if rule is not None else ""
    pairs = list(zip(change.before, change.after, strict=True))
    parts = []
    if change.muted:
        parts.append(f"muted {change.muted:,} paper{'s' if change.muted != 1 else ''}{by}")
    if change.unmuted:
        parts.append(f"{change.unmuted:,} muted paper{'s' if change.unmuted != 1 else ''} back")
    starred = sum(1 for b, a in pairs if a.starred and not b.starred)
    tagged = sum(1 for b, a in pairs if set(a.tags) - set(b.tags))
    if starred:
        parts.append(f"starred {starred:,}")
    if tagged:
        parts.append(f"tagged {tagged:,}")
    if not parts:
        return "No paper changed"
    text = ", ".join(parts)
    return text[0].upper() + text[1:]


def new_rule_id() -> str:
    return f"r-{os.urandom(4).hex()}"


# ---- checking what the user (or an archive) gives --------------------------------------------------------------

_TEXT_FIELDS = frozenset({"text", "title", "abstract", "authors"})
# A group that repeats and holds a repetition ("(a+)+", "(\w*)*", "(a|aa)+"): the classic catastrophic shapes.
# A rule runs on every paper at every refresh, so a pattern that could take seconds on one abstract is refused.
_NESTED_REPEAT = re.compile(r"\((?:[^()\\]|\\.)*(?:[+*]|\{\d*,?\d*\}|\|)(?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d*,\d*\})")
_BACKREF = re.compile(r"\\[1-9]")


def check_condition(cond: Condition) -> Condition:
    """The condition as it will be stored, or RuleError saying what is wrong with it."""
    if cond.field not in FIELDS:
        known = ", ".join(FIELDS)
        raise RuleError(f"{cond.field!r} is not something a rule can look at ({known})")
    value = " ".join(cond.value.split()) if not cond.is_regex else cond.value.strip()
    if not value:
        raise RuleError(f"the {FIELDS[cond.field]} condition is empty")
    if len(value) > MAX_VALUE:
        raise RuleError(f"the {FIELDS[cond.field]} condition is longer than {MAX_VALUE} characters")
    cond = Condition(cond.field, value)
    if cond.is_regex:
        pattern = value[1:-1]
        if _NESTED_REPEAT.search(pattern) or _BACKREF.search(pattern):
            raise RuleError(
                f"the pattern {value} repeats a repetition (like (a+)+) or refers back to a group; such a pattern "
                "can take minutes on one abstract. Write it without the nested repeat"
            )
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise RuleError(f"the pattern {value} is not a regular expression: {exc}") from None
    elif cond.field == "author":
        from readinglist.core.people import AuthorMatcher

        try:
            AuthorMatcher(value)
        except ValueError as exc:
            raise RuleError(str(exc)) from None
    elif not any(a.strip() and _words(a) for a in value.split(",")) and cond.field in _TEXT_FIELDS:
        raise RuleError(f"the {FIELDS[cond.field]} condition {value!r} has no words to look for")
    return cond


def check_rule(rule: Rule) -> Rule:
    if not rule.name.strip():
        raise RuleError("a rule needs a name")
    if not rule.conditions:
        raise RuleError(f"rule {rule.name!r} has no condition: it would act on every paper")
    if len(rule.conditions) > MAX_CONDITIONS:
        raise RuleError(f"rule {rule.name!r} has more than {MAX_CONDITIONS} conditions")
    if rule.action is Action.TAG and not rule.tag.strip():
        raise RuleError(f"rule {rule.name!r} tags papers but names no tag")
    if rule.action is not Action.TAG and rule.tag:
        rule = replace(rule, tag="")
    return replace(
        rule,
        name=" ".join(rule.name.split()),
        tag=rule.tag.strip(),
        conditions=tuple(map(check_condition, rule.conditions)),
    )


# ---- matching ---------------------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def _words(phrase: str) -> list[str]:
    return _WORD.findall(fold(tex_to_unicode(phrase) if has_tex(phrase) else phrase))


@dataclass(slots=True)
class _View:
    """One paper's fields as the conditions read them, each worked out once and only when a condition asks."""

    doc: Mapping[str, Any]
    _shown: tuple[str, tuple[str, ...], str] | None = None
    _folded: dict[str, str] = field(default_factory=dict)

    def shown(self) -> tuple[str, tuple[str, ...], str]:
        if self._shown is None:
            self._shown = shown(self.doc)
        return self._shown

    def raw(self, name: str) -> str:
        title, authors, abstract = self.shown()
        if name == "title":
            return title
        if name == "abstract":
            return abstract
        if name == "authors":
            return "; ".join(authors)
        return f"{title}\n{abstract}"

    def lowered(self, name: str) -> str:
        key = "lower:" + name
        text = self._folded.get(key)
        if text is None:
            text = self.raw(name).lower()
            self._folded[key] = text
        return text

    def folded(self, name: str) -> str:
        text = self._folded.get(name)
        if text is None:
            if name == "text":
                text = f"{self.folded('title')}\n{self.folded('abstract')}"
            else:
                raw = self.raw(name)
                text = raw.lower() if raw.isascii() else fold(raw)
            self._folded[name] = text
        return text


Test = Callable[[_View], bool]


def required_literal(pattern: str) -> str:
    """The longest run of plain letters and digits every match of `pattern` contains, lowercased ("" when none
    can be said for sure). Only text outside groups counts; alternation anywhere gives none; escapes, classes and
    quantifiers break a run, and a letter made optional by ?, * or {...} is left out."""
    if "|" in pattern:
        return ""
    runs: list[str] = []
    current = ""
    depth = 0
    i = 0
    while i < len(pattern):
        c = pattern[i]
        nxt = pattern[i + 1] if i + 1 < len(pattern) else ""
        plain = c.isascii() and c.isalnum()
        if c == "\\":
            i += 2  # an escape: \b, \w, \. ...
        elif c == "[":
            close = pattern.find("]", i + 2)
            i = close + 1 if close != -1 else len(pattern)
        elif c == "{":
            close = pattern.find("}", i)
            i = close + 1 if close != -1 else len(pattern)
        elif c == "(":
            depth += 1
            i += 1
        elif c == ")":
            depth -= 1
            i += 1
        elif plain and depth == 0 and nxt not in ("?", "*", "{"):
            current += c
            i += 1
            if nxt != "+":
                continue
        else:
            i += 1
        runs.append(current)
        current = ""
    runs.append(current)
    return max(runs, key=len).lower()


def _condition_test(cond: Condition) -> Test:
    f = cond.field
    if cond.is_regex:
        pattern = cond.value[1:-1]
        rx = re.compile(pattern, re.IGNORECASE)
        needle = required_literal(pattern)
        if needle:
            # Most papers lack the pattern's one literal: an `in` on the lowercased text says so far faster than
            # the pattern (on ASCII text only, where lowercasing and IGNORECASE agree letter for letter).
            return lambda v: (
                ((needle in v.lowered(f)) if v.raw(f).isascii() else True) and rx.search(v.raw(f)) is not None
            )
        return lambda v: rx.search(v.raw(f)) is not None
    if f in _TEXT_FIELDS:
        phrases = [_words(a) for a in cond.value.split(",")]
        alts = "|".join(r"\W+".join(map(re.escape, words)) for words in phrases if words)
        rx = re.compile(rf"(?<!\w)(?:{alts})")
        # A literal every match must contain, to skip the regex on most papers (one `in` is far cheaper).
        needles = [words[0] for words in phrases if words]
        return lambda v: any(n in v.folded(f) for n in needles) and rx.search(v.folded(f)) is not None
    if f == "author":
        from readinglist.core.people import AuthorMatcher

        matcher = AuthorMatcher(cond.value)
        return lambda v: matcher.matches(v.shown()[1])
    alternatives = [a.strip() for a in cond.value.split(",") if a.strip()]
    if f == "category":
        exact = {a for a in alternatives if not a.endswith(".")}
        prefixes = tuple(a for a in alternatives if a.endswith("."))
        return lambda v: any(c in exact or (prefixes and c.startswith(prefixes)) for c in v.doc.get("categories") or ())
    if f == "feed":
        wanted = set(alternatives)
        return lambda v: any(s in wanted for s in v.doc.get("feeds") or ())
    if f == "announce":
        types = {a.lower() for a in alternatives}
        return lambda v: str((v.doc.get("extra") or {}).get("announce_type", "")).lower() in types
    raise RuleError(f"{f!r} is not something a rule can look at")


# The cheapest conditions first: a category or feed test rejects most papers before any text is folded.
_COST = {"feed": 0, "category": 0, "announce": 0, "author": 1, "authors": 2, "title": 2, "abstract": 3, "text": 3}


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    tests: tuple[Test, ...]

    def matches_view(self, view: _View) -> bool:
        return all(t(view) for t in self.tests)

    def matches(self, doc: Mapping[str, Any]) -> bool:
        return self.matches_view(_View(doc))


_compiled: dict[Rule, CompiledRule] = {}


def compiled(rule: Rule) -> CompiledRule:
    hit = _compiled.get(rule)
    if hit is None:
        conds = sorted(rule.conditions, key=lambda c: _COST.get(c.field, 5))
        hit = CompiledRule(rule, tuple(_condition_test(c) for c in conds))
        if len(_compiled) > 1000:
            _compiled.clear()
        _compiled[rule] = hit
    return hit


_FTS_COLUMNS = {"title": ("title",), "abstract": ("abstract",), "text": ("title", "abstract")}
_PLAIN_WORD = re.compile(r"^[a-z0-9]+$")


def indexed_phrases(rule: Rule) -> tuple[tuple[str, ...], list[list[str]]] | None:
    """For a rule with a words condition on title or abstract: the search index's columns and the phrases any
    paper the rule matches must hold, so that the index can name the few papers worth testing. None when no
    condition can be looked up so (patterns, authors, categories), or its words are not plain ASCII (the index
    folds ß and ligatures otherwise than rules do)."""
    for cond in rule.conditions:
        if cond.field not in _FTS_COLUMNS or cond.is_regex:
            continue
        phrases = [_words(a) for a in cond.value.split(",")]
        phrases = [p for p in phrases if p]
        if phrases and all(_PLAIN_WORD.match(w) for p in phrases for w in p):
            return _FTS_COLUMNS[cond.field], phrases
    return None


def matching(rule: Rule, docs: Iterable[Mapping[str, Any]]) -> list[str]:
    """Keys of the papers `rule` matches (enabled or not: `rules test` asks before turning one on)."""
    test = compiled(rule).matches
    return [doc["key"] for doc in docs if test(doc)]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the enabled rules say about one paper."""

    mutes: tuple[str, ...] = ()  # the ids of the mute rules that match, oldest first
    tags: tuple[str, ...] = ()
    star: bool = False
    highlight: bool = False
    follow: bool = False


def verdict_for(rule: Rule) -> Verdict:
    """What one rule says about a paper it matches."""
    return Verdict(
        mutes=(rule.id,) if rule.action is Action.MUTE else (),
        tags=(rule.tag,) if rule.action is Action.TAG else (),
        star=rule.action is Action.STAR,
        highlight=rule.action is Action.HIGHLIGHT,
        follow=rule.action is Action.FOLLOW,
    )


def judge(rules: Sequence[CompiledRule], doc: Mapping[str, Any]) -> Verdict:
    view = _View(doc)
    mutes: list[str] = []
    tags: list[str] = []
    star = highlight = follow = False
    for c in rules:
        action = c.rule.action
        if action is Action.TAG and c.rule.tag in tags:
            continue
        if (action is Action.STAR and star) or (action is Action.HIGHLIGHT and highlight):
            continue
        if action is Action.FOLLOW and follow:
            continue
        if not c.matches_view(view):
            continue
        if action is Action.MUTE:
            mutes.append(c.rule.id)
        elif action is Action.TAG:
            tags.append(c.rule.tag)
        elif action is Action.STAR:
            star = True
        elif action is Action.HIGHLIGHT:
            highlight = True
        else:
            follow = True
    return Verdict(tuple(mutes), tuple(tags), star, highlight, follow)


# ---- the rules of one library ------------------------------------------------------------------------------------


def rules_from_part(data: Mapping[str, Any] | None) -> list[Rule]:
    """The rules stored in a "rules" part, oldest first; a damaged record is skipped (an archive's are checked
    before they are merged, core.validate)."""
    out = []
    for doc in ((data or {}).get(TABLE) or {}).values():
        try:
            out.append(Rule.from_doc(doc))
        except (KeyError, TypeError, ValueError):
            continue
    out.sort(key=lambda r: (r.created, r.id))
    return out


def find_rule(rules: Sequence[Rule], text: str) -> Rule:
    """The rule the user named: by id, else by name (any case)."""
    tests: tuple[Callable[[Rule], bool], ...] = (
        lambda r: r.id == text,
        lambda r: r.name == text,
        lambda r: r.name.casefold() == text.casefold(),
    )
    for test in tests:
        hits = [r for r in rules if test(r)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise RuleError(f"{text!r} names {len(hits)} rules; use the id ({', '.join(r.id for r in hits)})")
    raise RuleError(f"no rule named {text!r} (see `readinglist rules list`)")
