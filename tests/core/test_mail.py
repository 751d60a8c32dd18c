"""Sending the digest through real SMTP servers on 127.0.0.1 (aiosmtpd), with certificates from a CA made here
(trustme): STARTTLS and implicit TLS deliver once and intact; an unknown CA, a wrong password, a silent server, a
closed port and a server without STARTTLS each fail with a sentence for the user, and never with the password."""

from __future__ import annotations

import ast
import email
import email.policy
import logging
import re
import socket
import ssl
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from mailtools import *  # noqa: F403 (the fixtures: ca, ca_file, server_tls, start_server, starttls_server)
from mailtools import PASSWORD, REFUSED, USER, Server, StartServer

from readinglist.core.errors import ReadingListError
from readinglist.core.mail import MailError, MailSettings, build_message, send

WRONG = "wrong-pass-Zx9?staple"
SUBJECT = "Papers for you — 3 new: Benoît's “diffusion” 注意"
TEXT = (
    "3 new papers for you\n\n"
    "1. Scaling laws à la Benoît — https://arxiv.org/abs/2501.01234\n"
    "2. 注意 is all you need — https://doi.org/10.1000/xyz-123\n"
)
HTML = (
    "<html><body><h1>3 new papers for you</h1><ol>"
    '<li><a href="https://arxiv.org/abs/2501.01234">Scaling laws à la Benoît</a></li>'
    '<li><a href="https://doi.org/10.1000/xyz-123">注意 is all you need</a></li>'
    "</ol></body></html>"
)
SENDER = "Reading list <digest@example.org>"
RECIPIENT = "me@example.org"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts the TCP connection (the kernel does, from the backlog) and then never says a word."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=8)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once the socket is closed


def settings(port: int = 587, **changes: Any) -> MailSettings:
    base = MailSettings(host="127.0.0.1", port=port, username=USER, sender=SENDER, to=(RECIPIENT,), timeout=5.0)
    return replace(base, **changes)


def digest(to: tuple[str, ...] = (RECIPIENT,)) -> EmailMessage:
    return build_message(subject=SUBJECT, text=TEXT, html=HTML, sender=SENDER, to=to)


def received(server: Server) -> EmailMessage:
    assert len(server.handler.received) == 1, "the message arrives exactly once"
    message = email.message_from_bytes(server.handler.received[0], policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def assert_digest(message: EmailMessage) -> None:
    assert message.get_content_type() == "multipart/alternative"
    plain, html = list(message.iter_parts())
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    assert plain.get_content().replace("\r\n", "\n") == TEXT
    body = html.get_content()
    assert '<a href="https://arxiv.org/abs/2501.01234">Scaling laws à la Benoît</a>' in body
    assert '<a href="https://doi.org/10.1000/xyz-123">注意 is all you need</a>' in body
    assert message["Subject"] == SUBJECT
    assert message["From"] == SENDER
    assert message["To"] == RECIPIENT
    assert message["Date"] is not None and message["Date"].datetime.tzinfo is not None
    assert message["Message-ID"].endswith("@example.org>")


def assert_no_password(exc: BaseException, caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    texts = [str(exc), repr(exc), *(str(arg) for arg in exc.args), caplog.text]
    texts += [record.getMessage() for record in caplog.records]
    for secret in secrets:
        assert not any(secret in text for text in texts)
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)


# Delivery


def test_starttls_delivers_once_with_both_parts_and_utf8_headers(starttls_server: Server, ca_file: str) -> None:
    send(digest(), settings(starttls_server.port, ca_file=ca_file), PASSWORD)

    assert_digest(received(starttls_server))
    assert starttls_server.handler.recipients == [[RECIPIENT]]
    assert starttls_server.auth.attempts == [USER]


def test_implicit_tls_delivers(start_server: StartServer, server_tls: ssl.SSLContext, ca_file: str) -> None:
    # aiosmtpd counts only STARTTLS as TLS for auth_require_tls; over implicit TLS every byte is encrypted anyway.
    server = start_server(ssl_context=server_tls, auth_require_tls=False)

    send(digest(), settings(server.port, security="tls", ca_file=ca_file), PASSWORD)

    assert_digest(received(server))
    assert server.auth.attempts == [USER]


def test_plain_connection_to_this_machine_without_login(start_server: StartServer) -> None:
    server = start_server()

    send(digest(), settings(server.port, security="none", username=""), None)

    assert_digest(received(server))
    assert server.auth.attempts == []


def test_sender_defaults_to_the_first_recipient_and_headers_are_filled_in(
    starttls_server: Server, ca_file: str
) -> None:
    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = SUBJECT
    message.set_content(TEXT)

    send(message, settings(starttls_server.port, ca_file=ca_file, sender=""), PASSWORD)

    got = received(starttls_server)
    assert got["From"] == RECIPIENT and got["To"] == RECIPIENT and got["Subject"] == SUBJECT


# Refusals


def test_unknown_ca_is_a_tls_error_and_nothing_is_sent(starttls_server: Server) -> None:
    with pytest.raises(MailError) as caught:
        send(digest(), settings(starttls_server.port), PASSWORD)

    message = str(caught.value)
    assert message.startswith(f"127.0.0.1:{starttls_server.port}: TLS failed (certificate verify failed")
    assert "set a CA file for a self-hosted server" in message
    assert caught.value.retry is False
    assert starttls_server.handler.received == [] and starttls_server.auth.attempts == []


def test_certificate_for_another_name_is_refused(start_server: StartServer, ca: trustme.CA, ca_file: str) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("mail.elsewhere.example").configure_cert(context)
    server = start_server(tls_context=context, require_starttls=True)

    with pytest.raises(MailError, match=r"TLS failed .*certificate verify failed") as caught:
        send(digest(), settings(server.port, ca_file=ca_file), PASSWORD)

    assert caught.value.retry is False
    assert server.handler.received == [] and server.auth.attempts == []


def test_wrong_password_is_refused_without_showing_it(
    starttls_server: Server, ca_file: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    with pytest.raises(MailError) as caught:
        send(digest(), settings(starttls_server.port, ca_file=ca_file), WRONG)

    message = str(caught.value)
    assert f"127.0.0.1:{starttls_server.port} refused the user name or password (535" in message
    assert message.endswith("; the digest was not sent")
    assert caught.value.retry is False
    assert isinstance(caught.value, ReadingListError)
    assert starttls_server.handler.received == []
    assert starttls_server.auth.attempts  # the server did see the attempt
    assert_no_password(caught.value, caplog, WRONG, PASSWORD)


def test_a_user_name_without_a_password_is_refused_before_connecting(closed_port: int) -> None:
    with pytest.raises(MailError, match=re.escape("needs a password for reader@example.org")):
        send(digest(), settings(closed_port), None)


def test_server_without_starttls_never_gets_the_password(
    start_server: StartServer, ca_file: str, caplog: pytest.LogCaptureFixture
) -> None:
    # AUTH is offered in clear here, so a client that skipped the STARTTLS check would send the password.
    server = start_server(auth_require_tls=False)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(MailError) as caught:
        send(digest(), settings(server.port, ca_file=ca_file), PASSWORD)

    assert str(caught.value) == (
        f"127.0.0.1:{server.port} does not offer STARTTLS; refusing to send the password in clear"
    )
    assert caught.value.retry is False
    assert server.auth.attempts == [] and server.handler.received == []
    assert_no_password(caught.value, caplog, PASSWORD)


def test_refused_recipient_is_named(starttls_server: Server, ca_file: str) -> None:
    with pytest.raises(MailError) as caught:
        send(digest((REFUSED,)), settings(starttls_server.port, ca_file=ca_file, to=(REFUSED,)), PASSWORD)

    assert str(caught.value) == (
        f"127.0.0.1:{starttls_server.port} refused the recipient {REFUSED} (550 5.1.1 No such user here); "
        "the digest was not sent"
    )
    assert caught.value.retry is False
    assert starttls_server.handler.received == []


def test_one_refused_recipient_of_two_says_the_others_got_it(starttls_server: Server, ca_file: str) -> None:
    to = (RECIPIENT, REFUSED)
    with pytest.raises(
        MailError, match=rf"refused the recipient {re.escape(REFUSED)} .*the digest went to the others"
    ) as caught:
        send(digest(to), settings(starttls_server.port, ca_file=ca_file, to=to), PASSWORD)

    assert caught.value.retry is False  # a retry would send the others a second copy
    assert starttls_server.handler.recipients == [[RECIPIENT]]


def test_silent_server_times_out_quickly(silent_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(MailError) as caught:
        send(digest(), settings(silent_port, timeout=0.5), PASSWORD)
    elapsed = time.monotonic() - started

    assert str(caught.value) == f"127.0.0.1:{silent_port} did not answer within 0.5 seconds"
    assert caught.value.retry is True
    assert elapsed < 3.0


def test_nothing_listening_is_a_connection_error(closed_port: int) -> None:
    with pytest.raises(MailError) as caught:
        send(digest(), settings(closed_port), PASSWORD)

    assert str(caught.value) == f"could not connect to 127.0.0.1:{closed_port} (connection refused)"
    assert caught.value.retry is True


def test_tls_to_a_starttls_port_says_what_to_check(starttls_server: Server, ca_file: str) -> None:
    with pytest.raises(MailError, match=r"TLS failed .*465 is TLS, 587 is STARTTLS") as caught:
        send(digest(), settings(starttls_server.port, security="tls", ca_file=ca_file, timeout=2.0), PASSWORD)

    assert caught.value.retry is False
    assert starttls_server.handler.received == []


# Settings


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"host": "  "}, "no mail server is set"),
        ({"host": "smtp example.org"}, "is not a server name"),
        ({"port": 0}, "port must be a number from 1 to 65535, not 0"),
        ({"port": 70000}, "port must be a number from 1 to 65535, not 70000"),
        ({"to": ()}, "the digest has no recipient"),
        ({"to": ("me.example.org",)}, "the recipient 'me.example.org' is not an email address"),
        ({"sender": "digest"}, "the sender 'digest' is not an email address"),
        ({"to": ("me@example.org\r\nBcc: x@y.z",)}, "is not an email address"),
        ({"timeout": 0.0}, "timeout must be a positive number of seconds"),
        ({"security": "ssl"}, "security must be one of starttls, tls, none, not 'ssl'"),
        ({"host": "smtp.example.org", "security": "none"}, "a connection without TLS is only allowed to this machine"),
        ({"ca_file": "/nonexistent/ca.pem"}, "the CA file '/nonexistent/ca.pem' cannot be read (no such file"),
    ],
)
def test_check_refuses_with_a_sentence(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(MailError) as caught:
        settings(**changes).check()
    assert expected in str(caught.value)


def test_none_security_to_another_host_is_refused_before_connecting() -> None:
    with pytest.raises(MailError, match=re.escape("smtp.example.org:25: a connection without TLS is only allowed")):
        send(digest(), settings(25, host="smtp.example.org", security="none"), PASSWORD)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", "127.0.0.2"])
def test_none_security_to_this_machine_is_allowed(host: str) -> None:
    settings(25, host=host, security="none").check()


def test_a_ca_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MailError, match=r"the CA file .* cannot be read"):
        settings(587, ca_file=str(tmp_path)).check()


def test_settings_round_trip_without_a_password(ca_file: str) -> None:
    original = settings(465, security="tls", ca_file=ca_file, to=(RECIPIENT, "you@example.org"), timeout=12.5)
    doc = original.to_doc()

    assert MailSettings.from_doc(doc) == original
    assert PASSWORD not in repr(doc) and "password" not in doc
    assert MailSettings.from_doc({"host": "smtp.example.org"}) == MailSettings(host="smtp.example.org")
    with pytest.raises(MailError, match="stored mail security 'plain'"):
        MailSettings.from_doc({"host": "smtp.example.org", "security": "plain"})
    with pytest.raises(MailError, match="port or timeout that is not a number"):
        MailSettings.from_doc({"host": "smtp.example.org", "port": "submission"})


# The message


def test_build_message_headers_survive_the_wire() -> None:
    now = datetime(2025, 3, 4, 7, 30, tzinfo=UTC)
    message = build_message(
        subject=SUBJECT, text=TEXT, html=HTML, sender=SENDER, to=[RECIPIENT, "you@example.org"], now=now
    )

    wire = message.as_bytes()
    assert all(byte < 128 for byte in wire.split(b"\r\n\r\n", 1)[0]), "the headers are ASCII on the wire"
    parsed = email.message_from_bytes(wire, policy=email.policy.default)
    assert parsed["Subject"] == SUBJECT
    assert parsed["Date"].datetime == now
    assert parsed["To"] == f"{RECIPIENT}, you@example.org"
    assert parsed["Message-ID"].endswith("@example.org>")


def test_mail_error_repr_and_retry() -> None:
    error = MailError("smtp.example.org:587 did not answer within 30 seconds", retry=True)
    assert repr(error) == "MailError('smtp.example.org:587 did not answer within 30 seconds', retry=True)"
    assert MailError("x").retry is False


def test_the_module_needs_no_third_party_package() -> None:
    import readinglist.core.mail as mail

    tree = ast.parse(Path(mail.__file__).read_text(encoding="utf-8"))
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    outside = {name for name in modules if name.split(".")[0] not in sys.stdlib_module_names}
    assert outside == {"readinglist.core.errors"}
