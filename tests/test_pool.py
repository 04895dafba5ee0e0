"""Index processes behind the gRPC process (server.pool.PooledIndex), in process: the same
answers as one LineageIndex, errors that cross the process boundary intact, and a dead index
process that costs its call, not the service."""

from __future__ import annotations

import pickle
import queue
import threading
import time

import pytest

from dedup import Document, DocumentError
from dedup.engine import EngineConfig
from dedup.service import DeadlineExpired, LineageIndex, NotFoundError
from dedup.store import SQLiteStore
from server.pool import Deadline, IndexProcessError, PooledIndex

CONFIG = EngineConfig(embedder=None)



@pytest.fixture
def pool(tmp_path):
    pooled = PooledIndex(tmp_path, processes=2, config=CONFIG, start_timeout=120)
    pids = pooled.open()
    assert len(set(pids)) == 2
    yield pooled
    pooled.close()


def test_pooled_index_answers_as_one_index_does(pool, tmp_path, dated_seeds):
    docs = dated_seeds
    for doc in docs[:-1]:
        assert pool.index(doc).created
    assert not pool.index(docs[0]).created  # an upsert, whichever process takes it
    pooled = pool.score(docs[-1])
    assert len(pool) == len(docs) - 1
    tree = pool.lineage(doc_id=docs[0].id)
    stats = pool.stats()
    pool.close()
    alone = LineageIndex(SQLiteStore(tmp_path), config=CONFIG)
    try:
        # Closing the pool had one process write the engine snapshot, and the restart used it.
        assert alone.restored_from_snapshot == SQLiteStore(tmp_path).last_seq() > 0
        assert alone.score(docs[-1]) == pooled
        assert alone.lineage(doc_id=docs[0].id) == tree
        assert alone.stats().documents == stats.documents == len(docs) - 1
    finally:
        alone.close()


def test_one_process_writes_a_snapshot_that_is_due(pool, tmp_path, dated_seeds):
    for doc in dated_seeds[:3]:
        pool.add(doc)
    assert pool.save_snapshot_if_due(min_writes=10, share=0.0) == 0  # 3 writes: not due
    assert pool.save_snapshot_if_due(min_writes=3, share=0.0) == SQLiteStore(tmp_path).last_seq()
    assert (tmp_path / SQLiteStore.SNAPSHOT_NAME).exists()


def test_every_process_sees_every_acknowledged_write(pool, dated_seeds):
    doc = dated_seeds[0]
    pool.index(doc)
    for _ in range(6):  # calls alternate between idle processes: each must know the document
        assert pool.lineage(doc_id=doc.id).lineage_id == doc.id
    pool.delete(doc.id)
    for _ in range(6):
        with pytest.raises(NotFoundError) as err:
            pool.lineage(doc_id=doc.id)
        assert err.value.field == "id"


def test_errors_keep_their_field_across_processes(pool):
    with pytest.raises(DocumentError) as bad:
        pool.score(Document(id="x", text="a text"), top_k=-1)
    assert bad.value.field == "top_k"
    with pytest.raises(NotFoundError) as missing:
        pool.delete("nobody")
    assert (missing.value.field, missing.value.reason) == ("id", "no document 'nobody'")
    with pytest.raises(DocumentError) as oversize:  # checked here, never sent
        PooledIndex("unused", processes=1, max_text_bytes=10).check(Document(id="x", text="more than ten bytes"))
    assert oversize.value.field == "text"


@pytest.mark.parametrize("error", [DocumentError("document.text", "is empty"), NotFoundError("id", "no document 'x'")])
def test_core_errors_survive_pickling(error):
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.field, copy.reason, str(copy)) == (type(error), error.field, error.reason, str(error))


def test_a_call_past_its_deadline_is_not_started(pool, dated_seeds):
    doc = dated_seeds[0]
    with pytest.raises(DeadlineExpired):
        pool.index(doc, still_wanted=Deadline(lambda: True, lambda: 0.0))
    with pytest.raises(DeadlineExpired):  # the caller went away
        pool.index(doc, still_wanted=Deadline(lambda: False, lambda: None))
    assert len(pool) == 0
    assert pool.index(doc, still_wanted=Deadline(lambda: True, lambda: 60.0)).created


def _serving(pool: PooledIndex, count: int) -> bool:
    """Wait (up to 120 s) until ``count`` index processes serve."""
    deadline = time.monotonic() + 120
    while pool._alive < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return pool._alive == count


def _kill(pool: PooledIndex, k: int) -> None:
    child = list(pool._children.values())[k]
    child.kill()
    child.join()


def test_a_dead_index_process_costs_its_call_and_is_replaced(pool, dated_seeds):
    doc = dated_seeds[0]
    pool.index(doc)
    _kill(pool, 0)
    failures = 0
    for _ in range(4):
        try:
            assert pool.lineage(doc_id=doc.id).lineage_id == doc.id
        except IndexProcessError:
            failures += 1
    assert failures == 1
    assert _serving(pool, 2)  # a new process restored the index from the store
    uptimes = [pool.stats().uptime_seconds for _ in range(4)]  # from either process
    assert uptimes == sorted(uptimes)  # the service's uptime, not the younger process's
    _kill(pool, 0)
    _kill(pool, 1)
    lost = 0
    for _ in range(2):
        try:
            pool.stats()
        except IndexProcessError:
            lost += 1
    assert lost == 2
    assert pool.lineage(doc_id=doc.id).lineage_id == doc.id  # waits for a replacement
    assert _serving(pool, 2)


def test_calls_fail_at_once_when_no_process_can_be_started(pool, monkeypatch):
    def cannot_start() -> None:
        raise OSError("no more processes")

    monkeypatch.setattr(pool, "_start_process", cannot_start)
    for k in range(2):
        _kill(pool, 0)
        with pytest.raises(IndexProcessError, match="died"):
            pool.stats()
    with pytest.raises(IndexProcessError, match="no index process"):
        pool.stats()


def test_a_call_waiting_for_a_process_honours_its_deadline(pool, dated_seeds):
    doc = dated_seeds[0]
    for k in range(2):
        _kill(pool, 0)
        with pytest.raises(IndexProcessError):
            pool.stats()
    assert pool._alive == 0  # both are being replaced: restoring takes longer than the deadline
    with pytest.raises(DeadlineExpired, match="before an index process was free"):
        pool.index(doc, still_wanted=Deadline(lambda: True, lambda: 0.001))


def test_idle_processes_go_to_calls_in_arrival_order():
    from server.pool import _ArrivalOrder

    idle = _ArrivalOrder()
    got: dict[int, str] = {}
    threads = []
    for k in range(3):
        thread = threading.Thread(target=lambda k=k: got.__setitem__(k, idle.get(timeout=30)))
        thread.start()
        threads.append(thread)
        while len(idle._waiting) < k + 1:  # the k-th call is waiting before the next arrives
            time.sleep(0.001)
    for item in ("first", "second", "third"):
        idle.put(item)
    for thread in threads:
        thread.join(30)
    assert got == {0: "first", 1: "second", 2: "third"}
    idle.put("spare")
    assert idle.get(timeout=0) == "spare"
    with pytest.raises(queue.Empty):
        idle.get(timeout=0.01)


def test_grpc_calls_go_through_the_pool_and_a_lost_process_is_unavailable_then_replaced(tmp_path, dated_seeds):
    import grpc

    from server._proto.dedup.v1 import syndication_pb2 as pb
    from server._proto.dedup.v1 import syndication_pb2_grpc as pb_grpc
    from server.app import create_server

    pooled = PooledIndex(tmp_path, processes=1, config=CONFIG, start_timeout=120)
    server, port = create_server("127.0.0.1:0", index=pooled)
    pooled.open()
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.SyndicationStub(channel)
            doc = dated_seeds[0]
            assert stub.Index(pb.IndexRequest(document=pb.Document(id=doc.id, text=doc.text)), timeout=60).created
            assert stub.Stats(pb.StatsRequest(), timeout=60).documents == 1
            with pytest.raises(grpc.RpcError) as missing:
                stub.Delete(pb.DeleteRequest(id="nobody"), timeout=60)
            assert missing.value.code() == grpc.StatusCode.NOT_FOUND
            _kill(pooled, 0)
            with pytest.raises(grpc.RpcError) as lost:
                stub.Stats(pb.StatsRequest(), timeout=60)
            assert lost.value.code() == grpc.StatusCode.UNAVAILABLE
            assert stub.Stats(pb.StatsRequest(), timeout=120).documents == 1  # served by its replacement
    finally:
        server.stop(grace=None)


def test_an_index_process_keeps_blas_to_one_thread():
    """What ``_serve_calls`` does first: BLAS (NumPy's OpenBLAS) spread over every core would
    compete with the other index processes. Checked in a fresh interpreter, which starts
    with its default (a thread per core, or what the environment says)."""
    import subprocess
    import sys

    probe = (
        "import numpy; from threadpoolctl import threadpool_info; from server.pool import one_blas_thread; "
        "one_blas_thread(); print(sorted({p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'}))"
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[1]"


def test_settle_heap_puts_a_restored_index_out_of_the_collectors_reach():
    """What an index process does once the index is restored: a full collection then no
    longer walks the index's objects (checked in a fresh interpreter, whose collector this
    test may change)."""
    import subprocess
    import sys

    probe = (
        "import gc, time; from dedup.service import LineageIndex; from dedup.document import Document; "
        "from server.pool import settle_heap; index = LineageIndex(); "
        "index.index_many([Document(id=f'd{k}', text=f'Story {k} about harvest {k * 7} tonnes in province {k}.') for k in range(300)]); "
        "before = gc.get_freeze_count(); settle_heap(); "
        "print(before, gc.get_freeze_count() > 10000, len(index))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "True", "300"]
