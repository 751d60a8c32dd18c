"""`readinglist desktop install|remove` (issue 15): the menu entry and icon for this user, launching this very
readinglist, valid by desktop-file-validate, and the readinglist:// links of the digest registered."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from test_cli import run

ROOT = Path(__file__).resolve().parents[2]


def test_the_bundled_desktop_file_is_valid() -> None:
    validate = shutil.which("desktop-file-validate")
    if validate is None:
        pytest.skip("desktop-file-validate not installed (apt-get install desktop-file-utils)")
    proc = subprocess.run([validate, str(ROOT / "resources" / "readinglist.desktop")], capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_install_puts_a_valid_entry_that_runs_this_readinglist_and_remove_takes_it_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    share = tmp_path / "share with space"
    monkeypatch.setenv("XDG_DATA_HOME", str(share))
    data = tmp_path / "my library"
    code, out, err = run("--data-dir", str(data), "desktop", "install")
    assert code == 0, err
    entry = share / "applications" / "readinglist.desktop"
    icon = share / "icons" / "hicolor" / "scalable" / "apps" / "readinglist.svg"
    assert entry.is_file() and icon.read_bytes().startswith(b"<")
    fields = dict(line.split("=", 1) for line in entry.read_text().splitlines() if "=" in line)
    argv = shlex.split(fields["Exec"])
    assert Path(argv[0]).is_file() and Path(argv[0]).name == "readinglist"  # absolute: no PATH needed
    assert argv[1:] == ["--data-dir", str(data.resolve()), "%u"]
    assert fields["MimeType"] == "x-scheme-handler/readinglist;"
    assert fields["Categories"] == "Education;Literature;"  # one main category: listed once in the menu
    validate = shutil.which("desktop-file-validate")
    if validate is not None:
        proc = subprocess.run([validate, str(entry)], capture_output=True, text=True)
        assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout
    # The program named there runs and is this readinglist.
    assert subprocess.run([argv[0], "--version"], capture_output=True, text=True, timeout=60).returncode == 0

    code, out, _ = run("desktop", "remove")
    assert code == 0 and not entry.exists() and not icon.exists()
    assert "Removed" in out
    assert "was not in" in run("desktop", "remove")[1]
