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


def whole_library_loaded_by(data_dir: Path, *args: str) -> bool:
    code = (
        "import sys\n"
        "from readinglist.cli.main import main\n"
        f"code = main({['--data-dir', str(data_dir), *args]!r})\n"
        "print('readinglist.core.library' in sys.modules)\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1] == "True"


@pytest.mark.parametrize(
    "command",
    [
        ("list", "--limit", "20"),
        ("list", "--unread", "--search", "retrieval"),
        ("show", "web:3ec47fcf9732"),
        ("star", "web:3ec47fcf9732"),
        ("stats",),
        ("backup",),
    ],
    ids=["list", "search", "show", "star", "stats", "backup"],
)
def test_commands_that_touch_a_few_papers_never_load_the_whole_library(library: Path, command: tuple[str, ...]) -> None:
    # They read the catalog and the parts they touch (core.shelf), at any library size.
    assert not whole_library_loaded_by(library, *command)


def test_views_that_need_every_paper_still_open_the_whole_library(library: Path) -> None:
    assert whole_library_loaded_by(library, "list", "--following")
