"""The text of papers as users see it: every character a feed sends kept, TeX read as Unicode, exports right.

Fixtures are in arXiv's own RSS and Atom layouts (plain-text abstracts with <think>, <s>, p < 0.001, $<26\\%$),
a journal's HTML abstracts, TeX-accented author lists and math-heavy titles. Each test looks at what a user
looks at: `readinglist show` and `list`, the exported file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from feedtools import DATA, FeedServer, Route, fixture
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli import run

from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper
from readinglist.core.text import tex_to_unicode

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARXIV_RSS = FIXTURES / "arxiv_rss_text.xml"
ARXIV_ATOM = FIXTURES / "arxiv_atom_text.xml"
JOURNAL = FIXTURES / "journal_html.xml"
NBSP = "\u00a0"  # spaces inside a formula do not break


def show(key: str) -> str:
    code, out, err = run("show", key)
    assert code == 0, err
    return out


def show_json(key: str) -> dict:
    code, out, err = run("show", key, "--json")
    assert code == 0, err
    return json.loads(out)


def imported(*paths: Path) -> None:
    code, _, err = run("import", *map(str, paths))
    assert code == 0, err


# ---- angle brackets are the author's text -------------------------------------------------------------------


@pytest.mark.parametrize("feed", [ARXIV_RSS, ARXIV_ATOM], ids=["rss", "atom"])
def test_arxiv_plain_text_keeps_every_angle_bracket(data_dir: Path, feed: Path) -> None:
    imported(feed)
    out = show("2512.00001")
    assert out.startswith("Beyond <think>: Hidden Reasoning Tokens\n")
    text = " ".join(out.split())
    assert "traces delimited by <think> and <answer> tags." in text
    assert "(<26% pass rates)" in text and "significant (p < 0.001)." in text


def test_tokens_like_s_and_mask_survive_in_titles_and_abstracts(data_dir: Path) -> None:
    imported(ARXIV_RSS, ARXIV_ATOM)
    tokens = show_json("2512.00002")
    assert tokens["title"] == "Tokenizers treat <s> and </s> differently"
    assert tokens["abstract"] == (
        "Tokenizers treat <s> and </s> as special tokens; we show that List<int> style inputs and the <mask> token "
        "interact."
    )
    mask = show_json("2512.00005")
    assert mask["title"] == "The <mask> Token, Revisited"
    assert mask["abstract"] == "The <mask> token replaces 15% of inputs; <s> opens a sequence and </s> closes it."


def test_journal_html_becomes_text_and_only_html_does(data_dir: Path) -> None:
    imported(JOURNAL)
    code, out, _ = run("list", "--json")
    assert code == 0
    papers = {p["title"]: p for p in map(json.loads, out.splitlines())}
    gene = papers["Gene FOXP2 & speech"]  # <i> dropped, &amp; decoded
    assert gene["abstract"] == "We show in vivo that expression rises.\n\nEffects held (p < 0.01)."  # no script
    assert papers["Structured abstracts"]["abstract"] == "Background: one.\n\nResults: two."


# ---- TeX is read as Unicode -------------------------------------------------------------------------------------


def test_tex_accents_in_author_lists_are_shown_as_letters(data_dir: Path) -> None:
    imported(ARXIV_RSS)
    out = show("2512.00001")
    assert "Authors:     Benoît Sagot, José García, Erwin Schrödinger" in out
    assert show_json("2512.00004")["authors"] == ["Paul Erdős", "Kurt Gödel"]
    # The source is kept beside the reading, for scripts that want the TeX.
    assert show_json("2512.00001")["source"]["authors"][0] == "Beno\\^it Sagot"


def test_math_heavy_titles_and_abstracts_read_as_unicode(data_dir: Path) -> None:
    imported(ARXIV_RSS)
    sparse = show_json("2512.00003")
    assert sparse["title"] == "Sparse Attention for BabyLM Models"
    assert sparse["abstract"] == (
        "We find that sparse attention gives 3× speedups with ε-greedy routing over 2¹⁶ tokens."
    )
    assert show_json("2512.00004")["title"] == f"Sorting in 𝒪(n{NBSP}log{NBSP}n) with ε-Nets"
    code, out, _ = run("list")
    assert code == 0
    assert f"Sorting in 𝒪(n{NBSP}log{NBSP}n) with ε-Nets" in out and "\\mathcal" not in out


@pytest.mark.parametrize("query", ["Benoit", "Benoît", "Beno\\^it", "benoit sagot", "Schrodinger"])
def test_search_matches_names_with_and_without_accents(data_dir: Path, query: str) -> None:
    imported(ARXIV_RSS)
    code, out, _ = run("list", "--search", query, "--json")
    assert code == 0
    assert [json.loads(line)["arxiv_id"] for line in out.splitlines()] == ["2512.00001"]


def test_search_finds_words_inside_tex_commands(data_dir: Path) -> None:
    imported(ARXIV_RSS)
    code, out, _ = run("list", "--search", "BabyLM", "--json")
    assert code == 0
    assert [json.loads(line)["arxiv_id"] for line in out.splitlines()] == ["2512.00003"]


@pytest.mark.parametrize(
    ("tex", "shown"),
    [
        ("Beno\\^it Sagot", "Benoît Sagot"),
        ("Jos\\'e Garc{\\'i}a", "José García"),
        ('{\\"O}zt{\\"u}rk, Bj\\o rn, Stra\\ss e, \\AA{}ngstr\\"om', "Öztürk, Bjørn, Straße, Ångström"),
        ("\\v{C}ech and Erd\\H{o}s, \\l{}\\'od\\'z", "Čech and Erdős, łódź"),
        ("encoder--decoder --- and 1--2", "encoder–decoder — and 1–2"),
        ("\\textbf{bold}, \\textit{it}, \\texttt{code}, {\\em old}", "bold, it, code, old"),
        ("$\\mathcal{O}(n \\log n)$", f"𝒪(n{NBSP}log{NBSP}n)"),
        ("$\\epsilon$, $\\alpha$-$\\beta$, $x \\sim y$", f"ε, α-β, x{NBSP}∼{NBSP}y"),
        ("$2^{16}$, $10^{-3}$, $x_i$, $x^2$", "2¹⁶, 10⁻³, xᵢ, x²"),
        ("3$\\times$ faster, 95\\% of cases", "3× faster, 95% of cases"),
        ("\\ours{} beats \\methodname", "\\ours beats \\methodname"),  # unknown macros kept, never deleted
        ("costs $5 and $10", "costs $5 and $10"),  # money, not math
        ("p < 0.001 and 50% more", "p < 0.001 and 50% more"),
        ("{BERT}: Pre-training", "BERT: Pre-training"),
        ("\\href{https://x.org}{our code} and \\url{https://y.org}", "our code and https://y.org"),
        ("unbalanced { brace", "unbalanced { brace"),
        ("use --help", "use --help"),
    ],
)
def test_tex_readings(tex: str, shown: str) -> None:
    assert tex_to_unicode(tex) == shown


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \\$^_{}~-%'\"e\\^io<>&0123")), max_size=40))
def test_reading_any_text_never_fails_and_never_empties_it(text: str) -> None:
    out = tex_to_unicode(text)
    assert isinstance(out, str) and (out.strip() or not text.strip())


@given(st.text(alphabet=st.characters(blacklist_characters="\\${}-"), max_size=60))
def test_text_without_tex_reads_as_it_is(text: str) -> None:
    assert tex_to_unicode(text) == text


# ---- exports --------------------------------------------------------------------------------------------------


def _bib_entries(text: str, *, decode: bool) -> dict[str, dict[str, str]]:
    middleware = [LatexDecodingMiddleware()] if decode else []
    parsed = bibtexparser.parse_string(text, append_middleware=middleware)
    assert not parsed.failed_blocks
    return {e.key: {f.key: f.value for f in e.fields} for e in parsed.entries}


def test_bibtex_keeps_the_authors_tex_unescaped(data_dir: Path, tmp_path: Path) -> None:
    imported(ARXIV_RSS)
    out = tmp_path / "refs.bib"
    code, _, err = run("export", "--format", "bibtex", "-o", str(out))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert "\\textbackslash" not in text and "\\textasciicircum" not in text
    entries = _bib_entries(text, decode=False)
    by_id = {e["eprint"]: (key, e) for key, e in entries.items()}
    key, sparse = by_id["2512.00003"]
    assert key == "bender2025sparse"  # words, not TeX commands
    assert sparse["title"] == "\\emph{Sparse} Attention for \\textsc{BabyLM} Models"
    assert sparse["abstract"] == (
        "We find that \\emph{sparse} attention gives 3$\\times$ speedups with $\\epsilon$-greedy routing over "
        "$2^{16}$ tokens."
    )
    key, sorting = by_id["2512.00004"]
    assert key == "erdos2025sorting"
    assert "{$\\mathcal{O}(n \\log n)$}" in sorting["title"]  # math kept, braced against case changes
    key, think = by_id["2512.00001"]
    assert key == "sagot2025beyond"
    assert "(p < 0.001)" in think["abstract"] and "($<26\\%$ pass rates)" in think["abstract"]
    assert think["author"] == "Sagot, Benoît and García, José and Schrödinger, Erwin"


def test_bibtex_round_trip_gives_the_same_names_and_titles(data_dir: Path, tmp_path: Path) -> None:
    imported(ARXIV_RSS, ARXIV_ATOM, JOURNAL)
    out = tmp_path / "refs.bib"
    assert run("export", "--format", "bibtex", "-o", str(out))[0] == 0
    decoded = _bib_entries(out.read_text(encoding="utf-8"), decode=True)
    code, listing, _ = run("list", "--json")
    assert code == 0
    shown = {p["title"]: p for p in map(json.loads, listing.splitlines())}
    titles = {e["title"].replace("{", "").replace("}", "") for e in decoded.values()}
    for title in ("Beyond <think>: Hidden Reasoning Tokens", "Sparse Attention for BabyLM Models",
                  "Tokenizers treat <s> and </s> differently", "Gene FOXP2 & speech"):  # fmt: skip
        assert title in shown and title in titles
    names = {name.strip() for e in decoded.values() for name in e["author"].split(" and ")}
    assert {"Sagot, Benoît", "García, José", "Schrödinger, Erwin", "Erdős, Paul", "Gödel, Kurt"} <= names


def test_ris_and_csl_json_carry_unicode(data_dir: Path, tmp_path: Path) -> None:
    imported(ARXIV_RSS)
    ris, csl = tmp_path / "refs.ris", tmp_path / "refs.json"
    assert run("export", "--format", "ris", "-o", str(ris))[0] == 0
    assert run("export", "--format", "csljson", "-o", str(csl))[0] == 0
    records = {r["id"]: r for r in rispy.loads(ris.read_text(encoding="utf-8"))}
    assert records["sagot2025beyond"]["authors"][0] == "Sagot, Benoît"
    assert records["bender2025sparse"]["title"] == "Sparse Attention for BabyLM Models"
    assert "3× speedups with ε-greedy" in records["bender2025sparse"]["abstract"]
    items = {i["id"]: i for i in json.loads(csl.read_text(encoding="utf-8"))}
    assert items["erdos2025sorting"]["title"] == f"Sorting in 𝒪(n{NBSP}log{NBSP}n) with ε-Nets"
    assert items["erdos2025sorting"]["author"][0] == {"family": "Erdős", "given": "Paul"}
    assert "\\" not in csl.read_text(encoding="utf-8").replace("\\n", "").replace('\\"', "")


# ---- damaged papers are repaired, state kept ----------------------------------------------------------------


def test_a_reimport_repairs_text_the_old_importer_deleted(data_dir: Path) -> None:
    with Library.open(data_dir) as library:
        # What the importer used to store for 2512.00001: every <...> deleted.
        damaged = IncomingPaper(
            title="Beyond : Hidden Reasoning Tokens",
            abstract="We train models on reasoning traces delimited by and tags. Models that hide their reasoning "
            "reach ($<26\\%$ pass rates) on held-out tasks, a drop that is significant (p < 0.001).",
            arxiv_id="2512.00001",
            arxiv_version=1,
        )
        key = library.add_papers([damaged], source="cs.CL").new[0]
        library.set_starred([key], True)
        library.set_note(key, "Read this first.")
    imported(ARXIV_RSS)
    paper = show_json("2512.00001")
    assert paper["title"] == "Beyond <think>: Hidden Reasoning Tokens"
    assert "delimited by <think> and <answer> tags" in paper["abstract"]
    assert paper["starred"] is True and paper["note"] == "Read this first."


def test_an_edited_title_is_not_taken_for_damage(data_dir: Path) -> None:
    with Library.open(data_dir) as library:
        library.add_papers(
            [IncomingPaper(title="A different title", arxiv_id="2512.00001", arxiv_version=1)], source="x"
        )
    imported(ARXIV_RSS)
    assert show_json("2512.00001")["title"] == "A different title"


# ---- dates ---------------------------------------------------------------------------------------------------


def test_biorxiv_dc_date_is_the_published_date_everywhere(data_dir: Path) -> None:
    imported(DATA / "biofeed_biorxiv_20250413.xml")
    code, out, _ = run("list", "--json")
    papers = [json.loads(line) for line in out.splitlines()]
    assert len(papers) == 30 and all(p["published"].startswith("2025-04-") for p in papers)
    code, table, _ = run("list")  # shown and sorted by the day bioRxiv gives, not the day of the import
    dates = [re.search(r"\d{4}-\d\d-\d\d", line).group() for line in table.splitlines()]  # type: ignore[union-attr]
    assert code == 0 and dates == sorted(dates, reverse=True) and all(d.startswith("2025-04-") for d in dates)


# ---- Hugging Face JSON ------------------------------------------------------------------------------------------


def test_hugging_face_json_imports_from_a_file(data_dir: Path, shared: Path) -> None:
    code, out, err = run("import", str(shared / "samples" / "hf_daily_papers_2024-10-25.json"))
    assert code == 0, err
    assert " new" in out
    code, listing, _ = run("list", "--json")
    assert len(listing.splitlines()) > 5


def test_hugging_face_json_is_recognised_by_its_content_and_the_kind_can_be_changed(data_dir: Path) -> None:
    server = FeedServer().start()
    try:
        server.routes["/daily.json"] = Route(body=fixture("hf_daily_papers_2025-09-17.json"))
        url = server.url("/daily.json")
        code, out, err = run("feeds", "add", url, "--name", "Daily")
        assert code == 0, err
        code, out, err = run("refresh")
        assert code == 0, err
        code, out, _ = run("feeds", "list", "--json")
        feed = json.loads(out.splitlines()[0])
        assert feed["kind"] == "hf-daily" and feed["papers"] > 0 and feed["last_error"] is None
        code, out, err = run("feeds", "set", "Daily", "--kind", "rss")
        assert code == 0 and "Daily (rss)" in out, err
    finally:
        server.stop()
