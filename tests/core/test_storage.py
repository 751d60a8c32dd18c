"""The store's promises that need no extra process: backups, restore, migration, a failed write."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from readinglist.core import storage
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper
from readinglist.core.storage import BACKUPS_KEPT, LibraryLockedError, Store, WriteFailedError


def papers(n: int) -> list[IncomingPaper]:
    return [IncomingPaper(title=f"Paper {i}", arxiv_id=f"2401.{i:05d}", arxiv_version=1) for i in range(n)]


def test_backups_rotate_and_restore_brings_back_stars(data_dir: Path) -> None:
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(3), source="x")
        lib.set_starred(["arxiv:2401.00001"], True)
        first = lib.store.backup(reason="manual")
        assert first is not None
        for _ in range(BACKUPS_KEPT + 2):
            lib.store.backup()
        assert len(lib.store.list_backups()) == BACKUPS_KEPT
        lib.set_starred(["arxiv:2401.00001"], False)
        lib.set_note("arxiv:2401.00002", "after the backup")
        name = lib.restore()
        assert name == lib.store.list_backups()[1].name  # the newest before the "before-restore" copy
        assert lib.state("arxiv:2401.00001").starred
        assert lib.state("arxiv:2401.00002").note == ""
    with Library.open(data_dir) as lib:
        assert lib.state("arxiv:2401.00001").starred
        # The library as it was before the restore is itself a backup: a restore can be undone.
        assert any(b.name.endswith("before-restore") for b in lib.store.list_backups())


def test_a_daily_backup_is_taken_before_the_first_change_of_the_day(data_dir: Path) -> None:
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(2), source="x")
        assert lib.store.list_backups() == []  # nothing to back up before the first import
    with Library.open(data_dir) as lib:
        lib.set_read(["arxiv:2401.00000"], True)
        backups = lib.store.list_backups()
        assert len(backups) == 1 and backups[0].name.endswith("daily")
    with Library.open(data_dir) as lib:
        lib.set_read(["arxiv:2401.00001"], True)
        assert len(lib.store.list_backups()) == 1


def test_an_older_schema_is_migrated_after_a_backup(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(2), source="x")
        lib.set_note("arxiv:2401.00000", "keep me")

    def to_v2(parts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for part, tables in parts.items():
            if part.startswith("papers-"):
                for doc in tables["papers"].values():
                    doc["title"] = doc["title"].upper()
        return parts

    monkeypatch.setattr(storage, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(storage, "MIGRATIONS", {1: to_v2})
    with Library.open(data_dir) as lib:
        assert lib.get("arxiv:2401.00000").title == "PAPER 0"
        assert lib.state("arxiv:2401.00000").note == "keep me"
        backups = lib.store.list_backups()
        assert any("before-migration-from-schema-1" in b.name for b in backups)
    manifest = json.loads((data_dir / "library" / "manifest.json").read_text())
    assert manifest["schema"] == 2


def test_a_failed_write_changes_nothing_on_disk_or_in_memory(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(3), source="x")
        lib.set_starred(["arxiv:2401.00000"], True)
        real_write = os.write

        def full_disk(fd: int, data: Any) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "write", full_disk)
        with pytest.raises(WriteFailedError, match="the disk is full; nothing was changed"):
            lib.set_note("arxiv:2401.00001", "a note that cannot be saved")
        with pytest.raises(WriteFailedError):
            lib.add_papers(papers(10), source="y")
        assert lib.state("arxiv:2401.00001").note == ""
        assert len(lib) == 3
        monkeypatch.setattr(os, "write", real_write)
        lib.set_note("arxiv:2401.00001", "saved once there is room")
    with Library.open(data_dir) as lib:
        assert len(lib) == 3
        assert lib.state("arxiv:2401.00000").starred
        assert lib.state("arxiv:2401.00001").note == "saved once there is room"
    leftovers = [p.name for p in (data_dir / "library").iterdir()]
    assert all(name == "manifest.json" or ".g" in name for name in leftovers)


def test_a_write_waits_for_another_writers_write_then_says_who_holds_it(data_dir: Path) -> None:
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(1), source="x")
    key = "arxiv:2401.00000"
    with Library.open(data_dir) as first, Library.open(data_dir, lock_timeout=0.1) as second:
        # Both are open for writing at once; only a write in progress holds the lock.
        second.set_read([key], True)
        with first.store.locked():
            with pytest.raises(LibraryLockedError, match=r"is in use: it is being written by readinglist \(pid \d+\)"):
                second.set_starred([key], True)
            # Readers are never blocked.
            with Library.open(data_dir, writer=False) as reader:
                assert reader.state(key).read and not reader.state(key).starred
        # The write that follows sees the other process's change: nothing is overwritten.
        first.set_starred([key], True)
        assert first.state(key).read and first.state(key).starred


def test_orphans_of_a_crashed_commit_are_removed_at_the_next_write(data_dir: Path) -> None:
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(1), source="x")
    orphan = data_dir / "library" / "papers-00000.g99.json"
    orphan.write_text("{}")
    (data_dir / "library" / "manifest.json.tmp").write_text("{")
    store = Store(data_dir)
    store.open()
    assert orphan.exists()  # opening takes no lock: another writer may be creating files right now
    with store.locked():
        pass
    store.close()
    assert not orphan.exists()
    assert not (data_dir / "library" / "manifest.json.tmp").exists()


def test_readers_never_fail_while_a_writer_commits(data_dir: Path) -> None:
    import threading

    with Library.open(data_dir) as lib:
        lib.add_papers(papers(50), source="x")
    done = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with Library.open(data_dir) as writer:
                for i in range(150):
                    writer.set_starred([f"arxiv:2401.{i % 50:05d}"], i % 2 == 0)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=write)
    thread.start()
    opened = 0
    while not done.is_set():
        with Library.open(data_dir, writer=False) as reader:
            assert len(reader) == 50
            opened += 1
    thread.join()
    assert not errors
    assert opened > 0


def test_a_library_created_today_is_backed_up_before_the_changes_that_follow(data_dir: Path) -> None:
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(2), source="x")  # the first import: nothing existed to back up
        lib.set_starred(["arxiv:2401.00000"], True)
        backups = lib.store.list_backups()
        assert len(backups) == 1 and backups[0].name.endswith("daily")
        lib.set_starred(["arxiv:2401.00001"], True)
        assert len(lib.store.list_backups()) == 1


def test_text_that_cannot_be_saved_changes_nothing_and_blocks_nothing(data_dir: Path) -> None:
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(2), source="x")
        # Undecodable input bytes reach Python as lone surrogates (surrogateescape): not storable as JSON.
        with pytest.raises(WriteFailedError, match="invalid text"):
            lib.set_note("arxiv:2401.00000", "caf\udcff")
        assert lib.state("arxiv:2401.00000").note == ""
        lib.set_starred(["arxiv:2401.00000"], True)  # the same shard still takes changes
    with Library.open(data_dir) as lib:
        assert lib.state("arxiv:2401.00000").starred


def test_salvage_keeps_everything_but_the_damaged_file_when_there_is_no_backup(data_dir: Path) -> None:
    import shutil as _shutil

    from readinglist.core.papers import state_part as _state_part
    from readinglist.core.storage import CorruptLibraryError

    with Library.open(data_dir) as lib:
        lib.add_papers(papers(200), source="x")
        keys = lib.keys()
        lib.set_starred(keys, True)
        lib.set_note(keys[0], "the note that matters")
    _shutil.rmtree(data_dir / "backups")
    lost_part = _state_part(keys[1])
    manifest = json.loads((data_dir / "library" / "manifest.json").read_text())
    (data_dir / "library" / manifest["files"][lost_part]).write_bytes(b"\x00garbage")
    with pytest.raises(CorruptLibraryError, match="restore --salvage"):
        Library.open(data_dir)
    store = Store(data_dir)
    left_out = store.salvage()
    store.close()
    assert [line.split(":")[0] for line in left_out] == [lost_part]
    with Library.open(data_dir) as lib:
        assert len(lib) == 200  # every paper is back
        kept = [k for k in keys if _state_part(k) != lost_part]
        assert all(lib.state(k).starred for k in kept)
        if _state_part(keys[0]) != lost_part:
            assert lib.state(keys[0]).note == "the note that matters"
    # Nothing was thrown away: the damaged file and the whole folder as it was are under corrupt/.
    assert any(p.name.endswith("-before-salvage") for p in (data_dir / "corrupt").iterdir())


def _alter_title(path: Path, before: bytes, after: bytes) -> None:
    """A same-sized change inside a title: the file is still valid JSON of the size the manifest gives."""
    raw = path.read_bytes()
    assert len(before) == len(after) and raw.count(before) == 1
    path.write_bytes(raw.replace(before, after))
    json.loads(path.read_bytes())


def test_a_segment_altered_in_place_is_damage_to_every_reader_and_salvage_takes_it_from_the_backup(
    data_dir: Path,
) -> None:
    from readinglist.core.storage import CorruptLibraryError

    with Library.open(data_dir) as lib:
        lib.add_papers(papers(50), source="x")
        lib.store.backup(reason="manual")
        lib.set_starred(["arxiv:2401.00007"], True)  # (a change after the backup, in a state shard: kept)
        title = lib.get("arxiv:2401.00003").title
    manifest = json.loads((data_dir / "library" / "manifest.json").read_text())
    segment = data_dir / "library" / manifest["files"]["papers-00000"]
    damaged = b'"title":"Paper X"'
    _alter_title(segment, b'"title":"Paper 3"', damaged)

    # The whole open, a lazy one reading the part, and one paper read out of it: each names the file.
    with pytest.raises(CorruptLibraryError, match="checksum") as whole:
        Library.open(data_dir, writer=False)
    assert str(segment) in str(whole.value)
    lazy = Store(data_dir, lazy=True, writer=False)
    lazy.open()
    with pytest.raises(CorruptLibraryError, match="checksum"):
        lazy.read_doc("papers-00000", "papers", "4")
    with pytest.raises(CorruptLibraryError, match="checksum"):
        lazy.read_table("papers-00000", "papers")
    lazy.close()

    store = Store(data_dir)
    report = store.salvage()
    store.close()
    assert [line.split(":")[0] for line in report] == ["papers-00000"] and "checksum" in report[0]
    with Library.open(data_dir) as lib:
        assert lib.get("arxiv:2401.00003").title == title  # the backup's bytes, not the altered ones
        assert lib.state("arxiv:2401.00007").starred  # the star made after the backup is kept
    # Nothing was thrown away: the altered bytes are kept under corrupt/.
    assert any(damaged in p.read_bytes() for p in (data_dir / "corrupt").rglob("papers-00000.*") if p.is_file())


def test_a_backup_whose_segment_was_altered_is_not_offered(data_dir: Path) -> None:
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(20), source="x")
        older = lib.store.backup(reason="manual")
        lib.add_papers(papers(30), source="x")
        newer = lib.store.backup(reason="manual")
    assert older is not None and newer is not None
    store = Store(data_dir)
    assert store.latest_good_backup() == newer
    segment = _backup_files(newer)["papers-00000"]
    raw = segment.read_bytes()
    segment.unlink()  # (a hard link into the pool: this backup's copy alone is damaged)
    segment.write_bytes(raw)
    _alter_title(segment, b'"title":"Paper 25"', b'"title":"Paper X5"')
    assert store.latest_good_backup() == older
    store.close()


def test_salvage_rebuilds_a_lost_manifest(data_dir: Path) -> None:
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(5), source="x")
        lib.set_note("arxiv:2401.00003", "kept")
    (data_dir / "library" / "manifest.json").write_text("{ not json")
    store = Store(data_dir)
    assert store.salvage() == []
    store.close()
    with Library.open(data_dir) as lib:
        assert len(lib) == 5 and lib.state("arxiv:2401.00003").note == "kept"


def _backup_files(info: storage.BackupInfo) -> dict[str, Path]:
    manifest = json.loads((info.path / "manifest.json").read_text())
    return {part: info.path / name for part, name in manifest["files"].items()}


def test_backups_share_the_files_that_did_not_change_and_none_with_the_library(data_dir: Path) -> None:
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(50), source="x")
        first = lib.store.backup(reason="manual")
        lib.set_starred(["arxiv:2401.00007"], True)
        second = lib.store.backup(reason="manual")
        assert first is not None and second is not None
        before, after = _backup_files(first), _backup_files(second)
        segment = "papers-00000"
        # The papers did not change between the two backups: one copy on disk, held by both.
        assert before[segment].stat().st_ino == after[segment].stat().st_ino
        # The star changed one shard: the second backup holds its own copy of that file.
        changed = [p for p in after if p.startswith("state-")]
        assert changed and all(p not in before for p in changed)
        # No backup file is the library's own file: damage to the library reaches no backup.
        library_inodes = {(lib.store.dir / name).stat().st_ino for name in lib.store.files().values()}
        assert not library_inodes & {p.stat().st_ino for p in [*before.values(), *after.values()]}


def test_a_backup_restores_after_the_library_folder_and_the_shared_copies_are_gone(data_dir: Path) -> None:
    import shutil

    with Library.open(data_dir) as lib:
        lib.add_papers(papers(20), source="x")
        lib.set_note("arxiv:2401.00003", "kept through the loss of the folder")
        info = lib.store.backup(reason="manual")
        assert info is not None
    shutil.rmtree(data_dir / "library")
    shutil.rmtree(data_dir / "backups" / storage.POOL)
    with Library.open(data_dir) as lib:
        assert len(lib) == 0
        lib.restore(info.name)
        assert len(lib) == 20
        assert lib.state("arxiv:2401.00003").note == "kept through the loss of the folder"


def test_pruned_backups_release_their_shared_copies(data_dir: Path) -> None:
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(5), source="x")
        for i in range(BACKUPS_KEPT + 3):
            lib.set_starred([f"arxiv:2401.{i % 5:05d}"], i % 2 == 0)
            lib.store.backup(reason="manual")
        held = {p.stat().st_ino for b in lib.store.list_backups() for p in _backup_files(b).values()}
        pooled = {p.stat().st_ino for p in (lib.store.backups_dir / storage.POOL).iterdir()}
        assert pooled == held  # nothing kept for a backup that is gone, nothing a kept backup needs is missing


def test_a_backup_deleted_by_hand_releases_its_shared_copies_at_the_next_backup(data_dir: Path) -> None:
    """A user who deletes old backup folders to free space gets that space back: the next backup drops the
    shared copies only those folders held, and keeps every one a remaining backup needs."""
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(5), source="x")
        first = lib.store.backup(reason="manual")
        lib.add_papers(
            [IncomingPaper(title="One more", arxiv_id="2401.00042", arxiv_version=1)], source="y"
        )  # (the segment written again: a file only the first backup holds)
        second = lib.store.backup(reason="manual")
        assert first is not None and second is not None
        names = {p.name for p in _backup_files(second).values()}
        assert {p.name for p in _backup_files(first).values()} - names, "the two backups must differ in some file"
        shutil.rmtree(first.path)
        lib.set_starred(["arxiv:2401.00001"], True)
        lib.store.backup(reason="manual")
        held = {p.stat().st_ino for b in lib.store.list_backups() for p in _backup_files(b).values()}
        pooled = {p.stat().st_ino for p in (lib.store.backups_dir / storage.POOL).iterdir()}
        assert pooled == held
        for b in lib.store.list_backups():
            assert lib.store._backup_is_good(b)


def test_a_library_begun_again_beside_its_old_backups_is_backed_up_as_it_is(data_dir: Path) -> None:
    import filecmp
    import shutil

    with Library.open(data_dir) as lib:
        lib.add_papers(papers(20), source="x")
        lib.set_starred(["arxiv:2401.00003"], True)
        lib.store.backup(reason="manual")
    shutil.rmtree(data_dir / "library")  # the backups stay; the new library's files get the same names again
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(20), source="y")
        lib.set_starred(["arxiv:2401.00004"], True)
        info = lib.store.backup(reason="manual")
        assert info is not None
        for part, path in _backup_files(info).items():
            assert filecmp.cmp(path, lib.store.dir / lib.store.files()[part], shallow=False), part
