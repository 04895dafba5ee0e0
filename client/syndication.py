"""The Python client of ``dedup.v1.Syndication``.

>>> from client import SyndicationClient                      # doctest: +SKIP
>>> with SyndicationClient("127.0.0.1:50051") as dedup:        # doctest: +SKIP
...     result = dedup.score(Document(id="x", text="..."))
...     [(m.id, m.relation.value) for m in result.matches]

Every call has a deadline (``timeout`` seconds, the client's default unless given); every failure
is a :class:`client.errors.SyndicationError` subclass, one per status code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from dedup.document import Document
from dedup.relate import Relation
from server._proto.dedup.v1 import syndication_pb2 as pb
from server._proto.dedup.v1 import syndication_pb2_grpc as pb_grpc
from server.convert import document_to_proto, relation_from_proto

from .errors import from_rpc_error
from .types import (
    IndexResult,
    Lineage,
    LineageNode,
    Match,
    Passage,
    Rejection,
    ScoreResult,
    Stats,
    StreamSummary,
    TranslationEvidence,
)

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "SyndicationClient"]

DEFAULT_TIMEOUT_SECONDS = 30.0


def _relation(value: int) -> Relation:
    return relation_from_proto(value) or Relation.NONE


def _when(message: pb.Match | pb.LineageNode) -> datetime | None:
    return message.published_at.ToDatetime(tzinfo=timezone.utc) if message.HasField("published_at") else None


def _match(m: pb.Match) -> Match:
    passages = tuple(
        Passage(p.query_start, p.query_end, p.match_start, p.match_end, p.tokens, p.text) for p in m.passages
    )
    return Match(
        id=m.id,
        relation=_relation(m.relation),
        query_is_derived=m.query_is_derived,
        score=m.score,
        cosine=m.cosine,
        containment_query_in_match=m.containment_query_in_match,
        containment_match_in_query=m.containment_match_in_query,
        lineage_id=m.lineage_id,
        passages=passages,
        title=m.title,
        source=m.source,
        published_at=_when(m),
        language=m.language,
        translation=(
            TranslationEvidence(
                m.translation.lead_cosine, m.translation.lead_rank, m.translation.figures_in_common, m.translation.names_in_common
            )
            if m.HasField("translation")
            else None
        ),
    )


def _node(n: pb.LineageNode) -> LineageNode:
    return LineageNode(n.id, n.parent_id or None, _relation(n.relation), n.score, n.source, _when(n), n.title)


class SyndicationClient:
    """A connection to a Syndication server at ``target`` (``host:port``); a context manager.

    ``timeout`` is the default deadline of every call, in seconds."""

    def __init__(
        self, target: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS, options: Sequence[tuple[str, object]] = ()
    ) -> None:
        host, _, port = (target or "").rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"target must be HOST:PORT, got {target!r}")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
        self.target = target
        self.timeout = timeout
        self._channel = grpc.insecure_channel(target, options=list(options))
        self._stub = pb_grpc.SyndicationStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)

    def __enter__(self) -> SyndicationClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()

    def _call(self, method, request, timeout: float | None):  # type: ignore[no-untyped-def]
        try:
            return method(request, timeout=timeout if timeout is not None else self.timeout)
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None

    # -- calls --------------------------------------------------------------------------
    def index(self, doc: Document, *, timeout: float | None = None) -> IndexResult:
        """Insert or replace ``doc``; the lineage it joined."""
        r = self._call(self._stub.Index, pb.IndexRequest(document=document_to_proto(doc)), timeout)
        return IndexResult(r.created, r.lineage_id, r.parent_id or None, _relation(r.relation), r.score)

    def index_stream(self, documents: Iterable[Document], *, timeout: float | None = None) -> StreamSummary:
        """Bulk-load ``documents`` in one stream (each committed as it arrives)."""
        requests: Iterator[pb.IndexStreamRequest] = (
            pb.IndexStreamRequest(document=document_to_proto(d)) for d in documents
        )
        r = self._call(self._stub.IndexStream, requests, timeout)
        rejections = tuple(Rejection(x.id, x.position, x.field, x.reason) for x in r.rejections)
        return StreamSummary(r.created, r.replaced, r.rejected, rejections)

    def score(self, doc: Document, *, top_k: int = 0, index: bool = False, timeout: float | None = None) -> ScoreResult:
        """The indexed documents linked to ``doc`` (best first) and the lineage it gets."""
        request = pb.ScoreRequest(document=document_to_proto(doc), top_k=top_k, index=index)
        r = self._call(self._stub.Score, request, timeout)
        return ScoreResult(
            tuple(_match(m) for m in r.matches),
            r.lineage_id,
            r.parent_id or None,
            _relation(r.relation),
            r.score,
            r.created,
        )

    def delete(self, doc_id: str, *, timeout: float | None = None) -> None:
        """Remove ``doc_id`` (:class:`client.errors.NotFound` if unknown)."""
        self._call(self._stub.Delete, pb.DeleteRequest(id=doc_id), timeout)

    def lineage(
        self, doc_id: str | None = None, *, lineage_id: str | None = None, timeout: float | None = None
    ) -> Lineage:
        """The lineage of document ``doc_id``, or the lineage whose id is ``lineage_id``."""
        if (doc_id is None) == (lineage_id is None):
            raise ValueError("give exactly one of doc_id and lineage_id")
        request = pb.GetLineageRequest(id=doc_id) if doc_id is not None else pb.GetLineageRequest(lineage_id=lineage_id)
        r = self._call(self._stub.GetLineage, request, timeout)
        return Lineage(r.lineage_id, tuple(_node(n) for n in r.nodes))

    def stats(self, *, timeout: float | None = None) -> Stats:
        """Counts, bytes on disk and uptime of the server's index."""
        r = self._call(self._stub.Stats, pb.StatsRequest(), timeout)
        return Stats(
            r.documents,
            r.lineages,
            r.unlinked_documents,
            r.links,
            r.bytes_on_disk,
            r.uptime.ToTimedelta().total_seconds(),
        )

    def health(self, service: str = "", *, timeout: float | None = None) -> str:
        """The server's health status name: ``SERVING``, ``NOT_SERVING``..."""
        r = self._call(self._health.Check, health_pb2.HealthCheckRequest(service=service), timeout)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(r.status)
