"""Write screenshots of the window's main views to docs/screenshots/, offscreen, from a temporary library.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]

welcome.png (first run), triage.png (the sample library mid-triage), note-editor.png (writing a note, with its
preview), shortcuts.png (the `?` sheet), feeds-dialog.png (the subscriptions, one failing), paper-text.png (arXiv
papers with TeX in titles, names and abstracts), rules-notice.png, rules-dialog.png, author-view.png and same-paper.png
(rules and people; `--rules` writes only these), digest-preview.png,
preferences.png and digest-email.png (the daily digest, the last drawn by headless Chromium; `--digest` writes
only these), for-you.png and more-like-this.png (ranked by the sample's
retrieval papers, starred), triage-dark.png (the triage view in a dark palette), triage-1920.png and
triage-1920-dark.png (1920×1080, a paper with a long title, 60 authors and five tags) and long-paper.png (the same
at 1280×800). Nothing
outside a temporary folder is read or written, apart from the PNG files, and nothing is downloaded: the feeds shown
are not due, and the window's schedule is stopped.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from readinglist.app import App
from readinglist.core.feeds import FeedRegistry, FeedSpec
from readinglist.core.importer import read_feed_file
from readinglist.core.library import Library
from readinglist.ui.library_jobs import FOR_YOU
from readinglist.ui.main import app_icon, application
from readinglist.ui.main_window import PAGE_OPENING, MainWindow
from readinglist.ui.settings import MarkReadMode, WindowSettings

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
SIZE = (1280, 800)

NOTE = """## Why it matters

Pre-training **for retrieval itself** instead of borrowing BERT's objective:
- representative-word prediction as the pre-training task
- strong zero- and low-resource results

Compare with *RetroMAE v2* before the reading group. Code: [Albert-Ma/PROP](https://github.com/Albert-Ma/PROP)
"""


def settle(qapp: QApplication, window: MainWindow, until: Callable[[], bool] = lambda: True) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if window.worker.pending == 0 and window.search_idle() and until():
            break
    for _ in range(5):  # timers of 0 ms, layouts, the preview's short delay
        qapp.processEvents()
        time.sleep(0.05)
    qapp.processEvents()


def open_window(qapp: QApplication, data_dir: Path) -> MainWindow:
    window = MainWindow(App(data_dir), icon=app_icon())
    window.refresh.stop_schedule()  # the feeds below are for show: never fetched
    window.resize(*SIZE)
    window.show()
    settle(qapp, window, lambda: window.stack.currentIndex() != PAGE_OPENING)
    window.refresh.stop_schedule()  # (started again once the first view was drawn)
    return window


def shot(widget: QWidget, name: str, out: Path) -> None:
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def sample_library(data_dir: Path) -> list[str]:
    """The bundled sample, part way through a morning's triage: some read, some starred, a tag, a note."""
    app = App(data_dir)
    with app.open_library() as lib:
        app.load_sample(lib)
        keys = [str(k) for k in lib.query()]
        lib.set_read(keys[:6] + keys[8:10], True)
        lib.set_starred([keys[0], keys[3], keys[9]], True)
        lib.add_tags([keys[0], keys[3]], ["retrieval"])
        lib.add_tags([keys[0]], ["reading group"])
        lib.set_note(keys[0], NOTE)
        # A paper as big ones come: a long title, 60 authors, several tags (the pane must hold them all).
        from readinglist.core.models import IncomingPaper

        big = IncomingPaper(
            title="Scaling Laws, Data Mixtures and Evaluation Protocols for Multilingual Retrieval-Augmented "
            "Language Models: A Large-Scale Empirical Study Across 120 Languages and 14 Tasks",
            arxiv_id="2511.09999",
            authors=tuple(f"{g} {f}" for g, f in zip(
                ["Ada", "Benoît", "Chen", "Dmitri", "Eva", "Farah", "Goran", "Hana", "Ines", "Jun"] * 6,
                ["Lovelace", "Sagot", "Wei", "Ivanov", "Nilsson", "Haddad", "Petrov", "Sato", "Silva", "Park",
                 "Okafor", "Müller"] * 5, strict=True)),
            abstract="We train 240 retrieval-augmented models and measure how data mixtures and evaluation "
            "protocols change what they can do, across 120 languages and 14 tasks.",
            categories=("cs.CL", "cs.IR"),
            published="2025-11-28T00:00:00Z",
        )  # fmt: skip
        lib.add_papers([big], source="arXiv cs.CL")
        lib.add_tags(["arxiv:2511.09999"], ["retrieval", "multilingual", "scaling laws", "to cite", "benchmarks"])
        keys.append("arxiv:2511.09999")
        subscribe_for_show(lib)
    settings = WindowSettings(data_dir)
    settings.set_mark_read(MarkReadMode.NEVER)  # the screenshots choose what is read, not the selection
    settings.sync()
    return keys


def subscribe_for_show(lib: Library) -> str:
    """A few subscriptions in groups, one failing: what the sidebar and the feeds dialog show. None is due for a
    while, and the window's schedule is stopped, so nothing is fetched. Returns the failing feed's id."""
    registry = FeedRegistry(lib.store)
    now = datetime.now(UTC)

    def at(hours: float) -> str:
        return (now + timedelta(hours=hours)).isoformat(timespec="seconds").replace("+00:00", "Z")

    cl = registry.add(FeedSpec("cs.CL+cs.IR", group="arXiv"))
    query = registry.add(FeedSpec('ti:"dense retrieval"', group="arXiv"))
    hf = registry.add(FeedSpec("https://huggingface.co/api/daily_papers"))
    nature = registry.add(
        FeedSpec("https://www.nature.com/subjects/machine-learning.rss", name="Nature: ML", group="Journals")
    )
    members = registry.add(
        FeedSpec("https://journals.example.org/acl/members.rss", name="TACL (members)", group="Journals")
    )
    registry.update(cl.id, last_success=at(-9), next_due=at(15))
    registry.update(query.id, last_success=at(-9), next_due=at(15))
    registry.update(hf.id, last_success=at(-0.4), next_due=at(0.6))
    registry.update(nature.id, last_success=at(-0.7), next_due=at(0.3))
    registry.update(
        members.id,
        last_attempt=at(-0.4),
        last_error="TACL (members): 401 Unauthorized: the server wants a user name and password (set credentials)",
        failures=3,
        next_due=at(1.6),
    )
    return members.id


def tex_library(data_dir: Path) -> Path:
    """Papers in arXiv's own RSS layout with TeX in titles, names and abstracts, and angle brackets as text."""
    with App(data_dir).open_library() as lib:
        parsed = read_feed_file(ROOT / "tests" / "core" / "fixtures" / "arxiv_rss_text.xml")
        lib.add_papers(parsed.papers, source=parsed.title)
    settings = WindowSettings(data_dir)
    settings.set_mark_read(MarkReadMode.NEVER)
    settings.sync()
    return data_dir


def for_you_library(data_dir: Path) -> Path:
    """The sample, with the retrieval and embedding papers starred: what For you learns a taste from."""
    app = App(data_dir)
    with app.open_library() as lib:
        app.load_sample(lib)
        liked = (
            "PROP:",
            "Mistral-SPLADE",
            "RetroMAE v2",
            "LLMs are Also Effective Embedding",
            "2D Matryoshka",
            "When Text Embedding Meets",
        )
        keys = [k for k in lib.query() if lib.get(k).title.startswith(liked)]
        lib.set_starred(keys, True)
        lib.set_read(keys, True)
    settings = WindowSettings(data_dir)
    settings.set_mark_read(MarkReadMode.NEVER)
    settings.sync()
    return data_dir


def rules_library(data_dir: Path) -> Path:
    """The sample with a mute rule on surveys, a highlight on retrieval, and papers by one author written the ways
    feeds write names (Benoît Sagot, Beno\\^it Sagot, B. Sagot, Sagot, B.), one of whom is followed."""
    from readinglist.core.models import IncomingPaper
    from readinglist.core.rules import Action, Condition, Rule, new_rule_id

    app = App(data_dir)
    with app.open_library() as lib:
        app.load_sample(lib)
        forms = ("Benoît Sagot", "Beno\\^it Sagot", "B. Sagot", "Sagot, B.", "Benjamin Sagot")
        titles = (
            "CamemBERT: a Tasty French Language Model",
            "Sparse Attention for Long French Documents",
            "OSCAR: Open Super-large Crawled Aggregated coRpus",
            "Tokenization Matters for Morphologically Rich Languages",
            "Benchmarking Protein Folding Pipelines",
        )
        lib.add_papers(
            [
                IncomingPaper(title=t, authors=(a, "Djamé Seddah"), arxiv_id=f"2511.{n:05d}", categories=("cs.CL",),
                              abstract="We study French language models.", published=f"2025-11-{n + 10:02d}T00:00:00Z")
                for n, (t, a) in enumerate(zip(titles, forms, strict=True), 1)
            ],
            source="arXiv cs.CL",
        )  # fmt: skip
        lib.add_papers(  # the journal version, which no identifier ties to its arXiv record
            [IncomingPaper(title="CamemBERT: A Tasty French Language Model", authors=("B. Sagot", "D. Seddah"),
                           doi="10.18653/v1/2020.acl-main.645", journal_ref="Proceedings of ACL 2026",
                           url="https://aclanthology.org/2020.acl-main.645/", published="2026-01-15T00:00:00Z")],
            source="ACL Anthology",
        )  # fmt: skip
        lib.put_rules(
            [
                Rule(new_rule_id(), "no surveys", (Condition("title", "survey, overview"),), Action.MUTE),
                Rule(new_rule_id(), "retrieval", (Condition("text", "retrieval"),),
                     Action.HIGHLIGHT),
                Rule(new_rule_id(), "follow Benoît Sagot", (Condition("author", "Benoît Sagot"),), Action.FOLLOW),
            ]
        )  # fmt: skip
    settings = WindowSettings(data_dir)
    settings.set_mark_read(MarkReadMode.NEVER)
    settings.sync()
    return data_dir


def rules_shots(qapp: QApplication, tmp: Path, out: Path) -> None:
    """rules-notice.png (the Inbox says how many papers rules muted), rules-dialog.png (a rule being edited, with
    what it would do), author-view.png (an author's papers, in every form of the name) and same-paper.png (a
    journal version offered to be merged with its arXiv record)."""
    from readinglist.ui.library_jobs import INBOX, Selection

    window = open_window(qapp, rules_library(tmp / "rules"))
    window.show_view(INBOX)
    settle(qapp, window, lambda: window.view_notice.isVisible())
    window.list.select_row(1)
    window.list.setFocus()
    settle(qapp, window)
    shot(window, "rules-notice", out)
    dialog = window.action_rules()
    settle(qapp, window, lambda: dialog.model.rowCount() > 0)
    dialog.view.setCurrentIndex(dialog.model.index(0, 0))
    settle(qapp, window, lambda: dialog.preview_text.text().startswith("Matches"))
    shot(dialog, "rules-dialog", out)
    dialog.close()
    window.show_view(Selection("author", "Benoît Sagot"))
    settle(qapp, window, lambda: window.selection.kind == "author" and "follow" in window.view_notice.text())
    window.list.select_row(0)
    settle(qapp, window)
    shot(window, "author-view", out)
    row = window.model.row_of("doi:10.18653/v1/2020.acl-main.645")
    window.list.select_row(row if row is not None else 0)
    settle(qapp, window, lambda: "Same paper?" in window.pane.details.toPlainText())
    shot(window, "same-paper", out)
    window.close()


def digest_shots(qapp: QApplication, tmp: Path, out: Path) -> None:
    """digest-preview.png (the window's Digest Preview) and preferences.png, from the For you library with a
    followed author; digest-email.png is the same digest's HTML as a browser draws it (headless Chromium, where
    installed: `apt-get install chromium`)."""
    import shutil
    import subprocess

    from readinglist.core import digest as dg
    from readinglist.core.models import IncomingPaper
    from readinglist.core.rules import Action, Condition, Rule, new_rule_id

    data_dir = for_you_library(tmp / "digest")
    with Library.open(data_dir) as lib:
        lib.add_papers(
            [IncomingPaper(title="Tokenization Matters for Morphologically Rich Languages", arxiv_id="2512.01234",
                           authors=("B. Sagot", "Djamé Seddah", "Rachel Bawden"), categories=("cs.CL",),
                           pdf_url="https://arxiv.org/pdf/2512.01234",
                           abstract="Subword tokenizers trained on English split French and Turkish words at "
                           "arbitrary points. We measure what this costs downstream and propose a morphology-aware "
                           "vocabulary that recovers most of the gap on five languages.")],
            source="arXiv cs.CL",
        )  # fmt: skip
        rule = Rule(new_rule_id(), "follow Benoît Sagot", (Condition("author", "Benoît Sagot"),), Action.FOLLOW)
        lib.put_rules([rule])
        dg.save_settings(
            lib,
            dg.DigestSettings(
                limit=12,
                mail={"host": "smtp.fastmail.com", "port": 587, "security": "starttls",
                      "username": "ada@example.org", "to": ["ada@example.org"]},
            ),
        )  # fmt: skip
        html = dg.to_html(dg.make_digest(lib))
    window = open_window(qapp, data_dir)
    dialog = window.action_digest_preview()
    settle(qapp, window, lambda: dialog.prepared is not None)
    shot(dialog, "digest-preview", out)
    dialog.close()
    prefs = window.action_preferences()
    settle(qapp, window, lambda: prefs.host.text() != "")
    shot(prefs, "preferences", out)
    prefs.close()
    window.close()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("skipped digest-email.png: no chromium")
        return
    page = tmp / "digest.html"
    page.write_text(html, encoding="utf-8")
    target = out / "digest-email.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--screenshot={target}",
         "--window-size=760,1400", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")


def dark_palette() -> QPalette:
    p = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#2b2d31",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1f2023",
        QPalette.ColorRole.AlternateBase: "#26282c",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#35373c",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.Highlight: "#3d6fd1",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#8ab4f8",
        QPalette.ColorRole.PlaceholderText: "#9a9ca3",
        QPalette.ColorRole.ToolTipBase: "#35373c",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
    }
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#76787e"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#76787e"))
    return p


def main(argv: list[str]) -> int:
    only_rules = "--rules" in argv
    only_digest = "--digest" in argv
    argv = [a for a in argv if a not in ("--rules", "--digest")]
    out = Path(argv[0]).resolve() if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    qapp = application()
    with tempfile.TemporaryDirectory(prefix="readinglist-shots-") as tmp:
        if not only_digest:
            rules_shots(qapp, Path(tmp), out)
        if only_rules:
            return 0
        digest_shots(qapp, Path(tmp), out)
        if only_digest:
            return 0
        window = open_window(qapp, Path(tmp) / "empty")
        shot(window, "welcome", out)
        window.close()

        data_dir = Path(tmp) / "sample"
        keys = sample_library(data_dir)
        window = open_window(qapp, data_dir)
        window.show_view(window.selection.from_text("view:all"))
        settle(qapp, window)
        window.list.select_row(window.model.row_of(keys[0]) or 0)
        window.list.setFocus()
        settle(qapp, window)
        shot(window, "triage", out)

        window.list.select_row(window.model.row_of(keys[3]) or 0)
        window.action_edit_note()
        window.pane.notes.editor.setPlainText("Same idea as PROP, applied to **dense** retrieval:\n\n- read §3 first\n")
        settle(qapp, window)
        shot(window, "note-editor", out)
        window.action_back()

        window.action_shortcuts()
        settle(qapp, window)
        assert window._sheet is not None
        shot(window._sheet, "shortcuts", out)
        window._sheet.close()

        dialog = window.open_feeds_dialog()
        settle(qapp, window, lambda: not dialog.busy and dialog.model.rowCount() > 0)
        failing = next(r.feed.id for r in dialog.model.listings() if r.feed.last_error)
        dialog.select_feed(failing)
        dialog.address.setText("cs.CV")
        settle(qapp, window)
        shot(dialog, "feeds-dialog", out)
        dialog.close()

        text_window = open_window(qapp, tex_library(Path(tmp) / "text"))
        text_window.list.select_row(text_window.model.row_of("arxiv:2512.00004") or 0)
        text_window.list.setFocus()
        settle(qapp, text_window)
        shot(text_window, "paper-text", out)
        text_window.close()

        ranked = open_window(qapp, for_you_library(Path(tmp) / "for-you"))
        ranked.show_view(FOR_YOU)
        settle(qapp, ranked, lambda: ranked.selection == FOR_YOU)
        ranked.list.select_row(0)
        ranked.list.setFocus()
        settle(qapp, ranked, lambda: "Why for you" in ranked.pane.details.toPlainText())
        shot(ranked, "for-you", out)
        ranked.action_more_like_this()
        settle(qapp, ranked, lambda: ranked.selection.kind == "similar")
        ranked.list.select_row(0)
        settle(qapp, ranked)
        shot(ranked, "more-like-this", out)
        ranked.close()

        qapp.setStyle("Fusion")
        qapp.setPalette(dark_palette())
        window.list.select_row(window.model.row_of(keys[0]) or 0)
        settle(qapp, window)
        shot(window, "triage-dark", out)
        window.resize(1920, 1080)
        window.list.select_row(window.model.row_of(keys[-1]) or 0)  # the long paper, tagged
        settle(qapp, window)
        shot(window, "triage-1920-dark", out)
        qapp.setPalette(qapp.style().standardPalette())
        settle(qapp, window)
        shot(window, "triage-1920", out)
        window.resize(*SIZE)
        settle(qapp, window)
        shot(window, "long-paper", out)
        window.close()
        with Library.open(data_dir, writer=False) as lib:  # the note typed above was saved on close
            assert "dense" in lib.state(keys[3]).note
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
