"""datasketch-compatible MinHash signatures (dedup/sketch.py)."""

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

from dedup.sketch import Sketcher


def _random_set(seed: int, size: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.unique(rng.integers(0, np.iinfo(np.uint64).max, size=size, dtype=np.uint64, endpoint=True))


def _datasketch(values: np.ndarray, num_perm: int, seed: int = 1) -> MinHash:
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda x: int(x) & 0xFFFFFFFF)
    m.update_batch(list(values))
    return m


@pytest.mark.parametrize("num_perm", [2, 16, 128, 256])
@pytest.mark.parametrize("set_seed", [0, 1, 2])
def test_signature_bit_identical_to_datasketch(num_perm, set_seed):
    values = _random_set(set_seed, size=1 + 97 * (set_seed + 1))
    ours = Sketcher(num_perm).signature(values)
    theirs = _datasketch(values, num_perm).hashvalues
    assert ours.dtype == np.uint32
    assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_signature_identical_for_other_seeds(seed):
    values = _random_set(seed, 300)
    assert np.array_equal(Sketcher(64, seed=seed).signature(values), _datasketch(values, 64, seed).hashvalues)


def test_signature_with_extreme_values():
    values = np.array([0, 1, 0xFFFFFFFF, 0x100000000, np.iinfo(np.uint64).max], dtype=np.uint64)
    assert np.array_equal(Sketcher(128).signature(values), _datasketch(values, 128).hashvalues)


def test_only_low_32_bits_matter():
    low = np.array([5, 6, 7], dtype=np.uint64)
    high = low | np.uint64(0xABCD_0000_0000)
    assert np.array_equal(Sketcher(32).signature(low), Sketcher(32).signature(high))


def test_signature_is_deterministic():
    values = _random_set(3, 200)
    assert np.array_equal(Sketcher(128).signature(values), Sketcher(128).signature(values.copy()))


def test_different_seeds_give_different_signatures():
    values = _random_set(4, 200)
    assert not np.array_equal(Sketcher(64, seed=1).signature(values), Sketcher(64, seed=2).signature(values))


def test_empty_input_is_all_max_like_an_empty_datasketch_minhash():
    empty = np.empty(0, dtype=np.uint64)
    sig = Sketcher(16).signature(empty)
    assert sig.dtype == np.uint32
    assert np.all(sig == np.iinfo(np.uint32).max)
    assert np.array_equal(sig, MinHash(num_perm=16, seed=1).hashvalues)
    assert len(Sketcher(16).minhash(empty).hashvalues) == 16


def test_minhash_is_a_lean_minhash_equal_to_datasketch():
    values = _random_set(5, 500)
    lean = Sketcher(128).minhash(values)
    assert isinstance(lean, LeanMinHash)
    assert lean.seed == 1 and len(lean) == 128
    assert np.array_equal(lean.hashvalues, _datasketch(values, 128).hashvalues)
    assert lean.jaccard(LeanMinHash(_datasketch(values, 128))) == 1.0


def _overlapping(shared: int, only_a: int, only_b: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    pool = _random_set(seed, (shared + only_a + only_b) * 2)[: shared + only_a + only_b]
    pool = np.random.default_rng(seed).permutation(pool)
    common, a_only, b_only = pool[:shared], pool[shared : shared + only_a], pool[shared + only_a :]
    return np.sort(np.concatenate([common, a_only])), np.sort(np.concatenate([common, b_only]))


@pytest.mark.parametrize(("shared", "only"), [(1000, 0), (600, 200), (300, 350), (100, 450), (0, 500)])
def test_jaccard_estimate_is_close_to_exact(shared, only):
    a, b = _overlapping(shared, only, only, seed=shared + only)
    exact = len(np.intersect1d(a, b)) / len(np.union1d(a, b))
    sketcher = Sketcher(256)
    estimate = sketcher.minhash(a).jaccard(sketcher.minhash(b))
    # standard error of a 256-permutation estimate is at most 1/(2*sqrt(256)) = 0.031
    assert abs(estimate - exact) < 0.12


def test_minhash_works_in_datasketch_lsh():
    sketcher = Sketcher(128)
    base = _random_set(10, 400)
    near = np.sort(np.concatenate([base[:360], _random_set(11, 40)]))  # Jaccard about 0.82
    far = _random_set(12, 400)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    lsh.insert("base", sketcher.minhash(base))
    lsh.insert("far", sketcher.minhash(far))
    found = lsh.query(sketcher.minhash(near))
    assert "base" in found
    assert "far" not in found
    # and a datasketch MinHash of the same values finds the same key
    assert "base" in lsh.query(_datasketch(near, 128))


@pytest.mark.parametrize("num_perm", [0, 1, -5])
def test_num_perm_must_be_at_least_two(num_perm):
    with pytest.raises(ValueError, match=f"num_perm must be at least 2, got {num_perm}"):
        Sketcher(num_perm)


def test_signatures_of_many_sets_match_one_by_one() -> None:
    rng = np.random.default_rng(9)
    sets = [np.unique(rng.integers(0, 2**64 - 1, int(rng.integers(0, 400)), dtype=np.uint64, endpoint=True)) for _ in range(60)]
    sets[3] = sets[17] = np.empty(0, dtype=np.uint64)  # empty sets keep the all-max signature
    sets.append(np.unique(rng.integers(0, 2**64 - 1, 20000, dtype=np.uint64)))  # larger than a group on its own
    sketcher = Sketcher(128)
    expected = np.array([sketcher.signature(s) for s in sets])
    for group in (1, 100, 8192):
        assert (sketcher.signatures(sets, group=group) == expected).all()
    assert sketcher.signatures([]).shape == (0, 128)
