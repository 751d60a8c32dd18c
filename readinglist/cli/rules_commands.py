"""Commands for rules, people and doubles: `rules add|list|test|change|enable|disable|remove`, `follow`, `unfollow`,
`author`, and `same` / `merge` for two records of one paper that no identifier links."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import orjson

from readinglist.app import App
from readinglist.core.models import PaperKey, paper_date, utc_now
from readinglist.core.rules import (
    Action,
    Condition,
    Rule,
    RuleError,
    check_rule,
    describe_change,
    find_rule,
    follow_rule_name,
    follow_rules,
    new_rule_id,
)
from readinglist.core.text import shown_title

# Option -> condition field, in the order a description reads them.
CONDITION_OPTIONS = {
    "title": ("title", "words in the title (comma-separated alternatives; /regex/ for a pattern)"),
    "abstract": ("abstract", "words in the abstract"),
    "text": ("text", "words in the title or the abstract"),
    "authors": ("authors", "words in the author list"),
    "author": ("author", 'a person, in any form feeds write names ("B. Sagot" is Benoît Sagot)'),
    "with_author": ("author", "and a co-author (narrows a person who shares a name with another)"),
    "category": ("category", "arXiv categories (cs.CL; cs. for all of cs)"),
    "feed": ("feed", "a subscription (name, id or address)"),
    "announce": ("announce", "arXiv announce types (new, cross, replace, replace-cross)"),
}

if TYPE_CHECKING:
    from readinglist.core.library import Library


def _add_conditions(p: argparse.ArgumentParser) -> None:
    for dest, (_, help_text) in CONDITION_OPTIONS.items():
        flag = "--" + dest.replace("_", "-")
        p.add_argument(flag, dest=dest, action="append", metavar="WORDS", help=help_text)


def _add_action(p: argparse.ArgumentParser, *, required: bool) -> None:
    group = p.add_mutually_exclusive_group(required=required)
    mute_help = "mark read and keep out of Inbox, For you, Today and Trending (still searchable)"
    group.add_argument("--mute", dest="action", action="store_const", const=Action.MUTE, help=mute_help)
    group.add_argument("--tag", dest="tag", metavar="TAG", help="tag matching papers TAG")
    group.add_argument("--star", dest="action", action="store_const", const=Action.STAR, help="star them")
    group.add_argument("--highlight", dest="action", action="store_const", const=Action.HIGHLIGHT,
                       help="mark them in the list")  # fmt: skip
    group.add_argument("--follow", dest="action", action="store_const", const=Action.FOLLOW,
                       help="list them under Authors I follow")  # fmt: skip


def register(sub: Any) -> None:
    rules = sub.add_parser("rules", help="rules that mute, tag, star, highlight or follow papers as they come in")
    rsub = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)

    p = rsub.add_parser("add", help="add a rule; it acts on the papers already here too (one change, with a count)")
    p.add_argument("name", metavar="NAME", help='what to call it ("no surveys")')
    _add_action(p, required=True)
    _add_conditions(p)
    p.add_argument("--off", action="store_true", help="add it turned off")
    p.set_defaults(handler=cmd_add)

    p = rsub.add_parser("list", help="the rules, with what each did")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(handler=cmd_list)

    p = rsub.add_parser("test", help="what a rule (a saved one, or the conditions given) would match; changes nothing")
    p.add_argument("name", nargs="?", metavar="NAME", help="a saved rule (else give conditions)")
    _add_action(p, required=False)
    _add_conditions(p)
    p.add_argument("--limit", type=int, default=20, metavar="N", help="list at most N papers (default 20)")
    p.add_argument("--json", action="store_true", help="the matching papers, one JSON object per line")
    p.set_defaults(handler=cmd_test)

    p = rsub.add_parser("change", help="change a rule's name, action or conditions (those given replace its own)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--rename", metavar="NEW", help="a new name")
    _add_action(p, required=False)
    _add_conditions(p)
    p.set_defaults(handler=cmd_change)

    for name, help_text in (
        ("enable", "turn a rule on (it acts on the papers already here)"),
        ("disable", "turn a rule off (papers it muted come back as they were)"),
        ("remove", "remove a rule (papers it muted come back as they were)"),
    ):
        p = rsub.add_parser(name, help=help_text)
        p.add_argument("name", metavar="NAME", help="rule name or id")
        p.set_defaults(handler=cmd_switch, switch=name)

    p = sub.add_parser("follow", help="follow an author: their papers under Authors I follow (`list --following`)")
    p.add_argument("person", metavar="NAME", help='the author, in any form ("Benoît Sagot", "Sagot, B.")')
    p.add_argument("--with-author", action="append", metavar="NAME", help="only papers with this co-author too")
    p.add_argument("--category", action="append", metavar="CAT", help="only papers in these arXiv categories")
    p.set_defaults(handler=cmd_follow)

    p = sub.add_parser("unfollow", help="stop following an author")
    p.add_argument("person", metavar="NAME")
    p.set_defaults(handler=cmd_unfollow)

    p = sub.add_parser(
        "same", help="pairs of records that look like one paper (a journal version and its arXiv record)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(handler=cmd_same)

    p = sub.add_parser("merge", help="make two records of one paper one (see `readinglist same`); state on both kept")
    p.add_argument("keep", metavar="KEEP", help="the record to keep (key or arXiv id)")
    p.add_argument("other", metavar="OTHER", help="the record merged into it")
    p.set_defaults(handler=cmd_merge)

    p = sub.add_parser("author", help="the papers of one author, newest first, in any form of their name")
    p.add_argument("person", metavar="NAME")
    p.add_argument("--limit", type=int, metavar="N", help="at most N papers")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(handler=cmd_author)


# ---- helpers -------------------------------------------------------------------------------------------------


def _conditions(args: argparse.Namespace, library: Library) -> tuple[Condition, ...]:
    out = []
    for dest, (field, _) in CONDITION_OPTIONS.items():
        for value in getattr(args, dest, None) or ():
            if field == "feed":
                value = ",".join(library.feeds.resolve(v.strip()).id for v in value.split(","))
            out.append(Condition(field, value))
    return tuple(out)


def _action(args: argparse.Namespace) -> tuple[Action | None, str]:
    if getattr(args, "tag", None):
        return Action.TAG, args.tag
    return getattr(args, "action", None), ""


def describe(rule: Rule, library: Library) -> str:
    return rule.describe(library.feed_names())


def would_do(library: Library, rule: Rule, keys: list[PaperKey]) -> str:
    """What adding `rule` would do to the papers it matches, and what it leaves alone."""
    if rule.action is Action.MUTE:
        states = [library.state(k) for k in keys]
        starred = sum(1 for s in states if s.starred)
        kept = sum(1 for s in states if not s.starred and not s.mutable)
        already = sum(1 for s in states if s.muted and s.muted_by != rule.id)
        mutes = len(keys) - starred - kept
        spared = [f"{starred:,} starred" if starred else "", f"{kept:,} you kept unread by hand" if kept else ""]
        spared_text = " and ".join(s for s in spared if s)
        return (
            f"would mute {mutes:,} of the {len(keys):,} papers it matches"
            + (f" ({already:,} of them muted already)" if already else "")
            + (f"; {spared_text} left alone" if spared_text else "")
        )
    verb = {Action.TAG: f"tag “{rule.tag}”", Action.STAR: "star", Action.HIGHLIGHT: "highlight",
            Action.FOLLOW: "list under Authors I follow"}[rule.action]  # fmt: skip
    return f"would {verb} the {len(keys):,} papers it matches"


def _print_papers(library: Library, keys: list[PaperKey], *, json: bool, limit: int | None) -> None:
    from readinglist.cli.library_commands import paper_json

    names = library.feed_names()
    shown = keys if limit is None else keys[:limit]
    for key in shown:
        if json:
            sys.stdout.write(orjson.dumps(paper_json(library, key, names)).decode("utf-8") + "\n")
            continue
        doc = library.doc(key)
        st = library.state_doc(key)
        star = "*" if st.get("starred") else " "
        mark = " " if st.get("read") else "N"
        print(f"{key:<26} {star}{mark} {paper_date(doc)[:10]:<10}  {shown_title(doc)}")
    if not json and limit is not None and len(keys) > limit:
        print(f"… and {len(keys) - limit:,} more")


def _new_rule(name: str, action: Action, tag: str, conditions: tuple[Condition, ...], *, enabled: bool = True) -> Rule:
    now = utc_now()
    return check_rule(Rule(new_rule_id(), name, conditions, action, tag, enabled, now, now))


# ---- commands ------------------------------------------------------------------------------------------------


def cmd_add(args: argparse.Namespace, app: App) -> int:
    with app.open_library() as library:
        action, tag = _action(args)
        assert action is not None  # the parser requires one
        existing = library.rules()
        if any(r.name.casefold() == " ".join(args.name.split()).casefold() for r in existing):
            raise RuleError(f"there is already a rule named {args.name!r} (`readinglist rules change` changes it)")
        rule = _new_rule(args.name, action, tag, _conditions(args, library), enabled=not args.off)
        change = library.put_rules([*existing, rule])
        print(f"Added rule “{rule.name}” ({rule.id}): {describe(rule, library)}{'' if rule.enabled else ' (off)'}")
        if rule.enabled and rule.action.writes_state:
            print(describe_change(change, rule))
        elif rule.enabled:
            matched = library.shown_by_rules(rule.action)
            print(f"{len(matched):,} papers match")
    return 0


def cmd_list(args: argparse.Namespace, app: App) -> int:
    with app.open_library(writer=False) as library:
        rules = library.rules()
        muted: Counter[str] = Counter(
            st.get("muted_by", "") for st in library.state_docs().values() if st.get("muted_by")
        )
        for rule in rules:
            if args.json:
                row = {**rule.to_doc(), "description": describe(rule, library), "muted": muted.get(rule.id, 0)}
                sys.stdout.write(orjson.dumps(row).decode("utf-8") + "\n")
                continue
            state = "on " if rule.enabled else "off"
            did = f"  ({muted[rule.id]:,} muted)" if rule.action is Action.MUTE else ""
            print(f"{rule.id:<11} {state} {rule.name}: {describe(rule, library)}{did}")
        if not rules and not args.json:
            print("no rules (add one with `readinglist rules add NAME --mute --title survey`)", file=sys.stderr)
    return 0


def cmd_test(args: argparse.Namespace, app: App) -> int:
    with app.open_library(writer=False) as library:
        conditions = _conditions(args, library)
        action, tag = _action(args)
        if args.name and not conditions:
            rule = find_rule(library.rules(), args.name)
            if action is not None:
                rule = replace(rule, action=action, tag=tag)
        elif conditions:
            rule = _new_rule(args.name or "test", action or Action.MUTE, tag, conditions)
        else:
            raise RuleError("give a saved rule's name or the conditions to test (--title, --author, …)")
        keys = library.rules_matching(rule)
        keys.sort(key=lambda k: paper_date(library.doc(k)), reverse=True)
        if not args.json:
            print(f"{describe(rule, library)}: {would_do(library, rule, keys)}")
        _print_papers(library, keys, json=args.json, limit=None if args.json else args.limit)
    return 0


def cmd_change(args: argparse.Namespace, app: App) -> int:
    with app.open_library() as library:
        rules = library.rules()
        rule = find_rule(rules, args.name)
        conditions = _conditions(args, library)
        action, tag = _action(args)
        new = replace(
            rule,
            name=args.rename or rule.name,
            conditions=conditions or rule.conditions,
            action=action or rule.action,
            tag=tag if action is not None else rule.tag,
            changed=utc_now(),
        )
        change = library.put_rules([new if r.id == rule.id else r for r in rules])
        print(f"Changed rule “{new.name}”: {describe(new, library)}")
        print(describe_change(change, new))
    return 0


def cmd_switch(args: argparse.Namespace, app: App) -> int:
    with app.open_library() as library:
        rules = library.rules()
        rule = find_rule(rules, args.name)
        if args.switch == "remove":
            change = library.put_rules([r for r in rules if r.id != rule.id])
            print(f"Removed rule “{rule.name}”. {describe_change(change)}")
            return 0
        on = args.switch == "enable"
        if rule.enabled == on:
            print(f"Rule “{rule.name}” is already {'on' if on else 'off'}")
            return 0
        new = replace(rule, enabled=on, changed=utc_now())
        change = library.put_rules([new if r.id == rule.id else r for r in rules])
        print(f"Turned rule “{rule.name}” {'on' if on else 'off'}. {describe_change(change, new if on else None)}")
    return 0


def cmd_follow(args: argparse.Namespace, app: App) -> int:
    with app.open_library() as library:
        rules = library.rules()
        conditions = [Condition("author", args.person)]
        conditions += [Condition("author", name) for name in args.with_author or ()]
        if args.category:
            conditions.append(Condition("category", ",".join(args.category)))
        rule = _new_rule(follow_rule_name(args.person), Action.FOLLOW, "", tuple(conditions))
        same = follow_rules(rules, args.person)
        kept = [r for r in rules if r not in same]
        library.put_rules([*kept, replace(rule, id=same[0].id, created=same[0].created) if same else rule])
        matched = library.rules_matching(rule)
        unread = sum(1 for k in matched if not library.state(k).read)
        print(f"Following {args.person}: {len(matched):,} papers here ({unread:,} unread)")
        print("Their papers: `readinglist list --following`")
    return 0


def cmd_unfollow(args: argparse.Namespace, app: App) -> int:
    with app.open_library() as library:
        rules = library.rules()
        gone = follow_rules(rules, args.person)
        if not gone:
            raise RuleError(f"you do not follow {args.person!r} (see `readinglist rules list`)")
        library.put_rules([r for r in rules if r not in gone])
        print(f"No longer following {args.person}")
    return 0


def cmd_author(args: argparse.Namespace, app: App) -> int:
    from readinglist.core.people import AuthorMatcher

    try:
        AuthorMatcher(args.person)
    except ValueError as exc:
        raise RuleError(str(exc)) from None
    with app.open_library(writer=False) as library:
        keys = library.query(author=args.person, limit=args.limit)
        if not keys and not args.json:
            print(f"no papers by {args.person} in the library", file=sys.stderr)
        _print_papers(library, keys, json=args.json, limit=None)
    return 0


def cmd_same(args: argparse.Namespace, app: App) -> int:
    with app.open_library(writer=False) as library:
        pairs = library.same_papers()
        for pair in pairs:
            if args.json:
                row = {"keep": pair.keep, "other": pair.other, "reason": pair.reason}
                sys.stdout.write(orjson.dumps(row).decode("utf-8") + "\n")
            else:
                print(f"{pair.keep}  <-  {pair.other}: {pair.reason}")
                print(f"    readinglist merge {pair.keep} {pair.other}")
        if not pairs and not args.json:
            print("no two records look like one paper", file=sys.stderr)
    return 0


def cmd_merge(args: argparse.Namespace, app: App) -> int:
    with app.open_library() as library:
        keep, other = library.resolve(args.keep), library.resolve(args.other)
        if keep == other:
            raise RuleError(f"{args.keep} and {args.other} are one record already")
        merged = library.merge_papers(keep, other)
        state = library.state(keep)
        kept = [
            w for w, on in (("starred", state.starred), ("a note", bool(state.note)), ("tags", bool(state.tags))) if on
        ]
        print(f"Merged {merged.other} into {merged.keep}" + (f" (kept: {', '.join(kept)})" if kept else ""))
    return 0
