"""The composition root: the one place that decides paths and builds the store, library and services."""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from readinglist.core.credentials import CredentialStore
    from readinglist.core.library import Library
    from readinglist.core.shelf import Shelf


def _catalog_progress(done: int, total: int) -> None:
    """A command that finds the library's index far behind (its first use, a restore) says what it is doing."""
    if total >= 25 and (done == 1 or done == total or done % 25 == 0):
        end = "\n" if done == total else "\r"
        print(f"readinglist: indexing the library: {done} of {total} parts", end=end, file=sys.stderr, flush=True)


APP_NAME = "readinglist"
ENV_DATA_DIR = "READINGLIST_DATA_DIR"
SAMPLE_SOURCE = "Sample papers"


def resource(name: str) -> Path:
    """A bundled file: in the source tree's resources/ (a checkout, an editable install), else where a regular
    install put it (pyproject's data-files: <prefix>/share/readinglist)."""
    here = Path(__file__).resolve().parent
    for folder in (here.parent / "resources", Path(sys.prefix) / "share" / APP_NAME):
        if (folder / name).exists():
            return folder / name
    return here.parent / "resources" / name  # let the caller's error name the expected place


def default_data_dir() -> Path:
    import platformdirs  # (not loaded by a command given --data-dir)

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def sample_data_dir() -> Path:
    """Where `--sample` keeps its own library, apart from the user's real one."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)).parent / f"{APP_NAME}-sample"


def resolve_data_dir(cli_value: str | os.PathLike[str] | None, *, sample: bool = False) -> Path:
    """`--data-dir` wins, then READINGLIST_DATA_DIR, then the platform's user data folder."""
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    return sample_data_dir() if sample else default_data_dir()


@dataclass
class App:
    """What a command or the window needs, built once from the data folder."""

    data_dir: Path
    lock_timeout: float = 5.0
    owner: str = "readinglist"  # who this process is, for another that finds the library busy
    _credentials: CredentialStore | None = None
    # The window asks for the credential store from the GUI, library and network threads: built once, under a lock.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def open_library(self, *, writer: bool = True) -> Library:
        from readinglist.core.library import Library  # (a command that needs only a few papers never loads it)

        return Library.open(self.data_dir, writer=writer, lock_timeout=self.lock_timeout, owner=self.owner)

    def open_shelf(self, *, writer: bool = True) -> Shelf:
        """The library for a command that touches a few papers (`core.shelf`): nothing read but what it asks."""
        from readinglist.core.shelf import Shelf

        return Shelf.open(
            self.data_dir, writer=writer, lock_timeout=self.lock_timeout, owner=self.owner, progress=_catalog_progress
        )

    def credentials(self) -> CredentialStore:
        """The one credential store of this run (the OS keyring; per-run memory if there is none)."""
        with self._lock:
            if self._credentials is None:
                # Imported here: loading keyring (and its backends) costs commands that never need it.
                from readinglist.core.credentials import CredentialStore

                self._credentials = CredentialStore()
            return self._credentials

    def load_sample(self, library: Library) -> str:
        from readinglist.core.importer import read_feed_file

        parsed = read_feed_file(resource("sample-papers.xml"))
        return library.add_papers(parsed.papers, source=SAMPLE_SOURCE).summary()
