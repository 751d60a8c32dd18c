"""Refresh benchmark (issue 3): 50 arXiv-style feeds of 200 entries each, served by a local HTTP server, refreshed
into a 100,000-paper library; the time, and its ratio to parsing the same bytes with feedparser alone.

Run: .venv/bin/python benchmarks/bench_refresh.py [--papers 100000] [--feeds 50] [--entries 200] [--repeat 3]
     [--workdir DIR]

The library is built once through the public core API (add_papers) and kept in DIR/pristine; each run refreshes a
fresh copy of it. The daily backup that the first change of a day takes (a copy of the whole library) is taken
before the clock starts and reported apart: it is not part of a refresh. The reference is `feedparser.parse` of the
same 50 response bodies, one after the other, in the same process.

Each feed's 200 entries: 70% new papers (each new to the library), 15% cross-lists of papers that another feed of
this refresh also announces (one record, two feeds), 15% replacements (new versions) of papers already in the
library. Every refresh writes durably: one transaction per feed.
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import socket
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from xml.sax.saxutils import escape

import feedparser

from readinglist.core.feeds import FeedRegistry, FeedSpec
from readinglist.core.fetcher import FeedFetcher
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper
from readinglist.core.papers import SEGMENT_SIZE
from readinglist.core.refresh import RefreshOutcome, refresh_feeds

GENERATOR_VERSION = 1
WORDS = (  # noqa: SIM905 (a paragraph reads better than a list literal of 150 words)
    "the of and to a in we for is that on with this by as are model models learning language data results show task "
    "performance method large propose using based training tasks approach new methods framework network improve "
    "problem state art demonstrate study dataset evaluation generation knowledge information text reasoning "
    "experiments benchmark representation attention transformer diffusion graph image visual video generative prompt "
    "agents reinforcement policy optimization inference retrieval semantic embedding tuning pretrained tokens context "
    "sequence quality human alignment robust efficient scaling parameters supervised contrastive adversarial accuracy "
    "speech translation multilingual question answering dialogue summarization classification detection segmentation "
    "multimodal encoder decoder latent distribution sampling noise theoretical empirical convergence gradient "
    "federated privacy clinical molecular protein physics quantum robot control planning memory compression sparse"
).split()
NAMES = [
    "Wei",
    "Yu",
    "Anna",
    "Maria",
    "David",
    "Sarah",
    "Thomas",
    "Lucas",
    "Sofia",
    "Marco",
    "Hiroshi",
    "Priya",
    "Omar",
    "Elena",
    "Pierre",
    "Jonas",
    "Ana",
    "Kwame",
]
SURNAMES = [
    "Zhang",
    "Wang",
    "Li",
    "Chen",
    "Kim",
    "Park",
    "Tanaka",
    "Smith",
    "Garcia",
    "Muller",
    "Rossi",
    "Dubois",
    "Kumar",
    "Ivanov",
    "Nowak",
    "Silva",
    "Okafor",
]
CATEGORIES = ["cs.CL", "cs.LG", "cs.AI", "cs.CV", "stat.ML", "cs.IR", "cs.RO", "cs.NE"]


def arxiv_id(i: int) -> str:
    month, number = divmod(i, 20_000)
    year, mon = divmod(month, 12)
    return f"{23 + year:02d}{mon + 1:02d}.{number:05d}"


def paper(i: int, version: int = 1) -> dict[str, Any]:
    rng = random.Random(i)
    title = " ".join(rng.choices(WORDS, k=12)).capitalize()
    authors = tuple(f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}" for _ in range(rng.randint(2, 8)))
    abstract = ". ".join(" ".join(rng.choices(WORDS, k=18)).capitalize() for _ in range(10)) + "."
    cats = tuple(dict.fromkeys(rng.choices(CATEGORIES, k=rng.randint(1, 3))))
    return {"id": arxiv_id(i), "v": version, "title": title, "authors": authors, "abstract": abstract, "cats": cats}


def incoming(i: int) -> IncomingPaper:
    p = paper(i)
    return IncomingPaper(
        title=p["title"],
        authors=p["authors"],
        abstract=p["abstract"],
        arxiv_id=p["id"],
        arxiv_version=1,
        url=f"https://arxiv.org/abs/{p['id']}",
        pdf_url=f"https://arxiv.org/pdf/{p['id']}v1",
        published="2025-01-01T05:00:00Z",
        categories=p["cats"],
        announce_type="new",
    )


def rss(category: str, entries: list[tuple[int, str, int]]) -> bytes:
    items = []
    for i, announce, version in entries:
        p = paper(i, version)
        cats = "".join(f"<category>{c}</category>" for c in p["cats"])
        items.append(
            f"""    <item>
      <title>{escape(p["title"])}</title>
      <link>https://arxiv.org/abs/{p["id"]}</link>
      <description>arXiv:{p["id"]}v{version} Announce Type: {announce} \nAbstract: {escape(p["abstract"])}</description>
      <guid isPermaLink="false">oai:arXiv.org:{p["id"]}v{version}</guid>{cats}
      <pubDate>Tue, 16 Sep 2025 00:00:00 -0400</pubDate>
      <arxiv:announce_type>{announce}</arxiv:announce_type>
      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
      <dc:creator>{escape(", ".join(p["authors"]))}</dc:creator>
    </item>"""
        )
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" \
xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
  <channel>
    <title>{category} updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/{category}</link>
    <description>{category} updates on the arXiv.org e-print archive.</description>
    <lastBuildDate>Tue, 16 Sep 2025 04:00:12 +0000</lastBuildDate>
{chr(10).join(items)}
  </channel>
</rss>
""".encode()


def make_feeds(library_size: int, n_feeds: int, n_entries: int) -> list[bytes]:
    rng = random.Random(42)
    n_new = n_entries * 70 // 100
    n_cross = n_entries * 15 // 100
    n_replace = n_entries - n_new - n_cross
    first_new = library_size + 1000
    bodies = []
    for f in range(n_feeds):
        base = first_new + f * n_new
        entries = [(base + k, "new", 1) for k in range(n_new)]
        # Cross-lists: papers that the previous feed announces as new (the same paper in two feeds).
        prev = first_new + ((f - 1) % n_feeds) * n_new
        entries += [(prev + k, "cross", 1) for k in range(n_cross)]
        entries += [(i, "replace", 2) for i in rng.sample(range(library_size), n_replace)]
        bodies.append(rss(f"cat{f:02d}", entries))
    return bodies


# ---- server -----------------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 256 * 1024
    bodies: ClassVar[list[bytes]] = []

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        n = int(self.path.rsplit("/", 1)[-1])
        body = self.bodies[n]
        etag = f'"feed-{n}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve(bodies: list[bytes]) -> Iterator[str]:
    handler = type("Handler", (_Handler,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# ---- library --------------------------------------------------------------------------------------------------


def pristine_library(workdir: Path, n: int) -> Path:
    target = workdir / f"pristine-{n}-v{GENERATOR_VERSION}"
    if (target / "library" / "manifest.json").exists():
        return target
    building = target.with_name(target.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    started = time.perf_counter()
    with Library.open(building) as lib:
        for start in range(0, n, SEGMENT_SIZE):
            lib.add_papers([incoming(i) for i in range(start, min(n, start + SEGMENT_SIZE))], source="f-seed")
        assert len(lib) == n
    shutil.rmtree(building / "index", ignore_errors=True)
    shutil.rmtree(building / "backups", ignore_errors=True)
    building.rename(target)
    print(f"built a {n:,}-paper library in {time.perf_counter() - started:.1f} s ({target})", file=sys.stderr)
    return target


def one_run(pristine: Path, work: Path, base: str, n_feeds: int) -> dict[str, float]:
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(pristine, work)
    out: dict[str, float] = {}
    t = time.perf_counter()
    library = Library.open(work)
    out["open"] = time.perf_counter() - t
    try:
        registry = FeedRegistry(library.store)
        registry.add_many(FeedSpec(url=f"{base}/feed/{f}", name=f"feed {f:02d}") for f in range(n_feeds))
        t = time.perf_counter()
        library.store.backup_daily()
        out["daily_backup"] = time.perf_counter() - t
        gc.collect()
        with FeedFetcher() as fetcher:
            t = time.perf_counter()
            summary = refresh_feeds(library, registry, fetcher=fetcher, max_workers=4)
            out["refresh"] = time.perf_counter() - t
            assert all(r.outcome is RefreshOutcome.UPDATED for r in summary.results), summary.summary()
            out["new"] = summary.new_papers
            out["updated"] = summary.updated_papers
            out["papers_after"] = len(library)
            t = time.perf_counter()
            again = refresh_feeds(library, registry, fetcher=fetcher, max_workers=4)
            out["refresh_304"] = time.perf_counter() - t
            assert again.count(RefreshOutcome.NOT_MODIFIED) == n_feeds, again.summary()
    finally:
        library.close()
    return out


def feedparser_alone(bodies: list[bytes]) -> float:
    gc.collect()
    t = time.perf_counter()
    for body in bodies:
        feedparser.parse(body, response_headers={"content-type": "application/rss+xml; charset=utf-8"})
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--feeds", type=int, default=50)
    ap.add_argument("--entries", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/readinglist-bench-refresh"))
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    pristine = pristine_library(args.workdir, args.papers)
    bodies = make_feeds(args.papers, args.feeds, args.entries)
    size = sum(len(b) for b in bodies)
    runs: list[dict[str, float]] = []
    references: list[float] = []
    with serve(bodies) as base:
        for _ in range(args.repeat):
            # Interleaved with the reference, so both see the same machine.
            references.append(feedparser_alone(bodies))
            runs.append(one_run(pristine, args.workdir / "work", base, args.feeds))
    refresh = statistics.median(r["refresh"] for r in runs)
    reference = statistics.median(references)
    entries = args.feeds * args.entries
    print(
        f"Refresh of {args.feeds} feeds x {args.entries} entries ({entries:,} entries, {size / 1e6:.1f} MB) "
        f"from a local server into a {args.papers:,}-paper library; median of {args.repeat}:"
    )
    print(
        f"  refresh (download, parse, merge, durable writes):  {refresh:6.2f} s  ({entries / refresh:,.0f} entries/s)"
    )
    print(
        f"  feedparser.parse alone on the same bytes:          {reference:6.2f} s"
        f"  ({entries / reference:,.0f} entries/s)"
    )
    print(f"  ratio refresh / feedparser alone:                  {refresh / reference:6.2f}x")
    last = runs[-1]
    print(
        f"  papers: {int(last['new']):,} new, {int(last['updated']):,} updated; library now "
        f"{int(last['papers_after']):,}"
    )
    again = statistics.median(r["refresh_304"] for r in runs)
    print(f"  second refresh, every feed 304 Not Modified:       {again:6.2f} s")
    print(
        f"  (not counted) open {statistics.median(r['open'] for r in runs):.2f} s, "
        f"daily backup before the first change {statistics.median(r['daily_backup'] for r in runs):.2f} s"
    )
    shutil.rmtree(args.workdir / "work", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
