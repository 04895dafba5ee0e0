"""MinHash signatures computed as arrays, identical to datasketch's ``affine32`` scheme.

datasketch's ``MinHash.update_batch`` calls a Python hash function per value; our shingles are
already hashed, so this module applies the same permutations (MurmurHash3 finaliser, then
``a * h + b mod 2**32``, from ``MinHash(num_perm, seed)``) to a whole array at once. The result
is a :class:`datasketch.LeanMinHash` that datasketch's LSH and ``jaccard`` accept unchanged; a
test checks the signatures are bit-identical to ``MinHash.update_batch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

__all__ = ["Sketcher"]

_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, as datasketch applies it before its permutations."""
    s1, m1, s2, m2 = _FMIX32
    values = values ^ (values >> s1)
    values = values * m1
    values = values ^ (values >> s2)
    values = values * m2
    return values ^ (values >> s1)


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


class Sketcher:
    """Turns sorted ``uint64`` feature hashes into datasketch-compatible MinHash signatures.

    The low 32 bits of each feature hash play the role of datasketch's ``hashfunc`` output.
    """

    def __init__(self, num_perm: int = 128, seed: int = 1) -> None:
        if num_perm < 2:
            raise ValueError(f"num_perm must be at least 2, got {num_perm}")
        self.num_perm = num_perm
        self.seed = seed
        self._a, self._b = _permutations(num_perm, seed)

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        """The ``uint32`` hash values of the MinHash of ``hashes`` (all max for an empty set)."""
        if len(hashes) == 0:
            return np.full(self.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
        low = (hashes & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        mixed = _fmix32(low)
        # One row per permutation, so the minimum runs along contiguous memory; in place
        # (integer arrays wrap around modulo 2**32 silently, as the scheme wants).
        permuted = np.multiply.outer(self._a, mixed)
        permuted += self._b[:, None]
        return permuted.min(axis=1)

    def signatures(self, hash_sets: Sequence[np.ndarray], *, group: int = 8192) -> np.ndarray:
        """:meth:`signature` of each array of ``hash_sets``, one row each (a bulk load).

        Sets are permuted together, about ``group`` hashes at a time (128 permutations of
        8192 hashes are 4 MB), and each set's minimum is taken with one ``reduceat``: a
        document's two sets hold a few hundred hashes, so one call per set spent more time
        in NumPy's per-call overhead than in the arithmetic."""
        out = np.full((len(hash_sets), self.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
        lengths = np.fromiter(map(len, hash_sets), dtype=np.int64, count=len(hash_sets))
        rows = np.flatnonzero(lengths)  # empty sets keep the all-max signature
        start = 0
        while start < len(rows):
            end = start + max(1, int(np.searchsorted(np.cumsum(lengths[rows[start:]]), group, side="right")))
            chosen = rows[start:end]
            low = np.concatenate([hash_sets[k] for k in chosen.tolist()]).astype(np.uint32)  # the low 32 bits
            permuted = np.multiply.outer(self._a, _fmix32(low))
            permuted += self._b[:, None]
            offsets = np.concatenate(([0], np.cumsum(lengths[chosen])[:-1]))
            out[chosen] = np.minimum.reduceat(permuted, offsets, axis=1).T
            start = end
        return out

    def minhash(self, hashes: np.ndarray) -> LeanMinHash:
        """A :class:`datasketch.LeanMinHash` of ``hashes``, ready for ``MinHashLSH.insert``."""
        return LeanMinHash(seed=self.seed, hashvalues=self.signature(hashes), scheme="affine32")
