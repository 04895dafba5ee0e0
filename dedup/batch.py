"""The batch deduplication job: index a whole corpus, then resolve every lineage.

The costliest steps that need no shared state run in worker processes: the features of each
document, its sketches, and for each range of documents its candidate pairs, their screening
and evidence. Workers are forked once the state they read is complete (the boilerplate model
for features, the term statistics of the whole corpus for sketches, the whole index for the
pairs), so they inherit it instead of receiving it, and each returns
exactly what one process would have computed: the placements do not depend on the number of
workers.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace

import numpy as np

from .candidates import split_signature_rows
from .document import Document
from .embedding import lead
from .engine import SKETCH_CHUNK, Engine, EngineConfig, Progress, _no_progress
from .evidence import PairEvidence
from .features import Features, pack_features, story_lines, unpack_features
from .heap import collector_paused, release_free_memory
from .lineage import Placement
from .link_table import LinkTable

__all__ = ["default_workers", "index_corpus", "run_batch"]

#: Below this many documents (or pairs) one process is faster than starting workers.
PARALLEL_MIN_ITEMS = 200

# What forked workers read: set in the parent just before the pool is forked.
_shared: dict[str, object] = {}


def default_workers() -> int:
    """One worker per core."""
    return os.cpu_count() or 1


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _chunks(total: int, workers: int, per_worker: int = 4) -> list[tuple[int, int]]:
    """``[start, end)`` bounds: ``per_worker`` chunks per worker, so a slow one does not hold
    the rest up."""
    size = max(1, -(-total // (workers * per_worker)))
    return [(start, min(total, start + size)) for start in range(0, total, size)]


def _boilerplate_chunk(bounds: tuple[int, int]) -> list[tuple[dict[str, int], dict[str, dict[int, int]]]]:
    engine: Engine = _shared["engine"]  # type: ignore[assignment]
    documents: Sequence[Document] = _shared["documents"]  # type: ignore[assignment]
    # A model of this chunk's own: a worker may take more than one chunk.
    model = replace(engine.boilerplate, _line_counts=defaultdict(Counter), _documents=Counter())
    for doc in documents[bounds[0] : bounds[1]]:
        model.observe(story_lines(doc.text), doc.source)
    return [model.counts()]


def _features_chunk(bounds: tuple[int, int]) -> list[dict[str, object]]:
    engine: Engine = _shared["engine"]  # type: ignore[assignment]
    documents: Sequence[Document] = _shared["documents"]  # type: ignore[assignment]
    return [pack_features([engine.features_of(doc) for doc in documents[bounds[0] : bounds[1]]])]


def _evidence_chunk(bounds: tuple[int, int]) -> list[PairEvidence]:
    engine: Engine = _shared["engine"]  # type: ignore[assignment]
    pairs: list[tuple[str, str]] = _shared["pairs"]  # type: ignore[assignment]
    args, kwargs = _shared["arguments"]  # type: ignore[misc]
    return Engine.pair_evidence(engine, pairs[bounds[0] : bounds[1]], *args, **kwargs)


def _links_chunk(bounds: tuple[int, int]) -> list[tuple[LinkTable, set[tuple[str, str]], int]]:
    engine: _ParallelEngine = _shared["engine"]  # type: ignore[assignment]
    engine.workers = 1  # this process is a worker: it measures its pairs itself
    links, proposed, measured = engine.links_proposed_by(bounds[0], bounds[1], _shared["leads"])  # type: ignore[arg-type]
    return [(LinkTable.of(links, _shared["position"]), proposed, measured)]  # type: ignore[arg-type]


def _cosines_chunk(bounds: tuple[int, int]) -> list[np.ndarray]:
    engine: Engine = _shared["engine"]  # type: ignore[assignment]
    pairs: np.ndarray = _shared["pairs"]  # type: ignore[assignment]
    return [Engine._position_cosines(engine, pairs[bounds[0] : bounds[1]])]


def _placements_chunk(bounds: tuple[int, int]) -> list[list[Placement]]:
    engine: Engine = _shared["engine"]  # type: ignore[assignment]
    lineages = _shared["lineages"]
    return [list(Engine._oriented(engine, lineages.components, lineages.links_of, bounds[0], bounds[1]).values())]  # type: ignore[attr-defined]


def _balanced_ranges(weights: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Consecutive ranges of ``weights``' positions, up to ``parts`` of them, each holding
    about as much weight as the others (a lineage of hundreds of documents is a range of
    its own)."""
    total = int(weights.sum())
    cuts = np.searchsorted(np.cumsum(weights), total * np.arange(1, parts) / parts, side="right")
    edges = sorted({0, len(weights), *cuts.tolist()})
    return [(a, z) for a, z in zip(edges, edges[1:]) if z > a]


def _embed_chunk(bounds: tuple[int, int]) -> list:
    engine: Engine = _shared["engine"]  # type: ignore[assignment]
    texts: list[str] = _shared["texts"]  # type: ignore[assignment]
    return list(Engine._embed(engine, texts[bounds[0] : bounds[1]]))


def _sketch_chunk(bounds: tuple[int, int]) -> list[dict[str, np.ndarray]]:
    engine: Engine = _shared["engine"]  # type: ignore[assignment]
    features: Sequence[Features] = _shared["features"]  # type: ignore[assignment]
    return [engine.candidates.signature_rows(features[bounds[0] : bounds[1]], engine.tfidf)]


def _in_workers(work, total: int, workers: int, shared: dict[str, object], progress: Progress, stage: str, per_worker: int = 4) -> list:  # type: ignore[no-untyped-def]
    """Run ``work`` over chunks of ``range(total)`` in forked workers (``per_worker`` chunks
    each), results in order."""
    results: list = []
    for (start, end), chunk in _streamed_in_workers(work, _chunks(total, workers, per_worker), workers, shared):
        results.extend(chunk)
        progress(stage, end, total)
    return results


def _streamed_in_workers(work, chunks: list[tuple[int, int]], workers: int, shared: dict[str, object]) -> Iterator[tuple[tuple[int, int], list]]:  # type: ignore[no-untyped-def]
    """Each of ``chunks`` with what ``work`` returned for it in a forked worker, in order, as
    the workers finish them (the caller can use each before the next arrives).

    The parent's objects are frozen out of the garbage collector's reach while the workers
    live: a collection in a worker would otherwise write to the header of every object it
    inherited and so copy every page of the index (``gc.freeze``'s documented use)."""
    _shared.update(shared)
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from zip(chunks, pool.imap(work, chunks))
    finally:
        gc.unfreeze()
        _shared.clear()


class _ParallelEngine(Engine):
    """An engine whose sketches and lead embeddings are computed by forked workers, a chunk
    of documents each, whose candidate pairs are found, screened and measured by them, a
    range of documents each, and whose lineages they place, a range of lineages each."""

    workers: int = 1
    progress: Progress = staticmethod(_no_progress)

    def pair_evidence(self, pairs: list[tuple[str, str]], *args, **kwargs) -> list[PairEvidence]:  # type: ignore[no-untyped-def]
        """:meth:`Engine.pair_evidence`, chunks of ``pairs`` in workers (further arguments,
        such as per-pair hints, are inherited by the workers as they are)."""
        if self.workers < 2 or len(pairs) < PARALLEL_MIN_ITEMS:
            return super().pair_evidence(pairs, *args, **kwargs)
        shared = {"engine": self, "pairs": pairs, "arguments": (args, kwargs)}
        return _in_workers(_evidence_chunk, len(pairs), self.workers, shared, self.progress, "evidence")

    def _lexical_links(
        self, leads: dict[tuple[str, str], tuple[float, int]], progress: Progress = _no_progress
    ) -> tuple[LinkTable, set[tuple[str, str]], int]:
        """:meth:`Engine.links_proposed_by`, ranges of documents in workers, which query the
        channels, screen and measure their pairs and return only the links, packed. (Querying
        in this process and measuring in workers left one core idle for most of the candidate
        stage, the costliest of a large corpus.)"""
        total = len(self.documents)
        if self.workers < 2 or total < PARALLEL_MIN_ITEMS:
            return super()._lexical_links(leads, progress)
        self._weighted_rows()  # the TF-IDF rows the workers screen with, computed once, here,
        self._screened_pairs(progress)  # and the candidate pairs they take ranges of, screened
        release_free_memory()  # the screen's scratch, which the workers could not use
        tables: list[LinkTable] = []
        proposed: set[tuple[str, str]] = set()
        measured = 0
        shared = {"engine": self, "leads": leads, "position": self._positions()}
        # Earlier documents have more later ones to pair with: many small ranges even the load.
        for table, chunk_proposed, chunk_measured in _in_workers(
            _links_chunk, total, self.workers, shared, progress, "candidates", per_worker=16
        ):
            tables.append(table)
            proposed |= chunk_proposed
            measured += chunk_measured
        return LinkTable.concatenate(tables), proposed, measured

    def place_table(self, table: LinkTable, progress: Progress = _no_progress) -> dict[str, Placement]:
        """:meth:`Engine.place_table`, the lineages oriented by workers, consecutive ranges of
        them each (the links turned into objects there): one process spent 80 s of the 1M
        generated batch's 602 s on it."""
        if self.workers < 2 or len(table) < PARALLEL_MIN_ITEMS:
            return super().place_table(table, progress)
        lineages = self._table_lineages(table)
        weights = lineages.link_counts() + np.fromiter(map(len, lineages.components), dtype=np.int64, count=len(lineages.components))
        ranges = _balanced_ranges(weights, self.workers * 16)
        shared = {"engine": self, "lineages": lineages}
        placements: dict[str, Placement] = {}
        for (_, end), (chunk,) in _streamed_in_workers(_placements_chunk, ranges, self.workers, shared):
            placements.update((p.id, p) for p in chunk)
            progress("lineages", end, len(lineages.components))
        return placements

    def _position_cosines(self, pairs: np.ndarray) -> np.ndarray:
        """:meth:`Engine._position_cosines`, chunks of ``pairs`` in workers: the cosine screen
        of every proposed pair, before the workers take ranges of documents, was a tenth of
        a large corpus's candidate stage on one core."""
        if self.workers < 2 or len(pairs) < PARALLEL_MIN_ITEMS * 100:
            return super()._position_cosines(pairs)
        self._weighted_rows()  # computed once, here, and inherited
        shared = {"engine": self, "pairs": pairs}
        chunks = _in_workers(_cosines_chunk, len(pairs), self.workers, shared, _no_progress, "screen", per_worker=2)
        return np.concatenate(chunks)

    def _sketch_chunks(self, features: Sequence[Features]) -> Iterator[list[dict[str, np.ndarray]]]:
        """:meth:`Engine._sketch_chunks`, the chunks sketched by workers, which inherit the
        term statistics of the whole batch (the sketch stage was a fifth of indexing the 19k
        Reuters texts in one process)."""
        if self.workers < 2 or len(features) < PARALLEL_MIN_ITEMS:
            yield from super()._sketch_chunks(features)
            return
        chunks = [(start, min(start + SKETCH_CHUNK, len(features))) for start in range(0, len(features), SKETCH_CHUNK)]
        shared = {"engine": self, "features": features}
        for (start, end), (rows,) in _streamed_in_workers(_sketch_chunk, chunks, self.workers, shared):
            yield split_signature_rows(rows, end - start)

    def ensure_vectors(self, progress: Progress = _no_progress) -> None:
        """:meth:`Engine.ensure_vectors`, the leads embedded by workers (each loads its own
        model: the embedding model is the costliest step of a multilingual batch)."""
        missing = self.unembedded()
        if self.workers < 2 or len(missing) < PARALLEL_MIN_ITEMS:
            return super().ensure_vectors(progress)
        texts = [d.document.text for d in missing]
        shared = {"engine": self, "texts": texts}
        # Small chunks: a chunk of leads takes seconds (about 19 leads/s per core), and with four
        # chunks per worker one worker sat idle for up to a chunk at the end.
        embedded = _in_workers(_embed_chunk, len(texts), self.workers, shared, self.progress, "embed", per_worker=32)
        self.set_vectors(missing, embedded)
        # A caching embedder's workers kept what they computed in their own copies of the cache.
        remember = getattr(self.config.embedder, "remember", None)
        if remember is not None:
            remember([lead(t, self.config.lead_words) for t in texts], embedded)


def index_corpus(
    documents: Sequence[Document],
    config: EngineConfig = EngineConfig(),
    progress: Progress = _no_progress,
    *,
    workers: int | None = None,
) -> Engine:
    """An engine holding every document of ``documents``, indexed as the batch job indexes
    them before it resolves their lineages.

    Boilerplate is learned from the whole corpus first, so the first document of an outlet is
    cleaned as well as its last. ``workers`` processes (default: one per core) count the
    recurring lines and compute the features and the sketches where the platform can fork;
    the index is the same for any number of workers (the sketches come after the term
    statistics of the whole corpus, which the rare-word channel reads).

    The engine answers queries as the service does, e.g. which indexed documents a new text
    derives from:

    >>> wire = "Rebels entered Aleppo on Friday after a two-day offensive, a monitor said."
    >>> engine = index_corpus([Document(id="wire", text=wire)], EngineConfig(embedder=None))
    >>> [(m.id, round(m.evidence.cosine, 2)) for m in engine.links_for(Document(id="paper", text=wire + " More follows."))]
    [('wire', 0.84)]
    """
    workers = _checked_workers(workers)
    with collector_paused():  # the index is millions of objects and no garbage cycles
        engine = _ParallelEngine(config)
        engine.workers = workers
        engine.progress = progress
        features = None
        if workers > 1 and len(documents) >= PARALLEL_MIN_ITEMS:
            shared = {"engine": engine, "documents": documents}
            # Each worker counts the lines of its part; the parts' counts add up to the whole's
            # (one process took 3.4 s of the 200k generated batch's 88 s on it, the workers idle).
            for counts in _in_workers(_boilerplate_chunk, len(documents), workers, shared, progress, "boilerplate", per_worker=1):
                engine.boilerplate.merge(counts)
            packed = _in_workers(_features_chunk, len(documents), workers, shared, progress, "features")
            features = [f for chunk in packed for f in unpack_features(chunk)]
        else:
            engine.learn_boilerplate(documents)
        engine.add_many(documents, progress, features=features)
        release_free_memory()  # the build's scratch, before the next step's workers fork
        return engine


def run_batch(
    documents: Sequence[Document],
    config: EngineConfig = EngineConfig(),
    progress: Progress = _no_progress,
    *,
    workers: int | None = None,
) -> dict[str, Placement]:
    """Place every document of ``documents`` in its lineage.

    The corpus is indexed by :func:`index_corpus`; ``workers`` processes (default: one per
    core) then also find and measure the candidate pairs where the platform can fork. The
    result is the same for any number of workers.
    """
    workers = _checked_workers(workers)
    with collector_paused():
        engine = index_corpus(documents, config, progress, workers=workers)
        return engine.resolve(progress)


def _checked_workers(workers: int | None) -> int:
    """``workers``, one per core when ``None``, and 1 where processes cannot be forked."""
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    return workers if _can_fork() else 1
