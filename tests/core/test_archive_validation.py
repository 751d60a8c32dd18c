"""A poisoned archive (issue 11, item 5): wrong field types, an arXiv id holding BibTeX, links and a subscription
that are not web addresses. `restore --from` keeps what is sound and names what it skipped or removed; a file
without an archive's shape is refused whole; and afterwards every command that reads the library still works."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_cli import ARXIV_FEED, run

from readinglist.core.archive import LISTED
from readinglist.core.export import ExportFormat
from readinglist.core.feeds import Feed
from readinglist.core.identity import is_web_url
from readinglist.core.library import Library
from readinglist.core.models import PaperState
from readinglist.core.papers import PAPER_FIELDS
from readinglist.core.validate import FEED_LINKS, FEED_RULES, PAPER_LINKS, PAPER_RULES, STATE_RULES

NEW = "arxiv:2401.01234"  # the two papers of test_cli's feed
OLD = "arxiv:hep-ex/0307015"
FEED_NAME = "Example feed"
FEED_URL = "https://example.org/feed.xml"
INJECTED = "1}, title={Injected"

Members = dict[str, Any]


def cli(*args: str) -> str:
    """Run a command in-process, as test_cli does; a traceback would raise out of here."""
    code, out, err = run(*args)
    assert code == 0, err
    assert "Traceback" not in err
    return out


@pytest.fixture
def good_archive(tmp_path: Path) -> Path:
    """A backup of a small real library: two papers, the user's state on one, one subscription."""
    source = tmp_path / "source"
    feed = tmp_path / "cs.CL.xml"
    feed.write_text(ARXIV_FEED.format(v=1, kind="new"))
    lib = ("--data-dir", str(source))
    cli(*lib, "import", str(feed))
    cli(*lib, "feeds", "add", FEED_URL, "--name", FEED_NAME)
    cli(*lib, "star", NEW)
    cli(*lib, "note", NEW, "compare with MDLM")
    cli(*lib, "tag", NEW, "diffusion")
    archive = tmp_path / "good.zip"
    cli(*lib, "backup", "--to", str(archive))
    return archive


def members(archive: Path) -> Members:
    with zipfile.ZipFile(archive) as zf:
        return {name: json.loads(zf.read(name)) for name in zf.namelist()}


def write(path: Path, content: Members) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, value in content.items():
            zf.writestr(name, json.dumps(value))
    return path


def poisoned(good: Path, edit: Callable[[Members], None]) -> Path:
    content = members(good)
    edit(content)
    return write(good.with_name("poisoned.zip"), content)


def paper(m: Members, key: str = NEW) -> dict[str, Any]:
    return next(p for p in m["papers.json"] if p["key"] == key)


def subscription(m: Members) -> dict[str, Any]:
    (doc,) = m["parts/feeds.json"]["feeds"].values()
    return doc


def every_reading_command_works() -> str:
    """`list`, `stats`, `feeds list`, `show` and every export, as the user runs them; the BibTeX export."""
    rows = [json.loads(line) for line in cli("list", "--json").splitlines()]
    cli("list")
    cli("stats")
    cli("feeds", "list")
    cli("feeds", "list", "--json")
    cli("feeds", "export-opml", "-")
    for row in rows:
        cli("show", row["key"])
    exports = {fmt: cli("export", "--format", fmt.value) for fmt in ExportFormat} if rows else {}
    return exports.get(ExportFormat.BIBTEX, "")


def set_paper(**fields: Any) -> Callable[[Members], None]:
    return lambda m: paper(m).update(fields)


def set_state(**fields: Any) -> Callable[[Members], None]:
    return lambda m: m["states.json"][0].update(fields)


def set_subscription(**fields: Any) -> Callable[[Members], None]:
    return lambda m: subscription(m).update(fields)


def injected_paper(m: Members) -> None:
    m["papers.json"].append(
        {"key": f"arxiv:{INJECTED}", "title": "Harmless", "arxiv_id": INJECTED, "ids": [f"arxiv:{INJECTED}"]}
    )


# (the poison, what the restore's output must say about it, whether the paper NEW is still restored)
POISONS = {
    "authors-an-int": (set_paper(authors=42), f"skipped 1 damaged record: paper '{NEW}' (authors is not a list"),
    "feed-name-an-int": (set_subscription(name=7), "(name is not text)"),
    "state-starred-a-string": (set_state(starred="yes"), f"your state on '{NEW}' (starred is not true or false)"),
    "state-note-an-int": (set_state(note=3), f"your state on '{NEW}' (note is not text)"),
    "state-tags-not-text": (set_state(tags=[1, 2]), f"your state on '{NEW}' (tags is not a list of text)"),
    "state-stamp-a-number": (set_state(starred_at=1700000000), f"your state on '{NEW}' (starred_at 1700000000 is"),
    "arxiv-key-injection": (injected_paper, f"paper 'arxiv:{INJECTED}' (its key 'arxiv:{INJECTED}' is not a"),
    "arxiv-id-injection": (set_paper(arxiv_id=INJECTED), f"paper '{NEW}' (arxiv_id '{INJECTED}' is not an arXiv id)"),
    "javascript-link": (
        set_paper(url="javascript:alert(document.cookie)"),
        f"removed 1 link that is not a web address: paper '{NEW}' (url 'javascript:alert(document.cookie)')",
    ),
    "file-link": (
        set_paper(pdf_url="file:///home/me/.ssh/id_rsa"),
        f"removed 1 link that is not a web address: paper '{NEW}' (pdf_url 'file:///home/me/.ssh/id_rsa')",
    ),
    "file-subscription": (
        set_subscription(url="file:///etc/passwd"),
        f"subscription '{FEED_NAME}' (its address 'file:///etc/passwd' is not a web address)",
    ),
}


@pytest.mark.parametrize("poison", POISONS.values(), ids=POISONS.keys())
def test_a_poisoned_archive_is_restored_without_its_damage_and_the_library_stays_usable(
    data_dir: Path, good_archive: Path, poison: tuple[Callable[[Members], None], str]
) -> None:
    edit, said = poison
    out = cli("restore", "--from", str(poisoned(good_archive, edit)))
    assert said in out.splitlines()[0], out  # in the one line that sums up the restore

    bibtex = every_reading_command_works()
    assert "Injected" not in bibtex
    keys = {json.loads(line)["key"] for line in cli("list", "--json").splitlines()}
    assert OLD in keys  # the sound records came in
    everything = "".join(cli("export", "--format", f.value) for f in ExportFormat) + cli("feeds", "list", "--json")
    for text in ("javascript:", "file:", "Injected"):
        assert text not in everything


def test_a_bad_link_is_removed_and_the_paper_kept(data_dir: Path, good_archive: Path) -> None:
    cli("restore", "--from", str(poisoned(good_archive, set_paper(url="javascript:alert(1)"))))
    shown = cli("show", NEW)
    assert "Masked Diffusion Language Models" in shown and "javascript" not in shown
    assert "compare with MDLM" in shown  # the user's note came back with it


def test_the_state_of_a_skipped_paper_is_named_too(data_dir: Path, good_archive: Path) -> None:
    out = cli("restore", "--from", str(poisoned(good_archive, set_paper(title=["not", "text"]))))
    assert f"paper '{NEW}' (title is not text)" in out
    assert f"your state on 1 paper not restored, the paper being neither in the archive nor here: '{NEW}'" in out
    every_reading_command_works()


def test_a_good_archive_still_restores_everything(data_dir: Path, good_archive: Path, tmp_path: Path) -> None:
    out = cli("restore", "--from", str(good_archive))
    assert "2 papers added, 0 already here, your state changed on 1, added feeds" in out
    for word in ("skipped", "removed", "left out", "not restored"):
        assert word not in out
    source = ("--data-dir", str(tmp_path / "source"))
    assert cli("list", "--json") == cli(*source, "list", "--json")
    assert cli("show", NEW) == cli(*source, "show", NEW)
    assert cli("feeds", "list", "--json") == cli(*source, "feeds", "list", "--json")
    assert cli("export", "--format", "bibtex") == cli(*source, "export", "--format", "bibtex")
    assert "already here" in cli("restore", "--from", str(good_archive))  # and again: nothing doubles


def _papers_a_dict(m: Members) -> None:
    m["papers.json"] = {"0": m["papers.json"][0]}


def _states_text(m: Members) -> None:
    m["states.json"] = "starred"


def _part_a_list(m: Members) -> None:
    m["parts/feeds.json"] = [subscription(m)]


def _table_ids_not_numbers(m: Members) -> None:
    m["parts/feeds.json"]["feeds"] = {"first": subscription(m)}


BROKEN = {
    "papers-not-a-list": (_papers_a_dict, "its papers.json is not a list of papers"),
    "states-not-a-list": (_states_text, "its states.json is not a list of states"),
    "part-not-tables": (_part_a_list, "its part 'feeds' does not hold TinyDB tables"),
    "table-ids-not-numbers": (_table_ids_not_numbers, "its part 'feeds' does not hold TinyDB tables"),
}


@pytest.mark.parametrize("broken", BROKEN.values(), ids=BROKEN.keys())
def test_an_archive_of_the_wrong_shape_is_refused_whole(
    data_dir: Path, good_archive: Path, broken: tuple[Callable[[Members], None], str]
) -> None:
    feed = good_archive.with_name("cs.CL.xml")
    cli("import", str(feed))
    cli("star", OLD)
    before = (cli("list", "--json"), cli("feeds", "list", "--json"), cli("stats", "--json"))
    edit, reason = broken
    path = poisoned(good_archive, edit)
    code, out, err = run("restore", "--from", str(path))
    assert code == 1 and out == ""
    assert err.startswith("readinglist: error: ") and len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err and reason in err and "nothing was changed" in err
    assert (cli("list", "--json"), cli("feeds", "list", "--json"), cli("stats", "--json")) == before


def test_many_damaged_records_are_counted_and_the_first_named(data_dir: Path, good_archive: Path) -> None:
    def many(m: Members) -> None:
        m["papers.json"] += [{"key": f"arxiv:2402.{n:05d}", "title": n} for n in range(12)]

    out = cli("restore", "--from", str(poisoned(good_archive, many)))
    assert "skipped 12 damaged records: paper 'arxiv:2402.00000' (title is not text), " in out
    assert f"paper 'arxiv:2402.{LISTED - 1:05d}' (title is not text) and {12 - LISTED} more" in out
    assert "arxiv:2402.00011" not in out
    assert "2 papers added" in out


def test_parts_this_version_cannot_check_are_left_out_and_named(data_dir: Path, good_archive: Path) -> None:
    def unknown(m: Members) -> None:
        m["parts/plugins.json"] = {"hooks": {"1": {"run": "rm -rf ~"}}}
        m["parts/feeds.json"]["cookies"] = {"1": {"session": "x"}}

    out = cli("restore", "--from", str(poisoned(good_archive, unknown)))
    assert "left out what this readinglist cannot check: table 'cookies' of feeds, part 'plugins'" in out
    every_reading_command_works()


WRONG = [42, 1.5, True, "", "javascript:alert(1)", "not a date", [1, "x"], {"a": [1]}, None, "file:///etc/passwd"]


def _every_field_poisoned(m: Members) -> None:
    """One copy of each record per (field, wrong value): what the issue listed, and everything it did not."""
    template, state_template, feed_template = paper(m), m["states.json"][0], subscription(m)
    papers, states, feeds = m["papers.json"], m["states.json"], m["parts/feeds.json"]["feeds"]
    n = 0
    for name in sorted({*template, *PAPER_RULES, *PAPER_LINKS, "extra"}):
        for value in WRONG:
            n += 1
            key = f"arxiv:2403.{n:05d}"
            papers.append({**template, "key": key, "arxiv_id": key[6:], "ids": [key], name: value})
            papers.append({**template, "key": f"arxiv:2404.{n:05d}", "extra": {name: value}})
            states.append({**state_template, "key": f"arxiv:2404.{n:05d}"})
    for name in sorted({*state_template, *STATE_RULES}):
        for value in WRONG:
            n += 1
            key = f"arxiv:2405.{n:05d}"
            papers.append({**template, "key": key, "arxiv_id": key[6:], "ids": [key]})
            states.append({**state_template, "key": key, name: value})
    for name in sorted({*feed_template, *FEED_RULES, *FEED_LINKS}):
        for value in WRONG:
            n += 1
            feeds[str(n + 1)] = {**feed_template, "id": f"f-{n:08x}", "name": f"Feed {n}",
                                 "url": f"https://example.org/{n}.xml", name: value}  # fmt: skip


def test_any_wrong_value_in_any_field_leaves_a_usable_library(data_dir: Path, good_archive: Path) -> None:
    out = cli("restore", "--from", str(poisoned(good_archive, _every_field_poisoned)))
    assert "damaged records" in out and "more" in out
    bibtex = every_reading_command_works()
    assert "Injected" not in bibtex
    with Library.open(data_dir, writer=False) as library:
        assert len(library) > 100
        for doc in library.paper_docs():
            links = [doc.get("url"), doc.get("pdf_url"), *(v for v in doc.get("extra", {}).values() if ":" in str(v))]
            assert all(is_web_url(link) for link in links if link is not None), doc
        assert all(is_web_url(feed.url) for feed in library.feeds.feeds())
        assert len(library.feeds) > 10


def test_every_field_a_record_can_have_has_a_rule() -> None:
    # A new field of Feed or of a paper must say what it may hold before an archive can bring it in.
    assert {f.name for f in dataclasses.fields(Feed)} == {*FEED_RULES, *FEED_LINKS}
    assert {*PAPER_FIELDS, "ids"} == {*PAPER_RULES, *PAPER_LINKS, "key", "extra", "shown"}
    assert set(STATE_RULES) == {f.name for f in dataclasses.fields(PaperState)} - {"key"}
