"""The layout of a data folder, in one place: every path under DATA is named here and nowhere else.

DATA/library/      the library's parts and manifest (storage.py)
DATA/backups/      daily and manual backups
DATA/corrupt/      damaged files moved aside, never deleted
DATA/index/        derived caches (the catalog: lists, counts and search; the ranking), rebuilt when missing
DATA/lock          held by a process while it writes
DATA/window.ini    the window's own settings
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class DataFolder:
    root: Path

    @property
    def library(self) -> Path:
        return self.root / "library"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def corrupt(self) -> Path:
        return self.root / "corrupt"

    @property
    def index(self) -> Path:
        return self.root / "index"

    @property
    def catalog(self) -> Path:
        return self.index / "catalog.sqlite"

    @property
    def ranking(self) -> Path:
        return self.index / "ranking"

    @property
    def lock(self) -> Path:
        return self.root / "lock"

    @property
    def window_settings(self) -> Path:
        return self.root / "window.ini"
