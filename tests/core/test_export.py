"""Exports as the programs that read them see them: BibTeX through bibtexparser, RIS through rispy, CSL-JSON
against the published schema, Markdown and CSV as text; and files that are written whole or not at all."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors, SplitNameParts
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from readinglist.core.errors import ExportError
from readinglist.core.export import (
    ExportFormat,
    citation_keys,
    citation_text,
    export_papers,
    export_records,
    parse_name,
    tex_text,
    write_export,
    write_markdown_folder,
)
from readinglist.core.files import write_atomically
from readinglist.core.identity import normalize_doi
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper, PaperKey
from readinglist.core.text import tex_to_unicode

DATA = Path(__file__).resolve().parents[1] / "data"

ATTENTION = IncomingPaper(
    title="Attention Is All You Need",
    authors=("Ashish Vaswani", "Noam Shazeer", "Łukasz Kaiser"),
    abstract="The dominant transduction models are based on recurrent networks.\n\nWe propose the Transformer.",
    arxiv_id="1706.03762",
    arxiv_version=7,
    pdf_url="https://arxiv.org/pdf/1706.03762v7",
    published="2017-06-12T17:57:34Z",
    categories=("cs.CL", "cs.LG"),
    extra={"comment": "15 pages, 5 figures"},
)
PUBLISHED = IncomingPaper(
    title="Über {BERT}: Schrödinger's cat & the $x^2$ \\alpha bound — 50% of R&D_costs #1 ~ ^",
    authors=("Jörg Müller", "Ludwig van Beethoven", "John Smith Jr.", "François Côté"),
    abstract="We bound $\\|x\\|_2^2 \\le 1$ for 100% of cases & show {braces} survive; costs $5 and $10.",
    arxiv_id="1801.00001",
    arxiv_version=2,
    doi="10.1103/PhysRevD.100.123456",
    journal_ref="Phys. Rev. D 100, 123456 (2019)",
    published="2018-01-02T00:00:00Z",
    categories=("hep-th",),
)
# What the reader sees of PUBLISHED's title, and what RIS, CSL-JSON, Markdown and CSV carry: its TeX read as Unicode.
PUBLISHED_TITLE_SHOWN = "Über BERT: Schrödinger's cat & the x² α bound — 50% of R&D_costs #1 ~ ^"

SCRIPTS = IncomingPaper(
    title="深度学习中的注意力机制: Внимание и Ελληνικά αβγ",
    authors=("王小明", "李 华", "Γιώργος Παπαδόπουλος", "Иван Петров"),
    abstract="摘要。Аннотация. Περίληψη.",
    doi="10.1101/2024.01.01.123456",
    url="https://www.biorxiv.org/content/10.1101/2024.01.01.123456v1",
    published="2024-01-02T00:00:00Z",
)
WEB = IncomingPaper(
    title="An unbalanced {brace and a closing} one}",
    authors=("Basanta Kumar Das et al.",),
    url="https://www.example.org/articles/s41598-025-86513-x",
    published="2025-03-19T00:00:00Z",
)
NAMESAKE = IncomingPaper(
    title="Attention mechanisms revisited",
    authors=("A. Vaswani",),
    arxiv_id="1706.09999",
    published="2017-06-30T00:00:00Z",
)
PAPERS = (ATTENTION, PUBLISHED, SCRIPTS, WEB, NAMESAKE)
NOTE = "Read §3 & eq. (2): $x_1$ is *key*.\n\nER  - not a tag\n# heading\n{braces} 100% \\cite{x} ~^_#"


def key_of(paper: IncomingPaper) -> PaperKey:
    if paper.arxiv_id:
        return PaperKey(f"arxiv:{paper.arxiv_id}")
    if paper.doi:
        return PaperKey(f"doi:{normalize_doi(paper.doi)}")
    raise AssertionError("test papers have an arXiv id or a DOI, except WEB")


@pytest.fixture
def library(data_dir: Path) -> Iterator[Library]:
    lib = Library.open(data_dir)
    lib.add_papers(PAPERS, source="Test feed")
    lib.set_starred([key_of(ATTENTION)], True)
    lib.set_read([key_of(ATTENTION), key_of(SCRIPTS)], True)
    lib.add_tags([key_of(ATTENTION)], ["transformers", "to cite"])
    lib.add_tags([key_of(SCRIPTS)], ["生物"])
    lib.set_note(key_of(ATTENTION), NOTE)
    lib.set_note(key_of(SCRIPTS), "Grüße — 注意")
    yield lib
    lib.close()


def all_keys(lib: Library) -> list[PaperKey]:
    return lib.query()


# ---- BibTeX -----------------------------------------------------------------------------------------------------


def latex_decoder() -> LatexDecodingMiddleware:
    # pylatexenc does not know these standard LaTeX text macros (it drops the braces and renders ^ as U+02C6):
    # teach it, so the check reads the text the way LaTeX prints it.
    db = get_default_latex_context_db()
    db.add_context_category(
        "text-symbols",
        macros=[
            MacroTextSpec("textbraceleft", "{"),
            MacroTextSpec("textbraceright", "}"),
            MacroTextSpec("textasciicircum", "^"),
        ],
        prepend=True,
    )
    return LatexDecodingMiddleware(decoder=LatexNodes2Text(latex_context=db, math_mode="verbatim"))


def parse_bibtex(text: str, *, decode: bool) -> dict[str, dict[str, str]]:
    middleware = [latex_decoder()] if decode else []
    parsed = bibtexparser.parse_string(text, append_middleware=middleware)
    assert not parsed.failed_blocks, [b.error for b in parsed.failed_blocks]
    return {e.key: {"ENTRYTYPE": e.entry_type, **{f.key: f.value for f in e.fields}} for e in parsed.entries}


def test_bibtex_round_trip_keeps_every_title_abstract_and_note(library: Library) -> None:
    text = export_papers(library, all_keys(library), ExportFormat.BIBTEX, include_notes=True)
    entries = parse_bibtex(text, decode=False)
    decoded = parse_bibtex(text, decode=True)
    records = {r.cite_key: r for r in export_records(library, all_keys(library))}
    assert set(entries) == set(records)
    for cite_key, record in records.items():
        entry = entries[cite_key]
        # Read back as TeX, each title and abstract is what the reader saw in the window.
        assert tex_to_unicode(entry["title"]) == record.paper.title
        assert tex_to_unicode(entry.get("abstract", "")) == record.paper.abstract
        assert decoded[cite_key].get("annote", "") == record.state.note
    assert entries["vaswani2017attention"]["keywords"] == "transformers, to cite"


def test_bibtex_entry_types_and_arxiv_fields(library: Library) -> None:
    entries = parse_bibtex(export_papers(library, all_keys(library), ExportFormat.BIBTEX), decode=False)
    attention = entries["vaswani2017attention"]
    assert attention["ENTRYTYPE"] == "misc"
    assert (attention["eprint"], attention["archivePrefix"], attention["primaryClass"]) == (
        "1706.03762", "arXiv", "cs.CL"
    )  # fmt: skip
    assert attention["year"] == "2017"
    assert attention["url"] == "https://arxiv.org/abs/1706.03762"
    published = entries["muller2019uber"]
    assert published["ENTRYTYPE"] == "article"
    assert published["journal"] == "Phys. Rev. D 100, 123456 (2019)"
    assert published["year"] == "2019"  # the journal's year, not the preprint's
    assert published["doi"] == "10.1103/physrevd.100.123456"
    assert published["eprint"] == "1801.00001"
    assert "annote" not in attention  # notes stay private unless asked for


def test_bibtex_names_split_as_bibtex_reads_them(library: Library) -> None:
    text = export_papers(library, all_keys(library), ExportFormat.BIBTEX)
    parsed = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    names = {e.key: [(n.first, n.von, n.last, n.jr) for n in e["author"]] for e in parsed.entries}
    assert names["muller2019uber"] == [
        (["Jörg"], [], ["Müller"], []),
        (["Ludwig"], ["van"], ["Beethoven"], []),
        (["John"], [], ["Smith"], ["Jr."]),
        (["François"], [], ["Côté"], []),
    ]
    assert names["anon2024"] == [
        ([], [], ["王小明"], []),
        (["华"], [], ["李"], []),
        (["Γιώργος"], [], ["Παπαδόπουλος"], []),
        (["Иван"], [], ["Петров"], []),
    ]
    assert names["das2025unbalanced"] == [(["Basanta", "Kumar"], [], ["Das"], []), ([], [], ["others"], [])]


def test_bibtex_title_capitals_are_protected_and_specials_escaped() -> None:
    assert tex_text("BERT and GPT-4 beat Large-Scale iPhone models", protect_case=True) == (
        "{BERT} and {GPT-4} beat Large-Scale {iPhone} models"
    )
    assert tex_text("& % $ # _ ~ ^ \\") == r"\& \% \$ \# \_ \textasciitilde{} \textasciicircum{} \textbackslash{}"
    assert tex_text("the $O(n^2)$ bound") == "the $O(n^2)$ bound"  # math written by the authors stays math
    assert tex_text("costs $5 and $10") == r"costs \$5 and \$10"  # money is not math
    assert tex_text("{a} {b") == r"\{a\} \textbraceleft{}b"  # BibTeX counts braces: an unmatched one is a macro
    assert tex_text("{BERT}:", protect_case=True) == r"\{{BERT}\}:"  # never a group opening with a backslash
    assert tex_text("Schrödinger Ελληνικά 中文") == "Schrödinger Ελληνικά 中文"  # UTF-8 kept as it is


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(st.sampled_from(list("abXY 09&%$#_{}~^\\é中Ω-:'")), min_size=1, max_size=25)
    .map(lambda t: " ".join(t.split()))
    .filter(lambda t: bool(t) and "--" not in t and "''" not in t),  # LaTeX's ligatures: – and ”, by design
    protect=st.booleans(),
)
@example(text="$\\~$&", protect=False)  # math holding a text accent: a reader takes it for an accent on the $
def test_any_text_survives_bibtex_and_latex(text: str, protect: bool) -> None:
    entry = "@misc{k,\n  title = {" + tex_text(text, protect_case=protect) + "}\n}\n"
    assert parse_bibtex(entry, decode=True)["k"]["title"] == text


def test_citation_keys_are_unique_ascii_and_the_same_in_every_export(library: Library) -> None:
    keys = citation_keys(library)
    assert len(set(keys.values())) == len(keys)
    assert keys[key_of(ATTENTION)] == "vaswani2017attention"
    assert keys[key_of(NAMESAKE)] == "vaswani2017attentiona"
    assert all(k.isascii() and k.isalnum() for k in keys.values())
    # Exporting one paper alone gives it the key it has among all the others.
    alone = parse_bibtex(export_papers(library, [key_of(NAMESAKE)], ExportFormat.BIBTEX), decode=False)
    assert list(alone) == ["vaswani2017attentiona"]
    # A paper added later never takes a key an earlier one had.
    later = IncomingPaper(title="Attention, again", authors=("Ashish Vaswani",), arxiv_id="1706.00001",
                          published="2017-06-01T00:00:00Z")  # fmt: skip
    library.add_papers([later], source="Another feed")
    again = citation_keys(library)
    assert again[key_of(ATTENTION)] == "vaswani2017attention"
    assert again[key_of(NAMESAKE)] == "vaswani2017attentiona"
    assert again[key_of(later)] == "vaswani2017attentionb"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Ludwig van Beethoven", ("Beethoven", "Ludwig", "van", "", "")),
        ("Johannes Diderik van der Waals", ("Waals", "Johannes Diderik", "van der", "", "")),
        ("Smith, John", ("Smith", "John", "", "", "")),
        ("John Smith, Jr.", ("Smith", "John", "", "Jr.", "")),
        ("N. Hou", ("Hou", "N.", "", "", "")),
        ("Basanta Kumar Das et al.", ("Das", "Basanta Kumar", "", "", "")),
        ("李 华", ("李", "华", "", "", "")),
        ("王小明", ("", "", "", "", "王小明")),
        ("Barnes and Noble", ("", "", "", "", "Barnes and Noble")),
    ],
)
def test_names_are_split_into_family_and_given(text: str, parts: tuple[str, ...]) -> None:
    name = parse_name(text)
    assert name is not None
    assert (name.family, name.given, name.particle, name.suffix, name.literal) == parts


def test_et_al_alone_is_no_name() -> None:
    assert parse_name("et al.") is None


# ---- RIS --------------------------------------------------------------------------------------------------------


def test_ris_round_trip_through_rispy(library: Library) -> None:
    text = export_papers(library, all_keys(library), ExportFormat.RIS, include_notes=True)
    records = {r["id"]: r for r in rispy.loads(text)}
    assert len(records) == len(PAPERS)  # a note line 'ER  - ' did not end a record early
    attention = records["vaswani2017attention"]
    assert attention["type_of_reference"] == "UNPB"
    assert attention["title"] == ATTENTION.title
    assert attention["authors"] == ["Vaswani, Ashish", "Shazeer, Noam", "Kaiser, Łukasz"]
    assert attention["year"] == "2017" and attention["date"] == "2017/06/12/"
    assert attention["urls"] == ["https://arxiv.org/abs/1706.03762"]
    assert attention["file_attachments1"] == ATTENTION.pdf_url
    assert attention["accession_number"] == "arXiv:1706.03762"
    assert attention["edition"] == "v7"
    assert attention["keywords"] == ["transformers", "to cite", "cs.CL", "cs.LG"]
    assert " ".join(attention["abstract"].split()) == " ".join(ATTENTION.abstract.split())
    # A value's lines are joined by Zotero and EndNote, listed one by one by rispy: all there, in order.
    assert attention["notes"][0] == "Comment: 15 pages, 5 figures"
    assert " ".join(" ".join(attention["notes"][1:]).split()) == " ".join(NOTE.split())
    published = records["muller2019uber"]
    assert published["type_of_reference"] == "JOUR"
    assert published["title"] == PUBLISHED_TITLE_SHOWN
    assert published["authors"] == ["Müller, Jörg", "van Beethoven, Ludwig", "Smith, Jr., John", "Côté, François"]
    assert published["secondary_title"] == PUBLISHED.journal_ref
    assert published["doi"] == normalize_doi(PUBLISHED.doi)
    scripts = records["anon2024"]
    assert scripts["title"] == SCRIPTS.title
    assert scripts["authors"] == ["王小明", "李, 华", "Παπαδόπουλος, Γιώργος", "Петров, Иван"]
    assert scripts["keywords"] == ["生物"]


def test_ris_without_notes_leaves_them_out(library: Library) -> None:
    text = export_papers(library, all_keys(library), ExportFormat.RIS)
    assert "ER  - not a tag" not in text and "Grüße" not in text


# ---- CSL-JSON -----------------------------------------------------------------------------------------------


def test_csl_json_is_valid_against_the_published_schema_and_keeps_every_field(library: Library) -> None:
    schema = json.loads((DATA / "csl-data.json").read_text(encoding="utf-8"))
    items = json.loads(export_papers(library, all_keys(library), ExportFormat.CSLJSON, include_notes=True))
    jsonschema.Draft7Validator(schema).validate(items)
    by_id = {item["id"]: item for item in items}
    attention = by_id["vaswani2017attention"]
    assert attention["type"] == "article"
    assert attention["title"] == ATTENTION.title
    assert attention["author"] == [
        {"family": "Vaswani", "given": "Ashish"},
        {"family": "Shazeer", "given": "Noam"},
        {"family": "Kaiser", "given": "Łukasz"},
    ]
    assert attention["issued"] == {"date-parts": [[2017, 6, 12]]}
    assert (attention["publisher"], attention["number"], attention["version"]) == ("arXiv", "arXiv:1706.03762", "7")
    assert attention["abstract"] == ATTENTION.abstract
    assert attention["annote"] == NOTE
    assert attention["keyword"] == "transformers, to cite"
    assert attention["categories"] == ["cs.CL", "cs.LG"]
    assert attention["custom"]["pdf-url"] == ATTENTION.pdf_url
    published = by_id["muller2019uber"]
    assert published["type"] == "article-journal"
    assert published["title"] == PUBLISHED_TITLE_SHOWN
    assert published["container-title"] == PUBLISHED.journal_ref
    assert published["DOI"] == normalize_doi(PUBLISHED.doi)
    assert published["author"][1:3] == [
        {"family": "Beethoven", "given": "Ludwig", "non-dropping-particle": "van"},
        {"family": "Smith", "given": "John", "suffix": "Jr."},
    ]
    scripts = by_id["anon2024"]
    assert scripts["title"] == SCRIPTS.title
    assert scripts["author"][:2] == [{"literal": "王小明"}, {"family": "李", "given": "华"}]
    assert scripts["annote"] == "Grüße — 注意"


# ---- Markdown and CSV -------------------------------------------------------------------------------------------


def test_markdown_document_has_titles_authors_links_tags_and_notes(library: Library) -> None:
    text = export_papers(library, all_keys(library), ExportFormat.MARKDOWN)
    assert text.startswith("# Reading list: 5 papers")
    assert "## Attention Is All You Need" in text
    assert "- **Authors:** Ashish Vaswani, Noam Shazeer, Łukasz Kaiser" in text
    assert "[arXiv:1706.03762](https://arxiv.org/abs/1706.03762)" in text
    assert "[PDF](https://arxiv.org/pdf/1706.03762v7)" in text
    assert "- **Tags:** transformers, to cite" in text
    assert "### Note\n\n" + NOTE in text
    assert "## 深度学习中的注意力机制: Внимание и Ελληνικά αβγ" in text
    # Feed text cannot start emphasis or links; the authors' math stays math.
    assert "R&D\\_costs" in text and "the x² α bound" in text


def test_markdown_per_paper_notes_for_a_vault(library: Library, tmp_path: Path) -> None:
    vault = tmp_path / "vault" / "papers"
    vault.parent.mkdir()
    paths = write_markdown_folder(library, all_keys(library), vault)
    assert sorted(p.name for p in paths) == sorted(f"{k}.md" for k in citation_keys(library).values())
    note = (vault / "vaswani2017attention.md").read_text(encoding="utf-8")
    front, body = note.split("---\n")[1], note.split("---\n", 2)[2]
    fields = {line.split(": ", 1)[0]: json.loads(line.split(": ", 1)[1]) for line in front.splitlines()}
    assert fields["title"] == ATTENTION.title
    assert fields["authors"] == list(ATTENTION.authors)
    assert fields["tags"] == ["transformers", "to cite"]
    assert fields["starred"] is True and fields["citekey"] == "vaswani2017attention"
    assert body.startswith("\n# Attention Is All You Need\n") and NOTE in body


def test_csv_has_one_row_per_paper_with_the_users_state(library: Library) -> None:
    text = export_papers(library, all_keys(library), ExportFormat.CSV)
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(text, newline=""))}
    assert len(rows) == len(PAPERS)
    row = rows[key_of(ATTENTION)]
    assert (row["title"], row["starred"], row["read"], row["tags"]) == (
        ATTENTION.title, "true", "true", "transformers; to cite"
    )  # fmt: skip
    assert row["note"] == NOTE and row["note_at"]
    assert row["authors"] == "Ashish Vaswani; Noam Shazeer; Łukasz Kaiser"
    assert rows[key_of(PUBLISHED)]["title"] == PUBLISHED_TITLE_SHOWN
    assert rows[key_of(PUBLISHED)]["starred"] == "false"


def test_citation_text_reads_like_a_reference(library: Library) -> None:
    assert citation_text(library.get(key_of(ATTENTION))) == (
        "Vaswani, A., Shazeer, N., & Kaiser, Ł. (2017). Attention Is All You Need. arXiv:1706.03762. "
        "https://arxiv.org/abs/1706.03762"
    )
    published = citation_text(library.get(key_of(PUBLISHED)))
    assert published.startswith("Müller, J., van Beethoven, L., Smith, J., Jr., & Côté, F. (2019).")
    assert published.endswith("(2019). arXiv:1801.00001. https://doi.org/10.1103/physrevd.100.123456")
    web = next(k for k in library.query() if k.startswith("web:"))
    assert citation_text(library.get(web)).startswith("Das, B. K., et al. (2025).")


def test_the_importers_papers_export_in_every_format(data_dir: Path) -> None:
    from readinglist.core.importer import read_feed_file

    with Library.open(data_dir) as lib:
        for name in ("biofeed_biorxiv_20250413.xml", "biofeed_nature_20250319.xml"):
            parsed = read_feed_file(DATA / name)
            lib.add_papers(parsed.papers, source=parsed.title)
        keys = lib.query()
        for fmt in ExportFormat:
            assert export_papers(lib, keys, fmt)
        entries = parse_bibtex(export_papers(lib, keys, ExportFormat.BIBTEX), decode=True)
        assert len(entries) == len(keys) == len(rispy.loads(export_papers(lib, keys, ExportFormat.RIS)))


# ---- writing files ----------------------------------------------------------------------------------------------


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_is_atomic_and_keeps_the_old_file_on_a_full_disk(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "refs.bib"
    target.write_text("% the old bibliography\n")
    real_write = os.write
    calls = 0

    def full_disk(fd: int, data: bytes | memoryview) -> int:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, bytes(data)[:100])  # the first write gets part of the way, then the disk is full

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(ExportError) as info:
        write_export(library, all_keys(library), ExportFormat.BIBTEX, target)
    monkeypatch.undo()
    message = str(info.value)
    assert str(target) in message and "the disk is full" in message and "\n" not in message
    assert target.read_text() == "% the old bibliography\n"
    assert leftovers(tmp_path) == ["data", "refs.bib"]
    new = tmp_path / "new.bib"
    monkeypatch.setattr(os, "write", full_disk)
    calls = 0
    with pytest.raises(ExportError, match="nothing was written"):
        write_export(library, all_keys(library), ExportFormat.BIBTEX, new)
    assert not new.exists() and leftovers(tmp_path) == ["data", "refs.bib"]


@pytest.fixture
def unwritable_dir(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)
    elif Path("/sys").is_dir():
        yield Path("/sys")  # root ignores permission bits; sysfs refuses new files even to root
    else:
        pytest.skip("no folder here is unwritable for root")


def test_bad_targets_give_one_clear_line_and_leave_nothing(
    library: Library, tmp_path: Path, unwritable_dir: Path
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    (tmp_path / "a-folder").mkdir()
    cases = {
        tmp_path / "missing" / "refs.bib": "does not exist",
        a_file / "refs.bib": "does not exist",
        tmp_path / "a-folder": "it is a folder",
        unwritable_dir / "refs.bib": "permission denied",
    }
    for target, reason in cases.items():
        with pytest.raises(ExportError) as info:
            write_export(library, all_keys(library), ExportFormat.RIS, target)
        assert str(target) in str(info.value) and reason in str(info.value) and "\n" not in str(info.value)
        assert not (target.exists() and target.is_file())
    locked = ["locked"] if unwritable_dir.parent == tmp_path else []
    assert leftovers(tmp_path) == ["a-file", "a-folder", "data", *locked]


def test_rewriting_keeps_permissions_and_follows_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "refs.bib"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "refs.bib"
    link.symlink_to(real)
    write_atomically(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
