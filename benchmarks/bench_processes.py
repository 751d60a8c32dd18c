"""The window and the command line on one library at once (issue 10), at 100,000 papers: how long a command's
`star` takes with the window open and while another process imports, how soon the open window shows it, and
what catching up costs the window. Whole processes, medians and p95 over several runs; the reference for the
command's latency is the same command with nobody else on the library, in the same run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_processes.py                 # 100,000 papers
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_processes.py --papers 5000   # a quick run

The library is the window benchmark's (built once into --workdir, default a folder in /tmp).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_window import library_for  # the same 100k library as the window's figures
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

from readinglist.app import App
from readinglist.core.library import Library
from readinglist.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "readinglist.cli.main"]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def cli(data: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([*CLI, "--data-dir", str(data), "--wait", "60", *args], check=True, capture_output=True)
    return time.perf_counter() - started


def pump(qapp: QApplication, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def import_feed(data: Path, n: int, path: Path) -> None:
    items = "".join(
        f"<item><title>Imported paper {i} on retrieval</title><link>https://arxiv.org/abs/2512.{i:05d}</link>"
        f"<guid isPermaLink='false'>oai:arXiv.org:2512.{i:05d}v1</guid><description>Abstract {i}.</description></item>"
        for i in range(n)
    )
    path.write_text(f"<?xml version='1.0'?><rss version='2.0'><channel><title>big</title>{items}</channel></rss>")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9, help="stars per figure (default 9)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "readinglist-bench-window")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = library_for(args.workdir, args.papers)
    with Library.open(data, writer=False) as lib:
        # Unread and unstarred: papers the window lists in its Inbox, where the star shows.
        keys = [k for k in lib.keys() if not lib.state(k).starred and not lib.state(k).read][: 4 * args.runs]  # noqa: SIM118
    rows: list[tuple[str, str, str]] = []

    # 1. The reference: `readinglist star` with nobody else on the library.
    alone = [cli(data, "star", keys.pop()) for _ in range(args.runs)]

    # 2. The window open (offscreen), following the library as it does for a user.
    qapp = QApplication.instance() or QApplication([])
    window = MainWindow(App(data, owner="the Reading List window"))
    window.show()
    deadline = time.monotonic() + 120
    while window.counts is None and time.monotonic() < deadline:
        pump(qapp, 0.05)
    pump(qapp, 1.0)
    with_window: list[float] = []
    shown_after: list[float] = []
    for _ in range(args.runs):
        key = keys.pop()
        result: dict[str, float] = {}

        def star(k: str = key, out: dict[str, float] = result) -> None:
            out["t"] = cli(data, "star", k)

        worker = threading.Thread(target=star)
        worker.start()
        while worker.is_alive():
            pump(qapp, 0.01)
        returned = time.perf_counter()
        with_window.append(result["t"])
        while not window.model.state(key).starred and time.perf_counter() - returned < 30:
            pump(qapp, 0.005)
        shown_after.append(time.perf_counter() - returned)

    # 3. The window's cost of catching up with one change another process made.
    catch_up: list[float] = []
    for _ in range(args.runs):
        window._follow_timer.stop()
        pump(qapp, 0.2)
        cli(data, "star", keys.pop())
        timed: list[float] = []

        def job(lib: Library, out: list[float] = timed) -> None:
            started = time.perf_counter()
            lib.catch_up()
            out.append(time.perf_counter() - started)

        window.worker.submit(job)
        while not timed:
            pump(qapp, 0.005)
        catch_up.append(timed[0])
        window._follow_timer.start()
        pump(qapp, 1.2)  # let the window redraw from it, as it would
    window.close()
    pump(qapp, 0.5)

    # 4. `star` while another process imports 1,000 entries (in batches), the window closed.
    feed = args.workdir / "import-1000.xml"
    import_feed(data, 1000, feed)
    during_import: list[float] = []
    for _ in range(max(3, args.runs // 3)):
        importer = subprocess.Popen(
            [*CLI, "--data-dir", str(data), "import", str(feed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(1.0)  # past the start-up: the import is reading and writing now
        during_import.append(cli(data, "star", keys.pop()))
        importer.wait()

    def fig(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:,.0f} ms (p95 {p95(values) * 1000:,.0f} ms)"

    ref = statistics.median(alone)
    rows.append(("readinglist star, nobody else (reference)", fig(alone), "1.00x"))
    rows.append(("readinglist star, the window open", fig(with_window), f"{statistics.median(with_window) / ref:.2f}x"))
    rows.append(("readinglist star, during a 1,000-entry import", fig(during_import),
                 f"{statistics.median(during_import) / ref:.2f}x"))  # fmt: skip
    rows.append(("star returned -> the window shows it", fig(shown_after), "(follow: once a second)"))
    rows.append(("the window catching up with one change", fig(catch_up), "(on the library thread)"))
    print(f"\nprocesses benchmark, {args.papers:,} papers, {args.runs} runs per figure, {os.cpu_count()} cpus\n")
    width = max(len(r[0]) for r in rows)
    for name, value, ratio in rows:
        print(f"{name:<{width}}  {value:<26} {ratio}")
    print("\nA command's star is a whole process: start-up and opening the library are most of it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
