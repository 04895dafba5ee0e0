"""The service's decided links as an undirected graph, whose connected components are the
lineages, and its compact form for the engine snapshot.

A large index holds millions of links (492k at 100k documents), each a
:class:`~dedup.lineage.Link` with a 19-field :class:`~dedup.evidence.PairEvidence`: about
690 bytes as objects, and seconds to unpickle. The graph holds them instead as rows of a
table (each link's two ends, its strength and evidence numbers) and pickles that table and
its adjacency as arrays. A graph loaded from a snapshot keeps the adjacency in those arrays
until a document's links change, and turns a row into a ``Link`` when a caller reads it
(:meth:`LinkGraph.links_within`): placing a document reads the links of its own lineage only.
Measured on 60k links (scratch): 764 bytes per link held as objects in dicts, 451 as rows
with dicts of row numbers, about 210 once loaded from a snapshot. Loading 4.8M links takes
about a second.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from .lineage import Link
from .link_table import EVIDENCE_FIELDS, decode_values, encode_link

__all__ = ["LinkGraph"]


#: Links kept decoded for the next read, at most (about 690 bytes each).
_DECODED_KEPT = 200_000
#: Rows of removed links kept at least before the table is compacted.
_DEAD_ROWS_KEPT = 65_536


class LinkGraph:
    """Decided links as an undirected graph; lineages are its connected components.

    Every link is a row of a table: its ends (document numbers) and :func:`~dedup.link_table.encode_link` numbers,
    176 bytes, against about 690 for a ``Link`` and its evidence as objects. Each
    document maps to its neighbours, each neighbour to the row of the link between them. A
    graph loaded from a snapshot keeps that adjacency in arrays (``_base_*``); a document whose
    links change gets its own dict in ``_edges``, which from then on replaces its loaded
    adjacency (an empty dict: no links left). Rows are turned back into links when read, and
    the most recent ones are kept (:data:`_DECODED_KEPT`). Rows of removed links are dropped
    when they outnumber the live ones (and when the graph is pickled)."""

    def __init__(self, links: Iterable[Link] = ()) -> None:
        self._edges: dict[str, dict[str, int]] = {}
        self._ids: list[str] = []  # the documents the table names, by number
        self._numbers: dict[str, int] = {}
        self._base_count = 0  # documents 0 .. _base_count - 1 have a loaded adjacency:
        self._base_starts = np.zeros(1, dtype=np.int64)  # where each one's neighbours start,
        self._base_others = np.empty(0, dtype=np.int64)  # the neighbours' numbers,
        self._base_rows = np.empty(0, dtype=np.int64)  # and the row of each link
        # The table: the ends and numbers of each row, loaded rows first, then added ones (in
        # arrays that grow by doubling, so the loaded ones are never copied).
        width = 1 + len(EVIDENCE_FIELDS)
        self._base_ends, self._base_values = np.empty((0, 2), dtype=np.int64), np.empty((0, width))
        self._added_ends, self._added_values = np.empty((0, 2), dtype=np.int64), np.empty((0, width))
        self._size = 0  # rows, loaded and added
        self._dead = 0  # rows no longer linked
        self._read: dict[int, Link] = {}  # rows recently turned into links
        for link in links:
            self.add(link)

    def _neighbours(self, doc_id: str) -> dict[str, int]:
        """``doc_id``'s neighbours and the rows of the links; do not change the dict returned
        (:meth:`_changing` gives one to change)."""
        own = self._edges.get(doc_id)
        if own is not None:
            return own
        number = self._numbers.get(doc_id)
        if number is None or number >= self._base_count:
            return {}
        start, end = self._base_starts[number : number + 2].tolist()
        ids = self._ids
        return dict(zip([ids[n] for n in self._base_others[start:end].tolist()], self._base_rows[start:end].tolist()))

    def _changing(self, doc_id: str) -> dict[str, int]:
        """``doc_id``'s own neighbour dict, made from its loaded adjacency the first time."""
        own = self._edges.get(doc_id)
        if own is None:
            own = self._edges[doc_id] = self._neighbours(doc_id)
        return own

    def _loaded(self, doc_id: str) -> bool:
        number = self._numbers.get(doc_id)
        return number is not None and number < self._base_count

    def add(self, link: Link) -> None:
        """Add (or replace) the link between ``link.a`` and ``link.b``."""
        row = self._append(link)
        mine, theirs = self._changing(link.a), self._changing(link.b)
        if link.b in mine:
            self._dead += 1
        mine[link.b] = theirs[link.a] = row
        self._compact_if_due()

    def drop(self, doc_id: str) -> None:
        """Remove every link touching ``doc_id``."""
        neighbours = self._neighbours(doc_id)
        for other in neighbours:
            theirs = self._changing(other)
            theirs.pop(doc_id, None)
            if not theirs and not self._loaded(other):
                del self._edges[other]
        self._dead += len(neighbours)
        if self._loaded(doc_id):
            self._edges[doc_id] = {}  # no longer its loaded links
        else:
            self._edges.pop(doc_id, None)
        self._compact_if_due()

    def replace(self, doc_id: str, links: Iterable[Link]) -> None:
        """Make ``links`` the only links of ``doc_id``."""
        self.drop(doc_id)
        for link in links:
            self.add(link)

    def component(self, doc_id: str, *, without: str | None = None) -> list[str]:
        """Documents connected to ``doc_id`` (itself first), ignoring node ``without``."""
        seen = {doc_id}
        order = [doc_id]
        for current in order:
            for other in self._neighbours(current):
                if other not in seen and other != without:
                    seen.add(other)
                    order.append(other)
        return order

    def links_within(self, members: Sequence[str]) -> list[Link]:
        """Every link between two of ``members``, each once."""
        inside = set(members)
        out: dict[int, Link] = {}  # by row
        for doc_id in members:
            for other, row in self._neighbours(doc_id).items():
                if other in inside and row not in out:
                    out[row] = self._link_of_row(row)
        return list(out.values())

    def link_count(self) -> int:
        """Number of links."""
        return self._size - self._dead

    def _documents(self) -> Iterator[str]:
        """Every document with at least one link: the loaded ones, then the others."""
        for doc_id in self._ids[: self._base_count]:
            own = self._edges.get(doc_id)
            if own is None or own:  # a loaded adjacency is never empty (only linked ones are saved)
                yield doc_id
        for doc_id, neighbours in self._edges.items():
            if neighbours and not self._loaded(doc_id):
                yield doc_id

    def components(self) -> Iterator[list[str]]:
        """Every connected component with at least one link."""
        seen: set[str] = set()
        for doc_id in list(self._documents()):
            if doc_id not in seen:
                component = self.component(doc_id)
                seen.update(component)
                yield component

    # -- the table ------------------------------------------------------------------------
    def _number(self, doc_id: str) -> int:
        number = self._numbers.get(doc_id)
        if number is None:
            number = self._numbers[doc_id] = len(self._ids)
            self._ids.append(doc_id)
        return number

    def _append(self, link: Link) -> int:
        """A new row for ``link``."""
        row, at = self._size, self._size - len(self._base_values)
        if at == len(self._added_values):
            capacity = max(16, 2 * at)
            self._added_ends = _grown(self._added_ends, at, capacity)
            self._added_values = _grown(self._added_values, at, capacity)
        self._added_ends[at] = (self._number(link.a), self._number(link.b))
        self._added_values[at] = encode_link(link)
        self._size += 1
        return row

    def _table(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ends and numbers of ``rows``."""
        loaded = len(self._base_values)
        if rows.size and rows.max() >= loaded:
            ends = np.concatenate([self._base_ends, self._added_ends[: self._size - loaded]])
            values = np.concatenate([self._base_values, self._added_values[: self._size - loaded]])
            return ends[rows], values[rows]
        return self._base_ends[rows], self._base_values[rows]

    def _link_of_row(self, row: int) -> Link:
        """The ``Link`` of row ``row``."""
        link = self._read.get(row)
        if link is None:
            loaded = len(self._base_values)
            ends, values_of = (self._base_ends, self._base_values) if row < loaded else (self._added_ends, self._added_values)
            at = row if row < loaded else row - loaded
            a, b = ends[at].tolist()
            strength, evidence = decode_values(values_of[at].tolist())
            link = Link(self._ids[a], self._ids[b], strength, evidence)
            # Kept for the next read, up to _DECODED_KEPT links: a long-running service would
            # otherwise end up holding every link as objects again.
            if len(self._read) >= _DECODED_KEPT:
                self._read.clear()
            self._read[row] = link
        return link

    def _compact_if_due(self) -> None:
        """Drop the rows of removed links once they outnumber the live ones (and a minimum)."""
        if self._dead > max(_DEAD_ROWS_KEPT, self._size - self._dead):
            self.__setstate__(self.__getstate__())

    # -- pickling: the table and the adjacency as arrays ------------------------------------
    def __getstate__(self) -> dict[str, object]:
        # Written for millions of links: the adjacency goes into typed arrays, and live rows
        # are renumbered through a flat list.
        ids = list(self._documents())
        number = {doc_id: n for n, doc_id in enumerate(ids)}
        row_of = [-1] * self._size  # old row -> new row, or -1
        kept = array("q")  # old rows, in their new order
        others, rows, degrees = array("q"), array("q"), array("q")
        for doc_id in ids:
            neighbours = self._neighbours(doc_id)
            degrees.append(len(neighbours))
            for other, old in neighbours.items():
                row = row_of[old]
                if row < 0:
                    row = row_of[old] = len(kept)
                    kept.append(old)
                others.append(number[other])
                rows.append(row)
        old_rows = np.frombuffer(kept, dtype=np.int64) if kept else np.empty(0, dtype=np.int64)
        renumbered = np.array([number.get(d, -1) for d in self._ids] or [-1], dtype=np.int64)
        ends, values = self._table(old_rows)
        return {
            "ids": ids,
            "degrees": np.array(degrees, dtype=np.int64),
            "others": np.array(others, dtype=np.int64),
            "rows": np.array(rows, dtype=np.int64),
            "ends": renumbered[ends],
            "values": values,
            "fields": EVIDENCE_FIELDS,
        }

    def __setstate__(self, state: dict[str, object]) -> None:
        if state["fields"] != EVIDENCE_FIELDS:
            raise ValueError("the links were written with other evidence fields")
        self.__init__()  # type: ignore[misc]
        self._ids = list(state["ids"])  # type: ignore[call-overload]
        self._numbers = {doc_id: n for n, doc_id in enumerate(self._ids)}
        self._base_count = len(self._ids)
        self._base_starts = np.concatenate([[0], np.cumsum(state["degrees"])]).astype(np.int64)  # type: ignore[arg-type]
        self._base_others = state["others"]  # type: ignore[assignment]
        self._base_rows = state["rows"]  # type: ignore[assignment]
        self._base_ends = state["ends"]  # type: ignore[assignment]
        self._base_values = state["values"]  # type: ignore[assignment]
        self._size = len(self._base_values)


def _grown(table: np.ndarray, used: int, capacity: int) -> np.ndarray:
    """``table``'s first ``used`` rows in a new array of ``capacity`` rows."""
    grown = np.empty((capacity, *table.shape[1:]), dtype=table.dtype)
    grown[:used] = table[:used]
    return grown
