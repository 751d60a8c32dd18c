"""Two writers at once lose nothing; a writer that cannot get the library in time fails clearly and changes nothing.

Real processes on one data folder: the worker of tests/core/crash_worker.py and the `readinglist` command itself.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from readinglist.core.importer import read_feed_file
from readinglist.core.library import Library
from readinglist.core.storage import LibraryLockedError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample-papers.xml"
WORKER = Path(__file__).with_name("crash_worker.py")

pytestmark = pytest.mark.slow


@pytest.fixture
def keys(data_dir: Path) -> list[str]:
    with Library.open(data_dir) as library:
        parsed = read_feed_file(SAMPLE)
        library.add_papers(parsed.papers, source=parsed.title)
        return [str(k) for k in sorted(library.keys())]


def readinglist(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "readinglist.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_two_writer_processes_hammering_one_library_lose_nothing(data_dir: Path, keys: list[str]) -> None:
    rounds = 40
    mine = {"a": keys[0:10], "b": keys[10:20]}
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "hammer", str(data_dir), "60", name, str(rounds), *group],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, group in mine.items()
    ]
    # Meanwhile a reader (like `readinglist list` in another terminal) must always find a whole library, and
    # never one that went backwards: the writers only ever add stars and tags.
    reads = 0
    last_tags = 0
    while any(w.poll() is None for w in workers) or reads == 0:
        with Library.open(data_dir, writer=False) as library:
            assert len(library) == 60
            tags = sum(library.tags().values())
        assert tags >= last_tags, f"a reader saw {tags} tags after having seen {last_tags}"
        last_tags, reads = tags, reads + 1
    spans = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        acks = [line.split() for line in out.splitlines()]
        assert [(ok, int(r)) for ok, r, _ in acks] == [("ok", r) for r in range(rounds)]
        spans.append((float(acks[0][2]), float(acks[-1][2])))
    # Really at once: each worker was still committing while the other one was.
    assert max(s for s, _ in spans) < min(e for _, e in spans), f"the writers ran one after the other: {spans}"

    with Library.open(data_dir, writer=False) as library:
        for name, group in mine.items():
            for r in range(rounds):
                key = group[r % len(group)]
                state = library.state(key)
                assert state.starred, key
                assert f"{name}-{r}" in state.tags, f"{name}'s tag of round {r} on {key} was lost"
        assert sum(library.tags().values()) == 2 * rounds
    assert reads > 1


def test_a_writer_killed_at_random_moments_while_another_writes_loses_no_acknowledged_change(
    data_dir: Path, keys: list[str]
) -> None:
    # kill -9 of one side at random moments (with the lock held, mid-commit, between writes), four times, while
    # the other writes all along: each says "ok" only after its change is durable, and every such change survives.
    rng = random.Random(20261201)
    survivor = subprocess.Popen(
        [sys.executable, str(WORKER), "hammer", str(data_dir), "60", "a", "80", *keys[0:10]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acked: list[tuple[str, str]] = []  # (tag, key)
    for trial in range(4):
        group = keys[10 + 5 * trial : 15 + 5 * trial]
        victim = subprocess.Popen(
            [sys.executable, str(WORKER), "hammer", str(data_dir), "60", f"b{trial}", "1000", *group],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(rng.uniform(0.4, 1.2))
        victim.kill()
        out, _ = victim.communicate(timeout=60)
        for line in out.splitlines():
            ok, r, _ = line.split()
            if ok == "ok":
                acked.append((f"b{trial}-{r}", group[int(r) % len(group)]))
    out, err = survivor.communicate(timeout=180)
    assert survivor.returncode == 0, err
    for line in out.splitlines():
        _, r, _ = line.split()
        acked.append((f"a-{r}", keys[0:10][int(r) % 10]))
    assert len([t for t, _ in acked if t.startswith("b")]) > 0, "no victim got a change through before its kill"
    with Library.open(data_dir, writer=False) as library:
        assert len(library) == 60
        for tag, key in acked:
            assert tag in library.state(key).tags, f"{tag} on {key} was acknowledged and then lost"
    # The library takes writes after the kills (a killed writer's leftovers are cleared under the lock).
    with Library.open(data_dir) as library:
        library.set_starred([keys[-1]], True)


def test_two_readinglist_commands_at_once_lose_nothing(data_dir: Path, keys: list[str]) -> None:
    runs = 5
    failures: list[str] = []

    def user(name: str, group: list[str]) -> None:
        for i in range(runs):
            key = group[i % len(group)]
            for args in (("--wait", "60", "star", key), ("--wait", "60", "tag", key, f"{name}-{i}")):
                done = readinglist("--data-dir", str(data_dir), *args)
                if done.returncode != 0:
                    failures.append(f"{name}: {args}: {done.stderr}")

    threads = [
        threading.Thread(target=user, args=("a", keys[20:24])),
        threading.Thread(target=user, args=("b", keys[24:28])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures

    listed = readinglist("--data-dir", str(data_dir), "list", "--json", "--starred")
    assert listed.returncode == 0, listed.stderr
    rows = {row["key"]: row for row in map(orjson.loads, listed.stdout.splitlines())}
    assert set(rows) == set(keys[20:28])
    for name, group in (("a", keys[20:24]), ("b", keys[24:28])):
        for i in range(runs):
            assert f"{name}-{i}" in rows[group[i % len(group)]]["tags"], f"{name}-{i} was lost"


def test_a_writer_that_cannot_get_the_lock_in_time_fails_clearly_and_changes_nothing(
    data_dir: Path, keys: list[str]
) -> None:
    with subprocess.Popen(
        [sys.executable, str(WORKER), "hold", str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        try:
            started = time.monotonic()
            blocked = readinglist("--data-dir", str(data_dir), "--wait", "0.5", "star", keys[0])
            waited = time.monotonic() - started
            # Reading does not need the lock: `list` works while the other process writes.
            listed = readinglist("--data-dir", str(data_dir), "list", "--json")
        finally:
            out, _ = holder.communicate("release\n", timeout=60)
        assert holder.returncode == 0 and out == "done\n"

    assert blocked.returncode != 0
    assert blocked.stdout == ""
    assert "Traceback" not in blocked.stderr
    lines = blocked.stderr.splitlines()
    assert len(lines) == 1, blocked.stderr
    assert lines[0].startswith("readinglist: error: ")
    assert str(data_dir) in lines[0], "the message must name the library folder"
    assert "in use" in lines[0] and "being written by the Reading List window (pid " in lines[0]  # truthfully
    assert 0.4 < waited < 30, f"--wait 0.5 waited {waited:.1f} s"
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == 60

    with Library.open(data_dir, writer=False) as library:
        assert not library.state(keys[0]).starred, "the refused command changed the library"
    # Once the other process is gone, the same command works.
    again = readinglist("--data-dir", str(data_dir), "--wait", "0.5", "star", keys[0])
    assert again.returncode == 0, again.stderr
    with Library.open(data_dir, writer=False) as library:
        assert library.state(keys[0]).starred


def test_a_reader_searching_while_a_writer_changes_notes_never_fails(data_dir: Path, keys: list[str]) -> None:
    """Readers do not take the lock, but they do bring the search index up to date: `readinglist list --search`
    in one terminal while the window (or another command) edits notes. Neither side may fail."""
    rounds = 200
    group = keys[30:40]
    with Library.open(data_dir) as library:
        library.sync_search_index()
    with subprocess.Popen(
        [sys.executable, str(WORKER), "notes", str(data_dir), str(rounds), *group],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as writer:
        failures: list[str] = []
        searches = 0
        while writer.poll() is None:
            try:
                with Library.open(data_dir, writer=False) as library:
                    found = set(library.query(search="racenote"))
                    noted = {k for k in group if library.state(k).note}
                # Every note this reader sees is found. (The search may also find a note the writer saved after
                # this reader loaded the library: notes are only ever added here, so never fewer.)
                assert noted <= found, f"the search found {sorted(found)}, the notes are on {sorted(noted)}"
            except Exception as exc:
                failures.append(repr(exc))
            searches += 1
        out, err = writer.communicate(timeout=120)
    problems = []
    if writer.returncode != 0:
        problems.append(f"the writer failed after {len(out.splitlines())} of {rounds} notes:\n{err[-1500:]}")
    if failures:
        problems.append(f"{len(failures)} of {searches} searches failed: {failures[:3]}")
    assert not problems, "\n".join(problems)
    assert out.split()[-1] == str(rounds - 1)

    with Library.open(data_dir, writer=False) as library:
        for r in range(rounds - len(group), rounds):
            key = group[r % len(group)]
            assert library.state(key).note.startswith(f"racenote round{r} ")
            assert key in library.query(search=f"round{r}"), f"the search index lost the note of round {r}"


def test_a_large_import_lets_another_writers_star_through_between_its_batches(data_dir: Path, keys: list[str]) -> None:
    # 3,000 papers go in in three commits: a star from another process waits for one batch, not the import.
    import_dir = data_dir.parent / "big"
    import_dir.mkdir()
    feed = import_dir / "big.xml"
    items = "".join(
        f"<item><title>Paper number {i} about sparse attention</title><link>https://arxiv.org/abs/2512.{i:05d}</link>"
        f"<guid isPermaLink='false'>oai:arXiv.org:2512.{i:05d}v1</guid><description>Abstract {i}.</description></item>"
        for i in range(3000)
    )
    feed.write_text(f"<?xml version='1.0'?><rss version='2.0'><channel><title>big</title>{items}</channel></rss>")
    importer = subprocess.Popen(
        [sys.executable, "-m", "readinglist.cli.main", "--data-dir", str(data_dir), "import", str(feed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    starred: list[str] = []
    with Library.open(data_dir, lock_timeout=30) as library:
        before = library.generation
        while importer.poll() is None and len(starred) < 60:
            library.set_starred([keys[len(starred)]], True)
            starred.append(keys[len(starred)])
            time.sleep(0.02)
    out, err = importer.communicate(timeout=120)
    assert importer.returncode == 0, err
    assert "3000 new" in out
    with Library.open(data_dir, writer=False) as library:
        assert len(library) == 3060
        assert all(library.state(k).starred for k in starred)  # every star made during the import is kept
        # The import was three commits (one per 1,000 papers), beside the stars' own.
        assert library.generation - before == 3 + len(starred)


def test_a_writer_killed_while_holding_the_lock_leaves_no_stale_lock(data_dir: Path, keys: list[str]) -> None:
    """A window or a refresh killed in the middle of a write (the OOM killer, a power button) must not leave the
    library locked: the next command gets the lock at once."""
    with subprocess.Popen(
        [sys.executable, str(WORKER), "hold", str(data_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        held = readinglist("--data-dir", str(data_dir), "--wait", "0.2", "star", keys[1])
        holder.kill()
        holder.wait(timeout=60)
    assert held.returncode != 0 and "in use" in held.stderr
    started = time.monotonic()
    after = readinglist("--data-dir", str(data_dir), "--wait", "0.2", "star", keys[1])
    assert after.returncode == 0, after.stderr
    assert time.monotonic() - started < 30
    with Library.open(data_dir, writer=False) as library:
        assert library.state(keys[1]).starred


def test_two_libraries_of_one_process_take_the_lock_in_turn(data_dir: Path, keys: list[str]) -> None:
    """The window's library and a second opening in the same process (an archive restore, a test) exclude each
    other as two processes do: the second waits, then fails clearly, and gets it once the first lets go."""
    first = Library.open(data_dir, lock_timeout=0.2)
    second = Library.open(data_dir, lock_timeout=0.2)
    try:
        with first.store.locked(), pytest.raises(LibraryLockedError, match="in use"):
            second.set_starred([keys[2]], True)
        second.set_starred([keys[2]], True)
    finally:
        first.close()
        second.close()
    with Library.open(data_dir, writer=False) as library:
        assert library.state(keys[2]).starred


def test_a_process_forked_while_the_lock_is_held_does_not_keep_the_library_locked(
    data_dir: Path, keys: list[str]
) -> None:
    """An import forks workers to parse its feeds; one forked while the lock is held must not hold it after the
    import lets go (the lock belongs to the open file, which the child shares): the window's star goes through."""
    library = Library.open(data_dir)
    try:
        with library.store.locked():
            child = os.fork()
            if child == 0:  # the worker: parses for a while, never writes
                time.sleep(20)
                os._exit(0)
        try:
            started = time.monotonic()
            star = readinglist("--data-dir", str(data_dir), "--wait", "2", "star", keys[3])
            assert star.returncode == 0, star.stderr
            assert time.monotonic() - started < 15
        finally:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
    finally:
        library.close()
