"""Commands that work on the library itself: import, list, show, the user's state, stats, backup, restore."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from readinglist.core.errors import FeedError, PaperNotFoundError
from readinglist.core.models import ListFilter, PaperKey, SortKey, paper_date
from readinglist.core.papers import UnknownPaperError
from readinglist.core.text import shown_title

if TYPE_CHECKING:
    from readinglist.app import App
    from readinglist.core.library import Library
    from readinglist.core.shelf import Shelf


def add_selection_options(p: argparse.ArgumentParser) -> None:
    """Which papers a command works on: a view, a tag, a feed, a search (`list` and `export` take the same)."""
    views = p.add_mutually_exclusive_group()
    helps = {name: f"only {name} papers" for name in ("unread", "read", "starred", "noted", "updated")}
    helps["for-you"] = "unread papers you have neither starred nor dismissed (with --sort relevance: best first)"
    helps["trending"] = "papers with upvotes, comments or several feeds carrying them"
    helps["later"] = "your Read later queue, the first queued first"
    helps["following"] = "papers by the authors you follow (`readinglist follow NAME`)"
    helps["muted"] = "papers your mute rules muted (`readinglist rules list`)"
    for name, help_text in helps.items():
        views.add_argument(f"--{name}", dest="view", action="store_const", const=ListFilter(name), help=help_text)
    p.add_argument("--tag", metavar="T", help="only papers tagged T")
    p.add_argument("--feed", metavar="F", help="only papers from feed F (its name, id or address)")
    p.add_argument("--search", metavar="TEXT", help="only papers whose title, authors, abstract or note match")
    p.add_argument("--author", metavar="NAME", help='only papers by this person ("B. Sagot" finds Benoît Sagot)')


def register(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="import files into the library: feeds (RSS, Atom, Hugging Face JSON) or another tool's library "
        "(BibTeX, RIS, CSL-JSON); papers already in the library are matched, not repeated",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files to read")
    p.add_argument(
        "--star", action="store_true", help="star every paper of these files (evidence for For you: your library)"
    )
    p.add_argument("--tag", action="append", default=[], metavar="T", help="tag every paper of these files T")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("list", help="list papers, one per line")
    add_selection_options(p)
    p.add_argument("--sort", choices=[s.value for s in SortKey], default="date", help="order (default: date)")
    p.add_argument("--limit", type=int, metavar="N", help="at most N papers")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(handler=cmd_list, view=ListFilter.ALL)

    p = sub.add_parser("similar", help="the papers most like one paper (its near duplicates first)")
    p.add_argument("key", metavar="KEY", help="paper key or arXiv id")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N papers (default 20)")
    p.add_argument("--json", action="store_true", help="one JSON object per line, with score and why")
    p.set_defaults(handler=cmd_similar)

    p = sub.add_parser("show", help="show one paper with your state on it")
    p.add_argument("key", metavar="KEY", help="paper key or arXiv id")
    p.add_argument("--json", action="store_true", help="as one JSON object")
    p.set_defaults(handler=cmd_show)

    for name, help_text in (
        ("star", "star papers"),
        ("unstar", "remove the star"),
        ("read", "mark papers read"),
        ("unread", "mark papers unread"),
        ("dismiss", "not interested: out of For you, and papers like them rank lower"),
        ("later", "put papers in the Read later queue (`list --later`: the first queued first)"),
        ("unlater", "take papers out of the Read later queue"),
        ("undismiss", "undo dismiss"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("keys", nargs="+", metavar="KEY", help="paper keys or arXiv ids")
        p.set_defaults(handler=cmd_state, action=name)

    p = sub.add_parser("tag", help="add tags to a paper")
    p.add_argument("key", metavar="KEY")
    p.add_argument("tags", nargs="+", metavar="TAG")
    p.set_defaults(handler=cmd_tag, remove=False)
    p = sub.add_parser("untag", help="remove tags from a paper")
    p.add_argument("key", metavar="KEY")
    p.add_argument("tags", nargs="+", metavar="TAG")
    p.set_defaults(handler=cmd_tag, remove=True)

    p = sub.add_parser("note", help="set the Markdown note of a paper (no TEXT: read it from standard input)")
    p.add_argument("key", metavar="KEY")
    p.add_argument("text", nargs="?", metavar="TEXT", help="the note; empty deletes it")
    p.set_defaults(handler=cmd_note)

    p = sub.add_parser("stats", help="counts of papers, states, tags and feeds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_stats)

    p = sub.add_parser("backup", help="copy the library into its backups folder now, or into one archive file")
    p.add_argument("--to", metavar="FILE", help="write one archive (papers, your state, feeds; never credentials)")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("restore", help="bring back a backup (default: the latest good one)")
    p.add_argument("backup", nargs="?", metavar="BACKUP", help="backup name (see --list)")
    p.add_argument("--list", action="store_true", help="list the backups")
    p.add_argument(
        "--salvage",
        action="store_true",
        help="with no usable backup: rebuild the library from every file that still reads, leaving out "
        "only the damaged ones (the whole folder is copied to corrupt/ first)",
    )
    p.add_argument(
        "--from",
        dest="from_file",
        metavar="FILE",
        help="merge an archive written by `backup --to` into this library (newest edit wins per field)",
    )
    p.set_defaults(handler=cmd_restore)


# ---- helpers ---------------------------------------------------------------------------------------------------


def ensure_sample(app: App) -> None:
    with app.open_library() as library:
        if len(library) == 0:
            print(f"Loading the sample papers into {app.data_dir}: {app.load_sample(library)}", file=sys.stderr)


def no_display() -> str | None:
    """Why the window cannot be shown here, before Qt aborts the process trying (Linux without a display)."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display: the window needs a graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set); "
        "the command line works without one (readinglist --help)"
    )


def open_window(args: argparse.Namespace, app: App) -> int:
    problem = no_display()
    if problem is not None:
        print(f"readinglist: error: {problem}", file=sys.stderr)
        return 1
    try:
        from readinglist.ui.main import run_window
    except ImportError as exc:
        print(
            f"readinglist: error: the window cannot start ({exc}); the command line works: see `readinglist --help`",
            file=sys.stderr,
        )
        return 1
    return run_window(app, sample=args.sample, paper=getattr(args, "paper", None))


def _resolve(library: Library, texts: list[str]) -> list[PaperKey]:
    return [library.resolve(t) for t in texts]


def paper_json(library: Library | Shelf, key: str, names: dict[str, str] | None = None) -> dict[str, Any]:
    names = library.feed_names() if names is None else names
    stored = library.get(key)
    paper = stored.as_shown()  # TeX read as Unicode: what the window shows and search finds
    state = library.state(key)
    source = (
        {"title": stored.title, "authors": list(stored.authors), "abstract": stored.abstract}
        if paper is not stored
        else None
    )
    return {
        "key": paper.key,
        "arxiv_id": paper.arxiv_id,
        "arxiv_version": paper.arxiv_version,
        "doi": paper.doi,
        "title": paper.title,
        "authors": list(paper.authors),
        "abstract": paper.abstract,
        "published": paper.published,
        "updated": paper.updated,
        "first_seen": paper.first_seen,
        "content_updated": paper.content_updated,
        "categories": list(paper.categories),
        "url": paper.abs_url,
        "pdf_url": paper.pdf_url,
        "journal_ref": paper.journal_ref,
        "feeds": [names.get(f, f) for f in paper.feeds],
        "extra": dict(paper.extra),
        "starred": state.starred,
        "starred_at": state.starred_at if state.starred else None,
        "read": state.read,
        "read_at": state.read_at if state.read else None,
        "tags": list(state.tags),
        "note": state.note,
        "note_at": state.note_at if state.note else None,
        "dismissed": state.dismissed,
        "later": state.later,
        "muted_by": _rule_name(library, state.muted_by) if state.muted else None,
        "source": source,  # the text as the feed gave it (its TeX), when it reads differently
    }


def _rule_name(library: Library | Shelf, rule_id: str) -> str:
    return next((r.name for r in library.rules() if r.id == rule_id), rule_id)


def _print_json_line(obj: Any) -> None:
    sys.stdout.write(orjson.dumps(obj).decode("utf-8") + "\n")


# ---- commands --------------------------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace, app: App) -> int:
    from readinglist.core.importer import FeedFiles  # feedparser loads for the command that reads feeds

    failures = 0
    # The library on disk, through its catalog: a feed of 1,000 papers costs its papers, not the library's. Many
    # files are parsed on the other cores while the one before is written (the workers start before the shelf).
    with FeedFiles([Path(raw) for raw in args.paths]) as files, app.open_shelf() as shelf:
        for path, parsed in files:
            if isinstance(parsed, FeedError):
                print(f"readinglist: error: {parsed}", file=sys.stderr)
                failures += 1
                continue
            result = shelf.add_papers_in_batches(parsed.papers, source=parsed.title)
            for warning in parsed.warnings:
                print(f"readinglist: warning: {warning}", file=sys.stderr)
            print(f"{path}: {result.summary()}")
            if args.star or args.tag:
                # Every paper of the file, those matched with papers already in the library included.
                keys = list(dict.fromkeys(k for k in map(shelf.find, parsed.papers) if k is not None))
                if args.star:
                    starred = shelf.set_starred(keys, True)
                    print(f"{path}: {len(starred.after)} starred")
                if args.tag:
                    shelf.add_tags(keys, args.tag)
                    print(f"{path}: {len(keys)} tagged {', '.join(args.tag)}")
    return 1 if failures else 0


def cmd_list(args: argparse.Namespace, app: App) -> int:
    sort = SortKey(args.sort)
    view = args.view or ListFilter.ALL
    with app.open_shelf(writer=False) as shelf:
        if shelf.supports(view, sort, author=args.author):
            # The catalog answers: twenty rows of a million papers cost twenty rows.
            feed = shelf.feeds.source_id(args.feed) if args.feed else None
            keys = shelf.query(view=view, tag=args.tag, feed=feed, search=args.search, sort=sort, limit=args.limit)
            out = sys.stdout
            if args.json:
                names = shelf.feed_names()
                for key in keys:
                    _print_json_line(paper_json(shelf, key, names))
            else:
                lines = shelf.catalog.rows(keys)
                for key in keys:
                    line = lines[key]
                    out.write(
                        f"{key:<26} {'*' if line.starred else ' '}{' ' if line.read else 'N'} {line.date[:10]:<10}  "
                        f"{line.title}\n"
                    )
            if not keys and not args.json:
                print("no papers match", file=sys.stderr)
            return 0
    # Ranking, trending, followed authors and people need every paper: the whole library.
    with app.open_library(writer=False) as library:
        names = library.feed_names()
        feed = None
        if args.feed:
            feed = library.feeds.source_id(args.feed)
        keys = library.query(
            view=view,
            tag=args.tag,
            feed=feed,
            search=args.search,
            sort=sort,
            limit=args.limit,
            author=args.author,
        )
        scores: dict[str, tuple[float, tuple[str, ...]]] = {}
        if sort is SortKey.RELEVANCE:
            model = library.taste.model()
            if model is None:
                print(f"readinglist: {too_little_evidence(library)}", file=sys.stderr)
            else:
                scores = {k: (s, model.why(k)) for k, s in zip(keys, model.score(keys), strict=True)}
        elif sort is SortKey.TRENDING:
            scores = {k: (library.trending(k), ()) for k in keys}
        out = sys.stdout
        for key in keys:
            if args.json:
                row = paper_json(library, key, names)
                if key in scores:
                    row["score"], row["why"] = round(scores[key][0], 6), list(scores[key][1])
                _print_json_line(row)
                continue
            doc = library.doc(key)
            state = library.state_doc(key)
            star = "*" if state.get("starred") else " "
            mark = " " if state.get("read") else "N"
            date = paper_date(doc)[:10]
            why = f"  [{', '.join(scores[key][1])}]" if key in scores and scores[key][1] else ""
            out.write(f"{key:<26} {star}{mark} {date:<10}  {shown_title(doc)}{why}\n")
        if not keys and not args.json:
            print("no papers match", file=sys.stderr)
    return 0


def too_little_evidence(library: Library) -> str:
    """What to say when there is too little to rank by, and what to do about it."""
    from readinglist.core.taste import MIN_EVIDENCE

    have = library.taste.positives()
    return (
        f"ranking needs at least {MIN_EVIDENCE} papers you starred, noted or tagged (you have {have}); "
        "showing the newest first. Star papers you like, or import your library from another tool with "
        "`readinglist import refs.bib --star`"
    )


def cmd_similar(args: argparse.Namespace, app: App) -> int:
    with app.open_library(writer=False) as library:
        key = library.resolve(args.key)
        names = library.feed_names()
        ranked = library.taste.similar(key, limit=max(1, args.limit))
        for r in ranked:
            if args.json:
                row = paper_json(library, r.key, names)
                row["score"], row["why"] = round(r.score, 6), list(r.why)
                _print_json_line(row)
                continue
            doc = library.doc(r.key)
            why = f"  [{', '.join(r.why)}]" if r.why else ""
            print(f"{r.key:<26} {r.score:5.2f}  {shown_title(doc)}{why}")
        if not ranked and not args.json:
            print("no similar papers in the library", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace, app: App) -> int:
    with app.open_shelf(writer=False) as library:
        key = library.resolve(args.key)
        data = paper_json(library, key)
    if args.json:
        _print_json_line(data)
        return 0
    lines = [data["title"], ""]
    fields = [
        ("Key", data["key"]),
        ("Authors", ", ".join(data["authors"])),
        ("arXiv", f"{data['arxiv_id']}v{data['arxiv_version']}" if data["arxiv_version"] else data["arxiv_id"]),
        ("DOI", data["doi"]),
        ("Journal", data["journal_ref"]),
        ("Published", data["published"]),
        ("Updated", data["content_updated"] and f"new version seen {data['content_updated']}"),
        ("First seen", data["first_seen"]),
        ("Categories", ", ".join(data["categories"])),
        ("Feeds", ", ".join(data["feeds"])),
        ("Link", data["url"]),
        ("PDF", data["pdf_url"]),
        ("Starred", data["starred_at"] and f"yes, since {data['starred_at']}"),
        ("Read", data["read_at"] and f"yes, on {data['read_at']}"),
        ("Tags", ", ".join(data["tags"])),
        ("Dismissed", "yes: not interested (`readinglist undismiss` takes it back)" if data["dismissed"] else ""),
        ("Muted", f"by rule “{data['muted_by']}” (`readinglist unread KEY` keeps it)" if data["muted_by"] else ""),
    ]
    for name, value in data["extra"].items():
        fields.append((name.replace("_", " ").capitalize(), str(value)))
    lines += [f"{name + ':':<12} {value}" for name, value in fields if value]
    if data["abstract"]:
        import textwrap

        for paragraph in data["abstract"].split("\n\n"):
            lines += ["", *textwrap.wrap(paragraph, 100, break_on_hyphens=False)]
    if data["note"]:
        lines += ["", f"Note (edited {data['note_at']}):", data["note"]]
    print("\n".join(lines))
    return 0


def cmd_state(args: argparse.Namespace, app: App) -> int:
    with app.open_shelf() as library:
        keys = []
        unknown = []
        for text in args.keys:
            try:
                keys.append(library.resolve(text))
            except UnknownPaperError:
                unknown.append(text)
        if unknown:
            names = " or ".join(repr(t) for t in unknown)
            rest = "" if len(args.keys) == 1 else f"; none of the {len(args.keys)} papers was changed"
            raise PaperNotFoundError(
                f"no paper {names} in the library (use a key from `readinglist list`, or an arXiv id){rest}"
            )
        if args.action in ("star", "unstar"):
            change = library.set_starred(keys, args.action == "star")
        elif args.action in ("later", "unlater"):
            change = library.set_later(keys, args.action == "later")
        elif args.action in ("dismiss", "undismiss"):
            change = library.set_dismissed(keys, args.action == "dismiss")
        else:
            change = library.set_read(keys, args.action == "read")
    verb = {
        "star": "starred",
        "unstar": "unstarred",
        "read": "marked read",
        "unread": "marked unread",
        "dismiss": "dismissed",
        "undismiss": "no longer dismissed",
        "later": "queued to read later",
        "unlater": "out of the Read later queue",
    }
    print(
        f"{len(change.after)} {verb[args.action]}"
        + (f", {len(keys) - len(change.after)} already were" if len(change.after) < len(keys) else "")
    )
    return 0


def cmd_tag(args: argparse.Namespace, app: App) -> int:
    with app.open_shelf() as library:
        key = library.resolve(args.key)
        if args.remove:
            library.remove_tags([key], args.tags)
        else:
            library.add_tags([key], args.tags)
        tags = library.state(key).tags
    print(f"{key}: tags {', '.join(tags) if tags else '(none)'}")
    return 0


def cmd_note(args: argparse.Namespace, app: App) -> int:
    text = args.text if args.text is not None else sys.stdin.read()
    with app.open_shelf() as library:
        key = library.resolve(args.key)
        library.set_note(key, text)
        note = library.state(key).note
    print(f"{key}: note {'saved' if note else 'deleted'}")
    return 0


def cmd_stats(args: argparse.Namespace, app: App) -> int:
    with app.open_shelf(writer=False) as library:
        stats = library.stats()
        names = library.feed_names()
    if args.json:
        _print_json_line({k: getattr(stats, k) for k in stats.__dataclass_fields__})
        return 0
    print(f"Library:  {stats.data_dir} ({stats.bytes_on_disk / 1e6:.1f} MB, generation {stats.generation})")
    print(f"Papers:   {stats.papers} ({stats.unread} unread, {stats.read} read, {stats.updated} updated)")
    print(f"Starred:  {stats.starred}   With notes: {stats.noted}   Tagged: {stats.tagged}")
    if stats.tags:
        print("Tags:     " + ", ".join(f"{t} ({n})" for t, n in sorted(stats.tags.items())))
    if stats.feeds:
        print("Sources:")
        for feed, n in sorted(stats.feeds.items(), key=lambda kv: -kv[1]):
            print(f"  {n:>7}  {names.get(feed, feed)}")
    return 0


def cmd_backup(args: argparse.Namespace, app: App) -> int:
    if args.to:
        from readinglist.cli.archive_commands import backup_to

        return backup_to(args, app)
    with app.open_shelf() as library:  # a backup links files: no paper is read
        info = library.backup(reason="manual")
    if info is None:
        print("the library is empty: nothing to back up")
    else:
        print(f"backup {info.name} written to {info.path}")
    return 0


def cmd_restore(args: argparse.Namespace, app: App) -> int:
    from readinglist.core.catalog import Catalog
    from readinglist.core.datadir import DataFolder
    from readinglist.core.library import Library
    from readinglist.core.storage import Store

    if args.from_file:
        from readinglist.cli.archive_commands import restore_from

        return restore_from(args, app)
    store = Store(app.data_dir, writer=True, lock_timeout=app.lock_timeout)
    if args.list:
        backups = store.list_backups()
        if not backups:
            print(f"no backups in {store.backups_dir}")
        for b in backups:
            taken = b.created[:19].replace("T", " ")
            print(f"{b.name:<48} taken {taken:<19}  generation {b.generation:<6} {b.papers_bytes / 1e6:8.1f} MB")
        for name in store.damaged_backups():
            print(f"{name:<48} damaged: its manifest does not read")
        return 0
    if args.salvage:
        not_kept = store.salvage()
        try:
            library = Library(store, catalog=Catalog(DataFolder(app.data_dir).catalog))
            library.sync_search_index()
            print(f"salvaged the library: {len(library)} papers")
        finally:
            store.close()
        for line in not_kept:
            print(f"readinglist: {line}", file=sys.stderr)
        print(f"the library as it was before is copied in {store.folder.corrupt}", file=sys.stderr)
        return 0
    # Choose first: a restore that cannot happen must not move the current library aside.
    chosen = store.choose_backup(args.backup)
    passed_over = store.passed_over(chosen) if args.backup is None else []
    problem = store.open_for_recovery()
    try:
        if problem is not None:
            print(f"readinglist: the current library could not be read: {problem}", file=sys.stderr)
        library = Library(store, catalog=Catalog(DataFolder(app.data_dir).catalog))
        name = library.restore(chosen.name)
        print(f"restored backup {name} (taken {chosen.created[:16].replace('T', ' ')}): {len(library)} papers")
    finally:
        store.close()
    for damaged in passed_over:
        print(f"readinglist: passed over backup {damaged}: it is damaged", file=sys.stderr)
    if problem is not None:
        print(f"readinglist: the damaged library was moved to {store.folder.corrupt}", file=sys.stderr)
    return 0
