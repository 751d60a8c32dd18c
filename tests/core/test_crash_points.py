"""Crash points, SQLite style: kill a writer at its 1st, 2nd, 3rd... write, fsync, ftruncate, rename, close.

strace's fault injection (`-e inject=SYSCALL:signal=KILL:when=N`) delivers SIGKILL as the writer enters the Nth
such system call. For every N until the operation finishes untouched, the library must afterwards open and hold
either the state before the operation or the state after it, never a mix and never nothing. strace attaches to an
already started worker (forked by tests/core/crash_worker.py) when it prints "ready", so the count starts at the
operation and not among the hundreds of system calls of Python's start-up.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import crash_worker  # tests/core is on sys.path (pytest rootdir-relative imports), as for feedtools
import orjson
import pytest

from readinglist.core.importer import read_feed_file
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper
from readinglist.core.papers import SEGMENT_SIZE

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample-papers.xml"
WORKER = Path(__file__).with_name("crash_worker.py")
STRACE = shutil.which("strace")

# glibc's rename() may be any of the three; the search index (SQLite) writes with pwrite64 and may use fdatasync;
# unlink removes the generation a commit replaced. A syscall the operation never makes costs one untouched run.
SYSCALLS = [
    "write",
    "pwrite64",
    "fsync",
    "fdatasync",
    "ftruncate",
    "rename",
    "renameat",
    "renameat2",
    "close",
    "unlink",
]
# The search index rewrites its pages with dozens of pwrite64 calls: a cache SQLite keeps consistent itself, so
# its calls are probed at 1, 4, 16, 64... rather than every one (which would take over a minute).
SAMPLED = {"pwrite64"}
MAX_POINTS = 400  # far above what one operation makes: a guard against a worker that never finishes

LONG_NOTE = "A long note about cuckoo hashing: " + "longnoteword " * 3000
SHORT_NOTE = "shortnoteword"
VOLATILE = {"first_seen", "content_updated"}  # clock readings taken during the operation, not state


pytestmark = pytest.mark.slow


# ---- strace -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def strace() -> str:
    """strace's path, once it has shown that it can attach here (ptrace may be forbidden in containers)."""
    if STRACE is None:
        pytest.skip("strace is not installed: crash-point injection needs it (apt-get install strace)")
    with subprocess.Popen(
        [sys.executable, "-c", "import sys; print('ready', flush=True); sys.stdin.readline()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as sleeper:
        assert sleeper.stdout is not None and sleeper.stdout.readline() == "ready\n"
        with subprocess.Popen(
            [STRACE, "-p", str(sleeper.pid), "-e", "trace=none"], stderr=subprocess.PIPE, text=True
        ) as tracer:
            assert tracer.stderr is not None
            first = tracer.stderr.readline()
            sleeper.communicate("\n", timeout=30)
            tracer.communicate(timeout=30)
    if "attached" not in first:
        pytest.skip(f"strace cannot attach to a process here (ptrace not permitted?): {first.strip()}")
    return STRACE


def test_tinydb_stock_storage_is_corrupted_by_a_kill_at_its_first_fsync(injector: Injector, tmp_path: Path) -> None:
    """The contrast the store exists for: TinyDB's JSONStorage rewrites in place, so a shrinking write killed
    between its write() and its ftruncate() leaves the new text followed by the tail of the old one."""
    path = tmp_path / "db.json"
    docs = {str(i): {"key": f"k{i}", "starred": i % 2 == 0} for i in range(1, 6)}
    docs["1"]["note"] = LONG_NOTE
    old = {"state": docs}
    path.write_bytes(orjson.dumps(old))
    note_file = tmp_path / "note.txt"
    note_file.write_text(SHORT_NOTE, encoding="utf-8")

    run = injector.run(["tinydb-note", str(path), "k1", str(note_file)], "fsync", 1, tmp_path)

    assert run.killed, run.describe()
    raw = path.read_bytes()
    try:
        after = orjson.loads(raw)
    except orjson.JSONDecodeError:
        after = None  # unreadable: what TinyDB's own issues #301 and #113 report
    new = {"state": {**docs, "1": {**docs["1"], "note": SHORT_NOTE}}}
    assert after not in (old, new), "TinyDB's stock storage survived the kill; this test no longer shows a contrast"
    with pytest.raises(ValueError):  # TinyDB itself cannot open it either (json.JSONDecodeError is a ValueError)
        _tinydb_read(path)


def _tinydb_read(path: Path) -> Any:
    from tinydb import TinyDB

    db = TinyDB(path, access_mode="r")
    try:
        return db.table("state").all()
    finally:
        db.close()


# ---- our store ----------------------------------------------------------------------------------------------


class Scenario:
    """A library folder to copy for each run, the worker arguments of the operation, and its two states."""

    def __init__(self, template: Path, args: list[str], old: dict[str, Any], new: dict[str, Any]) -> None:
        self.template, self.args, self.old, self.new = template, args, old, new


@pytest.fixture(scope="module")
def base_library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The sample papers, with notes, stars, tags, a daily backup and an up-to-date search index."""
    root = tmp_path_factory.mktemp("crash-base")
    data = root / "data"
    with Library.open(data) as library:  # first session: the import (no backup: the library was empty)
        parsed = read_feed_file(SAMPLE)
        library.add_papers(parsed.papers, source=parsed.title)
        keys = sorted(library.keys())
    with Library.open(data) as library:  # second session: its first change takes the day's backup
        library.set_note(keys[0], LONG_NOTE)
        library.set_starred(keys[1:4], True)
        library.set_read(keys[2:6], True)
        library.add_tags(keys[3:5], ["to-cite", "ml"])
        library.set_note(keys[5], "a short one")
        library.sync_search_index()
    assert list((data / "backups").iterdir()), "the day's backup should exist before the crash runs"
    return data, [str(k) for k in keys]


def _mirror_feed(path: Path) -> Path:
    """A feed that both merges into stored papers (5 sample entries seen again) and adds 5 new ones."""
    ns = "http://www.w3.org/2005/Atom"
    ET.register_namespace("", ns)
    tree = ET.parse(SAMPLE)
    feed = tree.getroot()
    entries = feed.findall(f"{{{ns}}}entry")
    for entry in entries[10:]:
        feed.remove(entry)
    for n, entry in enumerate(entries[5:10]):
        entry_id = entry.find(f"{{{ns}}}id")
        title = entry.find(f"{{{ns}}}title")
        link = entry.find(f"{{{ns}}}link")
        assert entry_id is not None and title is not None and link is not None
        entry_id.text = f"urn:readinglist:crash-test:new-{n}"
        title.text = f"A paper only the mirror has, number {n}"
        link.set("href", f"https://example.org/mirror/{n}")
    title = feed.find(f"{{{ns}}}title")
    assert title is not None
    title.text = "Mirror of the sample papers"
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path


@pytest.fixture(scope="module")
def scenarios(base_library: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scenario]:
    data, keys = base_library
    files = tmp_path_factory.mktemp("crash-inputs")
    short = files / "short-note.txt"
    short.write_text(SHORT_NOTE, encoding="utf-8")
    feed = _mirror_feed(files / "mirror.xml")
    unstarred = keys[10]
    assert not _state_of(data, unstarred)
    # The day's first change also takes the daily backup: the same star on a library without one.
    no_backup = files / "no-backup-yet"
    shutil.copytree(data, no_backup)
    shutil.rmtree(no_backup / "backups")
    # A first papers segment three short of full: the mirror's 5 new papers spill into a new segment, so the
    # import commits two papers files at once (all or nothing, the store promises).
    nearly_full = files / "nearly-full-segment"
    shutil.copytree(data, nearly_full)
    with Library.open(nearly_full) as library:
        filler = [
            IncomingPaper(title=f"Filler paper {i}", abstract="Short.", guid=f"urn:filler:{i}")
            for i in range(SEGMENT_SIZE - len(library) - 3)
        ]
        library.add_papers(filler, source="Filler")
        assert len(library) == SEGMENT_SIZE - 3
    operations = {
        # The note shrinks the state file from ~40 KB to a few hundred bytes: the case in-place storage loses.
        "note": (data, ["note", "{data}", keys[0], str(short)]),
        "star": (data, ["star", "{data}", unstarred]),
        "import": (data, ["import", "{data}", str(feed)]),
        "import-across-segments": (nearly_full, ["import", "{data}", str(feed)]),
        "first-star-of-the-day": (no_backup, ["star", "{data}", unstarred]),
    }
    out = {}
    for name, (template, args) in operations.items():
        old = observe(template if template == nearly_full else data)
        # The new state: the operation run to its end, untraced, on a copy.
        copy = files / f"after-{name}"
        shutil.copytree(template, copy)
        done = subprocess.run(
            [sys.executable, str(WORKER), *(a.format(data=copy) for a in args)],
            input="go\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0 and done.stdout.endswith("done\n"), done.stderr
        new = observe(copy)
        assert new != old, f"{name}: the operation changed nothing observable"
        out[name] = Scenario(template, args, old, new)
    assert out["note"].new["bytes"] < out["note"].old["bytes"] - 30_000, "the note should shrink the files"
    spilled = orjson.loads((files / "after-import-across-segments" / "library" / "manifest.json").read_bytes())
    assert "papers-00001" in spilled["files"], "the import should have started a second segment"
    assert list((files / "after-first-star-of-the-day" / "backups").iterdir()), "no daily backup was taken"
    return out


def _state_of(data: Path, key: str) -> dict[str, Any]:
    with Library.open(data, writer=False) as library:
        return dict(library.state_doc(key))


def observe(data: Path) -> dict[str, Any]:
    """Everything a user can see: every paper's content and state, and what searches for the notes find.

    Opened as a writer, as the next command after a crash would: that open is the one that cleans up."""
    with Library.open(data, lock_timeout=10) as library:
        papers = {}
        for key in sorted(library.keys()):
            doc = {k: v for k, v in library.doc(key).items() if k not in VOLATILE}
            state = {k: v for k, v in library.state_doc(key).items() if not k.endswith("_at")}
            papers[key] = (doc, state)
        searches = {word: sorted(library.query(search=word)) for word in ("longnoteword", "shortnoteword", "mirror")}
        stats = library.stats()
    return {
        "papers": papers,
        "searches": searches,
        "starred": stats.starred,
        "noted": stats.noted,
        "bytes": stats.bytes_on_disk,
    }


# ---- one crash point --------------------------------------------------------------------------------------------


class PointRun:
    def __init__(self, returncode: int, stdout: str, stderr: str, trace: str) -> None:
        self.returncode, self.stdout, self.stderr, self.trace = returncode, stdout, stderr, trace

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    @property
    def finished(self) -> bool:
        return self.returncode == 0 and self.stdout.endswith("done\n")

    def describe(self) -> str:
        tail = "\n".join(self.trace.splitlines()[-12:])
        return f"exit {self.returncode}, stdout {self.stdout!r}, stderr {self.stderr[-2000:]!r}\ntrace:\n{tail}"


class Injector:
    """Runs one operation in a fresh process with strace set to kill it at the nth call of one syscall.

    The processes come from a fork server (crash_worker.py serve) that has imported everything once: a fork
    costs a millisecond where a Python start-up costs a tenth of a second, and there are hundreds of runs."""

    def __init__(self, strace: str, workdir: Path) -> None:
        self.strace = strace
        self.server = crash_worker.ForkServer(workdir)

    def run(self, args: list[str], syscall: str, n: int, workdir: Path) -> PointRun:
        trace_path = workdir / f"trace-{syscall}-{n}.txt"
        log_start = self.server.log_size()
        child = self.server.start(args)
        ready = child.stdout.readline()
        if ready != "ready\n":
            child.stdout.read()
            code = self.server.wait(child)
            pytest.fail(f"the worker did not start: {ready!r} exit {code} {self.server.log_since(log_start)}")
        command = [self.strace, "-f", "-p", str(child.pid), "-o", str(trace_path)]
        command += ["-e", f"trace={syscall}", "-e", f"inject={syscall}:signal=KILL:when={n}"]
        with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as tracer:
            assert tracer.stderr is not None
            # strace says "attached" only once it has seized and stopped the worker (blocked reading its FIFO),
            # so from the "go" on every system call of the worker passes through strace.
            attached = tracer.stderr.readline()
            if "attached" not in attached:
                os.kill(child.pid, signal.SIGKILL)
                child.stdout.read()
                self.server.wait(child)
                tracer.kill()
                if "invalid system call" in attached:  # e.g. no rename() on aarch64: nothing to cut there
                    pytest.skip(f"{syscall} is not a system call on this machine")
                pytest.fail(f"strace could not attach: {attached!r}")
            try:
                child.stdin.write("go\n")
                child.stdin.flush()
                out = child.stdout.read()  # to the end: the worker has finished or was killed
                tracer.communicate(timeout=60)
            finally:
                if tracer.poll() is None:
                    tracer.kill()
        code = self.server.wait(child)
        trace = trace_path.read_text(encoding="utf-8", errors="replace") if trace_path.exists() else ""
        return PointRun(code, out, self.server.log_since(log_start), trace)


@pytest.fixture(scope="module")
def injector(strace: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Injector]:
    injector = Injector(strace, tmp_path_factory.mktemp("fork-server"))
    yield injector
    injector.server.close()


def _crash_points(injector: Injector, scenario: Scenario, syscall: str, workdir: Path) -> Iterator[tuple[int, str]]:
    """Run the operation killed at its 1st, 2nd... `syscall` until it finishes; yield (n, "old" | "new")."""
    n = 0
    while n < MAX_POINTS:
        n = n + 1 if syscall not in SAMPLED else n * 4 if n else 1
        data = workdir / f"{syscall}-{n}"
        shutil.copytree(scenario.template, data)
        run = injector.run([a.format(data=data) for a in scenario.args], syscall, n, workdir)
        assert run.killed or run.finished, f"{syscall} #{n}: the worker neither finished nor was killed: " + (
            run.describe()
        )
        try:
            state = observe(data)
        except Exception as exc:
            pytest.fail(f"killed at {syscall} #{n}, the library no longer opens: {exc!r}\n{run.describe()}")
        if state == scenario.old:
            which = "old"
        elif state == scenario.new:
            which = "new"
        else:
            pytest.fail(
                f"killed at {syscall} #{n}, the library holds neither the old nor the new state:\n"
                f"{_difference(scenario, state)}\n{run.describe()}"
            )
        if run.finished:
            assert which == "new", f"{syscall}: the operation finished but the library shows the old state"
        _still_writable(data, n)
        yield n, which
        shutil.rmtree(data)
        if run.finished:
            return
    pytest.fail(f"the operation made more than {MAX_POINTS} {syscall} calls")


def _difference(scenario: Scenario, state: dict[str, Any]) -> str:
    lines = []
    for name, reference in (("old", scenario.old), ("new", scenario.new)):
        for section in reference:
            if state.get(section) != reference[section]:
                if section == "papers":
                    ref, got = reference["papers"], state["papers"]
                    missing = sorted(set(ref) - set(got))[:5]
                    extra = sorted(set(got) - set(ref))[:5]
                    changed = sorted(k for k in set(ref) & set(got) if ref[k] != got[k])[:5]
                    lines.append(f"  vs {name}: papers missing {missing}, extra {extra}, changed {changed}")
                else:
                    lines.append(f"  vs {name}: {section} is {state.get(section)!r}, not {reference[section]!r}")
    return "\n".join(lines)


def _still_writable(data: Path, n: int) -> None:
    """After the crash the next change must work and last: no leftover blocks the next commit."""
    with Library.open(data) as library:
        key = sorted(library.keys())[-1]
        library.add_tags([key], [f"after-crash-{n}"])
    with Library.open(data, writer=False) as library:
        assert f"after-crash-{n}" in library.state(key).tags
    backups = data / "backups"
    stale = [p.name for p in backups.iterdir() if p.name.startswith(".tmp-")] if backups.is_dir() else []
    assert not stale, f"a backup cut short by the crash was left behind: {stale}"


@pytest.mark.parametrize("syscall", SYSCALLS)
@pytest.mark.parametrize("operation", ["note", "star", "import", "import-across-segments"])
def test_killed_at_every_syscall_leaves_the_old_or_the_new_library(
    injector: Injector, scenarios: dict[str, Scenario], operation: str, syscall: str, tmp_path: Path
) -> None:
    _check_every_point(injector, scenarios[operation], operation, syscall, tmp_path)


# The backup copies every file of the library and closes each twice: ~40 close() calls that change nothing on disk
# (a kill there leaves the same files as a kill at the next call), so here only the calls that change files.
@pytest.mark.parametrize("syscall", ["write", "fsync", "ftruncate", "rename", "renameat", "renameat2", "unlink"])
def test_the_days_first_change_killed_while_it_takes_the_daily_backup(
    injector: Injector, scenarios: dict[str, Scenario], syscall: str, tmp_path: Path
) -> None:
    _check_every_point(injector, scenarios["first-star-of-the-day"], "first star", syscall, tmp_path)


def _check_every_point(injector: Injector, scenario: Scenario, operation: str, syscall: str, tmp_path: Path) -> None:
    outcomes = list(_crash_points(injector, scenario, syscall, tmp_path))
    sequence = "".join("o" if which == "old" else "N" for _, which in outcomes)
    # The operation has one commit point (the manifest's rename): killed before it, old; after it, new. Anything
    # else, like new-then-old, would mean a later syscall can undo a change that was already visible.
    assert sequence == "o" * sequence.count("o") + "N" * sequence.count("N"), sequence
    if syscall in ("write", "fsync", "close", "rename"):
        # The store's commit makes these calls itself: some runs must really have been cut short.
        assert len(outcomes) > 1, f"{operation} made no {syscall} call: was the operation traced at all?"
    if syscall in ("fsync", "rename"):
        assert "o" in sequence[:-1], f"no kill at {syscall} left the old state: {sequence}"


def test_no_stray_files_after_a_crash_and_the_next_open(
    injector: Injector, scenarios: dict[str, Scenario], tmp_path: Path
) -> None:
    """A commit killed after writing its new part file: the next writer removes the orphan, keeps the rest."""
    scenario = scenarios["note"]
    data = tmp_path / "data"
    shutil.copytree(scenario.template, data)
    before = set(os.listdir(data / "library"))
    # The second fsync is the manifest's temporary file: the new state file is complete, the manifest is not.
    run = injector.run([a.format(data=data) for a in scenario.args], "fsync", 2, tmp_path)
    assert run.killed, run.describe()
    leftovers = set(os.listdir(data / "library")) - before
    assert leftovers, "the killed commit should have left its new files behind"
    assert observe(data) == scenario.old
    with Library.open(data) as library, library.store.locked():
        pass  # the next write (here: the lock it takes) removes what the killed commit left
    assert set(os.listdir(data / "library")) == before
