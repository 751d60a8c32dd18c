"""`backup --to FILE` and `restore --from FILE`: the whole library in one archive, and merging one back."""

from __future__ import annotations

import argparse
from pathlib import Path

from readinglist.app import App
from readinglist.core.archive import merge_archive, read_archive, write_archive
from readinglist.core.errors import CommandError


def backup_to(args: argparse.Namespace, app: App) -> int:
    # As a reader: a backup can be taken while the window holds the library open.
    with app.open_library(writer=False) as library:
        if library.is_empty():
            raise CommandError(f"the library in {app.data_dir} is empty: no archive was written")
        summary = write_archive(library, Path(args.to))
    print(f"archive written to {summary.path}: {summary.summary()}")
    return 0


def restore_from(args: argparse.Namespace, app: App) -> int:
    path = Path(args.from_file)
    archive = read_archive(path)  # before taking the writer lock: a wrong file changes nothing
    with app.open_library() as library:
        summary = merge_archive(library, archive)
    print(f"merged {path} into {app.data_dir}: {summary.summary()}")
    if summary.safety_backup:
        print(
            f"the library as it was before is backup {summary.safety_backup} (`readinglist restore "
            f"{summary.safety_backup}` brings it back)"
        )
    return 0
