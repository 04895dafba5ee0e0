"""Load test of the gRPC service: Score requests per second and latency percentiles from
concurrent clients, with a Reuters-21578 index (issue 3's target: >= 400 req/s, p99 <= 30 ms
from 8 clients on a 2-core machine; issue 5's: >= 1,000 req/s, p99 <= 25 ms from 32).

Steps, each timed: start ``dedup serve`` on 127.0.0.1 (a fresh data folder), bulk-load the
corpus with IndexStream, restart the server (so every worker restores the index from disk, and
the restart is measured too), then, for each count in ``--clients``, that many client
processes that each send Score
requests (``index: false``) back to back: an incoming copy of an indexed article under a new id,
the heaviest realistic case (a match with long shared passages). Each load also reports the CPU
spent per request by the gRPC process, the index processes and the clients (read from Linux's
/proc), and how often a Score was cut off by another process. Results go to standard output
and, with ``--results``, are appended to a Markdown file (``benchmarks/RESULTS.md``).

    python benchmarks/grpc_load.py                      # 20k Reuters documents, 2 workers, 8 clients
    python benchmarks/grpc_load.py --clients 1,8,32     # concurrency 1, 8 and 32, one load each
    python benchmarks/grpc_load.py --documents 2000 --requests 100   # a quick run

The corpus is research-only: it is read from ../shared/bench and never copied here.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "bench" / "reuters21578.jsonl"
WAIT = 1800.0


@dataclass(frozen=True)
class CpuShare:
    """CPU seconds spent during one load, by kind of process, and the involuntary context
    switches of the index processes (each a Score cut off mid-way, its caches refilled
    after): where a request's cost goes when clients and server share the cores."""

    server: float  # the gRPC process (translation, relay to the index processes)
    index: float  # the index processes (scoring)
    clients: float  # the client processes (their measured requests only)
    index_preemptions: int

    def per_request_ms(self, requests: int) -> tuple[float, float, float]:
        """(server, index, clients) milliseconds of CPU per request."""
        return tuple(1000 * x / max(requests, 1) for x in (self.server, self.index, self.clients))  # type: ignore[return-value]


@dataclass(frozen=True)
class LoadResult:
    """What one Score load run measured."""

    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    cpu: CpuShare | None = None  # None where /proc cannot be read (not Linux)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _stat_fields(process: Path) -> list[str]:
    """The fields of ``/proc/PID/stat`` after the command name (which may hold spaces):
    state, parent pid, ... (``proc(5)``'s third field onwards)."""
    return (process / "stat").read_text().rsplit(")", 1)[1].split()


def _proc_cpu(pid: int) -> tuple[float, int] | None:
    """(CPU seconds, involuntary context switches) of process ``pid`` and all its threads,
    read from Linux's /proc (``None`` where it cannot be: another system, or the process gone)."""
    try:
        fields = _stat_fields(Path(f"/proc/{pid}"))
        seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        switches = 0
        for task in Path(f"/proc/{pid}/task").iterdir():
            for line in (task / "status").read_text().splitlines():
                if line.startswith("nonvoluntary_ctxt_switches:"):
                    switches += int(line.split()[1])
        return seconds, switches
    except (OSError, ValueError, IndexError):
        return None


def _children(pid: int) -> list[int]:
    """The pids of ``pid``'s child processes started by multiprocessing (the server's index
    processes; not its resource tracker)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(entry)[1]) != pid:
                    continue
                if b"spawn_main" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def server_cpu(pid: int) -> dict[str, tuple[float, int]] | None:
    """CPU seconds and involuntary context switches of the server process ``pid`` ("server")
    and of each of its children, by pid; ``None`` where /proc cannot be read."""
    server = _proc_cpu(pid)
    if server is None:
        return None
    readings = {"server": server}
    for child in _children(pid):
        reading = _proc_cpu(child)
        if reading is not None:
            readings[str(child)] = reading
    return readings


def cpu_share(before: dict | None, after: dict | None, clients_seconds: float) -> CpuShare | None:
    """What the server and its children spent between two :func:`server_cpu` readings (a
    child present in both), with the clients' own CPU seconds."""
    if before is None or after is None:
        return None
    children = [k for k in after if k != "server" and k in before]
    return CpuShare(
        server=after["server"][0] - before["server"][0],
        index=sum(after[k][0] - before[k][0] for k in children),
        clients=clients_seconds,
        index_preemptions=sum(after[k][1] - before[k][1] for k in children),
    )


def read_documents(path: Path, limit: int) -> list[dict]:
    """The first ``limit`` records of a JSONL corpus, as plain dicts (id, text, metadata)."""
    records = []
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                records.append(json.loads(line))
            if len(records) >= limit:
                break
    return records


_SERVE_WITHOUT_EMBEDDER = (
    "import sys; from dedup.engine import EngineConfig; from server import serve; "
    "sys.exit(serve(sys.argv[1], '127.0.0.1', 0, workers=int(sys.argv[2]), config=EngineConfig(embedder=None)))"
)


def start_server(data: Path, workers: int, embedder: bool = True) -> tuple[subprocess.Popen, str, float]:
    """``python -m dedup serve --port 0`` (or the same without the engine's embedder: no
    translation channel); returns the process, its target and the seconds it took to accept
    calls (index restored)."""
    started = time.perf_counter()
    if embedder:
        command = [
            sys.executable,
            "-m",
            "dedup",
            "serve",
            "--data",
            str(data),
            "--port",
            "0",
            "--workers",
            str(workers),
        ]
    else:
        command = [sys.executable, "-c", _SERVE_WITHOUT_EMBEDDER, str(data), str(workers)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    found = re.search(r"127\.0\.0\.1:(\d+)", line)
    if not found:
        process.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    return process, f"127.0.0.1:{found.group(1)}", time.perf_counter() - started


def stop_server(process: subprocess.Popen) -> None:
    """SIGTERM, then wait for the graceful stop."""
    process.send_signal(signal.SIGTERM)
    process.wait(WAIT)
    process.stdout.close()


def _message(record: dict, doc_id: str | None = None):
    from google.protobuf.timestamp_pb2 import Timestamp

    from dedup.document import DocumentError, parse_timestamp
    from server._proto.dedup.v1 import syndication_pb2 as pb

    fields = {k: record.get(k) or "" for k in ("title", "source", "language", "url")}
    doc = pb.Document(id=doc_id or str(record["id"]), text=record["text"], **fields)
    if record.get("published_at"):
        try:
            stamp = Timestamp()
            stamp.FromDatetime(parse_timestamp(record["published_at"]))
            doc.published_at.CopyFrom(stamp)
        except DocumentError:
            pass  # an impossible date is unknown, as in the batch job
    return doc


def bulk_load(target: str, records: list[dict]) -> tuple[float, object]:
    """IndexStream every record; returns (seconds, summary)."""
    import grpc

    from server._proto.dedup.v1 import syndication_pb2 as pb
    from server._proto.dedup.v1 import syndication_pb2_grpc as pb_grpc

    def requests() -> Iterator:
        for record in records:
            yield pb.IndexStreamRequest(document=_message(record))

    options = [("grpc.max_send_message_length", -1)]
    with grpc.insecure_channel(target, options=options) as channel:
        started = time.perf_counter()
        summary = pb_grpc.SyndicationStub(channel).IndexStream(requests(), timeout=WAIT)
        return time.perf_counter() - started, summary


def _client(target: str, queries: list[dict], warmup: int, warm: object, start: object, out: object) -> None:
    """One client process: warm up, wait for the start, send Score requests back to back."""
    import grpc

    from server._proto.dedup.v1 import syndication_pb2 as pb
    from server._proto.dedup.v1 import syndication_pb2_grpc as pb_grpc

    requests = [pb.ScoreRequest(document=_message(q, f"incoming-{q['id']}"), top_k=10) for q in queries]
    channel = grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])
    stub = pb_grpc.SyndicationStub(channel)
    for request in requests[:warmup]:
        stub.Score(request, timeout=600)
    warm.put(os.getpid())  # type: ignore[attr-defined]
    start.wait()  # type: ignore[attr-defined]
    latencies, errors = [], 0
    cpu_started = time.process_time()
    for request in requests[warmup:]:
        sent = time.perf_counter()
        try:
            stub.Score(request, timeout=60)
            latencies.append((time.perf_counter() - sent) * 1000)
        except grpc.RpcError:
            errors += 1
    cpu_seconds = time.process_time() - cpu_started
    channel.close()
    out.put((latencies, errors, cpu_seconds))  # type: ignore[attr-defined]


def score_load(
    target: str, records: list[dict], clients: int, requests: int, warmup: int, server_pid: int | None = None
) -> LoadResult:
    """``clients`` processes each sending ``requests`` Score calls (after ``warmup`` more);
    with ``server_pid``, the CPU the server's processes spent meanwhile too."""
    context = multiprocessing.get_context("spawn")
    warm, start, out = context.Queue(), context.Event(), context.Queue()
    step = max(1, len(records) // (clients * (requests + warmup)))
    pool = records[::step]
    processes = []
    for k in range(clients):
        queries = [pool[(k + j * clients) % len(pool)] for j in range(requests + warmup)]
        processes.append(context.Process(target=_client, args=(target, queries, warmup, warm, start, out)))
    for process in processes:
        process.start()
    for _ in processes:
        warm.get(timeout=WAIT)  # every client has connected and warmed up
    before = server_cpu(server_pid) if server_pid is not None else None
    began = time.perf_counter()
    start.set()
    results = [out.get(timeout=WAIT) for _ in processes]
    seconds = time.perf_counter() - began
    after = server_cpu(server_pid) if server_pid is not None else None
    for process in processes:
        process.join(WAIT)
    latencies = [x for lat, _, _ in results for x in lat]
    cpu = cpu_share(before, after, sum(c for _, _, c in results))
    return LoadResult(len(latencies), seconds, latencies, sum(e for _, e, _ in results), cpu)


# The targets: issue 3 (8 clients) and issue 5 (32 clients), as (requests/s, p99 ms).
TARGETS = {8: (400, 30.0, "issue 3"), 32: (1000, 25.0, "issue 5")}


def render(args: argparse.Namespace, facts: dict, loads: dict[int, LoadResult]) -> str:
    """The Markdown section appended to the results file."""
    engine = "default" if not args.no_embedder else "default without the embedder (no translation channel)"
    lines = [
        f"## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} - grpc_load.py",
        "",
        "```sh",
        f"python benchmarks/grpc_load.py --documents {args.documents} --workers {args.workers} "
        f"--clients {args.clients} --requests {args.requests}{' --no-embedder' if args.no_embedder else ''}",
        "```",
        "",
        f"Code: {facts['commit']}; engine: {engine}. {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average (1 min) when the last Score load ended: {facts['load']}.",
        "",
        "| step | figure |",
        "| --- | --- |",
        f"| documents indexed (IndexStream, one stream, one server process) | {facts['documents']} in "
        f"{facts['load_s']:.1f} s ({facts['documents'] / facts['load_s']:.0f} documents/s) |",
        f"| index after loading | {facts['stats']} |",
        f"| restart with {args.workers} index process(es), until serving (index restored from disk) | {facts['restart_s']:.1f} s |",
        "",
        "| clients | requests | errors | **requests/s** | p50 / p90 / **p99** / max latency (ms) | "
        "CPU ms per request: gRPC process / index processes / clients | index preemptions per request | target |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for clients, load in loads.items():
        target = TARGETS.get(clients)
        verdict = ""
        if target is not None:
            met = load.per_second >= target[0] and load.percentile(99) <= target[1]
            verdict = f"{target[2]}: >= {target[0]}/s, p99 <= {target[1]:g} ms: **{'met' if met else 'not met'}**"
        cpu, preemptions = "n/a", "n/a"
        if load.cpu is not None:
            cpu = " / ".join(f"{x:.2f}" for x in load.cpu.per_request_ms(load.requests))
            preemptions = f"{load.cpu.index_preemptions / max(load.requests, 1):.1f}"
        lines.append(
            f"| {clients} | {load.requests} in {load.seconds:.1f} s | {load.errors} | **{load.per_second:.0f}** | "
            f"{load.percentile(50):.1f} / {load.percentile(90):.1f} / **{load.percentile(99):.1f}** / "
            f"{max(load.latencies_ms):.1f} | {cpu} | {preemptions} | {verdict} |"
        )
    lines += [
        "",
        "Each request scores an incoming copy of an indexed article under a new id (`index: false`, `top_k: 10`), "
        "the heaviest realistic case (long shared passages to recover); each client process sends its requests back "
        "to back, and the clients share the cores with the server. CPU per request is what each kind of process "
        "spent during the load (Linux /proc; the clients their measured requests only), divided by the requests; "
        "preemptions are the index processes' involuntary context switches (a Score cut off by another process).",
        "",
    ]
    return "\n".join(lines)


def _stats_line(target: str) -> str:
    import grpc

    from server._proto.dedup.v1 import syndication_pb2 as pb
    from server._proto.dedup.v1 import syndication_pb2_grpc as pb_grpc

    with grpc.insecure_channel(target) as channel:
        s = pb_grpc.SyndicationStub(channel).Stats(pb.StatsRequest(), timeout=WAIT)
    return f"{s.documents} documents, {s.lineages} lineages, {s.links} links, {s.bytes_on_disk / 1e6:.0f} MB on disk"


def _commit() -> str:
    """The short commit of the code measured (with "+changes" when the tree is not clean)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True, text=True
        )
        return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally record) its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--documents", type=int, default=20_000, help="index this many documents (default 20000)")
    parser.add_argument("--workers", type=int, default=2, help="index processes of the server (default 2)")
    parser.add_argument(
        "--clients",
        default="8",
        help="concurrent client processes; several comma-separated counts run one load each (e.g. 1,8,32; default 8)",
    )
    parser.add_argument("--requests", type=int, default=400, help="measured Score requests per client (default 400)")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured requests per client first (default 10)")
    parser.add_argument(
        "--no-embedder", action="store_true", help="serve without the engine's embedder (no translation channel)"
    )
    parser.add_argument("--results", type=Path, help="write the Markdown report here (e.g. benchmarks/RESULTS.md)")
    args = parser.parse_args(argv)
    try:
        client_counts = [int(n) for n in args.clients.split(",")]
    except ValueError:
        parser.error(f"--clients: comma-separated counts expected, got {args.clients!r}")
    if not client_counts or min(client_counts) < 1:
        parser.error("--clients: every count must be at least 1")
    if not args.corpus.exists():
        print(f"no corpus at {args.corpus}: this benchmark needs ../shared/bench", file=sys.stderr)
        return 2
    records = read_documents(args.corpus, args.documents)
    with tempfile.TemporaryDirectory(prefix="dedup-load-") as tmp:
        data = Path(tmp) / "data"
        process, target, _ = start_server(data, 1, not args.no_embedder)
        load_s, summary = bulk_load(target, records)
        print(f"loaded {summary.created} created, {summary.rejected} rejected in {load_s:.1f} s", flush=True)
        stop_server(process)
        process, target, restart_s = start_server(data, args.workers, not args.no_embedder)
        try:
            facts = {
                "documents": summary.created,
                "load_s": load_s,
                "restart_s": restart_s,
                "stats": _stats_line(target),
                "commit": _commit(),
            }
            print(f"restarted with {args.workers} workers in {restart_s:.1f} s; {facts['stats']}", flush=True)
            loads = {}
            for clients in client_counts:
                loads[clients] = score_load(target, records, clients, args.requests, args.warmup, process.pid)
                print(
                    f"{clients} clients: {loads[clients].per_second:.0f} requests/s, "
                    f"p50 {loads[clients].percentile(50):.1f} ms, p99 {loads[clients].percentile(99):.1f} ms",
                    flush=True,
                )
            facts["load"] = f"{os.getloadavg()[0]:.1f}"
        finally:
            stop_server(process)
    report = render(args, facts, loads)
    print(report)
    if args.results:
        with args.results.open("a", encoding="utf-8") as out:  # the file is shared: append a section
            out.write("\n" + report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
