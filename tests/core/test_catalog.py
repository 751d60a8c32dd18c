"""The catalog (the derived SQLite index) answers as the whole library does, stays a cache, and keeps up.

A command answered from the catalog (`Shelf`) must list, count, search and resolve exactly what `Library` does
from every paper in memory, after any mix of imports, new versions (the paper-changes part), folds, state
changes, mute rules, merges and another process's writes; and deleting or damaging the catalog costs a rebuild,
never a paper or a star.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from pathlib import Path

import pytest

from readinglist.core import catalog as catalog_module
from readinglist.core import papers as layout
from readinglist.core import storage as storage_module
from readinglist.core.catalog import VIEW_SQL, Catalog
from readinglist.core.datadir import DataFolder
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper, ListFilter, SortKey
from readinglist.core.rules import Action, Condition, Rule, new_rule_id
from readinglist.core.search import fts_query
from readinglist.core.shelf import Shelf
from readinglist.core.storage import CorruptLibraryError, Store

WORDS = [
    "diffusion",
    "transformer",
    "attention",
    "graph",
    "kernel",
    "sparse",
    "quantum",
    "Straße",
    "Benoît",
    "noise",
    "prior",
    "lattice",
]
SORTS = [SortKey.DATE, SortKey.TITLE, SortKey.SOURCE]


def paper(i: int, rng: random.Random, v: int = 1, extra: str = "") -> IncomingPaper:
    words = rng.sample(WORDS, 3)
    return IncomingPaper(
        title=f"{' '.join(words).capitalize()} {i}",
        authors=(f"Author {i % 7}", "B. Sagot" if i % 5 == 0 else "Ann Lee"),
        abstract=" ".join(rng.choice(WORDS) for _ in range(12)) + (" $\\alpha$-stable" if i % 9 == 0 else "") + extra,
        arxiv_id=f"2401.{i:05d}",
        arxiv_version=v,
        published=f"2024-01-{1 + i % 28:02d}T00:00:00Z",
        categories=("cs.LG",) if i % 2 else ("cs.CL", "cs.LG"),
    )


def assert_same(lib: Library, data_dir: Path) -> None:
    """Every view, order, filter and search the catalog answers, against the library's own answer."""
    with Shelf.open(data_dir, writer=False) as shelf:
        assert len(shelf) == len(lib)
        tags = [*sorted(lib.tags()), "nosuch"]
        feeds = sorted(lib.feed_counts())
        for view in VIEW_SQL:
            for sort in SORTS:
                for desc in (None, True):
                    want = lib.query(view=view, sort=sort, descending=desc)
                    got = shelf.query(view=view, sort=sort, descending=desc)
                    assert got == want, (view, sort, desc)
            assert shelf.query(view=view, limit=3) == lib.query(view=view, limit=3), view
        for tag, feed in itertools.product([None, *tags[:2]], [None, *feeds[:2]]):
            assert shelf.query(tag=tag, feed=feed) == lib.query(tag=tag, feed=feed), (tag, feed)
        texts = ["diff", "Straße", "strasse", "benoit sagot", "Beno\\^it", "noise prior", "zzz", "α-stable"]
        for text in texts:
            for view in (ListFilter.ALL, ListFilter.UNREAD):
                assert shelf.query(search=text, view=view) == lib.query(search=text, view=view), text
        # A search asks the index's words a prefix starts and walks the newest matches from the highest id; the
        # reference is FTS5's own prefix query, sorted here (newest first, then by key).
        dates = dict(shelf.catalog._conn().execute("SELECT key, date FROM paper").fetchall())
        for text in [*texts, "quokka", "rem", "spa la", "sparse 1", "batch", "diffusion batch"]:
            match = fts_query(text)
            assert match is not None
            matching = shelf.catalog._matching(match)
            assert shelf.catalog.search(text) == matching, text
            for view in (ListFilter.ALL, ListFilter.UNREAD, ListFilter.STARRED):
                newest = sorted(set(shelf.query(view=view)) & matching)
                newest.sort(key=dates.__getitem__, reverse=True)
                for limit in (None, 1, 5, 40):
                    got = shelf.query(search=text, view=view, limit=limit)
                    assert got == newest[:limit], (text, view, limit)
        stats, counts = lib.stats(), shelf.stats()
        assert (counts.papers, counts.unread, counts.read, counts.starred, counts.noted, counts.tagged) == (
            stats.papers,
            stats.unread,
            stats.read,
            stats.starred,
            stats.noted,
            stats.tagged,
        )
        assert counts.updated == stats.updated and counts.tags == stats.tags and counts.feeds == stats.feeds
        for key in lib.keys()[:: max(1, len(lib) // 15)]:
            arxiv = lib.get(key).arxiv_id
            assert shelf.resolve(f"{arxiv}v3") == key
            assert shelf.get(key) == lib.get(key) and shelf.state(key) == lib.state(key)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_catalog_answers_as_the_library_through_every_kind_of_change(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    # Small parts, so that a few hundred papers cross segments, fill the paper changes and fold them back.
    monkeypatch.setattr(layout, "SEGMENT_SIZE", 40)
    monkeypatch.setattr(layout, "DELTA_LIMIT", 30)
    # Small blocks and batches, so that a search's walk from the highest id stops early among papers whose dates
    # do not follow their ids (or gives up, with seed 3); and a small first build, so that the index's words are
    # listed whole after some imports and learned part by part after others.
    monkeypatch.setattr(catalog_module, "BLOCK_BITS", 3)
    monkeypatch.setattr(catalog_module, "STREAM_BATCH", 4)
    monkeypatch.setattr(catalog_module, "STREAM_ROWS", 12 if seed == 3 else 10**9)
    monkeypatch.setattr(catalog_module, "WORDS_REBUILD", 50)
    rng = random.Random(seed)
    n = 0
    with Library.open(data_dir) as lib:
        for step in range(14):
            kind = rng.choice(["import", "import", "versions", "state", "state", "notes", "rule", "merge"])
            if kind == "import" or n == 0:
                batch = [paper(i, rng, extra=f" batch{step}") for i in range(n, n + rng.randint(10, 70))]
                lib.add_papers(batch, source=rng.choice(["arXiv cs.LG", "arXiv cs.CL", "Journal"]))
                n += len(batch)
            elif kind == "versions":
                lib.add_papers([paper(i, rng, v=2 + step) for i in rng.sample(range(n), min(n, 25))], source="Other")
            elif kind == "state":
                keys = rng.sample(lib.keys(), min(n, 30))
                lib.set_read(keys[:12], True)
                lib.set_starred(keys[10:16], True)
                lib.set_later(keys[16:20], True)
                lib.set_dismissed(keys[20:23], True)
                lib.set_read(keys[:3], False)
                lib.add_tags(keys[5:9], [rng.choice(["to-read", "survey", "ml"])])
            elif kind == "notes":
                for key in rng.sample(lib.keys(), min(n, 4)):
                    lib.set_note(key, f"remember the {rng.choice(WORDS)} quokka{step}")
            elif kind == "rule":
                word = rng.choice(WORDS[:8])
                rule = Rule(new_rule_id(), f"no {word}", (Condition("title", word),), Action.MUTE)
                lib.put_rules([*lib.rules(), rule])
            elif kind == "merge" and n > 4:
                a, b = rng.sample(lib.keys(), 2)
                lib.merge_papers(a, b)
            assert_same(lib, data_dir)


def test_the_catalog_is_a_cache_deleted_or_damaged_it_is_rebuilt(data_dir: Path) -> None:
    rng = random.Random(4)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(60)], source="x")
        lib.set_starred(lib.keys()[:5], True)
        lib.set_note(lib.keys()[7], "the quokka paper")
        assert_same(lib, data_dir)
        path = DataFolder(data_dir).catalog
        path.unlink()
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        assert_same(lib, data_dir)
        path.write_bytes(b"this is not a database" * 100)
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        assert_same(lib, data_dir)
        assert lib.query(search="quokka") == [lib.keys()[7]]


def test_the_half_of_the_full_text_in_its_own_file_is_a_cache_too(data_dir: Path, tmp_path: Path) -> None:
    """The papers of odd id have their text in a second file: missing, damaged, another catalog's, or holding
    text its rows were never told of (a crash between the two files' commits), every search still answers."""
    rng = random.Random(6)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(60)], source="x")
        for key in lib.keys()[:2]:  # (one of each half)
            lib.set_note(key, "the quokka paper")
        assert_same(lib, data_dir)
        text = DataFolder(data_dir).catalog.with_name("catalog-text.sqlite")
        ids = dict(Catalog(DataFolder(data_dir).catalog)._conn().execute("SELECT key, id FROM paper").fetchall())
        assert {ids[k] % 2 for k in lib.keys()[:2]} == {0, 1}

        def forget_sidecars() -> None:
            for suffix in ("-wal", "-shm"):
                Path(str(text) + suffix).unlink(missing_ok=True)

        text.unlink()
        forget_sidecars()
        assert_same(lib, data_dir)
        text.write_bytes(b"this is not a database" * 100)
        forget_sidecars()
        assert_same(lib, data_dir)
        assert sorted(lib.query(search="quokka")) == sorted(lib.keys()[:2])

        # Another library's catalog, whose text file is copied over this one's.
        other = tmp_path / "other"
        with Library.open(other) as stranger:
            stranger.add_papers(
                [IncomingPaper(title=f"Wombat {i}", arxiv_id=f"2402.{i:05d}") for i in range(60)], source="y"
            )
            assert stranger.query(search="wombat", limit=1)
        text.write_bytes(DataFolder(other).catalog.with_name("catalog-text.sqlite").read_bytes())
        forget_sidecars()
        assert_same(lib, data_dir)
        with Shelf.open(data_dir, writer=False) as shelf:
            assert shelf.query(search="wombat") == []

    # Every paper's text is in its file, but the rows say none is indexed: it is indexed again, once each.
    catalog = Catalog(DataFolder(data_dir).catalog)
    catalog._conn().execute("UPDATE paper SET fsum = 0")
    catalog.close()
    with Shelf.open(data_dir, writer=False) as shelf:
        assert len(shelf.query(search="quokka")) == 2
        assert shelf.catalog.text_behind() == 0
    with Library.open(data_dir) as lib:
        assert_same(lib, data_dir)


def test_a_note_changed_on_a_paper_of_either_half_is_searched_as_it_is_now(data_dir: Path) -> None:
    rng = random.Random(7)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(10)], source="x")
        keys = lib.keys()[:2]
    with Shelf.open(data_dir) as shelf:
        for key in keys:
            shelf.set_note(key, "about the platypus")
        assert sorted(shelf.query(search="platypus")) == sorted(keys)
    with Shelf.open(data_dir) as shelf:
        for key in keys:
            shelf.set_note(key, "about the echidna")
        assert shelf.query(search="platypus") == []
        assert sorted(shelf.query(search="echidna")) == sorted(keys)
    with Library.open(data_dir) as lib:
        assert lib.query(search="platypus") == []
        assert sorted(lib.query(search="echidna")) == sorted(keys)


def test_a_star_from_a_command_keeps_the_mute_promises_and_the_window_sees_it(data_dir: Path) -> None:
    rng = random.Random(5)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(30)], source="x")
        rule = Rule(new_rule_id(), "no noise", (Condition("title", "noise"),), Action.MUTE)
        lib.put_rules([rule])
        muted = lib.muted_keys()
        assert muted
        with Shelf.open(data_dir) as shelf:
            change = shelf.set_starred([muted[0]], True)
            assert change.after[0].starred and not change.after[0].muted  # a starred paper is never muted
            assert shelf.set_starred([muted[0]], True).after == ()  # already starred: nothing written
            shelf.set_read([muted[1]], False)  # unread by hand: kept from the rule for good
        lib.catch_up()
        assert lib.state(muted[0]).starred and not lib.state(muted[0]).muted
        assert not lib.state(muted[1]).read and not lib.state(muted[1]).muted
        assert_same(lib, data_dir)


def files_parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the library files parsed whole from now on."""
    parsed: list[str] = []
    parse = Store._parse_part
    monkeypatch.setattr(Store, "_parse_part", lambda self, path, *a: parsed.append(path.name) or parse(self, path, *a))
    return parsed


def test_a_command_reads_only_the_parts_it_needs(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(6)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(20)], source="x")
        for start in range(20, 4020 * 3, 4000):
            lib.add_papers([paper(i, rng) for i in range(start, start + 4000)], source="x")
        key = lib.keys()[5000]
    with Shelf.open(data_dir, writer=False) as shelf:
        shelf.catalog  # noqa: B018 (built now: a first build reads every part once, and keeps none)
    parsed = files_parsed(monkeypatch)
    with Shelf.open(data_dir) as shelf:
        shelf.get(key)
        shelf.set_starred([key], True)
        loaded = {p for p in shelf.store.parts() if shelf.store._parts.get(p) is not None}
        # The paper is read out of its segment (checked whole by its checksum), not parsed with 4,000 others.
        assert [name for name in parsed if name.startswith("papers-")] == []
        assert {p for p in loaded if p.startswith("papers-")} == set()
        assert len({p for p in loaded if p.startswith("state-")}) == 1
    with Library.open(data_dir) as lib:
        assert lib.state(key).starred


def test_the_catalog_catches_up_in_bounded_batches(data_dir: Path) -> None:
    rng = random.Random(7)
    with Library.open(data_dir) as lib:
        for start in range(0, 12_000, 4000):
            lib.add_papers([paper(i, rng) for i in range(start, start + 4000)], source="x")
        catalog = Catalog(DataFolder(data_dir).catalog)
        seen: list[tuple[int, int]] = []
        rounds = 0
        while not catalog.catch_up(lib.store, budget=0.0, progress=lambda d, t: seen.append((d, t))):
            rounds += 1
        assert rounds >= 2  # one part per round at a zero budget, and it resumes where it stopped
        assert catalog.current(lib.store) and len(catalog) == 12_000
        catalog.close()


def test_a_command_killed_while_it_builds_the_catalog_leaves_a_catalog_that_catches_up(data_dir: Path) -> None:
    import shutil
    import signal
    import subprocess
    import sys
    import time

    rng = random.Random(8)
    with Library.open(data_dir) as lib:
        for start in range(0, 16_000, 4000):
            lib.add_papers([paper(i, rng) for i in range(start, start + 4000)], source="x")
        lib.set_starred(lib.keys()[::97], True)
        lib.set_note(lib.keys()[1234], "the quokka paper")
    command = [sys.executable, "-m", "readinglist.cli.main", "--data-dir", str(data_dir), "list", "--search", "quokka"]
    killed_during_build = False
    # Stopped at some point of the build (one SQLite transaction per part): later and later until some parts are
    # in, earlier and earlier when the command finished first (how long a build takes depends on the machine).
    for delay in (0.6, 1.0, 1.5, 0.4, 0.25, 0.15, 0.08, 0.04):
        shutil.rmtree(DataFolder(data_dir).catalog.parent, ignore_errors=True)
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        catalog = Catalog(DataFolder(data_dir).catalog)
        done_parts = len(catalog.indexed_files())
        catalog.close()
        if killed and done_parts > 0:
            killed_during_build = True
            break
    assert killed_during_build
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    with Library.open(data_dir) as lib:
        assert done.stdout.split()[0] == lib.keys()[1234]
        assert_same(lib, data_dir)


def test_a_command_killed_while_it_indexes_the_full_text_leaves_an_index_that_catches_up(data_dir: Path) -> None:
    import contextlib
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    rng = random.Random(9)
    with Library.open(data_dir) as lib:
        for start in range(0, 16_000, 4000):
            lib.add_papers([paper(i, rng) for i in range(start, start + 4000)], source="x")
        lib.set_note(lib.keys()[4321], "the quokka paper")
        lib.set_note(lib.keys()[4322], "the quokka sequel")
    path = DataFolder(data_dir).catalog
    catalog = Catalog(path)
    catalog._conn().execute("UPDATE paper SET fsum = 0")  # the rows are in; the text is all to do again
    catalog.close()
    command = [sys.executable, "-m", "readinglist.cli.main", "--data-dir", str(data_dir), "list", "--search", "quokka"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    odd, marked = 0, 16_000
    try:
        # Killed once the odd half has text in its file: mostly before the rows say so (the other file's commit).
        watch = sqlite3.connect(path.with_name("catalog-text.sqlite"), timeout=10)
        rows = sqlite3.connect(path, timeout=10)
        while proc.poll() is None and odd == 0:
            with contextlib.suppress(sqlite3.OperationalError):  # (not made yet)
                odd = watch.execute("SELECT count(*) FROM fts_odd").fetchone()[0]
            time.sleep(0.002)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        marked = rows.execute("SELECT count(*) FROM paper WHERE fsum != 0").fetchone()[0]
        watch.close()
        rows.close()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert odd > 0 and marked < 16_000, (odd, marked)  # (killed while it indexed)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    with Library.open(data_dir) as lib:
        assert sorted(line.split()[0] for line in done.stdout.splitlines()) == sorted(lib.keys()[4321:4323])
        assert_same(lib, data_dir)


def test_a_shard_that_grows_is_split_and_every_state_is_kept(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from readinglist.core import papers as papers_module

    monkeypatch.setattr(papers_module, "SPLIT_AT", 5)  # a few hundred states split shards, and their children
    rng = random.Random(9)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(3000)], source="x")
        keys = lib.keys()
        lib.set_read(keys[:1500], True)  # one write: its shards split in the same commit
        with Shelf.open(data_dir) as shelf:  # a command's writes split shards too
            for key in keys[1500:1540]:
                shelf.set_starred([key], True)
            shelf.set_later([keys[7]], True)
        lib.catch_up()
        lib.add_tags(keys[1600:1700], ["split"])
        lib.set_note(keys[1650], "a quokka among the splits")
        parts = [p for p in lib.store.parts() if p.startswith("state-")]
        assert any(p.count(".") >= 2 for p in parts), parts  # split, and split again
        sizes = [len(lib.store.table(p, "state")) for p in parts]
        assert max(sizes) <= 5 and sum(sizes) == len({*keys[:1540], *keys[1600:1700]})
        assert_same(lib, data_dir)
    with Library.open(data_dir) as lib:
        assert all(lib.state(k).read for k in keys[:1500])
        assert all(lib.state(k).starred for k in keys[1500:1540]) and lib.state(keys[7]).later
        assert lib.state(keys[1650]).note == "a quokka among the splits"
        assert lib.query(tag="split") == lib.query(keys=keys[1600:1700])
        assert_same(lib, data_dir)


def test_a_shelf_finds_the_shards_another_shelf_split_after_it_looked(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each shelf keeps the names of the parts (and which shards are split) from one change to the next: a split
    by another process must still send its next star to the new shard, never to the one that was dropped."""
    from readinglist.core import papers as papers_module

    monkeypatch.setattr(papers_module, "SPLIT_AT", 5)
    rng = random.Random(12)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(600)], source="x")
        keys = lib.keys()
    with Shelf.open(data_dir) as window, Shelf.open(data_dir) as command:
        window.catalog  # noqa: B018
        window.set_starred([keys[0]], True)  # the window has looked at the shards (nothing is split yet)
        assert not any("." in p for p in window.store.part_names())
        command.set_read(keys[:400], True)  # the command's write splits every shard
        assert any("." in p for p in command.store.part_names())
        for key in keys[400:420]:  # the window, behind, stars papers whose shards are split now
            window.set_starred([key], True)
        assert window.state(keys[5]).read  # and sees the command's change
        split = papers_module.split_shards(window.store.part_names())
        assert split and all(papers_module.state_part(k, split) in window.store.part_names() for k in keys[400:420])
    with Library.open(data_dir) as lib:
        assert all(lib.state(k).read for k in keys[:400])
        assert all(lib.state(k).starred for k in [keys[0], *keys[400:420]])
        assert not any(lib.state(k).starred for k in keys[1:400])
        parts = [p for p in lib.store.parts() if p.startswith("state-")]
        assert max(len(lib.store.table(p, "state")) for p in parts) <= 5
        assert sum(len(lib.store.table(p, "state")) for p in parts) == 420
        assert_same(lib, data_dir)


def test_a_new_version_after_a_split_and_a_restore_leaves_no_star_the_library_lost(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readinglist.core import papers as papers_module

    monkeypatch.setattr(papers_module, "SPLIT_AT", 5)
    rng = random.Random(10)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(400)], source="x")
        keys = lib.keys()
        lib.set_read(keys[:300], True)  # the shards split
        backup = lib.store.backup(reason="before")
        assert backup is not None
        lib.set_starred([keys[350]], True)
        assert_same(lib, data_dir)
        lib.add_papers([paper(350, rng, v=5)], source="x")  # its row is rewritten: its shard must stay the split one
        assert_same(lib, data_dir)
        lib.restore(backup.name)  # the star goes
        assert not lib.state(keys[350]).starred
        assert_same(lib, data_dir)


def test_a_process_behind_others_never_rolls_the_catalog_back(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "SEGMENT_SIZE", 40)
    rng = random.Random(11)
    window = Library.open(data_dir)
    try:
        window.add_papers([paper(i, rng) for i in range(100)], source="x")
        window.query(search="graph")  # the catalog current at the window's generation
        with Library.open(data_dir) as other:  # a command moves the library on meanwhile
            other.add_papers([paper(i, rng) for i in range(100, 130)], source="x")
            starred = other.keys()[-25]
            other.set_starred([starred], True)
            with Shelf.open(data_dir, writer=False) as shelf:
                assert shelf.query(view=ListFilter.STARRED) == [starred]
            window.text_budget = 0.0  # the window's search, a slice at a time, from its older view
            window.query(search="graph")
            with Shelf.open(data_dir, writer=False) as shelf:
                assert shelf.query(view=ListFilter.STARRED) == [starred]
                assert len(shelf) == 130
            window.catch_up()
            window.text_budget = None
            assert_same(window, data_dir)
    finally:
        window.close()


SET_UP_RACE = """
import sys
from pathlib import Path
from readinglist.core.catalog import Catalog

folder = Path(sys.argv[1])
for i in range(int(sys.argv[2])):
    catalog = Catalog(folder / f"catalog-{i}.sqlite")
    catalog.text_behind()  # connects: creates the file and its tables, as a command's first read does
    catalog.close()
"""


@pytest.mark.slow
def test_processes_that_set_up_a_new_catalog_at_once_all_get_it(tmp_path: Path) -> None:
    # Two commands started together on a library without a catalog (after an upgrade, or its deletion) both
    # create it: neither may fail with "database is locked" (CI saw `star` do so once in ~1,000 such starts).
    import subprocess
    import sys

    runs = [
        subprocess.Popen(
            [sys.executable, "-c", SET_UP_RACE, str(tmp_path), "400"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    for i in range(400):
        catalog = Catalog(tmp_path / f"catalog-{i}.sqlite")
        assert catalog.text_behind() == 0
        catalog.close()


def test_a_search_while_another_process_has_dropped_the_indexes_for_its_build_still_answers(data_dir: Path) -> None:
    rng = random.Random(5)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(60)], source="x")
    with Shelf.open(data_dir, writer=False) as shelf:
        assert shelf.query(search="graph")  # (brings the full text up to date)
        found = shelf.catalog.search("graph")
        assert found
        shelf.catalog._conn().execute("DROP INDEX paper_key_of")  # as a first build in another process does
        assert shelf.catalog.search("graph") == found


def test_show_reads_one_paper_out_of_its_segment_and_it_is_the_whole_paper(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(layout, "SEGMENT_SIZE", 40)
    rng = random.Random(9)
    with Library.open(data_dir) as lib:
        papers = [paper(i, rng) for i in range(130)]
        # Text that looks like the file's own structure (a document id, a key) stays text.
        papers[3] = replace(papers[3], title='The "5":{"key":"arxiv:2401.00005"} trick', abstract='"6":{')
        lib.add_papers(papers, source="x")
        lib.add_papers([paper(i, rng, v=2) for i in (7, 50)], source="x")  # newer copies in the paper changes
        lib.merge_papers(lib.keys()[20], lib.keys()[21])  # a segment with a gap
        want = {key: lib.get(key) for key in lib.keys()}  # noqa: SIM118 (a Library is not iterable)
    with Shelf.open(data_dir, writer=False) as shelf:
        assert {key: shelf.get(key) for key in want} == want


def test_papers_read_out_of_many_segments_at_once_are_the_papers_a_whole_parse_gives(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import's plan reads a few papers out of each of many segments (`Store.read_docs`): each one found by a
    binary search over the file's document ids, none of the segments parsed whole; documents whose bounds are
    not plain (a segment's last, one before a gap) and ids a segment does not hold come out as a whole parse
    gives them."""
    monkeypatch.setattr(layout, "SEGMENT_SIZE", 40)
    monkeypatch.setattr(storage_module, "_NEAR", 200)  # (so the search runs on small segments)
    rng = random.Random(5)
    with Library.open(data_dir) as lib:
        papers = [paper(i, rng) for i in range(200)]
        papers[3] = replace(papers[3], title='The "5":{"key":"arxiv:2401.00005"} trick', abstract='"6":{')
        papers[45] = replace(papers[45], abstract="a long abstract " * 400)  # longer than a search's window
        lib.add_papers(papers, source="x")
        lib.merge_papers(lib.keys()[60], lib.keys()[61])  # a segment with a gap
    whole = Store(data_dir, writer=False)
    whole.open()
    segments = {p: dict(whole.table(p, "papers")) for p in whole.parts() if p.startswith("papers-")}
    whole.close()
    plain = {p: [i for i in rows if str(int(i) + 1) in rows] for p, rows in segments.items()}
    every = {p: [*rows, "999", "x"] for p, rows in segments.items()}
    store = Store(data_dir, writer=False, lazy=True)
    store.open()
    parsed = files_parsed(monkeypatch)
    assert store.read_docs("papers", plain) == {p: {i: segments[p][i] for i in ids} for p, ids in plain.items()}
    assert parsed == [] and sum(map(len, plain.values())) > 150
    assert store.read_docs("papers", every) == segments
    store.close()


def test_papers_held_to_their_own_checksums_are_read_without_their_segments_and_an_altered_one_is_damage(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With each paper's checksum from the catalog (made from checked files), an import's plan reads a few pages
    of each segment, not the whole file and its checksum; a paper altered in place after that differs from its
    checksum, and the read falls back to checking the whole file, which reports the damage."""
    monkeypatch.setattr(layout, "SEGMENT_SIZE", 40)
    rng = random.Random(6)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(120)], source="x")
    with Shelf.open(data_dir, writer=False) as shelf:
        keys = shelf.query()
        places, sums = shelf.catalog.places(keys), shelf.catalog.sums(keys)
        expected = {k: dict(shelf.doc(k)) for k in keys}
    wanted: dict[str, list[str]] = {}
    held: dict[str, dict[str, int]] = {}
    for key in keys[5:-5:3]:
        part = layout.segment_name(places[key][0])
        wanted.setdefault(part, []).append(places[key][1])
        held.setdefault(part, {})[places[key][1]] = sums[key]
    whole_reads: list[Path] = []
    checked = storage_module._checked_read
    monkeypatch.setattr(storage_module, "_checked_read", lambda f: whole_reads.append(f[0]) or checked(f))
    store = Store(data_dir, writer=False, lazy=True)
    store.open()
    got = store.read_docs("papers", wanted, sums=held)
    assert whole_reads == [] and len(wanted) >= 3
    assert {d["key"]: d for rows in got.values() for d in rows.values()} == {k: expected[k] for k in keys[5:-5:3]}
    store.close()
    # One letter of one of those papers' titles, changed in place: the same size, still valid JSON.
    part = sorted(wanted)[0]
    path = next((DataFolder(data_dir).library).glob(f"{part}.g*.json"))
    raw = path.read_bytes()
    at = raw.index(b'"title":"', raw.index(b'"%s":{' % wanted[part][0].encode())) + len(b'"title":"')
    path.write_bytes(raw[:at] + raw[at : at + 1].swapcase() + raw[at + 1 :])
    store = Store(data_dir, writer=False, lazy=True)
    store.open()
    with pytest.raises(CorruptLibraryError, match="altered"):
        store.read_docs("papers", wanted, sums=held)
    store.close()


def test_a_library_from_before_checksums_gets_them_at_its_next_change_and_show_reads_one_paper(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orjson

    rng = random.Random(12)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(4100)], source="x")
        key = lib.keys()[100]
    manifest_path = DataFolder(data_dir).library / "manifest.json"
    manifest = orjson.loads(manifest_path.read_bytes())
    del manifest["sums"]  # as an older readinglist wrote it
    manifest_path.write_bytes(orjson.dumps(manifest))
    parsed = files_parsed(monkeypatch)
    with Shelf.open(data_dir, writer=False) as shelf:
        want = shelf.get(key)  # (read whole: nothing to check the file against)
    assert any(name.startswith("papers-") for name in parsed)
    with Library.open(data_dir) as lib:
        lib.set_starred([lib.keys()[0]], True)  # any change: the manifest now holds the segments' checksums
    parsed.clear()
    with Shelf.open(data_dir, writer=False) as shelf:
        assert shelf.get(key) == want
    assert [name for name in parsed if name.startswith("papers-")] == []


def test_searches_through_keys_kept_by_id_follow_imports_merges_and_new_papers(data_dir: Path) -> None:
    """The window keeps every paper's key by id and maps a search's matches through it: after another
    process's import, its own catch-up, a merge that removes the newest paper and papers added after that, it
    finds exactly what the paper table says; and no id ever names a second paper."""
    rng = random.Random(8)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(40)], source="x")
    path = DataFolder(data_dir).catalog
    window, reference = Catalog(path), Catalog(path)
    window.keep_keys = True
    texts = ["noise", "prior lattice", "diff", "author 3", "sagot", "quokka", "2401"]

    def check() -> None:
        for text in texts:
            assert window.search(text) == reference.search(text), text
        ids = dict(reference._conn().execute("SELECT id, key FROM paper"))
        assert window._keys_by_id() == ids

    def catch_up() -> None:
        store = Store(data_dir, writer=False, lazy=True)
        store.open()
        window.catch_up(store)
        store.close()

    catch_up()
    check()
    with Shelf.open(data_dir) as shelf:  # another connection writes the rows: an import elsewhere
        shelf.add_papers([paper(i, rng, extra=" quokka") for i in range(40, 50)], source="y")
    check()
    with Library.open(data_dir) as lib:
        ids = dict(reference._conn().execute("SELECT key, id FROM paper"))
        newest = max(lib.keys(), key=ids.__getitem__)
        top = ids[newest]
        lib.merge_papers(lib.keys()[0], newest)  # (the newest row goes: its id must not come back)
        lib.add_papers([paper(i, rng, extra=" quokka") for i in range(50, 53)], source="z")
    catch_up()  # this connection's own writes, if it has any left to make
    check()
    after = dict(reference._conn().execute("SELECT key, id FROM paper"))
    assert newest not in after and min(after[f"arxiv:2401.{i:05d}"] for i in range(50, 53)) > top
    window.close()
    reference.close()


def test_keys_made_a_slice_at_a_time_while_others_import_and_merge_find_what_the_table_says(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window makes its keys by id ahead of the first search in slices, other jobs between them: papers
    imported elsewhere meanwhile, and a merge that removes a paper it already read, leave the map exact."""
    monkeypatch.setattr(catalog_module, "KEY_SLICE", 15)
    rng = random.Random(13)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(100)], source="x")
        lib.sync_search_index()
    path = DataFolder(data_dir).catalog
    window, reference = Catalog(path), Catalog(path)
    window.keep_keys = True
    assert reference.search("author 3")  # (the catalog is built)
    calls = 0
    while not window.prepare_keys(budget=0):  # (one slice per call)
        calls += 1
        if calls == 2:  # an import elsewhere, after the map holds its first slices
            with Shelf.open(data_dir) as shelf:
                shelf.add_papers([paper(i, rng, extra=" quokka") for i in range(100, 130)], source="y")
                shelf.query(search="quokka")  # (its text indexed)
        if calls == 4:  # a merge removes a paper the map holds already
            with Library.open(data_dir) as lib:
                lib.merge_papers(lib.keys()[0], lib.keys()[1])
                lib.sync_search_index()  # (the catalog drops its row)
        assert calls < 50
    assert calls >= 130 // 15 - 1  # in slices, not in one read
    ids = dict(reference._conn().execute("SELECT id, key FROM paper"))
    assert window._key_of == ids and len(ids) == 129
    assert len(reference.search("quokka") or ()) == 30
    for text in ["quokka", "noise", "author 3", "2401"]:
        assert window.search(text) == reference.search(text), text
    assert window.prepare_keys(budget=0)  # made: nothing more to read
    with Shelf.open(data_dir) as shelf:  # and after it, papers added elsewhere are found too
        shelf.add_papers([paper(i, rng, extra=" wombat") for i in range(130, 133)], source="z")
        shelf.query(search="wombat")
    assert window.search("wombat") == reference.search("wombat") and len(window.search("wombat") or ()) == 3
    window.close()
    reference.close()


@pytest.mark.parametrize("seed", [4, 5])
def test_the_newest_matches_are_the_head_of_the_whole_search(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """What the window shows while a search's whole result is being found: every match in the view dated on or
    after the last of them is among them, so the list's first rows are the same before and after."""
    monkeypatch.setattr(catalog_module, "BLOCK_BITS", 3)  # (a walk from the highest id that stops early)
    monkeypatch.setattr(catalog_module, "STREAM_BATCH", 4)
    rng = random.Random(seed)
    with Library.open(data_dir) as lib:
        lib.add_papers([paper(i, rng) for i in range(400)], source="arXiv cs.LG")  # 28 dates: many ties
        lib.set_read(rng.sample(lib.keys(), 150), True)
        lib.sync_search_index()
        dates = {k: lib.get(k).date for k in lib.query()}
        shown = 0
        for text in ["diffusion", "graph kern", "noise prior", "Straße", "benoit sagot", "spars"]:
            for view in (ListFilter.ALL, ListFilter.UNREAD, ListFilter.FOLLOWING):
                whole = set(lib.query(view=view, search=text))
                for limit in (5, 30):
                    found = lib.newest_matches(text, view=view, limit=limit)
                    if found is None:
                        assert len(whole) < limit or view is ListFilter.FOLLOWING, (text, view, limit)
                        continue
                    keys = [k for k, _ in found]
                    oldest = found[-1][1]
                    in_view = [k for k in keys if k in whole]
                    assert len(keys) >= limit and all(date == dates[k] for k, date in found)
                    assert all(date == oldest for _, date in found[limit - 1 :])  # (past the limit: that date's)
                    assert [dates[k] for k in keys] == sorted((dates[k] for k in keys), reverse=True)
                    # Every match dated on or after the last: a day's papers share one time, and are all there.
                    assert {k for k in whole if dates[k] >= oldest} <= set(in_view), (text, view, limit)
                    if view is not ListFilter.FOLLOWING:
                        assert in_view == keys  # (a view the catalog answers: none of another view)
                    shown += 1
        assert shown > 10
        some = lib.newest_matches("diffusion", limit=5)
        assert some is not None and lib.newest_matches("diffusion", limit=5, fewest=len(lib)) is None  # (too few)
        assert lib.newest_matches("zzzq", limit=5) is None and lib.newest_matches("  ", limit=5) is None
        with lib.transaction():  # papers in memory ahead of any commit: the catalog cannot say
            assert lib.newest_matches("diffusion", limit=5) is None
