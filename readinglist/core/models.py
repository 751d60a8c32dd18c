"""Plain data: a paper, the user's state on it, and the results core operations return."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, NewType

PaperKey = NewType("PaperKey", str)

SCHEMA_VERSION = 1


def utc_now() -> str:
    """An ISO 8601 UTC timestamp with seconds and microseconds, sortable as text."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def date_of(published: str | None, updated: str | None, first_seen: str | None) -> str:
    """The date a paper is sorted and shown by, everywhere (the list, the window, the CLI): published, else
    updated, else first seen. (A citation's year is another matter: `export.date_parts` never uses first seen.)"""
    return published or updated or first_seen or ""


def paper_date(doc: Mapping[str, Any]) -> str:
    """`date_of` for a paper's stored document."""
    return date_of(doc.get("published"), doc.get("updated"), doc.get("first_seen"))


def landing_url(arxiv_id: str | None, doi: str | None, url: str | None) -> str | None:
    """A paper's landing page: its arXiv abstract page, else its DOI's resolver, else the feed's link."""
    if arxiv_id:
        return f"https://arxiv.org/abs/{arxiv_id}"
    if doi:
        return f"https://doi.org/{doi}"
    return url


@dataclass(frozen=True, slots=True, kw_only=True)
class PaperContent:
    """What a source says about a paper: the fields that a sighting brings and a stored paper keeps."""

    title: str
    authors: tuple[str, ...] = ()
    abstract: str = ""
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    doi: str | None = None
    url: str | None = None
    pdf_url: str | None = None
    published: str | None = None
    updated: str | None = None
    categories: tuple[str, ...] = ()
    journal_ref: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Paper(PaperContent):
    """A paper's content as the library keeps it, one record however many feeds carry it. The user's state lives
    apart, in `PaperState`."""

    key: PaperKey
    first_seen: str | None = None
    content_updated: str | None = None
    feeds: tuple[str, ...] = ()
    # The stored Unicode reading of title, authors and abstract (see core/text.py); None when they read as typed.
    shown: Mapping[str, Any] | int | None = None

    @property
    def date(self) -> str:
        return date_of(self.published, self.updated, self.first_seen)

    def as_shown(self) -> Paper:
        """This paper with title, authors and abstract as a reader sees them (TeX read as Unicode)."""
        from readinglist.core.text import shown

        title, authors, abstract = shown(
            {"title": self.title, "authors": self.authors, "abstract": self.abstract, "shown": self.shown}
        )
        if (title, authors, abstract) == (self.title, self.authors, self.abstract):
            return self
        return replace(self, title=title, authors=authors, abstract=abstract, shown=None)

    @property
    def abs_url(self) -> str | None:
        return landing_url(self.arxiv_id, self.doi, self.url)


@dataclass(frozen=True, slots=True)
class PaperState:
    """The user's state on one paper. Every field carries the time it last changed, so merges can pick the newest."""

    key: PaperKey
    starred: bool = False
    starred_at: str | None = None
    read: bool = False
    read_at: str | None = None
    note: str = ""
    note_at: str | None = None
    tags: tuple[str, ...] = ()
    tags_at: str | None = None
    dismissed: bool = False  # "Not interested": evidence against papers like it, and out of For you
    dismissed_at: str | None = None
    later: bool = False  # in the Read later queue (apart from the star: "not now", not "this matters")
    later_at: str | None = None  # when it was queued (the queue's order) or taken out
    # The mute rule (core.rules) that muted the paper, "" when none, KEPT when the user took a mute back by hand
    # (no rule mutes it again); muted_at: when that last changed. A paper the rule marked read has read_at ==
    # muted_at, which is how turning the rule off knows to make it unread again (and stamps both anew).
    muted_by: str = ""
    muted_at: str | None = None

    @property
    def muted(self) -> bool:
        return bool(self.muted_by) and self.muted_by != KEPT

    @property
    def read_by_rule(self) -> bool:
        return self.muted and self.read and self.read_at == self.muted_at

    @property
    def mutable(self) -> bool:
        """Whether a mute rule may mute this paper: never a starred one, one the user un-muted, or one the user
        marked unread by hand (state the user set wins over a rule)."""
        kept_unread = not self.read and self.read_at is not None and self.read_at != self.muted_at
        return not self.starred and self.muted_by != KEPT and not kept_unread


KEPT = "kept"  # PaperState.muted_by of a paper the user un-muted by hand


def is_muted(state_doc: Mapping[str, Any] | None) -> bool:
    """`PaperState.muted` for a stored state document (hot paths: views and counts)."""
    by = state_doc.get("muted_by") if state_doc else None
    return bool(by) and by != KEPT


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one import did: counts for the user, and keys for the window to redraw."""

    source: str
    new: tuple[PaperKey, ...] = ()
    updated: tuple[PaperKey, ...] = ()
    unchanged: int = 0
    skipped: int = 0
    ruled: StateChange | None = None  # what the user's rules did to the new papers (muted, tagged, starred)

    def summary(self) -> str:
        parts = [f"{len(self.new)} new", f"{len(self.updated)} updated", f"{self.unchanged} already in library"]
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        if self.ruled is not None and self.ruled.muted:
            parts.append(f"{self.ruled.muted} muted by rules")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class PaperMerge:
    """Two records of one paper made one (`Library.merge_papers`), with what undoes it (`Library.unmerge`)."""

    keep: PaperKey
    other: PaperKey
    keep_doc: Mapping[str, Any]  # the kept record before the merge
    other_doc: Mapping[str, Any]  # the record merged into it, whole
    keep_state: PaperState
    other_state: PaperState


@dataclass(frozen=True, slots=True)
class StateChange:
    """Returned by every state mutation so a caller knows what to redraw and how to undo it."""

    before: tuple[PaperState, ...]
    after: tuple[PaperState, ...]
    # A change of the rules (core.rules) also holds the rules before and after it, as stored documents, so that
    # undo puts the rules back as well as the papers they changed.
    rules_before: tuple[Mapping[str, Any], ...] | None = None
    rules_after: tuple[Mapping[str, Any], ...] | None = None
    # Two records made one (undone by `Library.unmerge`), or a merge undone (redone by merging again).
    merged: PaperMerge | None = None
    unmerged: PaperMerge | None = None

    @property
    def reshapes(self) -> bool:
        """Whether the change did more than set the state of papers it names (rules, merges): views are read
        again and counts recounted."""
        return self.rules_before is not None or self.merged is not None or self.unmerged is not None

    @property
    def keys(self) -> tuple[PaperKey, ...]:
        return tuple(s.key for s in self.after)

    @property
    def muted(self) -> int:
        """Papers this change muted (by a rule)."""
        return sum(1 for b, a in zip(self.before, self.after, strict=True) if a.muted_by and not b.muted_by)

    @property
    def unmuted(self) -> int:
        return sum(1 for b, a in zip(self.before, self.after, strict=True) if b.muted_by and not a.muted_by)


@dataclass(frozen=True, slots=True)
class LibraryStats:
    papers: int
    unread: int
    read: int
    starred: int
    noted: int
    tagged: int
    updated: int
    tags: Mapping[str, int]
    feeds: Mapping[str, int]
    data_dir: str
    bytes_on_disk: int
    generation: int


class ListFilter(enum.Enum):
    ALL = "all"
    UNREAD = "unread"
    READ = "read"
    STARRED = "starred"
    NOTED = "noted"
    UPDATED = "updated"
    TODAY = "today"
    FOR_YOU = "for-you"  # unread, not starred (already chosen), not dismissed; ranked by the user's taste
    TRENDING = "trending"  # papers with a community signal (upvotes, comments, several feeds), not dismissed
    LATER = "later"  # the Read later queue, in the order papers were queued
    FOLLOWING = "following"  # papers by the authors the user follows (follow rules), not muted
    MUTED = "muted"  # papers a mute rule muted


class SortKey(enum.Enum):
    DATE = "date"
    TITLE = "title"
    SOURCE = "source"
    RELEVANCE = "relevance"  # the user's taste (core.taste); by date while there is too little evidence
    TRENDING = "trending"  # the community signal, fading with age


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingPaper(PaperContent):
    """A paper as one source describes it, normalised, before it is matched against the library."""

    guid: str | None = None
    announce_type: str | None = None
