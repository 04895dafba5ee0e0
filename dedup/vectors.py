"""The lead vectors of the index, kept in one contiguous matrix for brute-force search.

The translation channel compares a document's lead vector with every indexed one in another
language. Stacking the vectors of the whole index for every query cost more than the search
itself (a 19k-document index is a 29 MB copy per call), so the vectors live here, in a matrix
that grows by doubling, with each row's language as a small integer code. Removing a document
moves the last row into its place, so the live rows are always ``matrix[:len(self)]``.

A matrix-vector product over 384-dimensional float32 rows costs about a millisecond per 20k
documents on one core here; an approximate nearest-neighbour structure pays only far beyond
that (datasketch's HNSW inserted 84 vectors/s on this machine, slower than embedding them).

>>> import numpy as np
>>> index = VectorIndex(2)
>>> index.add("a", np.array([1.0, 0.0]), "en"); index.add("b", np.array([0.0, 1.0]), "fr")
>>> index.remove("a"); index.ids, index.matrix.tolist(), index.languages.tolist()
(['b'], [[0.0, 1.0]], ['fr'])
"""

from __future__ import annotations

import numpy as np

__all__ = ["VectorIndex"]


class VectorIndex:
    """Unit vectors by document id, in insertion order until a removal swaps a row in."""

    def __init__(self, dimension: int) -> None:
        if dimension < 1:
            raise ValueError(f"dimension must be positive, got {dimension}")
        self.dimension = dimension
        self._matrix = np.zeros((16, dimension), dtype=np.float32)
        self._codes = np.zeros(16, dtype=np.int32)
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._code_of: dict[str, int] = {}
        self._language_of: list[str] = []

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._row

    def _code(self, language: str) -> int:
        if language not in self._code_of:
            self._code_of[language] = len(self._language_of)
            self._language_of.append(language)
        return self._code_of[language]

    def add(self, doc_id: str, vector: np.ndarray, language: str) -> None:
        """Hold ``vector`` for ``doc_id`` (replacing the one it had)."""
        if doc_id in self._row:
            self.remove(doc_id)
        n = len(self._ids)
        if n == len(self._matrix):
            self._matrix = np.concatenate([self._matrix, np.zeros_like(self._matrix)])
            self._codes = np.concatenate([self._codes, np.zeros_like(self._codes)])
        self._matrix[n] = vector
        self._codes[n] = self._code(language)
        self._ids.append(doc_id)
        self._row[doc_id] = n

    def remove(self, doc_id: str) -> None:
        """Forget ``doc_id``'s vector (unknown ids are ignored)."""
        row = self._row.pop(doc_id, None)
        if row is None:
            return
        last = len(self._ids) - 1
        if row != last:
            moved = self._ids[last]
            self._matrix[row] = self._matrix[last]
            self._codes[row] = self._codes[last]
            self._ids[row] = moved
            self._row[moved] = row
        self._ids.pop()

    def row_of(self, doc_id: str) -> int:
        """The row of ``doc_id`` (``KeyError`` for an id with no vector)."""
        return self._row[doc_id]

    def get(self, doc_id: str) -> np.ndarray | None:
        """The vector of ``doc_id``, or ``None``."""
        row = self._row.get(doc_id)
        return None if row is None else self._matrix[row]

    @property
    def ids(self) -> list[str]:
        """Document id of each live row."""
        return self._ids

    @property
    def matrix(self) -> np.ndarray:
        """The live rows (a view: valid until the next change)."""
        return self._matrix[: len(self._ids)]

    @property
    def codes(self) -> np.ndarray:
        """Language code of each live row (see :meth:`code_of`)."""
        return self._codes[: len(self._ids)]

    def code_of(self, language: str) -> int:
        """The code of ``language`` (-1 when no row has ever had it)."""
        return self._code_of.get(language, -1)

    @property
    def languages(self) -> np.ndarray:
        """Language of each live row, as strings."""
        names = np.array(self._language_of + [""], dtype=object)
        return names[self.codes].astype(str) if len(self._ids) else np.array([], dtype=str)
