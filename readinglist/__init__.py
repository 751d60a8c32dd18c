"""readinglist: a personal, local-first reading list for research papers."""

__version__ = "0.1.0"
