"""An import through the shelf (the library on disk, read through its catalog a part at a time) leaves the library
exactly as an import through the whole `Library` does: the same files' contents, the same answers, the same
counts for the user. The shelf is how `import` and `refresh` reach a library of a million papers without reading
it; these tests hold it to the library's rules (matching, versions, links, the writing rules, new segments, the
paper changes and their fold) on sequences of sightings hypothesis makes up."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readinglist.core import library as library_module
from readinglist.core import papers as layout
from readinglist.core import shelf as shelf_module
from readinglist.core import storage as storage_module
from readinglist.core.library import Library
from readinglist.core.models import ImportResult, IncomingPaper, ListFilter, SortKey
from readinglist.core.papers import DELTA, PAPERS
from readinglist.core.rules import Action, Condition, Rule, new_rule_id
from readinglist.core.shelf import Shelf
from readinglist.core.storage import CorruptLibraryError

WHEN = "2026-12-03T08:00:00Z"


def rule(name: str, action: Action, field: str, value: str, tag: str = "") -> Rule:
    return Rule(new_rule_id(), name, (Condition(field, value),), action, tag, True, WHEN, WHEN)


# One sighting: (paper number, version, title variant, carries a DOI, link kind)
Sighting = tuple[int, int, int, bool, int]
# (Link kind 3, a table-of-contents page several papers carry, is left out here: which of them such a link names
# first is the order they were stored in, which a reopened library and the catalog may take differently; the
# match on such a link needs the title either way, and the test after this one holds the shelf to it.)
sightings = st.tuples(st.integers(0, 30), st.integers(1, 3), st.integers(0, 2), st.booleans(), st.integers(0, 2))


def sighting(s: Sighting) -> IncomingPaper:
    """Papers 0-19 have arXiv ids; 20-30 are journal papers known by DOI, link or guid. Link kind 3 is the
    table-of-contents page some journals give every item (a link that names no one paper)."""
    n, version, variant, doi, link = s
    title = ("Learning to rank papers", "A survey of noise in parsing", "Graph methods, revisited")[variant]
    url = {0: None, 1: f"https://journal.example/articles/{n}", 2: f"https://journal.example/a/{n}?utm_source=rss"}.get(
        link, "https://journal.example/toc"
    )
    return IncomingPaper(
        title=f"{title} {n}",
        authors=(f"Author {n % 4}", "Ada Lovelace"),
        abstract=f"Abstract of paper {n}, version {version}.",
        arxiv_id=f"2501.{n:05d}" if n < 20 else None,
        arxiv_version=version if n < 20 else None,
        doi=f"10.1000/j.{n}" if doi and n >= 20 else None,
        url=url,
        guid=f"journal-{n}" if n >= 20 and link == 0 else None,
        categories=("cs.CL",) if n % 2 else ("cs.LG",),
        published=f"2025-01-{1 + n % 28:02d}T00:00:00Z",
        updated=f"2025-02-{version:02d}T00:00:00Z",
    )


def parts_of(data_dir: Path) -> dict[str, Any]:
    """Every paper and state part's documents, by part: where each paper lives, and what it holds."""
    with Library.open(data_dir, writer=False) as lib:
        store = lib.store
        return {
            part: dict(store.table(part, PAPERS if not part.startswith("state-") else "state"))
            for part in sorted(store.parts())
            if part.startswith(("papers-", "state-")) or part == DELTA
        }


def summary(result: ImportResult) -> tuple[Any, ...]:
    ruled = result.ruled
    return (
        result.new,
        result.updated,
        result.unchanged,
        result.skipped,
        (ruled.before, ruled.after) if ruled is not None and (ruled.before or ruled.after) else None,
    )


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    # Small segments and a small paper-changes limit, so that a few batches fill segments and fold the changes;
    # a fixed clock, so that two imports of one batch write the same stamps.
    monkeypatch.setattr(layout, "SEGMENT_SIZE", 6)
    monkeypatch.setattr(layout, "DELTA_LIMIT", 4)
    monkeypatch.setattr(library_module, "utc_now", lambda: WHEN)
    monkeypatch.setattr(shelf_module, "utc_now", lambda: WHEN)


def seeded(root: Path) -> Path:
    data = root / "lib"
    with Library.open(data) as lib:
        lib.add_papers([sighting((n, 1, 0, True, 1)) for n in range(0, 30, 3)], source="seed")
        lib.put_rules(
            [
                rule("no noise", Action.MUTE, "title", "noise"),
                rule("graphs", Action.TAG, "title", "graph", tag="graphs"),
                rule("ranking", Action.STAR, "abstract", "version 3"),
            ]
        )
        lib.set_starred([lib.keys()[0]], True)
    return data


def docs_of(data_dir: Path) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Every paper's document and state, by key, and the library's order."""
    with Library.open(data_dir, writer=False) as lib:
        papers = {k: dict(d) for k, d in lib.paper_docs_by_key().items()}
        return papers, {k: dict(d) for k, d in lib.state_docs().items()}, lib.query(sort=SortKey.DATE)


def catalog_rows(data_dir: Path) -> dict[str, Any]:
    """What the catalog holds of each paper (not its row ids, which a rebuild numbers afresh)."""
    db = sqlite3.connect(data_dir / "index" / "catalog.sqlite")
    cols = "p.key, p.part, p.seq, p.shard, p.sum, p.date, p.first_seen, p.updated, p.title, p.sort_title, p.source"
    flags = "p.ssum, p.read, p.read_at, p.starred, p.noted, p.tagged, p.later, p.dismissed, p.muted, p.note"
    rows = {
        "papers": db.execute(f"SELECT {cols}, {flags} FROM paper p ORDER BY p.key").fetchall(),
        "aliases": db.execute("SELECT alias, key FROM alias ORDER BY alias").fetchall(),
        "feeds": db.execute("SELECT f.feed, p.key FROM feed f JOIN paper p ON p.id = f.id ORDER BY 1, 2").fetchall(),
        "tags": db.execute("SELECT t.tag, p.key FROM tag t JOIN paper p ON p.id = t.id ORDER BY 1, 2").fetchall(),
    }
    db.close()
    return rows


def rebuilt_catalog_rows(data_dir: Path) -> dict[str, Any]:
    copy = data_dir.parent / (data_dir.name + "-rebuilt")
    shutil.copytree(data_dir, copy)
    shutil.rmtree(copy / "index")
    with Shelf.open(copy, writer=False) as shelf:
        len(shelf)  # (the catalog, built from the library's files)
    return catalog_rows(copy)


@pytest.mark.usefixtures("small_parts")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batches=st.lists(st.lists(sightings, max_size=9), min_size=1, max_size=5),
    folds=st.integers(1, 3),
    grouped=st.booleans(),
)
def test_an_import_through_the_shelf_leaves_the_library_as_the_whole_library_would(
    batches: list[list[Sighting]], folds: int, grouped: bool
) -> None:
    """`grouped`: every batch in one commit, as a refresh writes the feeds of half a second together (a paper new
    in one feed is the same record in the next, before the catalog has seen it)."""
    with tempfile.TemporaryDirectory() as tmp:
        whole = seeded(Path(tmp))
        on_disk = Path(tmp) / "shelf"
        shutil.copytree(whole, on_disk)
        by_library, by_shelf = [], []
        with Library.open(whole) as lib, lib.batch() if grouped else contextlib.nullcontext():
            for batch in batches:
                by_library.append(summary(lib.add_papers(map(sighting, batch), source="feed")))
        with Shelf.open(on_disk) as shelf:
            shelf_module.FOLD_SEGMENTS = folds  # (a fold a segment at a time commits between segments)
            try:
                with shelf.batch() if grouped else contextlib.nullcontext():
                    for batch in batches:
                        by_shelf.append(summary(shelf.add_papers(map(sighting, batch), source="feed")))
            finally:
                shelf_module.FOLD_SEGMENTS = 8
        assert by_shelf == by_library
        if grouped:
            # (The library folds its paper changes inside the commit, the shelf after it: the same papers, with
            # the changes in other parts.)
            assert docs_of(on_disk) == docs_of(whole)
        else:
            assert parts_of(on_disk) == parts_of(whole)
        # The catalog the shelf kept (rows it learned as it wrote them, parts it read) holds what one built from
        # the files holds, except the aliases a shared link names (see above) and the order of equal ties.
        kept, rebuilt = catalog_rows(on_disk), rebuilt_catalog_rows(on_disk)
        assert kept["papers"] == rebuilt["papers"] and kept["feeds"] == rebuilt["feeds"]
        assert kept["tags"] == rebuilt["tags"]
        holders = Counter(a for doc in docs_of(on_disk)[0].values() for a in doc.get("ids", ()))
        assert {a: k for a, k in kept["aliases"] if holders[a] == 1} == {
            a: k for a, k in rebuilt["aliases"] if holders[a] == 1
        }
        # And it answers as the library does.
        with Library.open(whole, writer=False) as lib, Shelf.open(on_disk, writer=False) as shelf:
            for view in (ListFilter.ALL, ListFilter.UNREAD, ListFilter.STARRED, ListFilter.MUTED):
                assert shelf.query(view=view, sort=SortKey.DATE) == lib.query(view=view, sort=SortKey.DATE)
            # (By arXiv id or DOI: a link two papers share names the first one stored, which a reopened library
            # and the catalog may take in different orders; an import matches on such a link only with the title.)
            for s in (s for batch in batches for s in batch if s[0] < 20 or s[3]):
                assert shelf.find(sighting(s)) == lib.find(sighting(s))


def test_papers_sharing_only_a_link_stay_apart_through_the_shelf(tmp_path: Path) -> None:
    """A journal gives every item its table-of-contents page as the link: the shelf keeps them apart by title,
    and knows each one again, within one commit of several feeds and after it."""
    toc = "https://journal.example.org/toc/current"
    data = tmp_path / "lib"
    with Library.open(data) as lib:
        lib.add_papers([IncomingPaper(title="A survey of retrieval", doi="10.1000/s.1")], source="j")
    with Shelf.open(data) as shelf:
        with shelf.batch():
            first = shelf.add_papers(
                [
                    IncomingPaper(title="A survey of retrieval", doi="10.1000/s.1", url=toc),
                    IncomingPaper(title="Sparse attention at scale", url=toc, guid="urn:journal:1"),
                    IncomingPaper(title="Graph methods", url=toc),
                ],
                source="j",
            )
            again = shelf.add_papers(
                [
                    IncomingPaper(title="Sparse attention at scale", url=toc),
                    IncomingPaper(title="Graph methods", url=toc),
                ],
                source="k",
            )
        assert len(first.new) == 2 and first.updated == () and again.new == () and again.unchanged == 2
        later = shelf.add_papers(
            [IncomingPaper(title="Graph methods", url=toc), IncomingPaper(title="Sparse attention at scale", url=toc)],
            source="l",
        )
        assert later.new == () and later.unchanged == 2 and len(shelf) == 3
    with Library.open(data, writer=False) as lib:
        assert sorted(lib.get(k).title for k in lib.query()) == [
            "A survey of retrieval",
            "Graph methods",
            "Sparse attention at scale",
        ]


def test_a_damaged_part_stops_an_import_before_it_writes_anything_even_in_a_batch(tmp_path: Path) -> None:
    """A refresh goes on with its other feeds when one feed's papers cannot be saved: the import that failed
    must have written nothing into the commit they share. Here the state shards a mute rule reads are damaged."""
    data = tmp_path / "lib"
    with Library.open(data) as lib:
        lib.add_papers([IncomingPaper(title=f"Seed {i}", arxiv_id=f"2502.{i:05d}") for i in range(400)], source="s")
        lib.put_rules([rule("no noise", Action.MUTE, "title", "noise")])
        lib.set_starred(lib.query(), True)  # (a state in every shard: a new paper's is read by the rule)
    with Shelf.open(data) as shelf:
        assert len(shelf) == 400  # the catalog, current before the damage
    for shard in (data / "library").glob("state-*.json"):
        raw = shard.read_bytes()
        shard.write_bytes(raw[:5] + b"\x00" * 8 + raw[13:])  # same size, not JSON
    manifest = (data / "library" / "manifest.json").read_bytes()
    with Shelf.open(data) as shelf, shelf.batch():
        with pytest.raises(CorruptLibraryError):
            shelf.add_papers([sighting((n, 1, 1, True, 1)) for n in range(20, 31)], source="feed")
        assert [p for p in shelf.store.parts() if shelf.store.changing(p)] == []
    assert (data / "library" / "manifest.json").read_bytes() == manifest  # nothing committed


def test_a_fold_through_the_shelf_holds_a_few_segments_at_a_time(
    small_parts: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The paper changes of 30 papers in 5 segments fold back in commits of 2 segments; the shelf never holds
    more than those (plus the changes part) in memory, and every paper reads as it did before the fold."""
    data = tmp_path / "lib"
    with Library.open(data) as lib:
        lib.add_papers([sighting((n, 1, 0, True, 1)) for n in range(30)], source="seed")
    monkeypatch.setattr(layout, "DELTA_LIMIT", 10**6)
    with Shelf.open(data) as shelf:
        shelf.add_papers([sighting((n, 2, 0, True, 1)) for n in range(20)], source="v2")
        before = {k: dict(shelf.doc(k)) for k in shelf.query()}
        held: list[int] = []
        real_put = shelf.store.put_docs

        def put_docs(part: str, *args: Any, **kwargs: Any) -> list[str]:
            held.append(sum(1 for p in shelf.store._parts if p.startswith("papers-")))
            return real_put(part, *args, **kwargs)

        monkeypatch.setattr(shelf.store, "put_docs", put_docs)
        shelf.fold_changes(segments_per_commit=2)
        assert shelf.store.table(DELTA, PAPERS) == {}
        assert max(held) <= 3  # two being folded, and the newest one the import wrote to
        assert {k: dict(shelf.doc(k)) for k in shelf.query()} == before
    with Library.open(data, writer=False) as lib:
        assert {k: dict(lib.doc(k)) for k in lib.query()} == before
        papers = [lib.get(k) for k in lib.query()]
        assert sorted(p.arxiv_version for p in papers if p.arxiv_id) == [2] * 20  # (20-29: journal papers)


def test_a_changed_paper_is_read_out_of_the_paper_changes_alone_and_damage_there_is_said(tmp_path: Path) -> None:
    """`show` of a paper with a new version reads it out of the paper changes (5,000 papers at most, which it
    parsed whole) without parsing the others; the file is held to its checksum like a segment, so eight letters
    changed anywhere in it are said, naming the file, not shown as the paper."""
    data = tmp_path / "lib"
    with Library.open(data) as lib:
        lib.add_papers([sighting((n, 1, 0, True, 1)) for n in range(12)], source="seed")
        lib.add_papers([sighting((n, 2, 1, True, 1)) for n in range(6)], source="v2")
        newest = {k: dict(lib.doc(k)) for k in lib.query()}
    changes = json.loads((data / "library" / "manifest.json").read_bytes())["files"][DELTA]
    size = (data / "library" / changes).stat().st_size
    with Shelf.open(data, writer=False) as shelf:
        shelf.catalog  # noqa: B018 - (brought up to date first: its build reads every part once)
        parsed: list[int] = []
        real = storage_module.orjson.loads
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(storage_module.orjson, "loads", lambda raw: parsed.append(len(raw)) or real(raw))
            for key in ("arxiv:2501.00000", "arxiv:2501.00005"):
                assert dict(shelf.doc(key)) == newest[key]
                assert shelf.get(key).title.startswith("A survey of noise")
        assert DELTA not in shelf.store._parts  # (never loaded whole)
        assert parsed and size not in parsed, "the whole paper changes were parsed"

    path = data / "library" / changes
    raw = bytearray(path.read_bytes())
    at = raw.index(b"version 2") + len(b"version ")
    raw[at : at + 1] = b"7"  # another paper's abstract, same size, still valid JSON
    path.write_bytes(bytes(raw))
    with Shelf.open(data, writer=False) as shelf, pytest.raises(CorruptLibraryError) as caught:
        shelf.doc("arxiv:2501.00005")
    assert changes in str(caught.value)


def test_paper_changes_written_before_they_had_a_checksum_still_read_and_get_one_at_the_next_import(
    tmp_path: Path,
) -> None:
    """A library from before the paper changes were summed: a changed paper reads (the part whole, as before),
    and the next import that writes the changes gives them their checksum."""
    data = tmp_path / "lib"
    with Library.open(data) as lib:
        lib.add_papers([sighting((n, 1, 0, True, 1)) for n in range(8)], source="seed")
        lib.add_papers([sighting((n, 2, 1, True, 1)) for n in range(3)], source="v2")
        newest = dict(lib.doc("arxiv:2501.00001"))
    manifest_path = data / "library" / "manifest.json"
    manifest = json.loads(manifest_path.read_bytes())
    del manifest["sums"][DELTA]
    manifest_path.write_text(json.dumps(manifest))
    with Shelf.open(data) as shelf:
        assert dict(shelf.doc("arxiv:2501.00001")) == newest
        shelf.add_papers([sighting((4, 2, 1, True, 1))], source="v2")
    assert DELTA in json.loads(manifest_path.read_bytes())["sums"]
    with Library.open(data, writer=False) as lib:
        assert lib.get("arxiv:2501.00004").arxiv_version == 2
