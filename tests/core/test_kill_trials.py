"""A writer killed with SIGKILL at random moments keeps every change whose call had returned.

One library lives through all the trials, as a user's would through a series of crashes: each trial starts a
worker (tests/core/crash_worker.py) that makes random state changes (stars, reads, notes that grow and shrink,
tags), printing ``do I {change}`` before each and ``ok I`` once the call has returned; the test kills it after a
random delay and reopens the library. Every acknowledged change must be there; the one change in flight may or may
not be, but nothing else may differ.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import crash_worker  # tests/core is on sys.path (pytest rootdir-relative imports), as for feedtools
import orjson
import pytest

from readinglist.core.importer import read_feed_file
from readinglist.core.library import Library

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample-papers.xml"
WORKER = Path(__file__).with_name("crash_worker.py")

TRIALS = 50
SEED = 20250413
CHANGES_PER_WORKER = 5000  # more than any worker gets through before its kill
KEYS_USED = 8


@dataclass(frozen=True)
class Seen:
    """What a user sees of one paper's state."""

    starred: bool = False
    read: bool = False
    note: str = ""
    tags: tuple[str, ...] = ()


def apply(state: dict[str, Seen], change: dict[str, object]) -> dict[str, Seen]:
    """The effect of one change, as the library documents it (a model, independent of the code under test)."""
    key, value, op = str(change["key"]), change["value"], change["op"]
    old = state[key]
    if op == "star":
        new = replace(old, starred=bool(value))
    elif op == "read":
        new = replace(old, read=bool(value))
    elif op == "note":
        new = replace(old, note=str(value) if str(value).strip() else "")
    elif op == "tag":
        new = replace(old, tags=tuple(dict.fromkeys([*old.tags, str(value)])))
    elif op == "untag":
        new = replace(old, tags=tuple(t for t in old.tags if t != value))
    else:
        raise ValueError(change)
    return {**state, key: new}


def observe(data: Path, keys: list[str]) -> dict[str, Seen]:
    # A writer open, like the next command after the crash: it must succeed and it cleans up what the crash left.
    with Library.open(data, lock_timeout=10) as library:
        states = {k: library.state(k) for k in keys}
        assert len(library) == 60, "papers went missing"
    return {k: Seen(s.starred, s.read, s.note, s.tags) for k, s in states.items()}


@dataclass
class Trial:
    lines: list[str]
    returncode: int
    stderr: str

    def changes(self) -> tuple[list[dict[str, object]], dict[str, object] | None]:
        """The acknowledged changes in order, and the one begun but not acknowledged (if any)."""
        begun: dict[int, dict[str, object]] = {}
        acked: list[dict[str, object]] = []
        for line in self.lines:
            if line.startswith("do "):
                _, i, payload = line.split(" ", 2)
                begun[int(i)] = json.loads(payload)
            elif line.startswith("ok "):
                acked.append(begun.pop(int(line.split()[1])))
        assert len(begun) <= 1, f"more than one change in flight: {begun}"
        return acked, next(iter(begun.values()), None)


def run_trial(server: Any, data: Path, seed: int, keys: list[str], delay: float) -> Trial:
    lines: list[str] = []
    ready = threading.Event()
    log_start = server.log_size()
    child = server.start(["changes", str(data), str(seed), str(CHANGES_PER_WORKER), *keys])

    def read() -> None:
        for line in child.stdout:
            if not line.endswith("\n"):
                break  # cut by the kill: a line that was never completed acknowledges nothing
            if line == "ready\n":
                ready.set()
            lines.append(line.rstrip("\n"))
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert ready.wait(60), "the worker never became ready"
    time.sleep(delay)
    os.kill(child.pid, signal.SIGKILL)
    reader.join(timeout=60)
    returncode = server.wait(child)
    return Trial(lines, returncode, server.log_since(log_start))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Any]:
    """Workers forked from one that has imported everything: a Python start-up per trial would cost more than
    the trial itself."""
    server = crash_worker.ForkServer(tmp_path)
    yield server
    server.close()


@pytest.mark.slow
def test_sigkill_at_random_moments_keeps_every_acknowledged_change(data_dir: Path, server: Any) -> None:
    with Library.open(data_dir) as library:
        parsed = read_feed_file(SAMPLE)
        library.add_papers(parsed.papers, source=parsed.title)
        keys = [str(k) for k in sorted(library.keys())[:KEYS_USED]]
    expected = observe(data_dir, keys)
    rng = random.Random(SEED)
    acked_total = landed_in_flight = 0
    for trial in range(TRIALS):
        delay = rng.uniform(0.005, 0.150)
        result = run_trial(server, data_dir, rng.randrange(2**32), keys, delay)
        where = f"trial {trial} (seed {SEED}, killed after {delay * 1000:.0f} ms)"
        assert result.lines[:1] == ["ready"], f"{where}: {result.lines[:3]} {result.stderr}"
        assert result.returncode == -signal.SIGKILL, (
            f"{where}: the worker ended by itself ({result.returncode}) before the kill: {result.stderr[-3000:]}"
        )
        acked, in_flight = result.changes()
        for change in acked:
            expected = apply(expected, change)
        try:
            seen = observe(data_dir, keys)
        except Exception as exc:
            pytest.fail(f"{where}: the library no longer opens: {exc!r}")
        if in_flight is not None and seen != expected:
            # The change in flight may have become durable before its call returned; then all of it, not part.
            with_it = apply(expected, in_flight)
            assert seen == with_it, f"{where}: {_explain(expected, with_it, seen)}"
            expected, landed_in_flight = with_it, landed_in_flight + 1
        else:
            assert seen == expected, f"{where}: {_explain(expected, None, seen)}"
        acked_total += len(acked)
    # The trials must have cut the worker off between changes and inside them, not only before it began.
    assert acked_total >= TRIALS, f"only {acked_total} changes were acknowledged in {TRIALS} trials"
    _check_with_the_command_line(data_dir, expected)


def _explain(expected: dict[str, Seen], with_in_flight: dict[str, Seen] | None, seen: dict[str, Seen]) -> str:
    lines = ["the library differs from every acknowledged change (plus, at most, the one in flight):"]
    for key in expected:
        if seen[key] != expected[key]:
            lines.append(f"  {key}: expected {_short(expected[key])}")
            if with_in_flight is not None and with_in_flight[key] != expected[key]:
                lines.append(f"  {' ' * len(key)}  or       {_short(with_in_flight[key])}")
            lines.append(f"  {' ' * len(key)}  found    {_short(seen[key])}")
    return "\n".join(lines)


def _short(state: Seen) -> str:
    note = state.note if len(state.note) < 30 else f"{state.note[:20]}...({len(state.note)} chars)"
    return f"starred={state.starred} read={state.read} tags={state.tags} note={note!r}"


def _check_with_the_command_line(data: Path, expected: dict[str, Seen]) -> None:
    """What the user's next command shows after 50 crashes is what the model says."""
    done = subprocess.run(
        [sys.executable, "-m", "readinglist.cli.main", "--data-dir", str(data), "list", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = {row["key"]: row for row in map(orjson.loads, done.stdout.splitlines())}
    assert len(rows) == 60
    for key, state in expected.items():
        row = rows[key]
        assert (row["starred"], row["read"], row["note"], tuple(row["tags"])) == (
            state.starred,
            state.read,
            state.note,
            state.tags,
        ), key
