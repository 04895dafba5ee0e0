"""Hashed tokens and shingles (dedup/shingle.py)."""

import numpy as np
import pytest

from dedup.shingle import hash_tokens, intersection_size, shingle_hashes


def test_hash_tokens_is_deterministic_and_ordered():
    tokens = ["aleppo", "syria", "東京", "москва", "aleppo"]
    first, second = hash_tokens(tokens), hash_tokens(list(tokens))
    assert first.dtype == np.uint64 and len(first) == 5
    assert np.array_equal(first, second)
    assert first[0] == first[4]
    assert len(set(first[:4].tolist())) == 4


def test_hash_tokens_known_value():
    # xxh3_64 of b"aleppo": a fixed value, so hashes stay stable across runs and machines
    import xxhash

    assert int(hash_tokens(["aleppo"])[0]) == xxhash.xxh3_64_intdigest(b"aleppo")


def test_hash_tokens_empty():
    empty = hash_tokens([])
    assert empty.dtype == np.uint64 and len(empty) == 0


def _is_sorted_unique(a: np.ndarray) -> bool:
    return bool(np.all(a[1:] > a[:-1]))


@pytest.mark.parametrize(
    ("tokens", "n", "size"),
    [
        (list("abcdef"), 1, 6),
        (list("abcdef"), 2, 5),
        (list("abcdef"), 3, 4),
        (list("abcdef"), 5, 2),
        (list("abcabc"), 3, 3),  # abc, bca, cab
        (list("aaaa"), 2, 1),
        (list("abab"), 1, 2),
    ],
)
def test_shingle_hashes_size_sorted_unique(tokens, n, size):
    shingles = shingle_hashes(hash_tokens(tokens), n)
    assert shingles.dtype == np.uint64
    assert len(shingles) == size
    assert _is_sorted_unique(shingles)


def test_shingles_are_order_sensitive():
    abc = shingle_hashes(hash_tokens(["a", "b", "c"]), 3)
    cba = shingle_hashes(hash_tokens(["c", "b", "a"]), 3)
    bac = shingle_hashes(hash_tokens(["b", "a", "c"]), 3)
    assert len({abc[0], cba[0], bac[0]}) == 3


def test_shingles_are_deterministic():
    tokens = ["the", "fighting", "has", "killed", "more", "than", "277", "people"]
    assert np.array_equal(shingle_hashes(hash_tokens(tokens), 3), shingle_hashes(hash_tokens(tokens), 3))


def test_shingles_depend_on_n():
    h = hash_tokens(list("abcdef"))
    assert intersection_size(shingle_hashes(h, 2), shingle_hashes(h, 3)) == 0


def test_shared_run_gives_shared_shingles():
    a = hash_tokens(["rebels", "entered", "aleppo", "on", "friday", "after", "an", "offensive"])
    b = hash_tokens(["witnesses", "said", "rebels", "entered", "aleppo", "on", "friday"])
    # shared 3-grams: rebels entered aleppo / entered aleppo on / aleppo on friday
    assert intersection_size(shingle_hashes(a, 3), shingle_hashes(b, 3)) == 3


@pytest.mark.parametrize("length", [1, 2])
def test_short_document_gets_one_shingle(length):
    h = hash_tokens(["x", "y"][:length])
    assert len(shingle_hashes(h, 3)) == 1


def test_short_document_shingle_is_its_whole_token_run():
    h = hash_tokens(["x", "y"])
    assert np.array_equal(shingle_hashes(h, 3), shingle_hashes(h, 2))


def test_empty_document_has_no_shingles():
    out = shingle_hashes(hash_tokens([]), 3)
    assert out.dtype == np.uint64 and len(out) == 0


@pytest.mark.parametrize("n", [0, -1])
def test_shingle_size_below_one(n):
    with pytest.raises(ValueError, match=f"shingle size must be at least 1, got {n}"):
        shingle_hashes(hash_tokens(list("abcdefgh")), n)


@pytest.mark.parametrize("n", [6, 10])
def test_shingle_size_above_five(n):
    with pytest.raises(ValueError, match=f"shingle size must be at most 5, got {n}"):
        shingle_hashes(hash_tokens(list("abcdefghijkl")), n)


def test_intersection_size():
    a = np.array([1, 3, 5, 7], dtype=np.uint64)
    b = np.array([3, 4, 5, 8, 9], dtype=np.uint64)
    assert intersection_size(a, b) == 2
    assert intersection_size(b, a) == 2
    assert intersection_size(a, a) == 4
    assert intersection_size(a, np.empty(0, dtype=np.uint64)) == 0
    assert intersection_size(np.empty(0, dtype=np.uint64), b) == 0
    assert intersection_size(a, np.array([2, 4], dtype=np.uint64)) == 0


def test_intersection_size_large_values():
    top = np.iinfo(np.uint64).max
    a = np.array([1, top - 1, top], dtype=np.uint64)
    b = np.array([top], dtype=np.uint64)
    assert intersection_size(a, b) == 1


def test_shingle_size_above_five_refused_for_short_documents_too():
    with pytest.raises(ValueError, match="shingle size must be at most 5"):
        shingle_hashes(hash_tokens(["a", "b"]), 6)


def test_intersection_sizes_agree_with_one_pair_at_a_time():
    import numpy as np

    from dedup.shingle import intersection_size, intersection_sizes

    rng = np.random.default_rng(7)
    query = np.unique(rng.integers(0, 200, size=60).astype(np.uint64))
    others = [np.unique(rng.integers(0, 200, size=n).astype(np.uint64)) for n in (0, 1, 30, 120)]
    others.append(query.copy())
    assert intersection_sizes(query, others).tolist() == [intersection_size(query, o) for o in others]
    assert intersection_sizes(np.empty(0, dtype=np.uint64), others).tolist() == [0] * len(others)
    assert intersection_sizes(query, []).size == 0


def test_sorted_unique_is_np_unique():
    from dedup.shingle import sorted_unique

    rng = np.random.default_rng(2)
    for size in (0, 1, 2, 9, 500):
        for dtype in (np.uint32, np.uint64, np.int64):
            values = rng.integers(0, 40, size).astype(dtype)
            unique = sorted_unique(values)
            assert unique.dtype == values.dtype and unique.tolist() == np.unique(values).tolist()


def test_unique_counts_and_first_are_np_uniques():
    from dedup.shingle import unique_counts, unique_first

    rng = np.random.default_rng(4)
    for size in (0, 1, 2, 9, 500):
        values = rng.integers(0, 30, size).astype(np.uint32)
        expected_values, expected_counts = np.unique(values, return_counts=True)
        got_values, got_counts = unique_counts(values)
        assert got_values.tolist() == expected_values.tolist() and got_counts.tolist() == expected_counts.tolist()
        expected_values, expected_first = np.unique(values, return_index=True)  # the first occurrence
        got_values, got_first = unique_first(values)
        assert got_values.tolist() == expected_values.tolist() and got_first.tolist() == expected_first.tolist()


def test_grouped_intersection_sizes_are_each_pairs_own():
    """The batch job counts the shared hashes of thousands of pairs with different first
    documents in one pass: each count is the pair's own, empty sets and full 32-bit hashes
    included, with one first document (the score path's query) or many."""
    import numpy as np

    from dedup.shingle import grouped_intersection_sizes, intersection_size

    rng = np.random.default_rng(11)

    def hashes(n: int) -> np.ndarray:  # small values collide across sets; large ones fill 32 bits
        values = np.concatenate([rng.integers(0, 300, size=n), rng.integers(2**32 - 300, 2**32, size=n)])
        return np.unique(values).astype(np.uint32)

    queries = [hashes(n) for n in (40, 0, 5, 90)]
    others = [hashes(n) for n in (0, 1, 30, 120, 60, 7)] + [queries[0].copy(), queries[3].copy()]
    group = np.array([0, 1, 2, 3, 3, 0, 0, 3])
    assert grouped_intersection_sizes(queries, group, others).tolist() == [
        intersection_size(queries[g], o) for g, o in zip(group.tolist(), others)
    ]
    one = np.zeros(len(others), dtype=np.int64)
    assert grouped_intersection_sizes(queries[:1], one, others).tolist() == [intersection_size(queries[0], o) for o in others]
    assert grouped_intersection_sizes(queries, np.empty(0, dtype=np.int64), []).size == 0
    assert grouped_intersection_sizes([queries[1]], one, others).tolist() == [0] * len(others)


def test_grouped_intersection_sizes_refuse_hashes_wider_than_32_bits():
    """Tags take the upper 32 bits: 64-bit hashes would mix with them, so they are refused."""
    import numpy as np

    from dedup.shingle import grouped_intersection_sizes

    wide = np.array([1, 2**40], dtype=np.uint64)
    with pytest.raises(TypeError, match="uint32"):
        grouped_intersection_sizes([wide, wide], np.array([0, 1]), [wide, wide])
