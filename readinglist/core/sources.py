"""The kinds of subscription (feeds, arXiv API queries, Hugging Face daily papers) and their addresses: what a
typed address means, and the addresses readinglist builds. Plain rules, no network: `download.py` fetches.
"""

from __future__ import annotations

import enum
import re
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ARXIV_API = "https://export.arxiv.org/api/query"
ARXIV_RSS = "https://rss.arxiv.org/rss/"
ARXIV_MIN_INTERVAL = 3.0
ARXIV_PAGE_SIZE = 100
ARXIV_MAX_RESULTS = 200
HF_DAILY = "https://huggingface.co/api/daily_papers"
HF_MAX_MISSED_DAYS = 7


class FeedKind(enum.Enum):
    RSS = "rss"
    ARXIV_QUERY = "arxiv-query"
    HF_DAILY = "hf-daily"


# ---- kinds and addresses ------------------------------------------------------------------------------------

_ARXIV_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?(?:\+[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?)*$")
_ARXIV_QUERY_FIELDS = re.compile(r"\b(?:ti|au|abs|co|jr|cat|rn|id|all):", re.IGNORECASE)


def guess_kind(url: str) -> FeedKind:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "export.arxiv.org" and parts.path.startswith("/api/query"):
        return FeedKind.ARXIV_QUERY
    if host == "huggingface.co" and parts.path.rstrip("/") == "/api/daily_papers":
        return FeedKind.HF_DAILY
    return FeedKind.RSS


def looks_like_arxiv_query(text: str) -> bool:
    return bool(_ARXIV_QUERY_FIELDS.search(text)) and "://" not in text


def looks_like_arxiv_categories(text: str) -> bool:
    """`cs.CL` or `cs.CL+stat.ML`: the categories of an arXiv RSS feed."""
    return bool(_ARXIV_CATEGORY.match(text)) and "." in text


def arxiv_rss_url(categories: str) -> str:
    return ARXIV_RSS + categories


def arxiv_query_url(query: str) -> str:
    """The API address of a saved search, newest submissions first."""
    params = {"search_query": query.strip(), "sortBy": "submittedDate", "sortOrder": "descending"}
    return f"{ARXIV_API}?{urlencode(params)}"


def hf_daily_url(day: date | None = None) -> str:
    return HF_DAILY if day is None else hf_day(HF_DAILY, day)


def hf_day(url: str, day: date) -> str:
    return with_params(url, date=day.isoformat())


def with_params(url: str, **params: Any) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def is_arxiv_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "arxiv.org" or host.endswith(".arxiv.org")
