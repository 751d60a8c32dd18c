"""The `export` command: any set of papers the user can name, as BibTeX, RIS, CSL-JSON, Markdown or CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from readinglist.app import App
from readinglist.cli.library_commands import add_selection_options
from readinglist.core.errors import CommandError
from readinglist.core.export import ExportFormat, export_papers, write_markdown_folder
from readinglist.core.files import write_atomically
from readinglist.core.models import ListFilter, PaperKey

if TYPE_CHECKING:
    from readinglist.core.library import Library


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="export papers as BibTeX, RIS, CSL-JSON, Markdown or CSV",
        description="Export papers (all of them, or the ones the options name) to standard output or a file.",
    )
    p.add_argument("keys", nargs="*", metavar="KEY", help="only these papers (keys, arXiv ids or DOIs)")
    p.add_argument(
        "--format",
        "-f",
        choices=[f.value for f in ExportFormat],
        help="bibtex, ris, csljson (for pandoc, Zotero, citeproc), markdown, or csv (default: by -o's name: "
        ".bib, .ris, .json, .md, .csv)",
    )
    add_selection_options(p)
    p.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (replaced atomically) instead of standard output"
    )
    p.add_argument(
        "--notes",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="include your notes (default: yes for markdown and csv; no for bibtex, ris and csljson, "
        "which are often shared; in BibTeX they go into `annote`)",
    )
    p.add_argument(
        "--per-paper",
        action="store_true",
        help="markdown only: one note per paper, named by citation key, in the folder given by -o "
        "(for an Obsidian or Logseq vault)",
    )
    p.set_defaults(handler=cmd_export, view=ListFilter.ALL)

    p = sub.add_parser("cite", help="references for papers in a citation style (APA, IEEE, ACM, Chicago, Nature)")
    p.add_argument("keys", nargs="*", metavar="KEY", help="these papers (keys, arXiv ids or DOIs)")
    add_selection_options(p)
    p.add_argument("--style", default="apa", metavar="STYLE", help="apa (default), ieee, acm, chicago or nature")
    p.set_defaults(handler=cmd_cite, view=ListFilter.ALL)


_BY_SUFFIX = {".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris", ".json": "csljson", ".md": "markdown",
              ".markdown": "markdown", ".csv": "csv"}  # fmt: skip


def selected_papers(library: Library, args: argparse.Namespace) -> list[PaperKey]:
    """The papers the keys and selection options (`add_selection_options`) name: keys in the order the user
    named them, else the view's order."""
    subset = [library.resolve(k) for k in args.keys] if args.keys else None
    feed = library.feeds.source_id(args.feed) if args.feed else None
    keys = library.query(view=args.view, tag=args.tag, feed=feed, search=args.search, keys=subset, author=args.author)
    if subset is not None:
        chosen = set(keys)
        keys = [k for k in dict.fromkeys(subset) if k in chosen]
    return keys


def cmd_export(args: argparse.Namespace, app: App) -> int:
    name = args.format or (_BY_SUFFIX.get(Path(args.output).suffix.lower()) if args.output else None)
    if name is None:
        raise CommandError("say which format: --format bibtex|ris|csljson|markdown|csv (or -o refs.bib, refs.ris, ...)")
    fmt = ExportFormat(name)
    if args.per_paper and (fmt is not ExportFormat.MARKDOWN or not args.output):
        raise CommandError("--per-paper needs --format markdown and -o FOLDER")
    with app.open_library(writer=False) as library:
        keys = selected_papers(library, args)
        if not keys:
            print("readinglist: no papers match; nothing was exported", file=sys.stderr)
            return 1
        if args.per_paper:
            notes = True if args.notes is None else args.notes
            paths = write_markdown_folder(library, keys, Path(args.output), include_notes=notes)
            print(f"exported {_papers(len(paths))} as Markdown notes into {args.output}", file=sys.stderr)
            return 0
        text = export_papers(library, keys, fmt, include_notes=args.notes)
        if args.output:
            path = write_atomically(Path(args.output), text)
            print(f"exported {_papers(len(keys))} as {fmt.label} to {path}", file=sys.stderr)
            return 0
    # As bytes where possible: UTF-8 whatever the console's encoding, and RIS's CRLF untouched on Windows.
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:
        sys.stdout.write(text)
        return 0
    sys.stdout.flush()
    binary.write(text.encode("utf-8"))
    binary.flush()
    return 0


def _papers(n: int) -> str:
    return f"{n:,} paper" + ("" if n == 1 else "s")


def cmd_cite(args: argparse.Namespace, app: App) -> int:
    from readinglist.core.export.styles import references, style_id

    style = style_id(args.style)
    with app.open_library(writer=False) as library:
        keys = selected_papers(library, args)
        if not keys:
            print("readinglist: no papers match", file=sys.stderr)
            return 1
        print(references(library, keys, style))
    return 0
