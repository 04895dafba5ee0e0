"""The service's decided links as an undirected graph, whose connected components are the
lineages, and its compact form for the engine snapshot.

A snapshot of a large index holds millions of links (492k at 100k documents), each a
:class:`~dedup.lineage.Link` with a 19-field :class:`~dedup.evidence.PairEvidence`. Pickled
as objects, they took seconds to load and about a kilobyte each in memory. The graph is
pickled instead as a table: each link's two ends and its numbers in one float array, the
adjacency as integer arrays. A graph loaded from that table keeps the adjacency in those
arrays until a document's links change, and turns a row into a ``Link`` the first time a
caller asks for that link (:meth:`LinkGraph.links_within`): placing a document reads the links
of its own lineage only. Loading 4.8M links this way takes about a second.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import fields

import numpy as np

from .evidence import PairEvidence
from .lineage import Link

__all__ = ["LinkGraph"]


def _optional(cast: Callable[[float], object]) -> Callable[[float], object]:
    return lambda value: None if math.isnan(value) else cast(value)


# How each PairEvidence field comes back from a float (None is stored as NaN).
_DECODERS: dict[str, Callable[[float], object]] = {
    "float": float,
    "int": int,
    "bool": bool,
    "float | None": _optional(float),
    "int | None": _optional(int),
}
_EVIDENCE_FIELDS = tuple(f.name for f in fields(PairEvidence))
_EVIDENCE_DECODERS = tuple(_DECODERS[str(f.type)] for f in fields(PairEvidence))


#: Links of a loaded table kept decoded, at most (about 1 KB each as objects).
_DECODED_KEPT = 200_000
#: Links encoded into the table at a time when a graph is pickled (bounds the lists built).
_ENCODED_AT_ONCE = 65_536


def _encoded(link: Link) -> list[float]:
    """The link's strength then its evidence's fields, as floats (``None`` as NaN)."""
    evidence = link.evidence
    values = [getattr(evidence, name) for name in _EVIDENCE_FIELDS]
    return [link.strength, *(math.nan if v is None else float(v) for v in values)]


class LinkGraph:
    """Decided links as an undirected graph; lineages are its connected components.

    Each document maps to its neighbours, each neighbour to the link between them. A graph
    loaded from a snapshot keeps the loaded adjacency as arrays (``_base_*``) and each link as
    a row of the loaded table until it is first read; a document whose links change gets its
    own dict in ``_edges``, which from then on replaces its loaded adjacency (an empty dict: no
    links left)."""

    def __init__(self, links: Iterable[Link] = ()) -> None:
        self._edges: dict[str, dict[str, Link | int]] = {}
        self._base_ids: list[str] = []  # the loaded adjacency: documents with links when saved,
        self._base_numbers: dict[str, int] = {}  # their numbers,
        self._base_starts = np.zeros(1, dtype=np.int64)  # where each one's neighbours start,
        self._base_others = np.empty(0, dtype=np.int64)  # the neighbours' numbers,
        self._base_rows = np.empty(0, dtype=np.int64)  # and the table row of each link
        self._ends = np.empty((0, 2), dtype=np.int64)  # the loaded table: the ends of each row
        self._values = np.empty((0, 1 + len(_EVIDENCE_FIELDS)))  # and its numbers (_encoded)
        self._read: dict[int, Link] = {}  # rows recently turned into links
        for link in links:
            self.add(link)

    def _neighbours(self, doc_id: str) -> dict[str, Link | int]:
        """``doc_id``'s neighbours and links (links of the loaded table as row numbers); do not
        change the dict returned (:meth:`_changing` gives one to change)."""
        own = self._edges.get(doc_id)
        if own is not None:
            return own
        number = self._base_numbers.get(doc_id)
        if number is None:
            return {}
        start, end = self._base_starts[number : number + 2].tolist()
        ids = self._base_ids
        return dict(zip([ids[n] for n in self._base_others[start:end].tolist()], self._base_rows[start:end].tolist()))

    def _changing(self, doc_id: str) -> dict[str, Link | int]:
        """``doc_id``'s own neighbour dict, made from its loaded adjacency the first time."""
        own = self._edges.get(doc_id)
        if own is None:
            own = self._edges[doc_id] = self._neighbours(doc_id)
        return own

    def add(self, link: Link) -> None:
        """Add (or replace) the link between ``link.a`` and ``link.b``."""
        self._changing(link.a)[link.b] = link
        self._changing(link.b)[link.a] = link

    def drop(self, doc_id: str) -> None:
        """Remove every link touching ``doc_id``."""
        for other in self._neighbours(doc_id):
            neighbours = self._changing(other)
            neighbours.pop(doc_id, None)
            if not neighbours and other not in self._base_numbers:
                del self._edges[other]
        if doc_id in self._base_numbers:
            self._edges[doc_id] = {}  # no longer its loaded links
        else:
            self._edges.pop(doc_id, None)

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
        out: dict[int, Link] = {}  # by id(link), or by -1 - row for a row of the loaded table
        for doc_id in members:
            for other, link in self._neighbours(doc_id).items():
                if other in inside:
                    if isinstance(link, Link):
                        out[id(link)] = link
                    elif -1 - link not in out:
                        out[-1 - link] = self._link_of_row(link)
        return list(out.values())

    def link_count(self) -> int:
        """Number of links."""
        ends = sum(len(n) for n in self._edges.values())
        base = self._base_starts
        unchanged = np.ones(len(self._base_ids), dtype=bool)
        unchanged[[n for d in self._edges if (n := self._base_numbers.get(d)) is not None]] = False
        ends += int((np.diff(base)[unchanged]).sum())
        return ends // 2

    def _documents(self) -> Iterator[str]:
        """Every document with at least one link: the loaded ones, then the others."""
        for doc_id in self._base_ids:
            if self._neighbours(doc_id):
                yield doc_id
        for doc_id, neighbours in self._edges.items():
            if neighbours and doc_id not in self._base_numbers:
                yield doc_id

    def components(self) -> Iterator[list[str]]:
        """Every connected component with at least one link."""
        seen: set[str] = set()
        for doc_id in list(self._documents()):
            if doc_id not in seen:
                component = self.component(doc_id)
                seen.update(component)
                yield component

    def _link_of_row(self, row: int) -> Link:
        """The ``Link`` of row ``row`` of the loaded table (kept for the next read, up to
        :data:`_DECODED_KEPT` links: a long-running service would otherwise end up holding
        every link as objects again)."""
        link = self._read.get(row)
        if link is None:
            if len(self._read) >= _DECODED_KEPT:
                self._read.clear()
            a, b = self._ends[row].tolist()
            strength, *values = self._values[row].tolist()
            evidence = PairEvidence(*(decode(v) for decode, v in zip(_EVIDENCE_DECODERS, values)))
            link = self._read[row] = Link(self._base_ids[a], self._base_ids[b], strength, evidence)
        return link

    # -- pickling: a table, not objects ----------------------------------------------------
    def __getstate__(self) -> dict[str, object]:
        # Written for millions of links: the adjacency goes into typed arrays, rows of the
        # loaded table are renumbered through a list, and links are encoded in chunks.
        ids = list(self._documents())
        number = {doc_id: n for n, doc_id in enumerate(ids)}
        row_of_link: dict[int, int] = {}  # id(Link) -> its row
        row_of_loaded = [-1] * len(self._values)  # row of the loaded table -> its row, or -1
        links: list[Link] = []  # the links, in the order of their rows in ``fresh``
        fresh = array("q")  # their rows
        kept = array("q")  # rows of the loaded table that stay
        others, rows, degrees = array("q"), array("q"), array("q")
        count = 0
        for doc_id in ids:
            neighbours = self._neighbours(doc_id)
            degrees.append(len(neighbours))
            for other, link in neighbours.items():
                if isinstance(link, Link):
                    row = row_of_link.get(id(link), -1)
                    if row < 0:
                        row = row_of_link[id(link)] = count
                        count += 1
                        fresh.append(row)
                        links.append(link)
                else:
                    row = row_of_loaded[link]
                    if row < 0:
                        row = row_of_loaded[link] = count
                        count += 1
                        kept.append(link)
                others.append(number[other])
                rows.append(row)
        ends = np.empty((count, 2), dtype=np.int64)
        values = np.empty((count, self._values.shape[1]))
        fresh_rows = np.frombuffer(fresh, dtype=np.int64)
        for start in range(0, len(links), _ENCODED_AT_ONCE):
            chunk = links[start : start + _ENCODED_AT_ONCE]
            at = fresh_rows[start : start + len(chunk)]
            ends[at] = [(number[x.a], number[x.b]) for x in chunk]
            values[at] = [_encoded(x) for x in chunk]
        if kept:
            old = np.frombuffer(kept, dtype=np.int64)
            renumbered = np.array([number.get(d, -1) for d in self._base_ids], dtype=np.int64)
            at = np.array(row_of_loaded, dtype=np.int64)[old]
            ends[at] = renumbered[self._ends[old]]
            values[at] = self._values[old]
        return {
            "ids": ids,
            "degrees": np.array(degrees, dtype=np.int64),
            "others": np.array(others, dtype=np.int64),
            "rows": np.array(rows, dtype=np.int64),
            "ends": ends,
            "values": values,
            "fields": _EVIDENCE_FIELDS,
        }

    def __setstate__(self, state: dict[str, object]) -> None:
        if state["fields"] != _EVIDENCE_FIELDS:
            raise ValueError("the links were written with other evidence fields")
        self.__init__()  # type: ignore[misc]
        self._base_ids = state["ids"]  # type: ignore[assignment]
        self._base_numbers = {doc_id: n for n, doc_id in enumerate(self._base_ids)}
        self._base_starts = np.concatenate([[0], np.cumsum(state["degrees"])]).astype(np.int64)  # type: ignore[arg-type]
        self._base_others = state["others"]  # type: ignore[assignment]
        self._base_rows = state["rows"]  # type: ignore[assignment]
        self._ends = state["ends"]  # type: ignore[assignment]
        self._values = state["values"]  # type: ignore[assignment]
