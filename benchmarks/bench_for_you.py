"""What "For you" costs at 100,000 papers with 2,000 starred (issue 12), against references in the same run:

- `readinglist list --for-you --sort relevance --limit 50`, a whole process with the ranking cache built, against
  `readinglist list --limit 50` (target: at most 2x);
- the first build of the ranking cache (target: at most 60 s);
- the cache brought up to date after a 1,000-paper import, against the import itself (target: at most +20%);
- a star reordering For you: refit and rank on the library thread (target: within 2 s);
- the memory of the ranking (features and model) over the library alone (target: at most +30%).

    .venv/bin/python benchmarks/bench_for_you.py                  # 100,000 papers
    .venv/bin/python benchmarks/bench_for_you.py --papers 10000   # a quick run

The library is the window benchmark's (built once into --workdir); the stars go on a copy of it.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_window import library_for, log, ms

from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper, ListFilter

CLI = [sys.executable, "-m", "readinglist.cli.main"]


def run_cli(data: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([*CLI, "--data-dir", str(data), *args], check=True, capture_output=True)
    return time.perf_counter() - started


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def new_papers(n: int, offset: int) -> list[IncomingPaper]:
    rng = random.Random(offset)
    words = [
        "diffusion",
        "transformer",
        "retrieval",
        "graph",
        "parsing",
        "reward",
        "policy",
        "model",
        "attention",
        "sparse",
        "token",
    ]
    return [
        IncomingPaper(
            arxiv_id=f"2599.{offset + i:05d}",
            title=" ".join(rng.choice(words) for _ in range(8)).capitalize(),
            abstract=" ".join(rng.choice(words) for _ in range(150)),
            authors=(f"Author {rng.randrange(5000)}",),
            categories=("cs.LG",),
        )
        for i in range(n)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--stars", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "readinglist-bench-window")
    args = parser.parse_args(argv)
    data = library_for(args.workdir, args.papers)
    shutil.rmtree(data / "index" / "ranking", ignore_errors=True)

    # Stars: the user's taste is a few topics, not random papers; the synthetic corpus has topical words in its
    # titles, so star papers sharing a word of their titles.
    rss_before = rss_mb()
    with Library.open(data) as lib:
        rss_library = rss_mb() - rss_before
        keys = lib.keys()
        rng = random.Random(7)
        theme = {w for k in rng.sample(keys, 3) for w in lib.get(k).title.lower().split()[:2]}
        liked = [k for k in keys if theme & set(lib.get(k).title.lower().split())]
        starred = (liked + rng.sample(keys, args.stars))[: args.stars]
        lib.set_starred(starred, True)
        for_you = lib.query(view=ListFilter.FOR_YOU)

        started = time.perf_counter()
        index = lib.taste.index()
        build = time.perf_counter() - started
        started = time.perf_counter()
        lib.taste.rank(for_you, limit=50)
        first_rank = time.perf_counter() - started
        rss_ranking = rss_mb() - rss_before - rss_library

        reorders = []
        for k in rng.sample(for_you, args.runs):
            lib.set_starred([k], True)
            started = time.perf_counter()
            lib.taste.rank(lib.query(view=ListFilter.FOR_YOU), limit=50)
            reorders.append(time.perf_counter() - started)

        imports, updates = [], []
        for r in range(3):
            batch = new_papers(1_000, 10_000 * (r + 1))
            started = time.perf_counter()
            lib.add_papers(batch, source="bench")
            imports.append(time.perf_counter() - started)
            started = time.perf_counter()
            lib.taste.index()
            updates.append(time.perf_counter() - started)
        papers_in_index = len(index)

    plain = [run_cli(data, "list", "--limit", "50") for _ in range(args.runs)]
    ranked = [run_cli(data, "list", "--for-you", "--sort", "relevance", "--limit", "50") for _ in range(args.runs)]
    plain_m, ranked_m = statistics.median(plain), statistics.median(ranked)
    imp, upd = statistics.median(imports), statistics.median(updates)

    print(f"For you at {args.papers:,} papers, {args.stars:,} starred ({papers_in_index:,} in the ranking cache)")
    print(f"  list --limit 50 (whole process)                      median {ms(plain_m)}")
    print(
        f"  list --for-you --sort relevance --limit 50            median {ms(ranked_m)}"
        f"   ratio {ranked_m / plain_m:.2f}x (target <= 2x)"
    )
    print(f"  ranking cache, first build                             {ms(build)} (target <= 60 s)")
    print(f"  first ranking after it (fit + score)                   {ms(first_rank)}")
    print(
        f"  a star, then For you ranked again                      median {ms(statistics.median(reorders))}"
        f", max {ms(max(reorders))} (target <= 2 s)"
    )
    print(f"  1,000-paper import {ms(imp)}, cache update after it {ms(upd)}: +{upd / imp:.0%} (target <= +20%)")
    print(
        f"  memory: library {rss_library:.0f} MB, ranking +{rss_ranking:.0f} MB = +{rss_ranking / rss_library:.0%}"
        " (target <= +30%)"
    )
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
