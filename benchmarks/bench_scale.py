"""The command line at 100,000 and 1,000,000 papers (issue 16): what a command costs should follow what it does.

    .venv/bin/python benchmarks/bench_scale.py --workdir /tmp/rls                 # 1,000, 100,000 and 1,000,000
    .venv/bin/python benchmarks/bench_scale.py --workdir /tmp/rls --sizes 1000,100000

Each size's library is built once (benchmarks/bench_library.py's synthetic library: half the papers read, so
500,000 state records at 1,000,000) into WORKDIR/pristine-N and hard-linked into a run folder (generation files
are never changed in place, so the copy is free and the pristine one stays as built). Figures, medians of
--repeat runs, interleaved with their reference:

- the first build of the catalog (in process: every part read once), and its peak memory;
- `readinglist list --limit 20`, `show KEY`, `star KEY` (star and unstar in turn) as whole processes, with each
  process's peak memory, against a bare `python -c "import readinglist"` plus one SQLite query on the catalog;
- search through the catalog: 300 one- to three-word queries (bench_library's mix), `list --search` (20 rows)
  and every matching key (what the window asks), p50 and p95;
- a durable star (`Shelf.set_starred`, the command's path) with the state of the size, against the 1,000-paper
  library's; and the day's first change for real (the newest backup made yesterday, so the star takes one).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_library import percentile, pristine_library, write_feeds
from synthetic import PaperFactory, Vocabulary

from readinglist.core.catalog import Catalog
from readinglist.core.datadir import DataFolder
from readinglist.core.shelf import Shelf


def log(msg: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


TIME = shutil.which("time") or "/usr/bin/time"


# Whole processes run as an installed copy does: with bytecode caches (an environment that forbids writing them
# would make every process compile every module it imports, 30 ms more per command, in the reference too).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of one whole process. The peak comes from GNU time, whose own child
    starts small (a child forked from this benchmark would count this process's memory until its exec)."""
    wrapped = [TIME, "-f", "%M", *cmd] if Path(TIME).exists() else cmd
    t0 = time.perf_counter()
    proc = subprocess.run(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=CHILD_ENV)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()}")
    lines = proc.stderr.decode().strip().splitlines()
    peak = float(lines[-1]) / 1024 if wrapped is not cmd and lines else float("nan")
    return seconds, peak


def hardlink_copy(src: Path, dst: Path) -> None:
    shutil.rmtree(dst, ignore_errors=True)
    subprocess.run(["cp", "-al", str(src), str(dst)], check=True)


def med(values: list[float]) -> float:
    return statistics.median(values)


def measure_build(data: Path) -> dict[str, Any]:
    """The catalog's first build in a fresh interpreter, with its peak memory (`bench_library.peak_mb`: this
    benchmark holds the library it has just built, 548 MB at 100,000 papers by ru_maxrss against the build's 167)."""
    code = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from bench_library import peak_mb as hwm\n"
        "from readinglist.core.shelf import Shelf\n"
        "t = time.perf_counter()\n"
        "s = Shelf.open(Path(sys.argv[1]), writer=False)\n"
        "s.catalog\n"
        "rows = time.perf_counter() - t\n"
        "rows_mb = hwm()\n"
        "t = time.perf_counter()\n"
        "s.catalog.catch_up_text(s.store)\n"
        "peak = hwm()\n"
        "print(json.dumps({'seconds': rows, 'text_seconds': time.perf_counter() - t, 'papers': len(s),\n"
        "                  'rows_mb': rows_mb, 'peak_mb': peak}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(data), str(Path(__file__).resolve().parent)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def measure_commands(data: Path, key: str, repeat: int) -> dict[str, dict[str, float]]:
    catalog = DataFolder(data).catalog
    rl = [sys.executable, "-m", "readinglist.cli.main", "--data-dir", str(data)]
    reference = [
        sys.executable,
        "-c",
        "import readinglist, sqlite3, sys; "
        "sqlite3.connect(sys.argv[1]).execute('SELECT key FROM paper ORDER BY date DESC LIMIT 20').fetchall()",
        str(catalog),
    ]
    kinds: dict[str, list[str]] = {
        "reference": reference,
        "list --limit 20": [*rl, "list", "--limit", "20"],
        "show KEY": [*rl, "show", key],
        "star KEY": [*rl, "star", key],
    }
    for kind, cmd in kinds.items():  # (fills the bytecode caches and the page cache, untimed; the key stays unstarred)
        run([*rl, "unstar", key] if kind == "star KEY" else cmd)
    times: dict[str, list[float]] = {k: [] for k in kinds}
    peaks: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(repeat):
        for kind, cmd in kinds.items():
            if kind == "star KEY":
                cmd = [*rl, "star" if len(times[kind]) % 2 == 0 else "unstar", key]
            seconds, peak = run(cmd)
            times[kind].append(seconds)
            peaks[kind].append(peak)
    return {k: {"median": med(times[k]), "peak_mb": max(peaks[k])} for k in kinds}


def measure_search(data: Path, queries: list[str]) -> dict[str, float]:
    with Shelf.open(data, writer=False) as shelf:
        shelf.catalog  # noqa: B018 (current before timing)
        listed: list[float] = []
        every: list[float] = []
        for q in queries:
            t = time.perf_counter()
            shelf.query(search=q, limit=20)
            listed.append(time.perf_counter() - t)
            t = time.perf_counter()
            shelf.catalog.search(q)
            every.append(time.perf_counter() - t)
    return {
        "list p50": med(listed) * 1000,
        "list p95": percentile(listed, 95) * 1000,
        "keys p50": med(every) * 1000,
        "keys p95": percentile(every, 95) * 1000,
    }


def measure_star(data: Path, keys: list[str], repeat: int) -> float:
    """Median ms of a durable star through the command's path, in process (the library already open)."""
    times = []
    with Shelf.open(data) as shelf:
        shelf.catalog  # noqa: B018
        shelf.set_starred(keys, False)  # none starred to begin with; and the day's backup, if any, out of the way
        for key in keys:  # each shard written once first: one that has grown past the limit is split then
            shelf.set_starred([key], True)
            shelf.set_starred([key], False)
        for i in range(repeat):
            key = keys[1 + i % (len(keys) - 1)]
            for value in (True, False):  # each one a real write: star, then unstar
                t = time.perf_counter()
                change = shelf.set_starred([key], value)
                times.append(time.perf_counter() - t)
                assert change.after, "the benchmark must time writes, not no-ops"
    return med(times) * 1000


def measure_first_change(data: Path, key: str, repeat: int) -> dict[str, float]:
    """A star that takes the day's backup (the newest backup made yesterday) against one that does not."""
    backups = DataFolder(data).backups
    with Shelf.open(data) as shelf:
        shelf.set_starred([key], False)
        # The first backup of the new kind copies every file into the pool once (a library backed up by an older
        # version has none there); the day's first change is measured after it, as on every later day.
        shelf.backup(reason="pool")
    with_backup: list[float] = []
    without: list[float] = []
    for _ in range(repeat):
        for entry in backups.iterdir() if backups.is_dir() else ():
            manifest = entry / "manifest.json"
            if entry.is_dir() and not entry.name.startswith(".") and manifest.exists():
                m = json.loads(manifest.read_text())
                m["backup_created"] = "2000-01-01T00:00:00+00:00"  # long ago: today has no backup yet
                manifest.write_text(json.dumps(m))
        with Shelf.open(data) as shelf:
            t = time.perf_counter()
            shelf.set_starred([key], True)
            with_backup.append(time.perf_counter() - t)
        with Shelf.open(data) as shelf:
            t = time.perf_counter()
            shelf.set_starred([key], False)
            without.append(time.perf_counter() - t)
    return {"first of the day": med(with_backup) * 1000, "later": med(without) * 1000}


def measure_import(data: Path, feeds: list[Path]) -> dict[str, float]:
    """`readinglist import FEED` as a whole process: a 1,000-entry arXiv feed (80% new papers, 10% cross-lists,
    10% new versions), a different one each run (the first untimed: caches), into the library as it grew."""
    rl = [sys.executable, "-m", "readinglist.cli.main", "--data-dir", str(data), "import"]
    run([*rl, str(feeds[0])])
    times, peaks = [], []
    for feed in feeds[1:]:
        seconds, peak = run([*rl, str(feed)])
        times.append(seconds)
        peaks.append(peak)
    return {"import": med(times), "peak_mb": max(peaks)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--workdir", type=Path, required=True, help="built libraries are kept here between runs")
    parser.add_argument(
        "--reuse-runs", action="store_true", help="keep WORKDIR/run-N (and its catalog) for the next run"
    )
    args = parser.parse_args(argv)
    CHILD_ENV.setdefault("PYTHONPYCACHEPREFIX", str(args.workdir / "pycache"))
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.workdir.mkdir(parents=True, exist_ok=True)
    factory = PaperFactory(Vocabulary.build())
    results: dict[int, dict[str, Any]] = {}
    for n in sizes:
        log(f"{n:,} papers: the pristine library")
        pristine, _, _ = pristine_library(args.workdir, n, factory)
        data = args.workdir / f"run-{n}"
        r: dict[str, Any] = {}
        if args.reuse_runs and (data / "bench-build.json").is_file():
            r["build"] = json.loads((data / "bench-build.json").read_text())
        else:
            hardlink_copy(pristine, data)
            shutil.rmtree(data / "index", ignore_errors=True)
            log("first build of the catalog")
            r["build"] = measure_build(data)
            (data / "bench-build.json").write_text(json.dumps(r["build"]))
        catalog = Catalog(DataFolder(data).catalog)
        keys = [row[0] for row in catalog._conn().execute("SELECT key FROM paper ORDER BY seq LIMIT 2000")]
        catalog.close()
        with Shelf.open(data, writer=False) as shelf:
            texts = [
                f"{d['title']} {d.get('abstract', '')}"
                for d in shelf.store.read_table("papers-00000", "papers").values()
            ]
        key = keys[len(keys) // 2]
        log("whole processes")
        r["commands"] = measure_commands(data, key, args.repeat)
        log("search")
        r["search"] = measure_search(data, factory.vocab.queries(args.queries, texts))
        log("durable star, first change of the day")
        r["star_ms"] = measure_star(data, keys[100:160], max(20, args.repeat * 4))
        r["first_change"] = measure_first_change(data, keys[42], args.repeat)
        log("import of a 1,000-entry feed")
        r["import"] = measure_import(data, write_feeds(args.workdir / f"feeds-{n}", n, args.repeat + 1, factory))
        results[n] = r
        if not args.reuse_runs:
            shutil.rmtree(data, ignore_errors=True)
    print(f"\nreadinglist at scale: python {sys.version.split()[0]}, {os.cpu_count()} cpus, repeat {args.repeat}\n")
    print("| figure | " + " | ".join(f"{n:,}" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))

    def row(name: str, cell: Any) -> None:
        print(f"| {name} | " + " | ".join(cell(results[n]) for n in sizes) + " |")

    row("catalog first build: rows", lambda r: f"{r['build']['seconds']:.1f} s, peak {r['build']['rows_mb']:.0f} MB")
    row(
        "catalog first build: full text",
        lambda r: f"{r['build']['text_seconds']:.1f} s, peak {r['build']['peak_mb']:.0f} MB",
    )
    ref = "reference"
    row("bare import + one SQLite query (reference)", lambda r: f"{r['commands'][ref]['median'] * 1000:.0f} ms")
    for kind in ("list --limit 20", "show KEY", "star KEY"):
        row(
            kind,
            lambda r, k=kind: (
                f"{r['commands'][k]['median'] * 1000:.0f} ms "
                f"({r['commands'][k]['median'] / r['commands'][ref]['median']:.2f}x), "
                f"peak {r['commands'][k]['peak_mb']:.0f} MB"
            ),
        )
    row(
        "list --search (20 rows) p50 / p95",
        lambda r: f"{r['search']['list p50']:.1f} / {r['search']['list p95']:.1f} ms",
    )
    row("search, every key p50 / p95", lambda r: f"{r['search']['keys p50']:.1f} / {r['search']['keys p95']:.1f} ms")
    base = results[sizes[0]]["star_ms"]
    row("durable star (in process)", lambda r: f"{r['star_ms']:.1f} ms ({r['star_ms'] / base:.2f}x)")
    row(
        "star: first change of the day / later",
        lambda r: f"{r['first_change']['first of the day']:.0f} / {r['first_change']['later']:.0f} ms",
    )
    small = results[sizes[0]]["import"]["import"]
    row(
        "readinglist import FEED (1,000 entries)",
        lambda r: (
            f"{r['import']['import'] * 1000:.0f} ms ({r['import']['import'] / small:.2f}x), "
            f"peak {r['import']['peak_mb']:.0f} MB"
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
