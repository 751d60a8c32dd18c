"""Rules as the user notices them: a mute takes exactly the papers `rules test` named, never a starred one nor one
kept unread by hand; turning it off gives every paper back as it was; undo takes back the rule and what it did;
rules act on what comes in; and the sidebar's counts follow every change, rule or not."""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readinglist.core.library import Library
from readinglist.core.models import KEPT, IncomingPaper, ListFilter, PaperKey, utc_now
from readinglist.core.rules import Action, Condition, Rule, new_rule_id
from readinglist.ui.library_jobs import SidebarTracker, undo_change

AUTHORS = ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Benoît Sagot", "Emmy Noether", "Kurt Gödel")
CATEGORIES = ("cs.CL", "cs.LG", "cs.AI", "stat.ML", "math.ST")


def make_rule(name: str, action: Action, *conditions: tuple[str, str], tag: str = "", enabled: bool = True) -> Rule:
    now = utc_now()
    conds = tuple(Condition(f, v) for f, v in conditions)
    return Rule(new_rule_id(), name, conds, action, tag, enabled, now, now)


def no_surveys(enabled: bool = True) -> Rule:
    return make_rule("no surveys", Action.MUTE, ("title", "survey"), enabled=enabled)


def title_of(i: int) -> str:
    """A realistic mix: surveys in several spellings, reviews, words that only start like "survey"."""
    if i % 10 == 0:
        return f"A Survey of Method {i}"
    if i % 10 == 3:
        return f"Surveys on Topic {i}: what we know"
    if i % 10 == 7:
        return f"A review of approach {i}"
    if i % 31 == 0:
        return f"Surveying the landscape of task {i}"
    if i % 37 == 0:
        return f"Resurveyed benchmarks {i}"  # "survey" inside a word: not a word prefix
    if i % 41 == 0:
        return f"SURVEY-free learning {i}"
    return f"Learning representations number {i}"


def incoming(i: int, *, prefix: str = "2501") -> IncomingPaper:
    return IncomingPaper(
        title=title_of(i),
        arxiv_id=f"{prefix}.{i:05d}",
        authors=(AUTHORS[i % len(AUTHORS)], AUTHORS[(i * 7 + 1) % len(AUTHORS)]),
        abstract=f"We study problem {i}. A survey of related work is in the appendix." if i % 9 == 0 else "We study.",
        categories=(CATEGORIES[i % len(CATEGORIES)],),
        published=f"2025-01-{1 + i % 28:02d}T00:00:00Z",
    )


def build(lib: Library, n: int) -> list[PaperKey]:
    """n papers: some starred, some read, some marked unread by hand, some noted and tagged."""
    keys = list(lib.add_papers([incoming(i) for i in range(n)], source="test").new)
    assert len(keys) == n
    lib.set_starred([k for i, k in enumerate(keys) if i % 7 == 0], True)
    lib.set_read([k for i, k in enumerate(keys) if i % 5 == 1], True)
    by_hand = [k for i, k in enumerate(keys) if i % 11 == 2]
    lib.set_read(by_hand, True)
    lib.set_read(by_hand, False)
    lib.add_tags([k for i, k in enumerate(keys) if i % 13 == 0], ["to-read"])
    for i, k in enumerate(keys):
        if i % 17 == 0:
            lib.set_note(k, f"note {i}")
    lib.set_dismissed([k for i, k in enumerate(keys) if i % 19 == 4], True)
    return keys


def own_state(lib: Library) -> dict[str, tuple[object, ...]]:
    """What the user set on every paper: read, starred, note, tags, dismissed."""
    out = {}
    for k in lib.keys():  # noqa: SIM118 - the Library, not a dict
        s = lib.state(k)
        out[k] = (s.read, s.starred, s.note, s.tags, s.dismissed)
    return out


def muted_keys(lib: Library) -> set[str]:
    return {k for k in lib.keys() if lib.state(k).muted}  # noqa: SIM118


def expected_survey_matches(lib: Library) -> set[str]:
    """Titles with a word starting with "survey", folded for case and accents: written here without the rules."""

    def fold(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))

    return {k for k in lib.keys() if re.search(r"(?<!\w)survey", fold(lib.get(k).title))}  # noqa: SIM118


@pytest.fixture
def big(library: Library) -> Library:
    build(library, 1000)
    return library


# ---- 1. a mute mutes exactly what `rules test` said ------------------------------------------------------------


def test_a_mute_rule_mutes_exactly_the_matching_papers_not_starred_nor_kept_unread(big: Library) -> None:
    rule = no_surveys()
    matched = set(big.rules_matching(rule))
    assert matched == expected_survey_matches(big)
    starred = {k for k in matched if big.state(k).starred}
    kept = {k for k in matched if not big.state(k).mutable}
    assert starred and kept - starred, "the library must hold starred and kept-unread surveys for this to mean much"
    want = matched - starred - kept
    before = own_state(big)

    change = big.put_rules([rule])

    assert muted_keys(big) == want
    assert change.muted == len(want)
    assert set(big.query(view=ListFilter.MUTED)) == want
    for k in want:
        s = big.state(k)
        assert s.read and s.muted_by == big.rules()[0].id
    # Nothing but the read mark changed, and only on papers the rule muted.
    after = own_state(big)
    assert {k for k in before if before[k] != after[k]} <= want
    # Muted papers leave Unread; they stay in All papers.
    unread = set(big.query(view=ListFilter.UNREAD))
    assert not unread & want
    assert len(big.query()) == 1000


def test_show_muted_papers_brings_back_those_a_view_would_hold(big: Library) -> None:
    unread_before = set(big.query(view=ListFilter.UNREAD))
    big.put_rules([no_surveys()])
    muted = muted_keys(big)
    hidden = set(big.query(view=ListFilter.UNREAD, muted=True))
    assert hidden == muted & unread_before  # those read before the rule were not in Unread anyway
    assert set(big.query(view=ListFilter.UNREAD)) == unread_before - muted
    assert set(big.query(view=ListFilter.READ, muted=True)) == muted - unread_before


# ---- 2. state the user set wins -------------------------------------------------------------------------------


def survey_keys(lib: Library) -> list[str]:
    return sorted(expected_survey_matches(lib))


def test_a_starred_paper_is_never_muted_and_starring_a_muted_one_unmutes_it_for_good(library: Library) -> None:
    keys = build(library, 60)
    surveys = [k for k in survey_keys(library) if library.state(k).mutable]
    starred_first = next(k for k in survey_keys(library) if library.state(k).starred)
    rule = no_surveys()
    library.put_rules([rule])
    assert not library.state(starred_first).muted
    victim = next(k for k in surveys if library.state(k).read_by_rule)  # unread before the rule muted it
    was_read = False

    library.set_starred([victim], True)
    s = library.state(victim)
    assert not s.muted and s.starred and s.read == was_read
    assert victim not in library.query(view=ListFilter.MUTED)

    # The rule applied again, changed, turned off and on: a starred paper stays un-muted.
    (stored,) = library.rules()
    wider = replace(stored, conditions=(Condition("title", "survey, review"),), changed=utc_now())
    library.put_rules([wider])
    assert not library.state(victim).muted
    library.put_rules([replace(wider, enabled=False)])
    library.put_rules([replace(wider, enabled=True)])
    assert not library.state(victim).muted and library.state(victim).starred
    assert not library.state(starred_first).muted
    assert len(keys) == 60


def test_a_paper_marked_unread_by_hand_is_not_muted(library: Library) -> None:
    build(library, 60)
    kept = [k for k in survey_keys(library) if not library.state(k).starred and not library.state(k).mutable]
    assert kept
    library.put_rules([no_surveys()])
    for k in kept:
        assert not library.state(k).muted and not library.state(k).read


def test_marking_a_muted_paper_unread_unmutes_it_for_good(library: Library) -> None:
    build(library, 60)
    library.put_rules([no_surveys()])
    victim = sorted(muted_keys(library))[0]
    library.set_read([victim], False)
    s = library.state(victim)
    assert s.muted_by == KEPT and not s.muted and not s.read
    assert victim in library.query(view=ListFilter.UNREAD)

    (stored,) = library.rules()
    wider = replace(stored, conditions=(Condition("title", "survey, review"),), changed=utc_now())
    library.put_rules([wider])  # changed
    assert library.state(victim).muted_by == KEPT
    library.put_rules([replace(wider, enabled=False)])  # off
    library.put_rules([replace(wider, enabled=True)])  # and on
    assert library.state(victim).muted_by == KEPT and not library.state(victim).read
    library.put_rules([])  # removed, and a new rule like it added
    library.put_rules([no_surveys()])
    s = library.state(victim)
    assert s.muted_by == KEPT and not s.muted and not s.read
    # Read and unread again by hand: still the user's.
    library.set_read([victim], True)
    library.set_read([victim], False)
    library.put_rules([replace(library.rules()[0], enabled=False)])
    library.put_rules([replace(library.rules()[0], enabled=True)])
    assert not library.state(victim).muted


# ---- 3. off and removed: every paper as it was -----------------------------------------------------------------


def test_turning_a_mute_off_or_removing_it_gives_every_paper_back_as_it_was(big: Library) -> None:
    before = own_state(big)
    change = big.put_rules([no_surveys()])
    muted = muted_keys(big)
    assert change.muted == len(muted) > 50
    assert any(before[k][0] for k in muted), "some muted papers were read before the rule"
    assert any(not before[k][0] for k in muted)

    (stored,) = big.rules()
    off = big.put_rules([replace(stored, enabled=False)])
    assert off.unmuted == len(muted)
    assert not muted_keys(big)
    assert own_state(big) == before

    big.put_rules([replace(stored, enabled=True)])
    assert muted_keys(big) == muted  # on again: the same papers

    gone = big.put_rules([])
    assert gone.unmuted == len(muted)
    assert not muted_keys(big)
    assert own_state(big) == before
    assert big.rules() == []


def test_muted_by_another_rule_stays_muted_when_one_goes(library: Library) -> None:
    build(library, 60)
    surveys = no_surveys()
    also = make_rule("no method", Action.MUTE, ("title", "method"))
    library.put_rules([surveys, also])
    both = {k for k in muted_keys(library) if "Method" in library.get(k).title}
    assert both
    library.put_rules([replace(r, enabled=False) if r.id == surveys.id else r for r in library.rules()])
    for k in both:
        assert library.state(k).muted_by == also.id


# ---- 4. undo --------------------------------------------------------------------------------------------------


def full_state(lib: Library) -> dict[str, tuple[object, ...]]:
    return {k: (*v, lib.state(k).muted) for k, v in own_state(lib).items()}


def test_undo_of_a_mute_rule_takes_back_the_rule_and_every_mute(big: Library) -> None:
    before = full_state(big)
    change = big.put_rules([no_surveys()])
    assert change.muted > 0
    undo_change(big, change)
    assert big.rules() == []
    assert full_state(big) == before


def test_undo_of_turning_a_mute_off_mutes_the_papers_again(library: Library) -> None:
    build(library, 60)
    library.put_rules([no_surveys()])
    muted = muted_keys(library)
    before = full_state(library)
    (stored,) = library.rules()
    off = library.put_rules([replace(stored, enabled=False)])
    assert not muted_keys(library)
    undo_change(library, off)
    assert library.rules()[0].enabled
    assert muted_keys(library) == muted
    assert full_state(library) == before


def test_undo_of_a_tag_rule_removes_its_tags(library: Library) -> None:
    build(library, 60)
    before = full_state(library)
    change = library.put_rules([make_rule("tag surveys", Action.TAG, ("title", "survey"), tag="surveys")])
    tagged = {k for k in library.keys() if "surveys" in library.state(k).tags}  # noqa: SIM118
    assert tagged == expected_survey_matches(library)
    assert library.tags()["surveys"] == len(tagged)
    undo_change(library, change)
    assert library.rules() == []
    assert "surveys" not in library.tags()
    assert full_state(library) == before


def test_undo_of_a_star_rule_unstars(library: Library) -> None:
    build(library, 60)
    before = full_state(library)
    starred_before = set(library.query(view=ListFilter.STARRED))
    change = library.put_rules([make_rule("star Sagot", Action.STAR, ("author", "B. Sagot"))])
    starred = set(library.query(view=ListFilter.STARRED))
    assert starred > starred_before
    undo_change(library, change)
    assert library.rules() == []
    assert set(library.query(view=ListFilter.STARRED)) == starred_before
    assert full_state(library) == before


def test_undo_of_turning_a_mute_off_never_mutes_a_paper_starred_since(library: Library) -> None:
    build(library, 60)
    library.put_rules([no_surveys()])
    victim = sorted(muted_keys(library))[0]
    (stored,) = library.rules()
    off = library.put_rules([replace(stored, enabled=False)])
    library.set_starred([victim], True)  # starred while the rule was off
    undo_change(library, off)  # the rule is on again
    s = library.state(victim)
    assert s.starred
    assert not s.muted  # a starred paper is never muted


def test_undo_of_turning_a_mute_off_never_mutes_a_paper_marked_unread_since(library: Library) -> None:
    build(library, 60)
    library.put_rules([no_surveys()])
    victim = next(k for k in sorted(muted_keys(library)) if not library.state(k).read_by_rule)  # read before
    (stored,) = library.rules()
    off = library.put_rules([replace(stored, enabled=False)])
    assert library.state(victim).read
    library.set_read([victim], False)  # unread by hand while the rule was off
    undo_change(library, off)
    s = library.state(victim)
    assert not s.read
    assert not s.muted  # the user's unread mark wins over the rule


def test_undoing_an_unstar_unmutes_the_paper(library: Library) -> None:
    build(library, 60)
    victim = next(k for k in survey_keys(library) if library.state(k).starred)
    unstar = library.set_starred([victim], False)
    library.put_rules([no_surveys()])
    assert library.state(victim).muted
    undo_change(library, unstar)
    s = library.state(victim)
    assert s.starred
    assert not s.muted  # a starred paper is never muted


# ---- 5. rules act at import -----------------------------------------------------------------------------------


def test_a_mute_rule_acts_on_new_papers_in_the_same_import(library: Library) -> None:
    build(library, 30)
    library.put_rules([no_surveys()])
    fresh = [
        IncomingPaper(title="A Survey of Diffusion Models", arxiv_id="2502.00001", categories=("cs.LG",)),
        IncomingPaper(title="Surveys, revisited", arxiv_id="2502.00002", categories=("cs.CL",)),
        IncomingPaper(title="Diffusion without surveys", arxiv_id="2502.00003", abstract="No survey here."),
        IncomingPaper(title="Plain diffusion", arxiv_id="2502.00004", abstract="A survey is in the abstract only."),
    ]
    result = library.add_papers(fresh, source="feed")
    assert len(result.new) == 4
    assert result.ruled is not None
    muted = {k for k in result.new if library.state(k).muted}
    assert muted == set(result.new[:3])
    assert result.ruled.muted == 3
    assert "3 muted by rules" in result.summary()
    for k in muted:
        assert library.state(k).read and k not in library.query(view=ListFilter.UNREAD)

    # The user takes one back by hand; the same papers come in again: nothing is muted anew.
    library.set_read([result.new[0]], False)
    again = library.add_papers(fresh, source="feed")
    assert not again.new and "muted by rules" not in again.summary()
    assert not library.state(result.new[0]).muted
    assert library.state(result.new[0]).muted_by == KEPT
    assert library.state(result.new[1]).muted


def test_tag_and_star_rules_act_at_import_and_an_off_rule_does_not(library: Library) -> None:
    library.put_rules(
        [
            make_rule("tag diffusion", Action.TAG, ("text", "diffusion"), tag="diffusion"),
            make_rule("star Noether", Action.STAR, ("author", "Emmy Noether")),
            make_rule("mute stats", Action.MUTE, ("category", "stat."), enabled=False),
        ]
    )
    result = library.add_papers(
        [
            IncomingPaper(title="Diffusion for text", arxiv_id="2503.00001", categories=("stat.ML",)),
            IncomingPaper(title="Rings", arxiv_id="2503.00002", authors=("Noether, E.",), categories=("math.RA",)),
        ],
        source="feed",
    )
    a, b = result.new
    assert library.state(a).tags == ("diffusion",) and not library.state(a).muted
    assert library.state(b).starred
    assert "muted by rules" not in result.summary()


# ---- 6. the sidebar's counts follow every change --------------------------------------------------------------

WORDS = ("survey", "diffusion", "learning", "method", "topic", "review", "landscape")
TAGS = ("a", "b", "to-read")
N_SMALL = 60


@pytest.fixture(scope="module")
def small_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small library built once; every example starts from a copy of it."""
    path = tmp_path_factory.mktemp("rules-template") / "data"
    lib = Library.open(path)
    build(lib, N_SMALL)
    lib.close()
    return path


@st.composite
def conditions(draw: st.DrawFn) -> tuple[tuple[str, str], ...]:
    kinds = draw(st.lists(st.sampled_from(("title", "text", "category", "author")), min_size=1, max_size=2))
    out = []
    for kind in kinds:
        if kind in ("title", "text"):
            out.append((kind, ", ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=2)))))
        elif kind == "category":
            out.append((kind, draw(st.sampled_from((*CATEGORIES, "cs.", "stat.")))))
        else:
            out.append((kind, draw(st.sampled_from((*AUTHORS, "B. Sagot", "Turing, A.")))))
    return tuple(out)


OPS = ("add_rule", "add_rule", "toggle", "remove", "star", "read", "tag", "dismiss", "undo", "undo")


def check_counts(lib: Library, tracker: SidebarTracker) -> None:
    mine = tracker.snapshot()
    fresh_tracker = SidebarTracker()
    fresh_tracker.recount(lib)
    fresh = fresh_tracker.snapshot()
    assert dict(mine.views) == dict(fresh.views)
    assert mine.tags == fresh.tags
    assert mine.feeds == fresh.feeds
    views = mine.views
    assert views[ListFilter.UNREAD.value] == len(lib.query(view=ListFilter.UNREAD))
    assert views[ListFilter.MUTED.value] == len(lib.query(view=ListFilter.MUTED))
    assert views[ListFilter.STARRED.value] == len(lib.query(view=ListFilter.STARRED))
    following = [k for k in lib.query(view=ListFilter.FOLLOWING) if not lib.state(k).read]
    assert views[ListFilter.FOLLOWING.value] == len(following)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_sidebar_counts_follow_any_sequence_of_rule_and_state_changes(
    small_template: Path, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data"
        shutil.copytree(small_template, path)
        lib = Library.open(path)
        try:
            run_steps(lib, data)
        finally:
            lib.close()


def run_steps(lib: Library, data: st.DataObject) -> None:
    tracker = SidebarTracker()
    tracker.recount(lib)
    keys = sorted(lib.keys())
    changes = []
    some_keys = st.lists(st.sampled_from(keys), min_size=1, max_size=8, unique=True)
    for _ in range(data.draw(st.integers(1, 10), label="steps")):
        op = data.draw(st.sampled_from(OPS), label="op")
        rules = lib.rules()
        touched: list[str] = []
        if op == "add_rule" or (op in ("toggle", "remove") and not rules):
            action = data.draw(st.sampled_from(list(Action)), label="action")
            tag = data.draw(st.sampled_from(TAGS)) if action is Action.TAG else ""
            new = make_rule(f"rule {len(rules)}", action, *data.draw(conditions(), label="conditions"), tag=tag)
            apply = lambda new=new, rules=rules: lib.put_rules([*rules, new])  # noqa: E731
        elif op == "toggle":
            pick = data.draw(st.sampled_from(rules), label="toggle")
            flipped = [replace(r, enabled=not r.enabled) if r.id == pick.id else r for r in rules]
            apply = lambda flipped=flipped: lib.put_rules(flipped)  # noqa: E731
        elif op == "remove":
            pick = data.draw(st.sampled_from(rules), label="remove")
            kept = [r for r in rules if r.id != pick.id]
            apply = lambda kept=kept: lib.put_rules(kept)  # noqa: E731
        elif op == "undo":
            if not changes:
                continue
            earlier = changes[data.draw(st.integers(0, len(changes) - 1), label="undo")]
            touched = list(earlier.keys)
            apply = lambda earlier=earlier: undo_change(lib, earlier)  # noqa: E731
        else:
            touched = data.draw(some_keys, label="keys")
            value = data.draw(st.booleans(), label="value")
            if op == "star":
                apply = lambda t=touched, v=value: lib.set_starred(t, v)  # noqa: E731
            elif op == "read":
                apply = lambda t=touched, v=value: lib.set_read(t, v)  # noqa: E731
            elif op == "dismiss":
                apply = lambda t=touched, v=value: lib.set_dismissed(t, v)  # noqa: E731
            else:
                tag = data.draw(st.sampled_from(TAGS), label="tag")
                apply = lambda t=touched, tag=tag: lib.add_tags(t, [tag])  # noqa: E731
        changes.append(tracker.change(lib, touched, apply))
        check_counts(lib, tracker)
