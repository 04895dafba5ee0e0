"""Translation between the ``dedup.v1`` messages and the core's types, and nothing else.

Conversion errors are :class:`dedup.document.DocumentError` naming the request field (for
example ``document.published_at``), so :mod:`server.errors` maps them like any other bad input.
"""

from __future__ import annotations

from datetime import datetime, timezone

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from dedup.document import Document, DocumentError
from dedup.lineage import Placement
from dedup.relate import Relation
from dedup.service import IndexStats, LineageNode, LineageTree, ScoredMatch, SharedPassage

from ._proto.dedup.v1 import syndication_pb2 as pb

__all__ = [
    "document_from_proto",
    "document_to_proto",
    "lineage_to_proto",
    "match_to_proto",
    "placement_fields",
    "relation_from_proto",
    "relation_to_proto",
    "stats_to_proto",
    "timestamp_from_proto",
    "timestamp_to_proto",
]

_TO_PROTO = {r: pb.Relation.Value(f"RELATION_{r.name}") for r in Relation}
_FROM_PROTO = {v: r for r, v in _TO_PROTO.items()}


def relation_to_proto(relation: Relation) -> int:
    """The ``dedup.v1.Relation`` value of a core relation."""
    return _TO_PROTO[relation]


def relation_from_proto(value: int) -> Relation | None:
    """The core relation of a ``dedup.v1.Relation`` value (``None`` for UNSPECIFIED)."""
    return _FROM_PROTO.get(value)


def timestamp_from_proto(stamp: Timestamp, field_name: str) -> datetime:
    """A timezone-aware UTC datetime; an out-of-range stamp is a :class:`DocumentError`."""
    try:
        return stamp.ToDatetime(tzinfo=timezone.utc)
    except (ValueError, OverflowError) as err:
        raise DocumentError(field_name, f"is not a valid timestamp ({err})") from err


def timestamp_to_proto(when: datetime | None) -> Timestamp | None:
    """A Timestamp for ``when`` (``None`` stays unset)."""
    if when is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(when.astimezone(timezone.utc))
    return stamp


def document_from_proto(message: pb.Document, prefix: str = "document") -> Document:
    """A checked core document; errors name ``<prefix>.<field>``."""
    published = (
        timestamp_from_proto(message.published_at, f"{prefix}.published_at")
        if message.HasField("published_at")
        else None
    )
    try:
        return Document(
            id=message.id,
            text=message.text,
            title=message.title,
            source=message.source,
            language=message.language,
            published_at=published,
            url=message.url,
        )
    except DocumentError as err:
        raise DocumentError(f"{prefix}.{err.field}", err.reason) from err


def document_to_proto(doc: Document) -> pb.Document:
    """The message for a core document."""
    return pb.Document(
        id=doc.id,
        text=doc.text,
        title=doc.title,
        source=doc.source,
        language=doc.language,
        published_at=timestamp_to_proto(doc.published_at),
        url=doc.url,
    )


def placement_fields(placement: Placement) -> dict:
    """The lineage_id / parent_id / relation / score fields shared by several responses."""
    return {
        "lineage_id": placement.lineage_id,
        "parent_id": placement.parent_id or "",
        "relation": relation_to_proto(placement.relation),
        "score": placement.score,
    }


def _passage_to_proto(passage: SharedPassage) -> pb.Passage:
    return pb.Passage(
        query_start=passage.query_start,
        query_end=passage.query_end,
        match_start=passage.match_start,
        match_end=passage.match_end,
        tokens=passage.tokens,
        text=passage.text,
    )


def match_to_proto(match: ScoredMatch) -> pb.Match:
    """The message for one scored match."""
    return pb.Match(
        id=match.id,
        relation=relation_to_proto(match.relation),
        query_is_derived=match.query_is_derived,
        score=match.score,
        cosine=match.cosine,
        containment_query_in_match=match.containment_query_in_match,
        containment_match_in_query=match.containment_match_in_query,
        lineage_id=match.lineage_id,
        passages=[_passage_to_proto(p) for p in match.passages],
        title=match.document.title,
        source=match.document.source,
        published_at=timestamp_to_proto(match.document.published_at),
        language=match.language,
        translation=_translation_to_proto(match),
    )


def _translation_to_proto(match: ScoredMatch) -> pb.TranslationEvidence | None:
    if match.translation is None:
        return None
    return pb.TranslationEvidence(
        lead_cosine=match.translation.lead_cosine,
        lead_rank=max(match.translation.lead_rank, 0),
        figures_in_common=match.translation.figures_in_common,
        names_in_common=match.translation.names_in_common,
    )


def _node_to_proto(node: LineageNode) -> pb.LineageNode:
    return pb.LineageNode(
        id=node.id,
        parent_id=node.parent_id or "",
        relation=relation_to_proto(node.relation),
        score=node.score,
        source=node.source,
        published_at=timestamp_to_proto(node.published_at),
        title=node.title,
    )


def lineage_to_proto(tree: LineageTree) -> pb.GetLineageResponse:
    """The message for a lineage tree."""
    return pb.GetLineageResponse(lineage_id=tree.lineage_id, nodes=[_node_to_proto(n) for n in tree.nodes])


def stats_to_proto(stats: IndexStats) -> pb.StatsResponse:
    """The message for the index statistics."""
    uptime = Duration()
    uptime.FromNanoseconds(int(stats.uptime_seconds * 1e9))
    return pb.StatsResponse(
        documents=stats.documents,
        lineages=stats.lineages,
        unlinked_documents=stats.unlinked_documents,
        links=stats.links,
        bytes_on_disk=stats.bytes_on_disk,
        uptime=uptime,
    )
