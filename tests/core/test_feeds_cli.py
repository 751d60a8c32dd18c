"""The `feeds` and `refresh` commands, as a user types them, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import keyring
import orjson
import pytest
from feedtools import DATA, FeedServer, MemoryKeyring, NoKeyring, Route, fixture, library_files_text

from readinglist.cli.feeds_commands import ProgressBar, format_duration, parse_duration
from readinglist.cli.main import main
from readinglist.core.refresh import FeedRefreshResult, RefreshOutcome, RefreshProgress

CL = fixture("arxiv_rss_cs.CL.xml")


def cli(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), *args])


def feeds_json(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert cli(data_dir, "feeds", "list", "--json") == 0
    return [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_add_list_rename_set_remove(data_dir: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/cl"] = Route(body=CL)
    assert cli(data_dir, "feeds", "add", server.url("/cl"), "--name", "CL", "--group", "arXiv") == 0
    assert "subscribed to CL" in capsys.readouterr().out
    assert cli(data_dir, "feeds", "add", "cs.LG", "--interval", "12h", "--announce-types", "new") == 0
    assert cli(data_dir, "feeds", "add", 'cat:cs.CL AND abs:"masked language"') == 0
    assert cli(data_dir, "feeds", "add", "https://huggingface.co/api/daily_papers", "--kind", "hf-daily") == 0
    rows = feeds_json(data_dir, capsys)
    assert [r["name"] for r in rows] == [
        "arXiv cs.LG",
        'arXiv: cat:cs.CL AND abs:"masked language"',
        "Hugging Face daily papers",
        "CL",
    ]
    cl = rows[-1]
    assert cl["group"] == "arXiv" and cl["status"] == "new" and cl["papers"] == 0 and cl["kind"] == "rss"
    assert set(cl) >= {"id", "url", "last_success", "last_error", "failures", "next_due", "interval"}
    lg = rows[0]
    assert lg["interval"] == 12 * 3600 and lg["announce_types"] == ["new"]

    assert cli(data_dir, "feeds", "rename", "cl", "Computation and Language") == 0
    assert (
        cli(
            data_dir,
            "feeds",
            "set",
            "arXiv cs.LG",
            "--interval",
            "1d",
            "--announce-types",
            "default",
            "--group",
            "arXiv",
        )
        == 0
    )
    rows = {r["name"]: r for r in feeds_json(data_dir, capsys)}
    assert rows["Computation and Language"]["id"] == cl["id"]
    assert rows["arXiv cs.LG"]["interval"] == 86400 and rows["arXiv cs.LG"]["announce_types"] == ["new", "cross"]
    assert cli(data_dir, "feeds", "remove", "Hugging Face daily papers") == 0
    assert "unsubscribed from Hugging Face daily papers" in capsys.readouterr().out
    assert len(feeds_json(data_dir, capsys)) == 3

    assert cli(data_dir, "feeds", "list") == 0
    text = capsys.readouterr().out
    assert "[arXiv] Computation and Language" in text and "every 1d" in text and "next now" in text


def test_errors_are_one_line(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(data_dir, "feeds", "add", "file:///etc/hosts") == 1
    err = capsys.readouterr().err
    assert err.startswith("readinglist: error: ") and "readinglist import FILE" in err and err.count("\n") == 1
    assert cli(data_dir, "feeds", "remove", "nothing") == 1
    assert "no feed named 'nothing'" in capsys.readouterr().err
    assert cli(data_dir, "feeds", "add", "https://x.example/f", "--username", "bob") == 1
    assert "--password-stdin" in capsys.readouterr().err


def test_refresh_with_a_summary_line(data_dir: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/cl"] = Route(body=CL, etag='"1"')
    server.routes["/gone"] = Route(status=404)
    cli(data_dir, "feeds", "add", server.url("/cl"), "--name", "CL")
    cli(data_dir, "feeds", "add", server.url("/gone"), "--name", "Gone")
    capsys.readouterr()
    assert cli(data_dir, "refresh", "--timeout", "2") == 1
    out, err = capsys.readouterr()
    assert out.startswith("Refreshed 2 feeds in ") and "3 new papers" in out and "1 failed" in out
    assert "readinglist: error: Gone: 404 Not Found: there is no feed at this address; check the URL" in err
    assert cli(data_dir, "refresh", "CL") == 0
    assert "1 unchanged" in capsys.readouterr().out
    rows = {r["name"]: r for r in feeds_json(data_dir, capsys)}
    assert rows["CL"]["papers"] == 3 and rows["CL"]["status"] == "ok"
    assert rows["Gone"]["status"] == "error" and str(rows["Gone"]["last_error"]).startswith("404 Not Found")
    assert cli(data_dir, "list", "--feed", str(rows["CL"]["id"])) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_password_from_stdin_goes_to_the_keyring(
    data_dir: Path,
    server: FeedServer,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.routes["/private"] = Route(body=CL, basic_auth=("ann", "hunter2"))
    monkeypatch.setattr(sys, "stdin", io.StringIO("hunter2\n"))
    assert cli(data_dir, "feeds", "add", server.url("/private"), "--username", "ann", "--password-stdin") == 0
    assert "credentials saved in the system keyring" in capsys.readouterr().out
    assert cli(data_dir, "refresh") == 0
    assert "3 new papers" in capsys.readouterr().out
    assert "hunter2" not in library_files_text(data_dir)
    assert cli(data_dir, "feeds", "export-opml", "-") == 0
    assert "hunter2" not in capsys.readouterr().out
    assert cli(data_dir, "feeds", "set", server.url("/private"), "--forget-credentials") == 0
    assert memory_keyring.data == {}


def test_no_keyring_credentials_for_one_run(
    data_dir: Path, server: FeedServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        server.routes["/private"] = Route(body=CL, basic_auth=("ann", "hunter2"))
        url = server.url("/private").replace("http://", "http://ann:hunter2@")
        assert cli(data_dir, "feeds", "add", url, "--name", "Private") == 0
        err = capsys.readouterr().err
        assert "no system keyring" in err and "--password-stdin" in err and "hunter2" not in err
        assert cli(data_dir, "refresh") == 1
        assert "401 Unauthorized" in capsys.readouterr().err
        monkeypatch.setattr(sys, "stdin", io.StringIO("hunter2"))
        assert cli(data_dir, "refresh", "Private", "--username", "ann", "--password-stdin") == 0
        assert "3 new papers" in capsys.readouterr().out
        assert "hunter2" not in library_files_text(data_dir)
    finally:
        keyring.set_keyring(previous)


def test_opml_in_and_out(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(data_dir, "feeds", "import-opml", str(DATA / "newsboat_example.opml")) == 0
    assert "7 feeds added in 3 groups" in capsys.readouterr().out
    assert cli(data_dir, "feeds", "import-opml", str(DATA / "newsboat_example.opml")) == 0
    out, err = capsys.readouterr()
    assert "0 feeds added, 7 skipped" in out and "already subscribed" in err
    bad = tmp_path / "bad.opml"
    bad.write_bytes((DATA / "netnewswire_Subs.opml").read_bytes()[:3000])
    assert cli(data_dir, "feeds", "import-opml", str(bad)) == 1
    assert "nothing was imported" in capsys.readouterr().err
    target = tmp_path / "out.opml"
    assert cli(data_dir, "feeds", "export-opml", str(target)) == 0
    assert "7 feeds written" in capsys.readouterr().out
    assert b"Notes by Mike" in target.read_bytes()


def test_progress_bar_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    bar = ProgressBar(stream, width=10)
    bar(RefreshProgress(0, 4, 0))
    bar(RefreshProgress(2, 4, 17, last=FeedRefreshResult("f-1", "CL", RefreshOutcome.UPDATED)))
    bar(RefreshProgress(3, 4, 17, last=FeedRefreshResult("f-2", "X", RefreshOutcome.FAILED, error="500 oops")))
    bar.clear()
    text = stream.getvalue()
    assert "[#####-----] 2/4 feeds, 17 new papers" in text and "readinglist: error: X: 500 oops\n" in text
    quiet = io.StringIO()
    ProgressBar(quiet)(RefreshProgress(1, 2, 3))
    assert quiet.getvalue() == ""


def test_durations() -> None:
    assert parse_duration("30m") == 1800 and parse_duration("2h") == 7200 and parse_duration("1d") == 86400
    assert parse_duration("45") == 2700
    assert format_duration(86400) == "1d" and format_duration(5400) == "90m"


def test_the_console_script(data_dir: Path, server: FeedServer) -> None:
    server.routes["/cl"] = Route(body=CL)
    exe = Path(sys.executable).with_name("readinglist")
    add = subprocess.run(
        [exe, "--data-dir", data_dir, "feeds", "add", server.url("/cl")], capture_output=True, text=True, timeout=60
    )
    assert add.returncode == 0, add.stderr
    done = subprocess.run([exe, "--data-dir", data_dir, "refresh"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "3 new papers" in done.stdout
