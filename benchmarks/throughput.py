"""Throughput, latency, memory and batch cost of the engine, beside the documented default path.

usage: python benchmarks/throughput.py [--parts index,score,memory,batch,plot,restart]
       [--indexed 10000[,100000]] [--queries 500] [--batch-sizes 10000[,...]] [--workers N]
       [--restart-sizes 10000[,...]] [--restart-copies K]
       [--memory-docs 10000] [--no-record] [--reuters ../shared/bench/reuters21578.jsonl]

Every figure of the engine is measured in the same run as the same work done the documented
default way, so each is also a ratio:

- ``index``: documents/s indexing the Reuters bodies end to end. Engine: boilerplate model,
  normalise, features, sketches, LSH channels, TF-IDF statistics (no durable store: that is
  the service's), as the batch job indexes a corpus (:func:`dedup.batch.index_corpus`), in
  one process and with ``--workers`` processes (features and sketches in workers). Default
  (one process): ``MinHash(num_perm=128)`` updated shingle by shingle with sha1,
  ``MinHashLSH.insert``, then ``TfidfVectorizer`` fitted on the whole corpus.
- ``score``: in-process latency p50/p99 and queries/s of ``Engine.links_for`` on held-out
  documents of the scale corpus with N documents indexed; default: sha1 MinHash of the query,
  ``MinHashLSH.query``, ``TfidfVectorizer.transform`` and ``cosine_similarity`` against the
  candidates.
- ``memory``: bytes per indexed document (tracemalloc) of the whole engine, of its candidate
  channels, of datasketch's in-memory ``MinHashLSH`` with the same channels, and of
  :class:`dedup.compact_lsh.CompactLSH` when present.
- ``batch``: ``run_batch`` on generated scale corpora: seconds, documents/s and recall of the
  generated lineages (see ``scale_corpus.py``).
- ``plot``: batch seconds against corpus size, as a PNG beside RESULTS.md (one per run).
- ``restart``: a persisted index (:class:`dedup.service.LineageIndex` over SQLite) of each
  ``--restart-sizes`` scale corpus, opened again two ways: replaying every stored write, and
  from the engine snapshot a graceful stop writes (:mod:`dedup.snapshot`); with the time to
  write the snapshot and its size. One process; the documents are loaded in one transaction.
  With ``--restart-copies K``, each index is also replicated K times into a synthetic snapshot
  (new ids, same lineages) whose load is timed: a 1M-document restart without indexing 1M
  documents through the service.

``--monolingual`` measures the English pipeline alone (no language identification, no
translation channel: ``EngineConfig(embedder=None, detect_languages=False)``); both corpora are
English, but a few Reuters tables are identified as other languages, which turns the
translation channel on for the whole corpus.

Figures are printed and appended to ``benchmarks/RESULTS.md`` as a dated section with the
machine and package versions (``--no-record`` to skip). Without the Reuters corpus the script
says so and exits 0.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import re
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scale_corpus import DEFAULT_REUTERS, generate, lineage_recall, load_reuters

from dedup.batch import default_workers, index_corpus, run_batch
from dedup.document import Document, document_from_mapping
from dedup.engine import Engine, EngineConfig

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
PLOT = ROOT / "benchmarks" / "batch_cost.png"
DEFAULT_THRESHOLD = 0.5
NUM_PERM = 128
_WORD = re.compile(r"(?u)\b\w\w+\b")  # TfidfVectorizer's default token pattern


# -- the machine ---------------------------------------------------------------------------------
def machine() -> dict:
    """CPU model, cores, RAM, Python and the versions of the packages measured."""
    cpu = "unknown"
    ram = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    versions = {}
    for package in ("datasketch", "numpy", "scipy", "scikit-learn", "xxhash", "syndication-dedup"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "absent"
    return {
        "commit": _commit(),
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "ram_gb": round(ram / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "versions": versions,
    }


def _commit() -> str:
    """The commit measured: ``git rev-parse`` of this checkout (marked when dedup/ has
    uncommitted changes), or ``$DEDUP_COMMIT`` for an exported copy (``git archive``)."""
    import subprocess

    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "dedup"], capture_output=True, text=True, check=False).stdout.strip()
        return head + (" with uncommitted changes in dedup/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("DEDUP_COMMIT", "unknown")


# -- the default path ----------------------------------------------------------------------------
def default_minhash(text: str):
    """datasketch's documented way: word 3-gram shingles fed one by one to a sha1 MinHash."""
    from datasketch import MinHash

    tokens = _WORD.findall(text.lower())
    shingles = {" ".join(tokens[k : k + 3]) for k in range(max(1, len(tokens) - 2))}
    sketch = MinHash(num_perm=NUM_PERM)
    for shingle in shingles:
        sketch.update(shingle.encode("utf-8"))
    return sketch


class DefaultPath:
    """MinHashLSH over sha1 MinHash, then TfidfVectorizer + cosine_similarity on candidates."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        from datasketch import MinHashLSH

        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self.ids: list[str] = []

    def index(self, documents: Sequence[Document]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        for doc in documents:
            self.lsh.insert(doc.id, default_minhash(doc.text))
        self.ids = [d.id for d in documents]
        self.row = {doc_id: k for k, doc_id in enumerate(self.ids)}
        self.vectorizer = TfidfVectorizer(sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform([d.text for d in documents])

    def query(self, doc: Document) -> list[tuple[str, float]]:
        from sklearn.metrics.pairwise import cosine_similarity

        found = [k for k in self.lsh.query(default_minhash(doc.text)) if k != doc.id]
        if not found:
            return []
        rows = [self.row[k] for k in found]
        cosines = cosine_similarity(self.vectorizer.transform([doc.text]), self.matrix[rows]).ravel()
        return sorted(zip(found, cosines.tolist()), key=lambda kv: -kv[1])


# -- helpers -------------------------------------------------------------------------------------
def _reuters_documents(path: Path, limit: int | None = None) -> list[Document]:
    docs = []
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            docs.append(document_from_mapping(json.loads(line)))
            if limit and len(docs) >= limit:
                break
    return docs


def _scale_documents(size: int, stories: list[dict], seed: int = 1) -> tuple[list[Document], list[dict]]:
    documents, truth = [], []
    for record, row in generate(size, seed, stories=stories):
        documents.append(document_from_mapping(record))
        truth.append(row)
    return documents, truth


def _timed(work: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def _latencies(work: Callable[[Document], object], queries: Sequence[Document]) -> dict:
    seconds = []
    for doc in queries:
        started = time.perf_counter()
        work(doc)
        seconds.append(time.perf_counter() - started)
    ms = np.array(seconds) * 1000
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "per_s": len(ms) / (ms.sum() / 1000),
    }


# -- the parts -----------------------------------------------------------------------------------
def measure_index(reuters: Path, config: EngineConfig, workers: Sequence[int] = (1,)) -> dict:
    """Documents/s indexing every Reuters body: the engine as the batch job indexes a corpus
    (:func:`dedup.batch.index_corpus`) with each count of ``workers`` processes, and the
    default path (one process)."""
    documents = _reuters_documents(reuters)
    words = sum(len(d.text.split()) for d in documents) / len(documents)
    n = len(documents)
    default_s, _ = _timed(lambda: DefaultPath().index(documents))
    engine = []
    for count in sorted(set(workers) | {1}):
        seconds, _ = _timed(lambda count=count: index_corpus(documents, config, workers=count))
        engine.append({"workers": count, "seconds": seconds, "docs_per_s": n / seconds, "ratio": default_s / seconds})
        print(f"  index, {count} process(es): {seconds:.1f} s, {n / seconds:.0f} docs/s", flush=True)
    return {
        "documents": n,
        "words_per_document": words,
        "engine": engine,
        "default_s": default_s,
        "default_docs_per_s": n / default_s,
    }


def measure_score(indexed: int, queries: int, stories: list[dict], config: EngineConfig) -> dict:
    """Latency of scoring held-out scale-corpus documents against ``indexed`` documents."""
    documents, _ = _scale_documents(indexed + queries, stories)
    held = set(random.Random(7).sample(range(len(documents)), queries))
    index_docs = [d for k, d in enumerate(documents) if k not in held]
    query_docs = [d for k, d in enumerate(documents) if k in held]
    engine = Engine(config)
    engine.learn_boilerplate(index_docs)
    build_s, _ = _timed(lambda: engine.add_many(index_docs))
    default = DefaultPath()
    default_build_s, _ = _timed(lambda: default.index(index_docs))
    for doc in query_docs[:20]:  # warm caches (IDF, imports) outside the measurement
        engine.links_for(doc)
        default.query(doc)
    ours = _latencies(engine.links_for, query_docs)
    theirs = _latencies(default.query, query_docs)
    return {
        "indexed": len(index_docs),
        "queries": len(query_docs),
        "engine_build_s": build_s,
        "default_build_s": default_build_s,
        "engine": ours,
        "default": theirs,
        "ratio": ours["per_s"] / theirs["per_s"],
    }


def _traced(build: Callable[[], object]) -> tuple[int, object]:
    """Bytes still allocated after ``build()`` (tracemalloc), and what it built."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    built = build()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, built


def measure_memory(count: int, reuters: Path, config: EngineConfig) -> dict:
    """Bytes per indexed document: the engine, its LSH channels, datasketch's LSH, CompactLSH."""
    from datasketch import MinHashLSH

    documents = _reuters_documents(reuters, count)
    text_bytes = sum(len(d.text.encode("utf-8")) for d in documents)
    engine = Engine(config)
    engine.learn_boilerplate(documents)

    def build_engine() -> Engine:
        # Features are computed inside the trace: they are most of what the engine holds (the
        # documents, and so their text, were allocated before it).
        built = Engine(config)
        built.boilerplate = engine.boilerplate
        built.add_many(documents)
        return built

    engine_bytes, built = _traced(build_engine)
    feature_bytes, _ = _traced(lambda: [engine.features_of(d) for d in documents])
    channels = built.candidates.channels
    sketches = [built.candidates.sketches(built.documents[d.id].features, built.tfidf) for d in documents]
    keys = [d.id for d in documents]

    def perms(channel: object) -> int:
        return channel.num_perm or NUM_PERM  # the rare-word channel sketches with its own count

    def build_lsh(make: Callable[[object], object], chosen: Sequence[object] = channels) -> dict:
        index = {c.name: make(c) for c in chosen}
        for key, sketch in zip(keys, sketches):
            for name, lsh in index.items():
                lsh.insert(key, sketch[name])
        return index

    datasketch_bytes, _ = _traced(lambda: build_lsh(lambda c: MinHashLSH(threshold=c.threshold, num_perm=perms(c))))
    # The default path's one channel, as it would hold the engine's channels of its own size.
    same_size = [c for c in channels if perms(c) == NUM_PERM]
    default_bytes, _ = _traced(lambda: build_lsh(lambda c: MinHashLSH(threshold=DEFAULT_THRESHOLD, num_perm=NUM_PERM), same_size))
    n = len(documents)
    figures = {
        "documents": n,
        "text_bytes_per_doc": text_bytes / n,
        "engine_bytes_per_doc": engine_bytes / n,
        "features_bytes_per_doc": feature_bytes / n,
        "channels": [c.name for c in channels],
        "datasketch_lsh_bytes_per_doc": datasketch_bytes / n,
        "datasketch_lsh_default_threshold_bytes_per_doc": default_bytes / n / len(same_size),
    }
    try:
        from dedup.compact_lsh import CompactLSH
    except ImportError:
        return figures
    def build_compact() -> dict:
        index = build_lsh(lambda c: CompactLSH(threshold=c.threshold, num_perm=perms(c)))
        for lsh in index.values():
            lsh.compact()
        return index

    compact_bytes, compact = _traced(build_compact)
    datasketch = build_lsh(lambda c: MinHashLSH(threshold=c.threshold, num_perm=perms(c)))
    probes = sketches[: min(2000, n)]

    def query_all(index: dict) -> None:
        for sketch in probes:
            for name, lsh in index.items():
                lsh.query(sketch[name])

    datasketch_s, _ = _timed(lambda: query_all(datasketch))
    compact_s, _ = _timed(lambda: query_all(compact))
    figures["datasketch_query_us"] = datasketch_s / len(probes) * 1e6
    figures["compact_query_us"] = compact_s / len(probes) * 1e6
    figures["compact_lsh_bytes_per_doc"] = compact_bytes / n
    figures["compact_lsh_nbytes_per_doc"] = sum(lsh.nbytes for lsh in compact.values()) / n
    figures["compact_ratio"] = datasketch_bytes / max(1, compact_bytes)
    return figures


def measure_batch(
    sizes: Sequence[int], stories: list[dict], workers: Sequence[int], config: EngineConfig
) -> list[dict]:
    """``run_batch`` on scale corpora of each size: seconds, documents/s, recall."""
    rows = []
    for size, count in ((size, count) for size in sizes for count in workers):
        documents, truth = _scale_documents(size, stories)
        stages: dict[str, float] = {}
        started = time.perf_counter()

        def progress(stage: str, done: int, total: int, stages: dict = stages, started: float = started) -> None:
            if done == total:
                stages[stage] = time.perf_counter() - started

        gc.collect()
        placements = run_batch(documents, config, progress=progress, workers=count)
        seconds = time.perf_counter() - started
        recall = lineage_recall(truth, {k: p.lineage_id for k, p in placements.items()})
        row = {"size": size, "workers": count, "seconds": seconds, "docs_per_s": size / seconds, "stages": stages, **recall}
        print(f"  batch {size}, {count} workers: {seconds:.1f} s, {size / seconds:.0f} docs/s, derived recall "
              f"{recall['derived_recall']:.3f}, pair recall {recall['pair_recall']:.3f}", flush=True)
        rows.append(row)
    return rows


def measure_restart(sizes: Sequence[int], stories: list[dict], config: EngineConfig, copies: int = 0) -> list[dict]:
    """For each size, a persisted index of that many scale-corpus documents, opened again by
    replaying the store and from the engine snapshot; with ``copies`` > 1, also the time to
    read a snapshot of that index replicated ``copies`` times (:func:`_replicated_snapshot`)."""
    import tempfile

    from dedup.service import LineageIndex
    from dedup.store import SQLiteStore

    rows = []
    for size in sizes:
        documents, _ = _scale_documents(size, stories)
        with tempfile.TemporaryDirectory() as data:
            index = LineageIndex(SQLiteStore(data), config=config, save_on_close=False)
            load_s, _ = _timed(lambda index=index: _load_in_one_transaction(index, documents))
            save_s, _ = _timed(index.save_snapshot)
            index.close()
            snapshot = Path(data) / SQLiteStore.SNAPSHOT_NAME
            replay_s, replayed = _timed(lambda: LineageIndex(SQLiteStore(data), config=config, snapshots=False))
            replayed_documents = len(replayed)
            replayed.close()
            del replayed
            restore_s, restored = _timed(lambda: LineageIndex(SQLiteStore(data), config=config, save_on_close=False))
            assert restored.restored_from_snapshot > 0 and len(restored) == replayed_documents == size
            row = {
                "size": size, "load_s": load_s, "replay_s": replay_s, "snapshot_s": restore_s,
                "save_s": save_s, "snapshot_mb": snapshot.stat().st_size / 1e6, "ratio": replay_s / restore_s,
            }
            if copies > 1:
                row["replicated"] = _replicated_snapshot(restored, copies, Path(data) / "replicated.snapshot")
            restored.close()
            del restored
            rows.append(row)
        print("  restart:", json.dumps(rows[-1]), flush=True)
    return rows


def _replicated_snapshot(index: object, copies: int, path: Path) -> dict:
    """A synthetic snapshot of ``copies`` times ``index``'s documents and links (the copies
    under new ids, with their own arrays and strings), written with ``write_snapshot`` and
    timed while ``read_snapshot`` loads it: the load of an index ``copies`` times larger,
    without indexing one through the service, which takes hours at 1M documents. Its lineages
    are as large as the original's, so it holds fewer links than a real corpus of that size.
    Reaches into the index's engine and link graph (a benchmark, not an API)."""
    from dataclasses import replace as replaced

    from dedup.engine import Engine, IndexedDocument
    from dedup.features import Features
    from dedup.link_graph import LinkGraph
    from dedup.snapshot import read_snapshot, write_snapshot
    from dedup.tfidf import TermCounts

    engine, graph = index._engine, index._graph  # type: ignore[attr-defined]
    signatures = {k: engine.candidates.signatures(r.features, engine.tfidf) for k, r in engine.documents.items()}
    documents: dict[str, IndexedDocument] = {}
    for copy in range(copies):
        for key, r in engine.documents.items():
            new_id = f"{key}~{copy}"
            f = r.features
            text = f.text if copy == 0 else (f.text + " ")[:-1]  # a string of its own
            features = Features(
                text, f.token_hashes.copy(), f.shingles.copy(), f.content_words.copy(), f.numbers,
                f.content_sequence.copy(), f.quotations, f.names, f.sentences, f.title_words,
            )
            document = replaced(r.document, id=new_id, text=(r.document.text + " ")[:-1])
            counts = TermCounts(r.counts.indices.copy(), r.counts.data.copy())
            documents[new_id] = IndexedDocument(document, features, counts, len(documents), r.language)
    candidates = Engine(engine.config).candidates
    with candidates.insertion_session():
        candidates.insert_many((f"{k}~{c}", s) for c in range(copies) for k, s in signatures.items())
    state = {**engine.indexed_state(), "documents": documents, "candidates": candidates, "_next_order": len(documents)}
    replicated = Engine.from_indexed_state(engine.config, state)
    links = graph.__getstate__()
    nodes, rows = len(links["ids"]), len(links["values"])
    big = LinkGraph()
    big.__setstate__({
        "ids": [f"{d}~{c}" for c in range(copies) for d in links["ids"]],
        "degrees": np.tile(links["degrees"], copies),
        "others": np.concatenate([links["others"] + c * nodes for c in range(copies)]),
        "rows": np.concatenate([links["rows"] + c * rows for c in range(copies)]),
        "ends": np.concatenate([links["ends"] + c * nodes for c in range(copies)]),
        "values": np.tile(links["values"], (copies, 1)),
        "fields": links["fields"],
    })
    del documents, candidates, state, links
    size, link_count = len(replicated.documents), big.link_count()
    write_s, _ = _timed(lambda: write_snapshot(path, replicated, seq=1, kind="index", doc_id="-", beside={"links": big}))
    replicated = big = None  # freed before the load is timed
    read_s, restored = _timed(lambda: read_snapshot(path, engine.config, lambda *event: True))
    assert restored is not None and len(restored.engine.documents) == size
    return {"documents": size, "links": link_count, "write_s": write_s, "read_s": read_s, "mb": path.stat().st_size / 1e6}


def _load_in_one_transaction(index: object, documents: Sequence[Document]) -> None:
    with index.store.transaction(write=True):  # type: ignore[attr-defined]
        for doc in documents:
            index.add(doc)  # type: ignore[attr-defined]


def plot(batch: list[dict], path: Path) -> Path | None:
    """Batch seconds against corpus size (log-log), with linear growth for reference."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[dev]'): no plot")
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for count in sorted({r["workers"] for r in batch}):
        rows = [r for r in batch if r["workers"] == count]
        sizes = np.array([r["size"] for r in rows], dtype=float)
        seconds = np.array([r["seconds"] for r in rows])
        ax.loglog(sizes, seconds, "o-", label=f"dedup batch, {count} worker{'s' if count > 1 else ''}")
        for size, sec in zip(sizes, seconds):
            ax.annotate(f"{sec:.0f} s", (size, sec), textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.loglog(sizes, seconds[0] * sizes / sizes[0], ":", color="grey", label="linear in size")
    ax.axhline(600, color="red", lw=0.8, ls="--", label="10 minutes")
    ax.set_xlabel("documents in the generated corpus")
    ax.set_ylabel("seconds")
    ax.set_title("Batch cost against corpus size")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# -- the record ----------------------------------------------------------------------------------
def _load_line(start: float | None, end: float | None, cores: int) -> str:
    """The load averages around the run, with a warning when other work shared the cores."""
    shown = ["unknown" if value is None else f"{value:.1f}" for value in (start, end)]
    busy = any(value is not None and value > cores for value in (start, end))
    warning = " (above the core count: other processes shared the cores, and every figure is pessimistic)" if busy else ""
    return f"Load average (1 min) at the start: {shown[0]}, at the end: {shown[1]}{warning}."


def report(figures: dict, command: str) -> str:
    """The Markdown section appended to RESULTS.md."""
    m = figures["machine"]
    lines = [
        f"## {figures['when']} - throughput.py",
        "",
        f"`{command}`",
        "",
        f"Code: {m['commit']}; engine: {figures['engine']}. Machine: {m['cpu']}, {m['nproc']} cores, {m['ram_gb']} GB RAM; Python {m['python']} ({m['platform']}).",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
        _load_line(m["load_average"], figures.get("load_at_end"), m["nproc"]),
        "",
    ]
    if "index" in figures:
        f = figures["index"]
        lines += [
            f"Indexing, {f['documents']} Reuters bodies ({f['words_per_document']:.0f} words on average):",
            "",
            "| path | processes | seconds | documents/s | ratio to default |",
            "| --- | ---: | ---: | ---: | ---: |",
            *(
                f"| engine, `index_corpus` (boilerplate, normalise, features, sketches, 2 LSH channels, TF-IDF statistics) "
                f"| {e['workers']} | {e['seconds']:.1f} | {e['docs_per_s']:.0f} | {e['ratio']:.2f}x |"
                for e in f["engine"]
            ),
            f"| default (sha1 MinHash per shingle, MinHashLSH({DEFAULT_THRESHOLD}), TfidfVectorizer fit) | 1 | {f['default_s']:.1f} | {f['default_docs_per_s']:.0f} | |",
            "",
        ]
    for f in figures.get("score", []):
        e, d = f["engine"], f["default"]
        lines += [
            f"In-process score, {f['indexed']} scale-corpus documents indexed, {f['queries']} held-out queries (one thread):",
            "",
            "| path | p50 ms | p99 ms | queries/s |",
            "| --- | ---: | ---: | ---: |",
            f"| engine `links_for` (candidates + evidence + link decision) | {e['p50_ms']:.2f} | {e['p99_ms']:.2f} | {e['per_s']:.0f} |",
            f"| default (sha1 MinHash, LSH query, TfidfVectorizer.transform, cosine_similarity) | {d['p50_ms']:.2f} | {d['p99_ms']:.2f} | {d['per_s']:.0f} |",
            f"| ratio engine / default | | | {f['ratio']:.2f}x |",
            "",
            f"(building the index: engine {f['engine_build_s']:.1f} s, default {f['default_build_s']:.1f} s)",
            "",
        ]
    if "memory" in figures:
        f = figures["memory"]
        lines += [
            (
                f"Memory per indexed document (tracemalloc), {f['documents']} Reuters bodies "
                f"({f['text_bytes_per_doc']:.0f} bytes of text each):"
            ),
            "",
            "| structure | bytes/doc |",
            "| --- | ---: |",
            f"| whole engine beyond the documents' text (`Features`, term counts, LSH channels, IDF) | {f['engine_bytes_per_doc']:.0f} |",
            f"| of which `Features` (cleaned text, hash arrays, figures, names and title words) | {f['features_bytes_per_doc']:.0f} |",
            f"| datasketch MinHashLSH, the engine's channels ({', '.join(f['channels'])}) | {f['datasketch_lsh_bytes_per_doc']:.0f} |",
            f"| datasketch MinHashLSH({DEFAULT_THRESHOLD}), one channel (default path) | {f['datasketch_lsh_default_threshold_bytes_per_doc']:.0f} |",
        ]
        if "compact_lsh_bytes_per_doc" in f:
            lines += [
                f"| CompactLSH, the engine's channels (tracemalloc; arrays alone: {f['compact_lsh_nbytes_per_doc']:.0f}) | {f['compact_lsh_bytes_per_doc']:.0f} |",
                f"| ratio datasketch / CompactLSH | {f['compact_ratio']:.1f}x |",
                "",
                (
                    f"LSH query alone (both channels): datasketch {f['datasketch_query_us']:.0f} us, "
                    f"CompactLSH {f['compact_query_us']:.0f} us."
                ),
            ]
        lines.append("")
    if figures.get("batch"):
        lines += [
            "Batch job (`run_batch`) on generated scale corpora:",
            "",
            "| documents | workers | seconds | documents/s | derived recall | pair recall | pair precision (lower bound) | recall cut / update / reorder / cut of copy |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for r in figures["batch"]:
            by = r["by_edit"]
            lines.append(
                f"| {r['size']} | {r['workers']} | {r['seconds']:.1f} | {r['docs_per_s']:.0f} | {r['derived_recall']:.3f} "
                f"| {r['pair_recall']:.3f} | {r['pair_precision']:.3f} | "
                + " / ".join(f"{by.get(e, float('nan')):.3f}" for e in ("cut", "update", "reorder", "cut_of_copy"))
                + " |"
            )
        lines.append("")
        stages = "; ".join(
            f"{r['size']} x {r['workers']}: " + ", ".join(f"{s} at {t:.0f} s" for s, t in r["stages"].items()) for r in figures["batch"]
        )
        lines += [f"Stages (time at which each ended): {stages}.", ""]
    if figures.get("plot"):
        lines += [f"![batch cost against corpus size]({Path(figures['plot']).name})", ""]
    if figures.get("restart"):
        lines += [
            "Restart of a persisted index (`LineageIndex` over SQLite, one process), scale corpora:",
            "",
            "| documents | indexed in | restart replaying the store | restart from the engine snapshot | ratio | snapshot written in | snapshot size |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in figures["restart"]:
            lines.append(
                f"| {r['size']} | {r['load_s']:.1f} s | {r['replay_s']:.1f} s | {r['snapshot_s']:.1f} s | {r['ratio']:.1f}x "
                f"| {r['save_s']:.1f} s | {r['snapshot_mb']:.0f} MB |"
            )
        lines.append("")
        replicated = [r for r in figures["restart"] if "replicated" in r]
        if replicated:
            lines += [
                "Synthetic snapshots, each index above replicated (`--restart-copies`; new ids, same lineages), read back by `read_snapshot`:",
                "",
                "| from | documents | links | snapshot size | written in | **loaded in** |",
                "| ---: | ---: | ---: | ---: | ---: | ---: |",
            ]
            for r in replicated:
                x = r["replicated"]
                lines.append(
                    f"| {r['size']} | {x['documents']} | {x['links']} | {x['mb']:.0f} MB | {x['write_s']:.1f} s | **{x['read_s']:.1f} s** |"
                )
            lines.append("")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="index,score,memory,batch,plot")
    parser.add_argument("--indexed", default="10000", help="indexed documents for score latency (comma-separated)")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--memory-docs", type=int, default=10_000)
    parser.add_argument("--batch-sizes", default="10000", help="scale-corpus sizes for the batch job (comma-separated)")
    parser.add_argument("--workers", default=None, help="worker processes of run_batch and index_corpus, comma-separated (default: one per core)")
    parser.add_argument("--restart-sizes", default="10000", help="persisted index sizes for the restart part (comma-separated)")
    parser.add_argument(
        "--restart-copies", type=int, default=0,
        help="also load a snapshot of each restart index replicated this many times (e.g. 10: 100k -> 1M)",
    )
    parser.add_argument("--monolingual", action="store_true", help="no language identification or translation channel")
    parser.add_argument("--reuters", default=str(DEFAULT_REUTERS))
    parser.add_argument("--results", default=str(RESULTS))
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args(argv)
    reuters = Path(args.reuters)
    if not reuters.exists():
        print(f"Reuters corpus not found at {reuters}: nothing to measure (it is not part of the repository)")
        return 0
    parts = set(args.parts.split(","))
    config = EngineConfig(embedder=None, detect_languages=False) if args.monolingual else EngineConfig()
    workers = [int(w) for w in args.workers.split(",")] if args.workers else [default_workers()]
    figures: dict = {
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "engine": "monolingual (embedder=None, detect_languages=False)" if args.monolingual else "default EngineConfig()",
    }
    print(json.dumps(figures["machine"]), flush=True)
    stories = load_reuters(reuters)
    if "index" in parts:
        figures["index"] = measure_index(reuters, config, workers)
        print("index:", json.dumps(figures["index"]), flush=True)
    if "memory" in parts:
        figures["memory"] = measure_memory(args.memory_docs, reuters, config)
        print("memory:", json.dumps(figures["memory"]), flush=True)
    if "score" in parts:
        figures["score"] = []
        for indexed in (int(n) for n in args.indexed.split(",")):
            figures["score"].append(measure_score(indexed, args.queries, stories, config))
            print("score:", json.dumps(figures["score"][-1]), flush=True)
    if "batch" in parts:
        figures["batch"] = measure_batch([int(n) for n in args.batch_sizes.split(",")], stories, workers, config)
    if "restart" in parts:
        sizes = [int(n) for n in args.restart_sizes.split(",")]
        figures["restart"] = measure_restart(sizes, stories, config, args.restart_copies)
    if "plot" in parts and figures.get("batch"):
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
        made = plot(figures["batch"], Path(args.results).with_name(f"{PLOT.stem}-{stamp}{PLOT.suffix}"))
        figures["plot"] = str(made) if made else None
    figures["load_at_end"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    section = report(figures, "python benchmarks/throughput.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    print()
    print(section)
    if not args.no_record:
        results = Path(args.results)
        if not results.exists():
            results.write_text("# Benchmark results\n\nAppended by the scripts of `benchmarks/`, newest last.\n\n")
        with results.open("a", encoding="utf-8") as out:
            out.write(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
