"""The daily digest on the command line: `digest` (write it, print it, or send it), `digest setup` (the mail server,
the password into the keyring) and `schedule install|remove|status` (refresh, then send, every day)."""

from __future__ import annotations

import argparse
import getpass
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from readinglist.app import App
from readinglist.core.errors import ReadingListError


class DigestError(ReadingListError):
    """The digest cannot be made or sent as asked (no mail server set up, no password)."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "digest",
        help="the best new papers since the previous digest (for you, authors you follow, trending): "
        "print it, write it to a file, or send it by email",
    )
    p.add_argument("--to", dest="to_file", metavar="FILE", help="write it to FILE (.html, .md or text by the name)")
    p.add_argument("--format", choices=["html", "markdown", "text"], help="output format (default: by FILE, else text)")
    p.add_argument("--send", action="store_true", help="send it by email (set up with `readinglist digest setup`)")
    p.add_argument("--force", action="store_true", help="send even if one was sent today")
    p.add_argument("--limit", type=int, metavar="N", help="at most N papers (default: the setting, 20)")
    dsub = p.add_subparsers(dest="digest_command", metavar="ACTION")
    s = dsub.add_parser(
        "setup", help="the mail server and address the digest goes to; the password goes to the keyring"
    )
    s.allow_abbrev = False  # "--password x" is refused as unknown, never taken for --password-stdin (x echoed)
    s.add_argument("--host", help="SMTP server, e.g. smtp.fastmail.com")
    s.add_argument("--port", type=int, help="587 for STARTTLS (the default), 465 for TLS")
    s.add_argument("--security", choices=["starttls", "tls", "none"], help="how the connection is protected")
    s.add_argument("--username", help="the login name (often your address)")
    s.add_argument("--email", dest="address", action="append", metavar="ADDRESS", help="where the digest goes")
    s.add_argument("--from", dest="sender", metavar="ADDRESS", help="the From address (default: the first --email)")
    s.add_argument("--ca-file", metavar="PEM", help="CA certificates to trust (a self-hosted server)")
    s.add_argument("--limit", type=int, metavar="N", help="papers per digest (default 20)")
    s.add_argument("--at", metavar="HH:MM", help="when `schedule install` sends it (default 07:30)")
    s.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    s.add_argument("--no-password", action="store_true", help="the server needs no login")
    s.add_argument("--show", action="store_true", help="only show the settings")
    s.set_defaults(handler=cmd_setup)
    p.set_defaults(handler=cmd_digest)

    p = sub.add_parser("schedule", help="refresh the feeds and send the digest every day, the platform's way")
    ssub = p.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    s = ssub.add_parser("install", help="a systemd user timer (catches up after sleep), or the cron line to add")
    s.add_argument("--at", metavar="HH:MM", help="the time of day (default: the digest setting, 07:30)")
    s.add_argument("--no-send", action="store_true", help="refresh only, no digest")
    s.set_defaults(handler=cmd_schedule, action="install")
    s = ssub.add_parser("remove", help="stop the daily run")
    s.set_defaults(handler=cmd_schedule, action="remove")
    s = ssub.add_parser("status", help="whether a daily run is installed, and when it ran and runs next")
    s.set_defaults(handler=cmd_schedule, action="status")


# ---- the digest ----------------------------------------------------------------------------------------------


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.to_file:
        suffix = Path(args.to_file).suffix.lower()
        return {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}.get(suffix, "text")
    return "text"


def cmd_digest(args: argparse.Namespace, app: App) -> int:
    from readinglist.core import digest as dg

    if args.limit is not None and not 1 <= args.limit <= 200:
        raise DigestError("--limit must be between 1 and 200")
    with app.open_library(writer=args.send) as library:
        config = dg.with_limit(dg.settings(library), args.limit)
        if args.send:
            return _send(args, app, library, config)
        made = dg.make_digest(library, config)
        text = dg.FORMATS[_format(args)](made)
    if args.to_file:
        from readinglist.core.files import write_atomically

        path = Path(args.to_file)
        write_atomically(path, text.encode("utf-8"))
        print(f"{path}: {_described(made)}")
    else:
        sys.stdout.write(text)
    return 0


def _described(made: Any) -> str:
    if made.empty:
        return "nothing new since the previous digest"
    return f"{len(made.keys)} papers ({made.subject.split(': ', 1)[-1]})"


def _mail_settings(config: Any) -> Any:
    from readinglist.core.mail import MailSettings

    if not config.mail or not config.mail.get("host"):
        raise DigestError("no mail server is set up: run `readinglist digest setup --host SMTP --email YOU`")
    mail = MailSettings.from_doc(config.mail)
    mail.check()
    return mail


def _password(app: App, mail: Any) -> str | None:
    from readinglist.core.credentials import MAIL_ACCOUNT

    if not mail.username:
        return None
    store = app.credentials()
    credential = store.get(MAIL_ACCOUNT)
    if credential is not None and credential.password:
        return str(credential.password)
    if sys.stdin.isatty():
        why = store.unavailable_reason or "no password is saved"
        print(f"readinglist: {why}; the password is asked for this run only", file=sys.stderr)
        return getpass.getpass(f"Password for {mail.username} at {mail.host}: ")
    raise DigestError(
        f"no password for {mail.username} at {mail.host}: run `readinglist digest setup` to keep it in the keyring"
    )


def _send(args: argparse.Namespace, app: App, library: Any, config: Any) -> int:
    from readinglist.core import digest as dg
    from readinglist.core.mail import build_message, send

    mail = _mail_settings(config)
    earlier = dg.sent_today(library)
    if earlier is not None and not args.force:
        print(f"A digest was sent today already ({len(earlier.keys)} papers); nothing sent (--force sends another)")
        return 0
    made = dg.make_digest(library, config)
    if made.empty:
        print("Nothing new since the previous digest; nothing sent")
        return 0
    password = _password(app, mail)
    message = build_message(
        subject=made.subject,
        text=dg.to_text(made),
        html=dg.to_html(made),
        sender=mail.sender or mail.to[0],
        to=mail.to,
    )
    send(message, mail, password)  # a MailError names the server and the reason; nothing is recorded, so it retries
    dg.record_sent(library, made, via=f"email to {', '.join(mail.to)}")
    print(f"Sent to {', '.join(mail.to)}: {_described(made)}")
    return 0


def cmd_setup(args: argparse.Namespace, app: App) -> int:
    from readinglist.core import digest as dg
    from readinglist.core.credentials import MAIL_ACCOUNT, Credential
    from readinglist.core.mail import MailSettings

    with app.open_library(writer=not args.show) as library:
        config = dg.settings(library)
        current = MailSettings.from_doc(config.mail) if config.mail.get("host") else None
        if args.show:
            _show(config, current)
            return 0
        host = args.host or (current.host if current else None)
        addresses = tuple(args.address) if args.address else (current.to if current else ())
        if not host and sys.stdin.isatty():
            host = input("SMTP server (e.g. smtp.fastmail.com): ").strip()
        if not addresses and sys.stdin.isatty():
            addresses = tuple(a.strip() for a in input("Send the digest to (address): ").split(",") if a.strip())
        if not host or not addresses:
            raise DigestError("give the mail server and the address: --host smtp.example.org --email you@example.org")
        security = args.security or (current.security if current else "starttls")
        port = args.port or (current.port if current and not args.security else {"tls": 465}.get(security, 587))
        username = "" if args.no_password else (args.username or (current.username if current else addresses[0]))
        mail = MailSettings(
            host=host,
            port=port,
            security=security,
            username=username,
            sender=args.sender or (current.sender if current else ""),
            to=addresses,
            ca_file=args.ca_file or (current.ca_file if current else None),
        )
        mail.check()
        new = replace(config, mail=mail.to_doc())
        if args.limit is not None:
            new = replace(new, limit=args.limit)
        if args.at:
            from readinglist.core.schedule import Plan

            Plan(at=args.at, program=Path("/"), data_dir=Path("/"))  # checks the time; raises a clear error
            new = replace(new, at=args.at)
        if username:
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
            if password is None and sys.stdin.isatty():
                password = getpass.getpass(f"Password for {username} at {host} (kept in the system keyring): ")
            if password:
                store = app.credentials()
                warning = None
                if store.available():
                    store.save(MAIL_ACCOUNT, Credential(username=username, password=password))
                else:
                    warning = (
                        f"{store.unavailable_reason or 'no system keyring'}; the password is not stored anywhere "
                        "and `digest --send` asks for it each time"
                    )
                if warning:
                    print(f"readinglist: warning: {warning}", file=sys.stderr)
        dg.save_settings(library, new)
        _show(new, mail)
    return 0


def _show(config: Any, mail: Any) -> None:
    if mail is None:
        print("Mail: not set up (readinglist digest setup --host SMTP --email YOU)")
    else:
        login = f", login {mail.username} (password in the keyring)" if mail.username else ", no login"
        print(f"Mail: {mail.host}:{mail.port} ({mail.security}){login}")
        print(f"To: {', '.join(mail.to)}" + (f"; from {mail.sender}" if mail.sender else ""))
        if mail.ca_file:
            print(f"Trusting the CAs in {mail.ca_file}")
    print(f"Papers per digest: {config.limit}; sections: {', '.join(config.sections)}; sent at {config.at}")


# ---- the schedule ----------------------------------------------------------------------------------------------


def cmd_schedule(args: argparse.Namespace, app: App) -> int:
    from readinglist.core import schedule

    if args.action == "remove":
        print(schedule.remove())
        return 0
    if args.action == "status":
        print(schedule.status().message)
        return 0
    from readinglist.cli.desktop_commands import program_path
    from readinglist.core import digest as dg

    with app.open_library(writer=False) as library:
        config = dg.settings(library)
    send = not args.no_send
    if send and not config.mail.get("host"):
        print(
            "readinglist: warning: no mail server is set up yet; the daily run refreshes, and sends once "
            "`readinglist digest setup` is done",
            file=sys.stderr,
        )
    plan = schedule.Plan(at=args.at or config.at, program=program_path(), data_dir=app.data_dir.resolve(), send=send)
    installed = schedule.install(plan)
    print(installed.message)
    if installed.cron_line:
        print(installed.cron_line)
    return 0
