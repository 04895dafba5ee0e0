"""Incremental TF-IDF: hashed term counts with document frequencies kept beside the index.

``TfidfVectorizer`` must be refitted on the whole corpus when a document arrives; a newsroom
index grows all day. scikit-learn's ``HashingVectorizer`` gives a fixed vocabulary-free term
space, and this module keeps the document-frequency vector itself, so adding or deleting a
document is one vector addition and IDF weights are always those of the current index. The
weighting follows ``TfidfTransformer(sublinear_tf=True, smooth_idf=True)``.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

__all__ = ["IncrementalTfidf"]


def _identity(tokens: Sequence[str]) -> Sequence[str]:
    return tokens


class IncrementalTfidf:
    """Hashed term counts, running document frequencies and TF-IDF cosine on demand."""

    def __init__(self, *, n_features: int = 2**20) -> None:
        self.n_features = n_features
        self._hasher = HashingVectorizer(
            analyzer=_identity, n_features=n_features, alternate_sign=False, norm=None
        )
        self.document_frequency_ = np.zeros(n_features, dtype=np.int64)
        self.n_documents_ = 0

    def counts(self, token_lists: Iterable[Sequence[str]]) -> sp.csr_matrix:
        """Raw term counts, one row per token list (no state is changed)."""
        return self._hasher.transform(token_lists).astype(np.float64).tocsr()

    def add(self, counts: sp.csr_matrix) -> None:
        """Add the rows of ``counts`` to the document frequencies."""
        self._update(counts, +1)

    def remove(self, counts: sp.csr_matrix) -> None:
        """Remove the rows of ``counts`` from the document frequencies."""
        self._update(counts, -1)

    def _update(self, counts: sp.csr_matrix, sign: int) -> None:
        present = counts.copy()
        present.data[:] = 1
        self.document_frequency_ += sign * np.asarray(present.sum(axis=0)).ravel().astype(np.int64)
        self.n_documents_ += sign * counts.shape[0]

    def idf(self, columns: np.ndarray) -> np.ndarray:
        """Smoothed IDF of the given term columns under the current frequencies."""
        df = self.document_frequency_[columns]
        return np.log((1.0 + self.n_documents_) / (1.0 + df)) + 1.0

    def weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """L2-normalised sublinear TF-IDF rows for ``counts`` under the current frequencies."""
        weighted = counts.copy().tocsr()
        weighted.data = (1.0 + np.log(weighted.data)) * self.idf(weighted.indices)
        return normalize(weighted, norm="l2", copy=False)

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
