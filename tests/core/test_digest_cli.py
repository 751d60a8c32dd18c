"""`readinglist digest` as a user runs it, through a real SMTP server on 127.0.0.1 (STARTTLS with a CA made here, a
login): set up once with the password on standard input, then send; each paper arrives once, a failure records
nothing, and the password is only ever in the keyring."""

from __future__ import annotations

import email
import email.policy
import ssl
from email.message import EmailMessage
from pathlib import Path

import pytest
from feedtools import MemoryKeyring
from mailtools import *  # noqa: F403 (the fixtures: ca, ca_file, server_tls, start_server, starttls_server)
from mailtools import Server, StartServer
from test_cli import run

from readinglist.core import digest as dg
from readinglist.core.credentials import MAIL_ACCOUNT, SERVICE, CredentialStore
from readinglist.core.library import Library
from readinglist.core.models import IncomingPaper
from readinglist.core.rules import Action, Condition, Rule, new_rule_id

USER = "me"
ADDRESS = "me@example.org"
SECRET = "s3cret-Horse_battery!9"
WRONG = "not-the-password-42"
DIFFUSION = "We train denoising diffusion models with score matching for image generation and faster sampling."


def paper(number: str, title: str, *, authors: tuple[str, ...] = ("Ada Writer",), upvotes: int = 0) -> IncomingPaper:
    return IncomingPaper(
        arxiv_id=number,
        title=title,
        authors=authors,
        abstract=DIFFUSION if "iffusion" in title else "We study a problem.",
        pdf_url=f"https://arxiv.org/pdf/{number}",
        extra={"upvotes": upvotes} if upvotes else {},
    )


FIRST = {
    "2502.00001": "Faster diffusion sampling for image generation",
    "2502.00002": "Diffusion transformers & “scaling” at 注意",
    "2502.00003": "Parsing morphologically rich languages",
    "2502.00004": "Everyone reads this one",
}
LATER = {"2502.00011": "Consistency distillation of diffusion models", "2502.00012": "Graph networks for molecules"}


def add(data_dir: Path, papers: dict[str, str], *, evidence: bool = False) -> None:
    with Library.open(data_dir) as lib:
        if evidence:
            starred = [paper(f"2501.0000{n}", f"Denoising diffusion models, part {n}") for n in range(1, 7)]
            lib.add_papers(starred, source="test")
            keys = [f"arxiv:{p.arxiv_id}" for p in starred]
            lib.set_starred(keys, True)
            lib.set_read(keys, True)
            lib.put_rules(
                [Rule(new_rule_id(), "follow Benoît Sagot", (Condition("author", "Benoît Sagot"),), Action.FOLLOW)]
            )
        lib.add_papers(
            [
                paper(
                    number,
                    title,
                    authors=("Benoît Sagot",) if "Parsing" in title else ("Ada Writer",),
                    upvotes=42 if "Everyone" in title else 0,
                )
                for number, title in papers.items()
            ],
            source="test",
        )


def setup(port: int, ca_file: str, password: str = SECRET) -> tuple[int, str, str]:
    return run(
        "digest",
        "setup",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--security",
        "starttls",
        "--username",
        USER,
        "--email",
        ADDRESS,
        "--ca-file",
        ca_file,
        "--password-stdin",
        stdin=password + "\n",
    )


@pytest.fixture
def server(start_server: StartServer, server_tls: ssl.SSLContext) -> Server:
    return start_server(
        user=USER, password=SECRET, tls_context=server_tls, require_starttls=True, auth_require_tls=True
    )


@pytest.fixture
def ready(data_dir: Path, memory_keyring: MemoryKeyring, server: Server, ca_file: str) -> Server:
    """A library with a day of papers, the mail set up with the right password."""
    add(data_dir, FIRST, evidence=True)
    code, _, err = setup(server.port, ca_file)
    assert code == 0, err
    return server


def messages(server: Server) -> list[EmailMessage]:
    out = []
    for raw in server.handler.received:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        out.append(message)
    return out


def parts(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    plain, html = list(message.iter_parts())
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    return plain.get_content(), html.get_content()


def assert_holds(message: EmailMessage, papers: dict[str, str], *, not_these: dict[str, str] | None = None) -> None:
    import html as html_module

    plain, html = parts(message)
    for number, title in papers.items():
        assert title in plain and f"https://arxiv.org/abs/{number}" in plain
        assert html_module.escape(title) in html and f'href="https://arxiv.org/abs/{number}"' in html
    for number, title in (not_these or {}).items():
        assert title not in plain and number not in plain and number not in html


def recorded(data_dir: Path) -> list[dg.SentDigest]:
    with Library.open(data_dir, writer=False) as lib:
        return dg.sent(lib)


# ---- setting up ----------------------------------------------------------------------------------------------------


def test_setup_keeps_the_password_in_the_keyring_only(
    data_dir: Path, tmp_path: Path, memory_keyring: MemoryKeyring, server: Server, ca_file: str
) -> None:
    code, out, err = setup(server.port, ca_file)

    assert code == 0, err
    assert f"Mail: 127.0.0.1:{server.port} (starttls), login me (password in the keyring)" in out
    assert f"To: {ADDRESS}" in out and f"Trusting the CAs in {ca_file}" in out
    credential = CredentialStore(backend=memory_keyring).get(MAIL_ACCOUNT)
    assert credential is not None and credential.password == SECRET and credential.username == USER
    assert list(memory_keyring.data) == [(SERVICE, MAIL_ACCOUNT)]
    assert SECRET not in out + err
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.is_relative_to(data_dir) for p in files), "the settings were written"
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path
    code, out, err = run("digest", "setup", "--show")
    assert code == 0 and "login me (password in the keyring)" in out and SECRET not in out + err


def test_there_is_no_password_option(data_dir: Path, memory_keyring: MemoryKeyring) -> None:
    for args in (("--password", SECRET), (f"--password={SECRET}",), ("--pass", SECRET)):
        code, out, err = run("digest", "setup", "--host", "127.0.0.1", "--email", ADDRESS, *args)
        assert code == 2, (args, out, err)
        assert "usage: readinglist" in err
    assert memory_keyring.data == {}
    code, out, _ = run("digest", "setup", "--help")
    assert code == 0 and "--password-stdin" in out
    assert [w for w in out.split() if w.startswith("--pass")] == ["--password-stdin"]


def test_sending_without_a_mail_server_is_one_clear_error(data_dir: Path, memory_keyring: MemoryKeyring) -> None:
    add(data_dir, FIRST)
    code, out, err = run("digest", "--send")
    assert code == 1 and out == ""
    assert (
        err == "readinglist: error: no mail server is set up: run `readinglist digest setup --host SMTP --email YOU`\n"
    )
    assert recorded(data_dir) == []


# ---- sending -------------------------------------------------------------------------------------------------------


def test_send_once_then_not_again_today_then_only_what_is_new(data_dir: Path, ready: Server) -> None:
    code, out, err = run("digest", "--send")

    assert code == 0, err
    assert out == f"Sent to {ADDRESS}: 4 papers (2 for you, 1 from authors you follow, 1 trending)\n"
    [message] = messages(ready)
    assert_holds(message, FIRST)
    # The header is folded right after "Subject:" (legal); the stdlib parser keeps that space, a mail client not.
    assert message["Subject"].strip().startswith("Reading List, ")
    assert message["Subject"].endswith(": 2 for you, 1 from authors you follow, 1 trending")
    assert message["To"] == ADDRESS and message["From"] == ADDRESS
    plain, html = parts(message)
    assert "readinglist://paper/arxiv:2502.00001" in plain and 'href="readinglist://paper/arxiv:2502.00001"' in html
    assert ready.auth.attempts == [USER]
    [sent] = recorded(data_dir)
    assert set(sent.keys) == {f"arxiv:{n}" for n in FIRST} and sent.via == f"email to {ADDRESS}"

    code, out, err = run("digest", "--send")
    assert code == 0, err
    assert out == "A digest was sent today already (4 papers); nothing sent (--force sends another)\n"
    assert len(ready.handler.received) == 1

    code, out, err = run("digest", "--send", "--force")
    assert code == 0, err
    assert out == "Nothing new since the previous digest; nothing sent\n"
    assert len(ready.handler.received) == 1

    add(data_dir, LATER)
    code, out, err = run("digest", "--send", "--force")
    assert code == 0, err
    assert out.startswith(f"Sent to {ADDRESS}: 2 papers (")
    _, second = messages(ready)
    assert_holds(second, LATER, not_these=FIRST)
    assert second["Subject"].endswith(": 2 for you")
    assert len(recorded(data_dir)) == 2


def test_a_refused_password_records_nothing_and_the_next_run_sends_the_same_papers(
    data_dir: Path, memory_keyring: MemoryKeyring, server: Server, ca_file: str
) -> None:
    add(data_dir, FIRST, evidence=True)
    assert setup(server.port, ca_file, password=WRONG)[0] == 0

    code, out, err = run("digest", "--send")

    assert code == 1 and out == ""
    assert err.startswith(f"readinglist: error: 127.0.0.1:{server.port} refused the user name or password (535")
    assert err.endswith("; the digest was not sent\n") and err.count("\n") == 1
    assert WRONG not in err and SECRET not in err
    assert server.handler.received == [] and set(server.auth.attempts) == {USER}  # smtplib tries PLAIN, LOGIN
    assert recorded(data_dir) == []

    code, _, err = run("digest", "setup", "--password-stdin", stdin=SECRET + "\n")  # the rest is kept
    assert code == 0, err
    code, out, err = run("digest", "--send")
    assert code == 0, err
    [message] = messages(server)
    assert_holds(message, FIRST)


def test_nothing_new_sends_nothing(data_dir: Path, ready: Server) -> None:
    with Library.open(data_dir) as lib:
        lib.set_read(lib.keys(), True)

    code, out, err = run("digest", "--send")

    assert code == 0, err
    assert out == "Nothing new since the previous digest; nothing sent\n" and err == ""
    assert ready.handler.received == [] and ready.auth.attempts == []
    assert recorded(data_dir) == []


def test_files_and_the_terminal_never_count_as_sent(data_dir: Path, tmp_path: Path, ready: Server) -> None:
    html, md = tmp_path / "out.html", tmp_path / "out.md"
    code, out, err = run("digest", "--to", str(html))
    assert code == 0, err
    assert out == f"{html}: 4 papers (2 for you, 1 from authors you follow, 1 trending)\n"
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert run("digest", "--to", str(md))[0] == 0
    markdown = md.read_text(encoding="utf-8")
    assert markdown.startswith("# Reading List, ") and "## From authors you follow" in markdown
    code, text, err = run("digest", "--format", "text", "--limit", "3")
    assert code == 0, err
    import html as html_module

    for number, title in FIRST.items():
        assert html_module.escape(title) in page and f"https://arxiv.org/abs/{number}" in page
        assert title.replace("*", "\\*") in markdown and f"https://arxiv.org/abs/{number}" in markdown
    assert sum(title in text for title in FIRST.values()) == 3  # --limit 3
    assert "<" not in text.split("\n", 1)[0]  # plain text, not HTML

    assert recorded(data_dir) == [] and ready.handler.received == []
    code, out, err = run("digest", "--send")
    assert code == 0, err
    [message] = messages(ready)
    assert_holds(message, FIRST)
