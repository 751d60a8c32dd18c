""" "For you" as a user meets it: papers like the ones starred come first, with the words that put them there; a
"Not interested" pushes its topic down; a near duplicate is the most similar paper; the cache survives a restart
and a damaged cache is rebuilt rather than trusted."""

from __future__ import annotations

import os
import random
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest

from readinglist.core.ranking import (
    INDEX_FILE,
    MIN_EVIDENCE,
    NOT_INTERESTED_WEIGHT,
    STAR_WEIGHT,
    RankingIndex,
    RankItem,
    TasteModel,
    fold_name,
    similar,
    stem,
    words,
)

# (topic, title, abstract, authors, categories), written for these tests.
CORPUS = [
    ("diffusion", "Denoising Diffusion Models for High-Resolution Image Synthesis",
     "We train a denoising diffusion model that reverses a gradual noising process and synthesises images at high "
     "resolution. A cascade of diffusion models conditioned on low-resolution samples improves sample quality.",
     ("Anna Rossi", "Wei Zhang"), ("cs.CV", "cs.LG")),
    ("diffusion", "Faster Sampling from Diffusion Models with Learned Step Schedules",
     "Sampling from diffusion models needs hundreds of denoising steps. We learn a step schedule that keeps sample "
     "quality with twenty steps and study the trade-off between speed and fidelity of the reverse process.",
     ("Lucas Martin",), ("cs.LG",)),
    ("diffusion", "Latent Diffusion for Text-to-Image Generation",
     "Running the diffusion process in the latent space of an autoencoder cuts the cost of text-to-image "
     "generation. Cross-attention conditions the denoising network on text embeddings.",
     ("Wei Zhang", "Sofia Garcia"), ("cs.CV",)),
    ("diffusion", "Score-Based Generative Modeling through Stochastic Differential Equations",
     "We describe score-based generative models as stochastic differential equations that turn data into noise "
     "and back. The reverse-time equation depends on the score of the noised data distribution, which a network "
     "estimates by denoising score matching.",
     ("Hiroshi Tanaka",), ("cs.LG", "stat.ML")),
    ("diffusion", "Classifier-Free Guidance for Conditional Diffusion",
     "Guidance trades diversity for sample fidelity in conditional diffusion models. We mix the scores of a "
     "conditional and an unconditional denoising model trained jointly, with no separate classifier.",
     ("Anna Rossi",), ("cs.LG",)),
    ("diffusion", "Video Diffusion Models with Temporal Attention",
     "We extend image diffusion models to video with temporal attention layers in the denoising network and "
     "generate coherent clips by sampling frames jointly.",
     ("Olivia Brown", "Wei Zhang"), ("cs.CV",)),
    ("diffusion", "Consistency Distillation of Diffusion Samplers",
     "A consistency model maps any point of a diffusion trajectory to its origin, so one network evaluation "
     "replaces the iterative denoising sampler. We distil it from a pretrained diffusion model.",
     ("Lucas Martin", "Mia Jensen"), ("cs.LG",)),
    ("diffusion", "Diffusion Models for Audio Waveform Generation",
     "We apply denoising diffusion to raw audio waveforms and generate speech and music conditioned on "
     "spectrograms, with quality close to autoregressive vocoders and faster sampling.",
     ("Priya Sharma",), ("eess.AS", "cs.SD")),
    ("parsing", "A Fast and Accurate Dependency Parser using Neural Networks",
     "We present a transition-based dependency parser whose classifier is a small neural network over word, "
     "part-of-speech and arc-label embeddings. It parses thousands of sentences per second with high attachment "
     "accuracy on the Penn Treebank.",
     ("Daniel Smith",), ("cs.CL",)),
    ("parsing", "Constituency Parsing with a Self-Attentive Encoder",
     "A self-attentive encoder and a chart decoder yield a constituency parser with state of the art F1 on the "
     "Penn Treebank. Separating positional and content attention helps the parser.",
     ("Laura Miller", "Daniel Smith"), ("cs.CL",)),
    ("parsing", "Graph-Based Dependency Parsing with Biaffine Attention",
     "We score every head-dependent pair with biaffine attention over bidirectional LSTM states and decode the "
     "maximum spanning tree, giving accurate dependency parsing across treebanks.",
     ("Jonas Weber",), ("cs.CL",)),
    ("parsing", "Universal Dependencies Parsing for Low-Resource Languages",
     "Cross-lingual transfer from related treebanks improves dependency parsing of low-resource languages in "
     "Universal Dependencies. We compare multilingual embeddings and treebank concatenation.",
     ("Elena Ivanova",), ("cs.CL",)),
    ("parsing", "Semantic Parsing of Questions into Database Queries",
     "We map natural language questions to executable SQL with a grammar-constrained decoder, and the semantic "
     "parser generalises to unseen database schemas.",
     ("Pablo Santos",), ("cs.CL", "cs.DB")),
    ("parsing", "Unsupervised Grammar Induction with Neural Parsers",
     "Compound probabilistic context-free grammars trained on raw sentences induce constituency trees that "
     "agree with treebank annotations better than earlier unsupervised parsers.",
     ("Laura Miller",), ("cs.CL",)),
    ("rl", "Human-Level Control through Deep Reinforcement Learning",
     "A deep Q-network learns policies directly from pixels and rewards and plays Atari games at human level. "
     "Experience replay and a target network stabilise reinforcement learning.",
     ("Omar Haddad", "Ingrid Berg"), ("cs.LG", "cs.AI")),
    ("rl", "Proximal Policy Optimization Algorithms",
     "Policy gradient methods for reinforcement learning that alternate between sampling with the environment "
     "and optimising a clipped surrogate objective. The agent learns robust policies on continuous control.",
     ("Ingrid Berg",), ("cs.LG",)),
    ("rl", "Offline Reinforcement Learning with Conservative Q-Functions",
     "Learning a policy from a fixed dataset of transitions overestimates the value of unseen actions. A "
     "conservative Q-function lower-bounds the policy value and improves offline reinforcement learning.",
     ("Omar Haddad",), ("cs.LG",)),
    ("rl", "Model-Based Reinforcement Learning with World Models",
     "An agent learns a world model of its environment and trains its policy on imagined rollouts, reducing the "
     "interactions needed for reinforcement learning in continuous control.",
     ("Kwame Mensah",), ("cs.LG", "cs.RO")),
    ("rl", "Multi-Agent Reinforcement Learning for Cooperative Navigation",
     "Several agents learn decentralised policies with a centralised critic and coordinate to reach landmarks. "
     "Reward shaping speeds up cooperative reinforcement learning.",
     ("Ana Costa",), ("cs.MA", "cs.LG")),
    ("rl", "Exploration by Random Network Distillation",
     "An exploration bonus from the error of predicting a fixed random network drives the agent to novel states "
     "and solves hard-exploration games with sparse reward.",
     ("Omar Haddad", "Kwame Mensah"), ("cs.LG",)),
    ("rl", "Reward Models from Human Preferences for Policy Learning",
     "We fit a reward model to human comparisons of agent behaviour and optimise the policy against it with "
     "reinforcement learning, teaching simulated robots new skills.",
     ("Ingrid Berg", "Ana Costa"), ("cs.LG", "cs.AI")),
    ("graphs", "Semi-Supervised Classification with Graph Convolutional Networks",
     "A graph convolutional network propagates node features along edges with a first-order approximation of "
     "spectral convolutions and classifies nodes of citation graphs with few labels.",
     ("Mateo Silva",), ("cs.LG",)),
    ("graphs", "Graph Attention Networks",
     "Masked self-attention over a node's neighbours lets graph attention networks weigh edges differently and "
     "generalise to unseen graphs in inductive node classification.",
     ("Giulia Bianchi",), ("cs.LG", "stat.ML")),
    ("graphs", "How Powerful are Graph Neural Networks?",
     "We relate message passing graph neural networks to the Weisfeiler-Lehman graph isomorphism test and "
     "propose an architecture as expressive as the test for graph classification.",
     ("Mateo Silva", "Min Kim"), ("cs.LG",)),
    ("graphs", "Inductive Representation Learning on Large Graphs",
     "Sampling and aggregating features from a node's neighbourhood learns embeddings for nodes unseen during "
     "training on large evolving graphs.",
     ("Giulia Bianchi",), ("cs.SI", "cs.LG")),
    ("graphs", "Link Prediction with Graph Neural Networks on Knowledge Graphs",
     "We predict missing edges of knowledge graphs with a relational graph neural network that encodes entity "
     "neighbourhoods, and score candidate links between nodes.",
     ("Min Kim",), ("cs.LG", "cs.AI")),
    ("graphs", "Molecular Property Prediction with Message Passing",
     "Message passing neural networks over molecular graphs, with atoms as nodes and bonds as edges, predict "
     "quantum chemical properties of molecules.",
     ("Chidi Okafor",), ("cs.LG", "physics.chem-ph")),
    ("other", "Quantum Error Correction with Surface Codes",
     "Surface codes protect logical qubits from noise with local stabiliser measurements; we estimate the "
     "threshold error rate of physical qubits under circuit-level noise.",
     ("Erwin Novak",), ("quant-ph",)),
    ("other", "Query Optimization in Column-Store Databases",
     "We revisit join ordering and predicate pushdown for column-store databases and cut query latency on "
     "analytical workloads.",
     ("Lars Eriksson",), ("cs.DB",)),
    ("other", "Speech Recognition with Connectionist Temporal Classification",
     "An acoustic model trained with connectionist temporal classification transcribes speech without frame "
     "alignments, and a language model rescoring lowers the word error rate.",
     ("Yuki Sato",), ("eess.AS", "cs.CL")),
    ("other", "Formal Verification of Smart Contracts",
     "We translate smart contracts to a verification language and prove safety properties with an SMT solver, "
     "finding reentrancy bugs in deployed contracts.",
     ("Tomasz Nowak",), ("cs.CR", "cs.PL")),
    ("other", "Federated Learning under Differential Privacy",
     "Clients train a shared model without sharing data; clipping and noising their updates gives differential "
     "privacy guarantees at a modest cost in accuracy.",
     ("Fatima Ali",), ("cs.CR", "cs.LG")),
    ("other", "Sparse Matrix Multiplication on GPUs",
     "We tile sparse matrices to balance work across GPU threads and speed up sparse matrix multiplication on "
     "scientific and graph workloads.",
     ("Hassan Omar",), ("cs.DC",)),
    ("other", "Machine Translation with Transformer Models",
     "An encoder-decoder transformer built on attention alone translates between languages, trains faster than "
     "recurrent models and sets new BLEU scores.",
     ("Claire Dubois", "Julien Petit"), ("cs.CL",)),
    ("other", "Protein Structure Prediction from Sequence",
     "A network reasons over multiple sequence alignments and pairwise residue features to predict protein "
     "structure with atomic accuracy.",
     ("Ngozi Okafor",), ("q-bio.BM",)),
    ("other", "Robot Grasping from Depth Images",
     "A convolutional network predicts grasp poses from depth images and a robot arm picks unseen household "
     "objects.",
     ("Marco Esposito",), ("cs.RO",)),
    ("other", "Topic Models for Scientific Literature",
     "Latent Dirichlet allocation finds the topics of a collection of scientific articles and tracks how they "
     "change over the years.",
     ("Emma Johnson",), ("cs.IR", "cs.CL")),
    ("other", "Climate Model Downscaling with Neural Networks",
     "Convolutional networks downscale coarse climate simulations to local precipitation and temperature fields.",
     ("Lena Fischer",), ("physics.ao-ph",)),
]  # fmt: skip

NEW_DIFFUSION = RankItem(
    "arxiv:2501.00001",
    "Denoising Diffusion Bridges for Image Restoration",
    "We restore degraded images with a diffusion bridge between the degraded and the clean image distribution; "
    "the denoising network needs fewer sampling steps than unconditional diffusion models.",
    ("Sarah Lee",),
    ("cs.CV",),
)
NEW_PARSING = RankItem(
    "arxiv:2501.00002",
    "Incremental Dependency Parsing for Spoken Dialogue",
    "A transition-based parser builds dependency trees word by word as a user speaks, and we measure parsing "
    "accuracy on transcribed dialogue treebanks.",
    ("Ivan Petrov",),
    ("cs.CL",),
)


def items() -> list[RankItem]:
    return [RankItem(f"test:{i:02d}", t, a, au, c) for i, (_, t, a, au, c) in enumerate(CORPUS)]


def keys_of(topic: str) -> list[str]:
    return [f"test:{i:02d}" for i, row in enumerate(CORPUS) if row[0] == topic]


def starred_diffusion() -> dict[str, float]:
    chosen = keys_of("diffusion")[:6]
    assert len(chosen) >= MIN_EVIDENCE
    return dict.fromkeys(chosen, STAR_WEIGHT)


@pytest.fixture
def index() -> RankingIndex:
    return RankingIndex.build(items())


def unstarred(index: RankingIndex, model_positives: dict[str, float]) -> list[str]:
    return [k for k in index.keys() if k not in model_positives]  # noqa: SIM118 (not a dict)


# ---- ranking and why ----------------------------------------------------------------------------------------------


def test_a_new_paper_like_the_starred_ones_ranks_first_and_says_why(index: RankingIndex) -> None:
    index.update([NEW_DIFFUSION, NEW_PARSING])
    model = TasteModel.fit(index, starred_diffusion())
    ranked = model.rank([NEW_PARSING.key, NEW_DIFFUSION.key])
    assert [r.key for r in ranked] == [NEW_DIFFUSION.key, NEW_PARSING.key]
    assert ranked[0].score > ranked[1].score
    why = ranked[0].why
    assert 2 <= len(why) <= 3
    assert {"diffusion", "denoising"} & set(why), why
    assert model.why(NEW_DIFFUSION.key) == why
    # Among the whole library the unstarred diffusion papers lead, parsing and the rest trail.
    candidates = unstarred(index, starred_diffusion())
    top = [r.key for r in model.rank(candidates, limit=3)]
    assert set(top) <= {*keys_of("diffusion"), NEW_DIFFUSION.key}


def test_why_words_are_shown_as_papers_write_them(index: RankingIndex) -> None:
    model = TasteModel.fit(index, starred_diffusion())
    for r in model.rank(unstarred(index, starred_diffusion()), why=4):
        for term in r.why:
            assert (
                term.startswith(("author: ", "category: "))
                or term in words(" ".join(row[2] for row in CORPUS))
                or (term in words(" ".join(row[1] for row in CORPUS)))
            ), term


def test_removing_the_why_terms_costs_more_than_removing_any_others(index: RankingIndex) -> None:
    model = TasteModel.fit(index, starred_diffusion())
    rng = random.Random(12)
    why_drops, random_drops = [], []
    for r in model.rank(unstarred(index, starred_diffusion()), limit=15):
        terms = list(index.features(r.key))
        assert len(terms) > 3
        why = model.why(r.key, 3)
        assert why == r.why
        score = model.score([r.key])[0]
        assert score == pytest.approx(r.score)
        drop_why = score - model.score_without(r.key, why)
        why_drops.append(drop_why)
        for _ in range(5):
            drop = score - model.score_without(r.key, rng.sample(terms, 3))
            random_drops.append(drop)
            assert drop <= drop_why + 1e-5  # the why terms are the largest contributions: no 3 terms add more
    assert np.mean(why_drops) > 0
    assert np.mean(why_drops) > np.mean(random_drops) + 0.1
    assert model.score_without(r.key, []) == pytest.approx(r.score, abs=1e-5)


def test_not_interested_pushes_that_topic_down(index: RankingIndex) -> None:
    positives = {**starred_diffusion(), keys_of("rl")[0]: STAR_WEIGHT}  # a user who starred one RL paper
    target = keys_of("rl")[-1]
    others = unstarred(index, positives)

    def place(model: TasteModel) -> int:
        return [r.key for r in model.rank(others)].index(target)

    before = TasteModel.fit(index, positives)
    after = TasteModel.fit(index, positives, dict.fromkeys(keys_of("rl")[1:4], NOT_INTERESTED_WEIGHT))
    assert place(after) > place(before)
    assert after.score([target])[0] < before.score([target])[0]


def test_fitting_needs_a_positive_paper_in_the_index(index: RankingIndex) -> None:
    with pytest.raises(ValueError):
        TasteModel.fit(index, {"arxiv:not-here": STAR_WEIGHT})
    model = TasteModel.fit(index, {**starred_diffusion(), "arxiv:not-here": STAR_WEIGHT})
    assert np.isnan(model.score(["arxiv:not-here"])[0])
    assert model.rank(["arxiv:not-here"]) == []
    assert model.why("arxiv:not-here") == ()


# ---- similar ------------------------------------------------------------------------------------------------------


def test_a_near_duplicate_is_the_most_similar_paper(index: RankingIndex) -> None:
    original = items()[2]
    title = original.title.replace("Latent Diffusion", "Latent Diffusion Models")
    twin = RankItem("arxiv:2501.00003", title, original.abstract, original.authors, original.categories)
    index.update([twin])
    found = similar(index, original.key, limit=5)
    assert found[0].key == twin.key
    assert found[0].score > 0.9
    assert found[0].score > found[1].score
    assert original.key not in [r.key for r in found]
    assert {"diffusion", "latent"} & set(found[0].why)
    among = [keys_of("rl")[0], twin.key]
    assert [r.key for r in similar(index, original.key, among=among)] == [twin.key, keys_of("rl")[0]]
    assert similar(index, "arxiv:not-here") == []


# ---- the cache ----------------------------------------------------------------------------------------------------


def test_save_and_load_give_the_same_scores(index: RankingIndex, tmp_path: Path) -> None:
    folder = tmp_path / "index" / "ranking"
    index.update([NEW_DIFFUSION])
    index.remove([keys_of("other")[0]])
    index.save(folder, generation=41)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / INDEX_FILE).stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == [INDEX_FILE]  # no temporary file left
    loaded = RankingIndex.load(folder)
    assert loaded is not None
    again, generation = loaded
    assert generation == 41
    assert sorted(again.keys()) == sorted(index.keys())
    keys = index.keys()
    before = TasteModel.fit(index, starred_diffusion())
    after = TasteModel.fit(again, starred_diffusion())
    assert after.score(keys) == pytest.approx(before.score(keys), abs=1e-5)
    assert after.why(NEW_DIFFUSION.key) == before.why(NEW_DIFFUSION.key)
    # The loaded index goes on learning new papers as the first one would.
    index.update([NEW_PARSING])
    again.update([NEW_PARSING])
    assert again.features(NEW_PARSING.key) == pytest.approx(index.features(NEW_PARSING.key))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "other format", "foreign zip", "bad rows"])
def test_a_damaged_or_foreign_cache_is_not_loaded(index: RankingIndex, tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "ranking"
    index.save(folder, generation=3)
    path = folder / INDEX_FILE
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(os.urandom(4096))
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "foreign zip":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("notes.txt", "not an index")
    else:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
        if damage == "other format":
            arrays["meta"] = np.frombuffer(b'{"format": 999, "generation": 3}', np.uint8)
        else:
            arrays["indices"] = arrays["indices"] + 10**6  # columns that do not exist
        with open(path, "wb") as f:
            np.savez(f, **arrays)
    assert RankingIndex.load(folder) is None
    assert RankingIndex.load(tmp_path / "missing") is None


# ---- update and remove --------------------------------------------------------------------------------------------


def test_a_paper_added_later_is_scored_and_ranked_and_a_removed_one_forgotten(index: RankingIndex) -> None:
    model = TasteModel.fit(index, starred_diffusion())
    assert NEW_DIFFUSION.key not in index
    assert np.isnan(model.score([NEW_DIFFUSION.key])[0])
    n = len(index)
    index.update([NEW_DIFFUSION])
    assert NEW_DIFFUSION.key in index and len(index) == n + 1
    # A model fitted before the paper came scores it too; so does one fitted after.
    for m in (model, TasteModel.fit(index, starred_diffusion())):
        ranked = m.rank([*keys_of("parsing"), NEW_DIFFUSION.key])
        assert ranked[0].key == NEW_DIFFUSION.key
        assert "diffusion" in ranked[0].why or "denoising" in ranked[0].why
    # A changed paper replaces its old row.
    changed = RankItem(NEW_DIFFUSION.key, "Dependency Parsing of Tweets", NEW_PARSING.abstract, (), ("cs.CL",))
    index.update([changed])
    assert len(index) == n + 1
    assert "diffusion" not in index.features(NEW_DIFFUSION.key)
    index.remove([NEW_DIFFUSION.key, "arxiv:never-there"])
    assert NEW_DIFFUSION.key not in index and len(index) == n
    assert np.isnan(model.score([NEW_DIFFUSION.key])[0])
    assert NEW_DIFFUSION.key not in [r.key for r in model.rank([*index.keys(), NEW_DIFFUSION.key])]
    assert NEW_DIFFUSION.key not in [r.key for r in similar(index, items()[0].key, limit=50)]


def test_a_new_topic_counts_from_its_first_paper(index: RankingIndex) -> None:
    first = RankItem("arxiv:2501.00010", "Selective State Space Models", "Mamba layers scan long sequences.")
    second = RankItem("arxiv:2501.00011", "Mamba for Vision", "Mamba layers replace attention in vision backbones.")
    index.update([first])
    index.update([second])
    assert "mamba" in index.features(second.key)
    model = TasteModel.fit(index, {**starred_diffusion(), first.key: STAR_WEIGHT})
    assert "mamba" in model.why(second.key, 4)


# ---- words --------------------------------------------------------------------------------------------------------


def test_words_fold_endings_but_keep_what_papers_write() -> None:
    assert stem("models") == stem("model") == stem("modeling")
    assert stem("denoising") == stem("denoise")
    assert stem("studies") == stem("study")
    assert stem("biases") == stem("bias")
    assert stem("embedded") == stem("embed")
    assert stem("loss") == "loss" and stem("analysis") == "analysis"
    assert words("The Self-Supervised models of 2024, with 3D data and it's 100x faster") == [
        "self-supervised", "models", "3d", "data", "faster",
    ]  # fmt: skip
    assert fold_name("Benoît  Sagot") == fold_name("BENOIT SAGOT") == "benoit sagot"
