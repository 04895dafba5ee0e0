"""The Python client (typed results, one exception per status, a deadline on every call) and
the CLI verbs index / score / lineage against a server on 127.0.0.1, port 0."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from client import Document, SyndicationClient, errors
from client.types import IndexResult, Lineage, ScoreResult, Stats, StreamSummary
from dedup import read_corpus
from dedup.cli import main
from dedup.relate import Relation
from server import create_server

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
WAIT = 60.0


@pytest.fixture
def running(tmp_path) -> Iterator[tuple]:
    """A started in-memory server and its target."""
    server, port = create_server("127.0.0.1:0")
    server.start()
    try:
        yield server, f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None)


@pytest.fixture
def seeds() -> list[Document]:
    return read_corpus(str(SEEDS))


# -- the client ----------------------------------------------------------------------------
def test_the_client_returns_typed_results(running, seeds):
    _, target = running
    with SyndicationClient(target, timeout=WAIT) as dedup:
        assert dedup.health() == "SERVING"
        first = dedup.index(seeds[0])
        assert isinstance(first, IndexResult) and first.created and first.relation is Relation.NONE
        summary = dedup.index_stream(seeds[1:])
        assert isinstance(summary, StreamSummary) and (summary.created, summary.replaced, summary.rejected) == (4, 0, 0)
        scored = dedup.score(seeds[1], top_k=3)
        assert isinstance(scored, ScoreResult) and scored.matches and len(scored.matches) <= 3
        assert all(isinstance(m.relation, Relation) and m.passages for m in scored.matches)
        lineage = dedup.lineage(seeds[1].id)
        assert isinstance(lineage, Lineage) and lineage.ids[0] == lineage.lineage_id and seeds[1].id in lineage.ids
        assert dedup.lineage(lineage_id=lineage.lineage_id) == lineage
        stats = dedup.stats()
        assert isinstance(stats, Stats) and stats.documents == 5 and stats.uptime_seconds >= 0
        dedup.delete(seeds[1].id)
        assert dedup.stats().documents == 4


def test_each_status_has_its_exception(running, seeds):
    _, target = running
    with SyndicationClient(target, timeout=WAIT) as dedup:
        with pytest.raises(errors.NotFound) as not_found:
            dedup.delete("nope")
        assert not_found.value.code is grpc.StatusCode.NOT_FOUND
        with pytest.raises(errors.InvalidArgument) as invalid:
            dedup.score(seeds[0], top_k=100_000)
        assert "top_k" in invalid.value.field_violations
        assert isinstance(invalid.value, errors.SyndicationError)
    codes = {cls.code for cls in errors.SyndicationError.__subclasses__()}
    assert codes == set(grpc.StatusCode) - {grpc.StatusCode.OK}


def test_a_server_that_is_not_there_is_unavailable():
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with SyndicationClient(f"127.0.0.1:{port}", timeout=WAIT) as dedup, pytest.raises(errors.Unavailable):
        dedup.stats()


def test_the_deadline_is_the_clients_default_or_the_calls(running, seeds):
    server, target = running
    with SyndicationClient(target, timeout=0.5) as dedup:
        with server.index._lock:  # the server cannot answer before the deadline
            with pytest.raises(errors.DeadlineExceeded):
                dedup.stats()
            with pytest.raises(errors.DeadlineExceeded):
                dedup.stats(timeout=0.2)


def test_every_call_carries_a_deadline(running, seeds):
    _, target = running
    seen: list[str] = []
    with SyndicationClient(target, timeout=7.0) as dedup:
        stub = dedup._stub

        class Recording:
            def __getattr__(self, name: str):
                method = getattr(stub, name)

                def call(request, timeout=None):
                    assert timeout == 7.0, name
                    seen.append(name)
                    return method(request, timeout=timeout)

                return call

        dedup._stub = Recording()
        dedup.index(seeds[0])
        dedup.index_stream(seeds[1:2])
        dedup.score(seeds[0])
        dedup.lineage(seeds[0].id)
        dedup.stats()
        dedup.delete(seeds[0].id)
    assert seen == ["Index", "IndexStream", "Score", "GetLineage", "Stats", "Delete"]


@pytest.mark.parametrize("target", ["", "localhost", "127.0.0.1:", "127.0.0.1:http"])
def test_a_malformed_target_is_refused(target):
    with pytest.raises(ValueError, match="HOST:PORT"):
        SyndicationClient(target)


# -- the CLI verbs ----------------------------------------------------------------------------
def test_cli_index_score_lineage(running, seeds, capsys, tmp_path):
    _, target = running
    assert main(["index", str(SEEDS), "--target", target]) == 0
    assert "5 created, 0 replaced, 0 rejected" in capsys.readouterr().out
    one = SEEDS / f"{seeds[0].id}.txt"
    assert main(["index", str(one), "--target", target]) == 0
    assert f"{seeds[0].id}: replaced; lineage" in capsys.readouterr().out
    assert main(["score", str(SEEDS / f"{seeds[4].id}.txt"), "--target", target, "--top-k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{seeds[4].id}: lineage ")
    assert "  1. " in out and "shared: “" in out and "cosine" in out
    assert main(["lineage", seeds[4].id, "--target", target]) == 0
    tree = capsys.readouterr().out
    assert tree.startswith("lineage ") and "└─ " in tree and seeds[4].id in tree


def test_cli_index_of_jsonl_reports_rejections_from_the_file_reader(running, tmp_path, capsys):
    _, target = running
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        json.dumps({"id": "j1", "text": "A short dispatch about the harvest in the valley."}) + "\n", encoding="utf-8"
    )
    assert main(["index", str(corpus), "--target", target]) == 0
    assert "j1: created" in capsys.readouterr().out
    corpus.write_text(json.dumps({"id": "", "text": "x"}) + "\n", encoding="utf-8")
    assert main(["index", str(corpus), "--target", target]) == 2


def test_cli_service_errors_are_one_line_and_exit_4(running, capsys):
    _, target = running
    assert main(["lineage", "nope", "--target", target]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NOT_FOUND" in err and "nope" in err


def test_the_batch_verb_never_loads_grpc(tmp_path):
    code = (
        "import sys; from dedup.cli import main; "
        f"status = main(['batch', {str(SEEDS)!r}, '--quiet', '--out', {str(tmp_path / 'out.jsonl')!r}]); "
        "print(status, 'grpc' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["0", "False"], result.stderr


def test_cli_serve_is_documented_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert "--data" in capsys.readouterr().out


# -- a client we did not write: Node's @grpc/grpc-js ------------------------------------------
def test_a_node_grpc_js_client_can_index_and_score(running, seeds):
    node_dir = REPO / "tests" / "node"
    if not (node_dir / "node_modules" / "@grpc" / "grpc-js").is_dir():
        pytest.skip("tests/node/node_modules is missing: run npm install in tests/node (the CI script does)")
    node = subprocess.run(["node", "--version"], capture_output=True, text=True)
    if node.returncode != 0:
        pytest.skip("node is not installed")
    _, target = running
    with SyndicationClient(target, timeout=WAIT) as dedup:
        dedup.index(seeds[0])
    payload = json.dumps({"id": seeds[1].id, "text": seeds[1].text})
    result = subprocess.run(
        ["node", "client.js", target], input=payload, cwd=node_dir, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["health"] == "SERVING"
    assert answer["index"]["created"] is True
    assert seeds[0].id in answer["score"]["matches"]
    assert answer["badRequest"]["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]


def test_cli_serve_refuses_a_text_limit_above_what_documents_allow(tmp_path, capsys):
    assert main(["serve", "--data", str(tmp_path / "d"), "--port", "0", "--max-text-bytes", "2000000"]) == 2
    assert "max_text_bytes" in capsys.readouterr().err


@pytest.mark.parametrize("workers", ["1", "2"])
def test_cli_serve_on_a_taken_port_fails_with_one_line(tmp_path, capsys, workers):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = main(["serve", "--data", str(tmp_path / "d"), "--port", str(port), "--workers", workers])
    assert status == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"127.0.0.1:{port}" in err
