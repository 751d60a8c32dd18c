"""The daily digest as the library makes it (core.digest): which papers, in which sections, once only, and how each
format shows them.

The library knows what the user likes (six starred papers on diffusion models, all read), follows Benoît Sagot and
mutes surveys; then a day brings papers of every kind: on diffusion (For you), by Sagot (followed), upvoted on
Hugging Face (Trending), a survey (muted), one the user read and one they said they were not interested in."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from readinglist.core import digest as dg
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper
from readinglist.core.rules import Action, Condition, Rule, new_rule_id

DIFFUSION = "We train denoising diffusion models with score matching for image generation and faster sampling."
HOSTILE = "Hot <script>alert('x')</script> & “friends” of attention"
BIDI = "Invoice \u202egpj.exe reading order"


def paper(
    number: str,
    title: str,
    *,
    authors: Sequence[str] = ("Ada Writer",),
    abstract: str = "We study a problem.",
    categories: Sequence[str] = ("cs.LG",),
    upvotes: int | None = None,
) -> IncomingPaper:
    return IncomingPaper(
        arxiv_id=number,
        title=title,
        authors=tuple(authors),
        abstract=abstract,
        categories=tuple(categories),
        pdf_url=f"https://arxiv.org/pdf/{number}",
        extra={"upvotes": upvotes} if upvotes is not None else {},
    )


EVIDENCE = [
    paper(f"2501.0000{n}", f"Denoising diffusion models for image synthesis, part {n}", abstract=DIFFUSION)
    for n in range(1, 7)
]

FOR_YOU = "arxiv:2502.00001"
FOLLOWED = "arxiv:2502.00002"
TRENDING = "arxiv:2502.00003"
MUTED = "arxiv:2502.00004"
READ = "arxiv:2502.00005"
DISMISSED = "arxiv:2502.00006"
OTHER = "arxiv:2502.00007"
ODD = "arxiv:2502.00008"

DAY = [
    paper("2502.00001", "Faster diffusion sampling for image generation", abstract=DIFFUSION, categories=("cs.CV",)),
    # Followed and upvoted: it is in one section only, the followed author's.
    paper(
        "2502.00002",
        "Parsing morphologically rich languages",
        authors=("Benoît Sagot", "Djamé Seddah"),
        abstract="Syntactic parsing of treebanks.",
        categories=("cs.CL",),
        upvotes=12,
    ),
    paper("2502.00003", HOSTILE, abstract="Everyone talks about it.", upvotes=42),
    # A survey by the followed author, upvoted: muted wins over everything.
    paper("2502.00004", "A survey of diffusion models", authors=("Benoît Sagot",), abstract=DIFFUSION, upvotes=99),
    paper("2502.00005", "Diffusion models, read already", abstract=DIFFUSION, upvotes=7),
    paper("2502.00006", "Diffusion models, not interested", authors=("Benoît Sagot",), abstract=DIFFUSION),
    paper("2502.00007", "Graph networks for molecules", abstract="Message passing on molecular graphs."),
    paper("2502.00008", BIDI, abstract="A title that tries to reorder what is shown."),
]
NEVER = {MUTED, READ, DISMISSED}


def follow_and_mute(lib: Library) -> None:
    lib.put_rules(
        [
            Rule(new_rule_id(), "follow Benoît Sagot", (Condition("author", "Benoît Sagot"),), Action.FOLLOW),
            Rule(new_rule_id(), "no surveys", (Condition("title", "survey"),), Action.MUTE),
        ]
    )


@pytest.fixture
def lib(library: Library) -> Library:
    library.add_papers(EVIDENCE, source="test")
    starred = [f"arxiv:{p.arxiv_id}" for p in EVIDENCE]
    library.set_starred(starred, True)
    library.set_read(starred, True)
    follow_and_mute(library)
    library.add_papers(DAY, source="test")
    library.set_read([READ], True)
    library.set_dismissed([DISMISSED], True)
    assert library.taste.model() is not None, "enough evidence for For you to rank"
    return library


def later() -> None:
    time.sleep(0.002)  # first_seen has microseconds: what comes after a digest is first seen after it


def section_keys(made: dg.Digest) -> dict[str, list[str]]:
    return {s: [e.key for e in entries] for s, entries in made.sections}


# ---- what goes in ------------------------------------------------------------------------------------------------


def test_sections_in_order_each_paper_once_and_never_muted_read_or_dismissed(lib: Library) -> None:
    made = dg.make_digest(lib)

    sections = section_keys(made)
    assert list(sections) == ["for-you", "following", "trending"]
    assert sections["following"] == [FOLLOWED]
    assert sections["trending"] == [TRENDING]
    assert sections["for-you"][0] == FOR_YOU  # the diffusion paper leads, by the user's taste
    assert set(sections["for-you"]) == {FOR_YOU, OTHER, ODD}
    assert len(made.keys) == len(set(made.keys)), "a paper is in one section only"
    assert not NEVER & set(made.keys)
    assert made.new_papers == 5  # muted, read and dismissed are not news

    entries = {e.key: e for _, es in made.sections for e in es}
    assert entries[FOLLOWED].why == ("by Benoît Sagot",)
    assert entries[TRENDING].why == ("42 upvotes",)
    assert entries[FOR_YOU].why  # For you says why in the paper's words
    assert made.subject.endswith(": 3 for you, 1 from authors you follow, 1 trending")


def test_at_most_limit_papers_and_only_the_chosen_sections(lib: Library) -> None:
    lib.add_papers(
        [paper(f"2502.001{n:02d}", f"Diffusion paper number {n}", abstract=DIFFUSION, upvotes=n) for n in range(30)],
        source="test",
    )
    for limit in (1, 2, 5, 12):
        made = dg.make_digest(lib, dg.DigestSettings(limit=limit))
        assert 1 <= len(made.keys) <= limit
        assert len(made.keys) == len(set(made.keys))
        assert not NEVER & set(made.keys)
    assert len(dg.make_digest(lib, dg.DigestSettings(limit=12)).keys) == 12

    only_trending = dg.make_digest(lib, dg.DigestSettings(sections=("trending",)))
    assert [s for s, _ in only_trending.sections] == ["trending"]
    assert only_trending.keys[:2] == (TRENDING, "arxiv:2502.00129")  # the most upvoted first (42, then 29)
    assert MUTED not in only_trending.keys and READ not in only_trending.keys

    no_following = dg.make_digest(lib, dg.DigestSettings(sections=("for-you", "trending")))
    assert "following" not in section_keys(no_following)


def test_without_enough_evidence_for_you_is_the_newest(library: Library) -> None:
    follow_and_mute(library)
    library.add_papers(DAY, source="test")

    made = dg.make_digest(library)

    assert library.taste.model() is None
    assert section_keys(made)["following"] == [FOLLOWED, DISMISSED]
    assert set(made.keys) == {f"arxiv:{p.arxiv_id}" for p in DAY} - {MUTED}


def test_what_was_sent_never_comes_again_and_the_next_holds_only_what_came_after(lib: Library) -> None:
    first = dg.make_digest(lib)
    dg.record_sent(lib, first, via="email to me@example.org")

    assert dg.make_digest(lib).empty
    assert dg.sent_today(lib) is not None
    assert dg.sent_today(lib, now=datetime.now(UTC) + timedelta(days=2)) is None
    [record] = dg.sent(lib)
    assert record.keys == first.keys and record.via == "email to me@example.org"

    later()
    lib.add_papers(
        [
            paper("2503.00001", "Diffusion transformers at scale", abstract=DIFFUSION),
            paper("2503.00002", "More parsing", authors=("Benoît Sagot",)),
            paper("2503.00003", "A survey of surveys", upvotes=500),
        ],
        source="test",
    )
    second = dg.make_digest(lib)

    assert set(second.keys) == {"arxiv:2503.00001", "arxiv:2503.00002"}
    assert not set(second.keys) & set(first.keys)
    assert section_keys(second)["following"] == ["arxiv:2503.00002"]
    assert second.since == record.made_at == first.made_at  # from when the first one was made
    dg.record_sent(lib, second, via="file")
    assert [d.keys for d in dg.sent(lib)] == [first.keys, second.keys]
    assert dg.make_digest(lib).empty


def test_a_paper_that_arrives_while_the_digest_is_sent_is_in_the_next_one(lib: Library) -> None:
    made = dg.make_digest(lib)
    later()
    lib.add_papers([paper("2503.00009", "Arrived during the send", abstract=DIFFUSION)], source="test")
    later()
    dg.record_sent(lib, made, via="email to me@example.org")

    assert "arxiv:2503.00009" in dg.make_digest(lib).keys


def test_the_first_digest_looks_back_one_day(lib: Library) -> None:
    assert dg.make_digest(lib, now=datetime.now(UTC) + timedelta(days=2)).empty
    assert not dg.make_digest(lib, now=datetime.now(UTC) + timedelta(hours=20)).empty


def test_settings_are_kept_in_the_library(lib: Library) -> None:
    assert dg.settings(lib) == dg.DigestSettings()
    mine = dg.DigestSettings(limit=7, sections=("following", "trending"), at="06:15", mail={"host": "smtp.x.org"})
    dg.save_settings(lib, mine)
    assert dg.settings(lib) == mine
    assert len(dg.make_digest(lib).keys) <= 7
    assert dg.DigestSettings.from_doc({"limit": 0, "sections": ["nonsense"]}) == dg.DigestSettings()
    assert dg.DigestSettings.from_doc({"limit": 500}).limit == dg.DEFAULT_LIMIT


# ---- how it is shown ---------------------------------------------------------------------------------------------


@dataclass
class Page(HTMLParser):
    """The links of an HTML page (href -> the text of the link), its text, and every tag that opened."""

    links: dict[str, list[str]] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    _href: str | None = None
    _words: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self._href, self._words = dict(attrs).get("href") or "", []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.setdefault(self._href, []).append("".join(self._words))
            self._href = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._href is not None:
            self._words.append(data)


def parsed(markup: str) -> Page:
    page = Page()
    page.feed(markup)
    page.close()
    return page


def test_html_links_every_paper_and_keeps_hostile_titles_as_text(lib: Library) -> None:
    made = dg.make_digest(lib)
    markup = dg.to_html(made)
    page = parsed(markup)

    assert "script" not in page.tags
    assert "<script>" not in markup
    assert "\u202e" not in markup
    for _, entries in made.sections:
        for e in entries:
            number = e.key.removeprefix("arxiv:")
            shown = e.title.replace("\u202e", "\\u202e")
            assert page.links[f"https://arxiv.org/abs/{number}"] == [shown, "arXiv"]
            assert page.links[f"https://arxiv.org/pdf/{number}"] == ["PDF"]
            assert page.links[f"readinglist://paper/{e.key}"] == ["Open in Reading List"]
    text = "".join(page.text)
    assert HOSTILE in text  # decoded from the page: the very title, as text
    assert "Invoice \\u202egpj.exe reading order" in text
    assert "Benoît Sagot, Djamé Seddah" in text
    assert "Why: by Benoît Sagot" in text and "Why: 42 upvotes" in text
    for title in ("For you", "From authors you follow", "Trending"):
        assert title in text
    assert "5 new papers since the previous digest" in text


def test_text_and_markdown_hold_the_same_titles_and_links(lib: Library) -> None:
    made = dg.make_digest(lib)
    text, markdown = dg.to_text(made), dg.to_markdown(made)

    assert "Invoice \\u202egpj.exe reading order" in text
    assert "Invoice \\\\u202egpj.exe reading order" in markdown  # Markdown shows \\ as one backslash
    for output in (text, markdown):
        assert "\u202e" not in output
        for _, entries in made.sections:
            for e in entries:
                assert f"https://arxiv.org/abs/{e.key.removeprefix('arxiv:')}" in output
                assert f"https://arxiv.org/pdf/{e.key.removeprefix('arxiv:')}" in output
                assert f"readinglist://paper/{e.key}" in output
        for title in ("For you", "From authors you follow", "Trending"):
            assert title in output
    for title in ("Faster diffusion sampling for image generation", "Parsing morphologically rich languages"):
        assert f"1. {title}" in text or f". {title}\n" in text
        assert f"**[{title}](<https://arxiv.org/abs/" in markdown
    assert f". {HOSTILE}\n" in text  # plain text is shown as it is
    assert text.index("For you\n=======") < text.index("From authors you follow") < text.index("Trending\n")
    assert markdown.index("## For you") < markdown.index("## From authors you follow") < markdown.index("## Trending")


def test_markdown_escapes_what_would_be_formatting(library: Library) -> None:
    library.add_papers([paper("2502.00010", "Learning *fast* with snake_case and [brackets]")], source="test")
    markdown = dg.to_markdown(dg.make_digest(library))
    assert "Learning \\*fast\\* with snake\\_case and \\[brackets\\]" in markdown


def test_markdown_keeps_a_tag_in_a_title_as_text(library: Library) -> None:
    library.add_papers([paper("2502.00003", HOSTILE, upvotes=42)], source="test")
    markdown = dg.to_markdown(dg.make_digest(library))
    assert "<script>" not in markdown


def test_an_empty_digest_says_so_in_every_format(library: Library) -> None:
    made = dg.make_digest(library)

    assert made.empty and made.keys == () and made.new_papers == 0
    assert made.subject.endswith(": nothing new")
    for name, write in dg.FORMATS.items():
        output = write(made)
        assert "Nothing new since the previous digest." in output, name
        assert "nothing new" in output, name  # the subject
    assert "Nothing new since the previous digest." in "".join(parsed(dg.to_html(made)).text)


def test_paper_link_opens_the_paper_in_the_app() -> None:
    assert dg.paper_link("arxiv:2502.00001") == "readinglist://paper/arxiv:2502.00001"
    assert dg.paper_link("web:a b/c?d") == "readinglist://paper/web:a%20b%2Fc%3Fd"


# ---- what a refresh brought --------------------------------------------------------------------------------------


def test_arrival_counts_what_is_new_for_you_and_followed(library: Library) -> None:
    library.add_papers(EVIDENCE, source="test")
    starred = [f"arxiv:{p.arxiv_id}" for p in EVIDENCE]
    library.set_starred(starred, True)
    library.set_read(starred, True)
    follow_and_mute(library)
    brought = library.add_papers(DAY, source="test").new
    library.set_read([READ], True)

    came = dg.arrival(library, brought, top=1)

    # Muted and read papers are not news: 8 came, the survey is muted, one was read.
    assert came.new == 6
    assert came.following == 2  # the parsing paper and the dismissed one; the muted survey is not counted
    assert came.for_you == 1  # the top one of For you is among them
    assert came.text == "6 new, 1 for you, 2 from authors you follow"
    assert came.summary == "6 new papers"
    assert dg.arrival(library, [*brought, *brought], top=1) == came  # a key twice counts once


def test_arrival_words() -> None:
    assert dg.Arrival(14, 3, 1).text == "14 new, 3 for you, 1 from authors you follow"
    assert dg.Arrival(1, 0, 0).summary == "1 new paper"
    assert dg.Arrival(1234, 0, 0).text == "1,234 new"
    assert dg.Arrival(5, 0, 2).text == "5 new, 2 from authors you follow"
    assert dg.Arrival(5, 0, 0).body == "in your feeds"


def test_no_papers_arrived(library: Library) -> None:
    assert dg.arrival(library, []).new == 0
    assert dg.arrival(library, ["arxiv:2599.99999"]) == dg.Arrival(0, 0, 0)
    assert dg.arrival(library, []).text == "0 new"
    follow_and_mute(library)
    only_muted = library.add_papers([paper("2502.00004", "A survey of it all")], source="test").new
    assert dg.arrival(library, only_muted).new == 0
