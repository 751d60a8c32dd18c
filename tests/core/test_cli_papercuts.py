"""Command-line papercuts a new user met (issue 15), through the real command: options after the command, all or
nothing with a paper that does not exist, counts in words, and no display for the window."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from test_cli import SAMPLE, run


def test_global_options_work_after_the_command_too(tmp_path: Path) -> None:
    data = tmp_path / "lib"
    assert run("import", str(SAMPLE), "--data-dir", str(data))[0] == 0
    code, out, err = run("list", "--limit", "2", "--data-dir", str(data))
    assert code == 0 and len(out.splitlines()) == 2, err
    code, out, _ = run("feeds", "list", f"--data-dir={data}")
    assert code == 0
    code, out, _ = run("stats", "--wait", "1", "--data-dir", str(data))
    assert code == 0 and "60" in out


def test_an_unknown_paper_among_several_changes_none_and_says_so(tmp_path: Path) -> None:
    data = str(tmp_path / "lib")
    run("--data-dir", data, "import", str(SAMPLE))
    keys = [line.split()[0] for line in run("--data-dir", data, "list", "--limit", "2")[1].splitlines()]
    code, _, err = run("--data-dir", data, "star", keys[0], "nosuch", keys[1], "neither")
    assert code == 1
    assert "'nosuch' or 'neither'" in err and "none of the 4 papers was changed" in err
    assert run("--data-dir", data, "list", "--starred")[1] == ""


def test_one_paper_is_one_paper(tmp_path: Path) -> None:
    data = str(tmp_path / "lib")
    run("--data-dir", data, "import", str(SAMPLE))
    key = run("--data-dir", data, "list", "--limit", "1")[1].split()[0]
    code, _, err = run("--data-dir", data, "export", "-o", str(tmp_path / "one.bib"), key)  # the name says BibTeX
    assert code == 0 and "exported 1 paper as BibTeX" in err, err
    assert (tmp_path / "one.bib").read_text().startswith("@")
    code, _, err = run("--data-dir", data, "export", key)
    assert code == 1 and "say which format" in err


def test_the_window_without_a_display_is_one_line_and_an_exit_status(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run(
        [sys.executable, "-m", "readinglist", "--data-dir", str(tmp_path / "lib")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "readinglist: error: no display: the window needs a graphical session (neither DISPLAY nor WAYLAND_DISPLAY "
        "is set); the command line works without one (readinglist --help)"
    ]


def test_restore_after_restore_from_brings_the_daily_backup_and_safety_copies_keep_the_seven(tmp_path: Path) -> None:
    from readinglist.core.storage import BACKUPS_KEPT, Store

    data = str(tmp_path / "lib")
    other = str(tmp_path / "other")
    run("--data-dir", data, "import", str(SAMPLE))
    run("--data-dir", data, "backup")  # the backup the user means
    run("--data-dir", other, "import", str(SAMPLE))
    archive = tmp_path / "other.zip"
    assert run("--data-dir", other, "backup", "--to", str(archive))[0] == 0
    for _ in range(BACKUPS_KEPT):  # many restores, each taking a safety copy
        assert run("--data-dir", data, "restore", "--from", str(archive))[0] == 0
    store = Store(Path(data), writer=False)
    names = [b.name for b in store.list_backups()]
    regular = [n for n in names if "before-restore" not in n]
    assert regular, names  # the user's own backup was not pushed out by the safety copies
    assert sum("before-restore" in n for n in names) <= 3
    chosen = store.choose_backup(None)
    assert "before-restore" not in chosen.name  # plain restore: the user's backup, not a restore's safety copy
