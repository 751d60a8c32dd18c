"""`readinglist rules`, `follow`, `unfollow` and `author` as a user runs them: what `rules test` promises is what
`rules add` does, followed authors in every spelling a feed writes, rules that travel in archives (a hostile one
skipped and named), and one-line errors."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from test_cli import ARXIV_FEED, run
from test_rules import build, expected_survey_matches

from readinglist.core.library import Library
from readinglist.core.models import KEPT, IncomingPaper

NEW = "arxiv:2401.01234"


def cli(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 0, err
    assert "Traceback" not in err
    return out


def listed(*flags: str) -> list[dict]:
    return [json.loads(line) for line in cli("list", "--json", *flags).splitlines()]


def keys_of(*flags: str) -> set[str]:
    return {row["key"] for row in listed(*flags)}


def fails(*args: str) -> str:
    """The command fails with one clear line and exit status 1."""
    code, out, err = run(*args)
    assert code == 1, (out, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("readinglist: error: ")
    return lines[0]


# ---- 1. `rules test` then `rules add`: the same count ----------------------------------------------------------


def test_rules_add_mutes_exactly_what_rules_test_said_it_would(data_dir: Path) -> None:
    lib = Library.open(data_dir)
    build(lib, 1000)
    matched = expected_survey_matches(lib)
    want = {k for k in matched if lib.state(k).mutable}
    starred = sum(1 for k in matched if lib.state(k).starred)
    kept = len(matched) - starred - len(want)
    lib.close()

    said = cli("rules", "test", "--title", "survey").splitlines()[0]
    m = re.search(r"would mute ([\d,]+) of the ([\d,]+) papers it matches; (.*) left alone", said)
    assert m, said
    would, of = (int(g.replace(",", "")) for g in m.groups()[:2])
    assert (would, of) == (len(want), len(matched))
    assert f"{starred:,} starred" in m.group(3) and f"{kept:,} you kept unread by hand" in m.group(3)
    assert not keys_of("--muted"), "`rules test` changes nothing"

    out = cli("rules", "add", "no surveys", "--mute", "--title", "survey")
    assert "Added rule “no surveys”" in out
    done = re.search(r"Muted ([\d,]+) papers by rule “no surveys”", out)
    assert done, out
    assert int(done.group(1).replace(",", "")) == would
    assert keys_of("--muted") == want
    assert f"({would:,} muted)" in cli("rules", "list")
    assert all(row["muted_by"] == "no surveys" and row["read"] for row in listed("--muted"))
    assert not keys_of("--unread") & want


def test_rules_disable_enable_and_remove_give_muted_papers_back(data_dir: Path) -> None:
    lib = Library.open(data_dir)
    build(lib, 200)
    lib.close()
    before = {row["key"]: (row["read"], row["starred"], row["note"], row["tags"]) for row in listed()}
    cli("rules", "add", "no surveys", "--mute", "--title", "survey")
    muted = keys_of("--muted")
    assert muted
    out = cli("rules", "disable", "no surveys")
    assert f"{len(muted):,} muted papers back" in out
    assert not keys_of("--muted")
    assert {row["key"]: (row["read"], row["starred"], row["note"], row["tags"]) for row in listed()} == before
    assert "off no surveys" in cli("rules", "list")
    assert "already off" in cli("rules", "disable", "no surveys")
    cli("rules", "enable", "NO SURVEYS")  # a rule is named in any case
    assert keys_of("--muted") == muted
    out = cli("rules", "change", "no surveys", "--title", "review")  # other papers now: the surveys come back
    assert "Changed rule “no surveys”: mute papers whose title has “review”" in out
    reviews = keys_of("--muted")
    assert reviews and not reviews & muted
    assert all("review" in row["title"] for row in listed("--muted"))
    cli("rules", "remove", "no surveys")
    assert not keys_of("--muted")
    assert {row["key"]: (row["read"], row["starred"], row["note"], row["tags"]) for row in listed()} == before
    _, _, err = run("rules", "list")
    assert "no rules" in err


# ---- 5. at import, and a re-import ----------------------------------------------------------------------------


def test_a_feed_imported_again_does_not_mute_a_paper_the_user_took_back(data_dir: Path, tmp_path: Path) -> None:
    feed = tmp_path / "cs.CL.xml"
    feed.write_text(ARXIV_FEED.format(v=1, kind="new"))
    cli("rules", "add", "no diffusion", "--mute", "--title", "diffusion")
    out = cli("import", str(feed))
    assert "2 new" in out and "1 muted by rules" in out
    assert keys_of("--muted") == {NEW}
    cli("unread", NEW)
    assert not keys_of("--muted")
    out = cli("import", str(feed))
    assert "muted by rules" not in out
    assert not keys_of("--muted") and NEW in keys_of("--unread")
    v2 = tmp_path / "v2.xml"
    v2.write_text(ARXIV_FEED.format(v=2, kind="replace"))
    cli("import", str(v2))  # a new version of it: still the user's
    assert not keys_of("--muted") and NEW in keys_of("--unread")
    with Library.open(data_dir) as lib:
        assert lib.state(NEW).muted_by == KEPT


# ---- 7. following a person in every spelling -------------------------------------------------------------------

SAGOTS = {
    "2504.00001": "Benoît Sagot",
    "2504.00002": "Beno\\^it Sagot",  # TeX, as an arXiv feed gives it
    "2504.00003": "B. Sagot",
    "2504.00004": "Sagot, B.",
    "2504.00005": "Benjamin Sagot",
}


def sagot_library(data_dir: Path) -> None:
    lib = Library.open(data_dir)
    cats = {"2504.00001": "cs.CL", "2504.00002": "cs.LG", "2504.00003": "cs.CL", "2504.00004": "cs.AI"}
    lib.add_papers(
        [
            IncomingPaper(
                title=f"Paper {aid}",
                arxiv_id=aid,
                authors=(name, "Ada Lovelace"),
                categories=(cats.get(aid, "cs.CL"),),
            )
            for aid, name in SAGOTS.items()
        ]
        + [IncomingPaper(title="Someone else", arxiv_id="2504.00009", authors=("Alan Turing",))],
        source="test",
    )
    lib.close()


BENOIT = {f"arxiv:2504.0000{i}" for i in range(1, 5)}


def test_follow_lists_every_spelling_of_the_person_and_not_a_namesake(data_dir: Path) -> None:
    sagot_library(data_dir)
    out = cli("follow", "Benoît Sagot")
    assert "Following Benoît Sagot: 4 papers here (4 unread)" in out
    assert keys_of("--following") == BENOIT
    assert {json.loads(line)["key"] for line in cli("author", "Benoît Sagot", "--json").splitlines()} == BENOIT
    assert keys_of("--author", "Benoît Sagot") == BENOIT
    assert "arxiv:2504.00005" in keys_of("--author", "Benjamin Sagot")

    cli("follow", "Benoît Sagot", "--category", "cs.CL")  # the same person, narrowed: one rule, not two
    assert keys_of("--following") == {"arxiv:2504.00001", "arxiv:2504.00003"}
    assert cli("rules", "list").count("follow Benoît Sagot") == 1

    assert "No longer following" in cli("unfollow", "Benoît Sagot")
    assert not keys_of("--following")
    assert fails("unfollow", "Benoît Sagot").endswith("(see `readinglist rules list`)")


def test_a_muted_paper_leaves_the_following_view(data_dir: Path) -> None:
    sagot_library(data_dir)
    cli("follow", "Benoît Sagot")
    cli("rules", "add", "no cs.AI", "--mute", "--category", "cs.AI")
    assert keys_of("--following") == BENOIT - {"arxiv:2504.00004"}


# ---- 8. rules travel in archives -------------------------------------------------------------------------------


def test_rules_and_muted_papers_come_back_from_an_archive(data_dir: Path, tmp_path: Path) -> None:
    source = ("--data-dir", str(tmp_path / "source"))
    lib = Library.open(tmp_path / "source")
    build(lib, 100)
    lib.close()
    cli(*source, "rules", "add", "no surveys", "--mute", "--title", "survey")
    cli(*source, "rules", "add", "tag cats", "--tag", "nlp", "--category", "cs.CL")
    cli(*source, "follow", "Ada Lovelace")
    muted = {r["key"] for r in (json.loads(x) for x in cli(*source, "list", "--json", "--muted").splitlines())}
    rules_before = cli(*source, "rules", "list")
    archive = tmp_path / "backup.zip"
    cli(*source, "backup", "--to", str(archive))

    cli("restore", "--from", str(archive))  # into the empty library of data_dir
    assert cli("rules", "list") == rules_before
    assert keys_of("--muted") == muted
    assert keys_of("--following") == keys_of("--author", "Ada Lovelace") - muted


def hostile_archive(data_dir: Path, tmp_path: Path) -> Path:
    tmp_path.joinpath("src").mkdir()
    src = ("--data-dir", str(tmp_path / "src"))
    feed = tmp_path / "cs.CL.xml"
    feed.write_text(ARXIV_FEED.format(v=1, kind="new"))
    cli(*src, "import", str(feed))
    cli(*src, "rules", "add", "no diffusion", "--mute", "--title", "diffusion")
    good = tmp_path / "good.zip"
    cli(*src, "backup", "--to", str(good))
    with zipfile.ZipFile(good) as zf:
        content = {name: json.loads(zf.read(name)) for name in zf.namelist()}
    table = content["parts/rules.json"]["rules"]
    (good_rule,) = table.values()
    table["2"] = {**good_rule, "id": "r-00000002", "name": "catastrophic", "conditions": [
        {"field": "abstract", "value": "/(a+)+$/"}]}  # fmt: skip
    table["3"] = {**good_rule, "id": "r-00000003", "name": "everything", "conditions": []}
    table["4"] = "not a rule at all"
    table["5"] = {**good_rule, "id": "r-00000005", "name": "kept too", "conditions": [
        {"field": "title", "value": "old"}], "action": "tag", "tag": "old"}  # fmt: skip
    path = tmp_path / "hostile.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, value in content.items():
            zf.writestr(name, json.dumps(value))
    return path


def test_a_hostile_rule_in_an_archive_is_skipped_and_named_and_the_good_ones_kept(
    data_dir: Path, tmp_path: Path
) -> None:
    out = cli("restore", "--from", str(hostile_archive(data_dir, tmp_path)))
    summary = out.splitlines()[0]
    assert "skipped 3 damaged records" in summary, out
    assert "rule 'catastrophic'" in summary and "repeats a repetition" in summary
    assert "rule 'everything'" in summary and "no condition" in summary
    assert "rule #4" in summary and "not a record" in summary
    listed_rules = cli("rules", "list")
    assert "no diffusion" in listed_rules and "kept too" in listed_rules
    assert "catastrophic" not in listed_rules and "everything" not in listed_rules
    assert keys_of("--muted") == {NEW}
    cli("rules", "disable", "no diffusion")  # the restored rule works like one made here
    assert not keys_of("--muted")


# ---- 9. errors ------------------------------------------------------------------------------------------------


def test_rule_errors_are_one_clear_line(data_dir: Path, tmp_path: Path) -> None:
    feed = tmp_path / "cs.CL.xml"
    feed.write_text(ARXIV_FEED.format(v=1, kind="new"))
    cli("import", str(feed))
    line = fails("rules", "add", "bad", "--mute", "--title", "/([a-z/")
    assert "/([a-z/ is not a regular expression" in line
    line = fails("rules", "add", "slow", "--mute", "--abstract", "/(a+)+$/")
    assert "repeats a repetition" in line
    line = fails("rules", "test", "--title", "/(unclosed/")
    assert "not a regular expression" in line
    assert fails("rules", "remove", "nothing like it") == (
        "readinglist: error: no rule named 'nothing like it' (see `readinglist rules list`)"
    )
    cli("rules", "add", "no diffusion", "--mute", "--title", "diffusion")
    line = fails("rules", "add", "No  Diffusion", "--mute", "--title", "masked")
    assert "there is already a rule named" in line
    assert cli("rules", "list").count("\n") == 1  # still one rule
    assert fails("rules", "add", "empty", "--mute").endswith("has no condition: it would act on every paper")
    assert "nothing like it" in fails("rules", "enable", "nothing like it")
    assert keys_of("--muted") == {NEW}
