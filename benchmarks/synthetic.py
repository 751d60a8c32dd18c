"""Synthetic arXiv-like papers and feeds for the benchmarks: realistic sizes, a Zipf vocabulary, deterministic.

Paper i of a synthetic library always gets the same id, title, authors and abstract (seeded by i), so a benchmark
can build a library once and later write feeds that cross-list or replace papers already in it.

Sizes follow the issue: a title of ~12 words, ~5 authors, an abstract of ~180 words (about 1.7 KB stored). Words
are drawn from a 50,000-word vocabulary with Zipf weights (s = 1), so a query for a common word hits thousands of
papers at 100k and a rare one a handful, as in real abstracts.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from readinglist.core.models import IncomingPaper

VOCABULARY_SIZE = 50_000
POOL_TOKENS = 2_000_000
PAPERS_PER_MONTH = 20_000
FIRST_MONTH = (2023, 1)


def _words(text: str) -> list[str]:
    return text.split()


# Real words at the head of the distribution, so the text reads like an abstract and queries look like queries.
_HEAD = _words("""the of and to a in we for is that on with this by as are our an from be which model models at learning
language can these it data results show task performance method large propose using based training tasks
approach not or such new than its paper both two also methods have has more existing however their
neural while framework between network improve across performance different each problem time into
state art demonstrate proposed study over dataset datasets evaluation generation knowledge via
information text reasoning experiments trained work systems system multiple further through recent
benchmark effective achieves outperforms representations representation attention transformer
transformers llms llm diffusion graph image images visual video generative prompt prompting agents agent
reinforcement policy optimization inference retrieval semantic embedding embeddings fine tuning pretrained
pre tokens token context contextual sequence sequences evaluate analysis quality human alignment robust
robustness efficient efficiency scaling scale parameters parameter supervised unsupervised self contrastive
adversarial benchmarks accuracy speech translation multilingual question answering dialogue summarization
classification detection segmentation vision multimodal encoder decoder layers layer latent
distribution distributions sampling noise theoretical empirical bounds convergence gradient stochastic
federated privacy clinical medical molecular protein physics quantum robotic robot control planning
navigation memory compression quantization pruning sparse dense hardware kernel compiler code program
synthesis verification formal logic symbolic causal causality fairness bias safety interpretability
explanation uncertainty calibration""")

_FIRST = _words("""
Wei Yu Jun Li Ming Hao Xin Jing Lei Yang Anna Maria David John Michael Sarah Laura Thomas Daniel James
Emma Olivia Lucas Noah Mateo Sofia Luca Giulia Marco Chiara Hiroshi Yuki Takashi Akira Min Ji Seo Hyun Arjun
Priya Rahul Ananya Vikram Aditya Omar Fatima Ali Hassan Ivan Olga Dmitri Elena Pierre Camille Julien Claire
Jonas Lena Felix Mia Lars Ingrid Pablo Lucia Diego Ana Kwame Amara Chidi Ngozi Tomasz Katarzyna""")

_LAST = _words("""
Zhang Wang Li Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao Luo Kim Lee Park Choi Tanaka
Suzuki Sato Watanabe Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Muller Schmidt
Schneider Fischer Weber Rossi Russo Ferrari Esposito Bianchi Dubois Martin Bernard Petit Kumar Singh Sharma
Gupta Patel Reddy Ivanov Smirnov Kuznetsov Nowak Kowalski Silva Santos Oliveira Costa Okafor Mensah Haddad
Nakamura Kobayashi Yamamoto Novak Horvat Jensen Nielsen Hansen Larsen Berg Eriksson Andersson""")

CATEGORIES = _words("""cs.CL cs.LG cs.AI cs.CV stat.ML cs.IR cs.RO cs.NE cs.CR cs.SE cs.HC cs.DC math.OC eess.AS eess.IV
q-bio.QM physics.comp-ph quant-ph cs.MA cs.SD""")
_CATEGORY_WEIGHTS = [30, 28, 20, 18, 8, 5, 5, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 2, 1, 1]

LICENSES = (
    "http://creativecommons.org/licenses/by/4.0/",
    "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
    "http://creativecommons.org/licenses/by-nc-sa/4.0/",
)


def _pseudo_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    onsets = [*_words("b c d f g h k l m n p r s t v z br cr st tr pl gr sh ch th qu sc sp"), ""]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"]
    codas = ["", "", "n", "r", "s", "l", "t", "m", "x", "nd", "rt", "st", "ng"]
    out: list[str] = []
    while len(out) < count:
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.choice((1, 2, 2, 2, 3))))
        word += rng.choice(codas)
        if word not in taken:
            taken.add(word)
            out.append(word)
    return out


@dataclass
class Vocabulary:
    """Words by rank (0 = most frequent) and a long pre-drawn Zipf token stream that texts are cut from."""

    words: list[str]
    pool: list[str]

    @classmethod
    def build(cls, seed: int = 7) -> Vocabulary:
        rng = random.Random(seed)
        head = list(dict.fromkeys(_HEAD))
        words = head + _pseudo_words(rng, VOCABULARY_SIZE - len(head), set(head))
        cum = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(words))))
        pool = rng.choices(words, cum_weights=cum, k=POOL_TOKENS)
        return cls(words, pool)

    def text(self, rng: random.Random, n: int) -> list[str]:
        start = rng.randrange(len(self.pool) - n)
        return self.pool[start : start + n]

    def queries(self, count: int, texts: Sequence[str], seed: int = 11) -> list[str]:
        """1-3 word queries: half are words of one paper's text (a user looking for something they saw), half are
        drawn from bands of common (rank 30-500), middling (500-5,000) and rare (5,000-50,000) words, which may
        match nothing together. The 30 most frequent words (the, of, and...) are never searched for."""
        rng = random.Random(seed)
        rank = {w: r for r, w in enumerate(self.words)}
        bands = [(30, 500), (500, 5_000), (5_000, len(self.words))]
        out = []
        for _ in range(count):
            n = rng.choice((1, 1, 2, 2, 3))
            if rng.random() < 0.5:
                words = [w for w in rng.choice(texts).casefold().replace(".", " ").split() if rank.get(w, 99) >= 30]
                picked = rng.sample(sorted(set(words)), min(n, len(set(words))))
            else:
                picked = [self.words[rng.randrange(*bands[rng.randrange(3)])] for _ in range(n)]
            out.append(" ".join(picked))
        return out


def arxiv_id(i: int) -> str:
    """The id of synthetic paper i: PAPERS_PER_MONTH papers a month from January 2023, 5-digit numbers."""
    month_index, number = divmod(i, PAPERS_PER_MONTH)
    year, month = divmod(FIRST_MONTH[0] * 12 + FIRST_MONTH[1] - 1 + month_index, 12)
    return f"{year % 100:02d}{month + 1:02d}.{number + 1:05d}"


def paper_date(i: int) -> datetime:
    month_index, number = divmod(i, PAPERS_PER_MONTH)
    year, month = divmod(FIRST_MONTH[0] * 12 + FIRST_MONTH[1] - 1 + month_index, 12)
    day = 1 + number * 28 // PAPERS_PER_MONTH
    return datetime(year, month + 1, day, 4, 0, tzinfo=UTC)


@dataclass(frozen=True)
class SyntheticPaper:
    i: int
    arxiv_id: str
    version: int
    title: str
    authors: tuple[str, ...]
    abstract: str
    categories: tuple[str, ...]
    published: datetime
    comment: str | None


# TeX as real arXiv text carries it (FIELD-NOTES: 342 of 2,355 cs.CV abstracts or titles, about 15%; accents in
# some names), so that imports and searches pay for reading it as they would on a real feed.
_TEX_SENTENCES = (
    "We obtain 3$\\times$ speedups with \\textbf{sparse} routing at $\\mathcal{O}(n \\log n)$ cost.",
    "Error stays below $\\epsilon = 10^{-3}$ for $k \\geq 2$ (p < 0.05, $<26\\%$ of runs).",
    "Our method, \\textsc{Ours}, uses $2^{16}$ tokens and $\\ell_2$ regularisation \\cite{smith}.",
)
_TEX_NAMES = ("Beno\\^it Sagot", "Jos\\'e Garc{\\'i}a", 'Erwin Schr\\"odinger', "Paul Erd\\H{o}s")


def _with_tex(
    i: int, title: str, authors: tuple[str, ...], sentences: list[str]
) -> tuple[str, tuple[str, ...], list[str]]:
    rng = random.Random(i * 104729 + 3)  # its own stream: the other fields stay as they were
    if rng.random() < 0.13:
        sentences = [*sentences[:1], rng.choice(_TEX_SENTENCES), *sentences[1:]]
    if rng.random() < 0.03:
        title = f"\\textsc{{{title.split()[0]}}} {' '.join(title.split()[1:])} in $\\mathcal{{O}}(n)$"
    if rng.random() < 0.05:
        authors = (*authors[:-1], rng.choice(_TEX_NAMES))
    return title, authors, sentences


class PaperFactory:
    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocab = vocabulary or Vocabulary.build()

    def paper(self, i: int, *, version: int | None = None) -> SyntheticPaper:
        rng = random.Random(i * 7919 + 17)
        title_words = self.vocab.text(rng, max(4, int(rng.gauss(12, 3))))
        title = " ".join(w.capitalize() if k == 0 or len(w) > 3 else w for k, w in enumerate(title_words))
        n_authors = max(1, min(40, round(rng.lognormvariate(1.45, 0.55))))
        authors = tuple(f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(n_authors))
        sentences: list[str] = []
        remaining = max(60, int(rng.gauss(180, 45)))
        while remaining > 0:
            n = min(remaining, rng.randint(12, 30))
            words = self.vocab.text(rng, n)
            sentences.append(" ".join([words[0].capitalize(), *words[1:]]) + ".")
            remaining -= n
        title, authors, sentences = _with_tex(i, title, authors, sentences)
        cats = tuple(dict.fromkeys(rng.choices(CATEGORIES, weights=_CATEGORY_WEIGHTS, k=rng.choice((1, 1, 2, 2, 3)))))
        comment = f"{rng.randint(6, 40)} pages, {rng.randint(1, 12)} figures" if rng.random() < 0.5 else None
        return SyntheticPaper(
            i=i,
            arxiv_id=arxiv_id(i),
            version=version or (1 if rng.random() < 0.8 else rng.choice((2, 2, 3))),
            title=title,
            authors=authors,
            abstract=" ".join(sentences),
            categories=cats,
            published=paper_date(i),
            comment=comment,
        )

    def incoming(self, i: int) -> IncomingPaper:
        """Paper i as the importer would produce it from an arXiv feed entry."""
        p = self.paper(i)
        date = p.published.isoformat().replace("+00:00", "Z")
        return IncomingPaper(
            title=p.title,
            authors=p.authors,
            abstract=p.abstract,
            arxiv_id=p.arxiv_id,
            arxiv_version=p.version,
            url=f"https://arxiv.org/abs/{p.arxiv_id}",
            pdf_url=f"https://arxiv.org/pdf/{p.arxiv_id}v{p.version}",
            published=date,
            updated=date,
            categories=p.categories,
            announce_type="new",
            extra={"comment": p.comment} if p.comment else {},
        )

    def incoming_batches(self, n: int, batch: int) -> Iterator[list[IncomingPaper]]:
        for start in range(0, n, batch):
            yield [self.incoming(i) for i in range(start, min(n, start + batch))]

    # ---- feed files ------------------------------------------------------------------------------------------

    def write_arxiv_rss(self, path: Path, entries: Sequence[tuple[int, str, int | None]], *, category: str) -> int:
        """An rss.arxiv.org-style RSS 2.0 file; entries are (paper index, announce type, version or None)."""
        now = datetime(2025, 9, 16, 4, 0, 12, tzinfo=UTC)
        pub = "Tue, 16 Sep 2025 00:00:00 -0400"  # arXiv dates every item midnight US Eastern
        items = []
        for i, announce, version in entries:
            p = self.paper(i, version=version)
            v = version or p.version
            cats = "".join(f"\n      <category>{escape(c)}</category>" for c in p.categories)
            items.append(
                f"""    <item>
      <title>{escape(p.title)}</title>
      <link>https://arxiv.org/abs/{p.arxiv_id}</link>
      <description>arXiv:{p.arxiv_id}v{v} Announce Type: {announce} \nAbstract: {escape(p.abstract)}</description>
      <guid isPermaLink="false">oai:arXiv.org:{p.arxiv_id}v{v}</guid>{cats}
      <pubDate>{pub}</pubDate>
      <arxiv:announce_type>{announce}</arxiv:announce_type>
      <dc:rights>{LICENSES[i % len(LICENSES)]}</dc:rights>
      <dc:creator>{escape(", ".join(p.authors))}</dc:creator>
    </item>"""
            )
        body = f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" \
xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>{category} updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/{category}</link>
    <description>{category} updates on the arXiv.org e-print archive.</description>
    <atom:link href="https://rss.arxiv.org/rss/{category}" rel="self" type="application/rss+xml"/>
    <docs>http://www.rssboard.org/rss-specification</docs>
    <language>en-us</language>
    <lastBuildDate>{format_datetime(now)}</lastBuildDate>
    <managingEditor>rss-help@arxiv.org</managingEditor>
    <pubDate>{pub}</pubDate>
    <skipDays>
      <day>Saturday</day>
      <day>Sunday</day>
    </skipDays>
{chr(10).join(items)}
  </channel>
</rss>
"""
        data = body.encode("utf-8")
        path.write_bytes(data)
        return len(data)
