"""Paper text: what a feed sends made into the source text we keep, and that source (TeX as authors type it) made
into the Unicode that is shown, searched and exported.

Two decisions live here and nowhere else:
- A feed's text is plain or HTML by what the feed says it is (feedparser's content type). Plain text keeps every
  character, `<think>` and `p < 0.001` included; only real HTML has its markup turned into text.
- TeX in that text (`Beno\\^it`, `\\emph{sparse}`, `$\\mathcal{O}(n \\log n)$`) is shown as Unicode. Accents, letters,
  escapes and text commands are converted here by table; inline math goes through pylatexenc's latex2text, which
  knows the symbols. A macro nobody knows (`\\ours`, an author's own) is kept as typed, never deleted.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

# Bump when the rendering of TeX changes: stored renderings of an older version are ignored and redone.
RENDER_VERSION = 1

# ---- feed text: plain or HTML ---------------------------------------------------------------------------------


_HTML_ELEMENTS = (
    "a abbr acronym address area article aside b bdi bdo big blockquote body br caption center cite code "
    "col colgroup dd del details dfn dir div dl dt em figcaption figure font footer form h1 h2 h3 h4 h5 "
    "h6 head header hr html i img input ins kbd label legend li link main mark math meta nav noscript "
    "object ol optgroup option p picture pre q rp rt ruby s samp script section select small source span "
    "strike strong style sub summary sup svg table tbody td template textarea tfoot th thead time title "
    "tr tt u ul var video wbr iframe embed mi mo mn msup msub mrow mfrac msqrt mtext semantics annotation "
    "jats:p jats:italic jats:bold jats:sup jats:sub jats:title jats:sec"
)


@functools.cache
def _text_extractor() -> type[Any]:
    """`_TextExtractor`, made at first use: html.parser is loaded by what reads HTML (an import), not by `list`."""
    from html.parser import HTMLParser

    class _TextExtractor(HTMLParser):
        _BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"})
        _SKIP = frozenset({"script", "style", "head", "title", "iframe", "object", "embed", "noscript", "template"})
        # Elements of HTML as feeds use it. A tag outside this set in an HTML abstract ("<think>", "<mask>") is the
        # author's text that a feed failed to escape, so it is kept as text rather than deleted.
        _HTML = frozenset(_HTML_ELEMENTS.split())

        def __init__(self, keep_unknown: bool) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self._skip = 0
            self._keep_unknown = keep_unknown

        def _unknown(self, tag: str) -> bool:
            return self._keep_unknown and tag not in self._HTML

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if self._unknown(tag):
                self.handle_data(self.get_starttag_text() or "")
            elif tag in self._SKIP:
                self._skip += 1
            elif tag in self._BLOCK:
                self.parts.append("\n")

        def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if self._unknown(tag):
                self.handle_data(self.get_starttag_text() or "")
            elif tag in self._BLOCK:
                self.parts.append("\n")

        def handle_endtag(self, tag: str) -> None:
            if self._unknown(tag):
                self.handle_data(f"</{tag}>")
            elif tag in self._SKIP:
                self._skip = max(0, self._skip - 1)
            elif tag in self._BLOCK:
                self.parts.append("\n")

        def handle_data(self, data: str) -> None:
            if not self._skip:
                self.parts.append(data)

    return _TextExtractor


# A run of spaces other than one plain space (which would be replaced by itself): the same result as replacing
# every run of [ \t\r\f\v\u00a0]+ with one space, with far fewer replacements.
_SPACES = re.compile(r"[\t\r\f\v\u00a0][ \t\r\f\v\u00a0]*| [ \t\r\f\v\u00a0]+")
_PARAS = re.compile(r"\s*\n\s*\n\s*")
_UNTIDY = re.compile(r"[\x00\n\t\r\f\v\u00a0]|  ")


# C0 controls but tab, newline and carriage return, DEL and C1 controls (0x9b is a one-byte CSI), and the bidi
# controls that reorder what follows them (a file named "report\u202egnp.exe" is shown as "reportexe.png").
_UNSAFE_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible_controls(text: str) -> str:
    """`text` with control and bidi-override characters written as visible escapes ("\\x1b", "\\u202e"), for a
    terminal or a window: feeds are not trusted to reorder or restyle what is shown. Natural right-to-left text is
    untouched (it needs no control characters)."""
    return _UNSAFE_CONTROLS.sub(_visible, text)


def _tidy(text: str) -> str:
    """Whitespace normalised within paragraphs, paragraph breaks kept, NULs dropped."""
    if _UNTIDY.search(text) is None:
        # One line, no NUL and no white space but single plain spaces: the passes below only strip it.
        return text.strip()
    text = text.replace("\x00", "")
    # A paragraph break needs two newlines: with fewer, the split would give the text back whole.
    parts = _PARAS.split(text) if text.count("\n") >= 2 else [text]
    paragraphs = [_joined(p) for p in parts]
    return "\n\n".join(p for p in paragraphs if p)


def _joined(paragraph: str) -> str:
    """A paragraph's lines joined and its runs of white space made one space, trimmed."""
    if paragraph.isascii() and not (
        "\x1c" in paragraph or "\x1d" in paragraph or "\x1e" in paragraph or "\x1f" in paragraph
    ):
        # Its white space is then [ \t\n\r\v\f] alone, all of which the pass below makes one space and trims: the
        # same by replacing (each a scan in C; an abstract has a newline or two and a double space at most), several
        # times faster than the pattern (an abstract is read this way at each import).
        for c in "\t\n\r\x0b\x0c":
            if c in paragraph:
                paragraph = paragraph.replace(c, " ")
        while "  " in paragraph:
            paragraph = paragraph.replace("  ", " ")
        return paragraph.strip()
    return _SPACES.sub(" ", " ".join(paragraph.split("\n"))).strip()


def html_to_text(markup: str | None, *, keep_unknown_tags: bool = True) -> str:
    """HTML to readable text: tags removed (script and style with their content), entities decoded, whitespace
    normalised, paragraph breaks kept. Tags that are not HTML are kept as text (see `_TextExtractor`)."""
    if not markup:
        return ""
    if "<" in markup or "&" in markup:
        import html

        parser = _text_extractor()(keep_unknown_tags)
        try:
            parser.feed(markup)
            parser.close()
            text = "".join(parser.parts)
        except Exception:  # HTMLParser is lenient; this is a last resort for pathological input
            text = re.sub(r"<[^>]*>", " ", markup)
        text = html.unescape(text)
    else:
        text = markup
    return _tidy(text)


def plain(text: str | None) -> str:
    """Text a feed marks as plain: every character kept, whitespace normalised."""
    return _tidy(text) if text else ""


def is_html(content_type: str | None) -> bool:
    return bool(content_type) and ("html" in str(content_type).lower())


def feed_text(value: Any, content_type: str | None = None) -> str:
    """A feed's text field as source text: HTML made into text only when the feed says it is HTML."""
    if not isinstance(value, str):
        return ""
    return html_to_text(value) if is_html(content_type) else plain(value)


def one_line(text: str | None, content_type: str | None = "text/html") -> str:
    """A short field (a title, a name) on one line. Without a content type it is treated as HTML, as feeds
    that do not say usually mean."""
    return " ".join(feed_text(text, content_type).split())


def stripped_by_old_importer(text: str) -> str:
    """What versions before RENDER_VERSION 1 stored for `text`: every <...> deleted as if it were HTML. A stored
    field equal to this is a damaged copy of `text`, which a new sighting of the paper repairs."""
    return html_to_text(text, keep_unknown_tags=False)


# Inline math as arXiv authors write it in titles and abstracts ($O(n^2)$), by pandoc's rule: no space just inside
# the dollars, and no digit right after the closing one ("$5 and $10" is money, not math).
INLINE_MATH = re.compile(r"\$(?=[^\s$])(?:[^$\\]|\\.)+?(?<=[^\s\\])\$(?!\d)")


# ---- TeX to Unicode -------------------------------------------------------------------------------------------

# Accent commands and the combining mark each puts on the letter that follows.
_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304", ".": "\u0307",
    "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328", "r": "\u030a", "d": "\u0323",
    "b": "\u0331",
}  # fmt: skip
_LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "l": "ł",
    "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ", "ng": "ŋ", "NG": "Ŋ",
    "S": "§", "P": "¶", "dag": "†", "ddag": "‡", "copyright": "©", "pounds": "£", "euro": "€", "textdegree": "°",
    "ldots": "…", "dots": "…", "textendash": "–", "textemdash": "—", "textquoteright": "’", "textquoteleft": "‘",
    "LaTeX": "LaTeX", "TeX": "TeX", "BibTeX": "BibTeX", "textbackslash": "\\", "textasciitilde": "~",
    "textasciicircum": "^", "textbraceleft": "{", "textbraceright": "}", "textbar": "|", "textless": "<",
    "textgreater": ">", "textregistered": "®",
    "texttrademark": "™", "textbullet": "•", "slash": "/", "quad": " ", "qquad": " ", "newline": " ",
    "par": " ", "noindent": "", "relax": "", "xspace": "", "smallskip": "", "medskip": "", "bigskip": "",
    "centering": "", "protect": "",
}  # fmt: skip
# Commands whose one argument is the text itself.
_TEXT_COMMAND_NAMES = (
    "emph textbf textit textsc texttt textrm textsf textsl textup textmd textnormal text mbox hbox fbox "
    "underline uline textsuperscript textsubscript bf it sc tt rm sf sl em boldsymbol mathrm mathbf "
    "mathit mathsf mathtt mathnormal operatorname textcolor footnote"
)
_TEXT_COMMANDS = frozenset(_TEXT_COMMAND_NAMES.split())
_ESCAPES = {"%": "%", "&": "&", "#": "#", "_": "_", "$": "$", "{": "{", "}": "}", " ": " ", ",": " ", ";": " ",
            ":": " ", "!": "", "-": "", "/": "", "@": "", "\\": " "}  # fmt: skip

_SUP = dict(
    zip(
        "0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVW",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ",
        strict=True,
    )
)
_SUB = dict(zip("0123456789+-=()aeoxhklmnpstijruv", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ", strict=True))


def has_tex(text: str) -> bool:
    """Whether `text` may hold TeX: a backslash, a dollar, a brace or "--" (five substring tests in C are several
    times faster over an abstract than one regex search for the same characters)."""
    return bool(text) and ("\\" in text or "$" in text or "{" in text or "}" in text or "--" in text)


@functools.lru_cache(maxsize=8192)
def tex_to_unicode(text: str) -> str:
    """The Unicode reading of a field that may carry TeX. Text without TeX comes back unchanged; anything the
    converter cannot read is left as typed."""
    if not has_tex(text):
        return text
    try:
        out = _TexReader(text).read()
    except Exception:  # a reading must never cost the user the text
        return text
    return re.sub(r"[ \t]{2,}", " ", out).strip() if out.strip() else text


# The characters `_TexReader.read` acts on (everything else it copies as it is), and a run of the others. A stop
# character other than "}" would have to be added here.
_ACTIVE = frozenset("\\${}-~")
_PLAIN_RUN = re.compile(r"[^\\${}\-~]+")


class _TexReader:
    """A small recursive reader over TeX as it appears in titles, names and abstracts (not whole documents)."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def read(self, stop: str | None = None) -> str:
        out: list[str] = []
        s = self.s
        while self.i < len(s):
            ch = s[self.i]
            if ch not in _ACTIVE:
                # A run of characters the reader copies as they are, in one step (the loop below would append
                # them one by one to the same effect). `stop` is "}" or None, and "}" is active.
                end = _PLAIN_RUN.match(s, self.i).end()  # type: ignore[union-attr]  # ch itself matches
                out.append(s[self.i : end])
                self.i = end
                continue
            if stop is not None and ch == stop:
                return "".join(out)
            if ch == "\\":
                out.append(self._command())
            elif ch == "$":
                out.append(self._math())
            elif ch == "{":
                end = _closing_brace(s, self.i)
                if end < 0:
                    out.append(ch)
                    self.i += 1
                else:
                    self.i += 1
                    out.append(self.read(stop="}"))
                    self.i = end + 1
            elif ch == "-" and s.startswith("--", self.i) and not _is_option(s, self.i):
                if s.startswith("---", self.i):
                    out.append("—")
                    self.i += 3
                else:
                    out.append("–")
                    self.i += 2
            elif ch == "~" and 0 < self.i < len(s) - 1 and not s[self.i - 1].isspace() and s[self.i + 1].isalnum():
                out.append("\u00a0")  # a TeX tie: "Fig.~3"
                self.i += 1
            else:
                out.append(ch)
                self.i += 1
        return "".join(out)

    def _group_or_char(self) -> str:
        """The argument of an accent: `{e}`, `e`, or `\\i`."""
        s = self.s
        while self.i < len(s) and s[self.i] == " ":
            self.i += 1
        if self.i >= len(s):
            return ""
        if s[self.i] == "{":
            end = _closing_brace(s, self.i)
            if end < 0:
                return ""
            self.i += 1
            inner = self.read(stop="}")
            self.i = end + 1
            return inner
        if s[self.i] == "\\":
            return self._command()
        ch = s[self.i]
        self.i += 1
        return ch

    def _arg(self) -> str | None:
        """A braced argument read as text, or None when no brace follows."""
        s = self.s
        j = self.i
        while j < len(s) and s[j] == " ":
            j += 1
        if j >= len(s) or s[j] != "{":
            return None
        end = _closing_brace(s, j)
        if end < 0:
            return None
        self.i = j + 1
        inner = self.read(stop="}")
        self.i = end + 1
        return inner

    def _raw_arg(self) -> str | None:
        s = self.s
        if self.i < len(s) and s[self.i] == "{":
            end = _closing_brace(s, self.i)
            if end >= 0:
                raw = s[self.i + 1 : end]
                self.i = end + 1
                return raw
        return None

    def _command(self) -> str:
        s = self.s
        start = self.i
        self.i += 1
        if self.i >= len(s):
            return "\\"
        ch = s[self.i]
        if not ch.isalpha():
            self.i += 1
            if ch in _ACCENTS:
                return _accented(self._group_or_char(), _ACCENTS[ch])
            if ch == "(":
                end = s.find("\\)", self.i)
                if end >= 0:
                    inner = s[self.i : end]
                    self.i = end + 2
                    return math_to_unicode(inner)
                return s[start : self.i]
            return _ESCAPES.get(ch, s[start : self.i])
        j = self.i
        while j < len(s) and s[j].isalpha():
            j += 1
        name = s[self.i : j]
        self.i = j
        if name in _ACCENTS and len(name) == 1 and (j >= len(s) or not s[j].isalpha()):
            return _accented(self._group_or_char(), _ACCENTS[name])
        if name in _LETTERS:
            letter = _LETTERS[name]
            self._eat_empty_group_or_space(eat_space=len(letter) == 1 and letter.isalpha())
            return letter
        if name in _TEXT_COMMANDS:
            if name == "textcolor":
                self._raw_arg()
            arg = self._arg()
            if arg is None:
                self._eat_space()
                return ""  # a declaration like {\bf text}: the group around it carries the text
            if name == "textsuperscript":
                return _scripted(arg, _SUP) or arg
            if name == "textsubscript":
                return _scripted(arg, _SUB) or arg
            return arg
        if name == "href":
            self._raw_arg()
            return self._arg() or ""
        if name == "url":
            return self._raw_arg() or ""
        if name in ("cite", "citep", "citet", "ref", "eqref", "label"):
            raw = self._raw_arg()
            return f"[{raw}]" if raw and name != "label" else ""
        if name in ("footnotemark", "index", "vspace", "hspace"):
            self._raw_arg()
            return ""
        # An unknown command: math symbols (`\times`, `\sim` outside $...$) pylatexenc knows; an author's own macro
        # (`\ours`) is kept as typed, with its empty braces dropped.
        symbol = _math_symbol(name)
        self._eat_empty_group_or_space()
        return symbol if symbol is not None else f"\\{name}"

    def _eat_space(self) -> None:
        while self.i < len(self.s) and self.s[self.i] == " ":
            self.i += 1

    def _eat_empty_group_or_space(self, *, eat_space: bool = False) -> None:
        """`\\o{}` ends a command; so does one space, which TeX swallows ("Bj\\o rn" is Bjørn)."""
        s = self.s
        if s.startswith("{}", self.i):
            self.i += 2
        elif eat_space and s.startswith(" ", self.i) and self.i + 1 < len(s) and s[self.i + 1].isalpha():
            self.i += 1

    def _math(self) -> str:
        """`$...$` (or `$$...$$`) by Pandoc's rule: no space just inside the dollars, no digit right after the
        closing one; else the dollar is a dollar ("costs $5 and $10")."""
        s = self.s
        start = self.i
        double = s.startswith("$$", start)
        open_len = 2 if double else 1
        body_start = start + open_len
        end = body_start
        while True:
            end = s.find("$$" if double else "$", end)
            if end < 0:
                break
            if s[end - 1] != "\\":
                break
            end += 1
        if (
            end < 0
            or end == body_start
            or (not double and (s[body_start].isspace() or s[end - 1].isspace()))
            or (not double and end + 1 < len(s) and s[end + 1].isdigit() and not _MATHY.search(s[body_start:end]))
        ):
            self.i += 1
            return "$"
        self.i = end + open_len
        return math_to_unicode(s[body_start:end])


_MATHY = re.compile(r"[\\^_{]")


def _is_option(s: str, i: int) -> bool:
    """`--help` after a space is a command-line option, not a dash."""
    return (i == 0 or s[i - 1].isspace()) and i + 2 < len(s) and s[i + 2].isalpha()


def _closing_brace(s: str, i: int) -> int:
    depth = 0
    j = i
    while j < len(s):
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return -1


def _accented(base: str, mark: str) -> str:
    if not base:
        return unicodedata.normalize("NFC", "\u00a0" + mark).strip()
    if base == "ı" or base == "ȷ":  # \^{\i}: the dotless letter takes the accent
        base = "i" if base == "ı" else "j"
    return unicodedata.normalize("NFC", base[0] + mark + base[1:])


def _scripted(text: str, table: Mapping[str, str]) -> str | None:
    text = text.strip()
    if text and all(c in table for c in text):
        return "".join(table[c] for c in text)
    return None


_SCRIPT = re.compile(r"([\^_])(?:\{([^{}\\]*)\}|([0-9A-Za-z+\-]))")


def _scripts(math: str) -> str:
    """`2^{16}` as 2¹⁶ and `x_i` as xᵢ where Unicode has every character; else left for latex2text."""

    def repl(m: re.Match[str]) -> str:
        body = m.group(2) if m.group(2) is not None else m.group(3)
        out = _scripted(body, _SUP if m.group(1) == "^" else _SUB)
        return out if out is not None else m.group(0)

    return _SCRIPT.sub(repl, math)


@functools.lru_cache(maxsize=1)
def _latex2text() -> Any:
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    db = get_default_latex_context_db()
    # Unknown macros are kept as typed (latex2text would drop them); epsilon as readers write it.
    db.set_unknown_macro_spec(MacroTextSpec("", simplify_repl=lambda n, *a, **k: f"\\{n.macroname}"))
    db.add_context_category(
        "readinglist",
        macros=[MacroTextSpec("epsilon", "ε"), MacroTextSpec("ell", "ℓ"), MacroTextSpec("%", "%")],
        prepend=True,
    )
    return LatexNodes2Text(latex_context=db, math_mode="text")


@functools.lru_cache(maxsize=512)
def _math_symbol(name: str) -> str | None:
    """What latex2text makes of `\\name` alone, or None when it does not know it."""
    try:
        out = _latex2text().latex_to_text(f"\\{name}")
    except Exception:
        return None
    return None if out == f"\\{name}" or not out.strip() else str(out)


@functools.lru_cache(maxsize=8192)
def math_to_unicode(math: str) -> str:
    """Inline math as readable text: `\\mathcal{O}(n \\log n)` → 𝒪(n log n), `\\epsilon` → ε, `2^{16}` → 2¹⁶."""
    body = _scripts(math.strip())
    body = re.sub(r"(?<!\\)%", r"\\%", body)  # a bare % in math is a percent, not a comment
    try:
        out = str(_latex2text().latex_to_text(f"${body}$"))
    except Exception:
        return f"${math}$"
    # Spaces inside a formula do not break: "𝒪(n log n)" is not wrapped mid-formula (a formula longer than the
    # line still wraps where it must).
    out = re.sub(r"√\((\w)\)", r"√\1", out)  # √n, as written by hand; √(n+1) keeps its parentheses
    out = re.sub(r"\s+", "\u00a0", out.strip())
    return out if out else f"${math}$"


# ---- a paper's shown text -------------------------------------------------------------------------------------


def display_fields(title: str, authors: Sequence[str], abstract: str) -> dict[str, Any] | int:
    """A paper's stored reading (its "shown" field): the Unicode readings that differ from the source, with
    RENDER_VERSION and a checksum of the source they were made from; or RENDER_VERSION alone when the source
    reads as it is (so that opening a library never has to look for TeX again). A better rendering later bumps
    RENDER_VERSION, and stored readings of the old version are redone, with no re-import."""
    shown: dict[str, Any] = {}
    t = tex_to_unicode(title)
    if t != title:
        shown["title"] = t
    names = [tex_to_unicode(a) for a in authors]
    if names != list(authors):
        shown["authors"] = names
    a = "\n\n".join(tex_to_unicode(p) for p in abstract.split("\n\n")) if has_tex(abstract) else abstract
    if a != abstract:
        shown["abstract"] = a
    if not shown:
        return RENDER_VERSION
    shown["v"] = RENDER_VERSION
    shown["of"] = source_checksum(title, authors, abstract)
    return shown


def source_checksum(title: str, authors: Sequence[str], abstract: str) -> int:
    """Ties a stored reading to the source it was made from: an edit elsewhere (a merge, a restore) that changes
    the source without redoing the reading is noticed, and the reading redone."""
    return zlib.crc32("\x1f".join((title, "\x1e".join(authors), abstract)).encode("utf-8"))


def shown(doc: Mapping[str, Any]) -> tuple[str, tuple[str, ...], str]:
    """A paper document's title, authors and abstract as a reader sees them."""
    title = doc.get("title", "") or ""
    authors = doc.get("authors") or ()
    abstract = doc.get("abstract", "") or ""
    stored = doc.get("shown")
    if stored == RENDER_VERSION:
        return title, tuple(authors), abstract
    if (
        not isinstance(stored, Mapping)
        or stored.get("v") != RENDER_VERSION
        or stored.get("of") != source_checksum(title, authors, abstract)
    ):
        # A document from before readings were stored, or of an older rendering: read it now.
        stored = display_fields(title, authors, abstract)
        if not isinstance(stored, Mapping):
            return title, tuple(authors), abstract
    return (
        stored.get("title", title),
        tuple(stored.get("authors", authors)),
        stored.get("abstract", abstract),
    )


def shown_title(doc: Mapping[str, Any]) -> str:
    """The title as shown, for sorting: only the title is looked at."""
    title = doc.get("title", "") or ""
    stored = doc.get("shown")
    if stored == RENDER_VERSION:
        return str(title)
    if isinstance(stored, Mapping) and stored.get("v") == RENDER_VERSION:
        return str(stored.get("title", title))
    return tex_to_unicode(title)


_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_NON_ASCII = re.compile("[^\x00-\x7f]")


def fold(text: str) -> str:
    """Lowercase without accents, for matching "Benoit" with "Benoît"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if decomposed.isascii():
        return decomposed
    # The marks of Latin, Greek and Cyrillic letters in one pass in C; a character-by-character pass only for a
    # text that still holds a combining mark of another script (rules and search fold whole abstracts).
    folded = _COMBINING.sub("", decomposed)
    if any(unicodedata.combining(c) for c in _NON_ASCII.findall(folded)):
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    return folded
