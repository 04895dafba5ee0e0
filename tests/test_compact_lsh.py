"""CompactLSH answers every query as datasketch's MinHashLSH does, at a fraction of the memory."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from dedup.compact_lsh import CompactLSH
from dedup.sketch import Sketcher


def _families(count: int, seed: int) -> list[np.ndarray]:
    """Random hash sets in families sharing between none and nearly all of their members,
    so every threshold sees matches and near misses."""
    rng = np.random.default_rng(seed)
    sets = []
    while len(sets) < count:
        base = rng.integers(0, 2**63, size=int(rng.integers(20, 200)), dtype=np.uint64)
        for _ in range(int(rng.integers(1, 6))):
            near_copy = rng.random() < 0.3
            keep = base[rng.random(len(base)) < (0.97 if near_copy else rng.uniform(0.05, 1.0))]
            extra = rng.integers(0, 2**63, size=int(rng.integers(0, 3 if near_copy else 80)), dtype=np.uint64)
            sets.append(np.unique(np.concatenate([keep, extra])))
    return sets[:count]


def _both(threshold: float, num_perm: int, **compact_options) -> tuple[MinHashLSH, CompactLSH]:
    return MinHashLSH(threshold=threshold, num_perm=num_perm), CompactLSH(threshold, num_perm, **compact_options)


@pytest.mark.parametrize("threshold", [0.1, 0.15, 0.5, 0.8])
@pytest.mark.parametrize("buffer_size", [1, 7, 1024])
def test_queries_match_datasketch(threshold: float, buffer_size: int) -> None:
    sketcher = Sketcher(128)
    sketches = [sketcher.minhash(s) for s in _families(400, seed=int(threshold * 100) + buffer_size)]
    theirs, ours = _both(threshold, 128, buffer_size=buffer_size, max_buffer_size=max(buffer_size, 64))
    assert (ours.b, ours.r) == (theirs.b, theirs.r)
    for k, sketch in enumerate(sketches[:300]):
        theirs.insert(f"doc-{k}", sketch)
        ours.insert(f"doc-{k}", sketch)
        if k % 37 == 0:  # queries between inserts see what was just inserted
            assert sorted(ours.query(sketch)) == sorted(theirs.query(sketch))
    several = 0
    for sketch in sketches:
        expected = sorted(theirs.query(sketch))
        assert sorted(ours.query(sketch)) == expected
        several += len(expected) > 1
    assert several  # the families produced matches beyond each document itself


def test_removal_and_reinsertion_match_datasketch() -> None:
    sketcher = Sketcher(64)
    sketches = [sketcher.minhash(s) for s in _families(300, seed=3)]
    theirs, ours = _both(0.3, 64, buffer_size=16, max_buffer_size=16)
    for k, sketch in enumerate(sketches):
        theirs.insert(k, sketch)
        ours.insert(k, sketch)
    for k in range(0, 300, 3):
        theirs.remove(k)
        ours.remove(k)
    for k in range(0, 300, 9):  # back, under another document's signature
        theirs.insert(k, sketches[(k + 1) % 300])
        ours.insert(k, sketches[(k + 1) % 300])
    for sketch in sketches:
        assert sorted(ours.query(sketch)) == sorted(theirs.query(sketch))
    ours.compact()
    for sketch in sketches:
        assert sorted(ours.query(sketch)) == sorted(theirs.query(sketch))
    indexed = list(theirs.keys.keys())  # datasketch's key storage, not a dict
    assert len(ours) == len(indexed) and all(k in ours for k in indexed)


def test_accepts_datasketch_minhash_and_bulk_loads() -> None:
    minhashes = MinHash.bulk(np.random.default_rng(0).integers(0, 30, size=(100, 10)), num_perm=128)
    theirs = MinHashLSH(threshold=0.5, num_perm=128)
    ours = CompactLSH(threshold=0.5, num_perm=128)
    for k, m in enumerate(minhashes):
        theirs.insert(k, m)
    ours.insert_many(enumerate(minhashes))
    for m in minhashes:
        assert sorted(ours.query(m)) == sorted(theirs.query(m))


def test_refuses_what_datasketch_refuses() -> None:
    lsh = CompactLSH(threshold=0.5, num_perm=128)
    sketch = Sketcher(128).minhash(np.arange(10, dtype=np.uint64))
    lsh.insert("a", sketch)
    with pytest.raises(ValueError, match="already in the index"):
        lsh.insert("a", sketch)
    with pytest.raises(ValueError, match="not in the index"):
        lsh.remove("b")
    with pytest.raises(ValueError, match="expecting a MinHash of 128 permutations"):
        lsh.query(Sketcher(64).minhash(np.arange(10, dtype=np.uint64)))
    with pytest.raises(ValueError, match="threshold"):
        CompactLSH(threshold=1.5)
    with pytest.raises(ValueError, match="did you forget to specify num_perm"):
        CompactLSH(num_perm=16, params=(8, 4))


def test_holds_a_tenth_of_datasketchs_memory_or_less() -> None:
    import tracemalloc

    sketcher = Sketcher(128)
    sketches = [sketcher.minhash(s) for s in _families(600, seed=11)]
    keys = [f"doc-{k}" for k in range(len(sketches))]
    sizes = {}
    for name, make in (("datasketch", lambda: MinHashLSH(0.1, 128)), ("compact", lambda: CompactLSH(0.1, 128))):
        tracemalloc.start()
        index = make()
        for key, sketch in zip(keys, sketches):
            index.insert(key, sketch)
        if name == "compact":
            index.compact()
        sizes[name] = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del index
    assert sizes["compact"] * 10 < sizes["datasketch"]


def test_bulk_loads_in_a_session_match_datasketch() -> None:
    sketcher = Sketcher(128)
    sketches = [sketcher.minhash(s) for s in _families(500, seed=21)]
    theirs, ours = _both(0.15, 128, buffer_size=8, max_buffer_size=8)
    for k in range(100):  # some already merged, some in the buffer
        theirs.insert(k, sketches[k])
        ours.insert(k, sketches[k])
    with ours.insertion_session():
        ours.insert_many((k, sketches[k]) for k in range(100, 300))
        ours.insert_many((k, sketches[k].hashvalues) for k in range(300, 500))  # raw hash values too
        for k in range(50, 450, 7):  # removed before the bulk loads are merged
            ours.remove(k)
        assert ours._bulk  # nothing merged yet
    assert not ours._bulk
    for k in range(100, 500):
        theirs.insert(k, sketches[k])
    for k in range(50, 450, 7):
        theirs.remove(k)
    for sketch in sketches:
        assert sorted(ours.query(sketch)) == sorted(theirs.query(sketch))
    before = len(ours)
    with pytest.raises(ValueError, match="already in the index"):
        ours.insert_many([("fresh", sketches[0]), ("fresh", sketches[1])])
    with pytest.raises(ValueError, match="already in the index"):
        ours.insert_many([("fresh", sketches[0]), (3, sketches[1])])
    assert len(ours) == before and "fresh" not in ours


@pytest.mark.parametrize("max_entries", [1, 50, 4_000_000])
def test_pairs_are_what_querying_every_document_finds(max_entries: int) -> None:
    """The self-join of the buckets finds the pairs one query per indexed document finds,
    after removals and re-insertions, whatever the size of its chunks."""
    sketcher = Sketcher(128)
    sets = _families(300, seed=11)
    lsh = CompactLSH(0.3, 128, buffer_size=16)
    for k, hashes in enumerate(sets):
        lsh.insert(k, sketcher.minhash(hashes))
    for k in range(0, 300, 7):
        lsh.remove(k)
    for k in range(0, 300, 14):  # back, with another document's set
        lsh.insert(k, sketcher.minhash(sets[k + 1]))
    signature = {k: sets[k + 1] if k % 14 == 0 else sets[k] for k in lsh.keys()}
    position = {key: n for n, key in enumerate(lsh.keys())}
    queried = {
        (min(position[key], position[other]), max(position[key], position[other]))
        for key in lsh.keys()
        for other in lsh.query(sketcher.minhash(signature[key]))
        if other != key
    }
    pairs = lsh.pairs(max_entries=max_entries)
    assert len(queried) > 100
    assert sorted(queried) == [tuple(p) for p in pairs.tolist()]  # once each, sorted
    assert CompactLSH(0.3, 128).pairs().shape == (0, 2)


@pytest.mark.parametrize("buffer_size", [1, 16, 1024])
def test_a_bucket_cap_answers_with_the_latest_keys_of_each_bucket(buffer_size: int) -> None:
    """With ``bucket_cap``, a query takes the ``bucket_cap`` keys of each bucket inserted
    last, whether merged into the arrays or still pending; without it, all of them."""
    sketcher = Sketcher(128)
    copy = sketcher.minhash(np.arange(100, dtype=np.uint64))  # thirty copies: every bucket shared
    capped = CompactLSH(0.3, 128, buffer_size=buffer_size, max_buffer_size=max(buffer_size, 16), bucket_cap=4)
    whole = CompactLSH(0.3, 128, buffer_size=buffer_size, max_buffer_size=max(buffer_size, 16))
    for k in range(30):
        capped.insert(k, copy)
        whole.insert(k, copy)
    assert sorted(capped.query(copy)) == [26, 27, 28, 29]
    assert sorted(whole.query(copy)) == list(range(30))
    capped.remove(28)  # a removed key is not answered
    assert 28 not in capped.query(copy) and len(capped.query(copy)) <= 4
    with pytest.raises(ValueError, match="bucket_cap"):
        CompactLSH(0.3, 128, bucket_cap=0)


@pytest.mark.parametrize("max_entries", [1, 50, 4_000_000])
def test_capped_pairs_are_what_querying_each_document_before_inserting_it_finds(max_entries: int) -> None:
    """With ``bucket_cap``, the self-join pairs each key with the ``bucket_cap`` keys
    inserted just before it in each bucket: what querying each document just before
    inserting it finds, one at a time, in families large enough for buckets to exceed the
    cap, bulk loaded in two parts."""
    sketcher = Sketcher(128)
    sets = _families(200, seed=5)
    sets += [sets[0][: len(sets[0]) - k % 4] for k in range(40)]  # a story with forty versions
    one_by_one = CompactLSH(0.3, 128, buffer_size=8, bucket_cap=3)
    queried = set()
    for k, hashes in enumerate(sets):
        queried |= {(other, k) for other in one_by_one.query(sketcher.minhash(hashes))}
        one_by_one.insert(k, sketcher.minhash(hashes))
    bulk = CompactLSH(0.3, 128, bucket_cap=3)
    with bulk.insertion_session():
        bulk.insert_many((k, sketcher.minhash(h)) for k, h in enumerate(sets[:120]))
        bulk.insert_many((k, sketcher.minhash(h)) for k, h in enumerate(sets[120:], start=120))
    pairs = bulk.pairs(max_entries=max_entries)
    uncapped = CompactLSH(0.3, 128)
    uncapped.insert_many((k, sketcher.minhash(h)) for k, h in enumerate(sets))
    assert len(uncapped.pairs()) > len(queried) + 500  # the cap binds
    assert sorted(queried) == [tuple(p) for p in pairs.tolist()]


@pytest.fixture
def directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queries through the directory of hash prefixes, which only large indexes use."""
    monkeypatch.setattr("dedup.compact_lsh._DIRECTORY_MIN_ENTRIES", 0)


@pytest.mark.parametrize("threshold", [0.15, 0.5])
def test_queries_through_the_directory_match_datasketch(directory: None, threshold: float) -> None:
    sketcher = Sketcher(128)
    sketches = [sketcher.minhash(s) for s in _families(500, seed=int(threshold * 100))]
    theirs, ours = _both(threshold, 128, buffer_size=64, max_buffer_size=64)
    for k, sketch in enumerate(sketches):
        theirs.insert(k, sketch)
        ours.insert(k, sketch)
        if k % 53 == 0:  # between merges: the directory is rebuilt after each
            assert sorted(ours.query(sketch)) == sorted(theirs.query(sketch))
    for sketch in sketches:
        assert sorted(ours.query(sketch)) == sorted(theirs.query(sketch))
    assert ours._directory is not None


@pytest.mark.parametrize("gather_max", [1024, 100, 64])
def test_crowded_buckets_and_a_pickled_index_answer_as_datasketch(
    directory: None, monkeypatch: pytest.MonkeyPatch, gather_max: int
) -> None:
    """Buckets of 120 and 70 identical sketches fill their directory slots beyond the query's
    window: each such slot is compared whole (up to ``gather_max`` hashes) or binary-searched
    within its bounds (beyond it). The directory is left out of a pickle and rebuilt."""
    import pickle

    monkeypatch.setattr("dedup.compact_lsh._SLOT_GATHER_MAX", gather_max)
    sketcher = Sketcher(128)
    crowd = sketcher.minhash(np.arange(50, dtype=np.uint64))
    other_crowd = sketcher.minhash(np.arange(1000, 1060, dtype=np.uint64))
    sketches = [crowd] * 120 + [sketcher.minhash(s) for s in _families(300, seed=11)] + [other_crowd] * 70
    theirs, ours = _both(0.5, 128)
    ours.insert_many((k, s) for k, s in enumerate(sketches))
    for k, sketch in enumerate(sketches):
        theirs.insert(k, sketch)
    for sketch in sketches[119:200] + sketches[-2:]:
        assert sorted(ours.query(sketch, whole_buckets=True)) == sorted(theirs.query(sketch))
    assert len(ours.query(crowd)) == 120 and ours._directory is not None
    assert len(ours.query(other_crowd, whole_buckets=True)) == 70
    restored = pickle.loads(pickle.dumps(ours))
    assert restored._directory is None
    for sketch in sketches[100:200]:
        assert sorted(restored.query(sketch)) == sorted(ours.query(sketch))
