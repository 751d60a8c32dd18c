"""The desktop window: the only part of readinglist that imports PySide6."""

from readinglist.ui import refcount_guard

refcount_guard.apply()
