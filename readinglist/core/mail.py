"""Sending the daily digest by email, from the user's own machine, through the user's own mail server.

Only the standard library: `smtplib` speaks SMTP, `ssl` checks the server, `email` builds the message. It works with
the big providers (587 with STARTTLS, 465 with implicit TLS) and with a self-hosted server whose certificate comes
from its own CA (`MailSettings.ca_file`).

Three rules hold whatever the settings say:

- The server's certificate and name are always verified; there is no switch to turn that off. A self-hosted server
  is trusted by naming its CA, never by trusting anything.
- A password never crosses the network in clear: STARTTLS must be offered and taken before logging in, and
  `security="none"` is refused unless the server is this machine.
- A password never appears in an error, a log line or a repr: `MailSettings` does not hold one (it comes from the
  keyring, through `send`'s argument), and every message is scrubbed of it besides.

Every failure is a `MailError` that names the server and says what happened in words for the user, with `.retry`
saying whether trying again later may help (a timeout, a lost connection, a 4xx reply) or not (a refused password,
a certificate, a 5xx reply).
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Literal, get_args

from readinglist.core.errors import ReadingListError

log = logging.getLogger(__name__)

Security = Literal["starttls", "tls", "none"]
SECURITIES: tuple[Security, ...] = get_args(Security)
LOCAL_HOSTS = frozenset({"localhost", "localhost.", "127.0.0.1", "::1"})


class MailError(ReadingListError):
    """The digest could not be sent: names the server and the reason. Never contains a password.

    `retry` is True when the same settings may work later (the server was unreachable, slow, or answered 4xx),
    False when something must change first (the password, the CA file, an address, a 5xx answer)."""

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry

    def __repr__(self) -> str:
        return f"MailError({str(self)!r}, retry={self.retry})"


def _is_local(host: str) -> bool:
    name = host.strip().lower()
    if name in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def _address(value: str) -> str:
    """The bare address in `value` ("Name <a@b>" or "a@b"), or "" when there is none."""
    return parseaddr(value)[1]


@dataclass(frozen=True, slots=True)
class MailSettings:
    """Where and how to send the digest. Never holds a password (that lives in the keyring)."""

    host: str
    port: int = 587
    security: Security = "starttls"
    username: str = ""  # empty: the server takes mail without a login
    sender: str = ""  # the From address; the first recipient when empty
    to: tuple[str, ...] = ()
    ca_file: str | None = None  # a PEM file of CAs to trust instead of the system's (a self-hosted server)
    timeout: float = 30.0

    @property
    def server(self) -> str:
        """The server as the user typed it, for messages: "smtp.example.org:587"."""
        host = self.host.strip()
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"

    @property
    def from_address(self) -> str:
        return self.sender.strip() or (self.to[0].strip() if self.to else "")

    def check(self) -> None:
        """Refuse settings that cannot work or would be unsafe, with a sentence saying which and why."""
        host = self.host.strip()
        if not host:
            raise MailError("no mail server is set; enter the SMTP server's name, such as smtp.example.org")
        if any(c.isspace() for c in host) or "/" in host:
            raise MailError(f"{host!r} is not a server name; enter one such as smtp.example.org")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 1 <= self.port <= 65535:
            raise MailError(f"the mail server's port must be a number from 1 to 65535, not {self.port!r}")
        if self.security not in SECURITIES:
            raise MailError(f"the connection security must be one of {', '.join(SECURITIES)}, not {self.security!r}")
        if self.security == "none" and not _is_local(host):
            raise MailError(
                f"{self.server}: a connection without TLS is only allowed to this machine (localhost); "
                "choose STARTTLS or TLS so that the password and the digest do not cross the network in clear"
            )
        if not self.timeout > 0:
            raise MailError(f"the mail timeout must be a positive number of seconds, not {self.timeout!r}")
        if not self.to:
            raise MailError("the digest has no recipient; enter at least one email address to send it to")
        addresses = [("recipient", address) for address in self.to]
        if self.sender.strip():
            addresses.insert(0, ("sender", self.sender))
        for label, value in addresses:
            if "\r" in value or "\n" in value or "@" not in _address(value):
                raise MailError(f"the {label} {value.strip()!r} is not an email address (name@example.org)")
        if self.ca_file is not None:
            path = Path(self.ca_file).expanduser()
            try:
                with path.open("rb") as f:
                    f.read(1)
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
                raise MailError(f"the CA file {str(path)!r} cannot be read ({reason.lower()})") from None

    def to_doc(self) -> dict[str, Any]:
        """The settings as a JSON-ready mapping (no password: there is none to hold)."""
        return {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "username": self.username,
            "sender": self.sender,
            "to": list(self.to),
            "ca_file": self.ca_file,
            "timeout": self.timeout,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> MailSettings:
        """Read `to_doc`'s mapping back; unknown keys (a later version's) are ignored, missing ones defaulted."""
        to = doc.get("to", ())
        ca_file = doc.get("ca_file")
        security = doc.get("security", "starttls")
        if security not in SECURITIES:
            raise MailError(f"the stored mail security {security!r} is not one of {', '.join(SECURITIES)}")
        try:
            port, timeout = int(doc.get("port", 587)), float(doc.get("timeout", 30.0))
        except (TypeError, ValueError):
            raise MailError("the stored mail settings have a port or timeout that is not a number") from None
        return cls(
            host=str(doc.get("host", "")),
            port=port,
            security=security,
            username=str(doc.get("username", "")),
            sender=str(doc.get("sender", "")),
            to=(str(to),) if isinstance(to, str) else tuple(str(t) for t in to),
            ca_file=None if ca_file in (None, "") else str(ca_file),
            timeout=timeout,
        )


def build_message(
    *, subject: str, text: str, html: str, sender: str, to: Sequence[str], now: datetime | None = None
) -> EmailMessage:
    """The digest as a multipart/alternative message: the plain text first, the HTML second (the one a mail client
    prefers when it can show it), both UTF-8, with UTF-8 headers encoded for any server."""
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(to)
    when = now if now is not None else datetime.now().astimezone()
    if when.tzinfo is None:
        when = when.astimezone()
    message["Date"] = format_datetime(when)
    domain = _address(sender).rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["MIME-Version"] = "1.0"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def _reply(code: int, text: bytes | str) -> str:
    body = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    body = " ".join(body.split())
    return f"{code} {body}".strip() if code > 0 else body


def _temporary(code: int) -> bool:
    return 400 <= code < 500


class _Scrubbed:
    """Turns exceptions into `MailError`s worded for the user, without the password in any of them."""

    def __init__(self, settings: MailSettings, password: str | None) -> None:
        self.settings = settings
        self.password = password

    def error(self, message: str, *, retry: bool) -> MailError:
        if self.password:
            message = message.replace(self.password, "…")
        return MailError(message, retry=retry)

    def translate(self, exc: BaseException, *, connected: bool) -> MailError:
        server = self.settings.server
        not_sent = "; the digest was not sent"
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return self.error(
                f"{server} refused the user name or password ({_reply(exc.smtp_code, exc.smtp_error)}){not_sent}",
                retry=_temporary(exc.smtp_code),
            )
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            refused = ", ".join(f"{rcpt} ({_reply(code, text)})" for rcpt, (code, text) in exc.recipients.items())
            noun = "recipient" if len(exc.recipients) == 1 else "recipients"
            retry = bool(exc.recipients) and all(_temporary(code) for code, _ in exc.recipients.values())
            return self.error(f"{server} refused the {noun} {refused}{not_sent}", retry=retry)
        if isinstance(exc, smtplib.SMTPSenderRefused):
            return self.error(
                f"{server} refused the sender {exc.sender} ({_reply(exc.smtp_code, exc.smtp_error)}){not_sent}",
                retry=_temporary(exc.smtp_code),
            )
        if isinstance(exc, smtplib.SMTPDataError):
            return self.error(
                f"{server} refused the message ({_reply(exc.smtp_code, exc.smtp_error)}){not_sent}",
                retry=_temporary(exc.smtp_code),
            )
        if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
            return self.error(
                f"{server} refused the connection ({_reply(exc.smtp_code, exc.smtp_error)}){not_sent}",
                retry=_temporary(exc.smtp_code),
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            return self.error(
                f"{server} answered with an error ({_reply(exc.smtp_code, exc.smtp_error)}){not_sent}",
                retry=_temporary(exc.smtp_code),
            )
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return self.error(f"{server} does not support what sending needs ({exc}){not_sent}", retry=False)
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            # smtplib reports a read that timed out or failed as a disconnection; the cause says which it was.
            if isinstance(exc.__context__, OSError):
                return self.translate(exc.__context__, connected=connected)
            return self.error(f"{server} closed the connection unexpectedly{not_sent}", retry=True)
        if isinstance(exc, ssl.SSLCertVerificationError):
            reason = exc.verify_message or exc.reason or "certificate verify failed"
            return self.error(
                f"{server}: TLS failed (certificate verify failed: {reason}); set a CA file for a self-hosted server",
                retry=False,
            )
        if isinstance(exc, ssl.SSLError):
            reason = exc.reason or str(exc)
            hint = "; check that the port and security match the server (465 is TLS, 587 is STARTTLS)"
            return self.error(f"{server}: TLS failed ({str(reason).replace('_', ' ').lower()}){hint}", retry=False)
        if isinstance(exc, TimeoutError):
            seconds = f"{self.settings.timeout:g}"
            return self.error(f"{server} did not answer within {seconds} seconds", retry=True)
        if isinstance(exc, socket.gaierror):
            return self.error(
                f"could not connect to {server} (the server name was not found; check it and the network)",
                retry=True,
            )
        if isinstance(exc, OSError):
            reason = (exc.strerror or type(exc).__name__).lower()
            if connected:
                return self.error(f"the connection to {server} was lost ({reason}){not_sent}", retry=True)
            return self.error(f"could not connect to {server} ({reason})", retry=True)
        if isinstance(exc, UnicodeError):
            return self.error(
                f"{server} cannot take this message ({exc.__class__.__name__}: a non-ASCII address or header "
                f"the server does not accept){not_sent}",
                retry=False,
            )
        return self.error(f"{server}: sending failed ({type(exc).__name__}){not_sent}", retry=False)


def _context(settings: MailSettings) -> ssl.SSLContext:
    """The TLS context: the system's CAs (or the given CA file), the certificate and the host name always checked."""
    cafile = str(Path(settings.ca_file).expanduser()) if settings.ca_file else None
    context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def send(message: EmailMessage, settings: MailSettings, password: str | None) -> None:
    """Send `message` through the server in `settings`, logging in with `password` when a user name is set.

    The envelope goes from `settings.from_address` to `settings.to`; the message gets From and To headers from the
    settings when it has none. Raises `MailError` for every failure (nothing else), and returns only when the
    server has accepted the message for every recipient."""
    settings.check()
    if settings.username and not password:
        raise MailError(f"{settings.server} needs a password for {settings.username}; the digest was not sent")
    if message["From"] is None:
        message["From"] = settings.from_address
    if message["To"] is None:
        message["To"] = ", ".join(settings.to)
    sender = _address(settings.from_address)
    recipients = [address for _, address in getaddresses(list(settings.to))]
    scrub = _Scrubbed(settings, password)
    host = settings.host.strip().strip("[]")
    context = _context(settings) if settings.security != "none" else None
    client: smtplib.SMTP | None = None
    connected = polite = False
    try:
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(timeout=settings.timeout, context=context)
        else:
            client = smtplib.SMTP(timeout=settings.timeout)
        # The name the certificate must carry: smtplib takes it from the constructor's host only (connect() does
        # not set it), and a constructor that connects would leave its socket open when the greeting times out.
        client._host = host  # type: ignore[attr-defined]
        client.connect(host, settings.port)
        connected = polite = True
        client.ehlo()
        if settings.security == "starttls":
            if not client.has_extn("starttls"):
                what = "the password" if settings.username else "the digest"
                raise scrub.error(
                    f"{settings.server} does not offer STARTTLS; refusing to send {what} in clear", retry=False
                )
            polite = False  # a failed handshake leaves nothing to say QUIT over
            client.starttls(context=context)
            polite = True
            client.ehlo()
        if settings.username:
            assert password is not None
            if not client.has_extn("auth"):
                raise scrub.error(
                    f"{settings.server} does not offer a login (SMTP AUTH); check the port and security, "
                    "or leave the user name empty if the server takes mail without one",
                    retry=False,
                )
            client.login(settings.username, password)
            # smtplib keeps the credentials on the object for its AUTH callbacks; they are not needed any more.
            client.password = ""
        refused = client.send_message(message, from_addr=sender, to_addrs=recipients)
    except MailError:
        raise
    except (smtplib.SMTPException, OSError, UnicodeError) as exc:
        # Only a server that answered gets a QUIT: after a timeout or a lost connection, QUIT would wait again.
        polite = polite and isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPNotSupportedError)
        # `from None`: the cause adds nothing the message does not say, and can hold nothing that should leak.
        raise scrub.translate(exc, connected=connected) from None
    finally:
        if client is not None:
            _close(client, polite=polite)
    if refused:
        # Delivered to the others: saying so, and not asking for a retry that would send them a second copy.
        listed = ", ".join(f"{rcpt} ({_reply(code, text)})" for rcpt, (code, text) in refused.items())
        raise scrub.error(
            f"{settings.server} refused the recipient{'s' * (len(refused) > 1)} {listed}; "
            "the digest went to the others",
            retry=False,
        )
    log.info("sent the digest to %d recipient(s) through %s", len(recipients), settings.server)


def _close(client: smtplib.SMTP, *, polite: bool) -> None:
    """Say goodbye to a server that is still talking, and close the socket in any case."""
    try:
        if polite and client.sock is not None:
            client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()
