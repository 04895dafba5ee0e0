"""Assembling and running the gRPC server: :func:`create_server` builds it (tests bind port 0),
:func:`serve` runs it until SIGTERM or SIGINT, then shuts down gracefully."""

from __future__ import annotations

import errno
import logging
import os
import signal
import sys
import threading
from concurrent import futures
from pathlib import Path
from typing import TextIO

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from dedup.document import DEFAULT_MAX_TEXT_BYTES
from dedup.engine import EngineConfig
from dedup.service import LineageIndex, check_text_limit
from dedup.store import Store, open_store

from ._proto.dedup.v1 import syndication_pb2 as pb
from ._proto.dedup.v1 import syndication_pb2_grpc as pb_grpc
from .pool import IndexProcessError, PooledIndex, one_blas_thread, settle_heap
from .servicer import SyndicationServicer

__all__ = ["DEFAULT_GRACE_SECONDS", "SERVICE_NAME", "SyndicationServer", "create_server", "serve"]

log = logging.getLogger(__name__)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Syndication"].full_name
DEFAULT_GRACE_SECONDS = 10.0
DEFAULT_START_TIMEOUT_SECONDS = 600.0  # restoring a large index takes a while
# Room for the other fields of a request beside a text at the limit: a bigger message is
# refused by grpc itself with RESOURCE_EXHAUSTED, a text just over the limit gets
# INVALID_ARGUMENT naming document.text.
MESSAGE_OVERHEAD_BYTES = 64 * 1024


class SyndicationServer:
    """A started-or-not gRPC server with its index and health service.

    :meth:`stop` is graceful: health answers NOT_SERVING at once, new calls are refused,
    in-flight calls get ``grace`` seconds to finish, then the store is closed."""

    def __init__(self, server: grpc.Server, index: LineageIndex | PooledIndex, health_servicer: health.HealthServicer) -> None:
        self.grpc_server = server
        self.index = index
        self.health = health_servicer
        self._stopped = threading.Event()

    def start(self) -> None:
        """Start serving and report SERVING for the server and the Syndication service."""
        self.grpc_server.start()
        for name in ("", SERVICE_NAME):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    def stop(self, grace: float | None = DEFAULT_GRACE_SECONDS) -> None:
        """NOT_SERVING, let in-flight calls finish (up to ``grace`` seconds), close the store."""
        self.health.enter_graceful_shutdown()
        self.grpc_server.stop(grace).wait()
        self.index.close()
        self._stopped.set()

    def wait_for_termination(self, timeout: float | None = None) -> bool:
        """Block until :meth:`stop` has finished (True) or ``timeout`` passes (False)."""
        return self._stopped.wait(timeout)

    def __enter__(self) -> SyndicationServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._stopped.is_set():
            self.stop(grace=None)


def create_server(
    address: str,
    data_dir: str | Path | None = None,
    *,
    store: Store | None = None,
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES,
    max_workers: int = 8,
    shared: bool = False,
    config: EngineConfig | None = None,
    index: LineageIndex | PooledIndex | None = None,
) -> tuple[SyndicationServer, int]:
    """Build a server bound to ``address`` (``host:0`` picks a free port) over the index in
    ``data_dir`` (SQLite; in memory when ``None``, or the given ``store``); return it unstarted
    with the port it is bound to. The index is restored from the store here, before any call.

    ``shared``: one of several processes serving one port (``SO_REUSEPORT``) and one store;
    each sees the others' writes (:class:`dedup.service.LineageIndex` ``shared``). ``config``:
    the engine's configuration (the measured defaults when ``None``). ``index``: serve this
    index instead (a :class:`server.pool.PooledIndex`, not yet opened); ``data_dir``,
    ``store``, ``shared`` and ``config`` are then not used."""
    check_text_limit(max_text_bytes)  # before anything is opened
    if index is None:
        index = LineageIndex(
            store if store is not None else open_store(data_dir),
            config=config if config is not None else EngineConfig(),
            max_text_bytes=max_text_bytes,
            shared=shared,
        )
    options = [
        ("grpc.max_receive_message_length", max_text_bytes + MESSAGE_OVERHEAD_BYTES),
        # Alone, never share a port with a forgotten server by accident; shared, share it.
        ("grpc.so_reuseport", 1 if shared else 0),
    ]
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="dedup-rpc"), options=options
    )
    pb_grpc.add_SyndicationServicer_to_server(SyndicationServicer(index), server)
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    try:
        port = server.add_insecure_port(address)  # grpc raises, older versions returned 0
    except RuntimeError:
        port = 0
    if port == 0:
        index.close()
        raise OSError(errno.EADDRINUSE, "cannot listen there (address in use or not available)", address)
    return SyndicationServer(server, index, health_servicer), port


def _announce(line: str, out: TextIO) -> None:
    print(line, file=out, flush=True)


def _run_until_signalled(server: SyndicationServer, grace: float, announcement: str, out: TextIO) -> None:
    """Print ``announcement``, serve until SIGTERM/SIGINT, then stop gracefully. The handlers
    are in place before the announcement: a caller that stops the server as soon as it reads
    the line (a test, a supervisor) gets the graceful stop, not the default death by signal."""
    stopping = threading.Thread(target=server.stop, kwargs={"grace": grace}, name="dedup-shutdown")

    def stop(reason: str) -> None:
        if not stopping.is_alive() and not server.wait_for_termination(0):
            print(f"dedup[{os.getpid()}]: {reason}: draining (up to {grace:g}s)", file=sys.stderr, flush=True)
            stopping.start()

    def on_signal(signum: int, frame: object) -> None:
        stop(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    _announce(announcement, out)
    while not server.wait_for_termination(timeout=0.5):  # short waits: signal handlers run between them
        pass
    if stopping.is_alive():
        stopping.join()


def serve(
    data_dir: str | Path,
    host: str = "127.0.0.1",
    port: int = 50051,
    *,
    workers: int = 1,
    grace: float = DEFAULT_GRACE_SECONDS,
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES,
    config: EngineConfig | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """Run the service until SIGTERM or SIGINT, then stop gracefully; return the exit status.

    Prints one line, ``dedup: serving dedup.v1.Syndication on HOST:PORT ...``, once it accepts
    calls (with ``--port 0``, that line is how a caller learns the port). With ``workers`` > 1,
    that many index processes answer the calls this process receives, each call going to
    whichever is free (scoring is CPU-bound Python; see :mod:`server.pool`)."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    check_text_limit(max_text_bytes)
    if workers > 1:
        return _serve_pooled(
            data_dir, host, port, workers=workers, grace=grace, max_text_bytes=max_text_bytes, config=config, out=out
        )
    one_blas_thread()  # the gRPC threads take the cores (see the pooled case)
    server, bound = create_server(f"{host}:{port}", data_dir, max_text_bytes=max_text_bytes, config=config)
    settle_heap()  # the restored index, out of the garbage collector's full passes
    server.start()
    documents = len(server.index)
    _run_until_signalled(server, grace, f"dedup: serving {SERVICE_NAME} on {host}:{bound} (data in {data_dir}, {documents} documents)", out)
    return 0


def _serve_pooled(
    data_dir: str | Path,
    host: str,
    port: int,
    *,
    workers: int,
    grace: float,
    max_text_bytes: int,
    config: EngineConfig | None,
    out: TextIO,
) -> int:
    """Serve with ``workers`` index processes behind this one (:class:`server.pool.PooledIndex`):
    bind first (a taken port fails at once), then start them, then accept calls."""
    pool = PooledIndex(
        data_dir,
        processes=workers,
        config=config,
        max_text_bytes=max_text_bytes,
        start_timeout=DEFAULT_START_TIMEOUT_SECONDS,
    )
    server, bound = create_server(
        f"{host}:{port}", index=pool, max_text_bytes=max_text_bytes, max_workers=max(8, 4 * workers)
    )
    try:
        pool.open()
    except (IndexProcessError, OSError) as err:  # a process that failed has printed why
        pool.close()
        print(f"dedup: error: the index processes did not start ({type(err).__name__}: {err})", file=sys.stderr)
        return 1
    server.start()
    announcement = (
        f"dedup: serving {SERVICE_NAME} on {host}:{bound} with {workers} index processes "
        f"(data in {data_dir}, {len(pool)} documents)"
    )
    _run_until_signalled(server, grace, announcement, out)
    return 0
