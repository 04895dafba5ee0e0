"""The one place where core exceptions become gRPC statuses.

=====================================  ===================  ==============================
core exception                         status               details
=====================================  ===================  ==============================
:class:`dedup.document.DocumentError`  INVALID_ARGUMENT     ``google.rpc.BadRequest`` with
                                                            one field violation
:class:`dedup.service.NotFoundError`   NOT_FOUND            ``google.rpc.ResourceInfo``
:class:`dedup.service.DeadlineExpired` DEADLINE_EXCEEDED    none
:class:`server.pool.IndexProcessError` UNAVAILABLE          none (an index process died)
=====================================  ===================  ==============================

Oversize messages never reach the servicer: grpc answers RESOURCE_EXHAUSTED itself
(``grpc.max_receive_message_length``, set in :func:`server.app.create_server`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import NoReturn, TypeVar

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from dedup.document import DocumentError
from dedup.service import DeadlineExpired, NotFoundError

from .pool import IndexProcessError

__all__ = ["abort_with", "bad_request_status", "not_found_status", "translating_errors"]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable)


def _status(code: int, message: str, detail: object | None = None) -> grpc.Status:
    status = status_pb2.Status(code=code, message=message)
    if detail is not None:
        packed = any_pb2.Any()
        packed.Pack(detail)
        status.details.append(packed)
    return rpc_status.to_status(status)


def bad_request_status(field_name: str, reason: str) -> grpc.Status:
    """INVALID_ARGUMENT with a BadRequest naming ``field_name``."""
    violation = error_details_pb2.BadRequest.FieldViolation(field=field_name, description=reason)
    return _status(
        code_pb2.INVALID_ARGUMENT, f"{field_name}: {reason}", error_details_pb2.BadRequest(field_violations=[violation])
    )


def not_found_status(field_name: str, reason: str) -> grpc.Status:
    """NOT_FOUND with a ResourceInfo saying which request field did not resolve."""
    info = error_details_pb2.ResourceInfo(
        resource_type="dedup.v1.Document", resource_name=field_name, description=reason
    )
    return _status(code_pb2.NOT_FOUND, f"{field_name}: {reason}", info)


def abort_with(context: grpc.ServicerContext, err: Exception) -> NoReturn:
    """Abort the call with the status mapped from ``err`` (re-raise what is not ours)."""
    if isinstance(err, DocumentError):
        context.abort_with_status(bad_request_status(err.field, err.reason))
    elif isinstance(err, NotFoundError):
        context.abort_with_status(not_found_status(err.field, err.reason))
    elif isinstance(err, DeadlineExpired):
        context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, str(err))
    elif isinstance(err, IndexProcessError):
        log.error("%s", err)
        context.abort(grpc.StatusCode.UNAVAILABLE, str(err))
    raise err


def translating_errors(method: F) -> F:
    """Decorate a servicer method so core exceptions become statuses (unknown ones are logged
    and become INTERNAL, grpc's default)."""

    @functools.wraps(method)
    def wrapper(self, request, context):  # type: ignore[no-untyped-def]
        try:
            return method(self, request, context)
        except (DocumentError, NotFoundError, DeadlineExpired, IndexProcessError) as err:
            abort_with(context, err)

    return wrapper  # type: ignore[return-value]
