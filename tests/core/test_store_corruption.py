"""Damaged library files: a clear one-line error naming the file, nothing overwritten, the backup offered and restored.

Every check goes through the `readinglist` command, as a user meets it: exit status 1, one line on stderr that
starts with ``readinglist: error:``, no traceback; the damaged bytes are kept (left in place or moved to
DATA/corrupt/), never rewritten; `readinglist restore` brings back the stars, notes and tags of the latest backup.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from readinglist.core.library import Library

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample-papers.xml"

pytestmark = pytest.mark.slow


def readinglist(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "readinglist.cli.main", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(data: Path, *args: str) -> str:
    done = readinglist(data, *args)
    assert done.returncode == 0, f"readinglist {' '.join(args)}: {done.stderr}"
    return done.stdout


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The failure a user should see: status 1 and exactly one line of explanation, no traceback."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("readinglist: error: "), lines[0]
    return lines[0]


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def listed_state(data: Path) -> dict[str, tuple[bool, bool, str, tuple[str, ...]]]:
    rows = map(orjson.loads, ok(data, "list", "--json").splitlines())
    return {r["key"]: (r["starred"], r["read"], r["note"], tuple(r["tags"])) for r in rows}


class CliLibrary:
    """A library made through the command line: 60 papers, stars, a note, tags, read marks, a backup."""

    def __init__(self, data: Path) -> None:
        self.data = data.resolve()
        ok(self.data, "import", str(SAMPLE))
        self.keys = sorted(listed_state(self.data))
        ok(self.data, "star", *self.keys[0:3])
        ok(self.data, "note", self.keys[3], "Read section 4 again: the proof of lemma 2 looks off.")
        ok(self.data, "tag", self.keys[0], "to-cite", "survey")
        ok(self.data, "read", *self.keys[2:6])
        # The manual backup is the newest, so it is the one to offer (the day's automatic backup predates the
        # stars: it was taken before the first change of the day).
        out = ok(self.data, "backup")
        assert out.startswith("backup ")
        self.backup_name = out.split()[1]
        self.state = listed_state(self.data)
        assert self.state[self.keys[0]] == (True, False, "", ("to-cite", "survey"))

    def copy_to(self, data: Path) -> CliLibrary:
        """The same library in another folder (made once per module: each command costs a Python start-up)."""
        shutil.copytree(self.data, data)
        copy = CliLibrary.__new__(CliLibrary)
        copy.data, copy.keys, copy.backup_name, copy.state = data.resolve(), self.keys, self.backup_name, self.state
        return copy

    @property
    def dir(self) -> Path:
        return self.data / "library"

    @property
    def manifest(self) -> dict[str, Any]:
        result: dict[str, Any] = orjson.loads((self.dir / "manifest.json").read_bytes())
        return result

    def part_file(self, kind: str) -> Path:
        return part_file(self.dir, kind, self.keys[0])


def part_file(folder: Path, kind: str, key: str) -> Path:
    """The manifest, the file of the first papers segment, or the file of the state shard that holds `key`."""
    if kind == "manifest":
        return folder / "manifest.json"
    files = orjson.loads((folder / "manifest.json").read_bytes())["files"]
    if kind == "papers":
        return folder / files["papers-00000"]
    for part, name in sorted(files.items()):
        if part.startswith("state-") and key.encode() in (folder / name).read_bytes():
            return folder / name
    raise AssertionError(f"no state file holds {key}")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> CliLibrary:
    return CliLibrary(tmp_path_factory.mktemp("corruption") / "data")


def truncate(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def garble(path: Path) -> None:
    """Garbage in the middle, same size: only the content can tell (as a bad sector or a bad copy would)."""
    raw = bytearray(path.read_bytes())
    middle = len(raw) // 2
    raw[middle : middle + 48] = bytes(range(200, 248))
    path.write_bytes(bytes(raw))


def alter_text(path: Path) -> None:
    """Eight letters of an abstract changed, same size, still valid JSON: only the segment's checksum can tell."""
    raw = bytearray(path.read_bytes())
    at = raw.index(b'"abstract":"') + len(b'"abstract":"')
    while not bytes(raw[at : at + 8]).isalpha():
        at += 1
    raw[at : at + 8] = b"XQXQXQXQ" if raw[at : at + 8] != b"XQXQXQXQ" else b"QXQXQXQX"
    orjson.loads(bytes(raw))  # (the damage parses)
    path.write_bytes(bytes(raw))


def empty(path: Path) -> None:
    path.write_bytes(b"")


def random_bytes(path: Path) -> None:
    path.write_bytes(bytes((i * 97 + 13) % 256 for i in range(300)))


DAMAGE: dict[str, tuple[str, Callable[[Path], None]]] = {
    "truncated papers file": ("papers", truncate),
    "truncated state file": ("state", truncate),
    "garbage in the papers file": ("papers", garble),
    "altered text in the papers file, still valid JSON": ("papers", alter_text),
    "garbage manifest": ("manifest", random_bytes),
    "empty manifest": ("manifest", empty),
}


def assert_bytes_kept(data: Path, damaged: Path, damaged_bytes: bytes) -> None:
    """The damaged file is where it was, untouched, or moved whole into DATA/corrupt/."""
    if damaged.exists() and damaged.read_bytes() == damaged_bytes:
        return
    moved = [p for p in (data / "corrupt").rglob(damaged.name) if p.is_file() and p.read_bytes() == damaged_bytes]
    assert moved, f"the damaged bytes of {damaged.name} are neither in place nor in {data / 'corrupt'}"


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_file_gives_a_clear_error_keeps_the_bytes_and_the_backup_restores(
    template: CliLibrary, data_dir: Path, damage: str
) -> None:
    library = template.copy_to(data_dir)
    kind, spoil = DAMAGE[damage]
    path = library.part_file(kind)
    spoil(path)
    damaged_bytes = path.read_bytes()
    before = files_under(library.dir)

    # A reader first: it must say what is wrong with which file, and leave everything as it is. (`show` reads
    # the paper's segment and state shard; `list` reads neither when the catalog is current, and finds a damaged
    # file only by its size.)
    message = one_line_error(readinglist(library.data, "show", library.keys[0]))
    assert str(path) in message, message
    assert "damaged" in message
    assert library.backup_name in message and "readinglist restore" in message, message
    assert files_under(library.dir) == before, "a reader changed the library files"

    # A writer that reads the damaged file: the same clear error; it may move the damaged file aside, but it
    # writes nothing. (A tag writes a state shard alone; an import reads the papers it matches out of their
    # segments. A writer that needs no damaged file goes on: salvage keeps its change.)
    writer = ["import", str(SAMPLE)] if kind == "papers" else ["tag", library.keys[10], "after-the-damage"]
    message = one_line_error(readinglist(library.data, *writer))
    assert str(path) in message, message
    assert library.backup_name in message, message
    assert_bytes_kept(library.data, path, damaged_bytes)
    after = files_under(library.dir)
    for name, raw in after.items():
        assert before.get(name) == raw, f"{name} was written while the library was damaged"
    assert set(before) - set(after) <= {path.name}, "more than the damaged file left the library folder"

    # The next command still explains itself (the file is gone from the library now, or still damaged).
    message = one_line_error(readinglist(library.data, "show", library.keys[0]))
    assert library.backup_name in message, message

    # Restore brings back the backup: all papers with their stars, notes, tags and read marks.
    done = readinglist(library.data, "restore")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert library.backup_name in done.stdout
    assert listed_state(library.data) == library.state
    assert_bytes_kept(library.data, path, damaged_bytes)
    # And the restored library takes changes again.
    with Library.open(library.data) as restored:
        restored.set_starred([library.keys[10]], True)
    with Library.open(library.data, writer=False) as restored:
        assert restored.state(library.keys[10]).starred


def test_without_a_backup_the_error_says_so_and_keeps_the_bytes(data_dir: Path) -> None:
    data = data_dir.resolve()
    ok(data, "import", str(SAMPLE))  # one session on an empty library: there is nothing to back up yet
    keys = sorted(listed_state(data))
    assert not (data / "backups").exists() or not any((data / "backups").iterdir()), "this test needs no backup"
    path = part_file(data / "library", "papers", keys[0])
    truncate(path)
    damaged_bytes = path.read_bytes()
    manifest = (data / "library" / "manifest.json").read_bytes()

    for command in (["list"], ["star", keys[0]], ["stats"], ["import", str(SAMPLE)]):
        message = one_line_error(readinglist(data, *command))
        assert str(path) in message, message
        assert "no backup" in message, message
        assert_bytes_kept(data, path, damaged_bytes)
        # Nothing is reset to an empty library behind the user's back (a re-import would have done that).
        assert (data / "library" / "manifest.json").read_bytes() == manifest


def test_a_library_from_a_future_schema_is_refused_and_left_untouched(template: CliLibrary, data_dir: Path) -> None:
    library = template.copy_to(data_dir)
    manifest = library.manifest
    manifest["schema"] = 99
    (library.dir / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    before = files_under(library.dir)

    for command in (
        ["list"],
        ["show", library.keys[0]],
        ["stats"],
        ["star", library.keys[10]],
        ["note", library.keys[10], "a note"],
        ["import", str(SAMPLE)],
        ["backup"],
    ):
        message = one_line_error(readinglist(library.data, *command))
        assert "newer" in message and "99" in message, message
        assert str(library.dir) in message, message
        assert files_under(library.dir) == before, f"`readinglist {command[0]}` changed a future library"
    assert not (library.data / "corrupt").exists()

    # The user may still choose to go back to their last backup; the future library is kept, byte for byte.
    done = readinglist(library.data, "restore")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert listed_state(library.data) == library.state
    kept = [files_under(p) for p in (library.data / "corrupt").iterdir() if p.is_dir()]
    assert before in kept, "the future library was not kept whole"


def test_a_damaged_newest_backup_is_passed_over_for_the_latest_good_one(template: CliLibrary, data_dir: Path) -> None:
    library = template.copy_to(data_dir)
    backups = sorted(p.name for p in (library.data / "backups").iterdir() if not p.name.startswith("."))
    assert backups[-1] == library.backup_name and len(backups) == 2
    older = backups[0]  # the day's automatic backup: the papers, taken before the first star
    newest = library.data / "backups" / library.backup_name
    # Backups share one copy of the files that did not change between them: damage one only the newest holds.
    files_of = {
        b: orjson.loads((library.data / "backups" / b / "manifest.json").read_bytes())["files"] for b in backups
    }
    own = next(f for p, f in files_of[library.backup_name].items() if files_of[older].get(p) != f)
    truncate(newest / own)
    path = library.part_file("state")
    truncate(path)

    message = one_line_error(readinglist(library.data, "list"))
    assert str(path) in message
    assert older in message and library.backup_name not in message, message

    done = readinglist(library.data, "restore")
    assert done.returncode == 0, done.stderr
    assert older in done.stdout
    assert listed_state(library.data) == {key: (False, False, "", ()) for key in library.state}


def test_restore_without_a_usable_backup_leaves_the_library_as_it_was(data_dir: Path) -> None:
    """Only a state file is damaged and there is no backup: `restore` can do nothing, so it must change nothing.
    The papers file and the manifest are intact and stay where the next command (and the user) finds them."""
    data = data_dir.resolve()
    ok(data, "import", str(SAMPLE))  # one session on an empty library: there is nothing to back up yet
    keys = sorted(listed_state(data))
    ok(data, "--wait", "5", "star", keys[0])  # a second session: its daily backup is taken now, so remove it
    shutil.rmtree(data / "backups")
    path = part_file(data / "library", "state", keys[0])
    truncate(path)
    damaged_bytes = path.read_bytes()
    intact = {name: raw for name, raw in files_under(data / "library").items() if name != path.name}

    done = readinglist(data, "restore")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith("readinglist: error: "), done.stderr
    assert "no usable backup" in done.stderr
    assert_bytes_kept(data, path, damaged_bytes)
    left = files_under(data / "library")
    missing = sorted(name for name in intact if left.get(name) != intact[name])
    assert not missing, f"a restore that had nothing to restore took {missing} out of the library"


# ---- the recovery suggested first keeps the day's work -------------------------------------------------------


def a_day_of_work(library: CliLibrary) -> dict[str, tuple[bool, bool, str, tuple[str, ...]]]:
    """Edits made after the newest backup: what a plain `restore` would throw away."""
    ok(library.data, "star", library.keys[10], library.keys[11])
    ok(library.data, "note", library.keys[12], "Written after the backup: must survive the recovery.")
    ok(library.data, "tag", library.keys[13], "later")
    state = listed_state(library.data)
    assert state != library.state
    return state


def suggested_first(message: str) -> list[str]:
    """The command the error message offers first, as arguments."""
    first = message.index("`readinglist ")
    command = message[first + 1 : message.index("`", first + 1)]
    return command.split()[1:]


def test_after_a_damaged_manifest_the_first_suggestion_keeps_every_edit(template: CliLibrary, data_dir: Path) -> None:
    library = template.copy_to(data_dir)
    worked = a_day_of_work(library)
    random_bytes(library.dir / "manifest.json")

    message = one_line_error(readinglist(library.data, "list"))
    assert suggested_first(message) == ["restore", "--salvage"], message
    assert library.backup_name in message and "losing every change since" in message, message
    done = readinglist(library.data, *suggested_first(message))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert str(library.data / "corrupt") in done.stderr  # where the library as it was went
    assert listed_state(library.data) == worked  # every star, note and tag of the day


def test_a_damaged_state_file_comes_back_from_the_backup_and_the_rest_keeps_its_edits(
    template: CliLibrary, data_dir: Path
) -> None:
    library = template.copy_to(data_dir)
    worked = a_day_of_work(library)
    damaged = library.part_file("state")  # the shard holding keys[0]: starred, tagged before the backup
    garble(damaged)

    message = one_line_error(readinglist(library.data, "show", library.keys[0]))  # reads that shard
    assert suggested_first(message) == ["restore", "--salvage"], message
    done = readinglist(library.data, "restore", "--salvage")
    assert done.returncode == 0, done.stderr
    assert str(library.data / "corrupt") in done.stderr  # where the library as it was, damaged file and all, went
    assert f"taken from backup {library.backup_name}" in done.stderr, done.stderr
    now = listed_state(library.data)
    shard = damaged.name.rsplit(".g", 1)[0]
    in_shard = {k for k in worked if part_of(library, k) == shard}
    for key, state in worked.items():
        if key in in_shard:
            assert now[key] == library.state[key], key  # as in the backup: the only edits lost are this file's
        else:
            assert now[key] == state, key  # the day's edits elsewhere are all kept
    assert now[library.keys[0]] == (True, False, "", ("to-cite", "survey"))


def part_of(library: CliLibrary, key: str) -> str:
    from readinglist.core.papers import state_part as _state_part  # the sharding rule the library uses

    return _state_part(key)


def backdate_to_the_future(backup: Path) -> Path:
    """What a run with the clock set years ahead leaves: a backup named and stamped in 2099."""
    manifest = orjson.loads((backup / "manifest.json").read_bytes())
    manifest["backup_created"] = "2099-01-01T00:00:00+00:00"
    (backup / "manifest.json").write_bytes(orjson.dumps(manifest))
    future = backup.with_name("2099-01-01T000000.000000Z-daily")
    backup.rename(future)
    return future


def test_a_backup_from_a_wrong_clock_does_not_sort_first(template: CliLibrary, data_dir: Path) -> None:
    library = template.copy_to(data_dir)
    backups = library.data / "backups"
    oldest = min(
        (p for p in backups.iterdir() if not p.name.startswith(".")),
        key=lambda p: orjson.loads((p / "manifest.json").read_bytes())["generation"],
    )
    future = backdate_to_the_future(oldest)
    before = {p.name for p in backups.iterdir()}
    a_day_of_work(library)
    # Today already has a backup: the changes of other runs today take none, whatever the 2099 one says.
    assert {p.name for p in backups.iterdir()} == before

    # Plain `restore` brings back the backup with the newest content, not the one with the latest name.
    done = readinglist(library.data, "restore")
    assert done.returncode == 0, done.stderr
    assert library.backup_name in done.stdout and future.name not in done.stdout
    assert listed_state(library.data) == library.state
    assert any(p.name.endswith("before-restore") for p in backups.iterdir())  # the day's work, kept aside
    # The backups list in the order of what they hold; the 2099 one is the oldest content, so it goes first.
    listed = [line.split()[0] for line in ok(library.data, "restore", "--list").splitlines()]
    assert listed[-1] == future.name, listed
    for _ in range(8):
        ok(library.data, "backup")
    assert not future.exists(), "the stale backup should be the one pushed out"


def test_restore_names_a_damaged_newer_backup_it_passes_over(template: CliLibrary, data_dir: Path) -> None:
    library = template.copy_to(data_dir)
    newest = library.data / "backups" / library.backup_name
    (newest / "manifest.json").write_bytes(b"\x00")
    done = readinglist(library.data, "restore")
    assert done.returncode == 0, done.stderr
    assert f"passed over backup {library.backup_name}: it is damaged" in done.stderr, done.stderr
    assert f"{library.backup_name}" in ok(library.data, "restore", "--list")  # listed, as damaged
