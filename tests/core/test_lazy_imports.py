"""A command pays only for what it uses: reading the library (`list`, `show`, `stats`, `export`) loads neither the
HTTP client, the keyring, the feed parser, the OPML parser nor the TeX reader (reader's test_lazy_imports.py is
the model). Each is loaded, in a fresh interpreter, only by the commands that need it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("httpx", "keyring", "feedparser", "listparser", "pylatexenc")
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample-papers.xml"


def loaded_by(data_dir: Path, *args: str) -> list[str]:
    code = (
        "import sys\n"
        "from readinglist.cli.main import main\n"
        f"code = main({['--data-dir', str(data_dir), *args]!r})\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return eval(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def library(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    assert subprocess.run(
        [sys.executable, "-m", "readinglist.cli.main", "--data-dir", str(data_dir), "import", str(SAMPLE)],
        capture_output=True, timeout=120,
    ).returncode == 0  # fmt: skip
    return data_dir


@pytest.mark.parametrize(
    "command",
    [
        ("list", "--limit", "1"),
        ("list", "--search", "retrieval", "--json"),
        ("stats",),
        ("show", "web:3ec47fcf9732"),
        ("export", "--format", "bibtex", "--search", "retrieval"),
    ],
    ids=["list", "search", "stats", "show", "export"],
)
def test_reading_commands_load_nothing_heavy(library: Path, command: tuple[str, ...]) -> None:
    assert loaded_by(library, *command) == []


def test_the_commands_that_need_them_still_load_them(library: Path) -> None:
    assert "feedparser" in loaded_by(library, "import", str(SAMPLE))
    assert "listparser" in loaded_by(library, "feeds", "export-opml", "-")
