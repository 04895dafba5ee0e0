"""Index processes behind one gRPC process: calls are balanced one by one, not by connection.

Why not only ``SO_REUSEPORT``: the kernel hands each *connection* to one of the processes
sharing the port, and a newsroom's few long-lived client channels often land unevenly.
Measured with 8 client processes and 2 serving processes on 2 cores (20k Reuters documents):
a 4-4 split served 372 Score requests/s, a 7-1 split 189, with one core mostly idle.

Here the gRPC process only translates (protobuf in and out, checks, statuses) and hands each
call to whichever index process is idle. Every index process holds a full
:class:`dedup.service.LineageIndex` over the shared store (``shared=True``), which applies
the writes the other processes committed before each call, so any of them can answer any
call, and every acknowledged write is seen by every later call.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from dedup.document import DEFAULT_MAX_TEXT_BYTES, Document, validate_document
from dedup.engine import EngineConfig
from dedup.service import (
    DeadlineExpired,
    IndexResult,
    IndexStats,
    LineageIndex,
    LineageTree,
    ScoreResult,
    check_text_limit,
)
from dedup.store import SQLiteStore

log = logging.getLogger(__name__)

__all__ = ["Deadline", "IndexProcessError", "PooledIndex"]


class Deadline:
    """A call's "still wanted?" check (see :class:`dedup.service.LineageIndex`) that can also
    say until when, on the wall clock, so another process can apply it: ``active`` says
    whether the caller is still connected, ``seconds_left`` how long it will wait (``None``:
    no deadline)."""

    def __init__(self, active: Callable[[], bool], seconds_left: Callable[[], float | None]) -> None:
        self._active = active
        self._seconds_left = seconds_left

    def __call__(self) -> bool:
        left = self._seconds_left()
        return self._active() and (left is None or left > 0)

    def wall_clock(self) -> float | None:
        """The deadline as a ``time.time()`` value (``None``: none)."""
        left = self._seconds_left()
        return None if left is None else time.time() + left


# -- inside an index process ----------------------------------------------------------------
def one_blas_thread() -> None:
    """Keep this process's BLAS (NumPy's OpenBLAS) to one thread. Its default is a thread per
    core, and they spin for a while after each call, waiting for the next: in a server whose
    index processes (or gRPC threads) already take every core, they only steal time. Measured
    with 8 clients and 2 index processes on an index that holds a few documents in other
    languages (lead embeddings compared by matrix products): 156-218 Score requests/s at
    8.4-11.7 ms of server CPU each, against 308-372/s at 4.7-5.7 ms with one thread."""
    threadpool_limits(limits=1, user_api="blas")


def settle_heap() -> None:
    """Move every object alive now out of reach of the cyclic garbage collector
    (``gc.freeze``, for long-lived state built at start-up). A restored index is hundreds of
    thousands of objects (160,000 at 19k Reuters documents, 1.9 million at 100k), and a full
    collection traverses them all: 130 ms at 19k, 0.8 s at 100k, a pause every Score queued
    behind it waits through. Nothing is lost: what the index lets go of (a deleted or
    replaced document, a Score's temporaries) forms no reference cycles and is freed by
    reference counting (on 500 Reuters documents, 100 deletions, 100 replacements and 60
    Scores left no cyclic garbage). Objects created later, such as the documents indexed
    since, stay in the collector's reach."""
    gc.collect()
    gc.freeze()


def _serve_calls(
    connection: Connection, data_dir: str, config: EngineConfig, max_text_bytes: int
) -> None:
    """An index process: restore the index from the store, say so, then answer calls from
    ``connection`` one at a time until it is closed (or the gRPC process is gone)."""
    # Signals are the gRPC process's to handle: it drains its calls, then closes the pipes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    one_blas_thread()
    # The pool asks one process for the engine snapshot when it closes (:meth:`PooledIndex.close`).
    index = LineageIndex(SQLiteStore(data_dir), config=config, max_text_bytes=max_text_bytes, shared=True, save_on_close=False)
    settle_heap()
    try:
        connection.send(os.getpid())
        while True:
            try:
                call = connection.recv()
            except EOFError:  # the gRPC process is gone
                return
            if call is None:
                return
            connection.send(_answer(index, *call))
    finally:
        index.close()


def _answer(index: LineageIndex, method: str, args: tuple, kwargs: dict, deadline: float | None) -> tuple[bool, Any]:
    """(True, result) or (False, the exception) of one call of ``index``."""
    if method in _TAKES_DEADLINE:
        kwargs = {**kwargs, "still_wanted": (lambda: True) if deadline is None else (lambda: time.time() < deadline)}
    try:
        return True, getattr(index, method)(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 - every error goes back to the caller, as in one process
        try:
            pickle.dumps(err)
        except Exception:  # noqa: BLE001
            err = RuntimeError(f"{type(err).__name__}: {err}")
        return False, err


_TAKES_DEADLINE = frozenset({"index", "add", "score", "delete"})


# -- in the gRPC process --------------------------------------------------------------------
class _Waiter:
    __slots__ = ("event", "item")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.item: Any = None


class _ArrivalOrder:
    """Idle index processes, handed to waiting calls strictly in the order the calls came.

    Written here because ``queue.Queue`` is not fair: a freed item goes to whichever thread
    takes the lock first, often a newcomer, and a call passed over that way waits again at the
    back, which is what the slowest calls (the p99 latency) are made of."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: deque[Any] = deque()
        self._waiting: deque[_Waiter] = deque()
        self._closed = False

    def get(self, timeout: float | None = None) -> Any:
        """The next idle item (``None`` once :meth:`close` d with none left); raise
        ``queue.Empty`` after ``timeout`` seconds."""
        with self._lock:
            if self._idle:
                return self._idle.popleft()
            if self._closed:
                return None
            waiter = _Waiter()
            self._waiting.append(waiter)
        if waiter.event.wait(timeout):
            return waiter.item
        with self._lock:
            if waiter.event.is_set():  # handed over just as the wait ended
                return waiter.item
            self._waiting.remove(waiter)
        raise queue.Empty

    def put(self, item: Any) -> None:
        """Give ``item`` to the longest-waiting call, or keep it idle."""
        with self._lock:
            if self._waiting:
                waiter = self._waiting.popleft()
                waiter.item = item
                waiter.event.set()
            else:
                self._idle.append(item)

    def close(self) -> None:
        """No item will come any more: calls waiting now, and later ones, get ``None``."""
        with self._lock:
            self._closed = True
            while self._waiting:
                self._waiting.popleft().event.set()


class IndexProcessError(RuntimeError):
    """An index process died, or none is left."""


class PooledIndex:
    """The calls of :class:`dedup.service.LineageIndex`, each run by one of ``processes``
    index processes over the SQLite store in ``data_dir``. :meth:`open` starts them (and
    returns once each has restored the index); :meth:`close` waits for the calls in flight,
    then stops them. :meth:`check` checks input here (the servicer calls it first, so a bad
    document is never sent); the index process checks every call again, as one process would.

    An index process that dies costs the call it was answering (:class:`IndexProcessError`);
    another is started in its place, and calls wait for it when no other process is left
    (up to their deadline).

    A call goes down the pipe of an idle process and waits for its answer: one pickle each
    way and no helper thread (``concurrent.futures.ProcessPoolExecutor`` cost this process
    about 0.6 ms of CPU per call in its queue and manager threads, an eighth of a Score)."""

    def __init__(
        self,
        data_dir: str | Path,
        *,
        processes: int,
        config: EngineConfig | None = None,
        max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES,
        start_timeout: float = 600.0,
    ) -> None:
        if processes < 1:
            raise ValueError(f"processes must be at least 1, got {processes}")
        self.data_dir = str(data_dir)
        self.processes = processes
        self.config = config if config is not None else EngineConfig()
        self.max_text_bytes = check_text_limit(max_text_bytes)
        #: How long an index process may take to restore the index (a large one takes minutes).
        self.start_timeout = start_timeout
        self._context = multiprocessing.get_context("spawn")  # no fork: grpc must not be forked
        self._idle = _ArrivalOrder()
        self._children: dict[Connection, multiprocessing.process.BaseProcess] = {}
        self._alive = 0  # processes serving calls
        self._replacing = 0  # processes starting in place of lost ones
        self._closing = False
        self._lock = threading.Lock()
        self._spawned = 0  # processes started so far (for their names)
        self._opened_at = time.monotonic()

    def open(self) -> list[int]:
        """Start the index processes; return their pids once every one serves. Raises
        :class:`IndexProcessError` when one failed to start within :attr:`start_timeout`."""
        SQLiteStore(self.data_dir).close()  # create the schema once, before the processes race for it
        started = [self._start_process() for _ in range(self.processes)]
        deadline = time.monotonic() + self.start_timeout
        try:
            pids = [self._wait_until_serving(connection, child, deadline) for connection, child in started]
        except BaseException:
            self._stop_processes()
            raise
        with self._lock:
            self._alive = len(started)
        self._opened_at = time.monotonic()
        for connection, _ in started:
            self._idle.put(connection)
        return pids

    def _start_process(self) -> tuple[Connection, multiprocessing.process.BaseProcess]:
        mine, theirs = self._context.Pipe()
        child = self._context.Process(
            target=_serve_calls,
            args=(theirs, self.data_dir, self.config, self.max_text_bytes),
            name=f"dedup-index-{self._spawned}",
            daemon=True,
        )
        self._spawned += 1
        child.start()
        theirs.close()
        with self._lock:
            self._children[mine] = child
        return mine, child

    def _wait_until_serving(
        self, connection: Connection, child: multiprocessing.process.BaseProcess, deadline: float
    ) -> int:
        """The pid an index process sends once it has restored the index."""
        if not connection.poll(max(0.0, deadline - time.monotonic())):
            raise IndexProcessError(f"{child.name} did not start within {self.start_timeout:g} s")
        try:
            return connection.recv()
        except EOFError:
            child.join(5)
            raise IndexProcessError(f"{child.name} exited while starting (exit code {child.exitcode})") from None

    def _lost(self, connection: Connection) -> int:
        """An index process died: start another in its place (in the background: restoring
        the index takes a while); return how many still serve."""
        with self._lock:
            self._alive -= 1
            child = self._children.pop(connection, None)  # None: already stopped by close()
            replace = not self._closing
            self._replacing += int(replace)
            alive = self._alive
        connection.close()
        if child is not None:
            child.join(5)
            log.error("%s died (exit code %s); %s", child.name, child.exitcode, "starting another" if replace else "closing")
        if replace:
            threading.Thread(target=self._replace, name="dedup-index-replace", daemon=True).start()
        return alive

    def _replace(self) -> None:
        started = None
        try:
            started = self._start_process()
            pid = self._wait_until_serving(*started, time.monotonic() + self.start_timeout)
        except (IndexProcessError, OSError) as err:
            log.error("could not replace a lost index process: %s", err)
            if started is not None:
                self._stop_processes([started[0]])  # one that hangs or exited while starting
            with self._lock:
                self._replacing -= 1
                none_left = self._alive + self._replacing == 0
            if none_left:
                self._idle.close()  # calls waiting for a process fail instead of waiting forever
            return
        with self._lock:
            self._replacing -= 1
            closing = self._closing
            if not closing:
                self._alive += 1
        if closing:
            self._stop_processes([started[0]])
            return
        log.warning("index process %d serves in place of a lost one", pid)
        self._idle.put(started[0])

    def close(self, timeout: float = 60.0) -> None:
        """Wait (up to ``timeout`` seconds) for the calls in flight, have the first process
        that is free write the engine snapshot (so the next start replays only what follows
        it), then stop the processes."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._closing = True
            alive, self._alive = self._alive, 0
        for k in range(alive):
            try:
                connection = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if connection is None:
                break
            try:
                if k == 0:
                    self._save_snapshot(connection)
                connection.send(None)
            except OSError:
                pass
        self._idle.close()
        self._stop_processes()

    @staticmethod
    def _save_snapshot(connection: Connection) -> None:
        """One process writes the engine snapshot; a failure is logged (the store alone is
        enough to restart, only slower)."""
        try:
            connection.send(("save_snapshot", (), {}, None))
            ok, value = connection.recv()
        except (EOFError, OSError) as err:
            log.warning("no engine snapshot: the index process was lost (%s)", err)
            return
        if not ok:
            log.warning("no engine snapshot: %s", value)

    def _stop_processes(self, connections: list[Connection] | None = None) -> None:
        """Stop the given index processes (all by default): each leaves when its pipe closes."""
        with self._lock:
            chosen = list(self._children) if connections is None else connections
            children = [self._children.pop(c) for c in chosen if c in self._children]
        for connection in chosen:
            connection.close()
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()
                child.join()

    def _call(self, method: str, *args: Any, still_wanted: Callable[[], bool] | None = None, **kwargs: Any) -> Any:
        if still_wanted is not None and not still_wanted():
            raise DeadlineExpired("the deadline passed before the work started")
        deadline = still_wanted.wall_clock() if isinstance(still_wanted, Deadline) else None
        try:  # every process may be busy, or starting in place of a lost one
            connection = self._idle.get(timeout=None if deadline is None else max(0.0, deadline - time.time()))
        except queue.Empty:
            raise DeadlineExpired("the deadline passed before an index process was free") from None
        if connection is None:
            raise IndexProcessError("no index process is running")
        try:
            connection.send((method, args, kwargs, deadline))
            ok, value = connection.recv()
        except (EOFError, OSError) as err:
            alive = self._lost(connection)
            raise IndexProcessError(f"an index process died during a {method} call ({alive} still serve)") from err
        self._idle.put(connection)
        if not ok:
            raise value
        return value

    def save_snapshot_if_due(self, **kwargs: Any) -> int:
        """:meth:`dedup.service.LineageIndex.save_snapshot_if_due`, by one index process (the
        others go on serving)."""
        return self._call("save_snapshot_if_due", **kwargs)

    def check(self, doc: Document) -> None:
        """Raise :class:`dedup.document.DocumentError` naming the first bad field of ``doc``."""
        validate_document(doc, max_text_bytes=self.max_text_bytes)

    def index(self, doc: Document, *, still_wanted: Callable[[], bool] | None = None) -> IndexResult:
        return self._call("index", doc, still_wanted=still_wanted)

    def add(self, doc: Document, *, still_wanted: Callable[[], bool] | None = None) -> bool:
        return self._call("add", doc, still_wanted=still_wanted)

    def score(
        self, doc: Document, *, top_k: int = 0, index: bool = False, still_wanted: Callable[[], bool] | None = None
    ) -> ScoreResult:
        return self._call("score", doc, top_k=top_k, index=index, still_wanted=still_wanted)

    def delete(self, doc_id: str, *, still_wanted: Callable[[], bool] | None = None) -> None:
        self._call("delete", doc_id, still_wanted=still_wanted)

    def lineage(self, *, doc_id: str | None = None, lineage_id: str | None = None) -> LineageTree:
        return self._call("lineage", doc_id=doc_id, lineage_id=lineage_id)

    def stats(self) -> IndexStats:
        # The service's uptime, not that of the index process that answered (one started in
        # place of a lost one is younger).
        return replace(self._call("stats"), uptime_seconds=time.monotonic() - self._opened_at)

    def __len__(self) -> int:
        return self._call("__len__")
