"""Commands for subscriptions: `feeds add|list|remove|rename|set|import-opml|export-opml` and `refresh`."""

from __future__ import annotations

import argparse
import re
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import orjson

from readinglist.app import App
from readinglist.core.credentials import Credential
from readinglist.core.errors import CredentialError, SubscriptionError
from readinglist.core.feeds import (
    ANNOUNCE_TYPES,
    DEFAULT_ANNOUNCE_TYPES,
    FeedKind,
    FeedListing,
    FeedSpec,
    normalize_feed_url,
    subscribe,
    unsubscribe,
)

if TYPE_CHECKING:
    from readinglist.core.refresh import RefreshProgress


def register(sub: Any) -> None:
    feeds = sub.add_parser("feeds", help="manage subscriptions (arXiv, Hugging Face, journal feeds)")
    fsub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)

    p = fsub.add_parser("add", help="subscribe to a feed, an arXiv query or Hugging Face daily papers")
    p.add_argument(
        "url",
        metavar="URL",
        help="feed address; or arXiv categories (cs.CL+stat.ML), or an arXiv query with --kind arxiv-query",
    )
    p.add_argument("--name", metavar="N", help="name shown for the feed (default: from the feed)")
    p.add_argument("--group", metavar="G", default="", help="group (folder) of the feed; nest with /")
    p.add_argument("--kind", choices=[k.value for k in FeedKind], help="what the address is (default: guessed)")
    p.add_argument("--interval", metavar="TIME", help="refresh interval: 30m, 2h, 1d (default 1h; arXiv 1d)")
    p.add_argument(
        "--announce-types",
        metavar="TYPES",
        help=f"arXiv announce types that add papers, comma-separated (default {','.join(DEFAULT_ANNOUNCE_TYPES)})",
    )
    p.add_argument(
        "--no-check",
        action="store_true",
        help="subscribe without fetching the address first (by default a web page's own feed is found and used)",
    )
    _credential_options(p)
    p.set_defaults(handler=cmd_add)

    p = fsub.add_parser("list", help="list subscriptions with their status")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(handler=cmd_list)

    p = fsub.add_parser("remove", help="unsubscribe (papers already in the library stay)")
    p.add_argument("feed", metavar="FEED", help="feed name, id or URL")
    p.set_defaults(handler=cmd_remove)

    p = fsub.add_parser("rename", help="rename a feed")
    p.add_argument("feed", metavar="FEED")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(handler=cmd_rename)

    p = fsub.add_parser("set", help="change a feed's interval, announce types, group, address, kind or credentials")
    p.add_argument("feed", metavar="FEED")
    p.add_argument("--interval", metavar="TIME", help="refresh interval: 30m, 2h, 1d")
    p.add_argument(
        "--announce-types",
        metavar="TYPES",
        help=f"arXiv announce types that add papers ({', '.join(ANNOUNCE_TYPES)}), comma-separated; "
        "'default' for the default",
    )
    p.add_argument("--group", metavar="G", help="group (folder); '' for none")
    p.add_argument("--url", metavar="URL", help="a new address")
    p.add_argument("--kind", choices=[k.value for k in FeedKind], help="what the address is, when it was guessed wrong")
    p.add_argument("--max-results", type=int, metavar="N", help="arXiv queries: how many results to read")
    notify = p.add_mutually_exclusive_group()
    notify.add_argument("--notify", dest="notify", action="store_const", const=True,
                        help="papers from this feed count in the window's notifications (the default)")  # fmt: skip
    notify.add_argument("--no-notify", dest="notify", action="store_const", const=False,
                        help="no notification for this feed's papers (they still arrive)")  # fmt: skip
    _credential_options(p)
    p.add_argument("--forget-credentials", action="store_true", help="delete the feed's credentials from the keyring")
    p.set_defaults(handler=cmd_set)

    p = fsub.add_parser("import-opml", help="subscribe to the feeds of an OPML file from another reader")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(handler=cmd_import_opml)

    p = fsub.add_parser("export-opml", help="write all subscriptions (with groups) as OPML; never credentials")
    p.add_argument("file", metavar="FILE", help="the file to write, - for standard output")
    p.set_defaults(handler=cmd_export_opml)

    p = sub.add_parser("refresh", help="download feeds and add their new papers")
    p.add_argument("feeds", nargs="*", metavar="FEED", help="feed names, ids or URLs (default: all)")
    p.add_argument("--due", action="store_true", help="only the feeds whose interval has passed")
    p.add_argument("--jobs", type=int, default=4, metavar="N", help="downloads at once (default 4)")
    p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for a server to answer (default 30)",
    )
    p.add_argument("--verbose", "-v", action="store_true", help="also show each feed's warnings")
    _credential_options(p, run_only=True)
    p.set_defaults(handler=cmd_refresh)


def _credential_options(p: argparse.ArgumentParser, *, run_only: bool = False) -> None:
    where = "for this run only (one FEED)" if run_only else "stored in the system keyring"
    p.allow_abbrev = False  # "--password SECRET" is refused as unknown, never taken for --password-stdin
    p.add_argument("--username", metavar="U", help=f"HTTP user name, {where}")
    secret = p.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true", help=f"read the password from standard input, {where}")
    secret.add_argument(
        "--token-stdin",
        action="store_true",
        help=f"read a token (sent as 'Authorization: Bearer') from standard input, {where}",
    )


# ---- helpers -------------------------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "": 60}


def parse_duration(text: str) -> int:
    """`30m`, `2h`, `1d`, `1w`, `90s`; a bare number is minutes."""
    m = _DURATION.match(text)
    if not m:
        raise SubscriptionError(f"{text!r} is not a duration (try 30m, 2h or 1d)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def format_duration(seconds: int) -> str:
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _types(text: str | None) -> tuple[str, ...] | None:
    if text is None or text.strip().lower() == "default":
        return None
    return tuple(t for t in re.split(r"[,\s]+", text) if t)


def _read_secret(stream: TextIO) -> str:
    secret = stream.read()
    secret = secret[:-1] if secret.endswith("\n") else secret
    secret = secret[:-1] if secret.endswith("\r") else secret
    if not secret:
        raise SubscriptionError("nothing was read from standard input")
    return secret


def _credential_from_args(args: argparse.Namespace) -> Credential | None:
    if args.token_stdin:
        return Credential(token=_read_secret(sys.stdin))
    if args.password_stdin:
        if not args.username:
            raise SubscriptionError("--password-stdin needs --username")
        return Credential(username=args.username, password=_read_secret(sys.stdin))
    if args.username:
        raise SubscriptionError("--username needs --password-stdin (passwords are never taken on the command line)")
    return None


def _when(text: str | None) -> str:
    return text.replace("T", " ").replace("Z", " UTC")[:20].rstrip() if text else "never"


def listing_json(item: FeedListing) -> dict[str, Any]:
    f = item.feed
    return {
        "id": f.id,
        "name": f.name,
        "url": f.url,
        "group": f.group,
        "kind": f.kind.value,
        "status": f.status.value,
        "interval": f.interval,
        "announce_types": list(f.adding_types),
        "credentials": f.auth or None,
        "last_success": f.last_success,
        "last_attempt": f.last_attempt,
        "last_error": f.last_error,
        "failures": f.failures,
        "next_due": f.next_due,
        "papers": item.papers,
        "unread": item.unread,
    }


# ---- commands --------------------------------------------------------------------------------------------------


def cmd_add(args: argparse.Namespace, app: App) -> int:
    credential = _credential_from_args(args)
    spec = FeedSpec(
        url=args.url,
        name=args.name,
        group=args.group,
        kind=FeedKind(args.kind) if args.kind else None,
        interval=parse_duration(args.interval) if args.interval else None,
        announce_types=_types(args.announce_types),
    )
    first_fetch = None
    if not args.no_check:
        spec, first_fetch = _checked(spec, credential)
    credentials = app.credentials()
    with app.open_shelf() as library:
        registry = library.feeds
        done = subscribe(registry, spec, credentials=credentials, credential=credential)
    feed = done.feed
    if first_fetch is not None:
        print(
            f"readinglist: warning: {feed.name} could not be fetched ({first_fetch}); it is subscribed anyway and "
            f"tried again at each refresh (`readinglist feeds remove {feed.id}` takes it out)",
            file=sys.stderr,
        )
    print(f"subscribed to {feed.name} ({feed.kind.value}, every {format_duration(feed.interval)}): {feed.url}")
    if done.credential_saved:
        print("credentials saved in the system keyring")
    if done.credential_saved is False:
        print(
            f"readinglist: warning: {credentials.unavailable_reason or done.warning}. The feed was added without "
            f"them; give the credentials for one run with "
            f"`readinglist refresh {feed.id} --username U --password-stdin`",
            file=sys.stderr,
        )
    print(f"fetch it now with: readinglist refresh {feed.id}")
    return 0


def _checked(spec: FeedSpec, credential: Credential | None) -> tuple[FeedSpec, str | None]:
    """Fetch the address once before subscribing: a web page is replaced by the feed it names (autodiscovery) or
    refused with the feeds it names; a feed that cannot be fetched now is said (the reason), not silently kept."""
    from dataclasses import replace

    from readinglist.core.discover import probe
    from readinglist.core.sources import is_arxiv_url

    try:
        url, kind = normalize_feed_url(spec.url, spec.kind)
    except SubscriptionError:
        return spec, None  # subscribe() says what is wrong with it
    if kind is not FeedKind.RSS or is_arxiv_url(url):
        return spec, None  # arXiv and Hugging Face are known sources, read their own way
    seen = probe(url, credential=credential)
    if seen.replaced is not None:
        print(f"{url} is a web page; subscribing to the feed it names: {seen.replaced.describe()}")
        return replace(spec, url=seen.replaced.url), None
    if seen.refused is not None:
        lines = "".join(f"\n  readinglist feeds add {f.url}    # {f.title or f.kind}" for f in seen.found)
        advice = " Add the one you want:" if seen.found else " (--no-check subscribes anyway)"
        raise SubscriptionError(f"{seen.refused}; nothing was subscribed.{advice}{lines}")
    return spec, seen.unreachable


def cmd_list(args: argparse.Namespace, app: App) -> int:
    with app.open_shelf(writer=False) as library:
        items = library.feeds.listing(library)
    if args.json:
        for item in items:
            sys.stdout.write(orjson.dumps(listing_json(item)).decode("utf-8") + "\n")
        return 0
    if not items:
        print("no subscriptions yet: add one with `readinglist feeds add URL`", file=sys.stderr)
        return 0
    out = sys.stdout
    for item in items:
        f = item.feed
        group = f"[{f.group}] " if f.group else ""
        due = _when(f.next_due) if f.next_due else "now"
        out.write(
            f"{f.id}  {group}{f.name}\n"
            f"    {f.url}\n"
            f"    {f.status.value}, last success {_when(f.last_success)}, {item.papers} papers "
            f"({item.unread} unread), every {format_duration(f.interval)}, next {due}\n"
        )
        if f.last_error:
            failures = f" ({f.failures} failures in a row)" if f.failures > 1 else ""
            out.write(f"    last error{failures}: {f.last_error}\n")
    return 0


def cmd_remove(args: argparse.Namespace, app: App) -> int:
    credentials = app.credentials()
    with app.open_shelf() as library:
        registry = library.feeds
        feed = registry.resolve(args.feed)
        try:
            unsubscribe(registry, feed.id, credentials=credentials)
        except CredentialError as exc:
            print(f"readinglist: warning: {exc}", file=sys.stderr)
        kept = library.feed_counts().get(feed.id, 0)
    print(f"unsubscribed from {feed.name}" + (f"; its {kept} papers stay in the library" if kept else ""))
    return 0


def cmd_rename(args: argparse.Namespace, app: App) -> int:
    with app.open_shelf() as library:
        registry = library.feeds
        feed = registry.resolve(args.feed)
        new = registry.update(feed.id, name=args.name)
    print(f"renamed {feed.name!r} to {new.name!r}")
    return 0


def cmd_set(args: argparse.Namespace, app: App) -> int:
    credential = _credential_from_args(args)
    changes: dict[str, Any] = {}
    if args.interval:
        changes["interval"] = parse_duration(args.interval)
    if args.announce_types is not None:
        changes["announce_types"] = _types(args.announce_types)
    if args.group is not None:
        changes["group"] = args.group
    if args.url:
        changes["url"] = args.url
    if args.kind:
        changes["kind"] = FeedKind(args.kind)
    if args.max_results is not None:
        changes["max_results"] = args.max_results
    if args.notify is not None:
        changes["notify"] = args.notify
    if not changes and credential is None and not args.forget_credentials:
        raise SubscriptionError("nothing to change (see `readinglist feeds set --help`)")
    credentials = app.credentials()
    messages = []
    with app.open_shelf() as library:
        registry = library.feeds
        feed = registry.resolve(args.feed)
        if "url" in changes:
            from readinglist.core.credentials import split_credentials

            changes["url"], from_url = split_credentials(changes["url"])
            credential = credential or from_url
        if args.forget_credentials:
            credentials.delete(feed.id)
            changes["auth"] = ""
            messages.append("credentials deleted from the keyring")
        if credential is not None:
            warning = credentials.keep(feed.id, credential)
            messages.append(f"warning: {warning}" if warning else "credentials saved in the system keyring")
            changes["auth"] = credential.kind
        if changes:
            feed = registry.update(feed.id, **changes)
    print(
        f"{feed.name} ({feed.kind.value}): every {format_duration(feed.interval)}, announce types "
        f"{','.join(feed.adding_types)}, group {feed.group or '(none)'}, "
        f"{'notifies' if feed.notify else 'no notifications'}, {feed.url}"
    )
    for message in messages:
        print(message)
    return 0


def cmd_import_opml(args: argparse.Namespace, app: App) -> int:
    from readinglist.core.opml import import_opml_file

    credentials = app.credentials()
    with app.open_shelf() as library:
        result = import_opml_file(library.feeds, Path(args.file), credentials=credentials)
    for title, reason in result.skipped:
        print(f"readinglist: skipped {title}: {reason}", file=sys.stderr)
    for warning in result.warnings:
        print(f"readinglist: warning: {warning}", file=sys.stderr)
    print(f"{args.file}: {result.summary()}")
    return 0


def cmd_export_opml(args: argparse.Namespace, app: App) -> int:
    from readinglist.core.opml import export_opml

    with app.open_shelf(writer=False) as library:
        feeds = library.feeds.feeds()
    data = export_opml(feeds)
    if args.file == "-":
        sys.stdout.write(data.decode("utf-8"))
        return 0
    path = Path(args.file)
    from readinglist.core.files import write_atomically

    write_atomically(path, data)  # an ExportError is reported by main as one line
    print(f"{len(feeds)} feeds written to {path}")
    return 0


class ProgressBar:
    """A one-line progress bar on a terminal; silent when the stream is not one."""

    def __init__(self, stream: TextIO, *, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.live = stream.isatty()
        self._drawn = False

    def __call__(self, p: RefreshProgress) -> None:
        from readinglist.core.refresh import RefreshOutcome

        if p.last is not None and p.last.outcome is RefreshOutcome.FAILED:
            self.clear()
            self.stream.write(f"readinglist: error: {p.last.name}: {p.last.error}\n")
        if not self.live or p.total == 0:
            return
        filled = int(self.width * p.done / p.total)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {p.done}/{p.total} feeds, {p.new_papers} new papers")
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * (self.width + 50) + "\r")
            self._drawn = False


def cmd_refresh(args: argparse.Namespace, app: App) -> int:
    # The HTTP client and the refresh machinery load here, for the one command that uses them.
    from readinglist.core.fetcher import FeedFetcher
    from readinglist.core.refresh import RefreshOutcome, RefreshSummary, refresh_feeds

    credential = _credential_from_args(args)
    if credential is not None and len(args.feeds) != 1:
        raise SubscriptionError("credentials for this run need exactly one FEED")
    credentials = app.credentials()
    bar = ProgressBar(sys.stderr)
    cancel = threading.Event()
    # The library on disk, through its catalog: a refresh costs the papers the feeds bring, not the library's.
    with app.open_shelf() as library:
        registry = library.feeds
        ids = [registry.resolve(t).id for t in args.feeds] if args.feeds else None
        if not ids and len(registry) == 0:
            print("no subscriptions yet: add one with `readinglist feeds add URL`", file=sys.stderr)
            return 0
        if credential is not None and ids:
            credentials.remember_for_session(ids[0], credential)
            if not registry.get(ids[0]).auth:
                registry.update(ids[0], auth=credential.kind)
        outcome: dict[str, RefreshSummary] = {}
        failure: list[BaseException] = []

        def run() -> None:
            try:
                with FeedFetcher(read_timeout=args.timeout, connect_timeout=min(args.timeout, 10.0)) as fetcher:
                    outcome["summary"] = refresh_feeds(
                        library,
                        registry,
                        feed_ids=ids,
                        due_only=args.due,
                        fetcher=fetcher,
                        credentials=credentials,
                        progress=bar,
                        cancel=cancel,
                        max_workers=max(1, args.jobs),
                    )
            except BaseException as exc:  # handed to the main thread, which reports it
                failure.append(exc)

        # The refresh owns the library on its own thread, so that Ctrl-C here can cancel it cleanly.
        worker = threading.Thread(target=run, name="readinglist-refresh")
        worker.start()
        interrupted = False
        while True:
            # Leave only once the refresh thread has finished: closing the library under it would release the
            # writer lock while it may still be committing.
            try:
                worker.join()
                break
            except KeyboardInterrupt:
                interrupted = True
                cancel.set()
        bar.clear()
        if failure:
            raise failure[0]
        summary = outcome["summary"]
    if args.verbose:
        for result in summary.results:
            for warning in result.warnings:
                print(f"readinglist: warning: {warning}", file=sys.stderr)
    for result in summary.results:
        if result.outcome is RefreshOutcome.WAITING:
            print(f"readinglist: {result.name}: {result.error}", file=sys.stderr)
        if result.moved_to:
            print(
                f"readinglist: {result.name} moved permanently to {result.moved_to}; address updated", file=sys.stderr
            )
        if result.move_refused and not args.verbose:  # (verbose output has it among the warnings)
            print(f"readinglist: {result.name}: {result.move_refused}", file=sys.stderr)
    print(summary.summary())
    if interrupted:
        return 130
    return 1 if summary.failed else 0
