"""The window's library answers a view from the catalog (`Library.views_budget`) exactly as its walk of every paper
does, after its own commits and another process's, and never lists a paper it does not hold."""

from __future__ import annotations

import random
from pathlib import Path

from readinglist.core.catalog import VIEW_SQL
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper, ListFilter, SortKey
from readinglist.core.shelf import Shelf

SORTS = (SortKey.DATE, SortKey.TITLE, SortKey.SOURCE)


def papers(start: int, count: int, rng: random.Random) -> list[IncomingPaper]:
    words = ["graph", "kernel", "sparse", "quantum", "Straße", "noise", "prior", "lattice"]
    return [
        IncomingPaper(
            title=f"{' '.join(rng.sample(words, 3)).capitalize()} {i}",
            abstract=f"About {rng.choice(words)}.",
            arxiv_id=f"2401.{i:05d}",
            arxiv_version=1,
            published=f"2024-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
        )
        for i in range(start, start + count)
    ]


def every_answer(lib: Library) -> dict[tuple[object, ...], list[str]]:
    tags = [*sorted(lib.tags()), "nosuch"]
    feeds = sorted(lib.feed_counts())
    out: dict[tuple[object, ...], list[str]] = {}
    for view in VIEW_SQL:
        for sort in SORTS:
            for descending in (None, True, False):
                out[(view, sort, descending)] = lib.query(view=view, sort=sort, descending=descending)
        for tag in tags:
            out[(view, "tag", tag)] = lib.query(view=view, tag=tag)
        for feed in feeds:
            out[(view, "feed", feed)] = lib.query(view=view, feed=feed, limit=7)
    return out


def assert_catalog_answers_as_the_walk(lib: Library) -> None:
    lib.views_budget = None
    walked = every_answer(lib)
    lib.views_budget = 5.0
    catalog = lib.catalog
    assert catalog is not None
    calls: list[object] = []
    real_query = catalog.query

    def counted(**kwargs: object) -> list[str]:
        calls.append(kwargs)
        return real_query(**kwargs)  # type: ignore[arg-type]

    catalog.query = counted  # type: ignore[method-assign]
    try:
        answered = every_answer(lib)
    finally:
        del catalog.query
    assert answered == walked
    # Every one answered by the catalog, but the whole library unfiltered (sorting in memory is quicker).
    assert len(calls) == len(answered) - len(SORTS) * 3


def test_views_from_the_catalog_equal_the_walk_through_the_window_s_own_changes(data_dir: Path) -> None:
    rng = random.Random(5)
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(0, 300, rng), source="arXiv cs.LG")
        lib.add_papers(papers(200, 200, rng), source="arXiv cs.CL")  # 100 seen in both feeds
        keys = lib.keys()
        assert_catalog_answers_as_the_walk(lib)
        lib.set_starred(rng.sample(keys, 40), True)
        lib.set_read(rng.sample(keys, 150), True)
        lib.set_later(rng.sample(keys, 12), True)
        lib.set_note(keys[3], "read the appendix")
        lib.add_tags(rng.sample(keys, 30), ["to-cite"])
        lib.set_dismissed(rng.sample(keys, 9), True)
        assert_catalog_answers_as_the_walk(lib)
        lib.add_papers(papers(400, 50, rng), source="arXiv cs.LG")
        lib.set_read(keys[:20], False)
        assert_catalog_answers_as_the_walk(lib)


def test_a_catalog_another_process_brought_further_lists_no_paper_this_library_does_not_hold(
    data_dir: Path,
) -> None:
    rng = random.Random(6)
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(0, 100, rng), source="arXiv")
    window = Library.open(data_dir)
    window.views_budget = 5.0
    try:
        before = window.query(view=ListFilter.UNREAD)
        assert len(before) == 100
        # A command imports 50 more and lists them (bringing the shared catalog past the window's library).
        with Library.open(data_dir) as other:
            other.add_papers(papers(100, 50, rng), source="arXiv")
        with Shelf.open(data_dir, writer=False) as shelf:
            assert len(shelf.query(view=ListFilter.UNREAD)) == 150
        listed = window.query(view=ListFilter.UNREAD)
        assert listed == before and all(k in window for k in listed)
        window.catch_up()  # the window follows the other process: now it holds them and lists them
        assert len(window.query(view=ListFilter.UNREAD)) == 150
    finally:
        window.close()


def test_inside_a_transaction_a_view_is_what_the_library_holds_not_what_was_committed(data_dir: Path) -> None:
    rng = random.Random(7)
    with Library.open(data_dir) as lib:
        lib.add_papers(papers(0, 40, rng), source="arXiv")
        lib.views_budget = 5.0
        key = lib.query(view=ListFilter.UNREAD)[0]
        with lib.store.transaction():
            lib.set_starred([key], True)
            assert lib.query(view=ListFilter.STARRED) == [key]
        assert lib.query(view=ListFilter.STARRED) == [key]
