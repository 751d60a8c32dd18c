"""Ranking ("For you", issue 12): how well `TasteModel` finds a user's papers, against the arxiv-sanity-lite
recommender re-implemented and measured in the same run, and its speed and memory at 100,000 papers.

    .venv/bin/python benchmarks/bench_ranking.py                   # both parts, about 3 minutes
    .venv/bin/python benchmarks/bench_ranking.py --users 40        # quality on the first 40 users only
    .venv/bin/python benchmarks/bench_ranking.py --size 0          # quality only
    .venv/bin/python benchmarks/bench_ranking.py --users 0         # speed and memory only
    .venv/bin/python benchmarks/bench_ranking.py --views           # also each view of the model alone

Quality: the ranking development set (../shared/ranking-dev, see its README): 200 real CiteULike libraries over
25,975 papers (bag-of-words text, placeholder titles). For each user the train papers are starred, every other
paper is ranked, and the held-out test papers are looked for: recall@10, recall@50, precision@10 and nDCG@10,
averaged over users. The peer is arxiv-sanity-lite's recipe with the README's settings (one TF-IDF over "title
summary authors", 1-2-grams, 20,000 features, min_df 5, max_df 0.1, sublinear tf, English stop words, accents
stripped; per user a LinearSVC(C=0.01, class_weight="balanced", tol=1e-6, max_iter=10000) of the train papers
against all others, ranked by decision value). The target: our recall@50 at least 1.10x the peer's.

Speed and memory: a synthetic library (benchmarks/synthetic.py: realistic sizes, TeX read as the window shows it)
of --size papers with 2,000 starred: `RankingIndex.build`, `update` with 1,000 new papers (against a 1,000-paper
import into a library, measured in the same run), `TasteModel.fit` and scoring every paper, the index's memory
(tracemalloc, after `load`), `save` and `load`. The machine is shared and noisy: figures are medians of --repeat
runs where a run is cheap. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import PaperFactory

from readinglist.core import ranking
from readinglist.core.importer import read_feed_file
from readinglist.core.library import Library
from readinglist.core.ranking import STAR_WEIGHT, RankingIndex, RankItem, TasteModel, similar
from readinglist.core.text import shown

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT.parent / "shared" / "ranking-dev"
TARGET_RATIO = 1.10  # our recall@50 over the peer's
README_PEER = {"recall@10": 0.0647, "recall@50": 0.1866, "precision@10": 0.0540, "nDCG@10": 0.0695}
METRICS = ("recall@10", "recall@50", "precision@10", "nDCG@10")
STARRED = 2_000  # positives at 100,000 papers (as in bench_library's plan)
UPDATE = 1_000


def log(msg: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@contextmanager
def timer(out: list[float]) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    out.append(time.perf_counter() - t0)


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


# ---- quality ---------------------------------------------------------------------------------------------------


@dataclass
class User:
    name: str
    train: list[int]  # rows of the dev set's papers
    test: list[int]


def load_dev_set(folder: Path) -> tuple[list[RankItem], list[User]]:
    items: list[RankItem] = []
    for path in sorted((folder / "papers").glob("*.xml")):
        for p in read_feed_file(path).papers:
            key = p.guid or p.url or p.title
            items.append(RankItem(key, p.title, p.abstract, tuple(p.authors), tuple(p.categories)))
    row = {item.key: i for i, item in enumerate(items)}
    users = []
    for u in json.loads((folder / "dev-split.json").read_text(encoding="utf-8")):
        users.append(User(str(u["user"]), [row[k] for k in u["train"]], [row[k] for k in u["test"]]))
    return items, users


def judge(scores: np.ndarray, user: User) -> dict[str, float]:
    """The test papers found among the best-scored papers that are not train papers (ties broken by paper order)."""
    s = np.asarray(scores, np.float64).copy()
    s[user.train] = -np.inf
    top = np.argpartition(-s, 50)[:50]
    top = top[np.lexsort((top, -s[top]))]
    test = set(user.test)
    hits = np.fromiter((t in test for t in top.tolist()), bool, len(top))
    dcg = float((hits[:10] / np.log2(np.arange(2, 12))).sum())
    ideal = float((1 / np.log2(np.arange(2, 2 + min(10, len(test))))).sum())
    return {
        "recall@10": hits[:10].sum() / len(test),
        "recall@50": hits.sum() / len(test),
        "precision@10": hits[:10].mean(),
        "nDCG@10": dcg / ideal,
    }


def mean_metrics(results: list[dict[str, float]]) -> dict[str, float]:
    return {m: float(np.mean([r[m] for r in results])) for m in METRICS}


class Peer:
    """arxiv-sanity-lite's recommender (karpathy/arxiv-sanity-lite compute.py and serve.py at d7a303b), with the
    settings in the development set's README."""

    def __init__(self, items: list[RankItem]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(
            input="content",
            encoding="utf-8",
            decode_error="replace",
            strip_accents="unicode",
            lowercase=True,
            analyzer="word",
            stop_words="english",
            token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
            ngram_range=(1, 2),
            max_features=20_000,
            norm="l2",
            use_idf=True,
            smooth_idf=True,
            sublinear_tf=True,
            max_df=0.1,
            min_df=5,
        )
        self.x = vectorizer.fit_transform([f"{i.title} {i.abstract} {' '.join(i.authors)}" for i in items])

    def scores(self, user: User) -> np.ndarray:
        from sklearn.svm import LinearSVC

        y = np.zeros(self.x.shape[0])
        y[user.train] = 1
        clf = LinearSVC(class_weight="balanced", verbose=0, max_iter=10_000, tol=1e-6, C=0.01)
        clf.fit(self.x, y)
        return np.asarray(clf.decision_function(self.x))


def ours_scores(index: RankingIndex, keys: list[str], user: User) -> np.ndarray:
    model = TasteModel.fit(index, {keys[r]: STAR_WEIGHT for r in user.train})
    return np.asarray(model.score(keys))


@contextmanager
def settings(**values: float) -> Iterator[None]:
    """Module settings of `ranking` changed for one measurement (the --views ablation)."""
    old = {k: getattr(ranking, k) for k in values}
    for k, v in values.items():
        setattr(ranking, k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            setattr(ranking, k, v)


VIEWS = {
    "ours: regression only": {"ROCCHIO_SHARE": 0.0, "LIFT_SHARE": 0.0},
    "ours: Rocchio only": {"REGRESSION_SHARE": 0.0, "LIFT_SHARE": 0.0},
    "ours: lift only": {"REGRESSION_SHARE": 0.0, "ROCCHIO_SHARE": 0.0},
    "ours: regression + Rocchio": {"LIFT_SHARE": 0.0},
}


def quality(args: argparse.Namespace) -> None:
    log(f"reading the development set in {args.data}")
    items, users = load_dev_set(args.data)
    users = users[: args.users]
    keys = [i.key for i in items]
    log(f"{len(items):,} papers, {len(users)} users")

    t0 = time.perf_counter()
    index = RankingIndex.build(items)
    our_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    peer = Peer(items)
    peer_build = time.perf_counter() - t0

    rows: list[tuple[str, dict[str, float], float, float]] = []
    runs: list[tuple[str, Callable[[User], np.ndarray], dict[str, float], float]] = [
        ("ours (TasteModel)", lambda u: ours_scores(index, keys, u), {}, our_build),
        ("arxiv-sanity-lite SVM (peer)", peer.scores, {}, peer_build),
    ]
    if args.views:
        for name, change in VIEWS.items():
            runs.append((name, lambda u: ours_scores(index, keys, u), change, our_build))
    for name, scorer, change, build_s in runs:
        results = []
        t0 = time.perf_counter()
        with settings(**change):
            for n, user in enumerate(users, 1):
                results.append(judge(scorer(user), user))
                if n % 50 == 0:
                    log(f"{name}: {n} users")
        per_user = (time.perf_counter() - t0) / max(len(users), 1)
        rows.append((name, mean_metrics(results), build_s, per_user))
        log(f"{name}: done, {per_user:.2f} s a user")

    ours, peer_m = rows[0][1], rows[1][1]
    headers = ("ranker", *METRICS, "features", "fit+rank a user")
    table = [(name, *(f"{m[k]:.4f}" for k in METRICS), fmt_s(b), fmt_s(p)) for name, m, b, p in rows]
    table.insert(2, ("ours / peer", *(f"{ours[k] / peer_m[k]:.2f}x" if peer_m[k] else "-" for k in METRICS), "", ""))
    print(f"\nQuality on {len(users)} CiteULike users ({len(items):,} papers; every non-train paper ranked)\n")
    print_table(headers, table)
    ratio = ours["recall@50"] / peer_m["recall@50"] if peer_m["recall@50"] else math.nan
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(f"\ntarget: our recall@50 >= {TARGET_RATIO:.2f}x the peer's: {ratio:.3f}x, {verdict}")
    if len(users) == 200:
        readme = ", ".join(f"{k} {v:.4f}" for k, v in README_PEER.items())
        print(f"the README's peer figures on these 200 users: {readme}")


# ---- speed and memory ------------------------------------------------------------------------------------------


def synthetic_items(factory: PaperFactory, start: int, stop: int) -> list[RankItem]:
    out = []
    for i in range(start, stop):
        p = factory.paper(i)
        title, authors, abstract = shown({"title": p.title, "authors": list(p.authors), "abstract": p.abstract})
        out.append(RankItem(f"arxiv:{p.arxiv_id}", title, abstract, authors, p.categories))
    return out


def import_reference(factory: PaperFactory, n: int, work: Path) -> float:
    """One 1,000-paper import as the app does it: read an arXiv RSS file, add its papers to a library (one that
    already holds 4,000 papers, so that the import rewrites a segment as it would in a grown library)."""
    feed = work / "feed.xml"
    factory.write_arxiv_rss(feed, [(n + k, "new", 1) for k in range(UPDATE)], category="cs.CL")
    lib_dir = work / "library"
    shutil.rmtree(lib_dir, ignore_errors=True)
    with Library.open(lib_dir) as lib:
        lib.add_papers([factory.incoming(i) for i in range(4_000)], source="https://rss.arxiv.org/rss/cs.LG")
        t0 = time.perf_counter()
        parsed = read_feed_file(feed)
        lib.add_papers(parsed.papers, source="https://rss.arxiv.org/rss/cs.CL")
        return time.perf_counter() - t0


def speed(args: argparse.Namespace) -> None:
    n = args.size
    log(f"generating {n + UPDATE * args.repeat:,} synthetic papers")
    factory = PaperFactory()
    items = synthetic_items(factory, 0, n)
    later = [synthetic_items(factory, n + r * UPDATE, n + (r + 1) * UPDATE) for r in range(args.repeat)]
    rng = random.Random(n)
    starred = {items[i].key: STAR_WEIGHT for i in rng.sample(range(n), min(STARRED, n))}
    work = Path(tempfile.mkdtemp(prefix="bench-ranking-"))
    try:
        log("build")
        build: list[float] = []
        gc.collect()
        with timer(build):
            index = RankingIndex.build(items)
        del items
        log("update")
        updates: list[float] = []
        imports: list[float] = []
        for r in range(args.repeat):
            with timer(updates):
                index.update(later[r])
            imports.append(import_reference(factory, n + 100_000 + r * UPDATE, work))
        keys = index.keys()
        log("fit and score")
        fits: list[float] = []
        scoring: list[float] = []
        top: list[float] = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            model = TasteModel.fit(index, starred)
            t1 = time.perf_counter()
            model.score(keys)
            t2 = time.perf_counter()
            fits.append(t1 - t0)
            scoring.append(t2 - t1)
            with timer(top):
                model.rank(keys, limit=50)
        rank_all: list[float] = []
        with timer(rank_all):
            model.rank(keys)
        near: list[float] = []
        for key in keys[:: max(1, len(keys) // args.repeat)][: args.repeat]:
            with timer(near):
                similar(index, key)
        log("save and load")
        saves: list[float] = []
        loads: list[float] = []
        folder = work / "index" / "ranking"
        for g in range(args.repeat):
            with timer(saves):
                index.save(folder, generation=g)
            with timer(loads):
                loaded = RankingIndex.load(folder)
            assert loaded is not None
            del loaded
        size_mb = (folder / ranking.INDEX_FILE).stat().st_size / 1e6
        arrays_mb = index.nbytes / 1e6
        del index, model
        gc.collect()
        tracemalloc.start()
        kept = RankingIndex.load(folder)
        memory_mb = tracemalloc.get_traced_memory()[0] / 1e6
        tracemalloc.stop()
        del kept
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = statistics.median
    fit_score = [f + s for f, s in zip(fits, scoring, strict=True)]
    update_ratio = med(updates) / med(imports)
    headers = ("figure", "N", "value (median)", "reference (same run)", "ratio", "target")
    table = [
        ("RankingIndex.build", f"{n:,}", fmt_s(build[0]), "", "", "<= 60 s"),
        (
            f"update: {UPDATE:,} new papers",
            f"{n:,}",
            fmt_s(med(updates)),
            f"import of {UPDATE:,} papers {fmt_s(med(imports))}",
            f"{update_ratio:.2f}x",
            "<= 0.20x an import (~150 ms)",
        ),
        (
            f"fit ({STARRED:,} starred) + score all",
            f"{n:,}",
            fmt_s(med(fit_score)),
            f"fit {fmt_s(med(fits))}, score {fmt_s(med(scoring))}",
            "",
            "<= 2 s",
        ),
        ("rank: top 50 with why", f"{n:,}", fmt_s(med(top)), "", "", ""),
        ("rank: all with why", f"{n:,}", fmt_s(rank_all[0]), "", "", ""),
        ("similar: top 20", f"{n:,}", fmt_s(med(near)), "", "", ""),
        (
            "index memory (after load)",
            f"{n:,}",
            f"{memory_mb:.0f} MB",
            f"rows and weights {arrays_mb:.0f} MB",
            "",
            "<= 120 MB",
        ),
        ("save", f"{n:,}", fmt_s(med(saves)), f"file {size_mb:.0f} MB", "", "<= 1 s"),
        ("load", f"{n:,}", fmt_s(med(loads)), "", "", "<= 1 s"),
    ]
    print(f"\nSpeed and memory at {n:,} synthetic papers ({STARRED:,} starred; medians of {args.repeat} runs)\n")
    print_table(headers, table)


def print_table(headers: tuple[str, ...], table: list[tuple[str, ...]], stream: Any = sys.stdout) -> None:
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line, file=stream)
    print("-" * len(line), file=stream)
    for t in table:
        print("  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)).rstrip(), file=stream)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEV_SET, help=f"the development set (default {DEV_SET})")
    parser.add_argument("--users", type=int, default=200, help="users of the development set, 0: none (default 200)")
    parser.add_argument("--views", action="store_true", help="also rank with each view of the model alone")
    parser.add_argument("--size", type=int, default=100_000, help="synthetic papers, 0: none (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each cheap speed figure (default 3)")
    args = parser.parse_args(argv)
    if args.users > 0:
        quality(args)
    if args.size > 0:
        speed(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
