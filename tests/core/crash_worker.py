"""A writer process for the storage-promise tests: one library operation, run when told to, killed by the test.

Run as ``python crash_worker.py MODE DATA_DIR ARGS...``. Every mode does its slow start-up (imports, opening the
library, parsing a feed) first and then prints ``ready``, so that a test can attach strace, or start a kill timer,
at the moment the operation itself begins:

    note DATA KEY TEXT_FILE   wait for a line on stdin, set the note of KEY to the text, close, print ``done``
    star DATA KEY             wait for a line on stdin, star KEY, close, print ``done``
    import DATA FEED          wait for a line on stdin, import FEED in one transaction, close, print ``done``
    tinydb-note PATH KEY TEXT_FILE
                              the same note change through TinyDB's stock JSONStorage on the file PATH
    changes DATA SEED COUNT KEY...
                              at once, COUNT random state changes on the KEYs; before each it prints
                              ``do I {json}``, and ``ok I`` only after the call has returned
    hold DATA                 take the writer lock, print ``ready``, keep it until a line arrives on stdin
    hammer DATA WAIT NAME ROUNDS KEY...
                              ROUNDS times: open the library (waiting up to WAIT s), star one KEY and tag it
                              NAME-<round>, close; prints ``ok R TIME`` after each
    notes DATA ROUNDS KEY...  ROUNDS times: open the library, set the note of one KEY to
                              ``racenote round<R> ...``, close; prints ``ok R`` after each
    serve                     a fork server, to spare each crash run Python's start-up: it imports everything,
                              prints ``serving``, then for each line ``["MODE", ARGS..., "TO_CHILD", "FROM_CHILD"]``
                              forks a child that runs MODE with the FIFO TO_CHILD as its stdin and FROM_CHILD as
                              its stdout, prints ``pid PID``, and when the child has ended ``exit CODE`` (a
                              negative CODE is the signal that killed it)

The tests import this file for its `ForkServer`, their side of ``serve``.

The done/ok lines are written with one write() each and the process leaves with os._exit(): what follows the
operation is nothing but that write, so "the operation completed" is exactly "``done`` arrived".
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import random
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from readinglist.core.library import Library


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _wait_for_go() -> None:
    if not sys.stdin.readline():
        os._exit(3)  # the test went away


def _open(data: str, *, wait: float = 30.0, owner: str = "readinglist") -> Library:
    from readinglist.core.library import Library

    return Library.open(Path(data), lock_timeout=wait, owner=owner)


def run_note(data: str, key: str, text_file: str) -> None:
    text = Path(text_file).read_text(encoding="utf-8")
    library = _open(data)
    _say("ready")
    _wait_for_go()
    library.set_note(key, text)
    library.close()
    _say("done")


def run_star(data: str, key: str) -> None:
    library = _open(data)
    _say("ready")
    _wait_for_go()
    library.set_starred([key], True)
    library.close()
    _say("done")


def run_import(data: str, feed: str) -> None:
    from readinglist.core.importer import read_feed_file

    parsed = read_feed_file(Path(feed))
    library = _open(data)
    _say("ready")
    _wait_for_go()
    library.add_papers(parsed.papers, source=parsed.title)
    library.close()
    _say("done")


def run_tinydb_note(path: str, key: str, text_file: str) -> None:
    from tinydb import Query, TinyDB

    text = Path(text_file).read_text(encoding="utf-8")
    db = TinyDB(path)  # the stock JSONStorage: rewrites the file in place
    _say("ready")
    _wait_for_go()
    db.table("state").update({"note": text}, Query().key == key)
    db.close()
    _say("done")


def random_change(rng: random.Random, keys: list[str], i: int) -> dict[str, object]:
    key = rng.choice(keys)
    kind = rng.choice(["star", "read", "note", "note", "tag", "untag"])
    if kind in ("star", "read"):
        return {"op": kind, "key": key, "value": rng.random() < 0.6}
    if kind == "note":
        # Notes grow and shrink (and are sometimes deleted), so files get both longer and shorter.
        size = rng.choice([0, 5, 40, 400, 4000])
        return {"op": "note", "key": key, "value": (f"note {i} " * size)[:size].strip()}
    return {"op": kind, "key": key, "value": f"t{rng.randrange(6)}"}


def apply_change(library: Library, change: dict[str, object]) -> None:
    key, value = str(change["key"]), change["value"]
    if change["op"] == "star":
        library.set_starred([key], bool(value))
    elif change["op"] == "read":
        library.set_read([key], bool(value))
    elif change["op"] == "note":
        library.set_note(key, str(value))
    elif change["op"] == "tag":
        library.add_tags([key], [str(value)])
    elif change["op"] == "untag":
        library.remove_tags([key], [str(value)])
    else:
        raise ValueError(change)


def run_changes(data: str, seed: str, count: str, keys: list[str]) -> None:
    rng = random.Random(int(seed))
    library = _open(data)
    _say("ready")
    for i in range(int(count)):
        if i and i % 8 == 0:
            # Like a series of CLI commands: each open takes the lock, loads, and cleans up after a crash.
            library.close()
            library = _open(data)
        change = random_change(rng, keys, i)
        _say(f"do {i} {json.dumps(change)}")
        apply_change(library, change)
        _say(f"ok {i}")
    library.close()
    _say("finished")


def run_hold(data: str) -> None:
    """A writer in the middle of a long write (as the window would be): it holds the lock until told to let go."""
    library = _open(data, owner="the Reading List window")
    with library.store.locked():
        _say("ready")
        _wait_for_go()
    library.close()
    _say("done")


def run_hammer(data: str, wait: str, name: str, rounds: str, keys: list[str]) -> None:
    for r in range(int(rounds)):
        library = _open(data, wait=float(wait))
        key = keys[r % len(keys)]
        library.set_starred([key], True)
        library.add_tags([key], [f"{name}-{r}"])
        library.close()
        _say(f"ok {r} {time.time():.6f}")
        # Like separate commands: a pause between sessions. (A writer that releases the lock and takes it again
        # at once starves the other: a waiting one only tries again every 10 ms.)
        time.sleep(0.01)


def run_notes(data: str, rounds: str, keys: list[str]) -> None:
    for r in range(int(rounds)):
        library = _open(data)
        library.set_note(keys[r % len(keys)], f"racenote round{r} " + "words to index " * 20)
        library.close()
        _say(f"ok {r}")


def run_serve() -> None:
    for module in ("readinglist.core.importer", "readinglist.core.library", "tinydb", "sqlite3"):
        importlib.import_module(module)
    _say("serving")
    for line in sys.stdin:
        *argv, to_child, from_child = json.loads(line)
        pid = os.fork()
        if pid == 0:
            # The same order as the test opens them (TO_CHILD first), or both would wait for ever.
            os.dup2(os.open(to_child, os.O_RDONLY), 0)
            os.dup2(os.open(from_child, os.O_WRONLY), 1)
            sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            try:
                main(argv)
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
            os._exit(70)
        _say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        _say(f"exit {os.waitstatus_to_exitcode(status)}")


# ---- the tests' side of `serve` -------------------------------------------------------------------------------


@dataclass
class Child:
    """A worker forked by the server: its pid, and the FIFOs that are its stdin and stdout."""

    pid: int
    stdin: IO[str]
    stdout: IO[str]


class ForkServer:
    """Starts `crash_worker.py serve` and hands out forked workers (used by the tests, not by the worker)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.log = workdir / "workers-stderr.log"
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, __file__, "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
        )
        self._count = 0
        if self._reply() != "serving":
            raise RuntimeError(f"the fork server did not start: {self.log_since(0)}")

    def _reply(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the fork server died: {self.log_since(0)[-3000:]}")
        return line.rstrip("\n")

    def start(self, argv: list[str], *, timeout: float = 60.0) -> Child:
        """Fork a worker running `argv` (as on the command line); it has started once this returns."""
        self._count += 1
        to_child = self.workdir / f"to-child-{self._count}"
        from_child = self.workdir / f"from-child-{self._count}"
        os.mkfifo(to_child)
        os.mkfifo(from_child)
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps([*argv, str(to_child), str(from_child)]) + "\n")
        self.process.stdin.flush()
        pid = int(self._reply().removeprefix("pid "))
        # Opening a FIFO for writing waits for its reader: poll instead, so that a worker that died cannot hang us.
        deadline = time.monotonic() + timeout
        while True:
            try:
                fd = os.open(to_child, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                    raise
                time.sleep(0.001)
        os.set_blocking(fd, True)
        stdin = open(fd, "w", encoding="utf-8")  # noqa: SIM115 (closed by wait())
        stdout = from_child.open(encoding="utf-8")
        os.unlink(to_child)
        os.unlink(from_child)
        return Child(pid, stdin, stdout)

    def wait(self, child: Child) -> int:
        """The worker's exit code (negative: killed by that signal), once it has ended. Closes its FIFOs."""
        child.stdin.close()
        child.stdout.close()
        return int(self._reply().removeprefix("exit "))

    def log_since(self, offset: int) -> str:
        self._log_file.flush()
        with self.log.open("rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", errors="replace")

    def log_size(self) -> int:
        return self.log.stat().st_size

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.process.stdout.close()
        self._log_file.close()


def main(argv: list[str]) -> None:
    mode, args = argv[0], argv[1:]
    if mode == "note":
        run_note(*args)
    elif mode == "star":
        run_star(*args)
    elif mode == "import":
        run_import(*args)
    elif mode == "tinydb-note":
        run_tinydb_note(*args)
    elif mode == "changes":
        run_changes(args[0], args[1], args[2], args[3:])
    elif mode == "notes":
        run_notes(args[0], args[1], args[2:])
    elif mode == "hold":
        run_hold(*args)
    elif mode == "hammer":
        run_hammer(args[0], args[1], args[2], args[3], args[4:])
    elif mode == "serve":
        run_serve()
    else:
        raise SystemExit(f"crash_worker: unknown mode {mode!r}")
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
