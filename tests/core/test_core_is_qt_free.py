"""The core must work without a screen: importing every core module must not load PySide6."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import readinglist.core


def test_no_core_module_loads_qt() -> None:
    modules = [m.name for m in pkgutil.walk_packages(readinglist.core.__path__, "readinglist.core.")]
    assert "readinglist.core.library" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "import readinglist.cli.main\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(loaded)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
