"""Build resources/sample-papers.xml (an Atom feed) from ../shared/seed/trending-papers-page.txt.

The page lists trending papers as a title line followed by an abstract paragraph. It carries no authors, ids or
years, so neither does the sample: each entry links to an arXiv title search, which is where a reader would go.
Run: python scripts/build_sample_feed.py [SEED] [OUT]
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from urllib.parse import quote_plus
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seed" / "trending-papers-page.txt"
OUT = ROOT / "resources" / "sample-papers.xml"


def papers(text: str) -> list[tuple[str, str]]:
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    out = []
    i = 0
    while i < len(blocks) - 1:
        title, abstract = blocks[i], blocks[i + 1]
        # A title is one short line; the block after it, a long paragraph.
        if "\n" not in title and len(title) < 250 and len(abstract) > 250:
            out.append((title, " ".join(abstract.split())))
            i += 2
        else:
            i += 1
    return out


def main() -> None:
    seed = Path(sys.argv[1]) if len(sys.argv) > 1 else SEED
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else OUT
    items = papers(seed.read_text(encoding="utf-8"))
    entries = []
    for title, abstract in items:
        uid = hashlib.sha1(title.encode("utf-8")).hexdigest()[:16]
        link = f"https://arxiv.org/search/?searchtype=title&amp;query={escape(quote_plus(title))}"
        entries.append(
            "  <entry>\n"
            f"    <id>urn:readinglist:sample:{uid}</id>\n"
            f"    <title>{escape(title)}</title>\n"
            f'    <link rel="alternate" type="text/html" href="{link}"/>\n'
            f"    <summary>{escape(abstract)}</summary>\n"
            "  </entry>\n"
        )
    feed = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "  <title>Sample papers</title>\n"
        "  <id>urn:readinglist:sample</id>\n"
        "  <updated>2025-03-12T00:00:00Z</updated>\n"
        "  <subtitle>Trending papers on language models, bundled with readinglist so it can be tried offline."
        "</subtitle>\n" + "".join(entries) + "</feed>\n"
    )
    out.write_text(feed, encoding="utf-8")
    print(f"{out}: {len(entries)} papers")


if __name__ == "__main__":
    main()
