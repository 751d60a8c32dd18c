"""Speed and memory of the paper library at 1,000 and 100,000 papers, each figure against a reference measured
in the same run (issue 2, "Speed"). The machine is shared and noisy, so the ratios are what matter.

    .venv/bin/python benchmarks/bench_library.py                      # both sizes, ~5 minutes
    .venv/bin/python benchmarks/bench_library.py --sizes 1000          # quick run
    .venv/bin/python benchmarks/bench_library.py --workdir /tmp/rlb    # keep the built libraries between runs

The synthetic library is built once per size through the public core API (Library.open, add_papers, set_read,
set_starred, put_states) into WORKDIR/pristine-N and copied before each run, so that the changes and imports a run
makes never leak into the next one.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import feedparser
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import PaperFactory, Vocabulary

from readinglist.core.importer import read_feed_file
from readinglist.core.library import Library
from readinglist.core.papers import SEGMENT_SIZE

GENERATOR_VERSION = 1  # bump when synthetic.py changes what it produces: pristine libraries are then rebuilt
FEEDS = [f"https://rss.arxiv.org/rss/{c}" for c in ("cs.CL", "cs.LG", "cs.AI", "cs.CV", "stat.ML")]
FEED_ENTRIES = 1000
FEED_MIX = {"new": 0.80, "cross": 0.10, "replace": 0.10}


# ---- small helpers ---------------------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def rss_kb() -> int:
    return _status_kb("VmRSS")


def peak_mb() -> float:
    """The high-water mark of this process's own memory (VmHWM). Not getrusage's ru_maxrss: in a child, that
    carries over the parent's memory at the fork, and the parent may hold the library it has just built (a child of
    an 800 MB parent reads 813 MB by ru_maxrss, 13 MB by VmHWM)."""
    return _status_kb("VmHWM") / 1024


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


@contextlib.contextmanager
def profiled(name: str, profile_dir: Path | None) -> Iterator[None]:
    if profile_dir is None:
        yield
        return
    prof = cProfile.Profile()
    prof.enable()
    try:
        yield
    finally:
        prof.disable()
        profile_dir.mkdir(parents=True, exist_ok=True)
        prof.dump_stats(profile_dir / f"{name}.prof")


def library_files(data_dir: Path) -> list[Path]:
    """The files Library.open reads: the manifest and every part it names."""
    lib = data_dir / "library"
    manifest = orjson.loads((lib / "manifest.json").read_bytes())
    return [lib / "manifest.json", *(lib / f for f in manifest["files"].values())]


def manifest_files(data_dir: Path) -> dict[str, str]:
    return dict(orjson.loads((data_dir / "library" / "manifest.json").read_bytes())["files"])


def log(msg: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- the child processes: open and memory in a fresh interpreter --------------------------------------------


def child_main(kind: str, data_dir: Path, profile: str | None) -> None:
    """Runs in a fresh interpreter; prints one JSON object. Everything imported before the baseline RSS."""
    files = library_files(data_dir)
    gc.collect()
    before = rss_kb()
    if kind == "open":
        prof = cProfile.Profile() if profile else None
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        lib = Library.open(data_dir)
        if prof:
            prof.disable()
        seconds = time.perf_counter() - t0
        after = rss_kb()
        papers = len(lib)
        if prof and profile:
            prof.dump_stats(profile)
        keep: Any = lib
    elif kind in ("orjson-gc", "orjson-nogc"):
        t0 = time.perf_counter()
        if kind == "orjson-nogc":
            gc.disable()
        keep = [orjson.loads(p.read_bytes()) for p in files]
        if kind == "orjson-nogc":
            gc.enable()
        seconds = time.perf_counter() - t0
        after = rss_kb()
        papers = sum(len(d.get("papers", {})) for d in keep if isinstance(d, dict))
    else:
        raise SystemExit(f"unknown child {kind}")
    print(json.dumps({"seconds": seconds, "rss_mb": (after - before) / 1024, "papers": papers}))
    if kind == "open":
        keep.close()


def run_child(kind: str, data_dir: Path, profile: Path | None = None) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(data_dir)]
    if profile is not None:
        cmd += ["--child-profile", str(profile)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# ---- building the synthetic library ---------------------------------------------------------------------------


@dataclass
class Plan:
    """The user's state on an N-paper library: half the papers read (50k at 100k, 500k at 1M, so the state grows as
    a real reader's does) and 2% starred up to 2,000."""

    n: int
    read: list[int] = field(default_factory=list)
    starred: list[int] = field(default_factory=list)
    noted: list[int] = field(default_factory=list)

    @classmethod
    def for_size(cls, n: int) -> Plan:
        rng = random.Random(n)
        n_read = n // 2
        n_star = min(n // 50, 2_000)
        chosen = rng.sample(range(n), n_read + n_star)
        starred = chosen[n_read:]
        # Papers the user starred or annotated: all starred, half of them with a note (52,000 state records at 100k).
        return cls(n, read=chosen[:n_read], starred=starred, noted=starred[: n_star // 2])


def note_text(rng: random.Random, vocab: Vocabulary) -> str:
    words = vocab.text(rng, rng.randint(15, 150))
    return "## Notes\n\n" + " ".join(words) + "\n\n- " + " ".join(vocab.text(rng, 8)) + "\n"


def build_library(target: Path, n: int, factory: PaperFactory) -> dict[str, Any]:
    tmp = target.with_name(target.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.perf_counter()
    gen = add = 0.0
    timings: dict[str, Any] = {}
    with Library.open(tmp) as lib:
        for b, start in enumerate(range(0, n, SEGMENT_SIZE)):
            t = time.perf_counter()
            batch = [factory.incoming(i) for i in range(start, min(n, start + SEGMENT_SIZE))]
            gen += time.perf_counter() - t
            t = time.perf_counter()
            lib.add_papers(batch, source=FEEDS[b % len(FEEDS)])
            add += time.perf_counter() - t
        plan = Plan.for_size(n)
        keys = lib.keys()
        # Each bulk change is one call, as "mark all as read" on a large view would make it.
        t = time.perf_counter()
        lib.set_read([keys[i] for i in plan.read], True)
        timings["set_read"] = {"keys": len(plan.read), "seconds": time.perf_counter() - t}
        t = time.perf_counter()
        lib.set_starred([keys[i] for i in plan.starred], True)
        timings["set_starred"] = {"keys": len(plan.starred), "seconds": time.perf_counter() - t}
        rng = random.Random(5)
        notes = [
            replace(lib.state(keys[i]), note=note_text(rng, factory.vocab), note_at="2025-09-01T10:00:00.000000Z")
            for i in plan.noted
        ]
        t = time.perf_counter()
        lib.put_states(notes)
        timings["put_states"] = {"keys": len(notes), "seconds": time.perf_counter() - t}
        assert len(lib) == n, (len(lib), n)
    # The search index is derived: leave none in the pristine copy, so that each run measures its first build.
    shutil.rmtree(tmp / "index", ignore_errors=True)
    build = {
        "total": time.perf_counter() - t0,
        "generate": gen,
        "add_papers": add,
        "bulk": timings,
        "when": time.strftime("%Y-%m-%d %H:%M"),
    }
    (tmp / "bench-built.json").write_text(json.dumps({"n": n, "generator": GENERATOR_VERSION, "build": build}))
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return build


def pristine_library(workdir: Path, n: int, factory: PaperFactory) -> tuple[Path, dict[str, Any], bool]:
    """The built library for size n (built now unless WORKDIR holds one), its build timings, whether built now."""
    target = workdir / f"pristine-{n}"
    marker = target / "bench-built.json"
    with contextlib.suppress(OSError, ValueError, KeyError):
        info = json.loads(marker.read_text())
        if info["n"] == n and info["generator"] == GENERATOR_VERSION:
            return target, info["build"], False
    return target, build_library(target, n, factory), True


def write_feeds(folder: Path, n: int, rounds: int, factory: PaperFactory) -> list[Path]:
    """One 1,000-entry arXiv RSS file per round: 80% new papers, 10% cross-lists of papers already in the
    library (the newest 2,000, same version), 10% replacements (v+1) of papers drawn with a recency bias."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(99)
    paths = []
    n_new = int(FEED_ENTRIES * FEED_MIX["new"])
    n_cross = int(FEED_ENTRIES * FEED_MIX["cross"])
    n_replace = FEED_ENTRIES - n_new - n_cross
    for r in range(rounds):
        entries: list[tuple[int, str, int | None]] = []
        first_new = n + r * n_new
        entries += [(first_new + k, "new", 1) for k in range(n_new)]
        recent = range(max(0, n - 2_000), n)
        entries += [(i, "cross", None) for i in rng.sample(recent, min(n_cross, len(recent)))]
        mean_age = min(n / 4, 20_000)
        targets: set[int] = set()
        while len(targets) < n_replace:
            targets.add(max(0, n - 1 - int(rng.expovariate(1 / mean_age))))
        entries += [(i, "replace", factory.paper(i).version + 1) for i in sorted(targets)]
        rng.shuffle(entries)
        path = folder / f"feed-{r}.xml"
        factory.write_arxiv_rss(path, entries, category="cs.CL")
        paths.append(path)
    return paths


# ---- the figures --------------------------------------------------------------------------------------------------


@dataclass
class Row:
    figure: str
    n: int
    value: str
    reference: str = ""
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None
    note: str = ""


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def measure_open(run_dir: Path, repeat: int, profile_dir: Path | None) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {"open": [], "orjson-gc": [], "orjson-nogc": []}
    kinds = list(results)
    rng = random.Random(3)
    for r in range(repeat):
        rng.shuffle(kinds)  # no kind always runs first after the others warmed the page cache
        for kind in kinds:
            prof = profile_dir / "open.prof" if (profile_dir and kind == "open" and r == 0) else None
            if prof:
                profile_dir.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
            results[kind].append(run_child(kind, run_dir, prof))
    return results


def measure_search(lib: Library, queries: list[str], passes: int) -> dict[str, Any]:
    out: dict[str, Any] = {"query_p50": [], "query_p95": [], "search_p50": [], "search_p95": []}
    hits = [len(lib.search(q) or ()) for q in queries]
    out["hits"] = hits
    for _ in range(passes):
        q_times, s_times = [], []
        for q in queries:
            t0 = time.perf_counter()
            lib.query(search=q)
            t1 = time.perf_counter()
            lib.search(q)
            t2 = time.perf_counter()
            q_times.append(t1 - t0)
            s_times.append(t2 - t1)
        out["query_p50"].append(percentile(q_times, 50))
        out["query_p95"].append(percentile(q_times, 95))
        out["search_p50"].append(percentile(s_times, 50))
        out["search_p95"].append(percentile(s_times, 95))
    return out


@dataclass
class ChangeBench:
    """Durable state changes on one open library, one call each, on random papers: star and unstar, read and
    unread, note edits (half new notes, half edits). Rounds of several sizes are interleaved so that every size
    sees the same disk weather; a raw durable write of the same files is timed in between, as the floor."""

    n: int
    lib: Library
    run_dir: Path
    vocab: Vocabulary
    rng: random.Random = field(default_factory=lambda: random.Random(21))
    times: dict[str, list[float]] = field(default_factory=lambda: {"star": [], "read": [], "note": []})
    floor: list[float] = field(default_factory=list)

    def round(self, per_kind: int) -> None:
        lib, rng = self.lib, self.rng
        keys = lib.keys()

        def timed(kind: str, call: Callable[[], object]) -> None:
            t0 = time.perf_counter()
            call()
            self.times[kind].append(time.perf_counter() - t0)
            self.floor.append(self.durable_floor())

        for _ in range(per_kind // 2):
            k = rng.choice(keys)
            flag = not lib.state(k).starred
            timed("star", lambda k=k, flag=flag: lib.set_starred([k], flag))
            timed("star", lambda k=k, flag=flag: lib.set_starred([k], not flag))
            k = rng.choice(keys)
            flag = not lib.state(k).read
            timed("read", lambda k=k, flag=flag: lib.set_read([k], flag))
            timed("read", lambda k=k, flag=flag: lib.set_read([k], not flag))
        noted = [k for k in keys[:: max(1, len(keys) // 5000)] if lib.state(k).note]
        for j in range(per_kind):
            k = rng.choice(noted) if (j % 2 and noted) else rng.choice(keys)
            text = note_text(rng, self.vocab)
            timed("note", lambda k=k, text=text: lib.set_note(k, text))

    def durable_floor(self) -> float:
        """What a commit of one state shard cannot go below: the same bytes written as the store writes them
        (shard file written and fsynced, manifest to a temp file, fsynced, renamed, folder fsynced)."""
        folder = self.run_dir / "floor"
        folder.mkdir(exist_ok=True)
        lib_dir = self.run_dir / "library"
        files = manifest_files(self.run_dir)
        shard = (lib_dir / files["state-00"]).read_bytes() if "state-00" in files else b"{}"
        manifest = (lib_dir / "manifest.json").read_bytes()
        t0 = time.perf_counter()
        for name, data in (("shard.json", shard), ("manifest.json.tmp", manifest)):
            fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd, data)
            os.fsync(fd)
            os.close(fd)
        os.replace(folder / "manifest.json.tmp", folder / "manifest.json")
        fd = os.open(folder, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
        return time.perf_counter() - t0


def measure_imports(lib: Library, run_dir: Path, feeds: list[Path], profile_dir: Path | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "feedparser": [],
        "end_to_end": [],
        "parse": [],
        "add_papers": [],
        "results": [],
        "parts_rewritten": [],
        "bytes_rewritten": [],
    }
    for r, path in enumerate(feeds):
        t0 = time.perf_counter()
        parsed_ref = feedparser.parse(path.read_bytes())
        t1 = time.perf_counter()
        assert len(parsed_ref.entries) == FEED_ENTRIES, len(parsed_ref.entries)
        before = manifest_files(run_dir)
        with profiled(f"import-{r}", profile_dir if r == 0 else None):
            t2 = time.perf_counter()
            parsed = read_feed_file(path)
            t3 = time.perf_counter()
            result = lib.add_papers(parsed.papers, source=FEEDS[0])
            t4 = time.perf_counter()
        after = manifest_files(run_dir)
        changed = [p for p, f in after.items() if before.get(p) != f]
        out["parts_rewritten"].append(len(changed))
        out["bytes_rewritten"].append(sum((run_dir / "library" / after[p]).stat().st_size for p in changed))
        out["feedparser"].append(t1 - t0)
        out["end_to_end"].append(t4 - t2)
        out["parse"].append(t3 - t2)
        out["add_papers"].append(t4 - t3)
        out["results"].append(result.summary())
    return out


def run_size(
    n: int, args: argparse.Namespace, workdir: Path, vocab: Vocabulary
) -> tuple[list[Row], dict[str, Any], ChangeBench]:
    raw: dict[str, Any] = {"n": n}
    profile_dir = args.profile / f"n{n}" if args.profile else None
    factory = PaperFactory(vocab)
    log(f"N={n}: preparing the library")
    pristine, build, built_now = pristine_library(workdir, n, factory)
    raw["build"] = build
    when = "this run" if built_now else f"build of {build['when']}, reused"
    log(f"N={n}: library from {when}: {build}")
    run_dir = workdir / f"run-{n}"
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.copytree(pristine, run_dir)
    feeds = write_feeds(workdir / f"feeds-{n}", n, args.repeat, factory)
    qrng = random.Random(n)
    texts = [f"{p.title} {p.abstract}" for p in (factory.paper(qrng.randrange(n)) for _ in range(args.queries))]
    queries = vocab.queries(args.queries, texts)
    del factory, texts
    bytes_on_disk = sum(p.stat().st_size for p in library_files(run_dir))
    raw["bytes_on_disk"] = bytes_on_disk

    log(f"N={n}: open and memory, {args.repeat} x 3 fresh processes")
    opens = measure_open(run_dir, args.repeat, profile_dir)
    raw["open"] = opens

    rows: list[Row] = []
    plan = Plan.for_size(n)
    n_files = len(library_files(run_dir))
    rows.append(
        Row(
            "library: JSON on disk",
            n,
            f"{bytes_on_disk / 1e6:.1f} MB",
            f"{n_files} files",
            None,
            "",
            None,
            f"{n:,} papers; state on {len(plan.read) + len(plan.starred):,}: {len(plan.read):,} read, "
            f"{len(plan.starred):,} starred, {len(plan.noted):,} of them noted",
        )
    )
    for name, b in build["bulk"].items():
        rows.append(
            Row(
                f"bulk: {name}() of {b['keys']:,} keys, one call",
                n,
                fmt_s(b["seconds"]),
                "",
                None,
                "(info)",
                None,
                f"measured once while building the library ({when})",
            )
        )
    t_open = median([x["seconds"] for x in opens["open"]])
    t_gc = median([x["seconds"] for x in opens["orjson-gc"]])
    t_nogc = median([x["seconds"] for x in opens["orjson-nogc"]])
    rows.append(
        Row(
            "open: Library.open (fresh process)",
            n,
            fmt_s(t_open),
            f"orjson.loads, GC on: {fmt_s(t_gc)}",
            t_open / t_gc,
            "<= 1.5x",
            t_open / t_gc <= 1.5,
        )
    )
    rows.append(
        Row(
            "open: same, vs orjson with GC paused",
            n,
            fmt_s(t_open),
            f"orjson.loads, GC off: {fmt_s(t_nogc)}",
            t_open / t_nogc,
            "(info)",
            None,
        )
    )

    m_open = median([x["rss_mb"] for x in opens["open"]])
    m_ref = median([x["rss_mb"] for x in opens["orjson-gc"]])
    rows.append(
        Row(
            "memory: RSS increase once loaded",
            n,
            f"{m_open:.1f} MB",
            f"orjson.loads: {m_ref:.1f} MB",
            m_open / m_ref,
            "<= 2x",
            m_open / m_ref <= 2,
        )
    )

    gc.collect()
    lib = Library.open(run_dir)
    try:
        log(f"N={n}: search index first build")
        with profiled("search-sync", profile_dir):
            t0 = time.perf_counter()
            indexed = lib.sync_search_index()
            t_sync = time.perf_counter() - t0
        t0 = time.perf_counter()
        lib.sync_search_index()
        t_resync = time.perf_counter() - t0
        raw["search_sync"] = {"first": t_sync, "indexed": indexed, "up_to_date": t_resync}
        rows.append(
            Row(
                "search: index first build (one-off)",
                n,
                fmt_s(t_sync),
                "",
                None,
                "(info)",
                None,
                f"{indexed} papers indexed",
            )
        )
        rows.append(
            Row(
                "search: sync check, index up to date",
                n,
                fmt_s(t_resync),
                "",
                None,
                "(info)",
                None,
                "runs when another process wrote",
            )
        )

        log(f"N={n}: {len(queries)} search queries x {min(args.repeat, 3)} passes")
        with profiled("search", profile_dir):
            s = measure_search(lib, queries, min(args.repeat, 3))
        raw["search"] = s
        hits = s["hits"]
        hit_note = (
            f"hits p50 {percentile(hits, 50):.0f}, p95 {percentile(hits, 95):.0f}, max {max(hits)}, "
            f"{sum(1 for h in hits if h == 0)} queries with none"
        )
        q95 = median(s["query_p95"])
        rows.append(
            Row(
                "search: library.query(search=) p50 / p95",
                n,
                f"{fmt_s(median(s['query_p50']))} / {fmt_s(q95)}",
                "",
                None,
                "p95 <= 50 ms",
                q95 <= 0.050,
                hit_note,
            )
        )
        rows.append(
            Row(
                "search: library.search() alone p50 / p95",
                n,
                f"{fmt_s(median(s['search_p50']))} / {fmt_s(median(s['search_p95']))}",
                "",
                None,
                "(info)",
                None,
                "FTS5 match only, no filter/sort",
            )
        )

        log(f"N={n}: first change of the day")
        k = next(iter(lib.keys()))
        t0 = time.perf_counter()
        lib.set_starred([k], not lib.state(k).starred)  # the first change of the day takes the daily backup
        t_first = time.perf_counter() - t0
        lib.set_starred([k], not lib.state(k).starred)
        raw["first_change"] = t_first
        rows.append(
            Row(
                "change: first of the day (daily backup)",
                n,
                fmt_s(t_first),
                "",
                None,
                "(info)",
                None,
                "copies and fsyncs the whole library once a day",
            )
        )

        log(f"N={n}: importing {len(feeds)} feeds of {FEED_ENTRIES} entries")
        imp = measure_imports(lib, run_dir, feeds, profile_dir)
        raw["import"] = imp
        t_e2e = median(imp["end_to_end"])
        t_fp = median(imp["feedparser"])
        rows.append(
            Row(
                "import: 1,000-entry feed, end to end",
                n,
                fmt_s(t_e2e),
                f"feedparser.parse: {fmt_s(t_fp)}",
                t_e2e / t_fp,
                "<= 2.5x",
                t_e2e / t_fp <= 2.5,
                imp["results"][0],
            )
        )
        rows.append(
            Row(
                "import: read_feed_file alone",
                n,
                fmt_s(median(imp["parse"])),
                "",
                median(imp["parse"]) / t_fp,
                "(info)",
                None,
            )
        )
        rows.append(
            Row(
                "import: add_papers alone",
                n,
                fmt_s(median(imp["add_papers"])),
                "",
                median(imp["add_papers"]) / t_fp,
                "(info)",
                None,
                f"rewrote {median(imp['parts_rewritten']):.0f} files, {median(imp['bytes_rewritten']) / 1e6:.1f} MB",
            )
        )
    except BaseException:
        lib.close()
        raise
    return rows, raw, ChangeBench(n, lib, run_dir, vocab)


def measure_changes(benches: list[ChangeBench], args: argparse.Namespace) -> tuple[list[Row], dict[int, Any]]:
    log(f"durable state changes: {args.repeat} rounds, sizes interleaved")
    profile = args.profile if args.profile else None
    with profiled("changes", profile):
        for _ in range(args.repeat):
            for bench in benches:
                bench.round(args.changes)
    rows = []
    raw: dict[int, Any] = {}
    medians = {}
    for b in benches:
        all_changes = [t for v in b.times.values() for t in v]
        t_change, t_floor = median(all_changes), median(b.floor)
        medians[b.n] = t_change
        raw[b.n] = {"times": b.times, "floor": b.floor}
        per_kind = ", ".join(f"{kind} {fmt_s(median(v))}" for kind, v in b.times.items())
        rows.append(
            Row(
                "change: star/read/note, durable, median",
                b.n,
                fmt_s(t_change),
                f"raw durable write: {fmt_s(t_floor)}",
                t_change / t_floor,
                "<= 15 ms",
                t_change <= 0.015,
                f"{len(all_changes)} changes; {per_kind}; p95 {fmt_s(percentile(all_changes, 95))}; "
                f"raw write p95 {fmt_s(percentile(b.floor, 95))}",
            )
        )
    if 1000 in medians:
        for n, t in medians.items():
            if n != 1000:
                ratio = t / medians[1000]
                rows.append(
                    Row(
                        "change: median vs the same at N=1,000",
                        n,
                        fmt_s(t),
                        f"N=1,000: {fmt_s(medians[1000])}",
                        ratio,
                        "<= 1.5x",
                        ratio <= 1.5,
                    )
                )
    return rows, raw


TARGET_N = 100_000  # the targets are set at 100,000 papers; other sizes are shown for comparison


def result_text(r: Row) -> str:
    if r.ok is None:
        return ""
    text = "PASS" if r.ok else "FAIL"
    return text if r.n == TARGET_N else f"({text})"


def print_table(rows: list[Row], stream: Any = sys.stdout) -> None:
    headers = ("figure", "N", "median (p50 / p95)", "reference (same run)", "ratio", "target", "result")
    table = [
        (
            r.figure,
            f"{r.n:,}",
            r.value,
            r.reference,
            f"{r.ratio:.2f}x" if r.ratio is not None else "",
            r.target,
            result_text(r),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line, file=stream)
    print("-" * len(line), file=stream)
    last_n = None
    for r, t in zip(rows, table, strict=True):
        if last_n is not None and r.n != last_n:
            print(file=stream)
        last_n = r.n
        print("  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)).rstrip(), file=stream)
    print(
        f"\n(PASS)/(FAIL) in parentheses: the targets are set at {TARGET_N:,} papers; smaller sizes are shown "
        "for comparison only.",
        file=stream,
    )
    notes = [(r.figure, r.n, r.note) for r in rows if r.note]
    if notes:
        print("\nnotes:", file=stream)
        for fig, n, note in notes:
            print(f"  {fig} (N={n:,}): {note}", file=stream)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000", help="comma-separated library sizes (default 1000,100000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each figure; medians are reported (default 5)")
    parser.add_argument("--queries", type=int, default=300, help="search queries per pass (default 300)")
    parser.add_argument("--changes", type=int, default=20, help="changes of each kind per repeat (default 20)")
    parser.add_argument("--workdir", type=Path, help="keep built libraries here between runs (default: a temp dir)")
    parser.add_argument("--keep-runs", action="store_true", help="keep the run copies (WORKDIR/run-N) afterwards")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of each phase into this folder")
    parser.add_argument("--json", type=Path, help="also write the raw measurements to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-profile", help=argparse.SUPPRESS)
    parser.add_argument("child_dir", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args.child, args.child_dir, args.child_profile)
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    started = time.perf_counter()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="readinglist-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"workdir {workdir}; building the vocabulary")
    vocab = Vocabulary.build()
    rows: list[Row] = []
    raws: list[dict[str, Any]] = []
    benches: list[ChangeBench] = []
    try:
        for n in sizes:
            r, raw, bench = run_size(n, args, workdir, vocab)
            rows += r
            raws.append(raw)
            benches.append(bench)
        r, raw_changes = measure_changes(benches, args)
        rows += r
        raws.append({"changes": raw_changes})
    finally:
        for bench in benches:
            bench.lib.close()
            if not args.keep_runs:
                shutil.rmtree(bench.run_dir, ignore_errors=True)
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    order = ["library", "open", "memory", "search", "change", "import", "bulk"]
    rows.sort(key=lambda r: (r.n, order.index(r.figure.split(":")[0])))
    print(
        f"\nreadinglist library benchmark: python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
        f"repeat {args.repeat}, total {time.perf_counter() - started:.0f} s\n"
    )
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(raws, indent=1, default=str))
    if args.profile:
        print(f"\ncProfile stats in {args.profile} (read with: python -m pstats FILE)")
    judged = [r for r in rows if r.n == TARGET_N] or rows
    return 0 if all(r.ok is not False for r in judged) else 1


if __name__ == "__main__":
    sys.exit(main())
