"""The ``dedup.v1.Syndication`` servicer: translate the request, call the core, translate the
answer. No decisions are made here; errors are mapped by :mod:`server.errors`."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import grpc

from dedup.document import Document, DocumentError
from dedup.service import LineageIndex

from . import convert
from ._proto.dedup.v1 import syndication_pb2 as pb
from ._proto.dedup.v1 import syndication_pb2_grpc as pb_grpc
from .errors import translating_errors
from .pool import Deadline, PooledIndex

__all__ = ["SyndicationServicer"]

log = logging.getLogger(__name__)


def still_wanted(context: grpc.ServicerContext) -> Deadline:
    """A check the core calls before starting work: is the caller still waiting? (It also
    tells an index process of :class:`server.pool.PooledIndex` the call's deadline.)"""
    return Deadline(context.is_active, context.time_remaining)


def _document(request: pb.IndexRequest | pb.ScoreRequest | pb.IndexStreamRequest, index: LineageIndex | PooledIndex) -> Document:
    """The request's document, converted and checked (errors name ``document.<field>``)."""
    if not request.HasField("document"):
        raise DocumentError("document", "is required")
    doc = convert.document_from_proto(request.document)
    try:
        index.check(doc)
    except DocumentError as err:
        raise DocumentError(f"document.{err.field}", err.reason) from err
    return doc


class SyndicationServicer(pb_grpc.SyndicationServicer):
    """Serves one :class:`dedup.service.LineageIndex`, in this process or (``PooledIndex``)
    in index processes."""

    def __init__(self, index: LineageIndex | PooledIndex) -> None:
        self.index = index

    @translating_errors
    def Index(self, request: pb.IndexRequest, context: grpc.ServicerContext) -> pb.IndexResponse:
        doc = _document(request, self.index)
        result = self.index.index(doc, still_wanted=still_wanted(context))
        return pb.IndexResponse(created=result.created, **convert.placement_fields(result.placement))

    @translating_errors
    def IndexStream(
        self, request_iterator: Iterator[pb.IndexStreamRequest], context: grpc.ServicerContext
    ) -> pb.IndexStreamResponse:
        summary = pb.IndexStreamResponse()
        wanted = still_wanted(context)
        for position, request in enumerate(request_iterator):
            try:
                doc = _document(request, self.index)
            except DocumentError as err:
                summary.rejected += 1
                summary.rejections.add(id=request.document.id, position=position, field=err.field, reason=err.reason)
                continue
            if self.index.add(doc, still_wanted=wanted):
                summary.created += 1
            else:
                summary.replaced += 1
        if summary.created + summary.replaced:
            self._snapshot_after_bulk_load()
        return summary

    def _snapshot_after_bulk_load(self) -> None:
        """Write the engine snapshot if the load left enough of the index outside it, so that
        a crash now does not cost a replay of the whole load. The writes are durable already:
        a failure is logged, and the call still succeeds."""
        try:
            self.index.save_snapshot_if_due()
        except Exception as err:  # noqa: BLE001 - the snapshot only speeds the next start up
            log.warning("no engine snapshot after the bulk load: %s: %s", type(err).__name__, err)

    @translating_errors
    def Score(self, request: pb.ScoreRequest, context: grpc.ServicerContext) -> pb.ScoreResponse:
        doc = _document(request, self.index)
        result = self.index.score(doc, top_k=request.top_k, index=request.index, still_wanted=still_wanted(context))
        return pb.ScoreResponse(
            matches=[convert.match_to_proto(m) for m in result.matches],
            created=bool(result.created),
            **convert.placement_fields(result.placement),
        )

    @translating_errors
    def Delete(self, request: pb.DeleteRequest, context: grpc.ServicerContext) -> pb.DeleteResponse:
        self.index.delete(request.id, still_wanted=still_wanted(context))
        return pb.DeleteResponse()

    @translating_errors
    def GetLineage(self, request: pb.GetLineageRequest, context: grpc.ServicerContext) -> pb.GetLineageResponse:
        target = request.WhichOneof("target")
        if target is None:
            raise DocumentError("id", "give one of id and lineage_id")
        tree = self.index.lineage(**{"doc_id" if target == "id" else "lineage_id": getattr(request, target)})
        return convert.lineage_to_proto(tree)

    @translating_errors
    def Stats(self, request: pb.StatsRequest, context: grpc.ServicerContext) -> pb.StatsResponse:
        return convert.stats_to_proto(self.index.stats())
