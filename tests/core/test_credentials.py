"""Credentials: one module on the keyring, an in-memory backend here; no keyring means this run only."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from feedtools import MemoryKeyring, NoKeyring

from readinglist.core.credentials import (
    SERVICE,
    Credential,
    CredentialStore,
    KeyringUnavailableError,
    redact,
    split_credentials,
)
from readinglist.core.errors import CredentialError


@pytest.fixture
def backend() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


def test_save_get_delete(backend: MemoryKeyring) -> None:
    store = CredentialStore()
    assert store.available()
    store.save("f-1", Credential("alice", "pw"))
    assert store.get("f-1") == Credential("alice", "pw")
    assert list(backend.data) == [(SERVICE, "feed:f-1")]
    store.delete("f-1")
    assert store.get("f-1") is None
    store.delete("f-1")  # absent is fine


def test_tokens_and_headers(backend: MemoryKeyring) -> None:
    store = CredentialStore()
    store.save("f-2", Credential(token="tok"))
    cred = store.get("f-2")
    assert cred is not None and cred.kind == "token" and cred.headers() == {"Authorization": "Bearer tok"}
    assert Credential(token="k", header="X-Api-Key").headers() == {"X-Api-Key": "k"}


def test_a_secret_written_by_another_tool_is_a_password(backend: MemoryKeyring) -> None:
    backend.data[(SERVICE, "feed:f-3")] = "plain-password"
    assert CredentialStore().get("f-3") == Credential(password="plain-password")


def test_secrets_never_in_a_repr() -> None:
    text = repr(Credential("alice", "hunter2", token="tok-9"))
    assert "hunter2" not in text and "tok-9" not in text and "alice" in text


def test_split_credentials_from_a_url() -> None:
    assert split_credentials("https://bob:p%40ss@host.example:8443/feed?x=1") == (
        "https://host.example:8443/feed?x=1",
        Credential("bob", "p@ss"),
    )
    assert split_credentials("https://host.example/feed") == ("https://host.example/feed", None)
    assert split_credentials("https://tokenonly@host.example/f")[1] == Credential("tokenonly", "")
    assert redact("failed for hunter2", ("hunter2",)) == "failed for ***"


def test_no_keyring_is_said_plainly_and_this_run_still_works() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        store = CredentialStore()
        assert not store.available()
        assert store.unavailable_reason is not None and "no system keyring" in store.unavailable_reason
        with pytest.raises(KeyringUnavailableError, match="nothing was saved") as info:
            store.save("f-1", Credential("alice", "hunter2"))
        assert "hunter2" not in str(info.value)
        assert store.get("f-1") is None
        assert store.save_or_remember("f-1", Credential("alice", "hunter2")) is False
        assert store.get("f-1") == Credential("alice", "hunter2")
        assert CredentialStore().get("f-1") is None  # a new run has nothing
        store.delete("f-1")
        assert store.get("f-1") is None
    finally:
        keyring.set_keyring(previous)


class _Broken(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"locked collection (secret was {password[:0]})")

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")


def test_a_locked_keyring_is_one_clear_error() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(_Broken())
    try:
        store = CredentialStore()
        assert not store.available()
        with pytest.raises(CredentialError, match="refused to store"):
            store.save("f-1", Credential("a", "hunter2"))
        with pytest.raises(CredentialError, match="could not be read"):
            store.get("f-1")
    finally:
        keyring.set_keyring(previous)


def test_only_the_credentials_module_imports_keyring() -> None:
    from pathlib import Path

    core = Path(__file__).resolve().parents[2] / "readinglist"
    users = sorted(
        p.relative_to(core).as_posix()
        for p in core.rglob("*.py")
        if any(line.strip().startswith(("import keyring", "from keyring")) for line in p.read_text().splitlines())
    )
    assert users == ["core/credentials.py"]
