"""The library's promises: one record per paper, state kept apart from content, durable changes, queries."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from readinglist.core import papers as layout
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper, ListFilter, SortKey
from readinglist.core.papers import SEGMENT_SIZE, UnknownPaperError


def arxiv(n: str, v: int = 1, **kw: object) -> IncomingPaper:
    fields: dict[str, object] = {
        "title": f"Paper {n} version {v}",
        "authors": ("Ada Lovelace", "Alan Turing"),
        "abstract": f"Abstract of {n}, version {v}.",
        "arxiv_id": n,
        "arxiv_version": v,
        "url": f"https://arxiv.org/abs/{n}",
        "categories": ("cs.CL",),
        "published": "2024-01-02T00:00:00Z",
    }
    fields.update(kw)
    return IncomingPaper(**fields)  # type: ignore[arg-type]


def reopen(lib: Library) -> Library:
    root = lib.store.root
    lib.close()
    return Library.open(root)


def test_same_paper_from_two_feeds_is_one_record(library: Library) -> None:
    first = library.add_papers([arxiv("2401.01234")], source="cs.CL")
    second = library.add_papers([arxiv("2401.01234", categories=("cs.LG",))], source="cs.LG")
    assert len(library) == 1
    assert first.new == ("arxiv:2401.01234",)
    assert second.new == () and second.unchanged == 1
    paper = library.get("arxiv:2401.01234")
    assert paper.feeds == ("cs.CL", "cs.LG")
    assert paper.categories == ("cs.CL", "cs.LG")


def test_new_version_updates_content_and_keeps_user_state(library: Library) -> None:
    library.add_papers([arxiv("2401.01234")], source="cs.CL")
    key = library.resolve("2401.01234")
    library.set_starred([key], True)
    library.set_read([key], True)
    library.set_note(key, "Check the ablation in section 4.")
    library.add_tags([key], ["to-cite"])
    result = library.add_papers([arxiv("2401.01234", v=2)], source="cs.AI")
    assert result.updated == (key,)
    library = reopen(library)
    paper, state = library.get(key), library.state(key)
    assert paper.arxiv_version == 2 and paper.title == "Paper 2401.01234 version 2"
    assert paper.content_updated is not None
    assert paper.feeds == ("cs.CL", "cs.AI")
    assert state.starred and state.read and state.note == "Check the ablation in section 4."
    assert state.tags == ("to-cite",)
    assert library.query(view=ListFilter.UPDATED) == [key]
    library.close()


def test_older_version_arriving_late_does_not_roll_back(library: Library) -> None:
    library.add_papers([arxiv("2401.01234", v=3)], source="a")
    result = library.add_papers([arxiv("2401.01234", v=1)], source="b")
    assert result.updated == ()
    assert library.get("arxiv:2401.01234").arxiv_version == 3


def test_ids_match_with_and_without_version_old_style_doi_and_url(library: Library) -> None:
    library.add_papers(
        [
            arxiv("hep-ex/0307015", v=1),
            IncomingPaper(
                title="A journal paper", doi="10.1038/nature12373", url="https://www.nature.com/a?utm_source=x"
            ),
        ],
        source="one",
    )
    again = library.add_papers(
        [
            IncomingPaper(title="Paper", url="http://arxiv.org/abs/hep-ex/0307015", arxiv_id="hep-ex/0307015"),
            IncomingPaper(title="A journal paper", doi="https://doi.org/10.1038/NATURE12373"),
            IncomingPaper(title="A Journal Paper.", url="https://nature.com/a"),  # same link, same title: no DOI here
        ],
        source="two",
    )
    assert len(library) == 2
    assert again.new == ()
    assert library.resolve("hep-ex/0307015v1") == "arxiv:hep-ex/0307015"
    assert library.resolve("https://doi.org/10.1038/Nature12373") == "doi:10.1038/nature12373"


def test_a_journal_record_gains_the_abstract_another_feed_has(library: Library) -> None:
    library.add_papers([IncomingPaper(title="T", doi="10.1234/abc", authors=("Basanta Das et al.",))], source="nature")
    library.add_papers(
        [IncomingPaper(title="T", doi="10.1234/abc", abstract="A long abstract. " * 5, authors=("B. Das", "C. Li"))],
        source="crossref",
    )
    paper = library.get("doi:10.1234/abc")
    assert paper.abstract.startswith("A long abstract.")
    assert paper.authors == ("B. Das", "C. Li")


def test_duplicates_inside_one_import_are_one_record(library: Library) -> None:
    result = library.add_papers([arxiv("2401.00001"), arxiv("2401.00001", v=2), arxiv("2401.00002")], source="x")
    assert len(result.new) == 2
    assert library.get("arxiv:2401.00001").arxiv_version == 2


def test_entries_without_title_or_id_are_skipped(library: Library) -> None:
    result = library.add_papers([IncomingPaper(title="  ")], source="x")
    assert result.skipped == 1 and len(library) == 0


def test_state_changes_survive_a_restart_and_do_not_rewrite_content(library: Library) -> None:
    library.add_papers([arxiv(f"2401.{i:05d}") for i in range(10)], source="x")
    manifest = json.loads((library.store.dir / "manifest.json").read_text())
    content_file = manifest["files"]["papers-00000"]
    key = library.resolve("2401.00003")
    library.set_starred([key], True)
    library.set_note(key, "# Notes\n\nSee *figure 2*.")
    library.add_tags([key], ["llm", "survey", "llm"])
    library.remove_tags([key], ["survey"])
    manifest = json.loads((library.store.dir / "manifest.json").read_text())
    assert manifest["files"]["papers-00000"] == content_file  # the content file was not rewritten
    library = reopen(library)
    state = library.state(key)
    assert state.starred and state.starred_at
    assert state.note == "# Notes\n\nSee *figure 2*." and state.note_at
    assert state.tags == ("llm",)
    library.set_note(key, "   ")
    assert library.state(key).note == ""
    library.close()


def test_undo_puts_back_the_previous_state(library: Library) -> None:
    library.add_papers([arxiv("2401.00001"), arxiv("2401.00002")], source="x")
    keys = library.keys()
    change = library.set_read(keys, True)
    assert all(library.state(k).read for k in keys)
    library.put_states(change.before)
    assert not any(library.state(k).read for k in keys)


def test_unknown_keys_raise_a_clear_error(library: Library) -> None:
    with pytest.raises(UnknownPaperError, match=r"no paper '2499\.99999'"):
        library.resolve("2499.99999")
    with pytest.raises(UnknownPaperError):
        library.set_starred(["arxiv:nope"], True)


def test_queries_filter_sort_and_search(library: Library) -> None:
    library.add_papers(
        [
            arxiv("2401.00001", title="Zebra transformers", published="2024-01-01T00:00:00Z"),
            arxiv("2401.00002", title="Attention is all", published="2024-03-01T00:00:00Z"),
            arxiv("2401.00003", title="Mamba state spaces", published="2024-02-01T00:00:00Z", authors=("Albert Gu",)),
        ],
        source="x",
    )
    k1, k2, k3 = (library.resolve(f"2401.0000{i}") for i in (1, 2, 3))
    library.set_read([k1], True)
    library.set_starred([k2], True)
    library.set_note(k3, "compare with hyena")
    library.add_tags([k1, k3], ["ssm"])
    assert library.query() == [k2, k3, k1]
    assert library.query(sort=SortKey.TITLE) == [k2, k3, k1]
    assert library.query(view=ListFilter.UNREAD) == [k2, k3]
    assert library.query(view=ListFilter.READ) == [k1]
    assert library.query(view=ListFilter.STARRED) == [k2]
    assert library.query(view=ListFilter.NOTED) == [k3]
    assert library.query(tag="ssm") == [k3, k1]
    assert library.query(search="transformer") == [k1]  # word prefix
    assert library.query(search="hyena") == [k3]  # notes are searched
    assert library.query(search="gu mamba") == [k3]  # authors and title, every word
    assert library.query(search="attention zebra") == []
    assert library.query(limit=1) == [k2]
    stats = library.stats()
    assert (stats.papers, stats.read, stats.unread, stats.starred, stats.noted) == (3, 1, 2, 1, 1)


def test_search_index_catches_up_after_another_process_changed_the_library(data_dir: Path) -> None:
    with Library.open(data_dir) as lib:
        lib.add_papers([arxiv("2401.00001", title="Diffusion models")], source="x")
        assert lib.query(search="diffusion")
    (data_dir / "index" / "catalog.sqlite").unlink()
    with Library.open(data_dir) as lib:
        assert lib.query(search="diffusion") == ["arxiv:2401.00001"]
        lib.store.generation  # noqa: B018
    with Library.open(data_dir) as lib:
        # Another writer that bypassed the index: simulate by writing through the store directly.
        key = lib.resolve("2401.00001")
        lib._search = None  # type: ignore[assignment]
        lib.set_note(key, "quokka")
    with Library.open(data_dir, writer=False) as lib:
        assert lib.query(search="quokka") == ["arxiv:2401.00001"]


def test_new_papers_fill_segments_and_roll_over(library: Library) -> None:
    n = SEGMENT_SIZE + 10
    library.add_papers([arxiv(f"2402.{i:05d}") for i in range(n)], source="x")
    assert len(library) == n
    library = reopen(library)
    assert len(library) == n
    assert sorted(p for p in library.store.parts() if p.startswith("papers-")) == ["papers-00000", "papers-00001"]
    library.close()


def test_data_files_are_readable_by_the_user_only(library: Library) -> None:
    library.add_papers([arxiv("2401.00001")], source="x")
    library.set_starred(["arxiv:2401.00001"], True)
    root = library.store.root
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


def test_an_import_touching_old_papers_rewrites_two_small_files(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.setattr(layout, "SEGMENT_SIZE", 10)
    monkeypatch.setattr(layout, "DELTA_LIMIT", 25)
    with Library.open(data_dir) as lib:
        lib.add_papers([arxiv(f"2403.{i:05d}") for i in range(50)], source="a")
        lib.set_starred(["arxiv:2403.00003"], True)
        before = dict(json.loads((lib.store.dir / "manifest.json").read_text())["files"])
        # One paper from each of the five segments gets a new version; one more gets a second feed.
        result = lib.add_papers([arxiv(f"2403.{i:05d}", v=2) for i in (3, 13, 23, 33, 43)], source="b")
        assert len(result.updated) == 5
        lib.add_papers([arxiv("2403.00044")], source="c")
        after = json.loads((lib.store.dir / "manifest.json").read_text())["files"]
        rewritten = {p for p in after if before.get(p) != after[p]}
        assert rewritten == {"paper-changes"}
    with Library.open(data_dir) as lib:
        assert lib.get("arxiv:2403.00013").arxiv_version == 2
        assert lib.get("arxiv:2403.00044").feeds == ("a", "c")
        assert lib.state("arxiv:2403.00003").starred
        assert sorted(lib.query(view=ListFilter.UPDATED)) == [f"arxiv:2403.{i:05d}" for i in (3, 13, 23, 33, 43)]
        # Past the limit, the changes are folded back into their segments and the delta empties.
        lib.add_papers([arxiv(f"2403.{i:05d}", v=3) for i in range(30)], source="d")
        assert lib.store.table("paper-changes", "papers") == {}
    with Library.open(data_dir) as lib:
        assert len(lib) == 50
        assert {lib.get(f"arxiv:2403.{i:05d}").arxiv_version for i in range(30)} == {3}
        assert lib.get("arxiv:2403.00033").arxiv_version == 2
        assert lib.get("arxiv:2403.00044").feeds == ("a", "c")
        assert lib.state("arxiv:2403.00003").starred


def test_marking_a_large_view_read_is_one_quick_change(library: Library) -> None:
    library.add_papers([arxiv(f"2404.{i:05d}") for i in range(3000)], source="x")
    change = library.set_read(library.keys() * 2, True)
    assert len(change.after) == 3000
    assert library.query(view=ListFilter.UNREAD) == []


def test_a_search_index_of_another_format_is_rebuilt(data_dir: Path) -> None:
    import sqlite3

    with Library.open(data_dir) as lib:
        lib.add_papers([arxiv("2401.00001", title="Kolmogorov networks")], source="x")
        assert lib.query(search="kolmo") == ["arxiv:2401.00001"]
    db = sqlite3.connect(data_dir / "index" / "catalog.sqlite")
    db.execute("UPDATE meta SET v = 'old' WHERE k = 'format'")
    db.execute("DELETE FROM paper")  # an old layout would not hold what this version expects
    db.commit()
    db.close()
    with Library.open(data_dir) as lib:
        assert lib.query(search="kolmo") == ["arxiv:2401.00001"]


def test_papers_sharing_only_a_link_stay_apart(library: Library) -> None:
    toc = "https://journal.example.org/toc/current"
    result = library.add_papers(
        [
            IncomingPaper(title="Sparse attention at scale", url=toc, guid="urn:journal:1"),
            IncomingPaper(title="A survey of retrieval", url=toc, guid="urn:journal:2"),
            IncomingPaper(title="Sparse attention at scale", url=toc),  # the first one again, without its guid
        ],
        source="journal",
    )
    assert len(result.new) == 2 and result.unchanged == 1
    survey = IncomingPaper(title="A survey of retrieval", url=toc, guid="urn:journal:2")
    again = library.add_papers([survey], source="j")
    assert again.new == () and len(library) == 2


def test_an_item_keyed_by_a_link_another_paper_claimed_first_is_one_record_however_often_it_comes(
    data_dir: Path,
) -> None:
    """A journal gives two items its table-of-contents page as their link; the one with a DOI took the link
    first. The other item, with nothing but the link and its title, is keyed by the link: each new sighting of
    it is that paper, in this library and in it reopened, not one more record each time."""
    toc = "https://journal.example.org/toc/current"
    with Library.open(data_dir) as lib:
        lib.add_papers([IncomingPaper(title="A survey of retrieval", doi="10.1000/s.1")], source="j")
        lib.add_papers(
            [
                IncomingPaper(title="A survey of retrieval", doi="10.1000/s.1", url=toc),
                IncomingPaper(title="Sparse attention at scale", url=toc),
            ],
            source="j",
        )
        assert len(lib) == 2
        again = lib.add_papers([IncomingPaper(title="Sparse attention at scale", url=toc)], source="j")
        assert again.new == () and again.unchanged == 1 and len(lib) == 2
    with Library.open(data_dir) as lib:
        again = lib.add_papers([IncomingPaper(title="Sparse attention at scale", url=toc)], source="j")
        assert again.new == () and len(lib) == 2


def test_the_all_view_keeps_newest_first_through_new_papers_new_versions_and_other_processes(
    data_dir: Path,
) -> None:
    # The All view's order is sorted once and kept: every way the papers change must show in it at once.
    with Library.open(data_dir) as lib:
        lib.add_papers(
            [
                arxiv("2401.00001", published="2024-01-01T00:00:00Z"),
                arxiv("2401.00002", published="2024-03-01T00:00:00Z"),
            ],
            source="x",
        )
        k1, k2 = lib.resolve("2401.00001"), lib.resolve("2401.00002")
        assert lib.query() == [k2, k1]
        lib.query().reverse()  # a caller sorting the list it was given leaves the library's order as it was
        assert lib.query() == [k2, k1]
        lib.set_starred([k1], True)
        assert lib.query() == [k2, k1]
        lib.add_papers([arxiv("2401.00003", published="2024-02-01T00:00:00Z")], source="x")
        k3 = lib.resolve("2401.00003")
        assert lib.query() == [k2, k3, k1]
        assert lib.query(limit=1) == [k2]
        assert lib.query(descending=False) == [k1, k3, k2]
        lib.add_papers([arxiv("2401.00005", published=None, updated="2024-01-15T00:00:00Z")], source="x")
        k5 = lib.resolve("2401.00005")
        assert lib.query() == [k2, k3, k5, k1]
        lib.add_papers([arxiv("2401.00005", v=2, published=None, updated="2024-04-01T00:00:00Z")], source="x")
        assert lib.query() == [k5, k2, k3, k1]  # a paper dated by its update: the new version moved it up
        with Library.open(data_dir) as other:
            other.add_papers([arxiv("2401.00004", published="2024-05-01T00:00:00Z")], source="y")
        lib.catch_up()
        assert lib.query() == ["arxiv:2401.00004", k5, k2, k3, k1]
