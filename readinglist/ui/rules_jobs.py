"""Library-thread work for the Rules dialog and the people views: what a rule would do, the rules as they are, and
following an author. Qt-free, like library_jobs: functions of the Library returning plain data."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from readinglist.core.library import Library
from readinglist.core.models import StateChange, paper_date, utc_now
from readinglist.core.rules import (
    Action,
    Condition,
    Rule,
    RuleError,
    check_rule,
    follow_rule_name,
    follow_rules,
    new_rule_id,
)
from readinglist.core.text import shown_title

PREVIEW_TITLES = 6


@dataclass(frozen=True, slots=True)
class RuleList:
    rules: tuple[Rule, ...]
    descriptions: dict[str, str]  # rule id -> the rule as a sentence
    muted: dict[str, int]  # rule id -> papers it mutes now
    feeds: tuple[tuple[str, str], ...]  # (id, name) of every subscription, for the feed condition


@dataclass(frozen=True, slots=True)
class Preview:
    """What a rule being edited would do now: a sentence, and the newest titles it matches."""

    text: str
    titles: tuple[str, ...]
    problem: str = ""  # why the rule cannot be saved as it stands


def rule_list(lib: Library) -> RuleList:
    rules = tuple(lib.rules())
    names = lib.feed_names()
    muted = Counter(st.muted_by for st in (lib.state(k) for k in lib.muted_keys()))
    return RuleList(
        rules,
        {r.id: r.describe(names) for r in rules},
        dict(muted),
        tuple(sorted(names.items(), key=lambda kv: kv[1].casefold())),
    )


def preview(lib: Library, rule: Rule) -> Preview:
    try:
        rule = check_rule(rule)
    except RuleError as exc:
        return Preview("", (), str(exc))
    keys = lib.rules_matching(rule)
    keys.sort(key=lambda k: paper_date(lib.doc(k)), reverse=True)
    titles = tuple(shown_title(lib.doc(k)) for k in keys[:PREVIEW_TITLES])
    if rule.action is Action.MUTE:
        states = [lib.state(k) for k in keys]
        mutes = sum(1 for s in states if s.mutable or s.muted)
        spared = len(keys) - mutes
        text = f"Matches {len(keys):,} papers: mutes {mutes:,}"
        if spared:
            text += f"; {spared:,} you starred or kept unread stay as they are"
    else:
        verb = {Action.TAG: f"tags {rule.tag or '…'}", Action.STAR: "stars them", Action.HIGHLIGHT: "highlights them",
                Action.FOLLOW: "lists them under Authors I follow"}[rule.action]  # fmt: skip
        text = f"Matches {len(keys):,} papers: {verb}"
    return Preview(text, titles)


def save_rule(lib: Library, rule: Rule) -> StateChange:
    """Add `rule`, or replace the rule with its id: applied to the papers here at once (one change, undoable)."""
    rules = lib.rules()
    now = utc_now()
    if any(r.id == rule.id for r in rules):
        return lib.put_rules([replace(rule, changed=now) if r.id == rule.id else r for r in rules])
    return lib.put_rules([*rules, replace(rule, id=rule.id or new_rule_id(), created=now, changed=now)])


def remove_rule(lib: Library, rule_id: str) -> StateChange:
    return lib.put_rules([r for r in lib.rules() if r.id != rule_id])


def set_enabled(lib: Library, rule_id: str, enabled: bool) -> StateChange:
    now = utc_now()
    return lib.put_rules([replace(r, enabled=enabled, changed=now) if r.id == rule_id else r for r in lib.rules()])


def follow_rule(lib: Library, person: str) -> Rule | None:
    return next(iter(follow_rules(lib.rules(), person)), None)


def set_following(lib: Library, person: str, follow: bool) -> StateChange:
    """Follow (or stop following) an author: a follow rule on `author`."""
    rules = lib.rules()
    existing = follow_rule(lib, person)
    if follow and existing is None:
        rule = Rule(new_rule_id(), follow_rule_name(person), (Condition("author", person),), Action.FOLLOW)
        return save_rule(lib, rule)
    if not follow and existing is not None:
        return lib.put_rules([r for r in rules if r.id != existing.id])
    return StateChange((), ())


def is_following(lib: Library, person: str) -> bool:
    return follow_rule(lib, person) is not None
