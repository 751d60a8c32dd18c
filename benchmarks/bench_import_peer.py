"""Whole-process import of arXiv RSS files beside newsboat reading the same files, and the two parse paths in-process.

(a) one 1,000-entry feed, (b) 100 feeds x 1,000 entries, each into an empty library (readinglist) or an empty cache
(newsboat: `newsboat -x reload` over a urls file of `"exec:cat FILE"` lines, its own config and cache in a temp
folder). Medians of several runs; ratios are taken within the same run.

    .venv/bin/python benchmarks/bench_import_peer.py [--runs 3] [--big-runs 1]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import PaperFactory

ROOT = Path(__file__).resolve().parent.parent
READINGLIST = [sys.executable, "-m", "readinglist.cli.main"]


def write(folder: Path, feeds: int, factory: PaperFactory) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in range(feeds):
        path = folder / f"feed-{f}.xml"
        factory.write_arxiv_rss(path, [(f * 1000 + k, "new", 1) for k in range(1000)], category="cs.CL")
        paths.append(path)
    return paths


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - started


def readinglist_import(paths: list[Path]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        return timed([*READINGLIST, "--data-dir", tmp, "import", *map(str, paths)])


def newsboat_reload(paths: list[Path]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        urls = Path(tmp) / "urls"
        urls.write_text("".join(f'"exec:cat {p}"\n' for p in paths))
        config = Path(tmp) / "config"
        config.write_text("reload-threads 1\n")
        return timed(
            ["newsboat", "-x", "reload", "-u", str(urls), "-c", str(Path(tmp) / "cache.db"), "-C", str(config)]
        )


def parse_times(path: Path, runs: int) -> tuple[float, float]:
    import readinglist.core.fastfeed as fastfeed
    from readinglist.core.importer import parse_feed

    data = path.read_bytes()
    fast, slow = [], []
    saved = fastfeed.read_fast
    for _ in range(runs):
        started = time.perf_counter()
        parse_feed(data, name=path.name)
        fast.append(time.perf_counter() - started)
        fastfeed.read_fast = lambda *a, **k: None  # type: ignore[assignment]
        started = time.perf_counter()
        parse_feed(data, name=path.name)
        slow.append(time.perf_counter() - started)
        fastfeed.read_fast = saved  # type: ignore[assignment]
    return statistics.median(fast), statistics.median(slow)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--big-runs", type=int, default=1)
    args = ap.parse_args()
    have_newsboat = shutil.which("newsboat") is not None
    if not have_newsboat:
        print("note: newsboat is not installed (apt-get install newsboat): the peer figures are skipped")
    factory = PaperFactory()
    with tempfile.TemporaryDirectory() as tmp:
        one = write(Path(tmp) / "one", 1, factory)
        hundred = write(Path(tmp) / "hundred", 100, factory)
        fast, slow = parse_times(one[0], max(args.runs, 5))
        print(f"in-process parse_feed of 1 x 1,000 entries ({one[0].stat().st_size / 1e6:.1f} MB), median:")
        print(f"  fast path (lxml) {fast:.3f} s   feedparser path {slow:.3f} s   feedparser/fast {slow / fast:.1f}x")
        print(f"{'case':<22}{'readinglist import':>20}{'newsboat -x reload':>20}{'ratio rl/nb':>13}")
        for label, paths, runs in (("1 feed x 1,000", one, args.runs), ("100 feeds x 1,000", hundred, args.big_runs)):
            rl, nb, ratios = [], [], []
            for _ in range(runs):
                rl.append(readinglist_import(paths))
                if have_newsboat:
                    nb.append(newsboat_reload(paths))
                    ratios.append(rl[-1] / nb[-1])
            peer = f"{statistics.median(nb):>19.2f}s" if nb else f"{'skipped':>20}"
            ratio = f"{statistics.median(ratios):>12.1f}x" if ratios else f"{'-':>13}"
            print(f"{label:<22}{statistics.median(rl):>19.2f}s{peer}{ratio}   ({runs} runs)")


if __name__ == "__main__":
    main()
