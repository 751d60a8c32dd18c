"""BibTeX: the author's TeX kept as TeX, plain text escaped, names and arXiv's eprint fields as biblatex reads them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from readinglist.core.export.records import ExportRecord, PersonName, _is_article, cite_year, parse_authors
from readinglist.core.text import INLINE_MATH, has_tex

# ---- LaTeX text ---------------------------------------------------------------------------------------------------

_TEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += (c == "{") - (c == "}")
        if depth < 0:
            return False
    return depth == 0


# A text accent (\~ \' \" \^ \= \. \`): an error in math mode, where TeX wants \tilde and the like; a reader
# takes it for an accent on the closing $, and the math never ends.
_TEXT_ACCENT = re.compile(r"(?<!\\)(?:\\\\)*\\[~'\"^=.`]")


def split_math(text: str) -> list[tuple[bool, str]]:
    """Text as (is_math, piece) runs. Math that TeX or BibTeX would choke on stays text, to be escaped."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in INLINE_MATH.finditer(text):
        body = m.group()
        if not _balanced(body) or re.search(r"(?<!\\)[%#&]", body) or _TEXT_ACCENT.search(body):
            continue
        if m.start() > pos:
            out.append((False, text[pos : m.start()]))
        out.append((True, body))
        pos = m.end()
    if pos < len(text):
        out.append((False, text[pos:]))
    return out


def _escape_word(word: str, *, protect_case: bool = False) -> str:
    """Escape one whitespace-free run of text. Braces become \\{ \\} in matched pairs; an unmatched one becomes
    \\textbraceleft{} or \\textbraceright{}, because BibTeX counts braces without regard to backslashes.

    With `protect_case`, the word from its first to its last letter or digit is braced, so a style that changes
    a title's case leaves it alone: {BERT}, \\{{BERT}\\}:. Bracing the whole word could make a group that opens
    with a backslash ({\\{BERT\\}}), which BibTeX takes for an accent and changes the case inside after all.
    """
    if "{" not in word and "}" not in word:  # the common case, in one regex pass
        if not protect_case:
            return _TEX_PLAIN.sub(_tex_escape, word)
        alnum = [i for i, c in enumerate(word) if c.isalnum()]
        if not alnum:
            return _TEX_PLAIN.sub(_tex_escape, word)
        lead, core, tail = word[: alnum[0]], word[alnum[0] : alnum[-1] + 1], word[alnum[-1] + 1 :]
        return "".join((_TEX_PLAIN.sub(_tex_escape, lead), "{", _TEX_PLAIN.sub(_tex_escape, core), "}",
                        _TEX_PLAIN.sub(_tex_escape, tail)))  # fmt: skip
    paired: set[int] = set()
    stack: list[int] = []
    for i, c in enumerate(word):
        if c == "{":
            stack.append(i)
        elif c == "}" and stack:
            paired.update((stack.pop(), i))
    alnum = [i for i, c in enumerate(word) if c.isalnum()]
    first, last = (alnum[0], alnum[-1]) if protect_case and alnum else (-1, -1)
    out = []
    for i, c in enumerate(word):
        if i == first:
            out.append("{")
        if c == "{":
            out.append(r"\{" if i in paired else r"\textbraceleft{}")
        elif c == "}":
            out.append(r"\}" if i in paired else r"\textbraceright{}")
        else:
            out.append(_TEX_ESCAPES.get(c, c))
        if i == last:
            out.append("}")
    return "".join(out)


def _needs_protection(word: str) -> bool:
    """A capital after a word's first letter (BERT, GPT-4, iPhone, ImageNet) must survive a style that
    lower-cases titles; hyphens start new words (Large-Scale is plain title case). Zotero's rule."""
    for part in word.split("-"):
        rest = part.lstrip("([{\"'“‘")[1:]
        if rest != rest.lower():  # an upper-case letter after the first
            return True
    return False


def tex_text(text: str, *, protect_case: bool = False) -> str:
    """Plain text as the value of a BibTeX field: specials escaped, inline math kept, UTF-8 kept."""
    if not protect_case and not _TEX_SPECIAL.search(text):
        return text  # most abstracts and notes: nothing to do
    out = []
    for is_math, piece in split_math(text):
        if is_math:
            out.append(piece)
        elif not protect_case and "{" not in piece and "}" not in piece:
            out.append(_TEX_PLAIN.sub(_tex_escape, piece))  # no braces to pair: one pass over the text
        else:
            for token in _SPACES.split(piece):
                if not token or token.isspace():
                    out.append(token)
                else:
                    out.append(_escape_word(token, protect_case=protect_case and _needs_protection(token)))
    return "".join(out)


def bibtex_text(source: str, reading: str, *, protect_case: bool = False) -> str:
    """A title or abstract as a BibTeX value. Text the author wrote in TeX (arXiv's) stays TeX: commands, braces
    and math as written, only what would break the entry escaped (a bare &, %, #, or a $ that opens no math).
    Plain text is escaped whole. TeX that cannot be kept safely (unbalanced braces) goes out as its Unicode reading."""
    if has_tex(source) and _TEX_SOURCE.search(source):
        kept = _keep_tex(source, protect_case=protect_case)
        if kept is not None:
            return kept
        return tex_text(reading, protect_case=protect_case)
    return tex_text(source, protect_case=protect_case)


# A TeX command, an escaped special, a bare brace group or inline math: the marks of text written in TeX.
_TEX_SOURCE = re.compile(r"\\(?:[A-Za-z]+|[^A-Za-z\s])|\{[^{}]*\}|\$")
_TEX_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[&%#$_^]|[^\\&%#$_^]+|\\", re.DOTALL)
_KEEP_ESCAPES = {"&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$", "_": r"\_", "^": r"\textasciicircum{}"}


def _keep_tex(text: str, *, protect_case: bool) -> str | None:
    if not _balanced(text):
        return None
    out: list[str] = []
    for is_math, piece in split_math(text):
        if is_math:
            # In a title, math is braced so that a style changing the title's case leaves $N$ alone.
            out.append(f"{{{piece}}}" if protect_case else piece)
            continue
        for token in _SPACES.split(piece):
            if not token or token.isspace():
                out.append(token)
            elif protect_case and not _TEX_SPECIAL.search(token) and _needs_protection(token):
                out.append(_escape_word(token, protect_case=True))
            else:
                out.append("".join(_tex_token(m.group()) for m in _TEX_TOKEN.finditer(token)))
    return "".join(out)


def _tex_token(token: str) -> str:
    if token == "\\":
        return r"\textbackslash{}"  # a lone backslash at the end
    return _KEEP_ESCAPES.get(token, token)


_TEX_SPECIAL = re.compile(r"[\\&%$#_~^{}]")
_TEX_PLAIN = re.compile(r"[\\&%$#_~^]")
_SPACES = re.compile(r"(\s+)")


def _tex_escape(m: re.Match[str]) -> str:
    return _TEX_ESCAPES[m.group()]


def _tex_verbatim(text: str) -> str:
    """URLs and DOIs are read verbatim by biblatex and hyperref: only braces, which would end the field, change."""
    return text.replace("{", "%7B").replace("}", "%7D")


def _bibtex_name(name: PersonName) -> str:
    if name.literal:
        text = tex_text(name.literal)
        # A literal name is one name, whatever is in it ('Barnes and Noble'): brace it whole.
        return f"{{{text}}}" if re.search(r"\band\b|,", name.literal, re.IGNORECASE) else text
    parts = [tex_text(name.full_family)]
    if name.suffix:
        parts.append(tex_text(name.suffix))
    if name.given:
        parts.append(tex_text(name.given))
    if re.search(r"\band\b", " ".join(parts), re.IGNORECASE):
        parts = [f"{{{p}}}" if re.search(r"\band\b", p, re.IGNORECASE) else p for p in parts]
    return ", ".join(parts)


# ---- BibTeX -------------------------------------------------------------------------------------------------------


def bibtex_entry(record: ExportRecord, *, include_notes: bool = False) -> str:
    """One BibTeX entry: @article when a DOI and a journal reference say it was published, else @misc, with
    arXiv's eprint fields (biblatex and natbib styles print them as 'arXiv:1706.03762 [cs.CL]')."""
    paper, state, source = record.paper, record.state, record.tex
    # Names go out as the reader sees them (UTF-8, which biber and bibtex8 read): their TeX accents would only
    # get in the way of splitting them into parts. Title and abstract keep the author's TeX.
    names, et_al = parse_authors(paper.authors)
    authors = [_bibtex_name(n) for n in names]
    if et_al:
        authors.append("others")
    fields: list[tuple[str, str]] = [("title", bibtex_text(source.title, paper.title, protect_case=True))]
    if authors:
        fields.append(("author", " and ".join(authors)))
    article = _is_article(paper)
    if article and paper.journal_ref:
        fields.append(("journal", tex_text(paper.journal_ref)))
    year = cite_year(paper)
    if year:
        fields.append(("year", year))
    if paper.arxiv_id:
        fields += [("eprint", _tex_verbatim(paper.arxiv_id)), ("archivePrefix", "arXiv")]
        if paper.categories:
            fields.append(("primaryClass", tex_text(paper.categories[0])))
    if paper.doi:
        fields.append(("doi", _tex_verbatim(paper.doi)))
    url = paper.abs_url or paper.url
    if url:
        fields.append(("url", _tex_verbatim(url)))
    if paper.abstract:
        fields.append(("abstract", bibtex_text(source.abstract, paper.abstract)))
    if state.tags:
        fields.append(("keywords", tex_text(", ".join(state.tags))))
    if include_notes and state.note:
        fields.append(("annote", tex_text(state.note)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{'article' if article else 'misc'}{{{record.cite_key},\n{body}\n}}\n"


def bibtex_entries(records: Iterable[ExportRecord], *, include_notes: bool = False) -> str:
    """A .bib file's text: one entry per paper, a blank line between them."""
    return "\n".join(bibtex_entry(r, include_notes=include_notes) for r in records)
