"""Every error readinglist words for its user, under one root.

Each is raised with a sentence that names what it is about (the library file, the feed, the export's file) and
says what happened; the command line prints it as one line (`readinglist: error: …`), the window in its one style.
Anything that is not a `ReadingListError` is a bug, and is reported as one.
"""

from __future__ import annotations


class ReadingListError(Exception):
    """The root: a failure worded for the user."""


class StoreError(ReadingListError):
    """A problem with the library files (storage.py has the particular ones)."""


class PaperNotFoundError(ReadingListError, LookupError):
    """No paper by that key or identifier."""


class FeedError(ReadingListError):
    """A feed that could not be read, naming the feed."""


class SubscriptionError(FeedError):
    """A problem with a subscription's settings (an address taken, an interval too short), or an OPML file."""


class CredentialError(ReadingListError):
    """The keyring refused or is missing. Never contains a secret."""


class ExportError(ReadingListError):
    """An export or archive file that could not be written, naming the file."""


class ArchiveError(ReadingListError):
    """An archive that could not be read or merged, naming the file. Nothing was changed."""


class CommandError(ReadingListError):
    """A command used in a way that cannot work (options that do not go together)."""
