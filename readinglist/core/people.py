"""Author names compared across the forms feeds write them in: "Benoît Sagot", "B. Sagot", "Sagot, B.",
"Beno\\^it Sagot", "SAGOT, Benoît" are one person; "Benjamin Sagot" is another.

A name is read into a folded family name (particles such as "van der" included) and folded given names or
initials. Two names are the same person when the family names are equal (spaces, hyphens and apostrophes aside:
"Garcia-Lopez" is "Garcia Lopez", "LeCun" is "Le Cun") and the given names agree position by position, an initial
agreeing with any name of that letter. An initial is ambiguous by nature: "Sagot, B." is Benoît and Benjamin.

`AuthorMatcher` runs over a whole library, so it looks for the family name in the folded text of a paper's
authors first, and reads names only where it is found.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from readinglist.core.text import fold, has_tex, tex_to_unicode

# Letters that NFKD does not take apart, folded to what a reader would type (ß is casefolded to "ss" already).
_LETTER_FOLDS_BY_LETTER = {
    "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ȷ": "j", "ŋ": "n",
    "ħ": "h", "ŧ": "t", "ß": "ss", "’": "'", "ʼ": "'", "‘": "'", "`": "'", "´": "'",
}  # fmt: skip
_LETTER_FOLDS = str.maketrans(_LETTER_FOLDS_BY_LETTER)
# What family names are compared without: "Garcia-Lopez" is "Garcia Lopez", "O'Neil" is "ONeil".
_LOOSE = str.maketrans(dict.fromkeys(" \t\n\r\f\v\u00a0-\u2010\u2011\u2012\u2013\u2014'.\u2019\u02bc\u2018`\u00b4"))

_PARTICLES = frozenset(
    (
        "van", "von", "der", "den", "de", "del", "della", "delle", "dei", "degli", "di", "da", "das", "dos", "do",
        "du", "la", "le", "lo", "les", "ten", "ter", "te", "vander", "vanden", "vom", "zu", "zur", "af", "av",
    )
)  # fmt: skip
_LOWERCASE_PARTICLES = frozenset(["bin", "ibn", "al", "el", "st"])  # particles only when written in lower case
_SUFFIXES = frozenset(["jr", "jr.", "sr", "sr.", "jnr", "jnr.", "snr", "snr.", "ii", "iii", "iv", "2nd", "3rd"])
_NOT_NAMES = frozenset(("etal", "others", "andothers", "etc"))
_GIVEN_SPLIT = re.compile(r"(\.)|[-\u2010\u2011\u2012\u2013]+")
_INITIAL_TOKEN = re.compile(r"^(?:\w\.?(?:[-\u2010\u2011]?\w\.)*|\w\.?(?:[-\u2010\u2011]\w\.?)+)$")


@dataclass(frozen=True, slots=True)
class Name:
    family: str  # folded family name, particles included: "van der maaten"
    given: tuple[str, ...]  # folded given names or initials in order: ("benoit",), ("b",), ("j", "p")
    text: str  # the name as written, Unicode reading: "Benoît Sagot"


def fold_name(text: str) -> str:
    """Lowercase without accents, with the letters NFKD keeps whole folded by table ("Jørgensen" is "jorgensen")."""
    return fold(text).translate(_LETTER_FOLDS)


@functools.lru_cache(maxsize=1 << 17)
def family_key(family: str) -> str:
    """A folded family name as family names are compared: without spaces, hyphens, apostrophes or dots."""
    return family.translate(_LOOSE)


def _is_suffix(token: str) -> bool:
    return token.casefold() in _SUFFIXES


def _is_particle(token: str, first: bool) -> bool:
    low = token.casefold()
    if token == low:
        return low in _PARTICLES or low in _LOWERCASE_PARTICLES
    # "Vincent Van Gogh", "Hans De Vries"; but "Van Jacobson" is a given name.
    return not first and low in _PARTICLES


def _given(part: str, has_lower: bool) -> tuple[str, ...]:
    out: list[str] = []
    for token in part.split():
        # "JP" in "Dupont, JP" is two initials when the rest of the name is written in mixed case.
        if has_lower and 2 <= len(token) <= 3 and token.isalpha() and token.isupper():
            out.extend(fold_name(c) for c in token)
            continue
        pieces = _GIVEN_SPLIT.split(token)
        # re.split with one group: text, ".", text, ".", ... (None where a hyphen split).
        for i in range(0, len(pieces), 2):
            piece = pieces[i]
            if not piece:
                continue
            dotted = i + 1 < len(pieces) and pieces[i + 1] == "."
            folded = fold_name(piece)
            if not folded:
                continue
            # "Ch." is an abbreviation: kept as its initial, so that it agrees with "Charles".
            out.append(folded[0] if dotted or len(folded) == 1 else folded)
    return tuple(out)


def _looks_initials(token: str) -> bool:
    return _INITIAL_TOKEN.match(token) is not None


@functools.lru_cache(maxsize=1 << 17)
def _split(text: str) -> tuple[str, str, str, bool] | None:
    """(reading, family as written, given names as written, mixed case) or None when `text` names no one."""
    reading = tex_to_unicode(text) if has_tex(text) else text
    reading = " ".join(reading.split())
    if not reading:
        return None
    if fold_name(reading).translate(_LOOSE) in _NOT_NAMES:
        return None
    has_lower = any(c.islower() for c in reading)
    parts = [p.strip() for p in reading.split(",")]
    parts = [p for p in parts if p and not _is_suffix(p)]
    if not parts:
        return None
    if len(parts) >= 2:
        tokens = parts[0].split()
        while len(tokens) > 1 and _is_suffix(tokens[-1]):
            tokens.pop()
        return reading, " ".join(tokens), " ".join(parts[1:]), has_lower
    tokens = parts[0].split()
    while len(tokens) > 1 and _is_suffix(tokens[-1]):
        tokens.pop()
    if len(tokens) == 1:
        return reading, tokens[0], "", has_lower
    # "Sagot B." and "van der Maaten L.": initials after the family name (PubMed's order).
    if _looks_initials(tokens[-1]) and not _looks_initials(tokens[0]):
        end = len(tokens)
        while end > 1 and _looks_initials(tokens[end - 1]):
            end -= 1
        return reading, " ".join(tokens[:end]), " ".join(tokens[end:]), has_lower
    start = len(tokens) - 1
    while start > 0 and _is_particle(tokens[start - 1], first=start - 1 == 0):
        start -= 1
    return reading, " ".join(tokens[start:]), " ".join(tokens[:start]), has_lower


@functools.lru_cache(maxsize=1 << 17)
def parse_name(text: str) -> Name | None:
    """An author's name read into family and given names; None for "", "et al." and "others"."""
    split = _split(text)
    if split is None:
        return None
    reading, family, given, has_lower = split
    folded = " ".join(fold_name(family).split())
    if not folded:
        return None
    return Name(folded, _given(given, has_lower), reading)


def family_of(text: str) -> str:
    """The folded family name of an author ("van der maaten"), or "" when `text` names no one."""
    name = parse_name(text)
    return name.family if name is not None else ""


def written_family(text: str) -> str:
    """The family name as the author is written ("van der Maaten"), or "" when `text` names no one."""
    split = _split(text)
    return split[1] if split is not None else ""


def _given_agree(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    for x, y in zip(a, b, strict=False):
        if len(x) > 1 and len(y) > 1:
            if x != y:
                return False
        elif x[0] != y[0]:
            return False
    return True


def same_person(a: Name, b: Name) -> bool:
    """Equal family names, and given names that agree where both have them (an initial with any name of it)."""
    if a.family != b.family and family_key(a.family) != family_key(b.family):
        # "Maria Garcia Lopez" is read with the family name "Lopez"; "Garcia-Lopez, Maria" says it is two words.
        if len(b.given) > 1 and len(b.given[-1]) > 1 and family_key(b.given[-1] + b.family) == family_key(a.family):
            b = Name(a.family, b.given[:-1], b.text)
        elif len(a.given) > 1 and len(a.given[-1]) > 1 and family_key(a.given[-1] + a.family) == family_key(b.family):
            a = Name(b.family, a.given[:-1], a.text)
        else:
            return False
    if not a.given or not b.given:
        return True
    # "Xiaoming", "Xiao-Ming" and "Xiao Ming" are one given name written three ways.
    return _given_agree(a.given, b.given) or "".join(a.given) == "".join(b.given)


_SPECIAL_FOLDS = tuple((k, v) for k, v in _LETTER_FOLDS_BY_LETTER.items() if v.isalpha())
_SPECIAL_LETTERS = re.compile("[" + "".join(k for k, _ in _SPECIAL_FOLDS) + "]")
_CONTROL_SPACE = re.compile(r"[\t\n\r\f\v]")


def _ascii_haystack(authors: Sequence[str]) -> str:
    """The authors' text folded as names are and compared loosely, with everything but ASCII dropped: a folded
    family name that is ASCII is found in it whenever it is one of the names' family names, since folding and
    loose comparison remove only what this drops too. (Made with C-speed string methods: it runs per paper.)"""
    joined = "|".join(authors)
    if "\\" in joined or "{" in joined or "$" in joined:
        joined = "|".join(tex_to_unicode(a) for a in authors)
    if joined.isascii():
        joined = joined.lower()
    else:
        joined = unicodedata.normalize("NFKD", joined.casefold())
        if _SPECIAL_LETTERS.search(joined):
            for letter, ascii_form in _SPECIAL_FOLDS:
                joined = joined.replace(letter, ascii_form)
        joined = joined.encode("ascii", "ignore").decode("ascii")
    if not joined.isprintable():
        joined = _CONTROL_SPACE.sub("", joined)
    return joined.replace(" ", "").replace("-", "").replace(".", "").replace("'", "").replace("`", "")


class AuthorMatcher:
    """One followed author, matched against the authors of many papers."""

    __slots__ = ("_needle", "name")

    def __init__(self, name: str) -> None:
        parsed = parse_name(name)
        if parsed is None:
            raise ValueError(f"“{name.strip()}” does not read as a person's name.")
        self.name = parsed
        key = family_key(parsed.family)
        # A family name that is not ASCII (another script) is looked for in the exactly folded text instead.
        self._needle = key if key.isascii() else ""

    def _candidate(self, authors: Sequence[str]) -> bool:
        if self._needle:
            return self._needle in _ascii_haystack(authors)
        key = family_key(self.name.family)
        return key in family_key(fold_name("\x1f".join(tex_to_unicode(a) for a in authors)))

    def matches(self, authors: Sequence[str]) -> bool:
        """Whether any of `authors` is this person."""
        if not authors or not self._candidate(authors):
            return False
        name = self.name
        for author in authors:
            other = parse_name(author)
            if other is not None and same_person(name, other):
                return True
        return False
