"""For you, Not interested, More like this and Trending, as the command line shows them (issue 12).

The library holds 36 papers on four topics (diffusion models, parsing, reinforcement learning, graph networks);
then a new day brings one paper of each of three topics and a near duplicate of a diffusion paper.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import run

from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper

DATA = Path(__file__).resolve().parents[1] / "data"
DIFFUSION = [f"arxiv:2511.{n:05d}" for n in range(1, 10)]
NEW_DIFFUSION, NEW_PARSING, NEW_RL, NEAR_DUPLICATE = (f"arxiv:2512.0090{n}" for n in range(1, 5))


def rows(*args: str) -> list[dict[str, object]]:
    code, out, err = run("list", "--json", *args)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def library(data_dir: Path) -> Path:
    assert run("import", str(DATA / "topics-feed.xml"))[0] == 0
    assert run("star", *DIFFUSION[:5])[0] == 0
    assert run("import", str(DATA / "topics-new-day.xml"))[0] == 0
    return data_dir


def test_for_you_ranks_a_new_diffusion_paper_first_and_says_why_in_its_words(library: Path) -> None:
    ranked = rows("--for-you", "--sort", "relevance")
    keys = [r["key"] for r in ranked]
    assert keys.index(NEW_DIFFUSION) < keys.index(NEW_PARSING) and keys.index(NEW_DIFFUSION) < keys.index(NEW_RL)
    assert not any(k in keys for k in DIFFUSION[:5])  # read or not, starred papers are not "for you" news: unread
    first = next(r for r in ranked if r["key"] == NEW_DIFFUSION)
    assert isinstance(first["score"], float) and first["why"]
    words = " ".join(str(w) for w in first["why"]).lower()
    assert any(w in words for w in ("diffusion", "denoising", "sampling")), first["why"]
    text = f"{first['title']} {first['abstract']}".lower()
    for why in first["why"]:  # type: ignore[attr-defined]
        if not str(why).startswith(("author:", "category:")):  # words of the paper ("models" folds to "model")
            assert all(w.lower()[:5] in text for w in str(why).split()), why
    scores = [r["score"] for r in ranked]
    assert scores == sorted(scores, reverse=True)  # best first


def test_too_little_evidence_says_so_and_what_to_do(data_dir: Path) -> None:
    assert run("import", str(DATA / "topics-feed.xml"))[0] == 0
    assert run("star", *DIFFUSION[:2])[0] == 0
    code, out, err = run("list", "--for-you", "--sort", "relevance", "--limit", "3")
    assert code == 0
    assert "at least 5" in err and "you have 2" in err and "readinglist import refs.bib --star" in err
    assert len(out.splitlines()) == 3  # the papers are still listed, newest first


def test_not_interested_pushes_papers_like_it_down_and_undismiss_restores_the_order(library: Path) -> None:
    rl = [f"arxiv:2511.{n:05d}" for n in range(19, 28)]  # the reinforcement learning papers, all unread

    def places() -> tuple[list[str], float]:
        keys = [str(r["key"]) for r in rows("--for-you", "--sort", "relevance")]
        return keys, sum(keys.index(k) for k in rl) / len(rl)

    before, rl_before = places()
    code, out, _ = run("dismiss", NEW_RL)
    assert code == 0 and "1 dismissed" in out
    after, rl_after = places()
    assert NEW_RL not in after  # out of For you
    assert rl_after > rl_before  # papers like it went down the list
    assert "Dismissed:" in run("show", NEW_RL)[1]
    assert run("undismiss", NEW_RL)[0] == 0
    assert places()[0] == before  # undone: the same order as before


def test_more_like_this_lists_the_near_duplicate_first(library: Path) -> None:
    code, out, err = run("similar", DIFFUSION[0], "--json")
    assert code == 0, err
    similar = [json.loads(line) for line in out.splitlines()]
    assert similar[0]["key"] == NEAR_DUPLICATE
    assert DIFFUSION[0] not in [s["key"] for s in similar]
    # Papers of the same topic come before papers of the others.
    top = [s["key"] for s in similar[:6]]
    assert sum(k in DIFFUSION or k == NEW_DIFFUSION for k in top) >= 4, top


def test_trending_orders_by_upvotes_and_comments(data_dir: Path) -> None:
    assert run("import", str(DATA / "hf_daily_papers_2024-10-25.json"))[0] == 0
    trending = rows("--trending", "--sort", "trending")
    assert trending, "the daily papers carry upvotes"
    by_day: dict[str, list[int]] = {}
    for r in trending:
        extra: dict[str, int] = r["extra"]  # type: ignore[assignment]
        by_day.setdefault(str(r["published"])[:10], []).append(
            extra.get("upvotes", 0) + 2 * extra.get("comment_count", 0)
        )
    for signal in by_day.values():
        assert signal == sorted(signal, reverse=True)  # on one day: the most upvoted and discussed first
    days = [str(r["published"])[:10] for r in trending]
    assert days[0] == max(days) or len(set(days)) > 1  # the newest signal leads unless an older one is far louder


def test_the_ranking_cache_is_derived_and_rebuilt_when_missing(library: Path) -> None:
    import shutil

    first = [r["key"] for r in rows("--for-you", "--sort", "relevance")]
    cache = library / "index" / "ranking"
    assert cache.is_dir() and any(cache.iterdir())
    assert not any("ranking" in p.name for p in (library / "library").iterdir())  # never in the library files
    shutil.rmtree(cache)
    assert [r["key"] for r in rows("--for-you", "--sort", "relevance")] == first
    (cache / next(p.name for p in cache.iterdir() if p.is_file())).write_bytes(b"\x00damaged")
    assert [r["key"] for r in rows("--for-you", "--sort", "relevance")] == first


def test_papers_arriving_later_are_ranked_without_a_rebuild(library: Path) -> None:
    rows("--for-you", "--sort", "relevance")  # the cache is built
    with Library.open(library) as lib:
        lib.add_papers(
            [
                IncomingPaper(
                    arxiv_id="2512.00999",
                    title="Diffusion Models with Fewer Denoising Steps by Distillation",
                    abstract="Distilling a diffusion sampler reduces the denoising steps of image generation.",
                )
            ],
            source="x",
        )
    keys = [r["key"] for r in rows("--for-you", "--sort", "relevance")]
    assert keys.index("arxiv:2512.00999") < keys.index(NEW_PARSING)


BIB = r"""
@article{noise2025denoising,
  title = {Denoising Diffusion Models for High-Resolution Image Synthesis},
  author = {Noise, Ada},
  year = {2025},
  eprint = {2511.00001},
  archivePrefix = {arXiv},
}
@misc{noise2025faster,
  title = {Faster Sampling from Score-Based {Diffusion} Models},
  author = {Noise, Ada and Other, Some},
  year = {2025},
  howpublished = {\url{https://arxiv.org/abs/2511.00002v2}},
}
@article{godel1931,
  title = {{\"U}ber formal unentscheidbare S{\"a}tze},
  author = {G{\"o}del, Kurt},
  journal = {Monatshefte f{\"u}r Mathematik und Physik},
  year = {1931},
  doi = {10.1007/BF01700692},
}
"""


def test_a_bib_from_another_tool_matches_the_papers_already_there_and_stars_them(
    data_dir: Path, tmp_path: Path
) -> None:
    assert run("import", str(DATA / "topics-feed.xml"))[0] == 0
    bib = tmp_path / "My Library.bib"
    bib.write_text(BIB, encoding="utf-8")
    code, out, err = run("import", str(bib), "--star", "--tag", "zotero")
    assert code == 0, err
    assert "1 new" in out and "3 starred" in out, out
    listed = rows("--starred")
    assert {r["key"] for r in listed} == {DIFFUSION[0], DIFFUSION[1], "doi:10.1007/bf01700692"}
    assert len(rows()) == 37  # the two arXiv papers were matched, not repeated
    godel = next(r for r in listed if str(r["key"]).startswith("doi:"))
    assert godel["title"] == "Über formal unentscheidbare Sätze" and godel["tags"] == ["zotero"]
