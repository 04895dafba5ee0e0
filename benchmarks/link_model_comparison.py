"""Would a richer link model link more of COUNTER's derived stories at the same false links?

usage: python benchmarks/link_model_comparison.py [--bench ../shared/bench] [--split dev] [--folds 5]

The deployed link model (:data:`dedup.relate.LINK_WEIGHTS`) is a logistic regression over a
dozen evidence inputs, fitted on every dataset of dev. ``counter_separation.py`` shows that the
evidence separates COUNTER's derived stories from its independent ones better in combination
than the deployed model does; this script asks the question on the population the engine
actually decides: every same-language candidate pair of the split (cosine >= the screen),
labelled by whether the gold puts both documents in one lineage (METER's unknown lineages left
out). Two models over every numeric evidence field and both lengths (the fields of
``counter_separation.COMBINED_FIELDS``) are scored out of fold, with folds by story so no story
is in both the fit and the test: a logistic regression (positives weighted 5x, as
``fit_link_model.py`` does) and scikit-learn's ``HistGradientBoostingClassifier``. For each,
at the deployed model's own count of false pairs and at twice that, it prints the true pairs
kept by dataset and the false ones by dataset, beside the deployed model at probability >= its
``min_probability``.

These are candidate pairs, not the scorer's pairwise figures: a lineage also joins pairs
through other members, and the grouping step keeps weak links from merging lineages. A
model that wins here still has to be deployed (its inputs, its screen's upper bound in
:func:`dedup.relate.cannot_link_many`) and checked with ``quality.py --halves``.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from counter_separation import COMBINED_FIELDS, _number, read_split  # noqa: E402

from dedup.engine import Engine, EngineConfig  # noqa: E402
from dedup.relate import DEFAULT_POLICY, link_probability  # noqa: E402


def candidate_table(engine: Engine, gold: dict[str, dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(inputs, labels, story groups, dataset of each pair, deployed probability) of every
    same-language candidate pair above the cosine screen whose lineages the gold knows."""
    pairs = engine.candidate_pairs()
    rows, labels, groups, datasets, deployed = [], [], [], [], []
    for (a, b), evidence in zip(pairs, engine.pair_evidence(pairs)):
        if not evidence.same_language or evidence.cosine < DEFAULT_POLICY.min_cosine:
            continue
        ga, gb = gold[a], gold[b]
        if ga["lineage"] is None or gb["lineage"] is None:
            continue
        la, lb = engine.documents[a].features.length, engine.documents[b].features.length
        rows.append([_number(getattr(evidence, f)) for f in COMBINED_FIELDS] + [np.log1p(la), np.log1p(lb)])
        labels.append(ga["lineage"] == gb["lineage"])
        groups.append(zlib.crc32(ga["story"].encode()))
        datasets.append(ga["dataset"] if ga["dataset"] == gb["dataset"] else f"{ga['dataset']}/{gb['dataset']}")
        deployed.append(link_probability(evidence, la, lb))
    return np.array(rows), np.array(labels, dtype=int), np.array(groups), np.array(datasets), np.array(deployed)


def kept(selected: np.ndarray, labels: np.ndarray, datasets: np.ndarray) -> str:
    """"true pairs by dataset; false pairs by dataset" of the ``selected`` pairs."""
    true = dict(sorted(Counter(datasets[selected & (labels == 1)].tolist()).items()))
    false = dict(sorted(Counter(datasets[selected & (labels == 0)].tolist()).items()))
    return f"{int((selected & (labels == 0)).sum())} false {false}; true {true}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    parser.add_argument("--split", default="dev")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    found = read_split(Path(args.bench) / args.split)
    if found is None:
        return 0
    gold, documents = found
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    engine = Engine(EngineConfig(embedder=None))
    engine.learn_boilerplate(documents)
    engine.add_many(documents)
    inputs, labels, groups, datasets, deployed = candidate_table(engine, gold)
    print(f"{len(labels)} same-language candidate pairs, {int(labels.sum())} in one gold lineage")
    at_deployed = deployed >= DEFAULT_POLICY.min_probability
    print(f"deployed link model, probability >= {DEFAULT_POLICY.min_probability}: {kept(at_deployed, labels, datasets)}")
    budget = int((at_deployed & (labels == 0)).sum())
    models = {
        "logistic regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000, class_weight={0: 1, 1: 5})),
        "gradient boosting": HistGradientBoostingClassifier(max_depth=4, max_iter=300, learning_rate=0.05, random_state=0),
    }
    for name, model in models.items():
        scores = cross_val_predict(model, inputs, labels, cv=GroupKFold(args.folds), groups=groups, method="predict_proba")[:, 1]
        negatives = np.sort(scores[labels == 0])[::-1]
        for allowed in (budget, 2 * budget):
            threshold = negatives[min(allowed, len(negatives) - 1)]
            print(f"{name}, out of fold, at {allowed} false pairs allowed: {kept(scores > threshold, labels, datasets)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
