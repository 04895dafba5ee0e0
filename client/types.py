"""Typed results of :class:`client.SyndicationClient` calls (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dedup.relate import Relation

__all__ = [
    "IndexResult",
    "Lineage",
    "LineageNode",
    "Match",
    "Passage",
    "Rejection",
    "ScoreResult",
    "Stats",
    "StreamSummary",
    "TranslationEvidence",
]


@dataclass(frozen=True)
class IndexResult:
    """``created`` (False: an existing document was replaced) and the lineage joined."""

    created: bool
    lineage_id: str
    parent_id: str | None
    relation: Relation
    score: float


@dataclass(frozen=True)
class Rejection:
    """A streamed document that was not indexed: where, which field, why."""

    id: str
    position: int
    field: str
    reason: str


@dataclass(frozen=True)
class StreamSummary:
    """The outcome of a bulk load."""

    created: int
    replaced: int
    rejected: int
    rejections: tuple[Rejection, ...]


@dataclass(frozen=True)
class Passage:
    """Shared run of text: offsets in each document's cleaned text, and the run itself."""

    query_start: int
    query_end: int
    match_start: int
    match_end: int
    tokens: int
    text: str


@dataclass(frozen=True)
class TranslationEvidence:
    """What links two texts in different languages."""

    lead_cosine: float
    lead_rank: int
    figures_in_common: float
    names_in_common: float


@dataclass(frozen=True)
class Match:
    """An indexed document linked to the scored one, with the evidence."""

    id: str
    relation: Relation
    query_is_derived: bool
    score: float
    cosine: float
    containment_query_in_match: float
    containment_match_in_query: float
    lineage_id: str
    passages: tuple[Passage, ...]
    title: str
    source: str
    published_at: datetime | None
    language: str = ""
    #: For a match in another language: lead cosine, lead rank, figures and names in common.
    translation: TranslationEvidence | None = None


@dataclass(frozen=True)
class ScoreResult:
    """Matches (best first) and the lineage the scored document gets."""

    matches: tuple[Match, ...]
    lineage_id: str
    parent_id: str | None
    relation: Relation
    score: float
    created: bool


@dataclass(frozen=True)
class LineageNode:
    """One document of a lineage tree."""

    id: str
    parent_id: str | None
    relation: Relation
    score: float
    source: str
    published_at: datetime | None
    title: str


@dataclass(frozen=True)
class Lineage:
    """A lineage, root first, parents before children."""

    lineage_id: str
    nodes: tuple[LineageNode, ...]

    @property
    def ids(self) -> list[str]:
        """The ids of its documents, in tree order."""
        return [n.id for n in self.nodes]


@dataclass(frozen=True)
class Stats:
    """The server's index at a glance."""

    documents: int
    lineages: int
    unlinked_documents: int
    links: int
    bytes_on_disk: int
    uptime_seconds: float
