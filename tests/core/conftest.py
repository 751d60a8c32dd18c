"""Fixtures of the core tier: an empty library and its feed registry, a real feed server on 127.0.0.1, and an
in-memory keyring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from feedtools import FeedServer, MemoryKeyring

from readinglist.core.feeds import FeedRegistry
from readinglist.core.library import Library


@pytest.fixture
def library(data_dir: Path) -> Iterator[Library]:
    lib = Library.open(data_dir)
    yield lib
    lib.close()


@pytest.fixture
def registry(library: Library) -> FeedRegistry:
    return FeedRegistry(library.store)


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
