"""The fast paths of the text passes give what the passes they replace gave, character for character.

`_TexReader.read` copies runs of characters it does not act on in one step, and `_tidy` skips its passes for a line
that has nothing to tidy. The reader and the tidy pass as they were are kept here as the reference; both are run on
random text from an alphabet rich in what TeX and white space tidying act on, and on every title, author and
abstract of the samples and fixtures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import feedparser
from feedtools import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from readinglist.core import text
from readinglist.core.importer import parse_papers

_OLD_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def old_tidy(value: str) -> str:
    value = value.replace("\x00", "")
    paragraphs = [_OLD_SPACES.sub(" ", " ".join(p.split("\n"))).strip() for p in text._PARAS.split(value)]
    return "\n\n".join(p for p in paragraphs if p)


class OldReader(text._TexReader):
    """The reader as it was: one character a step (its other methods call `read`, so they recurse into this)."""

    def read(self, stop: str | None = None) -> str:
        out: list[str] = []
        s = self.s
        while self.i < len(s):
            ch = s[self.i]
            if stop is not None and ch == stop:
                return "".join(out)
            if ch == "\\":
                out.append(self._command())
            elif ch == "$":
                out.append(self._math())
            elif ch == "{":
                end = text._closing_brace(s, self.i)
                if end < 0:
                    out.append(ch)
                    self.i += 1
                else:
                    self.i += 1
                    out.append(self.read(stop="}"))
                    self.i = end + 1
            elif ch == "-" and s.startswith("--", self.i) and not text._is_option(s, self.i):
                if s.startswith("---", self.i):
                    out.append("—")
                    self.i += 3
                else:
                    out.append("–")
                    self.i += 2
            elif ch == "~" and 0 < self.i < len(s) - 1 and not s[self.i - 1].isspace() and s[self.i + 1].isalnum():
                out.append("\u00a0")
                self.i += 1
            else:
                out.append(ch)
                self.i += 1
        return "".join(out)


def _read(reader: type[text._TexReader], value: str) -> str:
    try:
        return reader(value).read()
    except Exception as exc:  # the same failure both ways is the same result (tex_to_unicode keeps the text)
        return f"<{type(exc).__name__}>"


def assert_same(value: str) -> None:
    assert _read(text._TexReader, value) == _read(OldReader, value), repr(value)
    assert text._tidy(value) == old_tidy(value), repr(value)


TEX_ALPHABET = (
    "\\${}-~^_'`\"=.,;:!/@%&# \t\n\r\f\v\u00a0\x00()[]<>|+*0123456789aeiouAEIOUbcdHvkrlLoOsSijtxyzéøß–—…αβ𝒪\u0301\u202e"
)
TEX_WORDS = (
    "\\emph{", "\\textbf{", "\\mathcal{O}", "\\log", "\\times", "\\ours", "\\'e", '\\"o', "\\^{\\i}", "\\o ",
    "\\ss{}", "\\textcolor{red}{", "\\href{https://x.org}{", "\\url{", "\\cite{a}", "\\(", "\\)", "$$", "$x^2$",
    "--", "---", "--help", "Fig.~3", " ~ ", "{\\bf ", "}", "{", "\\", "2^{16}", "x_i", "\\textsuperscript{2}",
    "\n\n", "  ", "$5 and $10", "\\%", "\\\\",
)  # fmt: skip
texts = st.lists(st.one_of(st.text(alphabet=TEX_ALPHABET, max_size=12), st.sampled_from(TEX_WORDS)), max_size=30).map(
    "".join
)


@settings(max_examples=3000, deadline=None)
@given(texts)
def test_the_fast_reader_and_tidy_equal_the_old_on_random_tex(value: str) -> None:
    assert_same(value)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=200))
def test_the_fast_reader_and_tidy_equal_the_old_on_any_text(value: str) -> None:
    assert_same(value)


def _sample_texts(shared: Path) -> Iterator[str]:
    paths = sorted((shared / "samples").glob("*.xml")) + sorted(FIXTURES.glob("*.xml"))
    for path in paths:
        data = path.read_bytes()
        parsed = feedparser.parse(data, sanitize_html=False)
        for entry in parsed.entries:
            for key in ("title", "summary", "author"):
                if isinstance(entry.get(key), str):
                    yield entry[key]
        try:
            papers = parse_papers(data, name=path.name).papers
        except Exception:
            continue
        for paper in papers:
            yield paper.title
            yield paper.abstract
            yield from paper.authors
            yield from paper.abstract.split("\n\n")
    for path in sorted((shared / "samples").glob("*.json")):
        for entry in json.loads(path.read_bytes()):
            paper = entry.get("paper") or {}
            for value in (paper.get("title"), paper.get("summary")):
                if isinstance(value, str):
                    yield value
            for author in paper.get("authors") or ():
                if isinstance(author.get("name"), str):
                    yield author["name"]


def test_the_fast_reader_and_tidy_equal_the_old_on_the_samples(shared: Path) -> None:
    seen = 0
    for value in _sample_texts(shared):
        assert_same(value)
        seen += 1
    assert seen > 500


def test_display_fields_reads_tex_as_before() -> None:
    shown = text.display_fields(
        "Sparse \\emph{routing} at $\\mathcal{O}(n \\log n)$ -- fast", ["Beno\\^it Sagot", "Ann Lee"], "Plain."
    )
    assert isinstance(shown, dict)
    assert shown["title"] == "Sparse routing at 𝒪(n\u00a0log\u00a0n) – fast"
    assert shown["authors"] == ["Benoît Sagot", "Ann Lee"]
    assert text.display_fields("Plain", ["Ann Lee"], "No TeX here.") == text.RENDER_VERSION
