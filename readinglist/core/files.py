"""Writing files so that a crash leaves the old file or the new one, never a mix: the few system calls the store,
exports and archives share, and the words for what went wrong."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import time
import weakref
from glob import escape as glob_escape
from pathlib import Path
from typing import Any

from readinglist.core.errors import ExportError

LOCK_POLL = 0.01  # seconds between two tries of a lock another process holds


class LockTimeout(Exception):
    """Another holder kept the lock for the whole timeout."""


class WriterLock:
    """An exclusive lock on `path`, across processes and within one (two holders in one process exclude each
    other as two processes do); not re-entrant: the store counts its own depth.

    A `flock` on POSIX, which the kernel releases when the process dies, so a crash leaves no stale lock. Each
    command that writes takes it: filelock 4, which did this before, costs 9 ms to import (logging, decimal and
    its own modules), a tenth of a `star`; it stays for Windows. A process forked while the lock is held (an
    import's parsing workers) closes its copy of the descriptor at once: the flock belongs to the open file,
    so a child keeping it would hold the library locked after the parent let go, until the child ended."""

    def __init__(self, path: Path, *, timeout: float, mode: int = 0o600) -> None:
        self.path = path
        self.timeout = timeout  # seconds; negative waits for ever
        self.mode = mode
        self._fd: int | None = None
        self._other: Any = None  # filelock's lock, where there is no flock

    @property
    def is_locked(self) -> bool:
        return self._fd is not None or bool(self._other is not None and self._other.is_locked)

    def acquire(self) -> None:
        if sys.platform == "win32":
            self._acquire_elsewhere()
            return
        import fcntl

        if self._fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, self.mode)
        deadline = time.monotonic() + self.timeout
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if self.timeout >= 0 and time.monotonic() >= deadline:
                        raise LockTimeout(str(self.path)) from None
                    time.sleep(LOCK_POLL)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        _HELD.add(self)

    def release(self) -> None:
        if self._other is not None:
            self._other.release()
            return
        _HELD.discard(self)
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # (closing the only descriptor releases the flock)

    def _drop_in_child(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)  # (a close, never LOCK_UN: that would unlock the parent's lock too)

    def _acquire_elsewhere(self) -> None:
        from filelock import FileLock, Timeout

        if self._other is None:
            self._other = FileLock(str(self.path), timeout=self.timeout, mode=self.mode)
        try:
            self._other.acquire()
        except Timeout:
            raise LockTimeout(str(self.path)) from None


_HELD: weakref.WeakSet[WriterLock] = weakref.WeakSet()  # locks this process holds now


def _forget_held_locks() -> None:
    for lock in list(_HELD):
        lock._drop_in_child()
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_held_locks)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(
    path: Path, data: bytes, *, mode: int = 0o600, exclusive: bool = False, chmod: int | None = None
) -> None:
    """Create (or, unless `exclusive`, truncate) `path` with `data` and fsync it before returning. A new file is
    readable by the user only unless `mode` says otherwise (the umask applies); `chmod` sets the mode outright."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, mode)
    try:
        if chmod is not None:
            os.fchmod(fd, chmod)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


_FICLONE = 0x40049409  # Linux: share the blocks copy-on-write (btrfs, XFS); elsewhere it fails and we copy


def copy_durably(source: Path, target: Path) -> None:
    """Copy `source` to a new `target` (0600) and fsync it: a reflink where the file system has them (instant,
    and still a separate file), else a byte copy."""
    with open(source, "rb") as src:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            try:
                import fcntl

                fcntl.ioctl(fd, _FICLONE, src.fileno())
            except (OSError, ImportError):
                import shutil

                with os.fdopen(os.dup(fd), "wb", closefd=True) as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
            os.fsync(fd)
        finally:
            os.close(fd)


FILE_CAP = 50 * 1024 * 1024  # a feed file, an OPML list: the fetcher's cap for a download is 20 MB


def read_capped(path: Path, cap: int = FILE_CAP) -> bytes:
    """A regular file's bytes, at most `cap` of them: raises OSError (worded) for a device such as /dev/zero, a
    folder, or a larger file, before anything big is read."""
    path = Path(path)
    with open(path, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if info.st_size > cap:
            raise OSError(errno.EFBIG, f"the file is larger than {cap // (1024 * 1024)} MB")
        data = f.read(cap + 1)
    if len(data) > cap:
        raise OSError(errno.EFBIG, f"the file is larger than {cap // (1024 * 1024)} MB")
    return data


def describe_oserror(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return exc.strerror or str(exc)


def _describe(exc: OSError) -> str:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return "the folder does not exist"
    if exc.errno == errno.EISDIR:
        return "it is a folder"
    return describe_oserror(exc)


def _remove_leftovers(path: Path) -> None:
    """Remove the temporary files of earlier writes of `path` whose process is gone (killed mid-write)."""
    prefix = f".{path.name}."
    for entry in path.parent.glob(f"{glob_escape(prefix)}*.tmp"):
        pid = entry.name[len(prefix) : -len(".tmp")].partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                entry.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def write_atomically(path: Path, data: str | bytes, *, private: bool = True) -> Path:
    """Write a whole file or nothing: a temporary file in the same folder, written, fsynced and renamed over the
    target. An existing file keeps its permissions; a new one is readable by the user only (exports and archives
    hold notes, as the library does) unless `private` is False. A symlink is followed, so a linked bibliography is
    updated, not replaced. Raises ExportError."""
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    folder = path.parent
    existed = path.exists()
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder")
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: the folder {folder} does not exist")
    blob = data.encode("utf-8") if isinstance(data, str) else data
    _remove_leftovers(path)
    # The writer's process id in the name: a run killed mid-write leaves a file the next run knows is stale.
    tmp = folder / f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
    try:
        mode = stat.S_IMODE(path.stat().st_mode) if existed else None
        write_durably(tmp, blob, mode=0o600 if private else 0o666, exclusive=True, chmod=mode)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        kept = f"{path} was left as it was" if existed else "nothing was written"
        raise ExportError(f"cannot write {path}: {_describe(exc)}; {kept}") from exc
    with contextlib.suppress(OSError):  # the data is safe; only the rename's durability is at stake
        fsync_dir(folder)
    return path
