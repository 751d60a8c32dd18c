"""Every command of `readinglist`, as a user runs it: output, exit codes, one-line errors."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from readinglist.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample-papers.xml"
DATA = ROOT / "tests" / "data"

ARXIV_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
<channel><title>cs.CL updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs.CL</link>
<description>cs.CL updates</description>
<item><title>Masked Diffusion Language Models</title><link>https://arxiv.org/abs/2401.01234</link>
<description>arXiv:2401.01234v{v} Announce Type: {kind}
Abstract: We study masked diffusion for text. Version {v}.</description>
<guid isPermaLink="false">oai:arXiv.org:2401.01234v{v}</guid><category>cs.CL</category>
<pubDate>Mon, 08 Jan 2024 00:00:00 -0500</pubDate><arxiv:announce_type>{kind}</arxiv:announce_type>
<dc:creator>Ada Lovelace, Alan Turing</dc:creator></item>
<item><title>Old Style Identifiers Still Matter</title><link>https://arxiv.org/abs/hep-ex/0307015</link>
<description>arXiv:hep-ex/0307015v1 Announce Type: cross
Abstract: An old paper.</description>
<guid isPermaLink="false">oai:arXiv.org:hep-ex/0307015v1</guid><category>hep-ex</category>
<pubDate>Mon, 08 Jan 2024 00:00:00 -0500</pubDate><arxiv:announce_type>cross</arxiv:announce_type>
<dc:creator>Grace Hopper</dc:creator></item>
</channel></rss>
"""


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr = out, err
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse: --help and usage errors
        code = int(exc.code or 0)
    finally:
        sys.stdout, sys.stderr, sys.stdin = old
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    path = tmp_path / "cs.CL.xml"
    path.write_text(ARXIV_FEED.format(v=1, kind="new"))
    return path


def listed(*flags: str) -> list[dict]:
    code, out, _ = run("list", "--json", *flags)
    assert code == 0
    return [json.loads(line) for line in out.splitlines()]


def test_import_reports_new_updated_and_known_papers(data_dir: Path, feed: Path, tmp_path: Path) -> None:
    code, out, _ = run("import", str(feed), str(SAMPLE))
    assert code == 0
    assert f"{feed}: 2 new, 0 updated, 0 already in library" in out
    assert "60 new" in out
    v2 = tmp_path / "v2.xml"
    v2.write_text(ARXIV_FEED.format(v=2, kind="replace"))
    code, out, _ = run("import", str(v2))
    assert code == 0 and "0 new, 1 updated, 1 already in library" in out


def test_import_names_the_bad_file_and_still_imports_the_good_one(data_dir: Path, feed: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><body>Not a feed</body></html>")
    code, out, err = run("import", str(tmp_path / "missing.xml"), str(page), str(feed))
    assert code == 1
    assert "missing.xml: No such file or directory" in err
    assert f"{page}: this is a web page, not a feed" in err
    assert "2 new" in out
    assert len(listed()) == 2


def test_an_import_of_many_files_reports_each_in_its_order_and_keeps_every_paper(
    data_dir: Path, feed: Path, tmp_path: Path
) -> None:
    # Enough files to be parsed in worker processes (importer.FeedFiles), errors among them.
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><body>Not a feed</body></html>")
    v2 = tmp_path / "v2.xml"
    v2.write_text(ARXIV_FEED.format(v=2, kind="replace"))
    paths = [feed, tmp_path / "missing.xml", SAMPLE, page, v2]
    code, out, err = run("import", *map(str, paths))
    assert code == 1
    assert out.splitlines() == [
        f"{feed}: 2 new, 0 updated, 0 already in library",
        f"{SAMPLE}: 60 new, 0 updated, 0 already in library",
        f"{v2}: 0 new, 1 updated, 1 already in library",
    ]
    assert err.index("missing.xml: No such file or directory") < err.index(f"{page}: this is a web page, not a feed")
    assert len(listed()) == 62


def test_list_json_has_the_promised_fields(data_dir: Path, feed: Path) -> None:
    run("import", str(feed))
    rows = listed()
    promised = {"key", "arxiv_id", "doi", "title", "authors", "published", "starred", "read", "tags", "note"}
    assert promised <= rows[0].keys()
    row = next(r for r in rows if r["arxiv_id"] == "2401.01234")
    assert row["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert row["title"] == "Masked Diffusion Language Models"
    assert row["published"] == "2024-01-08T05:00:00Z"


def test_state_commands_accept_keys_and_bare_arxiv_ids(data_dir: Path, feed: Path) -> None:
    run("import", str(feed))
    assert run("star", "2401.01234v1")[0] == 0
    assert run("read", "arxiv:hep-ex/0307015", "2401.01234")[0] == 0
    assert run("tag", "2401.01234", "diffusion", "to-read")[0] == 0
    assert run("untag", "2401.01234", "to-read")[0] == 0
    assert run("note", "2401.01234", "Compare with *MDLM*.")[0] == 0
    assert run("note", "hep-ex/0307015", stdin="from stdin\nsecond line\n")[0] == 0
    assert run("unread", "hep-ex/0307015")[0] == 0
    rows = {r["arxiv_id"]: r for r in listed()}
    diff, old = rows["2401.01234"], rows["hep-ex/0307015"]
    assert diff["starred"] and diff["read"] and diff["tags"] == ["diffusion"] and diff["note"] == "Compare with *MDLM*."
    assert not old["starred"] and not old["read"] and old["note"] == "from stdin\nsecond line\n"
    assert [r["arxiv_id"] for r in listed("--starred")] == ["2401.01234"]
    assert [r["arxiv_id"] for r in listed("--unread")] == ["hep-ex/0307015"]
    assert [r["arxiv_id"] for r in listed("--read")] == ["2401.01234"]
    assert len(listed("--noted")) == 2
    assert [r["arxiv_id"] for r in listed("--tag", "diffusion")] == ["2401.01234"]
    assert [r["arxiv_id"] for r in listed("--search", "MDLM")] == ["2401.01234"]
    assert run("unstar", "2401.01234")[0] == 0
    assert listed("--starred") == []
    assert run("note", "2401.01234", "")[0] == 0
    assert [r["arxiv_id"] for r in listed("--noted")] == ["hep-ex/0307015"]


def test_list_plain_sort_and_limit(data_dir: Path, feed: Path) -> None:
    run("import", str(feed), str(SAMPLE))
    run("star", "2401.01234")
    code, out, _ = run("list", "--sort", "title", "--limit", "3")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert lines == sorted(lines, key=lambda line: line[42:].casefold())
    code, out, _ = run("list", "--starred")
    assert out.startswith("arxiv:2401.01234") and " *N " in out and "Masked Diffusion Language Models" in out


def test_show_prints_the_whole_paper(data_dir: Path, feed: Path) -> None:
    run("import", str(feed))
    run("note", "2401.01234", "my note")
    code, out, _ = run("show", "2401.01234")
    assert code == 0
    for text in (
        "Masked Diffusion Language Models",
        "Ada Lovelace, Alan Turing",
        "2401.01234v1",
        "https://arxiv.org/abs/2401.01234",
        "We study masked diffusion",
        "my note",
        "Announce type: new",
    ):
        assert text in out
    code, out, _ = run("show", "--json", "2401.01234")
    assert json.loads(out)["note"] == "my note"


def test_stats_backup_and_restore(data_dir: Path, feed: Path) -> None:
    run("import", str(feed))
    run("star", "2401.01234")
    code, out, _ = run("stats")
    assert code == 0 and "Papers:   2 (2 unread" in out and "Starred:  1" in out
    code, out, _ = run("backup")
    assert code == 0 and "backup " in out
    run("unstar", "2401.01234")
    code, out, _ = run("restore", "--list")
    assert code == 0 and "manual" in out
    code, out, _ = run("restore")
    assert code == 0 and "restored backup" in out
    assert [r["arxiv_id"] for r in listed("--starred")] == ["2401.01234"]


def test_errors_are_one_line_with_non_zero_exit(data_dir: Path, feed: Path) -> None:
    run("import", str(feed))
    code, _, err = run("star", "2499.00001")
    assert code == 1
    assert err == (
        "readinglist: error: no paper '2499.00001' in the library (use a key from `readinglist list`, or an arXiv id)\n"
    )
    code, _, err = run("show", "nothing-here")
    assert code == 1 and err.count("\n") == 1


def test_data_dir_flag_and_environment_choose_the_library(data_dir: Path, feed: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    run("--data-dir", str(other), "import", str(feed))
    assert (other / "library" / "manifest.json").exists()
    assert not (data_dir / "library").exists()
    assert listed() == []


def test_help_everywhere() -> None:
    for command in (
        "import",
        "list",
        "show",
        "star",
        "unstar",
        "read",
        "unread",
        "tag",
        "untag",
        "note",
        "stats",
        "backup",
        "restore",
    ):
        code, out, _ = run(command, "--help")
        assert code == 0 and "usage: readinglist" in out


def test_the_installed_command_runs_without_traceback(data_dir: Path, feed: Path) -> None:
    exe = shutil.which("readinglist", path=str(Path(sys.executable).parent))
    assert exe, "the console script is installed with the package"
    ok = subprocess.run([exe, "import", str(feed)], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([exe, "show", "2499.00001"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and bad.stderr.startswith("readinglist: error:")
