"""One paper, one record: the identifier rules."""

from __future__ import annotations

import pytest

from readinglist.core.identity import (
    ArxivId,
    aliases,
    key_candidates,
    make_key,
    normalize_doi,
    normalize_url,
    parse_arxiv_id,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.01234", ArxivId("2401.01234", None)),
        ("2401.01234v3", ArxivId("2401.01234", 3)),
        ("arXiv:2401.01234v2", ArxivId("2401.01234", 2)),
        ("0704.0001", ArxivId("0704.0001", None)),
        ("https://arxiv.org/abs/2401.01234v2", ArxivId("2401.01234", 2)),
        ("http://arxiv.org/pdf/2401.01234v1.pdf", ArxivId("2401.01234", 1)),
        ("https://arxiv.org/html/2509.13332v1", ArxivId("2509.13332", 1)),
        ("oai:arXiv.org:2509.13332v1", ArxivId("2509.13332", 1)),
        ("hep-ex/0307015", ArxivId("hep-ex/0307015", None)),
        ("hep-ex/0307015v1", ArxivId("hep-ex/0307015", 1)),
        ("http://arxiv.org/abs/math.GT/0309136v2", ArxivId("math.GT/0309136", 2)),
        ("oai:arXiv.org:cond-mat/0102536", ArxivId("cond-mat/0102536", None)),
        ("https://doi.org/10.48550/arXiv.2401.01234", ArxivId("2401.01234", None)),
    ],
)
def test_arxiv_ids_are_recognised_in_every_form(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize("text", ["", "hello", "10.1038/nature12373", "https://example.org/2401", "12345.6"])
def test_non_arxiv_text_is_not_an_arxiv_id(text: str) -> None:
    assert parse_arxiv_id(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "10.1038/NATURE12373",
        "https://doi.org/10.1038/nature12373",
        "http://dx.doi.org/10.1038/Nature12373",
        "doi:10.1038/nature12373",
        " DOI: 10.1038/nature12373. ",
        "info:doi/10.1038/nature12373",
    ],
)
def test_dois_normalise_to_one_form(text: str) -> None:
    assert normalize_doi(text) == "10.1038/nature12373"


def test_urls_compare_without_tracking_scheme_www_or_fragment() -> None:
    a = normalize_url("https://www.nature.com/articles/s41586-024-1?utm_source=rss&utm_medium=feed#abstract")
    b = normalize_url("http://nature.com/articles/s41586-024-1/")
    assert a == b == "nature.com/articles/s41586-024-1"
    # Meaningful parameters stay, in a stable order.
    assert normalize_url("https://x.org/p?b=2&a=1&fbclid=zz") == normalize_url("https://x.org/p?a=1&b=2")
    assert normalize_url("https://x.org/p?id=1") != normalize_url("https://x.org/p?id=2")
    assert normalize_url("javascript:alert(1)") is None


def test_keys_are_stable_and_typeable() -> None:
    assert make_key(arxiv_id="2401.01234", doi="10.1/x", url=None, guid=None, title="T") == "arxiv:2401.01234"
    assert make_key(arxiv_id=None, doi="10.1/x", url=None, guid=None, title="T") == "doi:10.1/x"
    web = make_key(arxiv_id=None, doi=None, url="https://x.org/a?utm_source=1", guid=None, title="T")
    assert web == make_key(arxiv_id=None, doi=None, url="http://www.x.org/a", guid=None, title="Other title")
    assert web.startswith("web:")


def test_aliases_and_user_typed_keys_meet() -> None:
    ids = aliases(arxiv_id="2401.01234", doi="10.1234/x", url="https://arxiv.org/abs/2401.01234", guid=None)
    assert ids[0] == "arxiv:2401.01234"
    assert "doi:10.1234/x" in ids
    assert "arxiv:2401.01234" in key_candidates("2401.01234v5")
    assert "doi:10.1234/x" in key_candidates("https://doi.org/10.1234/X")
