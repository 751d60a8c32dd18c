"""Feed credentials in the OS keyring: the only module that imports `keyring`, one service name, one error type.

A credential is stored under the service "readinglist" with the feed id as the keyring user name, as one small
JSON secret. Nothing here ever writes a secret anywhere else: with no usable keyring the caller may keep a
credential for the current run only (in memory), and is told so plainly.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from readinglist.core.errors import CredentialError

SERVICE = "readinglist"

_NO_KEYRING_HINT = (
    "no system keyring is available to store passwords (on Linux, install and unlock a Secret Service such as "
    "GNOME Keyring or KWallet); nothing was saved"
)


MAIL_ACCOUNT = "mail:digest"  # `CredentialStore.get(MAIL_ACCOUNT)`: the digest's SMTP password, as a Credential


class KeyringUnavailableError(CredentialError):
    """No usable keyring backend: credentials can only be kept for the current run."""


@dataclass(frozen=True, slots=True)
class Credential:
    """HTTP Basic credentials, or a token sent in a header. The secret parts never appear in a repr."""

    username: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    header: str = "Authorization"

    @property
    def kind(self) -> str:
        return "token" if self.token else "basic"

    def headers(self) -> dict[str, str]:
        """The request headers that carry this credential (Basic auth is applied by the HTTP client)."""
        if not self.token:
            return {}
        if self.header.lower() == "authorization":
            return {"Authorization": f"Bearer {self.token}"}
        return {self.header: self.token}

    def secrets(self) -> tuple[str, ...]:
        """The strings that must never be shown, for redacting messages from lower layers."""
        return tuple(s for s in (self.password, self.token) if s)

    def to_json(self) -> str:
        data = {"username": self.username, "password": self.password, "token": self.token, "header": self.header}
        return json.dumps({k: v for k, v in data.items() if v})

    @classmethod
    def from_json(cls, text: str) -> Credential:
        try:
            data: Any = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            # Written by hand or by another tool: take the whole secret as a password.
            return cls(password=text)
        return cls(
            username=str(data.get("username", "")),
            password=str(data.get("password", "")),
            token=str(data.get("token", "")),
            header=str(data.get("header", "Authorization")),
        )


def split_credentials(url: str) -> tuple[str, Credential | None]:
    """`https://user:pass@host/feed` -> (`https://host/feed`, Credential). URLs without userinfo pass unchanged."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url, None
    if "@" not in parts.netloc:
        return url.strip(), None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, sep, password = userinfo.partition(":")
    clean = urlunsplit(SplitResult(parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    if not user and not password:
        return clean, None
    return clean, Credential(username=unquote(user), password=unquote(password) if sep else "")


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _keyring_module() -> Any:
    """`keyring`, imported when a credential is first needed: a command that never touches one (`list`, `show`)
    does not pay for loading it and its backends."""
    import keyring
    import keyring.errors

    return keyring


def _describe(exc: BaseException) -> str:
    # keyring's messages name the backend and the problem, not the secret; keep them short.
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{name}: {text}" if text else name


class CredentialStore:
    """Credentials per feed id, in the keyring; with `allow_session=True`, kept in memory when there is none.

    Thread-safe: the refresh reads credentials from download threads.
    """

    def __init__(self, *, service: str = SERVICE, backend: Any = None) -> None:
        self.service = service
        self._backend = backend
        self._session: dict[str, Credential] = {}
        self._lock = threading.Lock()
        self.unavailable_reason: str | None = None

    def _keyring(self) -> Any:
        return self._backend if self._backend is not None else _keyring_module().get_keyring()

    def _account(self, feed_id: str) -> str:
        # The mail password of the digest (core.mail) is kept under its own account, beside the feeds'.
        return MAIL_ACCOUNT if feed_id == MAIL_ACCOUNT else f"feed:{feed_id}"

    def available(self) -> bool:
        """Whether a real keyring backend answers (a read of an entry that need not exist)."""
        try:
            self._keyring().get_password(self.service, "readinglist:probe")
        except _keyring_module().errors.NoKeyringError:
            self.unavailable_reason = _NO_KEYRING_HINT
            return False
        except Exception as exc:  # a locked or broken backend is as unusable as none
            self.unavailable_reason = f"the system keyring cannot be used ({_describe(exc)}); nothing was saved"
            return False
        self.unavailable_reason = None
        return True

    def save(self, feed_id: str, credential: Credential) -> None:
        """Store durably in the keyring. Raises KeyringUnavailableError (no backend) or CredentialError."""
        try:
            self._keyring().set_password(self.service, self._account(feed_id), credential.to_json())
        except _keyring_module().errors.NoKeyringError:
            self.unavailable_reason = _NO_KEYRING_HINT
            raise KeyringUnavailableError(self.unavailable_reason) from None
        except Exception as exc:
            raise CredentialError(f"the system keyring refused to store the credentials ({_describe(exc)})") from None
        with self._lock:
            self._session.pop(feed_id, None)

    def remember_for_session(self, feed_id: str, credential: Credential) -> None:
        """Keep a credential in memory for this run only; it is never written anywhere."""
        with self._lock:
            self._session[feed_id] = credential

    def keep(self, feed_id: str, credential: Credential) -> str | None:
        """Save in the keyring; when that cannot be done, keep for this run only and say why (the returned
        warning). None: saved durably."""
        try:
            if self.save_or_remember(feed_id, credential):
                return None
        except CredentialError as exc:
            self.remember_for_session(feed_id, credential)
            return f"{exc}; the credentials are kept for this run only"
        return f"{self.unavailable_reason or 'no system keyring'}; the credentials are kept for this run only"

    def save_or_remember(self, feed_id: str, credential: Credential) -> bool:
        """Save in the keyring; with no keyring, keep for this run. True if saved durably."""
        try:
            self.save(feed_id, credential)
        except KeyringUnavailableError:
            self.remember_for_session(feed_id, credential)
            return False
        return True

    def get(self, feed_id: str) -> Credential | None:
        """The credential for a feed: this run's first, then the keyring. None when there is none or no keyring
        (the reason is then in `unavailable_reason`)."""
        with self._lock:
            session = self._session.get(feed_id)
        if session is not None:
            return session
        try:
            secret = self._keyring().get_password(self.service, self._account(feed_id))
        except _keyring_module().errors.NoKeyringError:
            self.unavailable_reason = _NO_KEYRING_HINT
            return None
        except Exception as exc:
            raise CredentialError(f"the system keyring could not be read ({_describe(exc)})") from None
        return Credential.from_json(secret) if secret else None

    def delete(self, feed_id: str) -> None:
        """Forget a feed's credential, in memory and in the keyring; absent is fine."""
        with self._lock:
            self._session.pop(feed_id, None)
        try:
            self._keyring().delete_password(self.service, self._account(feed_id))
        except _keyring_module().errors.PasswordDeleteError:
            pass
        except _keyring_module().errors.NoKeyringError:
            pass
        except Exception as exc:
            raise CredentialError(f"the system keyring could not delete the credentials ({_describe(exc)})") from None
