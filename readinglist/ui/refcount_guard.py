"""A guard against a PySide6 6.12.0 bug on Python 3.10 and 3.11: None, True and False lose a reference per call.

shiboken6 6.12.0 returns None from every void method, and True from `Signal.emit`, without taking a reference
(harmless on Python 3.12+, where these objects are immortal, PEP 683). On Python 3.11 their reference count
falls by one per call, and after a few thousand calls the interpreter aborts with "Fatal Python error:
none_dealloc: deallocating None". 6.11.3 does not have the bug. Until the dependency excludes 6.12.0 on these
Pythons, the window gives these three objects a reference count no session can use up, which is what Python 3.12
does for them. Nothing is done on any other version.
"""

from __future__ import annotations

import ctypes
import sys

HEADROOM = 1 << 40  # a trillion calls


def affected(python: tuple[int, int], shiboken: str) -> bool:
    return python < (3, 12) and shiboken == "6.12.0"


def apply() -> bool:
    """Give None, True and False lasting headroom when running on an affected pair; True when it did."""
    import shiboken6

    if not affected(sys.version_info[:2], shiboken6.__version__) or sys.implementation.name != "cpython":
        return False
    for obj in (None, True, False):
        # ob_refcnt is the first field of every object in CPython's (non-debug) layout.
        ctypes.c_ssize_t.from_address(id(obj)).value += HEADROOM
    return True
