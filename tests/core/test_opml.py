"""OPML in and out: real exports from NetNewsWire and newsboat, folders as groups, malformed files refused whole."""

from __future__ import annotations

from pathlib import Path

import keyring
import listparser
import pytest
from feedtools import DATA, MemoryKeyring, library_files_text

from readinglist.core.credentials import CredentialStore
from readinglist.core.feeds import FeedKind, FeedRegistry, FeedSpec
from readinglist.core.library import Library
from readinglist.core.opml import OpmlError, export_opml, import_opml, import_opml_file, read_opml


def test_netnewswire_export(registry: FeedRegistry) -> None:
    result = import_opml_file(registry, DATA / "netnewswire_Subs.opml")
    feeds = registry.feeds()
    assert len(feeds) == len(result.added) == 207 - len(result.skipped)
    assert len({f.url for f in feeds}) == len(feeds)
    assert {f.group for f in feeds} >= {"", "Programming"}
    assert any(not f.name.isascii() for f in feeds)
    assert result.summary().startswith(f"{len(result.added)} feeds added")


def test_newsboat_nesting_becomes_groups(registry: FeedRegistry) -> None:
    import_opml_file(registry, DATA / "newsboat_example.opml")
    groups = {f.name: f.group for f in registry.feeds()}
    assert groups["Notes by Mike"] == "Blogs/friends"
    assert groups["John's musings"] == "Blogs"
    assert groups["Fred on everything"] == "eloquent"
    assert groups["Distrowatch mirror"] == ""


def test_duplicates_are_skipped_within_the_file_and_against_existing_feeds(registry: FeedRegistry) -> None:
    registry.add(FeedSpec(url="https://example.com/feed.xml", name="Already here"))
    data = b"""<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
<outline text="A" xmlUrl="https://example.com/feed.xml"/>
<outline text="B" xmlUrl="https://example.com/b.xml"/>
<outline text="B again" xmlUrl="http://www.example.com/b.xml/"/>
<outline text="Local" xmlUrl="file:///home/me/feed.xml"/>
</body></opml>"""
    result = import_opml(registry, data, name="subs.opml")
    assert [f.name for f in result.added] == ["B"]
    reasons = dict(result.skipped)
    assert "already subscribed" in reasons["A"] and "already subscribed" in reasons["B again"]
    assert "not subscriptions" in reasons["Local"]
    assert len(registry) == 2


TRUNCATED = (
    b'<?xml version="1.0"?><opml version="2.0"><body><outline text="A" xmlUrl="https://a.example/f"/>'
    b'<outline text="B" xmlUrl="https://b.example/f"'
)
ENTITIES = (
    b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<opml><body><outline xmlUrl="https://a.example/&x;"/></body></opml>'
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (TRUNCATED, "not a well-formed OPML file"),
        (b"<html><body><p>Not OPML</p></body></html>", "not an OPML file"),
        (b"\xff\xfe\x00garbage", "not"),
        (ENTITIES, "entities"),
        (b'<?xml version="1.0"?><opml version="2.0"><body><outline text="x"/></body></opml>', "no feed addresses"),
    ],
)
def test_a_malformed_file_is_refused_and_nothing_is_imported(registry: FeedRegistry, data: bytes, message: str) -> None:
    with pytest.raises(OpmlError, match=message) as info:
        import_opml(registry, data, name="subs.opml")
    assert str(info.value).startswith("subs.opml")
    assert len(registry) == 0


def test_a_truncated_real_export_imports_nothing(registry: FeedRegistry) -> None:
    data = (DATA / "netnewswire_Subs.opml").read_bytes()
    with pytest.raises(OpmlError, match="line"):
        import_opml(registry, data[: len(data) // 2], name="Subs.opml")
    assert len(registry) == 0


def test_utf16_and_latin1_files(registry: FeedRegistry) -> None:
    text = (
        '<?xml version="1.0" encoding="{enc}"?><opml version="1.0"><body>'
        '<outline text="Café Über" xmlUrl="https://{host}.example/feed"/></body></opml>'
    )
    import_opml(registry, text.format(enc="utf-16", host="a").encode("utf-16"), name="a.opml")
    import_opml(registry, text.format(enc="iso-8859-1", host="b").encode("latin-1"), name="b.opml")
    assert [f.name for f in registry.feeds()] == ["Café Über", "Café Über (2)"]


def test_credentials_in_opml_addresses_go_to_the_keyring(registry: FeedRegistry, data_dir: Path) -> None:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        data = b'<opml version="2.0"><body><outline text="Private" xmlUrl="https://ann:hunter2@p.example/f"/></body></opml>'
        result = import_opml(registry, data, name="p.opml", credentials=CredentialStore())
        (feed,) = result.added
        assert feed.url == "https://p.example/f" and feed.auth == "basic"
        assert "hunter2" not in library_files_text(data_dir)
        assert "hunter2" not in export_opml(registry.feeds()).decode()
        assert any("hunter2" in v for v in backend.data.values())
    finally:
        keyring.set_keyring(previous)


def test_export_round_trips_with_groups(registry: FeedRegistry, tmp_path: Path) -> None:
    import_opml_file(registry, DATA / "newsboat_example.opml")
    registry.add(FeedSpec(url="cs.CL", group="arXiv"))
    registry.add(FeedSpec(url='cat:cs.CL AND abs:"masked"', group="arXiv/queries"))
    registry.add(FeedSpec(url="https://huggingface.co/api/daily_papers", name='Daily <papers> & "more"'))
    data = export_opml(registry.feeds())
    parsed = listparser.parse(data)
    assert not parsed.bozo and len(parsed.feeds) == len(registry)
    mike = next(f for f in parsed.feeds if f.title == "Notes by Mike")
    assert mike.categories == [["Blogs", "friends"]]
    # Into a second library: the same feeds, groups and kinds.
    with Library.open(tmp_path / "other") as other:
        second = FeedRegistry(other.store)
        import_opml(second, data, name="export.opml")
        mine = {(f.url, f.group, f.kind) for f in registry.feeds()}
        assert {(f.url, f.group, f.kind) for f in second.feeds()} == mine
        assert any(f.kind is FeedKind.ARXIV_QUERY for f in second.feeds())


def test_read_opml_ignores_outlines_without_addresses() -> None:
    specs = read_opml(
        b'<opml><body><outline text="folder"><outline text="f" xmlUrl="https://x.example/f"/></outline></body></opml>'
    )
    assert [(s.url, s.group) for s in specs] == [("https://x.example/f", "folder")]
