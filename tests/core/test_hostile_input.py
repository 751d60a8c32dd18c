"""What a malicious server or feed can try, against real servers on 127.0.0.1 and the real command line."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from feedtools import FeedServer, Route, fixture
from test_cli import run

from readinglist.core.credentials import Credential
from readinglist.core.feeds import FeedSpec
from readinglist.core.fetcher import FeedFetcher, FetchStatus
from readinglist.core.library import Library
from readinglist.core.refresh import RefreshOutcome, refresh_feeds

FEED = fixture("arxiv_rss_cs.CL.xml")


# ---- 1. a feed's password never goes to another host ----------------------------------------------------------


def test_a_permanent_move_to_another_site_is_not_recorded_for_a_feed_with_credentials(data_dir: Path) -> None:
    home, elsewhere = FeedServer().start(), FeedServer().start()
    try:
        elsewhere.routes["/feed"] = Route(body=FEED)
        home.routes["/feed"] = Route(status=301, headers={"Location": elsewhere.url("/feed")})
        with Library.open(data_dir) as library:
            feed = library.feeds.add(FeedSpec(home.url("/feed"), name="Members", auth="basic"))
            with FeedFetcher() as fetcher:
                # A run with no keyring (cron, ssh): no credential to send, and the server moves the feed away.
                summary = refresh_feeds(library, library.feeds, fetcher=fetcher, credentials=None)
            (result,) = summary.results
            assert result.outcome is RefreshOutcome.UPDATED
            assert any("another site" in w for w in result.warnings)
            assert library.feeds.get(feed.id).url == home.url("/feed")  # the address is kept
            # The next run has the credentials: they go to the feed's own server only.
            home.routes["/feed"] = Route(body=FEED, basic_auth=("me", "s3cret"))

            class Store:
                def get(self, _feed_id: str) -> Credential:
                    return Credential(username="me", password="s3cret")

            with FeedFetcher() as fetcher:
                refresh_feeds(library, library.feeds, fetcher=fetcher, credentials=Store())  # type: ignore[arg-type]
        assert all("authorization" not in r.headers for r in elsewhere.requests)
        assert any("authorization" in r.headers for r in home.requests)
    finally:
        home.stop()
        elsewhere.stop()


# ---- 2. the size cap holds on what is decompressed, for every nesting ------------------------------------------


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    inner = gzip.compress(b"\0" * (300 * 1024 * 1024), compresslevel=9)  # 300 MB of zeros in ~300 KB
    return gzip.compress(inner, compresslevel=9)  # and that in a few KB: "Content-Encoding: gzip, gzip"


# The peak resident memory of a fresh process fetching the bomb (VmHWM: getrusage's maxrss would count the
# test process it was forked from).
PEAK_RSS = textwrap.dedent(
    """
    import re, sys
    from readinglist.core.fetcher import FeedFetcher
    with FeedFetcher() as fetcher:
        result = fetcher.fetch(sys.argv[1])
    peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) // 1024
    print(result.status.value, result.error, peak)
    """
)


@pytest.mark.parametrize("encoding", ["gzip, gzip", "gzip"])
def test_a_compression_bomb_stops_at_the_cap_with_memory_bounded(bomb: bytes, encoding: str) -> None:
    server = FeedServer().start()
    try:
        body = bomb if encoding == "gzip, gzip" else gzip.decompress(bomb)
        server.routes["/bomb"] = Route(body=body, headers={"Content-Encoding": encoding})
        done = subprocess.run(
            [sys.executable, "-c", PEAK_RSS, server.url("/bomb")], capture_output=True, text=True, timeout=120
        )
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    status, *words, peak_mb = done.stdout.split()
    assert status == FetchStatus.ERROR.value and "larger than 20 MB" in " ".join(words)
    # The cap is 20 MB; the process with Python, httpx and the zlib state stays within a few times that.
    assert int(peak_mb) < 150, f"peak RSS {peak_mb} MB against a {len(body):,}-byte bomb ({encoding})"


# ---- 4. terminal escapes never reach the terminal ----------------------------------------------------------------

EVIL = (
    "<?xml version='1.0'?><rss version='2.0'><channel><title>Feed\x1b]0;pwned\x07</title>"
    "<item><title>Clear\x1b[2J screen \x1b]52;c;ZXZpbA==\x07 and gnp\u202eexe.png</title>"
    "<link>https://example.org/a</link><author>Eve\x1b[31m Red</author><description>x</description></item>"
    "</channel></rss>"
)


def test_escape_sequences_and_bidi_overrides_are_shown_as_escapes_on_the_terminal(
    data_dir: Path, tmp_path: Path
) -> None:
    feed = tmp_path / "evil.xml"
    feed.write_text(EVIL.replace("\x1b", "&#27;").replace("\x07", "&#7;"), encoding="utf-8")
    code, out, err = run("import", str(feed))
    assert code == 0, err
    for args in (("list",), ("stats",), ("show", json.loads(run("list", "--json")[1])["key"])):
        code, out, err = run(*args)
        assert code == 0, err
        assert "\x1b" not in out + err and "\x07" not in out + err and "\u202e" not in out + err
    assert "gnp\\u202eexe.png" in out  # shown, harmlessly
    code, out, _ = run("list", "--json")  # JSON still parses, and means the same text
    assert json.loads(out)["title"].endswith("gnp\u202eexe.png")


# ---- 7. CSV cells are never formulas ---------------------------------------------------------------------------------


def test_csv_cells_that_would_be_formulas_are_written_as_text(data_dir: Path, tmp_path: Path) -> None:
    feed = tmp_path / "formulas.xml"
    feed.write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><title>f</title><item>"
        '<title>=HYPERLINK("https://evil.example","click")</title><link>https://example.org/f</link>'
        "<author>@SUM(1+1)</author><description>+cmd|' /C calc'!A0</description></item></channel></rss>",
        encoding="utf-8",
    )
    assert run("import", str(feed))[0] == 0
    key = json.loads(run("list", "--json")[1])["key"]
    assert run("tag", key, "=1+1")[0] == 0
    out = tmp_path / "papers.csv"
    assert run("export", "--format", "csv", "-o", str(out))[0] == 0
    (row,) = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))
    assert row["title"] == '\'=HYPERLINK("https://evil.example","click")'
    assert row["authors"] == "'@SUM(1+1)" and row["abstract"].startswith("'+cmd")
    assert row["tags"] == "'=1+1"


# ---- 10. hygiene --------------------------------------------------------------------------------------------------


def test_exports_and_window_settings_are_private_like_the_library(data_dir: Path, tmp_path: Path) -> None:
    import stat

    assert run("import", str(Path(__file__).resolve().parents[2] / "resources" / "sample-papers.xml"))[0] == 0
    out = tmp_path / "refs.md"
    assert run("export", "--format", "markdown", "-o", str(out))[0] == 0  # Markdown carries the notes
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    shared = tmp_path / "shared.bib"
    shared.write_text("")
    shared.chmod(0o644)  # a file the user made readable keeps that
    assert run("export", "--format", "bibtex", "-o", str(shared))[0] == 0
    assert stat.S_IMODE(shared.stat().st_mode) == 0o644


@pytest.mark.parametrize(
    "address", ["https://example.org/feed\nX-Injected: 1", "https://example.org:99999/feed", "https://exa mple.org/"]
)
def test_feed_addresses_with_white_space_or_a_bad_port_are_refused(data_dir: Path, address: str) -> None:
    code, _, err = run("feeds", "add", address)
    assert code == 1 and err.startswith("readinglist: error: ") and "not a feed address" in err
    with Library.open(data_dir, writer=False) as library:
        assert len(library.feeds) == 0


# ---- 9. sizes ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [("import",), ("feeds", "import-opml"), ("restore", "--from")])
def test_devices_and_huge_files_are_refused_before_they_are_read(
    data_dir: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    for path in ("/dev/zero", str(_sparse(tmp_path / "huge.xml", 60 * 1024 * 1024))):
        code, _, err = run(*command, path)
        assert code == 1, err
        assert err.startswith("readinglist: error: ") and "Traceback" not in err and len(err.splitlines()) == 1
        assert path in err


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)  # a file of that size on disk, without writing it
    return path


def test_an_archive_zip_bomb_is_refused_before_it_is_unpacked(data_dir: Path, tmp_path: Path) -> None:
    import zipfile

    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("readinglist-archive.json", '{"format": "readinglist-archive", "version": 1, "schema": 1}')
        with zf.open("papers.json", "w", force_zip64=True) as member:
            chunk = b" " * (64 * 1024 * 1024)
            for _ in range(40):  # 2.5 GB of spaces, a few MB on disk
                member.write(chunk)
    code, _, err = run("restore", "--from", str(bomb))
    assert code == 1 and "more than any library holds" in err and "nothing was changed" in err


def test_a_failed_refresh_names_its_feed_once_and_a_refused_move_is_told_without_verbose(data_dir: Path) -> None:
    server, elsewhere = FeedServer().start(), FeedServer().start()
    try:
        server.routes["/page"] = Route(body=b"<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>")
        elsewhere.routes["/feed"] = Route(body=FEED)
        server.routes["/members"] = Route(status=301, headers={"Location": elsewhere.url("/feed")})
        assert run("feeds", "add", server.url("/page"), "--name", "evil /html", "--no-check")[0] == 0
        with Library.open(data_dir) as library:
            library.feeds.add(FeedSpec(server.url("/members"), name="Members", auth="basic"))
        code, _, err = run("refresh")
        assert code == 1
        assert "readinglist: error: evil /html: this is a web page, not a feed" in err.splitlines(), err
        assert "readinglist: Members: the server says the feed moved to" in err, err  # told even without -v
        assert "another site; the address is kept" in err, err
        _, out, _ = run("feeds", "list")
        assert "last error: this is a web page, not a feed" in out
    finally:
        server.stop()
        elsewhere.stop()


def test_a_killed_archive_write_leaves_no_temporary_file_behind(data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_bytes(FEED)
    assert run("import", str(tmp_path / "feed.xml"))[0] == 0
    (tmp_path / "feed.xml").unlink()
    target = tmp_path / "library.zip"
    # What `backup --to` killed mid-write leaves: its temporary file, named for a process that no longer exists.
    killed = subprocess.Popen([sys.executable, "-c", "pass"])
    killed.wait()
    leftover = tmp_path / f".library.zip.{killed.pid}-0badc0de.tmp"
    leftover.write_bytes(b"PK half an archive")
    code, _, err = run("backup", "--to", str(target))
    assert code == 0, err
    assert not leftover.exists() and not list(tmp_path.glob(".library.zip.*")) and target.is_file()


def test_deeply_nested_json_is_refused_in_words(data_dir: Path, tmp_path: Path) -> None:
    deep = tmp_path / "daily.json"
    deep.write_bytes(b"[" * 200_000 + b"]" * 200_000)
    code, _, err = run("import", str(deep))
    assert code == 1 and "Traceback" not in err and "RecursionError" not in err, err
    assert f"{deep}: not the daily papers data (its JSON is nested thousands of levels deep)" in err


def test_importing_an_opml_file_grows_linearly_with_its_feeds(data_dir: Path) -> None:
    """4,000 feeds took 33 s (15x the time of 1,000): every feed was checked against all the others."""
    import time

    from readinglist.core.opml import import_opml

    def opml(n: int, offset: int) -> bytes:
        body = "".join(
            f'<outline type="rss" text="Feed {i}" xmlUrl="https://site{i % 40}.example/f/{i}.xml"/>'
            for i in range(offset, offset + n)
        )
        return f'<?xml version="1.0"?><opml version="2.0"><head/><body>{body}</body></opml>'.encode()

    def seconds(n: int, offset: int) -> float:
        with Library.open(data_dir / str(offset)) as library:
            started = time.perf_counter()
            assert len(import_opml(library.feeds, opml(n, offset)).added) == n
            return time.perf_counter() - started

    small = min(seconds(500, k * 500) for k in range(3))
    large = min(seconds(4_000, 10_000 + k * 4_000) for k in range(2))
    # Linear is 8x; quadratic was 64x. The bound leaves room for a noisy machine.
    assert large / small < 24, (small, large)


def test_an_archive_without_its_papers_says_so_in_words(data_dir: Path, tmp_path: Path) -> None:
    import zipfile

    (tmp_path / "feed.xml").write_bytes(FEED)
    assert run("import", str(tmp_path / "feed.xml"))[0] == 0
    whole, cut = tmp_path / "whole.zip", tmp_path / "cut.zip"
    assert run("backup", "--to", str(whole))[0] == 0
    with zipfile.ZipFile(whole) as src, zipfile.ZipFile(cut, "w") as dst:
        for info in src.infolist():
            if info.filename != "papers.json":
                dst.writestr(info, src.read(info))
    code, _, err = run("restore", "--from", str(cut))
    assert code == 1
    assert err.strip() == (
        f"readinglist: error: cannot restore from {cut}: it is incomplete: papers.json is missing from it; "
        "nothing was changed"
    ), err
