"""Refit the link model's weights on a benchmark split and print them for ``dedup/relate.py``.

usage: python benchmarks/fit_link_model.py [--bench ../shared/bench] [--split dev]

Candidate pairs come from the engine itself (the same channels and evidence the batch job
uses); a pair is positive when the gold puts both documents in one lineage. Pairs with an
unknown gold lineage (METER) are left out. Positives are weighted up five times, because a
missed link costs a whole document's place while the grouping step already guards against
weak links merging lineages.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedup.corpus import read_corpus  # noqa: E402
from dedup.engine import Engine  # noqa: E402
from dedup.relate import evidence_vector  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    parser.add_argument("--split", default="dev")
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    args = parser.parse_args()
    split = Path(args.bench) / args.split
    if not (split / "gold.jsonl").exists():
        print(f"benchmark split not found at {split}: nothing to fit")
        return 0
    from sklearn.linear_model import LogisticRegression

    gold = {g["id"]: g for g in map(json.loads, open(split / "gold.jsonl"))}
    documents = read_corpus(str(split / "corpus.jsonl"), warn=lambda m: None)
    engine = Engine()
    engine.learn_boilerplate(documents)
    engine.add_many(documents)
    pairs = [(a, b) for a, b in engine.candidate_pairs() if gold[a]["lineage"] and gold[b]["lineage"]]
    evidence = engine.pair_evidence(pairs)
    rows, labels = [], []
    for (a, b), ev in zip(pairs, evidence):
        if not ev.same_language:
            continue
        vector = evidence_vector(ev, engine.documents[a].features.length, engine.documents[b].features.length)
        rows.append(list(vector.values()))
        labels.append(gold[a]["lineage"] == gold[b]["lineage"])
    names = list(vector)
    model = LogisticRegression(C=args.C, max_iter=5000, class_weight={False: 1, True: 5})
    model.fit(np.array(rows), np.array(labels))
    print(f"# fitted on {len(rows)} candidate pairs ({sum(labels)} positive) of {split}")
    print("LINK_WEIGHTS: dict[str, float] = {")
    for name, weight in zip(names, model.coef_[0]):
        print(f'    "{name}": {weight:.2f},')
    print("}")
    print(f"LINK_INTERCEPT = {model.intercept_[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
