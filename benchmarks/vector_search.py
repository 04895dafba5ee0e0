"""Lead-vector search of the translation channel: brute force against the per-language graphs.

The translation channel asks two things of the lead vectors (``dedup.vectors.VectorIndex``):
the ``k`` nearest leads in other languages, and, for each of those, every lead of one language
nearer than it (the lead rank). Brute force answers both with matrix-vector products over the
whole index; past ``EngineConfig.exact_vector_search_up_to`` leads (50k) an HNSW graph per
language (usearch) answers instead. This script times one lookup of each kind, both ways, at
several index sizes, and checks that the graphs find what brute force finds.

The vectors are synthetic (384-d unit vectors around story centres, three languages), because
embedding 200k real leads takes hours here: their neighbourhoods are tighter than random ones,
as leads' are. On the dev split's real leads the graphs find 99.9 % of the 50 nearest.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedup.vectors import VectorIndex  # noqa: E402

LANGUAGES = ["en", "fr", "ja"]


def lead_like_vectors(n: int, dimension: int = 384, seed: int = 0) -> np.ndarray:
    """Unit vectors around ``n // 20`` story centres: each story has leads near one another
    (cosines 0.8-0.95), and different stories are far apart."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(1, n // 20), dimension))
    vectors = centres[rng.integers(0, len(centres), n)] + 0.45 * rng.normal(size=(n, dimension))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def lookup(index: VectorIndex, query: np.ndarray, code: int, k: int) -> tuple[set[int], int]:
    """The translation channel's two questions for one query: the ``k`` nearest rows in other
    languages, then the rows of the nearest one's language above its cosine."""
    rows, sims = index.nearest_in_other_languages(query[None, :], np.array([code]), k)
    best = int(np.argmax(sims[0]))
    above, _ = index.above(query, int(index.codes[rows[0, best]]), float(sims[0, best]))
    return set(rows[0].tolist()), len(above)


def measure(n: int, queries: int, k: int) -> dict:
    vectors = lead_like_vectors(n + queries)
    index = VectorIndex(vectors.shape[1], exact_up_to=n)  # exact until switched below
    for row in range(n):
        index.add(f"d{row}", vectors[row], LANGUAGES[row % 3])
    probes = vectors[n:]
    codes = np.array([index.code_of(LANGUAGES[q % 3]) for q in range(queries)])

    def timed() -> tuple[list, list[float]]:
        answers, seconds = [], []
        for query, code in zip(probes, codes.tolist()):
            start = time.perf_counter()
            answers.append(lookup(index, query, code, k))
            seconds.append(time.perf_counter() - start)
        return answers, seconds

    exact_answers, exact_seconds = timed()
    index.exact_up_to = 0
    start = time.perf_counter()
    index.above(probes[0], 0, 1.0)  # builds the graphs
    build = time.perf_counter() - start
    graph_answers, graph_seconds = timed()
    found = sum(len(g[0] & e[0]) for g, e in zip(graph_answers, exact_answers))
    return {
        "n": n,
        "exact_ms": 1000 * float(np.median(exact_seconds)),
        "graph_ms": 1000 * float(np.median(graph_seconds)),
        "graph_p99_ms": 1000 * float(np.percentile(graph_seconds, 99)),
        "build_s": build,
        "recall": found / sum(len(e[0]) for e in exact_answers),
        "above_equal": sum(g[1] == e[1] for g, e in zip(graph_answers, exact_answers)) / queries,
    }


def report(rows: list[dict], queries: int, k: int, command: str) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=False).stdout.strip()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"\n## {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC - vector_search.py\n",
        f"`{command}`\n",
        f"Code {commit}; {os.cpu_count()} cores, Python {platform.python_version()}; load average {load:.1f}. "
        f"Synthetic 384-d lead-like vectors in three languages; {queries} lookups per size (the {k} nearest in "
        "other languages, then every lead of the nearest one's language above its cosine).\n",
        "| leads indexed | brute force, median | graphs, median / p99 | graphs built in | nearest found by the graphs | rival counts equal |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {r['n']:,} | {r['exact_ms']:.2f} ms | {r['graph_ms']:.2f} / {r['graph_p99_ms']:.2f} ms | {r['build_s']:.1f} s "
        f"| {r['recall']:.4f} | {r['above_equal']:.3f} |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000,100000", help="index sizes, comma-separated")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("-k", type=int, default=8, help="nearest leads in other languages per lookup (the engine's default)")
    parser.add_argument("--results", help="append the figures to this Markdown file (e.g. benchmarks/RESULTS.md)")
    args = parser.parse_args()
    rows = []
    for n in [int(size) for size in args.sizes.split(",")]:
        rows.append(measure(n, args.queries, args.k))
        print({key: round(value, 4) if isinstance(value, float) else value for key, value in rows[-1].items()}, flush=True)
    text = report(rows, args.queries, args.k, "python benchmarks/vector_search.py " + " ".join(sys.argv[1:]))
    print(text)
    if args.results:
        with open(args.results, "a", encoding="utf-8") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
