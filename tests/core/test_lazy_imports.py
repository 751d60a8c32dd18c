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


RSS_1 = (
    '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://example.org/"><title>T</title>'
    "<link>https://example.org/</link><description>d</description></channel>"
    '<item rdf:about="https://example.org/1"><title>Paper one</title><link>https://example.org/1</link></item>'
    "</rdf:RDF>"
)


def test_the_commands_that_need_them_still_load_them(library: Path, tmp_path: Path) -> None:
    # A feed the fast path reads (the sample is arXiv RSS) loads no feedparser; one it leaves to feedparser does.
    assert "feedparser" not in loaded_by(library, "import", str(SAMPLE))
    rss1 = tmp_path / "rss1.xml"
    rss1.write_text(RSS_1)
    assert "feedparser" in loaded_by(library, "import", str(rss1))
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


# What a command that reads or marks a few papers never loads: the other commands' modules and what only they use
# (subscriptions, exports, rules, HTML parsing, the file-writing helpers and their randomness, a backup's copies).
NOT_FOR_A_FEW_PAPERS = (
    "readinglist.cli.feeds_commands",
    "readinglist.cli.export_commands",
    "readinglist.cli.rules_commands",
    "readinglist.cli.digest_commands",
    "readinglist.cli.desktop_commands",
    "readinglist.core.export",
    "readinglist.core.importer",
    "readinglist.core.refresh",
    "html.parser",
)
NOT_FOR_A_LIST = (*NOT_FOR_A_FEW_PAPERS, "readinglist.core.feeds", "readinglist.core.rules", "readinglist.core.files",
                  "secrets", "hashlib", "textwrap")  # fmt: skip


def modules_loaded_by(data_dir: Path, names: tuple[str, ...], *args: str) -> list[str]:
    code = (
        "import sys\n"
        "from readinglist.cli.main import main\n"
        f"code = main({['--data-dir', str(data_dir), *args]!r})\n"
        f"print(sorted(m for m in {names!r} if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return eval(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("command", "names"),
    [
        (("list", "--limit", "20"), NOT_FOR_A_LIST),
        (("show", "web:3ec47fcf9732"), NOT_FOR_A_FEW_PAPERS),
        (("star", "web:3ec47fcf9732"), NOT_FOR_A_FEW_PAPERS),
    ],
    ids=["list", "show", "star"],
)
def test_a_command_loads_its_own_module_alone(library: Path, command: tuple[str, ...], names: tuple[str, ...]) -> None:
    assert modules_loaded_by(library, names, *command) == []


def test_the_command_table_names_what_each_module_registers() -> None:
    # main.COMMAND_MODULES says which module to import for a command; the whole parser says what each registers.
    import argparse

    from readinglist.cli.main import COMMAND_MODULES, build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    registered: dict[str, list[str]] = {}
    for name, parser in sub.choices.items():
        handlers = [parser.get_default("handler")]
        if handlers == [None]:  # a command with actions (feeds add, rules list): its actions' handlers
            actions = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
            handlers = [p.get_default("handler") for p in actions.choices.values()]
        (module,) = {h.__module__.rsplit(".", 1)[1] for h in handlers}
        registered.setdefault(module, []).append(name)
    assert {m: tuple(names) for m, names in registered.items()} == COMMAND_MODULES


def test_every_command_parses_as_with_the_whole_parser() -> None:
    # Building one command's parser gives what the whole parser gives for it.
    from readinglist.cli.main import MODULE_OF, build_parser

    whole = build_parser()
    for argv in (["list", "--limit", "3", "--unread"], ["star", "a", "b"], ["feeds", "list", "--json"],
                 ["rules", "test", "--title", "x"], ["export", "--format", "bibtex"], ["digest", "setup", "--show"],
                 ["schedule", "status"], ["desktop", "remove"], ["show", "k", "--json"]):  # fmt: skip
        assert argv[0] in MODULE_OF
        assert vars(build_parser(argv[0]).parse_args(argv)) == vars(whole.parse_args(argv))
