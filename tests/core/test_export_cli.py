"""`readinglist export`, `backup --to` and `restore --from` as a user runs them: output, files, one-line errors."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import bibtexparser
import pytest
import rispy

from readinglist.cli.main import main
from readinglist.core.feeds import FeedRegistry, FeedSpec
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper

DATA = Path(__file__).resolve().parents[1] / "data"
BIORXIV = DATA / "biofeed_biorxiv_20250413.xml"
NATURE = DATA / "biofeed_nature_20250319.xml"


class _Stdout(io.TextIOWrapper):
    def text(self) -> str:
        self.flush()
        raw = self.buffer
        assert isinstance(raw, io.BytesIO)
        return raw.getvalue().decode("utf-8")


def run(*args: str) -> tuple[int, str, str]:
    out, err = _Stdout(io.BytesIO(), encoding="utf-8", newline=""), io.StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse: --help and usage errors
        code = int(exc.code or 0)
    finally:
        sys.stdout, sys.stderr = old
    return code, out.text(), err.getvalue()


@pytest.fixture
def papers(data_dir: Path) -> list[str]:
    assert run("import", str(BIORXIV), str(NATURE))[0] == 0
    out = run("list", "--json")[1]
    keys = [json.loads(line)["key"] for line in out.splitlines()]
    assert run("star", keys[0], keys[1])[0] == 0
    assert run("tag", keys[1], "thesis")[0] == 0
    assert run("note", keys[0], "Key result: 95% & more — see Fig. 2")[0] == 0
    return keys


def test_export_starred_as_bibtex_to_standard_output(papers: list[str]) -> None:
    code, out, err = run("export", "--format", "bibtex", "--starred")
    assert code == 0 and err == ""
    entries = bibtexparser.parse_string(out).entries
    assert len(entries) == 2
    assert all("annote" not in e.fields_dict for e in entries)  # notes only when asked for
    code, out, _ = run("export", "--format", "bibtex", "--starred", "--notes")
    assert "annote = {Key result: 95\\% \\& more — see Fig. 2}" in out


def test_export_selections_tag_feed_search_and_keys(papers: list[str]) -> None:
    def count(*flags: str) -> int:
        code, out, _ = run("export", "--format", "csljson", *flags)
        assert code == 0
        return len(json.loads(out))

    assert count() == 60
    assert count("--tag", "thesis") == 1
    assert count("--feed", "bioRxiv Subject Collection: Bioinformatics") == 30
    assert count("--search", "single-cell") >= 1
    assert count(papers[3], papers[1]) == 2
    out = run("export", "--format", "csljson", papers[3], papers[1])[1]
    assert [item["custom"]["readinglist-key"] for item in json.loads(out)] == [papers[3], papers[1]]


def test_export_to_a_file_in_every_format(papers: list[str], tmp_path: Path) -> None:
    for fmt, name in (("bibtex", "refs.bib"), ("ris", "refs.ris"), ("csljson", "refs.json"),
                      ("markdown", "papers.md"), ("csv", "papers.csv")):  # fmt: skip
        target = tmp_path / name
        code, out, err = run("export", "-f", fmt, "--starred", "-o", str(target))
        assert code == 0 and out == ""
        assert "exported 2 papers" in err and str(target) in err
        assert target.stat().st_size > 0
    assert len(rispy.loads((tmp_path / "refs.ris").read_text(encoding="utf-8"))) == 2
    assert "Key result: 95% & more" in (tmp_path / "papers.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "papers.csv", "papers.md", "refs.bib",
                                                          "refs.json", "refs.ris"]  # fmt: skip


def test_export_markdown_notes_one_per_paper(papers: list[str], tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    code, _, err = run("export", "-f", "markdown", "--per-paper", "--starred", "-o", str(vault))
    assert code == 0 and "2 papers" in err
    assert len(list(vault.glob("*.md"))) == 2
    code, _, err = run("export", "-f", "bibtex", "--per-paper", "-o", str(vault))
    assert code == 1 and err.startswith("readinglist: error: --per-paper needs --format markdown")


def test_export_errors_are_one_line_and_leave_no_file(papers: list[str], tmp_path: Path) -> None:
    target = tmp_path / "no such folder" / "refs.bib"
    code, out, err = run("export", "-f", "bibtex", "-o", str(target))
    assert code == 1 and out == ""
    assert err == f"readinglist: error: cannot write {target}: the folder {target.parent} does not exist\n"
    assert not target.parent.exists()
    code, _, err = run("export", "-f", "bibtex", "--tag", "no-such-tag")
    assert code == 1 and err == "readinglist: no papers match; nothing was exported\n"
    code, _, err = run("export", "-f", "bibtex", "2499.99999")
    assert code == 1 and err.startswith("readinglist: error: no paper '2499.99999'") and err.count("\n") == 1
    code, _, err = run("export", "-f", "docx")
    assert code == 2 and "invalid choice: 'docx'" in err


def test_backup_to_and_restore_from_a_fresh_folder(papers: list[str], data_dir: Path, tmp_path: Path) -> None:
    assert run("feeds", "add", "https://connect.biorxiv.org/biorxiv_xml/bioinformatics")[0] == 0
    listed = run("list", "--json")[1]
    feeds = run("feeds", "list")[1]
    archive = tmp_path / "library.zip"
    code, out, _ = run("backup", "--to", str(archive))
    assert code == 0 and out.startswith(f"archive written to {archive}: 60 papers, your state on 2, feeds")
    shutil.rmtree(data_dir)
    code, out, _ = run("restore", "--from", str(archive))
    assert code == 0 and "60 papers added" in out
    assert run("list", "--json")[1] == listed
    assert run("feeds", "list")[1] == feeds


def test_restore_from_a_wrong_file_says_so_and_changes_nothing(papers: list[str], tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text("@misc{x, title={y}}\n")
    before = run("list", "--json")[1]
    code, out, err = run("restore", "--from", str(bib))
    assert code == 1 and out == ""
    assert err.startswith(f"readinglist: error: cannot restore from {bib}: it is not a readinglist archive")
    assert err.count("\n") == 1
    assert run("list", "--json")[1] == before
    code, _, err = run("backup", "--to", str(tmp_path / "missing" / "b.zip"))
    assert code == 1 and "does not exist" in err and not (tmp_path / "missing").exists()


def test_backup_of_an_empty_library_writes_nothing(data_dir: Path, tmp_path: Path) -> None:
    code, _, err = run("backup", "--to", str(tmp_path / "b.zip"))
    assert code == 1 and "is empty" in err and not (tmp_path / "b.zip").exists()


def test_help() -> None:
    code, out, _ = run("export", "--help")
    assert code == 0 and "--format" in out and "--per-paper" in out


def test_export_names_subscriptions_by_name(data_dir: Path) -> None:
    with Library.open(data_dir) as lib:
        feed = FeedRegistry(lib.store).add(FeedSpec(url="https://rss.arxiv.org/rss/cs.CL", name="arXiv CL"))
        lib.add_papers([IncomingPaper(title="A Paper", arxiv_id="2401.00001")], source=feed.id)
        lib.add_papers([IncomingPaper(title="Another", arxiv_id="2401.00002")], source="Some imported file")
    for name in ("arXiv CL", feed.id, "https://rss.arxiv.org/rss/cs.CL"):
        code, out, _ = run("export", "-f", "csljson", "--feed", name)
        assert code == 0
        assert [(i["title"], i["source"]) for i in json.loads(out)] == [("A Paper", "arXiv CL")]
    code, out, _ = run("export", "-f", "ris", "--feed", "Some imported file")
    assert code == 0 and "TI  - Another" in out and "DP  - Some imported file" in out
