"""The lead vectors of the index: one contiguous matrix, and a graph per language once the
matrix is too large to search by brute force.

The translation channel compares a document's lead vector with the indexed ones in other
languages. Stacking the vectors of the whole index for every query cost more than the search
itself (a 19k-document index is a 29 MB copy per call), so the vectors live here, in a matrix
that grows by doubling, with each row's language as a small integer code. Removing a document
moves the last row into its place, so the live rows are always ``matrix[:len(self)]``.

A matrix-vector product over 384-dimensional float32 rows costs about a millisecond per 20k
documents on one core here, and a lookup makes one for the query and one for each candidate it
keeps (nine at the defaults). Beyond ``exact_up_to`` vectors (50k by default) searches go through
an HNSW graph per language instead (`usearch`: 1.6 ms for the 32 nearest of 100k random
vectors, where brute force took 9.8 ms; datasketch's HNSW inserted 84 vectors/s here, slower
than embedding them). The graphs are built on the first search past the threshold, then kept
in step with every addition and removal. Cosines are always recomputed from the matrix, so a
graph decides which rows are looked at, never the figures.

>>> import numpy as np
>>> index = VectorIndex(2)
>>> index.add("a", np.array([1.0, 0.0]), "en"); index.add("b", np.array([0.0, 1.0]), "fr")
>>> index.remove("a"); index.ids, index.matrix.tolist(), index.languages.tolist()
(['b'], [[0.0, 1.0]], ['fr'])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from usearch.index import Index

__all__ = ["EXACT_UP_TO", "VectorIndex"]

#: Vectors searched by brute force at most; beyond, a graph per language.
EXACT_UP_TO = 50_000
#: Cosines closer than this are equal: two leads that embed alike (machine translations often
#: agree word for word) are equally near, however the float sums fell.
COSINE_TOLERANCE = 1e-5
#: Rows fetched from a graph at first when every row above a cosine is wanted (then four times
#: as many, while the graph may hold more).
_FIRST_FETCH = 32


class VectorIndex:
    """Unit vectors by document id, in insertion order until a removal swaps a row in."""

    def __init__(self, dimension: int, exact_up_to: int = EXACT_UP_TO) -> None:
        if dimension < 1:
            raise ValueError(f"dimension must be positive, got {dimension}")
        if exact_up_to < 0:
            raise ValueError(f"exact_up_to must not be negative, got {exact_up_to}")
        self.dimension = dimension
        self.exact_up_to = exact_up_to
        self._matrix = np.zeros((16, dimension), dtype=np.float32)
        self._codes = np.zeros(16, dtype=np.int32)
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._code_of: dict[str, int] = {}
        self._language_of: list[str] = []
        #: Graph keys: a number per document for as long as it has a vector (rows move, keys do not).
        self._key_of: dict[str, int] = {}
        self._id_of_key: dict[int, str] = {}
        self._next_key = 0
        self._graphs: dict[int, Index] | None = None  # by language code, once built

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
        key = self._next_key
        self._next_key += 1
        self._key_of[doc_id], self._id_of_key[key] = key, doc_id
        if self._graphs is not None:
            self._graph(int(self._codes[n])).add(key, self._matrix[n], threads=1)

    def remove(self, doc_id: str) -> None:
        """Forget ``doc_id``'s vector (unknown ids are ignored)."""
        row = self._row.pop(doc_id, None)
        if row is None:
            return
        key = self._key_of.pop(doc_id)
        del self._id_of_key[key]
        if self._graphs is not None:
            self._graphs[int(self._codes[row])].remove(key)
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

    def __getstate__(self) -> dict:
        # The graphs are handles into a C++ library: a copy (another process) builds its own
        # from the matrix when it first needs them.
        return {**self.__dict__, "_graphs": None}

    @property
    def exact(self) -> bool:
        """Whether searches compare the query with every row (else: through the graphs)."""
        return len(self._ids) <= self.exact_up_to

    def _graph(self, code: int) -> Index:
        """The graph of language ``code`` (empty when new)."""
        assert self._graphs is not None
        if code not in self._graphs:
            # Imported here: usearch brings its own OpenMP runtime, which an index that never
            # grows past brute force has no use for.
            from usearch.index import Index

            # Inner product of unit vectors: distance = 1 - cosine. Half-precision copies are
            # enough to find the rows; their cosines are read from the matrix.
            # A wider search than usearch's default (64): lead vectors crowd together (most
            # pairs of one beat lie above cosine 0.8), and at 64 one in fifty of the 50 nearest
            # was missed on dev; at 256, one in seven hundred.
            self._graphs[code] = Index(ndim=self.dimension, metric="ip", dtype="f16", expansion_search=256)
        return self._graphs[code]

    def _graphs_built(self) -> dict[int, Index]:
        """The graph of every language, built from the matrix on first use."""
        if self._graphs is None:
            self._graphs = {}
            codes = self.codes
            keys = np.array([self._key_of[doc_id] for doc_id in self._ids], dtype=np.uint64)
            for code in np.unique(codes).tolist():
                rows = np.flatnonzero(codes == code)
                # One thread: the graph, hence every answer, depends on the order of insertion alone.
                self._graph(code).add(keys[rows], self.matrix[rows], threads=1)
        return self._graphs

    def _graph_rows(self, code: int, queries: np.ndarray, count: int) -> list[np.ndarray]:
        """For each query, the rows the graph of ``code`` finds nearest (at most ``count``)."""
        graph = self._graphs_built().get(code)
        if graph is None or len(graph) == 0 or count < 1:
            return [np.zeros(0, dtype=np.int64) for _ in range(len(queries))]
        found = graph.search(queries, min(count, len(graph)), threads=1)
        # One query gets a ``Matches`` (no counts), several a ``BatchMatches``.
        keys = np.atleast_2d(found.keys)
        counts = found.counts if hasattr(found, "counts") else np.array([len(found.keys)])
        return [
            np.array([self._row[self._id_of_key[int(key)]] for key in row[:n]], dtype=np.int64)
            for row, n in zip(keys, counts.tolist())
        ]

    def nearest_in_other_languages(self, queries: np.ndarray, codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """For each query vector (in language ``codes[i]``), the rows of its ``k`` nearest
        vectors in another language and their cosines (in no set order). Short answers are
        padded with row -1 and cosine -1."""
        n = len(self._ids)
        k = min(k, n)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        sims = np.full((len(queries), k), -1.0, dtype=np.float32)
        if k == 0:
            return rows, sims
        matrix = self.matrix
        if self.exact:
            for start in range(0, len(queries), 512):
                similarity = queries[start : start + 512] @ matrix.T
                similarity[codes[start : start + 512, None] == self.codes[None, :]] = -1.0
                top = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
                rows[start : start + 512] = top
                sims[start : start + 512] = np.take_along_axis(similarity, top, axis=1)
            return rows, sims
        found: list[list[np.ndarray]] = [[] for _ in range(len(queries))]
        for code in np.unique(self.codes).tolist():
            asking = np.flatnonzero(codes != code)
            for i, near in zip(asking.tolist(), self._graph_rows(code, queries[asking], k)):
                found[i].append(near)
        for i, parts in enumerate(found):
            near = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
            cosines = matrix[near] @ queries[i]
            best = np.lexsort((near, -cosines))[:k]
            rows[i, : len(best)], sims[i, : len(best)] = near[best], cosines[best]
        return rows, sims

    def above(self, query: np.ndarray, code: int, cosine: float, similarity: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The rows of language ``code`` whose cosine with ``query`` is above ``cosine`` (by
        more than :data:`COSINE_TOLERANCE`), in row order, with those cosines. ``similarity`` (the query's cosine with every row), when
        the caller has it, spares the brute-force product. Through the graphs, the rows are
        fetched nearest first until one falls at or below ``cosine``."""
        cosine = cosine + COSINE_TOLERANCE
        if self.exact:
            if similarity is None:
                similarity = self.matrix @ query
            rows = np.flatnonzero((self.codes == code) & (similarity > cosine))
            return rows, similarity[rows]
        count = _FIRST_FETCH
        while True:
            near = self._graph_rows(code, query[None, :], count)[0]
            cosines = self.matrix[near] @ query
            graph_size = len(self._graphs_built().get(code, ()))
            if len(near) < count or count >= graph_size or cosines.min() <= cosine:
                order = np.argsort(near, kind="stable")
                near, cosines = near[order], cosines[order]
                return near[cosines > cosine], cosines[cosines > cosine]
            count *= 4
