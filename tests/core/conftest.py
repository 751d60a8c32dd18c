"""Fixtures of the core tier: a real feed server on 127.0.0.1 and an in-memory keyring."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from feedtools import FeedServer, MemoryKeyring


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
