"""Entry point of the `readinglist` command: global options, subcommands, and one-line errors."""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from readinglist import __version__
from readinglist.cli.terminal import SafeStream

if TYPE_CHECKING:
    from readinglist.app import App

Handler = Callable[[argparse.Namespace, "App"], int]

# Each module adds its subcommands with `register(subparsers)`, setting `handler` on each; here, the commands each
# one registers, in the order `--help` lists them. A command imports and builds its own module's parser alone
# (`list` loads neither the feed registry nor the exporters, and builds one subparser); `--help`, a usage error
# and an unknown command build them all. A test holds this table to what the modules register.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "library_commands": (
        "import", "list", "similar", "show", "star", "unstar", "read", "unread", "dismiss", "later", "unlater",
        "undismiss", "tag", "untag", "note", "stats", "backup", "restore",
    ),
    "feeds_commands": ("feeds", "refresh"),
    "export_commands": ("export", "cite"),
    "rules_commands": ("rules", "follow", "unfollow", "same", "merge", "author"),
    "digest_commands": ("digest", "schedule"),
    "desktop_commands": ("desktop",),
}  # fmt: skip
MODULE_OF = {command: module for module, commands in COMMAND_MODULES.items() for command in commands}


def command_module(name: str) -> Any:
    return importlib.import_module(f"readinglist.cli.{name}")


_SECRET_OPTION = re.compile(r"(--?[\w-]*(?:pass|token|secret)[\w-]*)(?:=\S+|\s+(?!-)\S+)", re.IGNORECASE)


class Parser(argparse.ArgumentParser):
    """argparse, except that a usage error never repeats a secret typed where it does not belong
    (`--password hunter2` is refused as unknown, and said back as `--password …`). Subcommands inherit it."""

    def error(self, message: str) -> NoReturn:
        super().error(_SECRET_OPTION.sub(r"\1 …", message))


class _OneCommand:
    """The subparsers as a module's `register` sees them when one command runs: that command's parser is built,
    every other `add_parser` call gets `_Nowhere`."""

    def __init__(self, sub: Any, command: str) -> None:
        self._sub = sub
        self._command = command

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        return self._sub.add_parser(name, **kwargs) if name == self._command else _Nowhere()


class _Nowhere:
    """A parser that is not built: every call on it, and on what it returns, does nothing."""

    def __getattr__(self, name: str) -> Any:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self


def build_parser(command: str | None = None, *, commands: bool = True) -> argparse.ArgumentParser:
    """The whole parser; with a known `command`, only that command's subparser (what running it parses);
    `commands=False`: the global options alone (no command given: the window)."""
    parser = Parser(
        prog="readinglist",
        description="A personal reading list for research papers. With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"readinglist {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the library folder (default: $READINGLIST_DATA_DIR, else the platform's user data folder)",
    )
    parser.add_argument(
        "--sample",
        action="store_true",
        help="use a separate library holding the bundled sample papers (loaded on first use)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long to wait for another readinglist process that is writing (default: 5)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command in MODULE_OF:
        command_module(MODULE_OF[command]).register(_OneCommand(sub, command))
    elif commands:
        for module in COMMAND_MODULES:
            command_module(module).register(sub)
    return parser


APP_SCHEME = "readinglist"  # core.digest.paper_link
GLOBAL_WITH_VALUE = ("--data-dir", "--wait")
GLOBAL_FLAGS = ("--sample",)


def _globals_first(argv: list[str]) -> tuple[list[str], list[str]]:
    """`readinglist list --data-dir X` as `readinglist --data-dir X list`: the options of every command may come
    after the command too (argparse only takes them before it). Nothing after `--` moves. The global options, and
    the rest."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_WITH_VALUE and "=" in arg:
            front.append(arg)
        elif name in GLOBAL_WITH_VALUE and i + 1 < len(argv):
            front.extend(argv[i : i + 2])
            i += 1
        elif arg in GLOBAL_FLAGS:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front, rest


def _paper_of_link(link: str) -> str | None:
    from urllib.parse import unquote

    rest = link[len(APP_SCHEME) + 1 :].lstrip("/")
    if not rest.startswith("paper/"):
        return None
    return unquote(rest[len("paper/") :]).strip() or None


def main(argv: Sequence[str] | None = None) -> int:
    # A feed's text printed as it came could drive the terminal (escape sequences, bidi overrides): never.
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(out), SafeStream(err)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The desktop opens a readinglist://paper/KEY link (a digest's "Open in Reading List") as an argument.
    links = [a for a in argv if a.startswith(f"{APP_SCHEME}:")]
    paper = _paper_of_link(links[0]) if links else None
    front, rest = _globals_first([a for a in argv if a not in links])
    # The command is the first word after the global options; anything else (--help, --version, a word that is no
    # command) is parsed by the whole parser, which says it as before.
    parser = build_parser(rest[0] if rest else None, commands=bool(rest))
    args = parser.parse_args(front + rest)
    args.paper = paper
    from readinglist.app import App, resolve_data_dir
    from readinglist.core.errors import ReadingListError

    owner = f"readinglist {args.command}" if args.command else "the Reading List window"
    app = App(data_dir=resolve_data_dir(args.data_dir, sample=args.sample), lock_timeout=args.wait, owner=owner)
    try:
        if args.command is None:
            # The window loads the sample itself, on its library thread, after checking for a running window.
            from readinglist.cli.library_commands import open_window

            return open_window(args, app)
        if args.sample and args.command != "restore":  # restore must work on a library that does not open
            from readinglist.cli.library_commands import ensure_sample

            ensure_sample(app)
        handler: Handler = args.handler
        return handler(args, app)
    except ReadingListError as exc:  # every failure worded for the user: one line, exit status 1
        print(f"readinglist: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"readinglist: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("readinglist: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
