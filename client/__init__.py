"""Python client of the ``dedup.v1.Syndication`` service: :class:`SyndicationClient`, typed
results (:mod:`client.types`) and one exception per status code (:mod:`client.errors`)."""

from dedup.document import Document

from . import errors
from .errors import InvalidArgument, NotFound, ResourceExhausted, SyndicationError, Unavailable
from .syndication import DEFAULT_TIMEOUT_SECONDS, SyndicationClient
from .types import IndexResult, Lineage, LineageNode, Match, Passage, Rejection, ScoreResult, Stats, StreamSummary

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "Document",
    "IndexResult",
    "InvalidArgument",
    "Lineage",
    "LineageNode",
    "Match",
    "NotFound",
    "Passage",
    "Rejection",
    "ResourceExhausted",
    "ScoreResult",
    "Stats",
    "StreamSummary",
    "SyndicationClient",
    "SyndicationError",
    "Unavailable",
    "errors",
]
