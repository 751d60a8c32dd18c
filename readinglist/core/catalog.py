"""The library's derived index (SQLite): what lists, sorts, filters, counts and searches need, one row per paper.

The library files stay the truth; this file is a cache of them (`DATA/index/catalog.sqlite`), so a command that
lists twenty papers, shows one or stars one reads a few rows instead of a million documents. It records which file
of each part (papers segments, the paper changes, state shards) it was built from; `catch_up` compares that with
the store's manifest and reads only the parts whose file changed, one part per SQLite transaction (bounded
batches: a first build can stop and go on later, and others read meanwhile). Within a part a checksum per paper,
and per state, skips what did not change. Losing or deleting the file costs a rebuild, never data.

One rule makes the per-part catch-up enough: a paper's state is written in the commit that adds the paper or
after it (a state without its paper is never kept), so the state of a paper first indexed now is in a state part
indexed now or already.

Rows: `paper` (the fields views, sorts and counts read, and the state flags), `alias` (arXiv ids, DOIs, links ->
key), `feed` and `tag` (filters and counts), `fts` (FTS5 over title, authors, abstract and note as shown; rowid
is the paper's id: the papers of even id here, those of odd id in `fts_odd`, in a file of its own beside this one,
so that a first build indexes the two halves on two cores at once), `word` (every word the full-text index holds,
as it folds them) and `block` (the newest date of each run of 4,096 paper ids).

A search is made fast by the last two. A word prefix ("transform") is asked as the index's words that start
with it (`"transform" OR "transformer" OR "transformers"`), which FTS5 walks lazily, instead of a prefix query,
whose whole list of papers FTS5 builds before it answers (a quarter of a second at a million papers for a
common word). And the newest papers matching a search are found by walking the matches from the highest id
down (ids follow arrival, so mostly date), stopping once no lower block can hold a paper newer than those found.
"""

from __future__ import annotations

import bisect
import contextlib
import heapq
import itertools
import random
import re
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from readinglist.core.identity import key_candidates
from readinglist.core.models import ListFilter, SortKey, is_muted, paper_date
from readinglist.core.papers import DELTA, PAPERS, STATE, split_shards, state_part
from readinglist.core.search import as_shown, fts_query, query_words
from readinglist.core.storage import doc_sum
from readinglist.core.text import shown, shown_title

if TYPE_CHECKING:
    from concurrent.futures import Future

    from readinglist.core.storage import Store

CATALOG_FORMAT = "4"  # bump when the tables change: a catalog of another format is rebuilt
TOKENIZE = "unicode61 remove_diacritics 2"
BLOCK_BITS = 12  # a block: the papers whose ids share all but the last 12 bits
# A text catch-up this large (and a tenth of the library) lists the index's words once at its end instead of
# learning them part by part: at a million papers, listing takes 5 s in one go and learning 95 us a paper.
WORDS_REBUILD = 20_000
EXPANDED_WORDS = 64  # a prefix that starts more words is left to FTS5's prefix query
TEXT_BATCH = 24_000  # papers' text indexed per transaction (at least: whole parts)
FTS_HASHSIZE = 16 << 20  # bytes FTS5 gathers before it writes a segment (its default: 1 MB)
STREAM_ROWS = 4_000  # matches walked in id order before a search falls back to the index's sort
STREAM_BATCH = 256  # matches fetched between two looks at whether the newest are found
BUSY_TIMEOUT = 10.0  # seconds a process waits for another one's write to the catalog
SEQ_SPAN = 1 << 32  # a paper's place: its segment's number * SEQ_SPAN + its id in the segment
ODD = "odd"  # the schema the file holding the odd half of the full text is attached as
TEXT_TABLES = (("main.fts", "fts"), (f"{ODD}.fts_odd", "fts_odd"))  # (table, the name a MATCH is asked of)


_PLAIN_WORD = re.compile(r"[a-z0-9]+")


def indexed_part(part: str) -> bool:
    """The parts the catalog is made from: papers segments, the paper changes, state shards."""
    return part.startswith(("papers-", "state-")) or part == DELTA


_sum = doc_sum  # a document's checksum, never 0: 0 is "no state"


# The views the catalog answers by itself (the others need the rules or the taste: the library answers them).
VIEW_SQL: dict[ListFilter, str] = {
    ListFilter.ALL: "1",
    ListFilter.UNREAD: "p.read = 0",
    ListFilter.READ: "p.read = 1",
    ListFilter.STARRED: "p.starred = 1",
    ListFilter.NOTED: "p.noted = 1",
    ListFilter.MUTED: "p.muted = 1",
    ListFilter.LATER: "p.later = 1",
    ListFilter.FOR_YOU: "p.read = 0 AND p.dismissed = 0 AND p.starred = 0",
    ListFilter.UPDATED: "p.muted = 0 AND p.updated != '' AND NOT (p.read = 1 AND p.read_at > p.updated)",
    ListFilter.TODAY: "p.muted = 0 AND p.first_seen >= :today",
}
SORT_SQL: dict[SortKey, str] = {SortKey.DATE: "p.date", SortKey.TITLE: "p.sort_title", SortKey.SOURCE: "p.source"}


KEY_SLICE = 50_000  # rows of the map of ids to keys per read of `prepare_keys` (about 50 ms at 1,000,000)
_KEYS_PARTIAL = -2  # the map's `data_version` while `prepare_keys` is making it (never a real version)

SCHEMA = """
    CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);
    CREATE TABLE IF NOT EXISTS part (name TEXT PRIMARY KEY, file TEXT NOT NULL, generation INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS paper (
        id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, part TEXT NOT NULL, seq INTEGER NOT NULL,
        shard TEXT NOT NULL,
        sum INTEGER NOT NULL, date TEXT NOT NULL, first_seen TEXT NOT NULL, updated TEXT NOT NULL,
        title TEXT NOT NULL, sort_title TEXT NOT NULL, source TEXT NOT NULL,
        ssum INTEGER NOT NULL DEFAULT 0, read INTEGER NOT NULL DEFAULT 0, read_at TEXT NOT NULL DEFAULT '',
        starred INTEGER NOT NULL DEFAULT 0, noted INTEGER NOT NULL DEFAULT 0, tagged INTEGER NOT NULL DEFAULT 0,
        later INTEGER NOT NULL DEFAULT 0, later_at TEXT NOT NULL DEFAULT '',
        dismissed INTEGER NOT NULL DEFAULT 0, muted INTEGER NOT NULL DEFAULT 0, nsum INTEGER NOT NULL DEFAULT 0,
        note TEXT NOT NULL DEFAULT '', fsum INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS alias (alias TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS feed (feed TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (feed, id))
        WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS tag (tag TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (tag, id))
        WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS word (term TEXT PRIMARY KEY) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS block (b INTEGER PRIMARY KEY, newest TEXT NOT NULL);
    """

# The secondary indexes: made after the rows on a first build (one sort each instead of a b-tree insert per row).
INDEXES = """
    CREATE INDEX IF NOT EXISTS paper_part ON paper (part);
    CREATE INDEX IF NOT EXISTS paper_seq ON paper (seq);
    CREATE INDEX IF NOT EXISTS paper_text_behind ON paper (part, seq) WHERE fsum != sum;
    CREATE INDEX IF NOT EXISTS paper_shard ON paper (shard, ssum);
    CREATE INDEX IF NOT EXISTS paper_date ON paper (date);
    CREATE INDEX IF NOT EXISTS paper_key_of ON paper (id, key);
    CREATE INDEX IF NOT EXISTS paper_unread ON paper (read, date);
    CREATE INDEX IF NOT EXISTS alias_key ON alias (key);
    CREATE INDEX IF NOT EXISTS feed_id ON feed (id);
    CREATE INDEX IF NOT EXISTS tag_id ON tag (id);
"""
_INDEX_NAMES = [line.split()[5] for line in INDEXES.strip().splitlines()]


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    date: str
    title: str  # as shown
    starred: bool
    read: bool


class Catalog:
    """One library's derived index. Not thread-safe: one thread uses one `Catalog` (its own SQLite connection)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text_path = path.with_name(f"{path.stem}-text{path.suffix}")  # the odd half of the full text
        self._db: sqlite3.Connection | None = None
        self._fresh = False  # a first build under way in this process (its rows go in before the indexes)
        self._split: frozenset[str] = frozenset()  # the state shards split, as the store being read has them
        # A process that searches at every keystroke (the window) keeps the papers' keys by id: a search then
        # reads the matches' ids alone, not their keys through the paper table (80,000 matches of a three-letter
        # prefix among 100,000 papers: 64 -> 35 ms). Kept exact by ids that are never reused and a look at what
        # other processes committed (`_keys_by_id`).
        self.keep_keys = False
        self._key_of: dict[int, str] | None = None
        self._key_of_db: sqlite3.Connection | None = None
        self._key_of_version = -1  # PRAGMA data_version when it was made (other connections' commits change it)
        self._key_of_top = 0  # the highest id it holds
        self._keys_stale = False  # this connection added or removed papers since

    # ---- the file ------------------------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                self._db = self._connect()
            except sqlite3.OperationalError:
                raise  # locked or unreadable for now: not damage, and another process may be using the file
            except sqlite3.DatabaseError:
                self._discard()  # a damaged cache is thrown away and rebuilt: it holds nothing the library lacks
                self._db = self._connect()
        return self._db

    def _discard(self) -> None:
        for path in (self.path, self.text_path):
            _remove(path)

    def _connect(self) -> sqlite3.Connection:
        # Several processes share the catalog (the window, commands): they wait for each other's short writes.
        # Two processes that set up a new file at once can be told "database is locked" without waiting (the
        # switch to WAL needs the file alone, and SQLite refuses one of two lock upgrades at once rather than
        # deadlock): the setup is done again until the same deadline the writes wait for.
        deadline = time.monotonic() + BUSY_TIMEOUT
        while True:
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT)
            try:
                self._set_up(db)
                self._attach_text(db)  # (the text file's switch to WAL meets the same refusals)
            except sqlite3.OperationalError as error:
                db.close()
                if ("locked" not in str(error) and "busy" not in str(error)) or time.monotonic() > deadline:
                    raise
                time.sleep(random.uniform(0.005, 0.05))
                continue
            except BaseException:
                db.close()
                raise
            return db

    def _attach_text(self, db: sqlite3.Connection) -> None:
        """Attach the file holding the odd half of the full text. It belongs to this catalog by a token both files
        keep: missing, damaged, or another catalog's (this one was rebuilt), it is made anew and the papers of odd
        id are marked as not indexed, so the text catch-up fills it again."""
        row = db.execute("SELECT v FROM meta WHERE k = 'text'").fetchone()
        token = str(row[0]) if row else ""
        for attempt in range(2):
            try:
                db.execute("ATTACH DATABASE ? AS " + ODD, (str(self.text_path),))
                self.text_path.chmod(0o600)
                db.execute(f"PRAGMA {ODD}.journal_mode=WAL")
                db.execute(f"PRAGMA {ODD}.synchronous=OFF")
                if token and self._text_token(db) == token:
                    return
                with _transaction(db):
                    row = db.execute("SELECT v FROM meta WHERE k = 'text'").fetchone()  # (as it is now)
                    token = str(row[0]) if row else ""
                    if not token:  # (a new catalog: its text file is made for it)
                        token = f"{random.getrandbits(64):016x}"
                        db.execute("INSERT OR REPLACE INTO meta VALUES ('text', ?)", (token,))
                    if self._text_token(db) != token:  # (another process may have just made it)
                        db.execute(f"DROP TABLE IF EXISTS {ODD}.fts_odd")
                        db.execute(f"CREATE TABLE IF NOT EXISTS {ODD}.meta (k TEXT PRIMARY KEY, v TEXT)")
                        db.execute(
                            f"CREATE VIRTUAL TABLE {ODD}.fts_odd USING fts5("
                            f"title, authors, abstract, note, tokenize='{TOKENIZE}', detail=column)"
                        )
                        db.execute(f"INSERT INTO {ODD}.fts_odd (fts_odd, rank) VALUES ('hashsize', ?)", (FTS_HASHSIZE,))
                        db.execute(f"INSERT OR REPLACE INTO {ODD}.meta VALUES ('text', ?)", (token,))
                        db.execute("UPDATE paper SET fsum = 0 WHERE id % 2 = 1 AND fsum != 0")
                return
            except sqlite3.OperationalError:
                raise  # busy or locked for now: not damage
            except sqlite3.DatabaseError:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("DETACH DATABASE " + ODD)
                if attempt:
                    raise
                _remove(self.text_path)  # a damaged cache: thrown away and made again

    @staticmethod
    def _text_token(db: sqlite3.Connection) -> str | None:
        try:
            row = db.execute(f"SELECT v FROM {ODD}.meta WHERE k = 'text'").fetchone()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return None
            raise
        return str(row[0]) if row else None

    def _set_up(self, db: sqlite3.Connection) -> None:
        self.path.chmod(0o600)
        # A cache: speed over durability. A crash may leave a part half done; its file is then not recorded, so
        # the next catch-up does it again.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-65536")
        if self._format(db) == CATALOG_FORMAT:
            db.executescript(INDEXES)  # (a first build stopped half way left them out)
            return
        # Made in one transaction: two processes setting up one file at once must not see it half made (one
        # would find no format yet and drop what the other made).
        with _transaction(db):
            if self._format(db) != CATALOG_FORMAT:
                for table in ("paper", "alias", "feed", "tag", "fts", "part", "word", "block", "meta"):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in (SCHEMA + INDEXES).split(";"):
                if statement.strip():
                    db.execute(statement)
            # detail=column: which column a word is in, not where in it; a third of the build of full positions,
            # and every query readinglist asks is words and word prefixes (a phrase is asked as its words).
            db.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5("
                f"title, authors, abstract, note, tokenize='{TOKENIZE}', detail=column)"
            )
            db.execute("INSERT INTO fts (fts, rank) VALUES ('hashsize', ?)", (FTS_HASHSIZE,))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (CATALOG_FORMAT,))

    @staticmethod
    def _format(db: sqlite3.Connection) -> str | None:
        try:
            row = db.execute("SELECT v FROM meta WHERE k = 'format'").fetchone()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return None
            raise
        return str(row[0]) if row else None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # ---- keeping up with the library -------------------------------------------------------------------------

    def indexed_files(self) -> dict[str, str]:
        return {name: file for name, (file, _) in self._indexed().items()}

    def _indexed(self) -> dict[str, tuple[str, int]]:
        rows = self._conn().execute("SELECT name, file, generation FROM part")
        return {name: (file, generation) for name, file, generation in rows}

    def behind(self, store: Store) -> list[str]:
        """The parts whose file changed since the catalog read them (empty: the catalog is current). A part the
        catalog holds from a newer generation than this process's store (another process moved on) is not
        behind: this process leaves it as it is, never rolls it back to what it knows."""
        files = {p: f for p, f in store.files().items() if indexed_part(p)}
        indexed = self._indexed()
        return sorted(
            p
            for p in set(files) | set(indexed)
            if files.get(p) != indexed.get(p, ("", 0))[0] and indexed.get(p, ("", -1))[1] <= store.generation
        )

    def current(self, store: Store) -> bool:
        return not self.behind(store)

    def catch_up(
        self,
        store: Store,
        *,
        budget: float | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> bool:
        """Read the parts whose file changed, one SQLite transaction each (papers first, then the states).
        `budget`: stop after about this many seconds (the rest waits for the next call). True when current."""
        behind = self.behind(store)
        if not behind:
            return True
        started = time.perf_counter()
        files = store.files()
        paper_parts = [p for p in behind if p.startswith("papers-")]
        delta_changed = DELTA in behind
        state_parts = [p for p in behind if p.startswith("state-")]
        delta_docs: dict[str, Mapping[str, Any]] = {}
        if paper_parts or delta_changed:
            delta_docs = {d["key"]: d for d in store.read_table(DELTA, PAPERS).values()}
        order: list[tuple[str, Callable[[], None]]] = []
        for part in paper_parts:
            order.append((part, lambda part=part: self._sync_segment(store, part, delta_docs)))  # type: ignore[misc]
        if delta_changed:
            order.append((DELTA, lambda: self._sync_delta(delta_docs)))
        for part in state_parts:
            order.append((part, lambda part=part: self._sync_states(store, part)))  # type: ignore[misc]
        db = self._conn()
        total = len(order)
        # A first build with nothing to wait for (a command): the rows go in without the secondary indexes, which
        # are made once the papers are in (before the states, which look rows up by shard). A build stopped
        # half way has them made again by the next connection.
        fresh = budget is None and len(paper_parts) > 2 and not db.execute("SELECT 1 FROM paper LIMIT 1").fetchone()
        if fresh:
            for name in _INDEX_NAMES:
                db.execute(f"DROP INDEX IF EXISTS {name}")
        self._fresh = fresh
        self._split = split_shards(store.part_names())
        for done, (part, step) in enumerate(order):
            if fresh and part.startswith("state-"):
                db.executescript(INDEXES)
                fresh = self._fresh = False
            with _transaction(db):
                step()
                if part in files:
                    db.execute("INSERT OR REPLACE INTO part VALUES (?, ?, ?)", (part, files[part], store.generation))
                else:
                    db.execute("DELETE FROM part WHERE name = ?", (part,))
            if progress is not None:
                progress(done + 1, total)
            if budget is not None and time.perf_counter() - started > budget and done + 1 < total:
                return False
        if fresh:
            db.executescript(INDEXES)
            self._fresh = False
        return not self.behind(store)

    def text_behind(self) -> int:
        """How many papers' text the full-text index does not hold as it is now."""
        return int(self._conn().execute("SELECT count(*) FROM paper WHERE fsum != sum").fetchone()[0])

    def catch_up_text(
        self,
        store: Store,
        *,
        budget: float | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> bool:
        """Bring the full-text index up to the rows (call `catch_up` first): the papers whose text changed since
        it was indexed, a few parts' papers per SQLite transaction. The slow half of a first build (FTS5 takes most
        of it), kept apart so that lists, counts and names need not wait for it. True when current."""
        db = self._conn()
        behind = self.text_behind()
        if behind == 0:  # (asked before every search until current: nothing else to do then)
            if not self._words_listed():
                self._list_words()
            return True
        if behind >= WORDS_REBUILD and behind >= len(self) // 10:
            self._forget_words()  # listed once at the end instead of part by part
        learn = self._words_listed()
        parts = [r[0] for r in db.execute("SELECT DISTINCT part FROM paper WHERE fsum != sum ORDER BY part")]
        started = time.perf_counter()

        def stale(part: str) -> dict[str, tuple[int, int, str]]:
            rows = db.execute("SELECT id, key, sum, note FROM paper WHERE part = ? AND fsum != sum", (part,))
            return {key: (pid, total, note) for pid, key, total, note in rows}

        # The next part is read and rendered on a second thread while SQLite indexes this one (it lets go of
        # the GIL while it works): a fifth of a first build, on a machine with two cores. And the odd half of each
        # batch is indexed on a third, into its own file, while this one indexes the even half: FTS5's work, most
        # of a first build, is then done on two cores.
        from concurrent.futures import ThreadPoolExecutor  # (5 ms of imports a command that lists does not need)

        odd = _connect_text(self.text_path)
        with (
            contextlib.closing(odd),
            ThreadPoolExecutor(1, thread_name_prefix="catalog-text") as reader,
            ThreadPoolExecutor(1, thread_name_prefix="catalog-text-odd") as writer,
        ):
            ahead = reader.submit(_text_rows, store, parts[0], stale(parts[0])) if parts else None
            rows: list[tuple[int, str, str, str, str, int]] = []
            for done in range(len(parts)):
                assert ahead is not None
                rows += ahead.result()
                last = done + 1 == len(parts)
                out_of_time = budget is not None and time.perf_counter() - started > budget
                ahead = (
                    None
                    if last or out_of_time
                    else reader.submit(_text_rows, store, parts[done + 1], stale(parts[done + 1]))
                )
                # FTS5 writes what it gathered as a new segment at each commit, and merges segments as they pile
                # up: fewer, larger commits (with a larger gathering buffer, `hashsize`) halve a first build.
                if len(rows) >= TEXT_BATCH or ahead is None:
                    self._index_text(rows, learn=learn, odd=lambda r: writer.submit(_index_odd, odd, r))
                    rows = []
                if progress is not None:
                    progress(done + 1, len(parts))
                if out_of_time and not last:
                    return False
        if self.text_behind() != 0:
            return False
        if not self._words_listed():
            self._list_words()
        return True

    def _index_text(
        self,
        rows: Sequence[tuple[int, str, str, str, str, int]],
        *,
        learn: bool,
        odd: Callable[[list[tuple[Any, ...]]], Future[None]],
    ) -> None:
        """(paper id, title, authors, abstract, note, the checksum of the row this text is of) each. `odd` indexes
        the odd half, into its own file, on another thread (`_index_odd`).

        The odd half is committed before the rows say their text is indexed (`fsum`): a crash in between leaves
        text indexed and rows behind, which the next catch-up indexes again (REPLACE: a paper's text replaces
        whatever its id held, also in a file that committed what this one did not)."""
        db = self._conn()
        pending = odd([r[:5] for r in rows if r[0] % 2])
        # A deferred transaction whose first statement writes: it takes this file's write lock alone, where an
        # immediate one would take the attached file's too, which the other thread is writing.
        with _transaction(db, immediate=False):
            db.executemany(
                "INSERT OR REPLACE INTO main.fts (rowid, title, authors, abstract, note) VALUES (?, ?, ?, ?, ?)",
                [r[:5] for r in rows if not r[0] % 2],
            )
            pending.result()
            db.executemany("UPDATE paper SET fsum = ? WHERE id = ?", [(r[5], r[0]) for r in rows])
            if learn:
                self._learn_words(" ".join(r[1:5]) for r in rows)

    # ---- the index's words ----------------------------------------------------------------------------------

    def _words_listed(self) -> bool:
        """Whether `word` holds every word of the full-text index (else searches ask FTS5's prefix queries)."""
        return self._conn().execute("SELECT 1 FROM meta WHERE k = 'words'").fetchone() is not None

    def _forget_words(self) -> None:
        self._conn().execute("DELETE FROM meta WHERE k = 'words'")

    def _list_words(self) -> None:
        """Every word of the index, from FTS5's own list (4 s at a million papers, once after a first build)."""
        db = self._conn()
        db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_words USING fts5vocab(main, fts, row)")
        db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_odd_words USING fts5vocab({ODD}, fts_odd, row)")
        with _transaction(db):
            db.execute("DELETE FROM word")
            db.execute("INSERT INTO word SELECT term FROM temp.fts_words UNION SELECT term FROM temp.fts_odd_words")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('words', '1')")

    def _learn_words(self, texts: Iterable[str]) -> None:
        """Add the words of `texts`, split and folded by the index's own tokenizer (a scratch FTS5 table), so
        that the list is exactly the index's and never misses a paper (a word no longer indexed does no harm)."""
        db = self._conn()
        db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.scratch USING fts5("
            f"text, content='', tokenize='{TOKENIZE}', detail=none)"
        )
        db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.scratch_words USING fts5vocab(temp, scratch, row)")
        db.executemany("INSERT INTO temp.scratch (text) VALUES (?)", ((t,) for t in texts))
        db.execute("INSERT OR IGNORE INTO word SELECT term FROM temp.scratch_words")
        db.execute("INSERT INTO temp.scratch (scratch) VALUES ('delete-all')")

    def _match(self, text: str) -> str | None:
        """The FTS5 query for `text` (every word, as a word or a word prefix); None: no words; "": nothing can
        match (a word no indexed word starts with)."""
        words = query_words(as_shown(text))
        if not words:
            return None
        if not self._words_listed():
            return fts_query(text)
        db = self._conn()
        asked = []
        for w in words:
            if not _PLAIN_WORD.fullmatch(w):  # (a word the tokenizer may split or fold otherwise)
                asked.append(f'"{w}"*')
                continue
            terms = [
                r[0]
                for r in db.execute(
                    "SELECT term FROM word WHERE term >= ? AND term < ? LIMIT ?",
                    (w, w + "\U0010ffff", EXPANDED_WORDS + 1),
                )
            ]
            if not terms:
                return ""
            if len(terms) > EXPANDED_WORDS:
                asked.append(f'"{w}"*')
            else:
                asked.append("(" + " OR ".join(f'"{t}"' for t in terms) + ")")
        return " AND ".join(asked)

    def _block_bounds(self) -> tuple[list[int], list[str]]:
        """Block numbers in order, and for each the newest date of any paper in it or a lower one."""
        blocks: list[int] = []
        bounds: list[str] = []
        highest = ""
        for b, newest in self._conn().execute("SELECT b, newest FROM block ORDER BY b"):
            highest = max(highest, newest)
            blocks.append(b)
            bounds.append(highest)
        return blocks, bounds

    def newest_matching(
        self, text: str, *, view: ListFilter = ListFilter.ALL, limit: int, today: str = ""
    ) -> tuple[list[str], int] | None:
        """Keys of the `limit` newest papers of `view` (date, then key) matching every word of `text`, as
        `search` matches them, and every other match of the last one's date (a day's arXiv announcement shares
        one time: the head must hold all its matches, or none of that date could be shown as the head of the
        whole result), found by walking the matches from the highest id down (milliseconds however many papers
        match), and about how many of the view's papers match: as many as the walk found per id it passed.
        None: no words, or the view's matches too sparse for the walk (then `search` says)."""
        query = self._match(text)
        if not query:
            return None if query is None else ([], 0)
        walk = self._newest_walk(VIEW_SQL[view], {"match": query, "today": today}, limit, whole_dates=True)
        if walk is None:
            return None
        keys, walked, lowest = walk
        if not lowest:
            return keys, walked  # (every match walked: the count itself)
        top = int(self._conn().execute("SELECT coalesce(max(id), 0) FROM paper").fetchone()[0])
        return keys, walked * top // max(1, top - lowest + 1)

    def _newest_matching(self, where: str, params: Mapping[str, Any], limit: int) -> list[str] | None:
        """Keys of the `limit` newest papers (date, then key) matching params["match"] and `where`, walking the
        matches from the highest id down; None when they are too sparse for that to pay (ask the sort)."""
        walk = self._newest_walk(where, params, limit)
        return None if walk is None else walk[0]

    def _newest_walk(
        self, where: str, params: Mapping[str, Any], limit: int, *, whole_dates: bool = False
    ) -> tuple[list[str], int, int] | None:
        """`_newest_matching`, how many matches it walked, and the lowest id it reached (0: it walked them all).
        `whole_dates`: past `limit`, every match of the last one's date too."""
        if limit == 0:
            return [], 0, 0
        blocks, bounds = self._block_bounds()
        cursors = [
            self._conn().execute(
                f"SELECT f.rowid, p.date, p.key FROM {table} f JOIN paper p ON p.id = f.rowid "
                f"WHERE {name} MATCH :match AND {where} ORDER BY f.rowid DESC",
                params,
            )
            for table, name in TEXT_TABLES
        ]
        merged = heapq.merge(*cursors, key=lambda r: -int(r[0]))  # (both halves, the highest id first)
        found: list[tuple[str, str]] = []  # (date, key), the newest `limit` first once trimmed

        def trim() -> None:
            found.sort(key=itemgetter(1))
            found.sort(key=itemgetter(0), reverse=True)
            end = limit
            if whole_dates and end < len(found):
                last = found[end - 1][0]
                while end < len(found) and found[end][0] == last:
                    end += 1
            del found[end:]

        def done(keys: list[str] | None, lowest: int = 0) -> tuple[list[str], int, int] | None:
            for cursor in cursors:
                cursor.close()
            return None if keys is None else (keys, walked, lowest)

        walked = 0
        while rows := list(itertools.islice(merged, STREAM_BATCH)):
            walked += len(rows)
            found += [(date, key) for _, date, key in rows]
            if len(found) >= limit:
                trim()
                # Every match still to come has a lower id, so it lies in this block or a lower one.
                at = bisect.bisect_right(blocks, rows[-1][0] >> BLOCK_BITS) - 1
                if at < 0 or bounds[at] < found[-1][0]:
                    return done([key for _, key in found], int(rows[-1][0]))
            if walked >= STREAM_ROWS:
                return done(None)
        trim()
        return done([key for _, key in found])

    def _sync_segment(self, store: Store, part: str, delta: Mapping[str, Mapping[str, Any]]) -> None:
        """One segment's papers: each at its place in the segment (the order ties keep, as the library's), with
        its newest content (the paper changes override the segment's copy)."""
        table = store.read_table(part, PAPERS) if part in store.files() else {}
        number = int(part.rsplit("-", 1)[1])
        entries = []
        for doc_id, doc in table.items():
            key = doc["key"]
            newest = delta.get(key)
            entries.append((newest or doc, DELTA if newest is not None else part, number * SEQ_SPAN + int(doc_id)))
        keep = {e[0]["key"] for e in entries}
        db = self._conn()
        gone = (
            []
            if self._fresh  # (a first build: no row of this segment yet, and no index to find them by)
            else db.execute(
                "SELECT id, key FROM paper WHERE seq >= ? AND seq < ?", (number * SEQ_SPAN, (number + 1) * SEQ_SPAN)
            ).fetchall()
        )
        self._delete([(pid, key) for pid, key in gone if key not in keep])
        self._put_papers(entries)

    def _sync_delta(self, delta: Mapping[str, Mapping[str, Any]]) -> None:
        """The paper changes: new content for papers whose place a segment gives; a paper that left them (folded
        back, its segment read again above) keeps its row."""
        db = self._conn()
        self._put_papers([(doc, DELTA, None) for doc in delta.values()])
        stale = [(pid, key) for pid, key in db.execute("SELECT id, key FROM paper WHERE part = ?", (DELTA,))]
        self._delete([(pid, key) for pid, key in stale if key not in delta])

    def _put_papers(self, entries: Sequence[tuple[Mapping[str, Any], str, int | None]]) -> None:
        """(document, the part that holds this content, its place or None to keep the row's) each."""
        db = self._conn()
        known: dict[str, tuple[int, int, str, int, int]] = {}
        for chunk in _chunks([e[0]["key"] for e in entries], 500):
            marks = ",".join("?" * len(chunk))
            for pid, key, total, where, nsum, seq in db.execute(
                f"SELECT id, key, sum, part, nsum, seq FROM paper WHERE key IN ({marks})", chunk
            ):
                known[key] = (pid, total, where, nsum, seq)
        # Ids only grow, also past papers since removed (a merge): an id never names another paper later, which
        # is what lets a process keep keys by id (`keep_keys`). The highest ever given is kept in `meta`.
        given = db.execute("SELECT v FROM meta WHERE k = 'top_id'").fetchone()
        top = int(db.execute("SELECT coalesce(max(id), 0) FROM paper").fetchone()[0])
        next_id = max(top, int(given[0]) if given else 0) + 1
        last_seq: int | None = None  # (read only when a paper has no place yet: rare)
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        feeds_rows: list[tuple[str, int]] = []
        alias_rows: list[tuple[str, str]] = []
        replaced: list[tuple[int, str]] = []
        newest: dict[int, str] = {}
        for doc, part, place in entries:
            key = doc["key"]
            total = _sum(doc)
            old = known.get(key)
            if old is not None and old[1] == total and old[2] == part and place in (None, old[4]):
                continue
            if place is None:
                if old is not None:
                    place = old[4]
                else:
                    if last_seq is None:
                        last_seq = int(db.execute("SELECT coalesce(max(seq), 0) FROM paper").fetchone()[0])
                    last_seq += 1
                    place = last_seq
            title = shown_title(doc)
            feeds = list(dict.fromkeys(doc.get("feeds") or ()))
            fields = (
                part,
                place,
                total,
                paper_date(doc),
                doc.get("first_seen") or "",
                doc.get("content_updated") or "",
                title,
                title.casefold(),
                (feeds[0] if feeds else "").casefold(),
            )
            if old is None:
                pid = next_id
                next_id += 1
                inserts.append((pid, key, state_part(key, self._split), *fields))
            else:
                pid = old[0]
                updates.append((*fields, pid))
                replaced.append((pid, key))
            block, date = pid >> BLOCK_BITS, fields[3]
            if date > newest.get(block, ""):
                newest[block] = date
            feeds_rows += [(f, pid) for f in feeds]
            alias_rows += [(a, key) for a in doc.get("ids", ()) if a != key]
        db.executemany("DELETE FROM feed WHERE id = ?", [(pid,) for pid, _ in replaced])
        db.executemany("DELETE FROM alias WHERE key = ?", [(key,) for _, key in replaced])
        db.executemany(
            "INSERT INTO paper (id, key, shard, part, seq, sum, date, first_seen, updated, title, sort_title, "
            "source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            inserts,
        )
        if inserts:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('top_id', ?)", (str(next_id - 1),))
            self._keys_stale = True
        db.executemany(
            "UPDATE paper SET part=?, seq=?, sum=?, date=?, first_seen=?, updated=?, title=?, "
            "sort_title=?, source=? WHERE id=?",
            updates,
        )
        db.executemany("INSERT OR IGNORE INTO feed VALUES (?, ?)", feeds_rows)
        db.executemany("INSERT OR IGNORE INTO alias VALUES (?, ?)", alias_rows)
        # Only ever raised: a block's date stays an upper bound of its papers' dates, whatever is removed.
        db.executemany(
            "INSERT INTO block VALUES (?, ?) ON CONFLICT (b) DO UPDATE SET newest = max(newest, excluded.newest)",
            newest.items(),
        )

    def put_papers(
        self,
        store: Store,
        changed: Sequence[Mapping[str, Any]],
        placed: Sequence[tuple[Mapping[str, Any], str, str]],
    ) -> None:
        """Papers a commit of this process wrote, as `catch_up` would read them from the parts: `changed`, the
        newest content of papers now in the paper changes; `placed`, new papers with their segment and document
        id. Inside `write()`; the caller then `mark`s the parts."""
        self._split = split_shards(store.part_names())
        entries: list[tuple[Mapping[str, Any], str, int | None]] = [(doc, DELTA, None) for doc in changed]
        in_delta = {doc["key"] for doc in changed}
        for doc, part, doc_id in placed:
            if doc["key"] not in in_delta:
                number = int(part.rsplit("-", 1)[1])
                entries.append((doc, part, number * SEQ_SPAN + int(doc_id)))
        self._fresh = False
        self._put_papers(entries)

    def _delete(self, rows: Sequence[tuple[int, str]]) -> None:
        db = self._conn()
        if rows:
            self._keys_stale = True
        for pid, key in rows:
            db.execute("DELETE FROM paper WHERE id = ?", (pid,))
            db.execute(f"DELETE FROM {TEXT_TABLES[pid % 2][0]} WHERE rowid = ?", (pid,))
            db.execute("DELETE FROM feed WHERE id = ?", (pid,))
            db.execute("DELETE FROM tag WHERE id = ?", (pid,))
            db.execute("DELETE FROM alias WHERE key = ?", (key,))

    def _sync_states(self, store: Store, part: str) -> None:
        db = self._conn()
        states = {d["key"]: d for d in store.read_table(part, STATE).values()} if part in store.files() else {}
        had = {key: (pid, total, nsum, tagged) for pid, key, total, nsum, tagged in db.execute(
            "SELECT id, key, ssum, nsum, tagged FROM paper WHERE shard = ? AND ssum != 0", (part,)
        )}  # fmt: skip
        rows: list[tuple[int, Mapping[str, Any] | None, int, bool]] = [
            (pid, None, nsum, bool(tagged)) for key, (pid, _, nsum, tagged) in had.items() if key not in states
        ]
        changed = [(k, d) for k, d in states.items() if k not in had or had[k][1] != _sum(d)]
        for chunk in _chunks(changed, 500):
            marks = ",".join("?" * len(chunk))
            found = db.execute(f"SELECT key, id, nsum, tagged FROM paper WHERE key IN ({marks})", [k for k, _ in chunk])
            ids = {key: (pid, nsum, bool(tagged)) for key, pid, nsum, tagged in found}
            # (a state whose paper is gone is not indexed)
            rows += [(ids[k][0], doc, ids[k][1], ids[k][2]) for k, doc in chunk if k in ids]
        self._put_states(rows, part)

    def put_state(self, key: str, doc: Mapping[str, Any] | None, *, part: str) -> None:
        """One paper's state as a writer just committed it into `part` (the caller records the part's file with
        `mark`)."""
        row = self._conn().execute("SELECT id, nsum, tagged FROM paper WHERE key = ?", (key,)).fetchone()
        if row is not None:
            self._put_states([(row[0], doc, row[1], bool(row[2]))], part)

    def _put_states(self, rows: Sequence[tuple[int, Mapping[str, Any] | None, int, bool]], part: str) -> None:
        """(paper id, state document or None, the note checksum and tagged flag the row has now) each, all of
        them states of `part` (or states no longer in it, when None)."""
        db = self._conn()
        flags: list[tuple[Any, ...]] = []
        untag: list[tuple[int]] = []
        tags: list[tuple[str, int]] = []
        notes: list[tuple[str, int]] = []
        for pid, doc, nsum, tagged in rows:
            st = doc or {}
            read = bool(st.get("read"))
            note = st.get("note") or ""
            new_nsum = zlib.crc32(note.encode("utf-8")) | 1 if note else 0
            flags.append(
                (
                    _sum(st) if doc else 0,
                    read,
                    (st.get("read_at") or "") if read else "",
                    bool(st.get("starred")),
                    bool(note),
                    bool(st.get("tags")),
                    bool(st.get("later")),
                    st.get("later_at") or "",
                    bool(st.get("dismissed")),
                    is_muted(st),
                    new_nsum,
                    part,
                    pid,
                )
            )
            if tagged:
                untag.append((pid,))
            tags += [(t, pid) for t in st.get("tags", ())]
            if new_nsum != nsum:
                notes.append((note, pid))
        db.executemany(
            "UPDATE paper SET ssum=?, read=?, read_at=?, starred=?, noted=?, tagged=?, later=?, later_at=?, "
            "dismissed=?, muted=?, nsum=?, shard=? WHERE id=?",
            flags,
        )
        db.executemany("UPDATE paper SET note = ? WHERE id = ?", notes)
        db.executemany("DELETE FROM tag WHERE id = ?", untag)
        db.executemany("INSERT OR IGNORE INTO tag VALUES (?, ?)", tags)
        # A note's words: in place in this file's half; the other half is only ever written by the text catch-up
        # (its file commits apart from this one), so a paper there is marked as behind instead.
        db.executemany("UPDATE main.fts SET note = ? WHERE rowid = ?", [n for n in notes if not n[1] % 2])
        db.executemany("UPDATE paper SET fsum = -1 WHERE id = ? AND fsum != 0", [(n[1],) for n in notes if n[1] % 2])
        if notes and self._words_listed():
            self._learn_words(note for note, _ in notes)

    def mark(self, store: Store, parts: Iterable[str]) -> None:
        """Record that the catalog holds these parts as the store now has them (after `put_state`)."""
        files = store.files()
        db = self._conn()
        with _transaction(db):
            for part in parts:
                if part in files:
                    db.execute("INSERT OR REPLACE INTO part VALUES (?, ?, ?)", (part, files[part], store.generation))

    def write(self) -> contextlib.AbstractContextManager[None]:
        return _transaction(self._conn())

    # ---- reading ---------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._conn().execute("SELECT count(*) FROM paper").fetchone()[0])

    def resolve(self, text: str) -> str | None:
        """The key of the paper the user named (a key, an arXiv id of any version, a DOI), or None."""
        db = self._conn()
        for candidate in key_candidates(text):
            if db.execute("SELECT 1 FROM paper WHERE key = ?", (candidate,)).fetchone():
                return candidate
            row = db.execute("SELECT key FROM alias WHERE alias = ?", (candidate,)).fetchone()
            if row is not None:
                return str(row[0])
        return None

    def owners(self, aliases: Iterable[str]) -> dict[str, str]:
        """The paper each of these identifiers names, as the library's own alias index would: a paper's key names
        it before any alias does. Identifiers that name no paper are left out (an import's plan asks for the
        identifiers of a whole batch of sightings at once)."""
        wanted = list(dict.fromkeys(aliases))
        out: dict[str, str] = dict(self._each_in("SELECT alias, key FROM alias WHERE alias IN ({})", wanted))
        out.update((key, key) for (key,) in self._each_in("SELECT key FROM paper WHERE key IN ({})", wanted))
        return out

    def feed_counts(self, *, unread_only: bool = False) -> dict[str, int]:
        """How many papers each source (a subscription's id, or an import's name) brought; or of those, unread."""
        where = " WHERE p.read = 0" if unread_only else ""
        sql = f"SELECT f.feed, count(*) FROM feed f JOIN paper p ON p.id = f.id{where} GROUP BY f.feed"
        return {feed: int(n) for feed, n in self._conn().execute(sql)}

    def sums(self, keys: Iterable[str]) -> dict[str, int]:
        """Key -> the checksum of the paper's document in its segment (`storage.doc_sum`), for the papers whose
        content is their segment's (not the paper changes'): what a read of one paper out of a segment is held
        to."""
        sql = "SELECT key, sum FROM paper WHERE key IN ({}) AND part != ?"
        return {key: int(total) for key, total in self._each_in(sql, list(keys), DELTA)}

    def places(self, keys: Iterable[str]) -> dict[str, tuple[int, str]]:
        """Key -> (the number of the segment the paper has its place in, its document id there), also for a paper
        whose newer content lives in the paper changes (the place it is folded back to)."""
        out: dict[str, tuple[int, str]] = {}
        for key, seq in self._each_in("SELECT key, seq FROM paper WHERE key IN ({})", list(keys)):
            number, doc_id = divmod(int(seq), SEQ_SPAN)
            out[key] = (number, str(doc_id))
        return out

    def _each_in(self, sql: str, values: Sequence[Any], *after: Any) -> Iterator[tuple[Any, ...]]:
        """The rows of `sql`, whose `IN ({})` is given `values` 500 at a time (SQLite's limit on variables),
        with `after` bound to any later `?`."""
        db = self._conn()
        for chunk in _chunks(values, 500):
            yield from db.execute(sql.format(",".join("?" * len(chunk))), [*chunk, *after])

    def rows(self, keys: Sequence[str]) -> dict[str, Row]:
        """What a list line shows of each paper, by key."""
        sql = "SELECT key, date, title, starred, read FROM paper WHERE key IN ({})"
        return {
            key: Row(key, date, title, bool(starred), bool(read))
            for key, date, title, starred, read in self._each_in(sql, list(keys))
        }

    def part_of(self, key: str) -> str | None:
        row = self._conn().execute("SELECT part FROM paper WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def doc_id_of(self, key: str) -> tuple[str, str] | None:
        """(the part holding the paper, its document id there if that part is a segment, else "")."""
        row = self._conn().execute("SELECT part, seq FROM paper WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        part, seq = str(row[0]), int(row[1])
        return part, str(seq % SEQ_SPAN) if part.startswith(PAPERS + "-") else ""

    def search(self, text: str) -> set[str] | None:
        """Keys of the papers matching every word of `text` (words and word prefixes); None: no words."""
        query = self._match(text)
        if query is None:
            return None
        return self._matching(query) if query else set()

    def _keys_by_id(self) -> dict[int, str]:
        """Paper id -> key, as the catalog is now: made once, then brought up to date by the rows added since
        (ids only grow) when this or another process changed the papers; made again when any was removed."""
        db = self._conn()
        with contextlib.ExitStack() as snapshot:
            if not db.in_transaction:
                snapshot.enter_context(_transaction(db, immediate=False))  # (every read below sees one state)
            version = int(db.execute("PRAGMA data_version").fetchone()[0])
            keys = self._key_of if self._key_of_db is db else None
            if keys is not None and version == self._key_of_version and not self._keys_stale:
                return keys
            count, top = db.execute("SELECT count(*), coalesce(max(id), 0) FROM paper").fetchone()
            if keys is not None:
                top_before = self._key_of_top
                added = db.execute("SELECT id, key FROM paper WHERE id > ?", (top_before,)).fetchall()
                # Still exact if nothing was removed (the count says) and the highest id is the same paper (a
                # writer from before ids only grew could have given a removed newest paper's id to another).
                held = db.execute("SELECT key FROM paper WHERE id = ?", (top_before,)).fetchone()
                same_top = top_before == 0 or (held is not None and held[0] == keys.get(top_before))
                if same_top and len(keys) + len(added) == count:
                    keys.update(added)
                else:
                    keys = None  # (a paper removed, which is rare: a merge; made again)
            if keys is None:
                keys = dict(db.execute("SELECT id, key FROM paper"))
        self._key_of, self._key_of_db, self._key_of_version = keys, db, version
        self._key_of_top, self._keys_stale = int(top), False
        return keys

    def prepare_keys(self, budget: float) -> bool:
        """Make the map of ids to keys (`keep_keys`) ahead of the first search, about `budget` seconds of it per
        call, so that no call holds the library thread long (at 1,000,000 papers the whole map is a second).
        True when it is made. The rows are read in order of id, which only grows: a paper added meanwhile comes
        in a later slice, and the map is checked against the catalog (its count, its newest paper) at the end."""
        if not self.keep_keys:
            return True
        db = self._conn()
        keys = self._key_of if self._key_of_db is db else None
        if keys is not None and self._key_of_version != _KEYS_PARTIAL:
            self._keys_by_id()  # made already: brought up to the catalog (the papers added since, if any)
            return True
        keys, top = (keys, self._key_of_top) if keys is not None else ({}, 0)
        started = time.perf_counter()
        while True:
            rows = db.execute("SELECT id, key FROM paper WHERE id > ? ORDER BY id LIMIT ?", (top, KEY_SLICE)).fetchall()
            keys.update(rows)
            if rows:
                top = int(rows[-1][0])
            # (partial: whoever asks next brings it up to the catalog as it is then, `_keys_by_id`)
            self._key_of, self._key_of_db, self._key_of_version, self._key_of_top = keys, db, _KEYS_PARTIAL, top
            if len(rows) < KEY_SLICE:
                break
            if time.perf_counter() - started >= budget:
                return False
        self._keys_by_id()  # checked against the catalog now: made again at once if a paper went meanwhile
        return True

    def _matching(self, query: str) -> set[str]:
        if self.keep_keys:
            found = self._matching_by_id(query)
            if found is not None:
                return found
        # The keys of 300,000 matches read from a narrow index instead of the wide rows: 1.6x faster. (SQLite does
        # not pick it by itself; another process's first build may have dropped it for a while.)
        sql = " UNION ALL ".join(
            f"SELECT p.key FROM {table} f JOIN paper p {{0}} ON p.id = f.rowid WHERE {name} MATCH :q"
            for table, name in TEXT_TABLES
        )
        try:
            rows = self._conn().execute(sql.format("INDEXED BY paper_key_of"), {"q": query})
        except sqlite3.OperationalError as error:
            if "no such index" not in str(error):
                raise
            rows = self._conn().execute(sql.format(""), {"q": query})
        return {r[0] for r in rows}

    def _matching_by_id(self, query: str) -> set[str] | None:
        """`_matching` through the keys kept by id; None if a match has no key there (then the paper table says)."""
        keys = self._keys_by_id()
        sql = " UNION ALL ".join(f"SELECT rowid FROM {table} WHERE {name} MATCH :q" for table, name in TEXT_TABLES)
        found = set(map(keys.get, map(itemgetter(0), self._conn().execute(sql, {"q": query}))))
        if None in found:
            return None
        return cast(set[str], found)

    def phrase_keys(self, columns: Sequence[str], phrases: Sequence[Sequence[str]]) -> set[str]:
        """Keys of the papers where every word of one of `phrases` (the last a prefix) is in one of `columns`:
        a superset of what a rule's words match, found without reading the papers."""
        alternatives = " OR ".join(
            "(" + " AND ".join([*(f'"{w}"' for w in words[:-1]), f'"{words[-1]}"*']) + ")" for words in phrases if words
        )
        return self._matching("{" + " ".join(columns) + "} : (" + alternatives + ")")

    def supports(self, view: ListFilter, sort: SortKey) -> bool:
        return view in VIEW_SQL and sort in SORT_SQL

    def query(
        self,
        *,
        view: ListFilter = ListFilter.ALL,
        tag: str | None = None,
        feed: str | None = None,
        search: str | None = None,
        sort: SortKey = SortKey.DATE,
        descending: bool | None = None,
        limit: int | None = None,
        today: str = "",
    ) -> list[str]:
        """`Library.query` for the views and orders in VIEW_SQL and SORT_SQL, from the index alone."""
        where = [VIEW_SQL[view]]
        params: dict[str, Any] = {"today": today}
        joins = ""
        if tag is not None:
            joins += " JOIN tag t ON t.id = p.id AND t.tag = :tag"
            params["tag"] = tag
        if feed is not None:
            joins += " JOIN feed f ON f.id = p.id AND f.feed = :feed"
            params["feed"] = feed
        if search:
            query = self._match(search)
            if query == "":
                return []
            if query is not None:
                params["match"] = query
                newest_first = sort is SortKey.DATE and descending is not False
                if newest_first and limit is not None and not joins:
                    found = self._newest_matching(" AND ".join(where), params, max(0, limit))
                    if found is not None:
                        return found
                where.append(
                    "p.id IN ("
                    + " UNION ALL ".join(f"SELECT rowid FROM {t} WHERE {n} MATCH :match" for t, n in TEXT_TABLES)
                    + ")"
                )
        if view is ListFilter.LATER and sort is SortKey.DATE and not search:
            order = "p.later_at DESC, p.seq" if descending is True else "p.later_at, p.seq"
        else:
            column = SORT_SQL[sort]
            down = descending is not False if sort is SortKey.DATE else bool(descending)
            tie = "p.key" if search else "p.seq"
            order = f"{column} {'DESC' if down else 'ASC'}, {tie}"
        sql = f"SELECT p.key FROM paper p{joins} WHERE {' AND '.join(where)} ORDER BY {order}"
        if limit is not None:
            sql += " LIMIT :limit"
            params["limit"] = max(0, limit)
        return [r[0] for r in self._conn().execute(sql, params)]

    def counts(self) -> dict[str, Any]:
        """The counting fields of `LibraryStats`, by name."""
        db = self._conn()
        papers, read, starred, noted, tagged = db.execute(
            "SELECT count(*), total(read), total(starred), total(noted), total(tagged) FROM paper"
        ).fetchone()
        updated = db.execute(f"SELECT count(*) FROM paper p WHERE {VIEW_SQL[ListFilter.UPDATED]}").fetchone()[0]
        return {
            "papers": papers,
            "unread": papers - int(read),
            "read": int(read),
            "starred": int(starred),
            "noted": int(noted),
            "tagged": int(tagged),
            "updated": updated,
            "tags": dict(db.execute("SELECT tag, count(*) FROM tag GROUP BY tag").fetchall()),
            "feeds": dict(db.execute("SELECT feed, count(*) FROM feed GROUP BY feed").fetchall()),
        }


def _text_rows(
    store: Store, part: str, stale: Mapping[str, tuple[int, int, str]]
) -> list[tuple[int, str, str, str, str, int]]:
    """(paper id, title, authors, abstract, note, the row's checksum) of the papers of `part` in `stale` (key ->
    id, checksum, note), as shown; a paper whose row is behind its document is left for `catch_up`."""
    rows = []
    for doc in store.read_table(part, PAPERS).values():
        entry = stale.get(doc["key"])
        if entry is not None and _sum(doc) == entry[1]:
            title, authors, abstract = shown(doc)
            rows.append((entry[0], title, "; ".join(authors), abstract, entry[2], entry[1]))
    return rows


def _connect_text(path: Path) -> sqlite3.Connection:
    """A connection of its own to the file of the odd half of the full text (its `Catalog` has made it)."""
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-65536")
    return db


def _index_odd(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """(paper id, title, authors, abstract, note) each, into the odd half, one transaction of its own."""
    if rows:
        with _transaction(db):
            db.executemany(
                "INSERT OR REPLACE INTO fts_odd (rowid, title, authors, abstract, note) VALUES (?, ?, ?, ?, ?)", rows
            )


def _remove(path: Path) -> None:
    """A SQLite file and what its journal left beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(str(path) + suffix).unlink()


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection, *, immediate: bool = True):  # type: ignore[no-untyped-def]
    # IMMEDIATE takes the write lock up front: a deferred transaction that upgrades later fails at once
    # ("database is locked") when another process wrote in between, whatever the timeout. (Deferred only for a
    # transaction whose first statement writes, which takes the lock of the file it writes and no other.)
    db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
