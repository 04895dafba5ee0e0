"""Incremental TF-IDF: hashed term counts with document frequencies kept beside the index.

``TfidfVectorizer`` must be refitted on the whole corpus when a document arrives; a newsroom
index grows all day. Like scikit-learn's ``HashingVectorizer`` this uses a fixed,
vocabulary-free term space, but the column of a term is taken from the token hashes the
features already computed (``hash % n_features``), so text is tokenised and hashed once for
every channel. The document-frequency vector is kept here, so adding or deleting a document is
one vector addition and IDF weights are always those of the current index. The weighting is
``TfidfTransformer(sublinear_tf=True, smooth_idf=True)``'s; rows are normalised with
scikit-learn's ``normalize``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from .shingle import unique_counts

__all__ = ["IncrementalTfidf", "TermCounts", "stack"]

_INT32_MAX = int(np.iinfo(np.int32).max)


class TermCounts:
    """One document's hashed term counts: sorted, distinct columns and their counts (32-bit).

    What the index keeps per document instead of a one-row ``scipy.sparse.csr_matrix``:
    building a matrix costs about 40 µs of checks (a tenth of indexing a document) and its
    object about 400 bytes more than the two arrays; :func:`stack` makes a matrix of many rows
    when one is wanted."""

    __slots__ = ("data", "indices")

    def __init__(self, indices: np.ndarray, data: np.ndarray) -> None:
        self.indices = indices
        self.data = data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TermCounts):
            return NotImplemented
        return np.array_equal(self.indices, other.indices) and np.array_equal(self.data, other.data)

    def __getstate__(self) -> tuple[np.ndarray, np.ndarray]:
        return self.indices, self.data

    def __setstate__(self, state: tuple[np.ndarray, np.ndarray]) -> None:
        self.indices, self.data = state


def stack(rows: Sequence[TermCounts], n_features: int) -> sp.csr_matrix:
    """The rows as one ``(len(rows), n_features)`` CSR matrix of counts."""
    index_dtype = np.int32 if n_features <= _INT32_MAX else np.int64
    indptr = np.zeros(len(rows) + 1, dtype=index_dtype)
    np.cumsum([row.indices.size for row in rows], out=indptr[1:])
    indices = np.concatenate([row.indices for row in rows]).astype(index_dtype, copy=False) if rows else np.empty(0, index_dtype)
    data = np.concatenate([row.data for row in rows]) if rows else np.empty(0, np.int32)
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), n_features))


class IncrementalTfidf:
    """Hashed term counts, running document frequencies and TF-IDF cosine on demand."""

    def __init__(self, *, n_features: int = 2**20) -> None:
        if n_features < 2:
            raise ValueError(f"n_features must be at least 2, got {n_features}")
        self.n_features = n_features
        # int32: two billion documents per term are plenty, and the vector is half the size.
        self.document_frequency_ = np.zeros(n_features, dtype=np.int32)
        self.n_documents_ = 0

    def __getstate__(self) -> dict:
        # The scratch row of :meth:`cosines` is 8 MB of zeros, made again on first use.
        return {k: v for k, v in self.__dict__.items() if k != "_scratch_row"}

    def columns(self, token_hashes: np.ndarray) -> np.ndarray:
        """Term-space column of each token hash."""
        return (token_hashes % np.uint64(self.n_features)).astype(np.int64)

    def _columns32(self, token_hashes: np.ndarray) -> np.ndarray:
        """:meth:`columns` as 32-bit integers when they fit (sorting them is cheaper)."""
        if self.n_features > _INT32_MAX:
            return self.columns(token_hashes)
        if self.n_features & (self.n_features - 1) == 0:  # a power of two: a mask is the modulo
            return (token_hashes & np.uint64(self.n_features - 1)).astype(np.int32)
        return (token_hashes % np.uint64(self.n_features)).astype(np.int32)

    def counts(self, token_hashes: Sequence[np.ndarray]) -> sp.csr_matrix:
        """Raw term counts, one row per array of token hashes (no state is changed), as 32-bit
        integers (:meth:`weight` turns them into floats; the index keeps one row per document)."""
        rows = [unique_counts(self._columns32(hashes)) for hashes in token_hashes]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(cols) for cols, _ in rows], out=indptr[1:])
        # Column numbers fit in 32 bits (n_features is far below 2**31), which spares scipy
        # a conversion of its own and halves the index array.
        index_dtype = np.int32 if self.n_features <= _INT32_MAX else np.int64
        if len(rows) == 1:  # one document: the index adds them one at a time
            indices, data = rows[0]
        else:
            indices = np.concatenate([cols for cols, _ in rows]) if rows else np.empty(0, dtype=np.int64)
            data = np.concatenate([n for _, n in rows]) if rows else np.empty(0)
        return sp.csr_matrix(
            (data.astype(np.int32), indices.astype(index_dtype), indptr.astype(index_dtype)),
            shape=(len(rows), self.n_features),
        )

    def row_counts(self, token_hashes: Sequence[np.ndarray]) -> list[TermCounts]:
        """Each array's :class:`TermCounts` (the rows of :meth:`counts`), the columns of every
        array counted in one pass over (array number, column) keys."""
        if not token_hashes:
            return []
        if len(token_hashes) == 1:  # one document (a score, an update): no keys needed
            columns, counts = unique_counts(self._columns32(token_hashes[0]))
            index_dtype = np.int32 if self.n_features <= _INT32_MAX else np.int64
            return [TermCounts(columns.astype(index_dtype, copy=False), counts.astype(np.int32))]
        lengths = np.fromiter(map(len, token_hashes), dtype=np.int64, count=len(token_hashes))
        columns = self._columns32(np.concatenate(token_hashes)).astype(np.int64)
        keys, counts = unique_counts(np.repeat(np.arange(len(token_hashes), dtype=np.int64), lengths) * self.n_features + columns)
        index_dtype = np.int32 if self.n_features <= _INT32_MAX else np.int64
        rows, columns = np.divmod(keys, self.n_features)
        columns, counts = columns.astype(index_dtype), counts.astype(np.int32)
        bounds = np.searchsorted(rows, np.arange(len(token_hashes) + 1)).tolist()
        return [TermCounts(columns[a:z], counts[a:z]) for a, z in zip(bounds, bounds[1:])]

    def document_frequencies(self, token_hashes: np.ndarray) -> np.ndarray:
        """How many indexed documents contain each token."""
        return self.document_frequency_[self.columns(token_hashes)]

    def add(self, counts: TermCounts | sp.csr_matrix) -> None:
        """Add one document's counts (or the rows of a matrix) to the document frequencies."""
        self._update(counts, +1)

    def remove(self, counts: TermCounts | sp.csr_matrix) -> None:
        """Remove one document's counts (or the rows of a matrix) from the document frequencies."""
        self._update(counts, -1)

    def _update(self, counts: TermCounts | sp.csr_matrix, sign: int) -> None:
        # Each row holds a column at most once, so its columns are its document frequencies;
        # one row (the usual case) adds to distinct columns, which plain indexing does.
        rows = 1 if isinstance(counts, TermCounts) else counts.shape[0]
        if rows == 1:
            self.document_frequency_[counts.indices] += sign
        else:
            np.add.at(self.document_frequency_, counts.indices, sign)
        self.n_documents_ += sign * rows

    def idf(self, columns: np.ndarray) -> np.ndarray:
        """Smoothed IDF of the given term columns under the current frequencies."""
        df = self.document_frequency_[columns]
        return np.log((1.0 + self.n_documents_) / (1.0 + df)) + 1.0

    def weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """L2-normalised sublinear TF-IDF rows for ``counts`` under the current frequencies."""
        weighted = counts.copy().tocsr()
        # (np.log of integer counts is float64, as of float counts.)
        weighted.data = (1.0 + np.log(weighted.data)) * self.idf(weighted.indices)
        return normalize(weighted, norm="l2", copy=False)

    def cosines(self, query: TermCounts, others: Sequence[TermCounts]) -> np.ndarray:
        """TF-IDF cosine of one document's counts with each of ``others``,
        as :meth:`weight` and a row product would give, computed on the rows' arrays directly:
        the score path compares one document with a few dozen, and building a stacked sparse
        matrix for that cost more than the arithmetic."""
        if not others:
            return np.empty(0)
        query_columns = query.indices
        query_weights = self._sublinear(query.data, query_columns)
        query_norm = np.sqrt(query_weights @ query_weights)
        indices = [o.indices for o in others]
        lengths = np.fromiter(map(len, indices), dtype=np.int64, count=len(others))
        columns = np.concatenate(indices)
        weights = self._sublinear(np.concatenate([o.data for o in others]), columns)
        rows = np.repeat(np.arange(len(others)), lengths)
        norms = np.sqrt(np.bincount(rows, weights=weights * weights, minlength=len(others)))
        # The query's weights scattered over all columns: each other term finds its partner
        # by indexing (the scratch row is zeroed again after use).
        scratch = self._scratch()
        scratch[query_columns] = query_weights
        try:
            products = weights * scratch[columns]
        finally:
            scratch[query_columns] = 0.0
        dots = np.bincount(rows, weights=products, minlength=len(others))
        denominator = norms * query_norm
        return np.divide(dots, denominator, out=np.zeros(len(others)), where=denominator > 0)

    def _scratch(self) -> np.ndarray:
        """A zeroed row as wide as the hashed vocabulary, kept between calls (8 MB; like the
        rest of the index, not for concurrent use: the service calls it under its lock)."""
        scratch = self.__dict__.get("_scratch_row")
        if scratch is None:
            scratch = self.__dict__["_scratch_row"] = np.zeros(self.n_features)
        return scratch

    def _sublinear(self, counts: np.ndarray, columns: np.ndarray) -> np.ndarray:
        return (1.0 + np.log(counts)) * self.idf(columns)

    def state(self) -> dict:
        """Frequencies as plain values, for storing with a persistent index."""
        nonzero = np.flatnonzero(self.document_frequency_)
        return {
            "n_documents": int(self.n_documents_),
            "columns": nonzero.tolist(),
            "frequencies": self.document_frequency_[nonzero].tolist(),
        }

    def load_state(self, state: dict) -> None:
        """Restore frequencies written by :meth:`state`."""
        self.document_frequency_[:] = 0
        self.document_frequency_[np.asarray(state["columns"], dtype=np.int64)] = state["frequencies"]
        self.n_documents_ = int(state["n_documents"])


def pair_cosines(weighted: sp.csr_matrix, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Cosine of row ``left[k]`` with row ``right[k]`` for every ``k`` (rows L2-normalised)."""
    if len(left) == 0:
        return np.empty(0)
    return np.asarray(weighted[left].multiply(weighted[right]).sum(axis=1)).ravel()
