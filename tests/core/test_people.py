"""Following an author: every way feeds write one person's name finds that person's papers, and no one else's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readinglist.core.people import AuthorMatcher, family_of, parse_name, same_person

SAGOT_FORMS = [
    "Benoît Sagot",
    "Beno\\^it Sagot",
    "Beno\\^{i}t Sagot",
    "Benoit Sagot",
    "B. Sagot",
    "B Sagot",
    "Sagot, Benoît",
    "Sagot, B.",
    "SAGOT, B.",
    "SAGOT, Benoît",
    "Benoît SAGOT",
    "Sagot B",
    "  Benoît   Sagot ",
]


@pytest.mark.parametrize("form", SAGOT_FORMS)
def test_every_form_of_a_followed_author_matches(form: str) -> None:
    assert AuthorMatcher("Benoît Sagot").matches(["A. Other", form])


@pytest.mark.parametrize("other", ["Benjamin Sagot", "Sagot, Benjamin", "Benoît Sagotte", "Benoît Sago", "C. Sagot"])
def test_another_person_with_a_near_name_does_not(other: str) -> None:
    assert not AuthorMatcher("Benoît Sagot").matches([other])


def test_an_initial_is_ambiguous_so_it_matches_both_given_names() -> None:
    initial = AuthorMatcher("Sagot, B.")
    assert initial.matches(["Benoît Sagot"])
    assert initial.matches(["Benjamin Sagot"])
    assert not initial.matches(["Claire Sagot"])


def test_a_name_without_given_names_matches_the_family() -> None:
    assert AuthorMatcher("Sagot").matches(["Benoît Sagot"])
    assert AuthorMatcher("Benoît Sagot").matches(["Sagot"])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Laurens van der Maaten", "van der Maaten, L."),
        ("Laurens van der Maaten", "L. van der Maaten"),
        ("Laurens van der Maaten", "Van der Maaten, Laurens"),
        ("Hans de Vries", "de Vries, Hans"),
        ("Vincent Van Gogh", "van Gogh, V."),
        ("Jean-Pierre Dupont", "J.-P. Dupont"),
        ("Jean-Pierre Dupont", "Dupont, J-P"),
        ("Jean-Pierre Dupont", "Dupont, Jean-Pierre"),
        ("Jean-Pierre Dupont", "J. Dupont"),
        ("Maria Garcia-Lopez", "Maria Garcia Lopez"),
        ("Yann LeCun", "Y. Le Cun"),
        ("Mary O'Neil", "O’Neil, M."),
        ("Mary O'Neil", "Mary ONeil"),
        ("John Smith", "Smith Jr., John"),
        ("John Smith", "John Smith Jr."),
        ("John Smith", "John Smith, Jr."),
        ("John Smith", "Smith, John, III"),
        ("J. R. R. Tolkien", "John Ronald Reuel Tolkien"),
        ("J. R. R. Tolkien", "J.R.R. Tolkien"),
        ("Klaus Müller", 'Klaus M\\"uller'),
        ("Klaus Müller", 'K. M{\\"u}ller'),
        ("Klaus Müller", "Klaus Muller"),
        ("Klaus Muller", "Müller, Klaus"),
        ("Søren Jørgensen", "Soren Jorgensen"),
        ("Łukasz Kaiser", "Lukasz Kaiser"),
        ("Xiang Li", "Li, Xiang"),
        ("Xiaoming Wang", "Xiao-Ming Wang"),
        ("Plato", "Plato"),
        ("OpenAI", "OpenAI"),
    ],
)
def test_the_same_person_written_two_ways(a: str, b: str) -> None:
    assert AuthorMatcher(a).matches([b])
    assert AuthorMatcher(b).matches([a])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Jean-Pierre Dupont", "Jean-Paul Dupont"),
        ("J.-P. Dupont", "J.-C. Dupont"),
        ("Laurens van der Maaten", "Laurens Maaten"),
        ("Hans de Vries", "Hans Vries"),
        ("Xiang Li", "Xiang Liu"),
        ("Plato", "Aristotle"),
        ("Klaus Müller", "Klaus Mueller"),
    ],
)
def test_different_people(a: str, b: str) -> None:
    assert not AuthorMatcher(a).matches([b])
    assert not AuthorMatcher(b).matches([a])


def test_names_are_read_into_family_and_given_names() -> None:
    sagot = parse_name("Beno\\^it Sagot")
    assert sagot is not None
    assert (sagot.family, sagot.given, sagot.text) == ("sagot", ("benoit",), "Benoît Sagot")
    assert parse_name("van der Maaten, L.") == parse_name("van der Maaten, L.")
    maaten = parse_name("Laurens van der Maaten")
    assert maaten is not None and maaten.family == "van der maaten"
    jp = parse_name("J.-P. Dupont")
    assert jp is not None and jp.given == ("j", "p")
    tolkien = parse_name("J. R. R. Tolkien")
    assert tolkien is not None and tolkien.given == ("j", "r", "r")
    jacobson = parse_name("Van Jacobson")  # a capitalised particle first is a given name
    assert jacobson is not None and (jacobson.family, jacobson.given) == ("jacobson", ("van",))
    assert family_of("de Vries, Hans") == "de vries"
    assert family_of("Smith Jr., John") == "smith"
    assert family_of("et al.") == ""


@pytest.mark.parametrize("text", ["", "   ", "et al.", "et al", "Et Al.", "others", "and others", "{et al.}"])
def test_placeholders_are_nobody(text: str) -> None:
    assert parse_name(text) is None


def test_placeholders_in_an_author_list_are_passed_over() -> None:
    assert not AuthorMatcher("Benoît Sagot").matches(["et al.", "others", ""])
    assert AuthorMatcher("Benoît Sagot").matches(["et al.", "B. Sagot"])
    assert not AuthorMatcher("Benoît Sagot").matches([])


def test_following_nobody_is_refused_with_a_sentence() -> None:
    with pytest.raises(ValueError, match="name"):
        AuthorMatcher("et al.")
    with pytest.raises(ValueError):
        AuthorMatcher("  ")


def test_same_person_is_symmetric_on_initials() -> None:
    a, b = parse_name("B. Sagot"), parse_name("Benoît Sagot")
    assert a is not None and b is not None
    assert same_person(a, b) and same_person(b, a)


def test_the_family_name_is_found_in_any_script() -> None:
    assert AuthorMatcher("Иван Петров").matches(["Иван Петров"])
    assert not AuthorMatcher("Иван Петров").matches(["Иван Сидоров"])
    assert AuthorMatcher("Пётр Чайковский").matches(["Петр Чайковский"])


def test_accents_tex_and_case_never_hide_a_match_from_the_quick_test() -> None:
    followed = AuthorMatcher("Jürgen Müller")
    for written in ("J. MÜLLER", "Ju\u0308rgen Mu\u0308ller", 'J\\"urgen M\\"uller', "Müller,\tJürgen", "MULLER, J."):
        assert followed.matches(["Someone Else", written]), written


# Words a name part reads as something else are left out: suffixes ("II", "Jr") and particles ("de", "van").
_NOT_PLAIN_WORDS = "ii iii iv jr sr jnr snr de da di du la le van von der den del della dos das ten ter bin ibn al el"
_NOT_PLAIN = {*_NOT_PLAIN_WORDS.split(), "st", "y", "et", "and"}
_letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéüøçñ", min_size=2, max_size=10).filter(
    lambda w: w not in _NOT_PLAIN
)


@given(given_name=_letters, family=_letters)
def test_the_usual_forms_of_a_name_all_match_it(given_name: str, family: str) -> None:
    given_name, family = given_name.capitalize(), family.capitalize()
    followed = AuthorMatcher(f"{given_name} {family}")
    assert followed.matches([f"{given_name} {family}"])
    assert followed.matches([f"{family}, {given_name}"])
    assert followed.matches([f"{given_name[0]}. {family}"])
