"""The batch job spread over worker processes places every document as one process does."""

from __future__ import annotations

import itertools
import random
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from dedup.batch import _can_fork, _chunks, index_corpus, run_batch
from dedup.corpus import read_corpus
from dedup.document import Document

from .conftest import SEEDS, WIRE

_MORE_WORDS = """
the government said on monday that talks with the union over pay and pensions would resume next week after
workers at the port walked out for a second day, leaving ships waiting offshore and exporters counting losses
prices of wheat and maize rose sharply in chicago as traders weighed the drought in argentina and brazil
the central bank kept its main interest rate unchanged and warned that inflation could stay high this year
police arrested three men in connection with the robbery of a jewellery shop in the city centre on friday
the company reported a net profit of million dollars for the quarter, up from a year earlier, on strong sales
officials from both countries met in geneva to discuss a ceasefire, but no agreement was reached by evening
"""


def _synthetic(stories: int = 60, seed: int = 5) -> list[Document]:
    """Wire stories with outlet copies, cuts and updates, and stories no one picked up (about 300 documents)."""
    rng = random.Random(seed)
    # English words, so that every document is identified as English (one language: no
    # translation channel, whose embeddings would make this test slow).
    vocabulary = sorted(set(re.findall(r"[a-z]+", WIRE.lower() + " " + _MORE_WORDS)))
    start = datetime(2024, 11, 29, 6, tzinfo=timezone.utc)
    documents = []
    for s in range(stories):
        paragraphs = [
            " ".join(rng.choice(vocabulary) for _ in range(rng.randint(20, 35))) + f" {rng.randint(10, 999)}."
            for _ in range(rng.randint(3, 6))
        ]
        when = start + timedelta(hours=s)
        documents.append(Document(id=f"wire-{s}", text="\n".join(paragraphs), source="wire", published_at=when))
        for c in range(rng.randint(0, 8)):
            outlet = f"outlet{rng.randrange(12)}"
            kind = rng.choice(["copy", "cut", "update"])
            body = list(paragraphs)
            if kind == "cut":
                keep = max(1, len(body) // 2)
                first = rng.randrange(len(body) - keep + 1)
                body = body[first : first + keep]
            elif kind == "update":
                body = body + [" ".join(rng.choice(vocabulary) for _ in range(20)) + "."]
            lines = [f"{outlet.upper()} NEWS", *body, f"Sign up for the {outlet} newsletter."]
            documents.append(
                Document(
                    id=f"wire-{s}.{c}",
                    text="\n".join(lines),
                    source="wire" if kind == "update" else outlet,
                    published_at=when + timedelta(minutes=10 + 7 * c),
                )
            )
    return documents


def test_chunks_cover_every_item_once() -> None:
    for total in (1, 7, 200, 1001):
        bounds = _chunks(total, 2)
        assert bounds[0][0] == 0 and bounds[-1][1] == total
        assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="workers must be at least 1"):
        run_batch([Document(id="a", text="one text")], workers=0)


needs_fork = pytest.mark.skipif(not _can_fork(), reason="worker processes are forked; this platform cannot fork")


@needs_fork
def test_two_workers_place_every_document_as_one_process() -> None:
    documents = _synthetic()
    assert len(documents) >= 200  # enough for both parallel steps to run in workers
    one = run_batch(documents, workers=1)
    two = run_batch(documents, workers=2)
    assert one == two
    assert len({p.lineage_id for p in one.values()}) < len(documents) / 2  # lineages were found


@needs_fork
def test_two_workers_place_the_seeds_as_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # Five documents in several languages: workers even for so few, to cover translations.
    monkeypatch.setattr("dedup.batch.PARALLEL_MIN_ITEMS", 1)
    seeds = read_corpus(str(SEEDS))
    one = run_batch(seeds, workers=1)
    assert run_batch(seeds, workers=2) == one
    assert len({p.lineage_id for p in one.values()}) == 1


@needs_fork
def test_workers_decide_the_links_of_one_process_in_its_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ranges of documents find, screen and measure their pairs in workers (in rounds of a
    few pairs here): the links, their evidence and their order are one process's."""
    from dedup.batch import _ParallelEngine
    from dedup.engine import Engine

    monkeypatch.setattr("dedup.engine.PAIRS_PER_ROUND", 50)
    documents = _synthetic()

    def links(engine: Engine) -> tuple[list, list]:
        engine.learn_boilerplate(documents)
        engine.add_many(documents)
        seen: list[tuple[str, int, int]] = []
        found = engine.all_links(lambda stage, done, total: seen.append((stage, done, total)))
        return [(x.a, x.b, x.strength, x.evidence) for x in found], [s for s in seen if s[0] == "candidates"]

    parallel = _ParallelEngine()
    parallel.workers = 2
    one, one_progress = links(Engine())
    two, two_progress = links(parallel)
    assert len(one) > 100
    assert two == one
    # One process reports the candidate stage once for so few documents; the workers, range by range.
    assert len(one_progress) == 1 and len(two_progress) > 8 and two_progress[-1] == one_progress[-1]


@needs_fork
def test_workers_compute_the_cosine_screen_of_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cosines of every proposed pair, computed in chunks by workers, are one process's."""
    from dedup.batch import _ParallelEngine
    from dedup.engine import Engine

    monkeypatch.setattr("dedup.batch.PARALLEL_MIN_ITEMS", 1)
    documents = _synthetic()
    one, parallel = Engine(), _ParallelEngine()
    parallel.workers = 2
    for engine in (one, parallel):
        engine.learn_boilerplate(documents)
        engine.add_many(documents)
    pairs = one._proposed_pairs()
    assert pairs is not None and len(pairs) > 1000
    assert parallel._position_cosines(pairs).tolist() == one._position_cosines(pairs).tolist()
    assert [a.tolist() for a in parallel._screened_pairs()] == [a.tolist() for a in one._screened_pairs()]


@needs_fork
def test_workers_index_a_corpus_as_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """``index_corpus`` with workers (features, and sketches in chunks of a few documents,
    each worker under the term statistics of the whole corpus) holds what one process holds:
    the same features, term counts and channel answers for every document."""
    import numpy as np

    monkeypatch.setattr("dedup.batch.SKETCH_CHUNK", 40)
    documents = _synthetic()
    stages: list[tuple[str, int, int]] = []
    one = index_corpus(documents, workers=1)
    two = index_corpus(documents, workers=2, progress=lambda *seen: stages.append(seen))
    assert list(two.documents) == list(one.documents)
    # The outlets' lines, counted by workers in parts, are the counts of one process.
    assert two.boilerplate.counts() == one.boilerplate.counts()
    assert max(two.boilerplate.counts()[1]["outlet2"].values()) >= 10  # its masthead, in each of its documents
    assert [stage for stage, _, _ in stages[:2]] == ["boilerplate", "boilerplate"]
    for doc_id, indexed in one.documents.items():
        other = two.documents[doc_id]
        assert other.features.text == indexed.features.text
        assert np.array_equal(other.features.shingles, indexed.features.shingles)
        assert np.array_equal(other.counts.indices, indexed.counts.indices)
        mine = one.candidates.signatures(indexed.features, one.tfidf)
        theirs = two.candidates.signatures(other.features, two.tfidf)
        assert all(np.array_equal(mine[name], theirs[name]) for name in mine)
        assert two.candidates.query(theirs) == one.candidates.query(mine)
    sketched = [done for stage, done, total in stages if stage == "sketch"]
    assert sketched == list(range(40, len(documents), 40)) + [len(documents)]  # chunk by chunk, as workers finish


@needs_fork
def test_workers_place_the_lineages_as_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ranges of lineages oriented by workers give one process's placements, in its order,
    with the lineage stage reported range by range."""
    from dedup.batch import _balanced_ranges, _ParallelEngine
    from dedup.engine import Engine

    monkeypatch.setattr("dedup.batch.PARALLEL_MIN_ITEMS", 1)
    documents = _synthetic()
    parallel = _ParallelEngine()
    parallel.workers = 2
    parallel.learn_boilerplate(documents)
    parallel.add_many(documents)
    table = parallel.link_table()
    seen: list[tuple[str, int, int]] = []
    two = parallel.place_table(table, lambda stage, done, total: seen.append((stage, done, total)))
    one = Engine.place_table(parallel, table)
    assert two == one and list(two) == list(one) and len(one) == len(documents)
    assert len(seen) > 8 and seen[-1][1] == seen[-1][2] and all(stage == "lineages" for stage, _, _ in seen)
    assert _balanced_ranges(np.array([5, 1, 1, 1, 1, 1, 0]), 2) == [(0, 1), (1, 7)]
    assert _balanced_ranges(np.array([1] * 10), 3) == [(0, 3), (3, 6), (6, 10)]


def test_a_worker_that_takes_two_chunks_counts_each_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pool may give one worker several chunks of the line count: each chunk's counts are
    its own (a worker counting into its copy of the engine's model sent the first chunk again
    with the second, when one worker happened to take both)."""
    from dedup import batch
    from dedup.engine import Engine

    documents = _synthetic()
    engine = Engine()
    monkeypatch.setattr(batch, "_shared", {"engine": engine, "documents": documents})
    half = len(documents) // 2
    (first,) = batch._boilerplate_chunk((0, half))
    (second,) = batch._boilerplate_chunk((half, len(documents)))  # the same process, again
    whole = Engine()
    whole.learn_boilerplate(documents)
    merged = Engine()
    merged.boilerplate.merge(first)
    merged.boilerplate.merge(second)
    assert merged.boilerplate.counts() == whole.boilerplate.counts()
    assert sum(second[0].values()) == len(documents) - half
