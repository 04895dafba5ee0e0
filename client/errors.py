"""One exception class per gRPC status code, all under :class:`SyndicationError`::

SyndicationError            (.code, .message, .field_violations)
├── Cancelled
├── Unknown
├── InvalidArgument         a bad field: see .field_violations, e.g. {"document.text": "..."}
├── DeadlineExceeded
├── NotFound                an unknown id
├── AlreadyExists
├── PermissionDenied
├── ResourceExhausted       a message over the server's size limit
├── FailedPrecondition
├── Aborted
├── OutOfRange
├── Unimplemented
├── Internal
├── Unavailable             no server at the target (or it is shutting down)
├── DataLoss
└── Unauthenticated
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

__all__ = [
    "Aborted",
    "AlreadyExists",
    "Cancelled",
    "DataLoss",
    "DeadlineExceeded",
    "FailedPrecondition",
    "Internal",
    "InvalidArgument",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "ResourceExhausted",
    "SyndicationError",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "from_rpc_error",
]


class SyndicationError(Exception):
    """A call failed; ``code`` is the gRPC status, ``field_violations`` maps each bad request
    field to its description (from a ``google.rpc.BadRequest`` detail, empty otherwise)."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str, field_violations: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_violations: Mapping[str, str] = MappingProxyType(dict(field_violations or {}))


class Cancelled(SyndicationError):
    code = grpc.StatusCode.CANCELLED


class Unknown(SyndicationError):
    code = grpc.StatusCode.UNKNOWN


class InvalidArgument(SyndicationError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(SyndicationError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFound(SyndicationError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(SyndicationError):
    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(SyndicationError):
    code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(SyndicationError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(SyndicationError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Aborted(SyndicationError):
    code = grpc.StatusCode.ABORTED


class OutOfRange(SyndicationError):
    code = grpc.StatusCode.OUT_OF_RANGE


class Unimplemented(SyndicationError):
    code = grpc.StatusCode.UNIMPLEMENTED


class Internal(SyndicationError):
    code = grpc.StatusCode.INTERNAL


class Unavailable(SyndicationError):
    code = grpc.StatusCode.UNAVAILABLE


class DataLoss(SyndicationError):
    code = grpc.StatusCode.DATA_LOSS


class Unauthenticated(SyndicationError):
    code = grpc.StatusCode.UNAUTHENTICATED


_BY_CODE: dict[grpc.StatusCode, type[SyndicationError]] = {cls.code: cls for cls in SyndicationError.__subclasses__()}


def _field_violations(err: grpc.RpcError) -> dict[str, str]:
    """Field -> description from the BadRequest details of a failed call, if any."""
    try:
        status = rpc_status.from_call(err)  # type: ignore[arg-type]
    except (ValueError, AttributeError):
        return {}
    violations: dict[str, str] = {}
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations.update({v.field: v.description for v in bad.field_violations})
    return violations


def from_rpc_error(err: grpc.RpcError) -> SyndicationError:
    """The typed exception for a failed call."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN  # type: ignore[attr-defined]
    message = err.details() if hasattr(err, "details") else str(err)  # type: ignore[attr-defined]
    return _BY_CODE.get(code, Unknown)(message or code.name, _field_violations(err))
