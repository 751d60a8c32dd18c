"""`readinglist desktop install|remove`: Reading List in the desktop's menu, for this user (XDG paths), launching
the very `readinglist` this command is (a virtual environment's need not be on PATH), and opening the digest's
readinglist:// links."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from readinglist.app import App, resource
from readinglist.core.errors import CommandError
from readinglist.core.files import write_atomically

DESKTOP_NAME = "readinglist.desktop"
ICON_NAME = "readinglist.svg"
SCHEME = "x-scheme-handler/readinglist"


def register(sub: Any) -> None:
    p = sub.add_parser("desktop", help="put Reading List in this user's desktop menu (and take it out)")
    dsub = p.add_subparsers(dest="desktop_command", metavar="ACTION", required=True)
    s = dsub.add_parser("install", help="the menu entry, the icon, and readinglist:// links (XDG, this user only)")
    s.set_defaults(handler=cmd_desktop, action="install")
    s = dsub.add_parser("remove", help="take them out again")
    s.set_defaults(handler=cmd_desktop, action="remove")


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def program_path() -> Path:
    """This very readinglist command, by its full path (the desktop entry and the daily schedule run it without
    the virtual environment on PATH)."""
    candidate = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if candidate is not None and candidate.name == "readinglist" and candidate.is_file():
        return candidate
    beside = Path(sys.executable).parent / "readinglist"  # the environment this Python runs in
    if beside.is_file():
        return beside
    found = shutil.which("readinglist")
    if found:
        return Path(found).resolve()
    raise CommandError("cannot tell where the readinglist command is installed; run it by its full path")


def _quoted(path: Path) -> str:
    """A path as the Desktop Entry spec's Exec key wants it (quoted when it holds a space or a reserved char)."""
    text = str(path)
    if any(c in text for c in " \t\"'\\><~|&;$*?#()`"):
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
        return f'"{escaped}"'
    return text


def desktop_entry(program: Path, data_dir: Path | None) -> str:
    """The bundled desktop file, launching `program` (on the given library, when it is not the default one)."""
    text = resource(DESKTOP_NAME).read_text(encoding="utf-8")
    command = _quoted(program) + (f" --data-dir {_quoted(data_dir)}" if data_dir is not None else "")
    lines = []
    for line in text.splitlines():
        if line.startswith("Exec="):
            line = f"Exec={command} %u"
        elif line.startswith("TryExec="):
            line = f"TryExec={program}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _run(argv: list[str]) -> None:
    if shutil.which(argv[0]) is None:
        return
    subprocess.run(argv, capture_output=True, timeout=30, check=False)


def cmd_desktop(args: argparse.Namespace, app: App) -> int:
    share = data_home()
    entry = share / "applications" / DESKTOP_NAME
    icon = share / "icons" / "hicolor" / "scalable" / "apps" / ICON_NAME
    if args.action == "remove":
        gone = [p for p in (entry, icon) if p.exists()]
        for path in gone:
            path.unlink()
        _run(["update-desktop-database", str(entry.parent)])
        print("Removed " + ", ".join(map(str, gone)) if gone else "Reading List was not in this user's menu")
        return 0
    program = program_path()
    from readinglist.app import default_data_dir

    data_dir = None if app.data_dir.resolve() == default_data_dir().resolve() else app.data_dir.resolve()
    entry.parent.mkdir(parents=True, exist_ok=True)
    icon.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(entry, desktop_entry(program, data_dir).encode("utf-8"))
    entry.chmod(0o644)
    write_atomically(icon, resource(ICON_NAME).read_bytes())
    icon.chmod(0o644)
    _run(["update-desktop-database", str(entry.parent)])
    _run(["xdg-mime", "default", DESKTOP_NAME, SCHEME])
    print(f"Installed {entry} (launching {program}) and {icon}")
    print("Reading List is in the desktop's menu; the digest's “Open in Reading List” links open it")
    return 0
