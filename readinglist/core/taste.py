"""The user's taste, from their own library: which papers they want ("For you"), why, and papers like a paper.

The evidence is the user's state: a star says "more like this" most strongly, a note or a tag on an unstarred paper
a little less, "Not interested" (`dismissed`) says "less like this". The features of every paper live in a derived
cache beside the search index (DATA/index/ranking), rebuilt when missing or damaged and brought up to date when
papers change; the fitted model is kept for as long as the evidence stays the same. Nothing of this is in the
library files: deleting DATA/index loses nothing.

The maths is `core.ranking`; this module decides what counts as evidence, keeps the cache in step with the
library, and is what the command line and the window's library thread call.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from readinglist.core.files import write_durably
from readinglist.core.text import shown

if TYPE_CHECKING:
    from readinglist.core.library import Library
    from readinglist.core.ranking import Ranked, RankingIndex, RankItem, TasteModel

MIN_EVIDENCE = 5  # papers that count for the user before ranking by them means anything (the view says so)


@dataclass(frozen=True, slots=True)
class Evidence:
    positive: Mapping[str, float]
    negative: Mapping[str, float]

    @property
    def signature(self) -> int:
        """Equal for equal evidence: the fitted model is kept while this stays the same."""
        text = "|".join(f"+{k}:{w}" for k, w in sorted(self.positive.items()))
        text += "|".join(f"-{k}:{w}" for k, w in sorted(self.negative.items()))
        return zlib.crc32(text.encode("utf-8"))


def rank_item(key: str, doc: Mapping[str, Any]) -> RankItem:
    """A paper as the ranking reads it: the text the user sees (TeX as Unicode), its authors and categories."""
    from readinglist.core.ranking import RankItem

    title, authors, abstract = shown(doc)
    return RankItem(
        key=key, title=title, abstract=abstract, authors=tuple(authors), categories=tuple(doc.get("categories", ()))
    )


def _fingerprint(doc: Mapping[str, Any]) -> int:
    """Changes when what the ranking reads changes (a new version's abstract, a repaired title)."""
    title, authors, abstract = shown(doc)
    text = "\x00".join((title, abstract, "\x01".join(authors), "\x01".join(doc.get("categories", ()))))
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


class Taste:
    """Ranking over one library. Not thread-safe: used on the library's own thread, like the library."""

    def __init__(self, library: Library, folder: Path | None) -> None:
        self.library = library
        self.folder = folder
        self._index: RankingIndex | None = None
        self._fingerprints: dict[str, int] = {}
        self._papers_signature: tuple[str, ...] | None = None
        self._model: TasteModel | None = None
        self._model_signature: int | None = None
        self._build_id = ""

    # ---- evidence ---------------------------------------------------------------------------------------------

    def evidence(self) -> Evidence:
        """Stars for; notes and tags on unstarred papers for, less surely; "Not interested" against (weights as
        `core.ranking` defines them). Papers read and left unstarred are not used: every paper opened would change
        the evidence, and refit the model, for a hint the ranking-dev figures cannot confirm."""
        from readinglist.core.ranking import NOT_INTERESTED_WEIGHT, NOTE_WEIGHT, STAR_WEIGHT

        positive: dict[str, float] = {}
        negative: dict[str, float] = {}
        for key, st in self.library.state_docs().items():
            if st.get("dismissed"):
                negative[key] = NOT_INTERESTED_WEIGHT
            elif st.get("starred"):
                positive[key] = STAR_WEIGHT
            elif st.get("note") or st.get("tags"):
                positive[key] = NOTE_WEIGHT
        return Evidence(positive, negative)

    def positives(self) -> int:
        """How many papers count for the user (starred, noted or tagged)."""
        return len(self.evidence().positive)

    def enough(self) -> bool:
        return self.positives() >= MIN_EVIDENCE

    # ---- the features cache -----------------------------------------------------------------------------------

    def index(self) -> RankingIndex:
        """The features of every paper, up to date with the library."""
        signature = self.library.papers_signature()
        if self._index is not None and signature == self._papers_signature:
            return self._index
        if self._index is None:
            self._load_or_build()
        else:
            self._sync()
        self._papers_signature = signature
        return self._index  # type: ignore[return-value]

    def _load_or_build(self) -> None:
        from readinglist.core.ranking import RankingIndex

        loaded = RankingIndex.load(self.folder) if self.folder is not None else None
        saved = self._read_state()
        if loaded is not None and saved is not None:
            index, fingerprints = loaded[0], self._read_fingerprints() or {}
            # Files written by another process in between may disagree: a paper of unknown text is indexed again.
            known = {k: fingerprints.get(k, -1) for k in index.keys()}  # noqa: SIM118 - not a dict
            self._index, self._fingerprints, self._build_id = index, known, str(saved["build"])
            if len(known) != len(fingerprints) or tuple(saved.get("papers", ())) != self.library.papers_signature():
                self._sync()  # papers changed since the cache was saved (here or by another process)
            if not self._index.needs_rebuild:
                return
        self._build()

    def _build(self) -> None:
        from readinglist.core.ranking import RankingIndex

        docs = self.library.paper_docs_by_key()
        self._index = RankingIndex.build(rank_item(k, d) for k, d in docs.items())
        self._fingerprints = {k: _fingerprint(d) for k, d in docs.items()}
        self._build_id = os.urandom(8).hex()  # the fitted weights of an older build do not apply to this one
        self._model = None
        self._save()

    def _sync(self) -> None:
        assert self._index is not None
        docs = self.library.paper_docs_by_key()
        gone = [k for k in self._fingerprints if k not in docs]
        changed: list[str] = []
        # Every paper's text is looked at (a checksum, about 0.1 s at 100,000 papers): the library edits some
        # documents in place, so nothing cheaper tells a changed paper from the same one.
        for key, doc in docs.items():
            fp = _fingerprint(doc)
            if self._fingerprints.get(key) != fp:
                changed.append(key)
                self._fingerprints[key] = fp
        for key in gone:
            del self._fingerprints[key]
        if gone:
            self._index.remove(gone)
        if changed:
            self._index.update(rank_item(k, docs[k]) for k in changed)
        if self._index.needs_rebuild:  # the library outgrew the vocabulary: fit it again, on every paper
            self._build()
        elif gone or changed:
            self._save()

    def _save(self) -> None:
        if self.folder is None or self._index is None:
            return
        with contextlib.suppress(OSError):  # a cache: a full disk costs speed next time, never the ranking now
            self._index.save(self.folder, generation=self.library.generation)
            self._write_fingerprints()
            state = {"build": self._build_id, "papers": list(self.library.papers_signature())}
            _replace(self.folder / "state.json", json.dumps(state).encode("utf-8"))

    def _read_state(self) -> dict[str, Any] | None:
        if self.folder is None:
            return None
        try:
            state = json.loads((self.folder / "state.json").read_bytes())
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) and isinstance(state.get("build"), str) else None

    def _fingerprints_path(self) -> Path:
        assert self.folder is not None
        return self.folder / "fingerprints.bin"

    def _write_fingerprints(self) -> None:
        import numpy as np

        keys = sorted(self._fingerprints)
        blob = "\n".join(keys).encode("utf-8")
        values = np.array([self._fingerprints[k] for k in keys], dtype=np.uint32).tobytes()
        header = len(blob).to_bytes(8, "little")
        _replace(self._fingerprints_path(), header + blob + values)

    def _read_fingerprints(self) -> dict[str, int] | None:
        import numpy as np

        try:
            raw = self._fingerprints_path().read_bytes()
            n = int.from_bytes(raw[:8], "little")
            keys = raw[8 : 8 + n].decode("utf-8").split("\n") if n else []
            values = np.frombuffer(raw[8 + n :], dtype=np.uint32)
            if len(values) != len(keys):
                return None
            return dict(zip(keys, (int(v) for v in values), strict=True))
        except (OSError, ValueError, UnicodeDecodeError):
            return None

    # ---- ranking ----------------------------------------------------------------------------------------------

    def model(self) -> TasteModel | None:
        """The model fitted to the user's evidence, or None with too little of it."""
        from readinglist.core.ranking import TasteModel

        evidence = self.evidence()
        if len(evidence.positive) < MIN_EVIDENCE:
            return None
        index = self.index()
        signature = evidence.signature
        if self._model is None or self._model_signature != signature or index is not self._fitted_on:
            saved = self._saved_model(index, signature)
            self._model = saved or TasteModel.fit(index, evidence.positive, evidence.negative)
            self._model_signature = signature
            self._fitted_on = index
            if saved is None:
                self._save_model(self._model, signature)
        return self._model

    # The fitted weights are kept beside the features: a command that ranks (`list --sort relevance`) reads them
    # instead of fitting again, as long as the evidence and the features' build are the same.

    def _saved_model(self, index: RankingIndex, signature: int) -> TasteModel | None:
        import numpy as np

        from readinglist.core.ranking import TasteModel

        if self.folder is None:
            return None
        try:
            with np.load(self.folder / "model.npz", allow_pickle=False) as saved:
                if int(saved["signature"]) != signature or str(saved["build"]) != self._build_id:
                    return None
                return TasteModel(index, saved["weights"].astype(np.float32), float(saved["bias"]))
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError):
            return None

    def _save_model(self, model: TasteModel, signature: int) -> None:
        import io

        import numpy as np

        if self.folder is None or not self._build_id:
            return
        buffer = io.BytesIO()
        weights, bias = model._weights, model._bias
        np.savez(buffer, signature=np.int64(signature), build=np.str_(self._build_id), weights=weights, bias=bias)
        with contextlib.suppress(OSError):
            _replace(self.folder / "model.npz", buffer.getvalue())

    _fitted_on: RankingIndex | None = None

    def rank(self, keys: Sequence[str], *, limit: int | None = None, why: int = 3) -> list[Ranked] | None:
        """`keys` best first (None with too little evidence: the caller keeps its own order and says why)."""
        model = self.model()
        if model is None:
            return None
        return model.rank(list(keys), limit=limit, why=why)

    def why(self, key: str, n: int = 3) -> tuple[str, ...]:
        model = self.model()
        return model.why(key, n) if model is not None and key in self.index() else ()

    def similar(self, key: str, *, limit: int = 20) -> list[Ranked]:
        from readinglist.core.ranking import similar

        index = self.index()
        if key not in index:
            return []
        return similar(index, key, limit=limit)


def _replace(path: Path, blob: bytes) -> None:
    """Write a cache file whole or not at all: another process may be reading it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    try:
        write_durably(tmp, blob, exclusive=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


# ---- trending -------------------------------------------------------------------------------------------------


def community_signal(doc: Mapping[str, Any]) -> float:
    """What the community says of a paper where the feeds carry it: Hugging Face upvotes and comments, and the
    paper arriving through several subscriptions (each one a curator, a list, a category choosing it)."""
    extra = doc.get("extra") or {}
    upvotes = extra.get("upvotes", 0) if isinstance(extra.get("upvotes", 0), (int, float)) else 0
    comments = extra.get("comment_count", 0) if isinstance(extra.get("comment_count", 0), (int, float)) else 0
    feeds = len(doc.get("feeds", ()))
    return float(upvotes) + 2.0 * float(comments) + 5.0 * max(0, feeds - 1)


def trending_why(doc: Mapping[str, Any]) -> tuple[str, ...]:
    """The community signal in words: "42 upvotes", "3 comments", "in 2 feeds"."""
    extra = doc.get("extra") or {}
    out = []
    for name, one, many in (("upvotes", "upvote", "upvotes"), ("comment_count", "comment", "comments")):
        n = extra.get(name)
        if isinstance(n, int) and n > 0:
            out.append(f"{n:,} {one if n == 1 else many}")
    feeds = len(doc.get("feeds", ()))
    if feeds > 1:
        out.append(f"in {feeds} feeds")
    return tuple(out)


def trending_score(doc: Mapping[str, Any], age_days: float) -> float:
    """The signal, fading with age as on the trending pages: a day-old paper with 40 upvotes is above a
    month-old one with 100 (log1p(signal) times 0.8 per day of age, about halved in three days). Kept as its
    logarithm, so that years-old papers still order among themselves instead of all rounding to zero."""
    signal = community_signal(doc)
    if signal <= 0:
        return -math.inf
    # Whole days, as the daily pages count them: the papers of one day order by their signal alone.
    return math.log(math.log1p(signal)) + math.floor(max(0.0, age_days)) * math.log(0.8)
