"""A derived full-text index (SQLite FTS5) over title, authors, abstract and note; rebuildable at any time.

The library files stay the truth. This index lives in its own file, is updated after each commit, and records the
library generation it matches; when another process (or a crash) left it behind, `sync` brings it up to date
by comparing a checksum per paper. Losing or deleting the file costs a rebuild, never data.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

_WORD = re.compile(r"\w+", re.UNICODE)
INDEX_FORMAT = "2"  # bump when the tables below change: an index of another format is rebuilt


def query_words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def fts_query(text: str) -> str | None:
    """Every word must appear, as a word or a word prefix ("transform" finds "transformers")."""
    words = query_words(text)
    if not words:
        return None
    return " AND ".join(f'"{w}"*' for w in words)


def text_checksum(title: str, authors: str, abstract: str, note: str) -> int:
    return zlib.crc32("\x1f".join((title, authors, abstract, note)).encode("utf-8"))


Row = tuple[str, str, str, str, str]  # key, title, authors, abstract, note


class SearchIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                self._db = self._connect()
            except sqlite3.OperationalError:
                raise  # locked or unreadable for now: not damage, and another process may be using the files
            except sqlite3.DatabaseError:
                # A damaged cache is thrown away and rebuilt: it holds nothing that is not in the library.
                for suffix in ("", "-wal", "-shm", "-journal"):
                    with contextlib.suppress(OSError):
                        Path(str(self.path) + suffix).unlink()
                self._db = self._connect()
        return self._db

    def _connect(self) -> sqlite3.Connection:
        # Several processes share the index (the window, a command): wait for each other's short writes.
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10.0)
        self.path.chmod(0o600)
        # A cache: speed over durability. A crash may leave it stale, and `sync` repairs that.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT)")
        row = db.execute("SELECT v FROM meta WHERE k='format'").fetchone()
        if row is None or row[0] != INDEX_FORMAT:
            # An index laid out by another version: start again (the next search rebuilds it).
            db.execute("DROP TABLE IF EXISTS papers")
            db.execute("DROP TABLE IF EXISTS docs")
            db.execute("DELETE FROM meta")
            db.execute("INSERT INTO meta VALUES ('format', ?)", (INDEX_FORMAT,))
        # prefix='3 4': search-as-you-type asks for 3- and 4-letter prefixes of common words ("tra", "mode") that
        # match tens of thousands of papers; prefix indexes answer them from one b-tree range (61 -> 39 ms at 100k).
        db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS papers USING fts5("
            "title, authors, abstract, note, tokenize='unicode61 remove_diacritics 2', prefix='3 4')"
        )
        # FTS5 cannot index a key column: a plain table maps each paper key to its FTS rowid.
        db.execute("CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, sum INTEGER)")
        return db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def generation(self) -> int:
        row = self._conn().execute("SELECT v FROM meta WHERE k='generation'").fetchone()
        return int(row[0]) if row else -1

    def set_generation(self, generation: int) -> None:
        self._conn().execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(generation),))

    def upsert(self, rows: Iterable[Row], *, generation: int | None = None) -> None:
        db = self._conn()
        with _transaction(db):
            for row in rows:
                _put(db, row)
            if generation is not None:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(generation),))

    def sync(self, rows: Iterable[Row], *, generation: int) -> int:
        """Make the index hold exactly `rows`; returns how many papers were (re)indexed."""
        db = self._conn()
        indexed = dict(db.execute("SELECT key, sum FROM docs").fetchall())
        changed: list[Row] = []
        seen: set[str] = set()
        for row in rows:
            seen.add(row[0])
            if indexed.get(row[0]) != text_checksum(*row[1:]):
                changed.append(row)
        gone = [k for k in indexed if k not in seen]
        with _transaction(db):
            for key in gone:
                _delete(db, key)
            for row in changed:
                _put(db, row)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(generation),))
        return len(changed) + len(gone)

    def phrase_keys(self, columns: Sequence[str], phrases: Sequence[Sequence[str]]) -> set[str]:
        """Keys of the papers where any of `phrases` (each a list of words, the last a prefix) appears in one of
        `columns`: a superset of what a rule's words match, found without reading the papers."""
        alternatives = " OR ".join('"' + " ".join(words) + '"*' for words in phrases if words)
        query = "{" + " ".join(columns) + "} : (" + alternatives + ")"
        rows = (
            self._conn()
            .execute("SELECT docs.key FROM papers JOIN docs ON docs.id = papers.rowid WHERE papers MATCH ?", (query,))
            .fetchall()
        )
        return {r[0] for r in rows}

    def search(self, text: str) -> set[str] | None:
        """Keys of the papers matching every word of `text`; None when `text` has no words (no filter)."""
        query = fts_query(text)
        if query is None:
            return None
        rows = (
            self._conn()
            .execute("SELECT docs.key FROM papers JOIN docs ON docs.id = papers.rowid WHERE papers MATCH ?", (query,))
            .fetchall()
        )
        return {r[0] for r in rows}


def _delete(db: sqlite3.Connection, key: str) -> None:
    row = db.execute("SELECT id FROM docs WHERE key = ?", (key,)).fetchone()
    if row is not None:
        db.execute("DELETE FROM papers WHERE rowid = ?", row)
        db.execute("DELETE FROM docs WHERE id = ?", row)


def _put(db: sqlite3.Connection, row: Row) -> None:
    key, title, authors, abstract, note = row
    _delete(db, key)
    cur = db.execute("INSERT INTO docs (key, sum) VALUES (?, ?)", (key, text_checksum(*row[1:])))
    db.execute(
        "INSERT INTO papers (rowid, title, authors, abstract, note) VALUES (?, ?, ?, ?, ?)",
        (cur.lastrowid, title, authors, abstract, note),
    )


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection):  # type: ignore[no-untyped-def]
    # IMMEDIATE takes the write lock up front: a deferred transaction that upgrades later fails at once
    # ("database is locked") when another process wrote in between, whatever the timeout.
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
