"""Real SMTP servers on 127.0.0.1 for tests (aiosmtpd), with certificates from a CA made here (trustme).

A test module takes the fixtures with `from mailtools import *` (`__all__` is the fixtures only). Every server
keeps what arrived (`Handler.received`) and who tried to log in (`Authenticator.attempts`), accepts one login
(`USER` with `PASSWORD` unless told otherwise), and refuses `REFUSED` as a recipient."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

__all__ = ["ca", "ca_file", "server_tls", "start_server", "starttls_server"]  # what `import *` brings: fixtures

USER = "reader@example.org"
PASSWORD = "correct-horse-7Q!battery"
REFUSED = "bob@nowhere.example"


@dataclass
class Handler:
    """Keeps what arrived; refuses `REFUSED` as a recipient, as a real server refuses an unknown mailbox."""

    received: list[bytes] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == REFUSED:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.received.append(envelope.content)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@dataclass
class Authenticator:
    """Accepts `user` with `password` (by default `USER` with `PASSWORD`); records every attempt (user names only)."""

    attempts: list[str] = field(default_factory=list)
    user: str = USER
    password: str = PASSWORD

    def __call__(
        self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.attempts.append(auth_data.login.decode())
        ok = auth_data.login == self.user.encode() and auth_data.password == self.password.encode()
        return AuthResult(success=ok, handled=False)


class _Controller(Controller):
    """aiosmtpd's Controller on port 0: it learns the port the system picked before it pokes its own server."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class Server:
    port: int
    handler: Handler
    auth: Authenticator


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


StartServer = Callable[..., Server]


@pytest.fixture
def start_server() -> Iterator[StartServer]:
    """Starts an aiosmtpd server on 127.0.0.1 with the given SMTP options; every one is stopped after the test.
    `user=` and `password=` change the one login it accepts."""
    controllers: list[Controller] = []

    def start(*, user: str = USER, password: str = PASSWORD, **kwargs: Any) -> Server:
        handler, auth = Handler(), Authenticator(user=user, password=password)
        controller = _Controller(handler, hostname="127.0.0.1", port=0, authenticator=auth, **kwargs)
        controller.start()  # returns once the server has answered a first connection
        controllers.append(controller)
        return Server(controller.port, handler, auth)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def starttls_server(start_server: StartServer, server_tls: ssl.SSLContext) -> Server:
    """STARTTLS required, and a login only after it (as a submission port on 587 does)."""
    return start_server(tls_context=server_tls, require_starttls=True, auth_require_tls=True)
