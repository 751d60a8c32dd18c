"""Rules at scale (issue 13): importing with 50 rules, and adding one rule to a library of N papers.

    .venv/bin/python benchmarks/bench_rules.py [--size 100000] [--repeat 3] [--workdir /tmp/rlb]

Prints, with ratios measured in the same run:
- a 1,000-entry arXiv feed imported (parse + add_papers, the rules acting in the same commit) into N papers with
  50 rules (30 mute rules on words and patterns, 10 followed authors, 5 tag, 5 highlight), against
  feedparser.parse of the same file; the target (issue 2) is at most 2.5x feedparser;
- the same import with no rules, so what the rules cost is seen apart;
- adding one mute rule and applying it to the N papers already here (put_rules: match, write the muted states,
  commit): target at most 2 s.
The library is the one bench_library.py builds (WORKDIR/pristine-N, built if missing), copied before each run.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_library import FEEDS, pristine_library, write_feeds
from synthetic import _FIRST, _LAST, PaperFactory, Vocabulary

from readinglist.core.importer import read_feed_file
from readinglist.core.library import Library
from readinglist.core.rules import Action, Condition, Rule, new_rule_id


def fifty_rules(vocab: Vocabulary) -> list[Rule]:
    rng = random.Random(13)
    # Words a user would mute or watch for: middling ranks (each in about 1-5% of abstracts), never "the".
    words = vocab.words[2000:2400]
    rules: list[Rule] = []
    for n in range(30):
        if n % 5 == 0:
            cond = Condition("abstract", f"/\\b{words[n]}\\w* {words[n + 1]}/")
        elif n % 3 == 0:
            cond = Condition("text", f"{words[n]}, {words[n + 40]}")
        else:
            cond = Condition("title", words[n + 80])
        rules.append(Rule(new_rule_id(), f"mute {n}", (cond,), Action.MUTE))
    for _ in range(10):
        person = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        rules.append(Rule(new_rule_id(), f"follow {person}", (Condition("author", person),), Action.FOLLOW))
    for n in range(5):
        conds = (Condition("category", "cs.CL"), Condition("title", words[200 + n]))
        rules.append(Rule(new_rule_id(), f"tag {n}", conds, Action.TAG, tag=f"topic-{n}"))
    for n in range(5):
        rules.append(Rule(new_rule_id(), f"highlight {n}", (Condition("text", words[300 + n]),), Action.HIGHLIGHT))
    return rules


def fresh_copy(pristine: Path, workdir: Path, name: str) -> Path:
    target = workdir / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(pristine, target)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="rl-bench-rules-"))
    workdir.mkdir(parents=True, exist_ok=True)
    vocab = Vocabulary.build()
    factory = PaperFactory(vocab)
    n = args.size
    pristine, _, built = pristine_library(workdir, n, factory)
    print(f"library: {n:,} papers ({'built now' if built else 'reused'}) in {pristine}")
    feeds = write_feeds(workdir / f"rules-feeds-{n}", n, args.repeat, factory)
    rules = fifty_rules(vocab)

    with_rules: list[float] = []
    without: list[float] = []
    reference: list[float] = []
    muted_at_import: list[int] = []
    for r, path in enumerate(feeds):
        t0 = time.perf_counter()
        feedparser.parse(path.read_bytes())
        reference.append(time.perf_counter() - t0)
        for label, rule_set, out in (("rules", rules, with_rules), ("none", [], without)):
            run = fresh_copy(pristine, workdir, f"run-rules-{label}")
            with Library.open(run) as lib:
                if rule_set:
                    lib.put_rules(rule_set)
                lib.backup(reason="bench")  # the day's backup is taken before the import, not inside it
                t0 = time.perf_counter()
                parsed = read_feed_file(path)
                result = lib.add_papers(parsed.papers, source=FEEDS[0])
                out.append(time.perf_counter() - t0)
                if rule_set:
                    muted_at_import.append(result.ruled.muted if result.ruled else 0)
        print(f"  round {r + 1}: feedparser {reference[-1]:.3f} s, import with 50 rules {with_rules[-1]:.3f} s, "
              f"without {without[-1]:.3f} s")  # fmt: skip

    # The window keeps the search index current (a rule's words are looked up there first); a command run after
    # an import by another process may find it behind, and then tests every paper.
    indexed = workdir / f"pristine-{n}-indexed"
    if not (indexed / "index" / "search.sqlite").exists():
        shutil.rmtree(indexed, ignore_errors=True)
        shutil.copytree(pristine, indexed)
        with Library.open(indexed) as lib:
            t0 = time.perf_counter()
            lib.sync_search_index()
            print(f"  search index built in {time.perf_counter() - t0:.1f} s (once; kept in {indexed})")
    broad_words = vocab.words[150:200]  # in about one abstract in six: the write of the states is part of the cost
    typical_words = vocab.words[1000:1100]  # a word of titles, muting a few hundred papers
    cases = {
        "broad, index current": (indexed, lambda r: Condition("text", f"{broad_words[r]}, {broad_words[r + 10]}")),
        "broad, no index": (pristine, lambda r: Condition("text", f"{broad_words[r]}, {broad_words[r + 10]}")),
        "typical, index current": (indexed, lambda r: Condition("title", typical_words[r])),
    }
    adds: dict[str, list[float]] = {name: [] for name in cases}
    muted_by_add: dict[str, list[int]] = {name: [] for name in cases}
    for name, (source, condition) in cases.items():
        for r in range(args.repeat):
            run = fresh_copy(source, workdir, "run-rules-add")
            with Library.open(run) as lib:
                lib.put_rules(rules)
                lib.backup(reason="bench")
                rule = Rule(new_rule_id(), "no surveys", (condition(r),), Action.MUTE)
                t0 = time.perf_counter()
                change = lib.put_rules([*lib.rules(), rule])
                adds[name].append(time.perf_counter() - t0)
                muted_by_add[name].append(change.muted)
            print(f"  add rule ({name}) {r + 1}: {adds[name][-1]:.3f} s, muted {muted_by_add[name][-1]:,}")

    med = statistics.median
    fp, wr, wo = med(reference), med(with_rules), med(without)
    print()
    print(f"{'figure':<62} {'median':>10} {'ratio':>8}  target")
    print(f"{'feedparser.parse, 1,000-entry feed':<62} {fp * 1000:>8.1f}ms")
    print(f"{f'import into {n:,} papers, no rules':<62} {wo * 1000:>8.1f}ms {wo / fp:>7.2f}x")
    print(f"{f'import into {n:,} papers, 50 rules':<62} {wr * 1000:>8.1f}ms {wr / fp:>7.2f}x  <= 2.5x")
    print(f"{'  (papers muted at import, median)':<62} {med(muted_at_import):>10,.0f}")
    for name in cases:
        add = med(adds[name])
        label = f"add one mute rule to {n:,} papers ({name}; {med(muted_by_add[name]):,.0f} muted)"
        print(f"{label:<62} {add * 1000:>8.1f}ms {'':>8}  <= 2000 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
