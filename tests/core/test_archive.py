"""One-file backups: everything comes back in a fresh folder, diverged copies merge without losing an edit, and a
bad file or a full disk changes nothing."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest

from readinglist.core.archive import read_archive, restore_archive, write_archive
from readinglist.core.errors import ArchiveError, ExportError
from readinglist.core.feeds import FeedRegistry, FeedSpec
from readinglist.core.importer import read_feed_file
from readinglist.core.library import Library
from readinglist.core.models import PaperKey, PaperState
from readinglist.core.papers import merge_states

DATA = Path(__file__).resolve().parents[1] / "data"
BIORXIV = DATA / "biofeed_biorxiv_20250413.xml"
NATURE = DATA / "biofeed_nature_20250319.xml"
T1, T2, T3 = "2025-01-01T00:00:00.000000Z", "2025-01-02T00:00:00.000000Z", "2025-01-03T00:00:00.000000Z"


def import_file(lib: Library, path: Path) -> None:
    parsed = read_feed_file(path)
    lib.add_papers(parsed.papers, source=parsed.title)


def snapshot(lib: Library) -> tuple[dict[str, Any], dict[str, PaperState], Any]:
    keys = lib.keys()
    papers = {k: dict(lib.doc(k)) for k in keys}
    states = {k: lib.state(k) for k in keys}
    return papers, states, lib.store.loaded_part("feeds")


@pytest.fixture
def library(data_dir: Path) -> Library:
    lib = Library.open(data_dir)
    import_file(lib, BIORXIV)
    keys = lib.query()
    lib.set_starred(keys[:3], True)
    lib.set_read(keys[2:6], True)
    lib.set_note(keys[0], "Méthodes § 2 — à relire.\n\n注意: $x^2$ & {braces}")
    lib.add_tags(keys[1:4], ["single-cell", "综述"])
    registry = FeedRegistry(lib.store)
    registry.add(FeedSpec(url="https://connect.biorxiv.org/biorxiv_xml/bioinformatics", name="bioRxiv bioinf"))
    registry.add(FeedSpec(url="https://www.nature.com/subjects/bioinformatics.rss", group="Journals"))
    return lib


def test_backup_then_restore_into_a_fresh_folder_gives_back_everything(
    library: Library, data_dir: Path, tmp_path: Path
) -> None:
    before = snapshot(library)
    archive = tmp_path / "everything.zip"
    summary = write_archive(library, archive)
    library.close()
    assert (summary.papers, summary.states, summary.parts) == (30, 6, ("feeds",))
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds the user's notes

    shutil.rmtree(data_dir)
    with Library.open(data_dir) as fresh:
        result = restore_archive(fresh, archive)
        assert (result.papers_added, result.papers_merged, result.parts_added) == (30, 0, ("feeds",))
        assert snapshot(fresh) == before
    with Library.open(data_dir) as reopened:  # durable, not only in memory
        assert snapshot(reopened) == before
        names = [f.name for f in FeedRegistry(reopened.store).feeds()]
        assert names == ["bioRxiv bioinf", "nature.com/subjects/bioinformatics.rss"]
        assert reopened.query(search="relire") == [reopened.query()[0]]  # notes are searchable again


def test_an_archive_never_holds_credentials(library: Library, tmp_path: Path) -> None:
    # The registry refuses credentials in addresses; a record written by some older bug must still not leak.
    with library.store.transaction():
        library.store.db("feeds").table("feeds").insert(
            {"id": "f-00000000", "url": "https://alice:s3cret@example.org/feed", "password": "s3cret", "auth": "basic"}
        )
    path = tmp_path / "b.zip"
    write_archive(library, path)
    with zipfile.ZipFile(path) as zf:
        everything = b"".join(zf.read(n) for n in zf.namelist())
    assert b"s3cret" not in everything and b"alice" not in everything
    assert b"https://example.org/feed" in everything and b'"auth":"basic"' in everything


def stamped(key: str, **fields: Any) -> PaperState:
    return PaperState(PaperKey(key), **fields)


def test_two_diverged_libraries_merge_keeping_both_sides(tmp_path: Path) -> None:
    a, b = Library.open(tmp_path / "a"), Library.open(tmp_path / "b")
    import_file(a, BIORXIV)
    import_file(b, BIORXIV)
    import_file(b, NATURE)  # papers only B has
    k = a.query()[:7]
    assert all(key in b for key in k)  # the same feed gives the same keys on both machines
    a.put_states([
        stamped(k[0], starred=True, starred_at=T1),
        stamped(k[2], note="A's note", note_at=T1),
        stamped(k[3], read=True, read_at=T2),
        stamped(k[4], starred=True, starred_at=T1),
        stamped(k[5], tags=("x",), tags_at=T2),
        stamped(k[6], note="only A", note_at=T1),
    ])  # fmt: skip
    b.put_states([
        stamped(k[1], starred=True, starred_at=T1),
        stamped(k[2], note="B's note", note_at=T2),
        stamped(k[3], read=False, read_at=T1),
        stamped(k[4], starred=False, starred_at=T3),
        stamped(k[5], tags=("y",), tags_at=T1),
        stamped(k[6], read=True, read_at=T1),
    ])  # fmt: skip
    expected = {
        k[0]: stamped(k[0], starred=True, starred_at=T1),  # A's star
        k[1]: stamped(k[1], starred=True, starred_at=T1),  # B's star
        k[2]: stamped(k[2], note="B's note", note_at=T2),  # the newer note
        k[3]: stamped(k[3], read=True, read_at=T2),  # read on A after B marked it unread
        k[4]: stamped(k[4], starred=False, starred_at=T3),  # unstarred on B after A starred it
        k[5]: stamped(k[5], tags=("x",), tags_at=T2),  # the newer tags
        k[6]: stamped(k[6], note="only A", note_at=T1, read=True, read_at=T1),  # fields from each side
    }
    write_archive(a, tmp_path / "a.zip")
    write_archive(b, tmp_path / "b.zip")
    into_a = restore_archive(a, tmp_path / "b.zip")
    into_b = restore_archive(b, tmp_path / "a.zip")
    assert into_a.papers_added == len(b) - 30 and into_b.papers_added == 0
    for key, state in expected.items():
        assert a.state(key) == state, key
        assert b.state(key) == state, key
    assert sorted(a.keys()) == sorted(b.keys())
    a_keys, b_keys = a.keys(), b.keys()
    assert {key: a.state(key) for key in a_keys} == {key: b.state(key) for key in b_keys}
    a.close()
    b.close()


def test_merging_the_same_archive_again_changes_nothing(library: Library, tmp_path: Path) -> None:
    path = tmp_path / "b.zip"
    write_archive(library, path)
    before = snapshot(library)
    result = restore_archive(library, path)
    assert (result.papers_added, result.states_changed, result.parts_added, result.parts_merged) == (0, 0, (), ())
    assert snapshot(library) == before


def test_merge_states_never_drops_a_set_value_on_a_tie() -> None:
    ours = stamped("k", starred=False, starred_at=T1, note="", note_at=None)
    theirs = stamped("k", starred=True, starred_at=T1, note="theirs", note_at=None)
    merged = merge_states(ours, theirs)
    assert merged.starred and merged.note == "theirs"
    assert merge_states(theirs, ours) == merged


def test_a_feed_subscribed_on_both_sides_is_not_doubled(tmp_path: Path) -> None:
    url = "https://connect.biorxiv.org/biorxiv_xml/bioinformatics"
    a, b = Library.open(tmp_path / "a"), Library.open(tmp_path / "b")
    feed_a = FeedRegistry(a.store).add(FeedSpec(url=url))
    feed_b = FeedRegistry(b.store).add(FeedSpec(url=url))
    assert feed_a.id != feed_b.id
    parsed = read_feed_file(BIORXIV)
    a.add_papers(parsed.papers, source=feed_a.id)
    b.add_papers(parsed.papers[:5], source=feed_b.id)
    write_archive(a, tmp_path / "a.zip")
    restore_archive(b, tmp_path / "a.zip")
    assert [f.id for f in FeedRegistry(b.store).feeds()] == [feed_b.id]
    b_keys = b.keys()
    assert {f for key in b_keys for f in b.get(key).feeds} == {feed_b.id}  # A's papers name B's feed
    assert len(b) == 30
    a.close()
    b.close()


def test_bad_archive_files_are_refused_and_change_nothing(library: Library, tmp_path: Path) -> None:
    not_zip = tmp_path / "refs.bib"
    not_zip.write_text("@misc{x, title={y}}")
    no_meta = tmp_path / "other.zip"
    with zipfile.ZipFile(no_meta, "w") as zf:
        zf.writestr("hello.txt", "hi")
    future = tmp_path / "future.zip"
    write_archive(library, future)
    with zipfile.ZipFile(future) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["readinglist-archive.json"] = members["readinglist-archive.json"].replace(b'"version": 1', b'"version": 99')
    with zipfile.ZipFile(future, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes((tmp_path / "future.zip").read_bytes()[:200])
    damaged = tmp_path / "damaged.zip"
    write_archive(library, damaged)
    with zipfile.ZipFile(damaged) as zf:
        info = zf.getinfo("papers.json")
    data = bytearray(damaged.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 100
    data[start : start + 200] = bytes(b ^ 0x55 for b in data[start : start + 200])  # bits rotted on a disk
    damaged.write_bytes(data)
    generation = library.store.generation
    cases = {
        damaged: "damaged",
        not_zip: "not a readinglist archive",
        no_meta: "not a readinglist archive",
        future: "newer readinglist",
        truncated: "damaged",
        tmp_path / "missing.zip": "no such file",
    }
    for path, reason in cases.items():
        with pytest.raises(ArchiveError) as info:
            read_archive(path)
        message = str(info.value)
        assert str(path) in message and reason in message and "nothing was changed" in message
        assert "\n" not in message
    assert library.store.generation == generation


def test_backup_to_a_full_disk_keeps_the_previous_archive(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "backup.zip"
    write_archive(library, path)
    good = path.read_bytes()
    library.set_note(library.query()[5], "a change after the first backup")

    def full_disk(fd: int, data: bytes | memoryview) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(ExportError, match="the disk is full"):
        write_archive(library, path)
    monkeypatch.undo()
    assert path.read_bytes() == good
    assert read_archive(path).papers  # still a whole, readable archive
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.zip", "data"]


def test_an_archive_holds_the_newest_version_of_a_changed_paper(data_dir: Path, tmp_path: Path) -> None:
    from readinglist.core.models import IncomingPaper

    def version(v: int) -> IncomingPaper:
        return IncomingPaper(title=f"Title v{v}", abstract=f"Abstract v{v}", arxiv_id="2401.00001", arxiv_version=v)

    with Library.open(data_dir) as lib:
        lib.add_papers([version(1)], source="a")
        lib.add_papers([version(2)], source="b")  # the changed copy lives in the library's delta part
        write_archive(lib, tmp_path / "a.zip")
    with Library.open(tmp_path / "fresh") as fresh:
        restore_archive(fresh, tmp_path / "a.zip")
        paper = fresh.get("arxiv:2401.00001")
        assert (paper.title, paper.arxiv_version, paper.feeds) == ("Title v2", 2, ("a", "b"))
        assert len(fresh) == 1
