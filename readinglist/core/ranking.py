""" "For you": papers ranked by the user's own taste, with the words that put each one there, and similar papers.

Features (`RankingIndex`, a derived cache in DATA/index/ranking, never in the library files). Each paper is one
sparse row of TF-IDF weights (1 + log tf, times idf) over
- the words of its title (counted twice) and abstract: casefolded, stop words dropped, plurals and verb endings
  folded ("models", "modeling" -> model) and shown as papers spell them most often;
- its authors, one token each, matched without regard to case or accents ("author: Benoît Sagot");
- its categories, one token each ("category: cs.CL").
The words, the authors and the categories are each scaled to a fixed share of the row, and the row has unit
length, so the dot product of two rows is their cosine. A paper keeps its `MAX_TERMS` heaviest words.

The taste (`TasteModel`) is one weight per feature, so a paper's score is linear in its features,
s(x) = b + sum_j w_j x_j, and the "why" of a paper is its features with the largest w_j x_j: what added most to
that paper's score, and nothing else. The weights are the sum of three views of the same evidence, each scaled to
unit spread over the library:
- a logistic regression of the positive papers against every other paper, class-balanced and stopped early:
  what tells the user's papers from the rest of the library;
- a Rocchio profile: the mean of the positive papers minus the library's mean, flattened (|c|^0.7, so that it
  leans on many words rather than a few);
- a lift profile: the positives' mean weight of each word over the library's (with a floor), which favours the
  words the user's papers use far more than others do, and most sharpens the top of the list.
On 200 real CiteULike libraries (benchmarks/bench_ranking.py) the sum finds more of each user's held-out papers
than any view alone, and than the arxiv-sanity-lite SVM.

Threads: one writer at a time (`update`, `remove`). The rows are replaced, never changed in place, so a reader on
another thread (`TasteModel.score`, `rank`, `similar`) sees the index as it was before an update or after it.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math
import os
import re
import unicodedata
import warnings
import zipfile
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeGuard, cast

import numpy as np
import numpy.typing as npt
import orjson
import scipy.sparse as sp

from readinglist.core.files import fsync_dir, write_durably
from readinglist.core.storage import gc_paused
from readinglist.core.taste import MIN_EVIDENCE as MIN_EVIDENCE  # defined there: the window reads it without numpy

# Weights for `TasteModel.fit` (key -> weight). A star is full evidence. A note or a tag on a paper that is not
# starred says it mattered, less surely. "Not interested" counts as much as a star, the other way. A paper read and
# left unstarred is a faint hint (it was interesting enough to open); all negatives together are capped at the
# positives' total weight, so thousands of read papers cannot drown the stars.
STAR_WEIGHT = 1.0
NOTE_WEIGHT = 0.5
NOT_INTERESTED_WEIGHT = 1.0
READ_NOT_STARRED_WEIGHT = 0.05

FORMAT_VERSION = 1  # of the saved index: a file of another version is not read (the caller builds anew)
INDEX_FILE = "ranking.npz"

MAX_TERMS = 80  # words kept per paper, the heaviest (memory: 8 bytes a word)
MAX_AUTHORS = 25  # authors of a paper that count (a collaboration of thousands would swamp the rest)
MAX_WORDS = 100_000  # words in the fitted vocabulary, the most frequent first
MAX_DF = 0.3  # a word in more than 30% of the papers (and more than 5) tells nothing about taste
REBUILD_GROWTH = 0.5  # growth since the vocabulary was fitted after which `needs_rebuild` says so
AUTHOR_SHARE = 0.5  # the authors' part of a row, relative to the words' part
CATEGORY_SHARE = 0.3  # the categories' part

# The taste model, tuned on the CiteULike development set (benchmarks/bench_ranking.py).
LR_C = 2.0
LR_ITERATIONS = 20  # early stopping: the first L-BFGS steps from zero generalise; the converged fit does less well
MAX_UNLABELLED = 50_000  # other papers the regression sees, sampled in a larger library (fit time)
ROCCHIO_POWER = 0.7
REGRESSION_SHARE = 1.0  # the views' shares of the weights
ROCCHIO_SHARE = 1.0
LIFT_SHARE = 0.7
LIFT_FLOOR = 1.0  # a word's background weight is at least this many times the library's mean word weight

_EMPTY: Mapping[str, float] = MappingProxyType({})
_WORD_KIND, _AUTHOR_KIND, _CATEGORY_KIND = 0, 1, 2

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class RankItem:
    key: str  # paper key, e.g. "arxiv:2401.00001"
    title: str  # display text (TeX already turned into Unicode)
    abstract: str
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ranked:
    key: str
    score: float
    why: tuple[str, ...]  # words, "author: Name", "category: cs.CL": what added most to this paper's score


# ---- words -------------------------------------------------------------------------------------------------------

# Function words, and the words that every abstract uses about itself.
STOP_WORDS = frozenset(
    """a about above across after afterwards again against all almost alone along already also although always am
    among amongst an and another any anyhow anyone anything anyway anywhere are around as at be became because become
    becomes becoming been before beforehand behind being below beside besides between beyond both but by can cannot
    could did do does doing done down due during each eg either else elsewhere enough especially etc even ever every
    everyone everything everywhere except few for former formerly from further furthermore had has have having he
    hence her here hereby herein hers herself him himself his how however i ie if in indeed into is it its itself
    just keep kept last latter latterly least less let like likely made make makes making many may me meanwhile might
    mine more moreover most mostly much must my myself namely neither never nevertheless next no nobody none noone
    nor not nothing now nowhere of off often on once one only onto or other others otherwise our ours ourselves out
    over own per perhaps please quite rather really regarding same seem seemed seeming seems several she should
    since so some somehow someone something sometime sometimes somewhere still such than that the their theirs them
    themselves then thence there thereafter thereby therefore therein thereupon these they this those though through
    throughout thru thus to together too toward towards under unless until up upon us very via was we well were what
    whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever whether which while
    whither who whoever whole whom whose why will with within without would yet you your yours yourself yourselves
    abstract paper papers propose proposed proposes present presents presented show shows shown showing demonstrate
    demonstrates demonstrated result results method methods approach approaches based use used uses using new novel
    work works study studies existing recent recently significant significantly respectively different various
    able achieve achieves achieved provide provides provided obtain obtained given including include includes
    introduce introduces introduced first second third two three four five experiments experimental experiment
    evaluate evaluated extensive outperform outperforms outperforming""".split()  # noqa: SIM905 (a word list)
)

_WORD = re.compile(r"\w+(?:-\w+)*")
_SIBILANT_ES = ("sses", "shes", "ches", "xes", "zes")
_UNDOUBLE = frozenset("bdgmnprt")


def stem(word: str) -> str:
    """A light suffix folding for English, enough for plurals and verb forms to meet: models/model,
    training/trained/train, denoising/denoise, studies/study, biases/bias, embedded/embedding/embed. It removes only
    what it is sure of; the user never sees a stem, only the form papers write most often."""
    w = word
    if len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(_SIBILANT_ES):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is", "ias")):
        w = w[:-1]
    for suffix, shortest in (("ing", 3), ("ed", 4)):
        head = w[: -len(suffix)]
        if w.endswith(suffix) and len(head) >= shortest and not w.endswith("eed") and any(c in "aeiouy" for c in head):
            w = head
            if len(w) > 3 and w[-1] == w[-2] and w[-1] in _UNDOUBLE:
                w = w[:-1]  # embedded -> embed, running -> run
            break
    if w.endswith("ation") and len(w) > 7:
        w = w[:-5] + "ate"  # generation -> generate
    if w.endswith("e") and len(w) > 4 and not w.endswith("ee"):
        w = w[:-1]  # generate -> generat, denoise -> denois, as denoising -> denois
    return w


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.casefold() if text.isascii() else unicodedata.normalize("NFKC", text).casefold())


def _is_word(token: str) -> bool:
    """Not a stop word, a letter, a number or a figure ("2024", "1080p", "100x"; "3d" is a word)."""
    if token[0].isdigit() and (len(token) > 3 or token.isdigit()):
        return False
    return len(token) > 1 and token not in STOP_WORDS


def words(text: str) -> list[str]:
    """The words of a text as the index reads them: casefolded, without stop words, numbers or one-letter tokens.
    Accents stay (they are part of the word)."""
    return [w for w in _tokens(text) if _is_word(w)]


def fold_name(name: str) -> str:
    """An author's name as a matching key: accents removed, case folded, spaces collapsed."""
    if not name.isascii():
        name = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return " ".join(name.casefold().replace(".", ". ").split())


def _token_counts(item: RankItem) -> Counter[str]:
    """How often each token is in the paper, a title's counting twice (stop words still in: callers skip them)."""
    title = _tokens(item.title)
    return Counter(title + title + _tokens(item.abstract))


# ---- the index ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rows:
    """The rows as a reader sees them; replaced whole by every change."""

    matrix: sp.csr_matrix  # rows x features, float32, unit rows
    keys: tuple[str, ...]  # the key of each row, "" for a row removed since
    row: Mapping[str, int]  # key -> row, live rows only
    version: int


class _Vocabulary:
    """Stems and features (words, authors, categories): what each feature is shown as, and its weight."""

    def __init__(self) -> None:
        self.stem_id: dict[str, int] = {}  # the features' stems and the too common ones; every stem met since
        self.stem_feature = array("q")  # stem id -> feature, or -1 (a stem too common to be one)
        self.author_feature: dict[str, int] = {}  # folded name -> feature
        self.category_feature: dict[str, int] = {}  # casefolded category -> feature
        self.shown: list[str] = []  # feature -> what the user reads
        self.kind = array("b")
        self.df = array("q")  # papers with the feature, as counted when they were indexed
        self.idf: Floats = np.zeros(0, np.float32)
        self.fitted_docs = 0  # papers the vocabulary was fitted on
        self.docs_seen = 0  # papers indexed since, those included
        self.author_spelled: dict[str, int] = {}  # a name as written -> feature (a cache of author_feature)
        self.surface: dict[str, int] = {}  # a word as written -> feature or -1 (a cache of stem_feature[stem(w)])

    @property
    def n_features(self) -> int:
        return len(self.shown)

    def add_feature(self, shown: str, kind: int, df: int = 0) -> int:
        self.shown.append(shown)
        self.kind.append(kind)
        self.df.append(df)
        return len(self.shown) - 1

    def token_feature(self, token: str) -> int:
        """The feature of a token of a paper indexed after the fit (-1 for a stop word or a word too common to be
        one). A stem never seen becomes a feature of its own, so that the words of a new topic count from their
        first paper."""
        if not _is_word(token):
            f = -1
        else:
            s = stem(token)
            sid = self.stem_id.get(s)
            if sid is None:
                sid = self.stem_id[s] = len(self.stem_feature)
                self.stem_feature.append(self.add_feature(token, _WORD_KIND))
            f = self.stem_feature[sid]
        if len(self.surface) < 2_000_000:
            self.surface[token] = f
        return f

    def seed_surfaces(self) -> None:
        """Each word feature's own spelling maps to it, and each stop word to none: most tokens of a new paper are
        then found without stemming."""
        self.surface = dict.fromkeys(STOP_WORDS, -1)
        self.surface.update(
            (w, f) for f, (w, k) in enumerate(zip(self.shown, self.kind, strict=True)) if k == _WORD_KIND
        )

    def meta_features(self, item: RankItem) -> set[int]:
        out: set[int] = set()
        for name in item.authors[:MAX_AUTHORS]:
            f = self.author_spelled.get(name)
            if f is None:
                folded = fold_name(name)
                if not folded:
                    continue
                f = self.author_feature.get(folded)
                if f is None:
                    f = self.add_feature(f"author: {' '.join(name.split())}", _AUTHOR_KIND)
                    self.author_feature[folded] = f
                if len(self.author_spelled) < 1_000_000:
                    self.author_spelled[name] = f
            out.add(f)
        for category in item.categories:
            category = category.strip()
            if category:
                f = self.category_feature.get(category.casefold())
                if f is None:
                    f = self.add_feature(f"category: {category}", _CATEGORY_KIND)
                    self.category_feature[category.casefold()] = f
                out.add(f)
        return out

    def count(self, df: npt.NDArray[np.int64]) -> None:
        """Add papers per feature (an array over the features so far)."""
        if len(self.df):
            np.frombuffer(self.df, np.int64)[:] += df[: len(self.df)]

    def weigh_new_features(self) -> None:
        """An idf for the features added since the last call. Older features keep the one they were fitted with,
        so that rows indexed at different times stay comparable."""
        first = len(self.idf)
        if first == self.n_features:
            return
        df = np.asarray(self.df[first:], np.float64)
        new = np.log((1.0 + max(self.docs_seen, 1)) / (1.0 + df)) + 1.0
        self.idf = np.concatenate([self.idf, new.astype(np.float32)])


class RankingIndex:
    """Features of every paper in the library: a derived cache, never in the library files."""

    def __init__(self) -> None:
        self._vocab = _Vocabulary()
        self._rows = _Rows(sp.csr_matrix((0, 0), dtype=np.float32), (), {}, 0)
        self._dead = 0

    @classmethod
    def build(cls, items: Iterable[RankItem]) -> RankingIndex:
        """Fit the vocabulary on these papers (one per key: the last wins) and index them."""
        with gc_paused():
            return cls._build(items)

    @classmethod
    def _build(cls, items: Iterable[RankItem]) -> RankingIndex:
        index = cls()
        docs = list({item.key: item for item in items}.values())
        vocab = index._vocab
        n = len(docs)
        # Every paper's tokens (words as written, stop words included) with their counts, as token ids.
        token_id: dict[str, int] = {}
        ids, counts, lengths = array("q"), array("q"), np.zeros(n, np.int64)
        for d, item in enumerate(docs):
            paper = _token_counts(item)
            found = [token_id.get(t, -1) for t in paper]
            if -1 in found:
                found = [
                    f if f >= 0 else token_id.setdefault(t, len(token_id)) for f, t in zip(found, paper, strict=True)
                ]
            ids.extend(found)
            counts.extend(paper.values())
            lengths[d] = len(found)
        tokens = list(token_id)
        del token_id
        # Tokens to stems (-1: a stop word, a number, a letter).
        stem_id: dict[str, int] = {}
        token_stem = np.fromiter(
            (stem_id.setdefault(stem(t), len(stem_id)) if _is_word(t) else -1 for t in tokens), np.int64, len(tokens)
        )
        stems = list(stem_id)
        n_stems = len(stems)
        cell_token = np.frombuffer(ids, np.int64) if ids else np.zeros(0, np.int64)
        cell_count = np.frombuffer(counts, np.int64).astype(np.float32) if counts else np.zeros(0, np.float32)
        cell_stem = token_stem[cell_token]
        word = cell_stem >= 0
        # Each stem is shown as the token that spells it most often.
        spelled = np.bincount(cell_token[word], weights=cell_count[word], minlength=len(tokens))
        shown_as = np.full(n_stems, -1, np.int64)
        by_use = np.argsort(-spelled, kind="stable")
        by_use = by_use[token_stem[by_use] >= 0]
        first = np.unique(token_stem[by_use], return_index=True)[1]
        shown_as[token_stem[by_use[first]]] = by_use[first]
        # Papers x stems, then the stems that are features: all but the most common, up to MAX_WORDS of them.
        paper_stems = sp.csr_matrix(
            (cell_count[word], (np.repeat(np.arange(n, dtype=np.int64), lengths)[word], cell_stem[word])),
            shape=(n, n_stems),
            dtype=np.float32,
        )
        del ids, counts, cell_token, cell_count, cell_stem, word
        paper_stems.sum_duplicates()  # two spellings of one stem in a paper add up
        df = np.bincount(paper_stems.indices, minlength=n_stems)
        common = df > max(MAX_DF * n, 5)
        candidates = np.flatnonzero((df > 0) & ~common)
        kept = np.sort(candidates[np.argsort(-df[candidates], kind="stable")][:MAX_WORDS])
        feature_of = np.full(n_stems + 1, -1, np.int64)
        for sid in kept.tolist():
            feature_of[sid] = vocab.add_feature(tokens[shown_as[sid]], _WORD_KIND, int(df[sid]))
        # The stem table: the features, and the stems too common to be one (so that `update` does not take them for
        # new words). The rarest stems, past MAX_WORDS, are forgotten: if they come back they become features.
        known = np.union1d(kept, np.flatnonzero(common))
        vocab.stem_id = {stems[sid]: i for i, sid in enumerate(known.tolist())}
        vocab.stem_feature = array("q", feature_of[known].tolist())
        vocab.fitted_docs = vocab.docs_seen = n
        cols = feature_of[paper_stems.indices]
        hit = cols >= 0
        text = sp.csr_matrix(
            (paper_stems.data[hit], (_row_ids(paper_stems)[hit], cols[hit])),
            shape=(n, vocab.n_features),
            dtype=np.float32,
        )
        del paper_stems
        meta = [vocab.meta_features(item) for item in docs]
        vocab.count(_meta_df(meta, vocab.n_features))
        vocab.weigh_new_features()
        vocab.seed_surfaces()
        index._rows = _Rows(
            index._weigh(text, meta), tuple(d.key for d in docs), {d.key: i for i, d in enumerate(docs)}, 1
        )
        return index

    def _weigh(self, counts: sp.csr_matrix, meta: Sequence[set[int]]) -> sp.csr_matrix:
        """Rows from word counts (papers x features) and author and category features: weighted, the words capped
        at `MAX_TERMS`, each part scaled to its share, unit length."""
        vocab = self._vocab
        n_features = vocab.n_features
        idf = vocab.idf
        counts = sp.csr_matrix(counts, dtype=np.float32)
        counts.resize((counts.shape[0], n_features))
        counts.data = ((1.0 + np.log(counts.data)) * idf[counts.indices]).astype(np.float32)
        text = _normalise(_cap_rows(counts, MAX_TERMS), 1.0)
        kind = np.array(vocab.kind, np.int8)  # a copy: a view would pin the array's size
        rows = np.repeat(np.arange(len(meta)), [len(m) for m in meta])
        cols = np.fromiter((f for m in meta for f in m), np.int64, len(rows))
        tokens = sp.csr_matrix((idf[cols], (rows, cols)), shape=(len(meta), n_features), dtype=np.float32)
        authors = _normalise(_keep(tokens, kind == _AUTHOR_KIND), AUTHOR_SHARE)
        categories = _normalise(_keep(tokens, kind == _CATEGORY_KIND), CATEGORY_SHARE)
        matrix = _normalise(sp.csr_matrix(text + authors + categories, dtype=np.float32), 1.0)
        return _compact(matrix)

    def update(self, items: Iterable[RankItem]) -> None:
        """Index new or changed papers with the vocabulary as it is. This never refits (the index keeps no text to
        refit from): `needs_rebuild` says when a `build` over the whole library is worth its time."""
        docs = list({item.key: item for item in items}.values())
        if docs:
            with gc_paused():
                self._update(docs)

    def _update(self, docs: list[RankItem]) -> None:
        vocab = self._vocab
        lookup = vocab.surface.get
        cols: list[int] = []
        values: list[int] = []
        lengths = np.zeros(len(docs), np.int64)
        for r, item in enumerate(docs):
            paper = _token_counts(item)
            found: list[int | None] = list(map(lookup, paper))
            if None in found:
                found = [vocab.token_feature(t) if f is None else f for f, t in zip(found, paper, strict=True)]
            cols += cast(list[int], found)
            values += paper.values()
            lengths[r] = len(found)
        col = np.fromiter(cols, np.int64, len(cols))
        value = np.fromiter(values, np.int64, len(values))
        paper_of = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        hit = col >= 0
        counts = sp.csr_matrix(
            (value[hit].astype(np.float32), (paper_of[hit], col[hit])),
            shape=(len(docs), vocab.n_features),
            dtype=np.float32,
        )
        counts.sum_duplicates()
        meta = [vocab.meta_features(item) for item in docs]
        vocab.count(np.bincount(counts.indices, minlength=vocab.n_features) + _meta_df(meta, vocab.n_features))
        vocab.docs_seen += len(docs)
        vocab.weigh_new_features()
        new = self._weigh(counts, meta)

        current = self._rows
        row = dict(current.row)
        keys = list(current.keys)
        for i, item in enumerate(docs):
            old = row.get(item.key)
            if old is not None:
                keys[old] = ""
                self._dead += 1
            row[item.key] = len(current.keys) + i
            keys.append(item.key)
        self._publish(_stack(current.matrix, new, vocab.n_features), keys, row)

    def remove(self, keys: Iterable[str]) -> None:
        current = self._rows
        row = dict(current.row)
        names = list(current.keys)
        gone = 0
        for key in keys:
            r = row.pop(key, None)
            if r is not None:
                names[r] = ""
                gone += 1
        if gone:
            self._dead += gone
            self._publish(current.matrix, names, row)

    def _publish(self, matrix: sp.csr_matrix, keys: list[str], row: dict[str, int]) -> None:
        if self._dead > max(1000, len(keys) // 4):  # drop removed rows once they are many
            live = np.fromiter((r for r, k in enumerate(keys) if k), np.int64)
            matrix = matrix[live]
            keys = [keys[r] for r in live.tolist()]
            row = {k: i for i, k in enumerate(keys)}
            self._dead = 0
        self._rows = _Rows(_compact(matrix), tuple(keys), row, self._rows.version + 1)

    # ---- reading ---------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._rows.row)

    def __contains__(self, key: object) -> bool:
        return key in self._rows.row

    def keys(self) -> list[str]:
        return list(self._rows.row)

    @property
    def needs_rebuild(self) -> bool:
        """True once the library has grown by more than half since the vocabulary was fitted: words first seen
        since then are weighed by their first papers only, and a `build` over every paper weighs them properly."""
        v = self._vocab
        return v.docs_seen - v.fitted_docs > REBUILD_GROWTH * max(v.fitted_docs, 1)

    def features(self, key: str) -> dict[str, float]:
        """A paper's features as the user reads them, with their weights (heaviest first)."""
        current = self._rows
        x = current.matrix[current.row[key]]
        order = np.argsort(-x.data, kind="stable")
        return {self._vocab.shown[int(x.indices[i])]: float(x.data[i]) for i in order}

    @property
    def nbytes(self) -> int:
        """Bytes held by the rows and the feature weights (not counting the vocabulary's strings)."""
        m = self._rows.matrix
        return int(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes + self._vocab.idf.nbytes)

    # ---- the cache file --------------------------------------------------------------------------------------

    def save(self, folder: Path, *, generation: int) -> None:
        """Write the index to `folder`/ranking.npz, whole or not at all: a temporary file, fsynced, renamed over the
        old one. The folder is made private (0700) and the file readable by the user only (it holds the words,
        authors and keys of the user's library)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(OSError):
            os.chmod(folder, 0o700)
        current = self._rows
        keys = list(current.row)
        live = np.fromiter(current.row.values(), np.int64, len(keys))
        matrix = current.matrix if len(live) == current.matrix.shape[0] else current.matrix[live]
        v = self._vocab
        meta = {
            "format": FORMAT_VERSION,
            "generation": generation,
            "fitted_docs": v.fitted_docs,
            "docs_seen": v.docs_seen,
            "papers": len(keys),
            "features": v.n_features,
        }
        arrays: dict[str, Any] = {
            "meta": np.frombuffer(orjson.dumps(meta), np.uint8),
            "data": matrix.data.astype(np.float32, copy=False),
            "indices": matrix.indices.astype(np.int32, copy=False),
            "indptr": matrix.indptr.astype(np.int64, copy=False),
            "idf": v.idf,
            "df": np.asarray(v.df, np.int64),
            "kind": np.asarray(v.kind, np.int8),
            "stem_feature": np.asarray(v.stem_feature, np.int64),
            "author_feature": np.fromiter(v.author_feature.values(), np.int64, len(v.author_feature)),
            "category_feature": np.fromiter(v.category_feature.values(), np.int64, len(v.category_feature)),
            "keys": _pack(keys),
            "shown": _pack(v.shown),
            "stems": _pack(list(v.stem_id)),
            "authors": _pack(list(v.author_feature)),
            "categories": _pack(list(v.category_feature)),
        }
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)
        path = folder / INDEX_FILE
        tmp = folder / f".{INDEX_FILE}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
        try:
            write_durably(tmp, buffer.getvalue(), mode=0o600, exclusive=True)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        with contextlib.suppress(OSError):
            fsync_dir(folder)

    @classmethod
    def load(cls, folder: Path) -> tuple[RankingIndex, int] | None:
        """The index saved in `folder` and the generation it was saved with; None when there is none, or it is
        damaged, or of another format version (the caller then builds it again)."""
        try:
            with open(Path(folder) / INDEX_FILE, "rb") as f, np.load(f, allow_pickle=False) as z:
                arrays = {name: z[name] for name in z.files}
            with gc_paused():
                return cls._from_arrays(arrays)
        except (OSError, ValueError, KeyError, TypeError, IndexError, EOFError, zipfile.BadZipFile, OverflowError):
            return None

    @classmethod
    def _from_arrays(cls, a: Mapping[str, Any]) -> tuple[RankingIndex, int] | None:
        meta = orjson.loads(np.asarray(a["meta"], np.uint8).tobytes())  # a damaged one raises a ValueError
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
            return None
        generation, fitted, seen = meta.get("generation"), meta.get("fitted_docs"), meta.get("docs_seen")
        if not (_is_int(generation) and _is_int(fitted) and _is_int(seen)):
            return None
        keys, shown, stems = _unpack(a["keys"]), _unpack(a["shown"]), _unpack(a["stems"])
        authors, categories = _unpack(a["authors"]), _unpack(a["categories"])
        data = np.asarray(a["data"], np.float32)
        indices = np.asarray(a["indices"], np.int32)
        indptr = np.asarray(a["indptr"], np.int64)
        idf = np.asarray(a["idf"], np.float32)
        df = np.asarray(a["df"], np.int64)
        kind = np.asarray(a["kind"], np.int8)
        stem_feature = np.asarray(a["stem_feature"], np.int64)
        author_feature = np.asarray(a["author_feature"], np.int64)
        category_feature = np.asarray(a["category_feature"], np.int64)
        n_features = len(shown)
        ok = (
            meta.get("features") == n_features
            and meta.get("papers") == len(keys)
            and len(indptr) == len(keys) + 1
            and len(indices) == len(data)
            and len(idf) == len(df) == len(kind) == n_features
            and len(stem_feature) == len(stems)
            and len(author_feature) == len(authors)
            and len(category_feature) == len(categories)
            and len(set(keys)) == len(keys)
            and all(keys)
            and indptr[0] == 0
            and indptr[-1] == len(data)
            and not np.any(np.diff(indptr) < 0)
            and bool(np.all(np.isfinite(data)))
            and bool(np.all(np.isfinite(idf)))
            and bool(np.all((kind >= 0) & (kind <= 2)))
        )
        for ids in (indices, stem_feature[stem_feature >= 0], author_feature, category_feature):
            ok = ok and (not len(ids) or (int(ids.min()) >= 0 and int(ids.max()) < n_features))
        if not ok:
            return None
        index = cls()
        v = index._vocab
        v.stem_id = {s: i for i, s in enumerate(stems)}
        v.stem_feature = array("q", stem_feature.tolist())
        v.author_feature = dict(zip(authors, author_feature.tolist(), strict=True))
        v.category_feature = dict(zip(categories, category_feature.tolist(), strict=True))
        v.shown, v.kind, v.df, v.idf = shown, array("b", kind.tobytes()), array("q", df.tolist()), idf
        v.fitted_docs, v.docs_seen = fitted, seen
        v.seed_surfaces()
        matrix = sp.csr_matrix((data, indices, indptr.astype(np.int32)), shape=(len(keys), n_features))
        index._rows = _Rows(matrix, tuple(keys), {k: i for i, k in enumerate(keys)}, 1)
        return index, generation


# ---- taste ---------------------------------------------------------------------------------------------------------


class TasteModel:
    """The user's taste as one weight per feature (see the module docstring). A score is a z-score over the library
    the model was fitted on: 0 is a typical paper, 2 a paper two spreads above it."""

    def __init__(self, index: RankingIndex, weights: Floats, bias: float) -> None:
        self._index = index
        self._weights = weights
        self._bias = bias
        self._cache: tuple[int, Floats] | None = None

    @classmethod
    def fit(
        cls, index: RankingIndex, positive: Mapping[str, float], negative: Mapping[str, float] = _EMPTY
    ) -> TasteModel:
        """Learn from `positive` (key -> weight: `STAR_WEIGHT` for a star, `NOTE_WEIGHT` for a note or a tag on an
        unstarred paper) and `negative` (key -> weight: `NOT_INTERESTED_WEIGHT`, `READ_NOT_STARRED_WEIGHT`). A
        negative weighs as much as a positive of the same weight; every other paper is a weak negative (all of them
        together weigh as much as all the positives). Keys not in the index are ignored; a key in both is positive.
        Raises ValueError when no positive key is in the index (the caller checks `MIN_EVIDENCE` before)."""
        current = index._rows
        matrix = current.matrix
        n_rows = matrix.shape[0]
        pos_w = _weights(current, positive, n_rows)
        if not pos_w.any():
            raise ValueError("none of the positive papers is in the ranking index")
        neg_w = _weights(current, negative, n_rows)
        neg_w[pos_w > 0] = 0.0
        if neg_w.sum() > pos_w.sum():  # many weak negatives (papers read, not starred) never outweigh the stars
            neg_w *= pos_w.sum() / neg_w.sum()
        live_rows = np.sort(np.fromiter(current.row.values(), np.int64, len(current.row)))
        live = matrix if len(live_rows) == n_rows else matrix[live_rows]
        n_live = len(live_rows)

        # The regression: positives against every other paper (a sample of them in a large library).
        pos_rows, neg_rows = np.flatnonzero(pos_w), np.flatnonzero(neg_w)
        others = np.ones(n_rows, bool)
        others[pos_rows] = others[neg_rows] = False
        unlabelled = np.intersect1d(live_rows, np.flatnonzero(others), assume_unique=True)
        other_w = n_live / (2.0 * max(len(unlabelled), 1))
        if len(unlabelled) > MAX_UNLABELLED:
            other_w *= len(unlabelled) / MAX_UNLABELLED
            unlabelled = np.sort(np.random.default_rng(len(unlabelled)).choice(unlabelled, MAX_UNLABELLED, False))
        scale = n_live / (2.0 * pos_w.sum())
        train = np.concatenate([pos_rows, neg_rows, unlabelled])
        y = np.zeros(len(train))
        y[: len(pos_rows)] = 1.0
        sample_w = np.concatenate([pos_w[pos_rows] * scale, neg_w[neg_rows] * scale, np.full(len(unlabelled), other_w)])
        regression = _logistic(matrix[train], y, sample_w) if REGRESSION_SHARE else np.zeros(matrix.shape[1])

        # The profiles, from the positives' mean, the library's mean and the negatives' mean.
        mean_pos = _mean_row(matrix, pos_w)
        mean_all = np.asarray(live.mean(axis=0), np.float64).ravel()
        mean_neg = _mean_row(matrix, neg_w) * (neg_w.sum() / pos_w.sum())  # weighed as the positives are
        rocchio = mean_pos - mean_all - mean_neg
        rocchio = np.sign(rocchio) * np.abs(rocchio) ** ROCCHIO_POWER
        floor = LIFT_FLOOR * float(mean_all[mean_all > 0].mean()) if np.any(mean_all > 0) else 1.0
        lift = (mean_pos - mean_neg) / (mean_all + floor)

        weights = np.zeros(matrix.shape[1], np.float64)
        for view, share in ((regression, REGRESSION_SHARE), (rocchio, ROCCHIO_SHARE), (lift, LIFT_SHARE)):
            if share:
                weights += share * view / _spread(live @ view)
        scores = live @ weights
        mean, spread = float(scores.mean()), _spread(scores)
        return cls(index, (weights / spread).astype(np.float32), -mean / spread)

    # ---- scores ----------------------------------------------------------------------------------------------

    def _weights_for(self, n_features: int) -> Floats:
        w = self._weights
        if len(w) < n_features:  # features the index met after the fit weigh nothing
            w = np.concatenate([w, np.zeros(n_features - len(w), np.float32)])
        return w

    def _all_scores(self, current: _Rows) -> Floats:
        cached = self._cache
        if cached is not None and cached[0] == current.version:
            return cached[1]
        scores: Floats = np.asarray(current.matrix @ self._weights_for(current.matrix.shape[1]), np.float32)
        scores += np.float32(self._bias)
        self._cache = (current.version, scores)
        return scores

    def score(self, keys: Sequence[str]) -> list[float]:
        """Each paper's score; NaN for a key not in the index."""
        current = self._index._rows
        scores = self._all_scores(current)
        rows = _rows_of(current, keys)
        if not len(rows):
            return []
        return cast(list[float], np.where(rows >= 0, scores[np.maximum(rows, 0)], np.nan).tolist())

    def rank(self, keys: Sequence[str], *, limit: int | None = None, why: int = 3) -> list[Ranked]:
        """These papers best first, each with its `why` (up to `why` terms). Keys not in the index are left out;
        equal scores keep the order given."""
        current = self._index._rows
        scores_all = self._all_scores(current)
        given = _rows_of(current, keys)
        rows, first = np.unique(given, return_index=True)  # each paper once, where it is first given
        first, rows = first[rows >= 0], rows[rows >= 0]
        order = np.argsort(first, kind="stable")
        place, rows = first[order], rows[order]  # in the order given
        if not len(rows) or (limit is not None and limit <= 0):
            return []
        scores = scores_all[rows]
        if limit is not None and limit < len(rows):
            top = np.argpartition(-scores, limit - 1)[:limit]
            top = top[np.lexsort((top, -scores[top]))]
        else:
            top = np.lexsort((np.arange(len(rows)), -scores))
        with gc_paused():
            reasons = self._why_rows(current, rows[top], why)
            return [
                Ranked(keys[p], s, r)
                for p, s, r in zip(place[top].tolist(), scores[top].tolist(), reasons, strict=True)
            ]

    def why(self, key: str, n: int = 3) -> tuple[str, ...]:
        """What added most to this paper's score (empty for a key not in the index)."""
        current = self._index._rows
        r = current.row.get(key)
        return () if r is None else self._why_rows(current, np.asarray([r], np.int64), n)[0]

    def _why_rows(self, current: _Rows, rows: npt.NDArray[np.int64], n: int) -> list[tuple[str, ...]]:
        if n <= 0:
            return [()] * len(rows)
        w = self._weights_for(current.matrix.shape[1])
        sub = current.matrix[rows]
        return _top_terms(sub, sub.data * w[sub.indices], n, self._index._vocab.shown)

    def score_without(self, key: str, terms: Iterable[str]) -> float:
        """The paper's score with the features shown as `terms` set to zero and the others left as they are (the
        row is not made unit length again). A score is a sum of one contribution per feature, so this is the score
        minus exactly those features' contributions: removing a paper's `why` takes away what `why` says they add.
        Raises KeyError for a key not in the index."""
        current = self._index._rows
        x = current.matrix[current.row[key]]
        gone = set(terms)
        shown = self._index._vocab.shown
        keep = np.fromiter((shown[j] not in gone for j in x.indices.tolist()), bool, len(x.indices))
        w = self._weights_for(current.matrix.shape[1])
        return float(np.dot(x.data[keep].astype(np.float64), w[x.indices[keep]].astype(np.float64)) + self._bias)


def similar(index: RankingIndex, key: str, *, limit: int = 20, among: Collection[str] | None = None) -> list[Ranked]:
    """The papers most like `key` (the cosine of their rows), best first, `key` itself left out; a near duplicate (the
    same abstract) scores close to 1 and comes first. Each `why` holds the features the two papers share that add
    most to their cosine. `among` limits the candidates. An empty list for a key not in the index."""
    current = index._rows
    r = current.row.get(key)
    if r is None or limit <= 0:
        return []
    matrix = current.matrix
    x = matrix[r]
    dense = np.zeros(matrix.shape[1], np.float32)
    dense[x.indices] = x.data
    if among is None:
        candidates = np.fromiter(current.row.values(), np.int64, len(current.row))
        candidates = candidates[candidates != r]
        sims = (matrix @ dense)[candidates]
    else:
        candidates = np.unique(_rows_of(current, list(among)))
        candidates = candidates[(candidates >= 0) & (candidates != r)]
        sims = matrix[candidates] @ dense
    if not len(candidates):
        return []
    k = min(limit, len(candidates))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.lexsort((candidates[top], -sims[top]))]
    rows = candidates[top]
    sub = matrix[rows]
    reasons = _top_terms(sub, sub.data * dense[sub.indices], 3, index._vocab.shown)
    return [
        Ranked(current.keys[row], float(sims[t]), why)
        for row, t, why in zip(rows.tolist(), top.tolist(), reasons, strict=True)
    ]


# ---- helpers -------------------------------------------------------------------------------------------------------


def _rows_of(current: _Rows, keys: Sequence[str]) -> npt.NDArray[np.int64]:
    """The row of each key, -1 for a key not in the index."""
    return np.fromiter(map(current.row.get, keys, itertools.repeat(-1)), np.int64, len(keys))


def _weights(current: _Rows, given: Mapping[str, float], n_rows: int) -> npt.NDArray[np.float64]:
    out = np.zeros(n_rows, np.float64)
    for key, w in given.items():
        r = current.row.get(key)
        if r is not None and isinstance(w, int | float) and math.isfinite(w) and w > 0:
            out[r] = float(w)
    return out


def _top_terms(sub: sp.csr_matrix, contrib: npt.NDArray[Any], n: int, shown: Sequence[str]) -> list[tuple[str, ...]]:
    """For each row, the `n` features with the largest positive contributions (largest first), worded."""
    n_rows = sub.shape[0]
    positive = contrib > 0
    values = contrib[positive].astype(np.float32)
    rows = _row_ids(sub)[positive]
    features = sub.indices[positive]
    starts = np.searchsorted(rows, np.arange(n_rows))
    filled = np.flatnonzero(np.bincount(rows, minlength=n_rows))
    out: list[list[str]] = [[] for _ in range(n_rows)]
    for _ in range(n):  # n passes, each taking every row's largest remaining entry
        if not len(filled):
            break
        best = np.full(n_rows, -np.inf, np.float32)
        best[filled] = np.maximum.reduceat(values, starts[filled])
        at = np.flatnonzero((values == best[rows]) & (values > -np.inf))
        if not len(at):
            break
        at = at[np.unique(rows[at], return_index=True)[1]]  # the first of equal largest entries
        for row, j in zip(rows[at].tolist(), features[at].tolist(), strict=True):
            out[row].append(shown[j])
        values[at] = -np.inf
    return [tuple(terms) for terms in out]


def _mean_row(matrix: sp.csr_matrix, weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    total = float(weights.sum())
    if total <= 0:
        return np.zeros(matrix.shape[1])
    return np.asarray(matrix.T @ (weights / total), np.float64).ravel()


def _spread(scores: npt.NDArray[Any]) -> float:
    s = float(np.std(scores))
    return s if s > 1e-12 else 1.0


def _logistic(x: sp.csr_matrix, y: npt.NDArray[np.float64], sample_weight: npt.NDArray[np.float64]) -> Floats:
    """The weights of an L2 logistic regression (scikit-learn's, L-BFGS), stopped after `LR_ITERATIONS` steps: the
    weights move from zero towards the full fit, and the early ones rank held-out papers better."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    if len(y) == 0 or y.min() == y.max():
        return np.zeros(x.shape[1], np.float32)
    model = LogisticRegression(C=LR_C, max_iter=LR_ITERATIONS)
    with warnings.catch_warnings():  # stopping early is the point
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y, sample_weight=sample_weight)
    return np.asarray(model.coef_, np.float32).ravel()


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _meta_df(meta: Sequence[set[int]], n_features: int) -> npt.NDArray[np.int64]:
    return np.bincount(np.fromiter((f for m in meta for f in m), np.int64), minlength=n_features)


def _pack(strings: Sequence[str]) -> npt.NDArray[np.uint8]:
    """Strings as one array of UTF-8 bytes (a JSON list)."""
    return np.frombuffer(orjson.dumps(list(strings)), np.uint8)


def _unpack(array: Any) -> list[str]:
    value = orjson.loads(np.asarray(array, np.uint8).tobytes())
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ValueError("not a list of strings")
    return value


def _row_ids(m: sp.csr_matrix) -> npt.NDArray[np.int64]:
    return np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))


def _cap_rows(m: sp.csr_matrix, cap: int) -> sp.csr_matrix:
    """The `cap` largest entries of each row; of equal entries at the cut, the first columns."""
    sizes = np.diff(m.indptr)
    if not len(sizes) or int(sizes.max()) <= cap:
        return m
    rows = _row_ids(m)
    widest = int(sizes.max())
    if widest * m.shape[0] <= 20_000_000:  # rows padded into a table: one partition per row is cheap
        table = np.full((m.shape[0], widest), -np.inf, np.float32)
        table[rows, np.arange(len(rows)) - m.indptr[rows]] = m.data
        cut = np.partition(table, widest - cap, axis=1)[:, widest - cap][rows]
        above = m.data > cut
        room = cap - np.bincount(rows[above], minlength=m.shape[0])[rows]
        at = m.data == cut
        seen = np.cumsum(at)
        first_at = seen[m.indptr[rows]] - at[m.indptr[rows]]
        keep = (sizes[rows] <= cap) | above | (at & (seen - first_at <= room))
    else:
        order = np.lexsort((-m.data, rows))
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order)) - m.indptr[rows[order]]
        keep = rank < cap
    kept_rows = np.bincount(rows[keep], minlength=m.shape[0])
    indptr = np.concatenate([[0], np.cumsum(kept_rows)])
    return sp.csr_matrix((m.data[keep], m.indices[keep], indptr), shape=m.shape)


def _stack(top: sp.csr_matrix, bottom: sp.csr_matrix, n_features: int) -> sp.csr_matrix:
    """Rows of `top` then of `bottom` (scipy's vstack is ten times slower at 100,000 rows)."""
    data = np.concatenate([top.data, bottom.data]).astype(np.float32, copy=False)
    indices = np.concatenate([top.indices, bottom.indices]).astype(np.int32, copy=False)
    indptr = np.concatenate([top.indptr, bottom.indptr[1:] + top.indptr[-1]]).astype(np.int32, copy=False)
    return sp.csr_matrix((data, indices, indptr), shape=(top.shape[0] + bottom.shape[0], n_features))


def _keep(m: sp.csr_matrix, mask: npt.NDArray[np.bool_]) -> sp.csr_matrix:
    out = sp.csr_matrix(m, dtype=np.float32, copy=True)
    out.data[~mask[out.indices]] = 0.0
    out.eliminate_zeros()
    return out


def _normalise(m: sp.csr_matrix, length: float) -> sp.csr_matrix:
    m = sp.csr_matrix(m, dtype=np.float32)
    norms = np.sqrt(np.bincount(_row_ids(m), weights=np.square(m.data, dtype=np.float64), minlength=m.shape[0]))
    scale = np.divide(length, norms, out=np.zeros_like(norms), where=norms > 0)
    m.data = (m.data * scale[_row_ids(m)]).astype(np.float32)
    return m


def _compact(m: sp.csr_matrix) -> sp.csr_matrix:
    """float32 values, int32 column indices and row pointers (the memory budget)."""
    m = sp.csr_matrix(m, dtype=np.float32)
    m.indices = m.indices.astype(np.int32, copy=False)
    m.indptr = m.indptr.astype(np.int32, copy=False)
    return m
