"""The work the window sends to the library thread, tested without a window."""

from __future__ import annotations

import random
from pathlib import Path

from PySide6.QtGui import QPalette

from readinglist.core.library import Library
from readinglist.core.models import ListFilter
from readinglist.ui import library_jobs as jobs
from readinglist.ui.library_jobs import Selection, SidebarTracker
from readinglist.ui.main_window import _search_query
from readinglist.ui.paper_view import paper_html, paper_links


def test_view_rows_follow_the_library_query(sample_dir: Path) -> None:
    with Library.open(sample_dir) as lib:
        keys = lib.query()
        lib.set_read(keys[:4], True)
        lib.set_note(keys[1], "a note")
        view = jobs.view_rows(lib, jobs.INBOX)
        assert [r.key for r in view.rows] == lib.query(view=ListFilter.UNREAD)
        assert view.library_size == 60
        row = view.rows[0]
        paper = lib.get(row.key)
        assert (row.title, tuple(row.authors), row.abstract, row.abs_url) == (
            paper.title,
            paper.authors,
            paper.abstract,
            paper.abs_url,
        )
        assert jobs.view_rows(lib, Selection("view", "read")).states[keys[1]].note == "a note"


def test_counts_kept_by_deltas_equal_a_full_recount(sample_dir: Path) -> None:
    rng = random.Random(4)
    with Library.open(sample_dir) as lib:
        keys = lib.query()
        tracker = SidebarTracker()
        tracker.recount(lib)
        for _ in range(60):
            picked = rng.sample(keys, rng.randint(1, 5))
            kind = rng.choice(["star", "read", "note", "tag", "untag", "undo"])
            if kind == "star":
                change = tracker.change(lib, picked, lambda p=picked: lib.set_starred(p, rng.random() < 0.6))
            elif kind == "read":
                change = tracker.change(lib, picked, lambda p=picked: lib.set_read(p, rng.random() < 0.7))
            elif kind == "note":
                change = tracker.change(lib, picked[:1], lambda p=picked: lib.set_note(p[0], rng.choice(["", "x"])))
            elif kind == "tag":
                change = tracker.change(lib, picked, lambda p=picked: lib.add_tags(p, [rng.choice("abc")]))
            elif kind == "untag":
                change = tracker.change(lib, picked, lambda p=picked: lib.remove_tags(p, [rng.choice("abc")]))
            else:
                change = tracker.change(lib, picked, lambda p=picked: lib.set_starred(p, True))
                tracker.change(lib, change.keys, lambda c=change: jobs.undo_change(lib, c))
            del change
            assert tracker.snapshot() == SidebarTracker().recount(lib)
        stats = lib.stats()
        counts = tracker.snapshot()
        assert (counts.unread, counts.views["starred"], counts.views["noted"]) == (
            stats.unread,
            stats.starred,
            stats.noted,
        )
        assert dict(counts.tags) == stats.tags


def test_undo_puts_back_only_what_the_change_changed(sample_dir: Path) -> None:
    with Library.open(sample_dir) as lib:
        key = lib.query()[0]
        star = lib.set_starred([key], True)
        lib.set_note(key, "written after the star")
        lib.set_read([key], True)
        jobs.undo_change(lib, star)
        state = lib.state(key)
        assert (state.starred, state.note, state.read) == (False, "written after the star", True)
        # A field changed again since is left as it is now.
        unread = lib.set_read([key], False)
        lib.set_read([key], True)
        assert not jobs.undo_change(lib, unread).after
        assert lib.state(key).read


def test_the_search_waits_for_a_third_letter_of_the_word_being_typed() -> None:
    assert _search_query("t", final=False) == ""
    assert _search_query("tr", final=False) == ""
    assert _search_query("tra", final=False) == "tra"
    assert _search_query("transformer a", final=False) == "transformer"
    assert _search_query("transformer att", final=False) == "transformer att"
    assert _search_query("rl ", final=False) == "rl"  # a space ends the word
    assert _search_query("rl", final=True) == "rl"  # so does Enter
    assert _search_query("  ", final=True) == ""


def test_the_pane_shows_feed_text_as_text_and_links_only_to_the_web(sample_dir: Path) -> None:
    with Library.open(sample_dir) as lib:
        row = jobs.view_rows(lib, jobs.INBOX).rows[0]
    hostile = row._replace(
        title="<b>bold</b> & <script>alert(1)</script>",
        abstract='See <img src="javascript:alert(1)"> and <a href="file:///etc/passwd">this</a>',
        pdf_url="javascript:alert(1)",
        url="file:///etc/passwd",
        extra={"code_url": "https://github.com/x/y", "project_page": "ftp://example.org", "comment": "12 pages"},
    )
    html = paper_html(hostile, QPalette())
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<img src="javascript' not in html and "&lt;img" in html
    links = paper_links(hostile)
    assert all(url.startswith(("https://", "http://")) for _, url in links)
    assert ("Code", "https://github.com/x/y") in links
    assert "Comment: 12 pages" in html


def test_a_full_recount_gives_each_view_as_many_papers_as_the_view_lists(sample_dir: Path) -> None:
    from readinglist.core.models import IncomingPaper, ListFilter

    rng = random.Random(9)
    with Library.open(sample_dir) as lib:
        upvoted = IncomingPaper(title="Upvoted", arxiv_id="2502.00001", arxiv_version=1, extra={"upvotes": 12})
        lib.add_papers([upvoted], source="Hugging Face")
        twice = IncomingPaper(title="In two feeds", arxiv_id="2502.00002", arxiv_version=1)
        lib.add_papers([twice], source="one")
        lib.add_papers([twice], source="two")
        keys = lib.query()
        lib.set_starred(rng.sample(keys, 7), True)
        lib.set_read(rng.sample(keys, 25), True)
        lib.set_later(rng.sample(keys, 4), True)
        lib.set_dismissed(rng.sample(keys, 5), True)
        lib.set_note(keys[2], "a note")
        lib.add_tags(rng.sample(keys, 6), ["to-cite", "later"])
        counts = SidebarTracker().recount(lib)
        for view in ListFilter:
            if view is ListFilter.FOLLOWING:
                continue  # (counted unread only; the rule tests hold it)
            assert counts.views[view.value] == len(lib.query(view=view)), view
        assert counts.views[ListFilter.TRENDING.value] >= 1  # upvoted, or in two feeds (unless dismissed)
        assert dict(counts.tags) == dict(lib.tags())
        unread_by_feed = {source: n for source, _name, n in counts.feeds}
        for source, n in unread_by_feed.items():
            assert n == len(lib.query(view=ListFilter.UNREAD, feed=source))


def test_rows_kept_from_view_to_view_are_those_of_the_papers_as_they_are_now(sample_dir: Path) -> None:
    from readinglist.core.models import IncomingPaper

    cache = jobs.RowCache()
    with Library.open(sample_dir) as lib:
        lib.add_papers([IncomingPaper(title="First title", arxiv_id="2503.00001", arxiv_version=1)], source="arXiv")
        inbox = jobs.view_rows(lib, jobs.INBOX, cache=cache)
        assert inbox.rows == jobs.view_rows(lib, jobs.INBOX).rows  # built the same way
        mine = next(r for r in inbox.rows if r.key == "arxiv:2503.00001")
        other = next(r for r in inbox.rows if r.key != mine.key)
        again = jobs.view_rows(lib, Selection("view", "all"), cache=cache)
        assert next(r for r in again.rows if r.key == other.key) is other  # not built again
        # A new version of the paper (a refresh): the rows are built anew (the papers changed).
        lib.add_papers([IncomingPaper(title="Second title", arxiv_id="2503.00001", arxiv_version=2)], source="arXiv")
        after = jobs.view_rows(lib, Selection("view", "all"), cache=cache)
        assert next(r for r in after.rows if r.key == mine.key).title == "Second title"
        assert after.rows == jobs.view_rows(lib, Selection("view", "all")).rows


def test_a_kept_row_follows_a_paper_changed_twice_and_a_fold_of_the_changes(tmp_path: Path) -> None:
    from readinglist.core.models import IncomingPaper

    every = Selection("view", "all")
    key = "arxiv:2503.00001"

    def row(view: jobs.ViewRows) -> jobs.PaperRow:
        return next(r for r in view.rows if r.key == key)

    cache = jobs.RowCache()
    with Library.open(tmp_path / "data") as lib:
        lib.add_papers([IncomingPaper(title="T1", arxiv_id="2503.00001", arxiv_version=1)], source="arXiv")
        jobs.view_rows(lib, every, cache=cache)
        for version in (2, 3):  # the second change alters the paper's copy in the changes part in place
            lib.add_papers(
                [IncomingPaper(title=f"T{version}", arxiv_id="2503.00001", arxiv_version=version)], source="arXiv"
            )
            assert row(jobs.view_rows(lib, every, cache=cache)).title == f"T{version}"
        lib.fold_changes()  # (refills the segment's documents in place)
        lib.add_papers([IncomingPaper(title="T4", arxiv_id="2503.00001", arxiv_version=4)], source="arXiv")
        lib.fold_changes()
        kept = jobs.view_rows(lib, every, cache=cache)
        assert row(kept).title == "T4" and kept.rows == jobs.view_rows(lib, every).rows
