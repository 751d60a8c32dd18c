"""The crash-safe store under TinyDB: immutable generation files, an atomically replaced manifest, one writer.

Layout of a data folder::

    library/manifest.json        which file holds each part of the library, the schema version, the generation
    library/<part>.g<N>.json     TinyDB documents of one part (a segment of papers, a shard of user state, feeds)
    backups/<timestamp>/         the files of library/ at one generation, the newest 7 kept (hard links to
                                 backups/.pool/, which holds one copy of each generation file)
    corrupt/<timestamp>/         files found damaged, moved aside, never deleted by us
    lock                         held by a process while it writes: one transaction at a time, never for a life

A commit writes every changed part to a new file (written, flushed, fsynced), then writes the manifest to a
temporary file in the same folder, fsyncs it, renames it over the old manifest and fsyncs the folder. Until that
rename the old manifest names the old files, which are only removed after it: a crash at any system call leaves
either the old or the new library, and a commit spanning several parts (an import) is all-or-nothing.

Its size (about 640 lines): one commit protocol (generation files, manifest, fsyncs, the lock), its recovery
(corrupt files moved aside, backups, salvage) and its migrations, which share the manifest's invariants and are
tested together by the crash-point and kill trials.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage

from readinglist.core.datadir import DataFolder
from readinglist.core.errors import StoreError
from readinglist.core.models import SCHEMA_VERSION

# shutil and core.files are imported by the writes and backups that use them: a reader loads neither.

if TYPE_CHECKING:
    import mmap
    from concurrent.futures import ThreadPoolExecutor

    from readinglist.core.files import WriterLock

MANIFEST = "manifest.json"
ALTERED = "its contents differ from the checksum the manifest gives (it was altered after it was written)"
MANIFEST_FORMAT = "readinglist-library"
BACKUPS_KEPT = 7
READ_AHEAD = 4  # segment files read ahead of their use when several papers are read out of many
SAFETY_KEPT = 3  # copies taken by restores, kept besides the seven
# Backups share one copy of each generation file: backups/.pool/<file> is copied once (a generation file never
# changes), and every backup folder holds hard links to it. A backup is thus whole on its own (its files live on
# if the library folder or the pool goes), the library's own files are another copy (damage to them reaches no
# backup), and the day's first change costs a copy of what changed since the last backup, not of the library.
POOL = ".pool"

# Schema migrations: MIGRATIONS[n] turns a schema-n library (its raw parts) into schema n+1.
Parts = dict[str, dict[str, Any]]
MIGRATIONS: dict[int, Callable[[Parts], Parts]] = {}


class LibraryLockedError(StoreError):
    pass


class CorruptLibraryError(StoreError):
    def __init__(self, message: str, *, path: Path, moved_to: Path | None, backup: Path | None) -> None:
        super().__init__(message)
        self.path = path
        self.moved_to = moved_to
        self.backup = backup


class FutureSchemaError(StoreError):
    pass


class WriteFailedError(StoreError):
    pass


@dataclass(frozen=True, slots=True)
class BackupInfo:
    name: str
    path: Path
    created: str
    generation: int
    papers_bytes: int


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while a loop allocates an object per paper: at 100,000 papers the collector walking the
    heap again and again, not the work, is most of the time (FIELD-NOTES). Used to load the library, to build the
    window's rows and the ranking's features."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H%M%S.%fZ")


class AtomicJSONStorage(Storage):
    """TinyDB's storage seam for one part of the library: read once, kept in memory, written by Store commits.

    `write` never touches the disk by itself: it hands the data to the store, which makes it durable at the end
    of the current transaction (or at once, outside one). TinyDB thus never sees a half-written file.
    """

    def __init__(self, store: Store, part: str) -> None:
        self._store = store
        self._part = part
        self._data: dict[str, Any] | None = store.loaded_part(part)

    def read(self) -> dict[str, Any] | None:
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        self._store.mark_dirty(self._part, data)

    def close(self) -> None:
        pass


def is_safety_copy(name: str) -> bool:
    """A backup a restore took of the library it replaced ("...-before-restore", "...-before-restore-from")."""
    return "-before-restore" in name


class Store:
    """The files of one library: load, transactional commit, lock, backups, restore, corruption handling."""

    def __init__(
        self,
        root: Path,
        *,
        writer: bool = True,
        lock_timeout: float = 5.0,
        owner: str = "readinglist",
        lazy: bool = False,
    ) -> None:
        self.root = Path(root)
        # Lazy: opening reads the manifest alone, and each part when it is first asked for (a command that shows
        # or stars one paper reads two files of a million-paper library, not all of them).
        self.lazy = lazy
        self.folder = DataFolder(self.root)
        self.dir = self.folder.library
        self.writer = writer
        self._lock_timeout = lock_timeout
        self._lock: WriterLock | None = None  # (made at the first write: readers never lock)
        self._lock_depth = 0  # > 0 while this process holds the writer lock (a transaction, a backup, a recovery)
        self._orphans_checked = False
        # The manifest's bytes that memory is at (loaded, caught up with, or written): a catch-up that reads the
        # same bytes again has nothing to do, without parsing the list of every part (44 KB at 1,000,000 papers).
        self._manifest_raw: bytes | None = None
        # `part_names` as last answered, for this `_files` (held, so that its id stays its own) and this epoch
        # (counted up whenever a part appears in memory or goes, with the same `_files`: in a transaction).
        self._names: tuple[dict[str, str], int, tuple[str, ...]] | None = None
        self._names_epoch = 0
        self.owner = owner  # who this process is, for another process that finds the library busy
        self._parts: Parts = {}
        self._files: dict[str, str] = {}
        self._sizes: dict[str, int] = {}
        self._sums: dict[str, int] = {}  # part -> CRC-32 of its file, for segments (see `read_doc`)
        self._dbs: dict[str, TinyDB] = {}
        self._dirty: dict[str, dict[str, Any]] = {}
        self._dropped: set[str] = set()  # parts the transaction under way removes (a state shard split in two)
        self._depth = 0
        self.generation = 0
        self.schema = SCHEMA_VERSION
        self._schema_dirty = False  # the manifest must be written even if no part changed (restore, migration)
        self.on_reload: Callable[[], None] | None = None  # called after memory went back to the disk's state
        # Called with the names of the parts another process changed, once memory holds their new contents.
        self.on_parts_changed: Callable[[set[str]], None] | None = None
        # Parts other processes changed that the owner has not been told of yet (a catch-up at the start of this
        # process's own write reads them too, and must not swallow the news).
        self._unseen: set[str] = set()

    # ---- opening -------------------------------------------------------------------------------------------

    def open(self) -> None:
        """Load the library. Nothing is locked: a writer takes the lock for each write (`transaction`), so the
        window and the command line can both write to one library, one transaction at a time."""
        try:
            self._load()
        except BaseException:
            self.close()
            raise
        if self.writer and self.schema < SCHEMA_VERSION:
            if self.lazy:  # a migration rewrites every part: read them all
                self.lazy = False
                self._load()
            with self.locked():
                if self.schema < SCHEMA_VERSION:  # (another process may have upgraded it meanwhile)
                    self._migrate()

    def open_for_recovery(self) -> StoreError | None:
        """Take the writer lock and load what can be loaded; a damaged library is moved aside, never deleted.

        Returns the problem found, if any; the store is then empty and ready for `restore`.
        """
        self._hold_lock()
        try:
            self._load()
        except StoreError as exc:
            self._move_library_aside()
            self._parts, self._files, self._sizes, self._sums = {}, {}, {}, {}
            self._manifest_raw = None
            self.generation = self._generation_floor()
            self.schema = SCHEMA_VERSION
            return exc
        self._remove_orphans()
        return None

    def salvage(self) -> list[str]:
        """Rebuild the library from every part file that still reads; a damaged part comes from the newest good
        backup, or is left out when no backup has it.

        The recovery that keeps the most: every change to the parts that still read is kept, and only what a
        damaged file held goes back to the backup. The library folder is copied to corrupt/ first, so nothing is
        lost even from a part that is left out. Returns what was not kept as it was, one line each.
        """
        import shutil

        self._hold_lock()
        manifest: dict[str, Any] | None
        try:
            manifest = self._read_manifest()
        except CorruptLibraryError:
            manifest = None
        if manifest is not None and int(manifest["schema"]) > SCHEMA_VERSION:
            raise FutureSchemaError(
                f"the library in {self.dir} was written by a newer readinglist; nothing was changed"
            )
        if self.dir.is_dir():
            copy = self.folder.corrupt / (_timestamp() + "-before-salvage")
            shutil.copytree(self.dir, copy)
        named: dict[str, str] = dict(manifest["files"]) if manifest else {}
        sizes: dict[str, int] = dict(manifest.get("sizes", {})) if manifest else {}
        sums = _sums_of(manifest) if manifest else {}
        found: dict[str, list[tuple[int, str]]] = {}
        for entry in self.dir.glob("*.json") if self.dir.is_dir() else ():
            m = re.fullmatch(r"(?P<part>.+)\.g(?P<gen>\d+)\.json", entry.name)
            if m:
                found.setdefault(m["part"], []).append((int(m["gen"]), entry.name))
        backup = self.latest_good_backup()
        from_backup: dict[str, str] = {}
        if backup is not None:
            backup_manifest = orjson.loads((backup.path / MANIFEST).read_bytes())
            from_backup = dict(backup_manifest["files"])
        parts: Parts = {}
        report: list[str] = []
        schema = int(manifest["schema"]) if manifest else SCHEMA_VERSION
        candidates_parts = set(found) | set(named) | (set(from_backup) if manifest is None else set())
        # A state shard that was split left its children: an old file of the shard itself is not part of it.
        split = {p for p in candidates_parts if any(q.startswith(p + ".") for q in candidates_parts)}
        for part in sorted(candidates_parts - split):
            # The manifest's file first, then any other generation of the part, newest first.
            candidates = [named[part]] if part in named else []
            candidates += [name for _, name in sorted(found.get(part, []), reverse=True) if name not in candidates]
            reason = "its file is missing"
            for name in candidates:
                try:
                    raw = (self.dir / name).read_bytes()
                    if name == named.get(part) and part in sizes and sizes[part] != len(raw):
                        reason = "its file is truncated or altered"
                        continue
                    if name == named.get(part) and part in sums and sums[part] != zlib.crc32(raw):
                        reason = "its file was altered after it was written (its checksum differs)"
                        continue
                    data = orjson.loads(raw)
                    if isinstance(data, dict) and all(isinstance(t, dict) for t in data.values()):
                        parts[part] = data
                        break
                    reason = "its file does not hold TinyDB tables"
                except FileNotFoundError:
                    moved = self._find_moved(name)
                    reason = f"its file is missing (moved to {moved} when found damaged)" if moved else "it is missing"
                except (OSError, orjson.JSONDecodeError) as exc:
                    reason = f"its file could not be read ({exc})"
            else:
                if backup is not None and part in from_backup:
                    parts[part] = orjson.loads((backup.path / from_backup[part]).read_bytes())
                    report.append(
                        f"{part}: {reason}; it was taken from backup {backup.name} (its changes since then are lost)"
                    )
                else:
                    report.append(f"{part}: {reason}; it was left out (no backup holds it)")
        self.generation = self._generation_floor()
        self._replace_with(parts, schema=schema)
        return report

    def _generation_floor(self) -> int:
        """The highest generation this library is known to have reached (its files, its backups), so that a
        recovered library's commits count on from there and its backups sort after the older ones."""
        best = self.generation
        for backup in self.list_backups():
            best = max(best, backup.generation)
        for entry in self.dir.glob("*.g*.json") if self.dir.is_dir() else ():
            m = re.fullmatch(r".+\.g(?P<gen>\d+)\.json", entry.name)
            if m:
                best = max(best, int(m["gen"]))
        return best

    def _replace_with(self, parts: Parts, *, schema: int) -> None:
        """Make `parts` the whole library in one commit (restore, salvage); upgrade it if its schema is older."""
        with self.locked():  # caught up first, so that the new manifest names only `parts`
            self._parts, self._files, self._sizes, self._sums, self._dbs = {}, {}, {}, {}, {}
            self.schema = schema
            self._manifest_raw = None
            with self.transaction():
                for part, data in parts.items():
                    self.mark_dirty(part, data)
                self._schema_dirty = True
            self._remove_orphans()
        if self.schema < SCHEMA_VERSION:
            self._migrate()

    def _move_library_aside(self) -> None:
        from readinglist.core.files import fsync_dir

        if not self.dir.is_dir() or not any(self.dir.iterdir()):
            return
        target = self.folder.corrupt / (_timestamp() + "-library")
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(self.dir, target)
        self.dir.mkdir(mode=0o700)
        fsync_dir(self.root)

    def _acquire_lock(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        info_path = self.root / "lock.owner"
        from readinglist.core.files import LockTimeout, WriterLock

        if self._lock is None:
            self._lock = WriterLock(self.folder.lock, timeout=self._lock_timeout, mode=0o600)
        try:
            self._lock.acquire()
        except LockTimeout:
            owner = ""
            with contextlib.suppress(OSError):
                owner = info_path.read_text(encoding="utf-8").strip()
            who = f" by {owner}" if owner else " by another readinglist process"
            raise LibraryLockedError(
                f"the library in {self.root} is in use: it is being written{who}, and was still busy after "
                f"{self._lock_timeout:g} s; try again in a moment (or give a longer --wait)"
            ) from None
        with contextlib.suppress(OSError):
            # Only words for a waiting process: not worth an fsync on every write.
            info_path.write_text(f"{self.owner} (pid {os.getpid()})\n", encoding="utf-8")

    def _release_lock(self) -> None:
        if self._lock is not None and self._lock.is_locked:
            with contextlib.suppress(OSError):
                (self.root / "lock.owner").unlink()
            self._lock.release()

    def _hold_lock(self) -> None:
        """Take the lock for the rest of this process's use of the store (recovery, salvage)."""
        if self._lock_depth == 0:
            self._acquire_lock()
        self._lock_depth += 1

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the writer lock, with memory first brought up to what other processes committed meanwhile.

        Re-entrant. Files a crashed commit left behind are removed at the first one, where no other writer can be
        creating its own."""
        if not self.writer:
            raise StoreError("this library was opened read-only")
        if self._lock_depth == 0:
            self._acquire_lock()
            try:
                self.catch_up()
                if not self._orphans_checked:
                    # Once per process, at its first write: what a crashed commit (of any process) left behind.
                    self._remove_orphans()
                    self._orphans_checked = True
            except BaseException:
                self._release_lock()
                raise
        self._lock_depth += 1
        try:
            yield
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                self._release_lock()

    def catch_up(self) -> set[str]:
        """Bring memory up to the committed library: the parts another process changed since this one last looked
        are read again (parts are immutable files named by the manifest, so only those). Returns their names.
        Safe without the lock: a file removed by a writer meanwhile means a newer manifest, read again."""
        if self._dirty or self._depth:
            return set()  # never in the middle of this process's own transaction
        for attempt in range(20):
            try:
                return self._catch_up_once()
            except FileNotFoundError:
                if self._lock_depth:
                    raise  # under the lock nobody removes files
                time.sleep(0.02 * (attempt + 1))
        return self._catch_up_once()

    def _catch_up_once(self) -> set[str]:
        raw = self._read_manifest_bytes()
        if raw is None:
            return set()
        if raw == self._manifest_raw:
            return set()
        manifest = self._parse_manifest(raw)
        files: dict[str, str] = dict(manifest["files"])
        if int(manifest["generation"]) == self.generation and files == self._files:
            self._manifest_raw = raw
            return set()
        sizes = {p: int(n) for p, n in manifest.get("sizes", {}).items()}
        sums = _sums_of(manifest)
        changed = {p for p in set(files) | set(self._files) if files.get(p) != self._files.get(p)}
        loaded: dict[str, dict[str, Any]] = {}
        for part in sorted(changed):
            if part not in files or (self.lazy and part not in self._parts):
                continue  # (a lazy store reads a part when it is asked for)
            path = self.dir / files[part]
            loaded[part] = self._parse_part(path, path.read_bytes(), sizes.get(part), sums.get(part))
        for part in changed:
            self._dbs.pop(part, None)
            if part in loaded:
                self._parts[part] = loaded[part]
            else:
                self._parts.pop(part, None)
        self._files, self._sizes, self.generation = files, sizes, int(manifest["generation"])
        self._sums = sums
        self.schema = int(manifest["schema"])
        self._manifest_raw = raw
        self._unseen |= changed
        if changed and self.on_parts_changed is not None:
            self.on_parts_changed(changed)
        return changed

    def take_changes(self) -> set[str]:
        """The parts other processes changed since the last call (caught up at a write or by `catch_up`)."""
        self.catch_up()
        changed, self._unseen = self._unseen, set()
        return changed

    def close(self) -> None:
        for db in self._dbs.values():
            db.close()
        self._dbs.clear()
        if self._lock is not None:
            self._lock_depth = 0
            self._release_lock()
            self._lock = None

    def _load(self) -> None:
        # Retry: opening takes no lock (a reader never does, a writer only for its writes), so a writer may remove
        # files it just replaced while they are read here. A file still missing after that is damage.
        attempts = 20
        for attempt in range(attempts):
            try:
                self._load_once(last_try=attempt == attempts - 1)
                return
            except FileNotFoundError:
                time.sleep(0.02 * (attempt + 1))

    def _read_manifest(self) -> dict[str, Any] | None:
        raw = self._read_manifest_bytes()
        return None if raw is None else self._parse_manifest(raw)

    def _read_manifest_bytes(self) -> bytes | None:
        try:
            return (self.dir / MANIFEST).read_bytes()
        except FileNotFoundError:
            return None

    def _parse_manifest(self, raw: bytes) -> dict[str, Any]:
        path = self.dir / MANIFEST
        try:
            manifest = orjson.loads(raw)
            if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
                raise ValueError("it is not a readinglist manifest")
            files = manifest["files"]
            if not isinstance(files, dict) or not isinstance(manifest["generation"], int):
                raise ValueError("its list of files is malformed")
            int(manifest["schema"])
        except (orjson.JSONDecodeError, ValueError, KeyError, TypeError) as exc:
            reason = "it is empty" if not raw.strip() else f"it is not valid ({exc})"
            raise self._corrupt(path, reason) from None
        return manifest

    def _load_once(self, *, last_try: bool = True) -> None:
        self._manifest_raw = None
        raw = self._read_manifest_bytes()
        manifest = None if raw is None else self._parse_manifest(raw)
        if manifest is None:
            if (self.folder.corrupt).is_dir() and any((self.folder.corrupt).iterdir()):
                latest = self.latest_good_backup()
                hint = self._recovery_hint(manifest_damaged=True, latest=latest)
                raise CorruptLibraryError(
                    f"the library in {self.dir} has no manifest, and damaged files were moved to "
                    f"{self.root / 'corrupt'} earlier{hint}",
                    path=self.dir / MANIFEST,
                    moved_to=None,
                    backup=latest.path if latest else None,
                )
            self._parts, self._files, self._sizes, self._sums = {}, {}, {}, {}
            self.generation, self.schema = 0, SCHEMA_VERSION
            return
        schema = int(manifest["schema"])
        if schema > SCHEMA_VERSION:
            raise FutureSchemaError(
                f"the library in {self.dir} was written by a newer readinglist ({self.dir / MANIFEST} says schema "
                f"{schema}; this version "
                f"reads up to {SCHEMA_VERSION}); upgrade readinglist to open it. Nothing was changed."
            )
        parts: Parts = {}
        sizes: dict[str, int] = manifest.get("sizes", {})
        sums = _sums_of(manifest)
        with gc_paused():  # the cyclic GC, not parsing, is most of the cost of loading 100k documents
            for part, filename in manifest["files"].items() if not self.lazy else ():
                path = self.dir / filename
                try:
                    raw = path.read_bytes()
                except FileNotFoundError:
                    if not last_try:
                        raise  # a writer replaced it after we read the manifest: read the new manifest
                    moved = self._find_moved(filename)
                    where = f" (it was moved to {moved} when it was found damaged)" if moved else ""
                    raise self._corrupt(path, f"it is missing{where}", move=False) from None
                parts[part] = self._parse_part(path, raw, sizes.get(part), sums.get(part))
                if _summed(part) and part not in sums:
                    sums[part] = zlib.crc32(raw)  # (a library from before checksums: kept from its next commit)
            # The documents live as long as the library: keep later collections from walking all of them again
            # (a full collection over 100k papers is a visible pause in the window). Refcounting still frees them.
            gc.freeze()
        if self.lazy:
            # What a lazy open can check without reading: every file is there, at the size the manifest gives (a
            # truncated or missing file is named now, not when a command happens to read that part).
            for part, filename in manifest["files"].items():
                path = self.dir / filename
                try:
                    size = path.stat().st_size
                except FileNotFoundError:
                    if not last_try:
                        raise
                    moved = self._find_moved(filename)
                    where = f" (it was moved to {moved} when it was found damaged)" if moved else ""
                    raise self._corrupt(path, f"it is missing{where}", move=False) from None
                expected = sizes.get(part)
                if expected is not None and int(expected) != size:
                    raise self._corrupt(
                        path, f"it is truncated or altered ({size} bytes, the manifest says {expected})"
                    )
        self._parts = parts
        self._files = dict(manifest["files"])
        self._sizes = {p: int(s) for p, s in sizes.items()}
        self._sums = sums
        self.generation = int(manifest["generation"])
        self.schema = schema
        self._manifest_raw = raw
        if schema < SCHEMA_VERSION and not self.writer:
            raise StoreError(
                f"the library in {self.dir} uses an older schema ({schema}); open it once for writing "
                "(any change, or `readinglist stats` as writer) to upgrade it"
            )

    def _parse_part(self, path: Path, raw: bytes, size: int | None, crc: int | None) -> dict[str, Any]:
        """A part file's tables, checked against the size and the checksum the manifest gives (a segment's; a
        state shard has none); damage raises CorruptLibraryError. The checksum catches what parses: a bad sector
        or a bad copy inside an abstract leaves valid JSON of the same size."""
        if size is not None and size != len(raw):
            raise self._corrupt(path, f"it is truncated or altered ({len(raw)} bytes, the manifest says {size})")
        # The checksum of a big file is worked out on another core while this one parses (zlib lets go of the
        # GIL): a whole open at 100,000 papers checks 200 MB of segments, 0.12 s in line.
        summed = _checksum_pool().submit(zlib.crc32, raw) if crc is not None and len(raw) > 1 << 20 else None
        if crc is not None and summed is None and crc != zlib.crc32(raw):
            raise self._corrupt(path, ALTERED)
        data: Any = None
        reason = ""
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            reason = f"it is not valid JSON ({exc})"
        if summed is not None and summed.result() != crc:
            reason = ALTERED
        if reason:
            raise self._corrupt(path, reason)
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise self._corrupt(path, "it does not hold TinyDB tables")
        return data

    def _find_moved(self, filename: str) -> Path | None:
        corrupt = self.folder.corrupt
        if not corrupt.is_dir():
            return None
        hits = sorted(corrupt.glob(f"*/{filename}"))
        return hits[-1] if hits else None

    def _corrupt(self, path: Path, reason: str, *, move: bool = True) -> CorruptLibraryError:
        from readinglist.core.files import fsync_dir

        moved_to: Path | None = None
        if move and self.writer and path.exists():
            target_dir = self.folder.corrupt / _timestamp()
            target_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            moved_to = target_dir / path.name
            os.replace(path, moved_to)
            with contextlib.suppress(OSError):
                fsync_dir(path.parent)
        latest = self.latest_good_backup()
        msg = f"library file {path} is damaged: {reason}"
        if moved_to:
            msg += f"; it was moved to {moved_to}"
        msg += self._recovery_hint(manifest_damaged=path.name == MANIFEST, latest=latest)
        return CorruptLibraryError(msg, path=path, moved_to=moved_to, backup=latest.path if latest else None)

    def _recovery_hint(self, *, manifest_damaged: bool, latest: BackupInfo | None) -> str:
        """What to run, the recovery that keeps the most first: salvage keeps every file that still reads."""
        if manifest_damaged:
            keeps = "rebuilds the library from its files, keeping every change that still reads"
        elif latest:
            keeps = f"keeps everything else and takes only what this file held from backup {latest.name}"
        else:
            keeps = "keeps everything else and leaves out only what this file held (there is no backup)"
        hint = f". To recover, `readinglist restore --salvage` {keeps}"
        if latest:
            hint += (
                f"; or `readinglist restore` goes back to backup {latest.name} as a whole "
                f"(taken {latest.created[:16].replace('T', ' ')}), losing every change since"
            )
        return hint

    def _migrate(self) -> None:
        self.backup(reason=f"before-migration-from-schema-{self.schema}")
        parts = self._parts
        while self.schema < SCHEMA_VERSION:
            step = MIGRATIONS[self.schema]
            parts = step(parts)
            self.schema += 1
        self._parts = parts
        self._names_epoch += 1
        with self.transaction():
            for part, data in parts.items():
                self.mark_dirty(part, data)
            self._schema_dirty = True

    def _remove_orphans(self) -> None:
        """Remove files a crashed commit left behind: generation files the manifest does not name."""
        if not self.dir.is_dir():
            return
        named = set(self._files.values()) | {MANIFEST}
        for entry in self.dir.iterdir():
            if entry.name not in named and (entry.suffix in (".json", ".tmp")):
                with contextlib.suppress(OSError):
                    entry.unlink()

    # ---- parts and TinyDB -------------------------------------------------------------------------------

    def parts(self) -> list[str]:
        return list(self.part_names())

    def part_names(self) -> tuple[str, ...]:
        """The parts there are. The same tuple object is returned until they change, so a caller may keep what
        it derives from them by identity (asked several times per change, of about 500 parts at 1,000,000 papers)."""
        known = self._names
        if known is not None and known[0] is self._files and known[1] == self._names_epoch:
            return known[2]  # (`_files` is never changed in place: a new dict at every commit or catch-up)
        if self._parts.keys() <= self._files.keys():
            names = tuple(self._files)
        else:
            names = tuple(dict.fromkeys([*self._files, *self._parts]))
        self._names = (self._files, self._names_epoch, names)
        return names

    def files(self) -> dict[str, str]:
        """Part -> the file that holds it now (a new file for every commit that changed the part)."""
        return dict(self._files)

    def file_of(self, part: str) -> str | None:
        """The file that holds `part` now (a new one for every commit that changed it): `files()` for one part."""
        return self._files.get(part)

    def loaded_part(self, part: str) -> dict[str, Any] | None:
        data = self._parts.get(part)
        if data is None and self.lazy and part in self._files:
            data = self._read_part(part)
        return data

    def _read_part(self, part: str) -> dict[str, Any] | None:
        """A lazy store's first read of one part. A writer may have replaced its file since the manifest was read:
        then the manifest is read again (what this store has loaded catches up with it) and the new file read."""
        for attempt in range(20):
            filename = self._files.get(part)
            if filename is None:
                return None
            path = self.dir / filename
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                if self._lock_depth or attempt == 19:
                    moved = self._find_moved(filename)
                    where = f" (it was moved to {moved} when it was found damaged)" if moved else ""
                    raise self._corrupt(path, f"it is missing{where}", move=False) from None
                time.sleep(0.01 * (attempt + 1))
                with contextlib.suppress(FileNotFoundError):
                    self._catch_up_once()
                continue
            with gc_paused():
                data = self._parse_part(path, raw, self._sizes.get(part), self._sums.get(part))
            self._parts[part] = data
            return data
        return None

    def table(self, part: str, table: str) -> dict[str, Any]:
        """The raw documents of one table (doc id as text -> document), for fast reads. Never mutate."""
        data = self.loaded_part(part)
        if data is None:
            return {}
        result: dict[str, Any] = data.get(table, {})
        return result

    def read_table(self, part: str, table: str) -> dict[str, Any]:
        """`table`, but a lazy store does not keep the part it had to read (building the catalog reads every part
        once: memory stays at one part's worth)."""
        data = self._parts.get(part)
        if data is None and self.lazy and part in self._files:
            data = self._read_part(part)
            self._parts.pop(part, None)
        result: dict[str, Any] = (data or {}).get(table, {})
        return result

    def read_doc(self, part: str, table: str, doc_id: str) -> dict[str, Any] | None:
        """One document of a part, by id; a lazy store reads it out of the part's file without parsing the rest
        (a segment holds 4,000 papers: `show KEY` parsed 7.7 MB of JSON at a million papers; a checksum of the
        file is 1.5 ms). A document whose bounds are not plain (one whose first field is not its key, text after
        the last one) is found by reading the whole part, as is any part already loaded. The caller checks it is
        the document it meant."""
        return self.read_docs(table, {part: [doc_id]}).get(part, {}).get(doc_id)

    def read_doc_by_key(self, part: str, key: str) -> dict[str, Any] | None:
        """The document whose key is `key` out of a part whose ids the caller does not know (the paper changes:
        5,000 papers, 10 MB, that `show KEY` parsed whole), as `read_doc` reads one by id: the file held to its
        size and checksum first, then the one document parsed. None when it is not found so, or the part is
        already loaded: the caller then reads the part whole, which says what is wrong with it."""
        if part in self._parts or not self.lazy or part not in self._files:
            return None
        path = self.dir / self._files[part]
        raw, verdict = _checked_read((path, self._sizes.get(part), self._sums.get(part)))
        if verdict == ALTERED:
            raise self._corrupt(path, ALTERED)
        if raw is None or verdict:
            return None
        return _doc_keyed(raw, key)

    def read_docs(
        self,
        table: str,
        wanted: Mapping[str, Sequence[str]],
        *,
        sums: Mapping[str, Mapping[str, int]] | None = None,
    ) -> dict[str, dict[str, dict[str, Any]]]:
        """Documents of several parts: part -> {doc id -> document} for the ids found (see `read_doc`). Each
        part's file is read and checked once, on two threads (reading and checksumming 8 MB is most of the cost
        of one paper: an import's plan reads a few papers out of each of dozens of segments).

        `sums`: part -> doc id -> each document's own checksum (`doc_sum`), as the catalog recorded it from a
        checked file. A part whose every wanted document has one is read through a memory map: only the pages
        the search for them touches, each document held to its checksum instead of the file to the file's. Any
        mismatch reads and checks the whole file as above."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        direct = []
        for part, ids in wanted.items():
            if part in self._parts or not self.lazy or part not in self._files or not all(i.isdigit() for i in ids):
                rows = self.read_table(part, table)
                out[part] = {i: rows[i] for i in ids if i in rows}
                continue
            expected = (sums or {}).get(part, {})
            if ids and all(i in expected for i in ids):
                found = _summed_read(self.dir / self._files[part], self._sizes.get(part), ids, expected)
                if found is not None:
                    out[part] = found
                    continue
            direct.append(part)
        files = [(self.dir / self._files[part], self._sizes.get(part), self._sums.get(part)) for part in direct]
        for part, (path, size, crc), (raw, verdict) in zip(direct, files, _read_all(files), strict=True):
            if raw is None:  # (replaced by a writer meanwhile: the whole read finds the new file)
                rows = self.read_table(part, table)
            elif verdict == ALTERED:
                raise self._corrupt(path, ALTERED)
            elif verdict:
                # A part written before checksums were kept, or a size that differs: the whole parse, which says
                # what is wrong with the file.
                with gc_paused():
                    rows = self._parse_part(path, raw, size, crc).get(table, {})
            else:
                rows = {}
                for doc_id in wanted[part]:
                    doc = _doc_in(raw, doc_id)
                    if doc is None:  # (bounds that are not plain: the whole part, parsed and checked once)
                        with gc_paused():
                            rows = self._parse_part(path, raw, size, crc).get(table, {})
                        break
                    rows[doc_id] = doc
            out[part] = {i: rows[i] for i in wanted[part] if i in rows}
        return out

    def db(self, part: str) -> TinyDB:
        db = self._dbs.get(part)
        if db is None:
            db = TinyDB(storage=AtomicJSONStorage, store=self, part=part)
            self._dbs[part] = db
        return db

    def put_docs(
        self, part: str, table: str, changed: Mapping[str, Mapping[str, Any]], new: Sequence[Mapping[str, Any]] = ()
    ) -> list[str]:
        """Write documents of one table, in the current transaction, in place of TinyDB's table calls (each of
        which rebuilds the whole table, twice: a star in a shard of 8,000 states paid for all of them). `changed`:
        doc id -> the document's new contents (the stored dict is changed in place, so readers holding it see
        the change); `new`: appended under fresh ids, as TinyDB numbers them (one past the largest). The file
        is TinyDB's as before. Returns the new ids."""
        data = self.loaded_part(part)
        data = {} if data is None else data
        rows: dict[str, Any] = data.setdefault(table, {})
        for doc_id, fields in changed.items():
            doc = rows[doc_id]
            doc.clear()
            doc.update(fields)
        ids: list[str] = []
        if new:
            next_id = max(map(int, rows), default=0) + 1
            for fields in new:
                rows[str(next_id)] = dict(fields)
                ids.append(str(next_id))
                next_id += 1
        self._dbs.pop(part, None)  # a TinyDB over this part has cached its next id: the next use reads afresh
        self.mark_dirty(part, data)
        return ids

    def remove_docs(self, part: str, table: str, doc_ids: Iterable[str]) -> None:
        """Remove documents of one table by id, in the current transaction (the others keep their ids)."""
        data = self.loaded_part(part)
        data = {} if data is None else data
        rows: dict[str, Any] = data.setdefault(table, {})
        for doc_id in doc_ids:
            rows.pop(doc_id, None)
        self._dbs.pop(part, None)
        self.mark_dirty(part, data)

    def forget(self, parts: Iterable[str]) -> None:
        """A lazy store lets go of parts it read (read again when next asked for): a long job over many segments
        holds a few at a time. A part changed in the transaction under way is kept."""
        if not self.lazy:
            return
        for part in parts:
            if part not in self._dirty:
                self._parts.pop(part, None)
                self._dbs.pop(part, None)

    def drop_part(self, part: str) -> None:
        """Remove a part from the library, in the current transaction (its file goes after the commit)."""
        if self._depth == 0:
            raise StoreError("a change to the library must be made inside store.transaction()")
        self._names_epoch += 1
        self._dropped.add(part)
        self._dirty.pop(part, None)
        self._parts[part] = {}  # empty for whoever reads it until the commit

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is under way (its changes are in memory, not yet on disk)."""
        return self._depth > 0

    def changing(self, part: str) -> bool:
        """Whether the transaction under way has changed this part (its memory is ahead of its file)."""
        return part in self._dirty

    def mark_dirty(self, part: str, data: dict[str, Any]) -> None:
        if not self.writer:
            raise StoreError("this library was opened read-only")
        if self._depth == 0:
            # A write outside a transaction was computed without the lock, from memory that another process may
            # have made stale: refused, so that no caller can overwrite another process's change.
            raise StoreError("a change to the library must be made inside store.transaction()")
        if part not in self._parts:
            self._names_epoch += 1
        self._parts[part] = data
        self._dirty[part] = data

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group changes: everything written inside becomes durable together, or not at all.

        The outermost transaction holds the writer lock from its start to its commit, and begins by catching up
        with what other processes committed: a change is always computed from, and written over, the library as
        it is on disk. Keep transactions short; another process waits for the lock meanwhile."""
        with self.locked():
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0 and (self._dirty or self._dropped):
                    self._dirty.clear()
                    self._dropped.clear()
                    self._reload_after_failure()
                raise
            self._depth -= 1
            if self._depth == 0:
                self.commit()

    def commit(self) -> None:
        from readinglist.core.files import describe_oserror, fsync_dir, write_durably

        if not self._dirty and not self._schema_dirty and not self._dropped:
            return
        dirty, self._dirty = self._dirty, {}
        dropped, self._dropped = self._dropped - dirty.keys(), set()
        generation = self.generation + 1
        files = dict(self._files)
        sizes = dict(self._sizes)
        sums = dict(self._sums)
        for part in dropped:
            files.pop(part, None)
            sizes.pop(part, None)
            sums.pop(part, None)
        created: list[Path] = []
        try:
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            for part, data in dirty.items():
                blob = orjson.dumps(data)
                filename = f"{part}.g{generation}.json"
                path = self.dir / filename
                created.append(path)
                write_durably(path, blob)
                files[part] = filename
                sizes[part] = len(blob)
                if _summed(part):
                    sums[part] = zlib.crc32(blob)
                else:
                    sums.pop(part, None)
            manifest = {
                "format": MANIFEST_FORMAT,
                "schema": self.schema,
                "generation": generation,
                "written": datetime.now(UTC).isoformat(),
                "files": files,
                "sizes": sizes,
                "sums": sums,
            }
            tmp = self.dir / (MANIFEST + ".tmp")
            created.append(tmp)
            # Compact: the manifest is rewritten at every commit and names every part (500 at 1,000,000 papers).
            manifest_raw = orjson.dumps(manifest)
            write_durably(tmp, manifest_raw)
            os.replace(tmp, self.dir / MANIFEST)
            created.pop()
            fsync_dir(self.dir)
        except (OSError, TypeError) as exc:
            # TypeError: orjson refuses text it cannot encode (lone surrogates from undecodable input bytes).
            for path in created:
                with contextlib.suppress(OSError):
                    path.unlink()
            self._reload_after_failure()
            reason = describe_oserror(exc) if isinstance(exc, OSError) else f"the change holds invalid text ({exc})"
            raise WriteFailedError(f"could not save the library in {self.dir}: {reason}; nothing was changed") from exc
        old = [self._files[p] for p in dirty if p in self._files and self._files[p] != files[p]]
        old += [self._files[p] for p in dropped if p in self._files]
        for part in dropped:
            self._parts.pop(part, None)
            self._dbs.pop(part, None)
        self._files, self._sizes, self._sums, self.generation = files, sizes, sums, generation
        self._manifest_raw = manifest_raw
        self._schema_dirty = False
        for filename in old:
            with contextlib.suppress(OSError):
                (self.dir / filename).unlink()

    def _reload_after_failure(self) -> None:
        """After a failed commit memory is ahead of the disk: go back to what is durable."""
        self._dbs.clear()
        self._load_once()
        if self.on_reload is not None:
            self.on_reload()

    def bytes_on_disk(self) -> int:
        return sum(self._sizes.values())

    # ---- backups -----------------------------------------------------------------------------------------

    @property
    def backups_dir(self) -> Path:
        return self.folder.backups

    def list_backups(self) -> list[BackupInfo]:
        """Backups whose manifest reads, newest first by what they hold: the library's generation (which only
        grows), then the time recorded inside. Never by name: a run with the clock in the future must not make a
        backup that sorts first forever."""
        return [b for b in self._scan_backups() if isinstance(b, BackupInfo)]

    def damaged_backups(self) -> list[str]:
        """Backup folders whose manifest does not read, by name."""
        return [b for b in self._scan_backups() if isinstance(b, str)]

    def _scan_backups(self) -> list[BackupInfo | str]:
        out: list[BackupInfo] = []
        damaged: list[str] = []
        if not self.backups_dir.is_dir():
            return []
        for entry in self.backups_dir.iterdir():
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            try:
                manifest = orjson.loads((entry / MANIFEST).read_bytes())
                out.append(
                    BackupInfo(
                        name=entry.name,
                        path=entry,
                        created=str(manifest.get("backup_created", manifest.get("written", ""))),
                        generation=int(manifest["generation"]),
                        papers_bytes=sum(int(s) for s in manifest.get("sizes", {}).values()),
                    )
                )
            except (OSError, orjson.JSONDecodeError, KeyError, ValueError, TypeError, AttributeError):
                damaged.append(entry.name)
        out.sort(key=lambda b: (b.generation, b.created, b.name), reverse=True)
        return [*out, *sorted(damaged)]

    def _backup_is_good(self, backup: BackupInfo) -> bool:
        try:
            manifest = orjson.loads((backup.path / MANIFEST).read_bytes())
            if int(manifest["schema"]) > SCHEMA_VERSION:
                return False
            sums = _sums_of(manifest)
            for part, filename in manifest["files"].items():
                raw = (backup.path / filename).read_bytes()
                if manifest.get("sizes", {}).get(part, len(raw)) != len(raw):
                    return False
                if part in sums and sums[part] != zlib.crc32(raw):
                    return False
                orjson.loads(raw)
        except (OSError, orjson.JSONDecodeError, KeyError, ValueError, TypeError):
            return False
        return True

    def passed_over(self, chosen: BackupInfo) -> list[str]:
        """The damaged backups a restore of `chosen` passes over: newer ones that do not read, and folders whose
        manifest does not read at all (their age is unknown)."""
        newer = [
            b.name
            for b in self.list_backups()
            if b.generation > chosen.generation or (b.generation == chosen.generation and b.created > chosen.created)
        ]
        return [n for n in newer if not self._backup_is_good(self._backup_named(n))] + self.damaged_backups()

    def _backup_named(self, name: str) -> BackupInfo:
        return next(b for b in self.list_backups() if b.name == name)

    def latest_good_backup(self) -> BackupInfo | None:
        for backup in self.list_backups():
            if self._backup_is_good(backup):
                return backup
        return None

    def backup(self, *, reason: str = "") -> BackupInfo | None:
        """Copy the committed library into backups/<timestamp>; keep the newest BACKUPS_KEPT. None if empty.
        A writer copies under the lock (no other writer removes a file it is copying); a reader copies what it
        loaded, which the store's readers' retry keeps whole."""
        if self.writer:
            with self.locked():
                return self._backup(reason)
        return self._backup(reason)

    def _backup(self, reason: str) -> BackupInfo | None:
        import shutil

        from readinglist.core.files import copy_durably, describe_oserror, fsync_dir, write_durably

        if not self._files:
            return None
        self.backups_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = _timestamp() + (f"-{reason}" if reason else "")
        tmp = self.backups_dir / f".tmp-{name}"
        target = self.backups_dir / name
        pool = self.backups_dir / POOL
        try:
            tmp.mkdir(mode=0o700)
            pool.mkdir(exist_ok=True, mode=0o700)
            pooled = True
            for filename in self._files.values():
                source = self.dir / filename
                # A pool entry is named by the library file it copies (inode and modification time with the
                # name): a library begun again from generation 0 writes files of the same names, never these.
                info = source.stat()
                kept = pool / f"{info.st_ino}-{info.st_mtime_ns}-{filename}"
                if pooled:
                    pooled = self._pool_copy(source, kept, info.st_size)
                if pooled:
                    try:
                        os.link(kept, tmp / filename)
                        continue
                    except OSError:
                        pooled = False  # a file system without hard links: every file copied, as before
                copy_durably(self.dir / filename, tmp / filename)
            manifest = orjson.loads((self.dir / MANIFEST).read_bytes())
            manifest["backup_created"] = datetime.now(UTC).isoformat()
            write_durably(tmp / MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
            fsync_dir(tmp)
            os.replace(tmp, target)
            fsync_dir(self.backups_dir)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise WriteFailedError(f"could not write a backup in {self.backups_dir}: {describe_oserror(exc)}") from exc
        # The safety copies a restore takes are kept apart (the newest SAFETY_KEPT of them): restoring never pushes
        # the daily backups out of the seven kept.
        backups = self.list_backups()
        regular = [b for b in backups if not is_safety_copy(b.name)]
        safety = [b for b in backups if is_safety_copy(b.name)]
        for old in regular[BACKUPS_KEPT:] + safety[SAFETY_KEPT:]:
            shutil.rmtree(old.path, ignore_errors=True)
        for stale in self.backups_dir.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        self._prune_pool(pool)
        return BackupInfo(name, target, manifest["backup_created"], self.generation, self.bytes_on_disk())

    @staticmethod
    def _pool_copy(source: Path, kept: Path, size: int) -> bool:
        """Make sure the pool holds its own copy of one generation file (copied once in the file's life: a
        generation file never changes once written). False when the pool cannot be used."""
        from readinglist.core.files import copy_durably

        try:
            if kept.stat().st_size == size:
                return True
        except FileNotFoundError:
            pass
        partial = kept.with_name(kept.name + ".tmp")
        copy_durably(source, partial)
        os.replace(partial, kept)
        return True

    @staticmethod
    def _prune_pool(pool: Path) -> None:
        """Drop pool files no backup links to any more (a pruned backup was the last to hold them)."""
        with contextlib.suppress(OSError):
            for entry in pool.iterdir():
                with contextlib.suppress(OSError):
                    if entry.name.endswith(".tmp") or entry.stat().st_nlink <= 1:
                        entry.unlink()

    def backup_daily(self) -> BackupInfo | None:
        """The automatic backup: one per day, taken before the day's first change."""
        today = datetime.now(UTC).strftime("%Y-%m-%d")
        if any(b.created.startswith(today) for b in self.list_backups()):
            return None
        return self.backup(reason="daily")

    def choose_backup(self, name: str | None = None) -> BackupInfo:
        """The backup a restore would bring back: the named one, else the newest that reads. StoreError if none."""
        backups = self.list_backups()
        if name is None:
            # The newest good backup of the library as it was used, not the copy a restore took just before it
            # (plain `restore` right after `restore --from` must not quietly undo the merge; that copy is named).
            ordered = [b for b in backups if not is_safety_copy(b.name)] + [
                b for b in backups if is_safety_copy(b.name)
            ]
            chosen = next((b for b in ordered if self._backup_is_good(b)), None)
            if chosen is None:
                raise StoreError(
                    f"no usable backup in {self.backups_dir}; `readinglist restore --salvage` rebuilds the library "
                    "from the files that still read"
                )
        else:
            exact = [b for b in backups if b.name == name]
            matching = exact or [b for b in backups if b.name.startswith(name)]
            if len(matching) > 1:
                names = ", ".join(b.name for b in matching)
                raise StoreError(f"{name!r} names {len(matching)} backups ({names}); give one whole name")
            chosen = matching[0] if matching else None
            if chosen is None:
                raise StoreError(f"no backup named {name!r} in {self.backups_dir} (see `readinglist restore --list`)")
            if not self._backup_is_good(chosen):
                raise StoreError(f"backup {chosen.name} is itself damaged; choose another")
        return chosen

    def restore(self, name: str | None = None) -> BackupInfo:
        """Make a backup the current library (atomically); the current library is backed up first if it reads."""
        with self.locked():
            chosen = self.choose_backup(name)
            if self._files:
                self.backup(reason="before-restore")
            manifest = orjson.loads((chosen.path / MANIFEST).read_bytes())
            parts: Parts = {}
            for part, filename in manifest["files"].items():
                parts[part] = orjson.loads((chosen.path / filename).read_bytes())
            self._replace_with(parts, schema=int(manifest["schema"]))
            return chosen


def doc_sum(doc: Mapping[str, Any]) -> int:
    """A document's own checksum (the catalog keeps one per paper): CRC-32 of its compact JSON, never 0."""
    return zlib.crc32(orjson.dumps(doc)) | 1


def _summed_read(
    path: Path, size: int | None, ids: Sequence[str], expected: Mapping[str, int]
) -> dict[str, dict[str, Any]] | None:
    """These documents out of a segment's file through a memory map, each one held to its expected checksum;
    None when the file is not the size the manifest gives, is gone, or any document is not found or differs."""
    import mmap

    try:
        with open(path, "rb") as f:
            if size is None or os.fstat(f.fileno()).st_size != size or size == 0:
                return None
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                out = {}
                for doc_id in ids:
                    doc = _doc_in(mm, doc_id)
                    if doc is None or doc_sum(doc) != expected[doc_id]:
                        return None
                    out[doc_id] = doc
                return out
    except (OSError, ValueError):
        return None


def _doc_keyed(raw: bytes, key: str) -> dict[str, Any] | None:
    """The document whose first field is `"key": key` out of a checked part's compact JSON (see `_doc_in`), or
    None (not found, or bounds that are not plain)."""
    start = raw.find(b'{"key":' + orjson.dumps(key) + b",")
    if start < 0:
        return None
    after = _DOC_START.search(raw, start + 1)
    end = after.start() if after is not None else len(raw) - 2
    try:
        doc = orjson.loads(raw[start:end])
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) and doc.get("key") == key else None


def _read_all(files: Sequence[tuple[Path, int | None, int | None]]) -> Iterator[tuple[bytes | None, str]]:
    """`_checked_read` of each file, in order, two at a time on the read pool, at most READ_AHEAD files ahead
    of the caller (each one 8 MB at 4,000 papers: memory stays a few files' worth)."""
    if len(files) < 2:
        yield from map(_checked_read, files)
        return
    pool = _read_pool()
    pending = [pool.submit(_checked_read, f) for f in files[:READ_AHEAD]]
    for i in range(len(files)):
        done = pending.pop(0).result()
        if i + READ_AHEAD < len(files):
            pending.append(pool.submit(_checked_read, files[i + READ_AHEAD]))
        yield done


def _checked_read(file: tuple[Path, int | None, int | None]) -> tuple[bytes | None, str]:
    """A part's file and what its checks say, on any thread: "" (its size and checksum are the manifest's),
    ALTERED (the checksum differs), or "parse" (no checksum, or another size: the whole parse says what is
    wrong). None when the file is gone."""
    path, size, crc = file
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, ""
    if crc is None or size != len(raw):
        return raw, "parse"
    return raw, "" if zlib.crc32(raw) == crc else ALTERED


# A document's start in a segment's compact JSON, for a binary search by id (ids ascend through the file).
_DOC_START = re.compile(rb',"(\d+)":\{"key":"')
_NEAR = 1 << 16  # bytes a search for a document's start scans from a point of the binary search


def _doc_in(raw: bytes | mmap.mmap, doc_id: str) -> dict[str, Any] | None:
    """One document out of a checked segment's bytes, or None when its bounds are not plain.

    Compact JSON as written: a string never holds an unescaped quote, so `"12":{` is a document's id or a
    nested mapping's key, and a mapping's parse shows which (the caller checks the key, or its checksum). The
    start is found from a point a binary search over the documents' ids gives (a plain find from the file's
    start scanned 4 MB on average: 1.6 ms of an import's 100 papers read each)."""
    n = int(doc_id)
    lo, hi = 0, len(raw)
    while hi - lo > _NEAR:
        mid = (lo + hi) // 2
        m = _DOC_START.search(raw, mid, mid + _NEAR)
        if m is None:
            break
        if int(m.group(1)) < n:
            lo = m.start()
        else:
            hi = mid
    marker = b'"%s":{' % doc_id.encode()
    start = raw.find(marker, lo)
    if start < 0 and lo:
        start = raw.find(marker)
    if start < 0:
        return None
    # It ends where the next document starts (after a gap too), or the file's closing braces for the last one.
    after = _DOC_START.search(raw, start + len(marker))
    end = after.start() if after is not None else len(raw) - 2
    if end <= start:
        return None
    try:
        doc = orjson.loads(raw[start + len(doc_id) + 3 : end])
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


@functools.cache
def _read_pool() -> ThreadPoolExecutor:
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="readinglist-read")


@functools.cache
def _checksum_pool() -> ThreadPoolExecutor:
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(1, thread_name_prefix="readinglist-checksum")


def _summed(part: str) -> bool:
    """Whether the manifest keeps a checksum of this part's file: the parts imports write (segments, the paper
    changes), not the state shards a star rewrites."""
    return part.startswith("papers-") or part == "paper-changes"


def _sums_of(manifest: Mapping[str, Any]) -> dict[str, int]:
    sums = manifest.get("sums")
    if not isinstance(sums, dict):
        return {}
    return {p: c for p, c in sums.items() if isinstance(p, str) and isinstance(c, int)}
