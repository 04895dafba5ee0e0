"""Decided links packed as rows of numbers: the batch job's links, and the service's graph.

A :class:`~dedup.lineage.Link` with its 19-field :class:`~dedup.evidence.PairEvidence` costs
about 690 bytes as Python objects (each float a boxed object, each end a string) and about
8 us to unpickle; as a row, its two ends (document numbers), its strength and its evidence
fields as floats (``None`` as NaN), it costs 176 bytes, and a worker process sends a table of
them as two arrays. The batch job of 200k generated documents decides 1.5M links: 1.0 GB as
objects in the parent, beside the index; at 1M documents, links held that way pushed the
job past the machine's 24 GB. The links are turned back into objects a lineage at a time,
when the lineage is placed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from .evidence import PairEvidence, evidence_values
from .lineage import Link

__all__ = ["LinkTable", "EVIDENCE_FIELDS", "encode_link", "decode_values"]

#: The evidence fields, in the order of a row's columns after the strength.
EVIDENCE_FIELDS = tuple(f.name for f in fields(PairEvidence))
_TYPES = tuple(str(f.type) for f in fields(PairEvidence))
_OPTIONAL = tuple(t.endswith("| None") for t in _TYPES)


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
_EVIDENCE_DECODERS = tuple(_DECODERS[t] for t in _TYPES)


def encode_link(link: Link) -> list[float]:
    """The link's strength then its evidence's fields, as floats (``None`` as NaN)."""
    return [link.strength, *(math.nan if v is None else float(v) for v in evidence_values(link.evidence))]


def decode_values(values: Sequence[float]) -> tuple[float, PairEvidence]:
    """The strength and evidence of one row's numbers (:func:`encode_link`'s inverse)."""
    strength, *rest = values
    return strength, PairEvidence(*(decode(v) for decode, v in zip(_EVIDENCE_DECODERS, rest)))


def _decoded_column(kind: str, column: list[float]) -> list:
    """A column of one evidence field back as the field's values (the floats as they are)."""
    if kind == "float":
        return column
    if kind == "float | None":
        return [None if v != v else v for v in column]  # NaN is the one float unequal to itself
    if kind == "int":
        return [int(v) for v in column]
    if kind == "bool":
        return [v != 0.0 for v in column]
    return [None if v != v else int(v) for v in column]


@dataclass(frozen=True)
class LinkTable:
    """Links as rows: ``ends[k]`` the two documents' numbers (positions in a list of ids the
    caller keeps), ``values[k]`` the strength then the evidence fields (:func:`encode_link`).
    Rows keep the order the links were decided in."""

    ends: np.ndarray
    values: np.ndarray

    @classmethod
    def empty(cls) -> LinkTable:
        return cls(np.empty((0, 2), dtype=np.int64), np.empty((0, 1 + len(EVIDENCE_FIELDS))))

    @classmethod
    def of(cls, links: Sequence[Link], position: Mapping[str, int]) -> LinkTable:
        """``links`` as rows, each end numbered by ``position``. Encoded a field at a time
        (a worker packs hundreds of thousands of links)."""
        if not links:
            return cls.empty()
        ends = np.array([(position[link.a], position[link.b]) for link in links], dtype=np.int64)
        rows = [evidence_values(link.evidence) for link in links]
        columns = [np.array([link.strength for link in links], dtype=np.float64)]
        for optional, column in zip(_OPTIONAL, zip(*rows)):
            columns.append(np.array([math.nan if v is None else v for v in column] if optional else column, dtype=np.float64))
        return cls(ends, np.column_stack(columns))

    @classmethod
    def concatenate(cls, tables: Sequence[LinkTable]) -> LinkTable:
        """The rows of every table of ``tables``, in order."""
        tables = [t for t in tables if len(t)]
        if not tables:
            return cls.empty()
        if len(tables) == 1:
            return tables[0]
        return cls(np.concatenate([t.ends for t in tables]), np.concatenate([t.values for t in tables]))

    def __len__(self) -> int:
        return len(self.ends)

    @property
    def strengths(self) -> np.ndarray:
        return self.values[:, 0]

    def column(self, name: str) -> np.ndarray:
        """One evidence field of every row, as floats (NaN for ``None``)."""
        return self.values[:, 1 + EVIDENCE_FIELDS.index(name)]

    def links(self, ids: Sequence[str], rows: np.ndarray | None = None) -> list[Link]:
        """The links of ``rows`` (default: all), in that order, as objects; ``ids`` names
        the documents by number."""
        ends = self.ends if rows is None else self.ends[rows]
        values = self.values if rows is None else self.values[rows]
        if not len(ends):
            return []
        strengths, *columns = values.T.tolist()
        decoded = [_decoded_column(kind, column) for kind, column in zip(_TYPES, columns)]
        evidences = [PairEvidence(*row) for row in zip(*decoded)]
        return [Link(ids[a], ids[b], s, e) for (a, b), s, e in zip(ends.tolist(), strengths, evidences)]

