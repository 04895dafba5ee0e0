"""A snapshot of the engine's indexed state beside a persistent store, so that a restart does
not recompute every document's features.

The store's event log is the truth: replaying it rebuilds the engine exactly. That replay
costs about half a millisecond per document (normalising, features, sketches): 11 s for 19k
Reuters documents. A snapshot holds the state the replay would build, up to one event.
Loading it and replaying only the later events gives the same engine, and opens the same
19k documents in 1.1 s. ``benchmarks/throughput.py --parts restart`` measures both ways
(100k documents: 53 s replaying, 9 s from the snapshot).

What it holds: the documents with their features and term counts, the term statistics, the
boilerplate model, the LSH channels and the language counts. Those are the parts a replay
builds. Beside them, the service keeps its link graph: 492k links at 100k documents took
10 s to read back from SQLite row by row. The translation channel's anchors and lead vectors are left out. The engine builds
them again on first use, as it does after a replay, so a restored engine and a replayed one
answer alike. The lead embeddings themselves stay in the store and are not computed again.

A snapshot is used only when it is certain to match. Its header names the code and the
configuration that wrote it, and the event it covers (sequence number, kind and id). A
snapshot that does not match the running code, the configuration or the store's log, or
that cannot be read, is ignored: the index is then replayed in full, as before, and a
warning says why. The file is a pickle: like the SQLite file beside it, it must come from a
trusted data folder.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import logging
import pickle
import platform
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

from .atomic import replaced_atomically
from .engine import Engine, EngineConfig

__all__ = ["Restored", "SnapshotHeader", "config_fingerprint", "read_header", "read_snapshot", "write_snapshot"]

log = logging.getLogger(__name__)

#: Bumped when the layout of the file changes.
FORMAT = 1
#: Libraries whose versions decide hashes, arrays or pickles.
_LIBRARIES = ("numpy", "scipy", "xxhash", "datasketch", "scikit-learn")
_PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class SnapshotHeader:
    """What a snapshot covers: ``seq``, the last event in it, with that event's ``kind`` and
    ``doc_id`` (checked against the store's log), the ``fingerprint`` of the code and
    configuration that wrote it, and how many ``documents`` it holds (checked on loading)."""

    seq: int
    kind: str
    doc_id: str
    fingerprint: str
    documents: int


def config_fingerprint(config: EngineConfig) -> str:
    """A hash of everything a document's indexed state depends on: the source of this package,
    the versions of Python and of the libraries that hash and store it, and the engine's
    configuration (of the embedder, only whether there is one: it decides whether names are
    extracted, and nothing else in the state)."""
    digest = hashlib.sha256(_code_fingerprint().encode())
    described = replace(config, embedder=None)
    digest.update(f"{described!r}\0embedder={config.embedder is not None}".encode())
    return digest.hexdigest()


@functools.cache
def _code_fingerprint() -> str:
    """A hash of this package's source and of the versions that matter (read once a process)."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{name}={version}\0".encode())
    digest.update(f"python={platform.python_version()}\0".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Restored:
    """What :func:`read_snapshot` gives back: the engine, what its writer kept ``beside`` it
    (the service's link graph), and the header."""

    engine: Engine
    beside: dict[str, object]
    header: SnapshotHeader


def write_snapshot(
    path: Path, engine: Engine, *, seq: int, kind: str, doc_id: str, beside: dict[str, object] | None = None
) -> SnapshotHeader:
    """Write ``engine``'s indexed state (and ``beside``: objects of the caller's as of the same
    event) to ``path`` as covering the event ``seq`` (its ``kind`` and ``doc_id``),
    atomically: an interrupted write leaves the previous snapshot whole. The candidate
    channels merge their pending inserts first, so the restart has nothing to merge."""
    header = SnapshotHeader(seq, kind, doc_id, config_fingerprint(engine.config), len(engine.documents))
    engine.candidates.compact()
    with replaced_atomically(path) as out:
        out.write(json.dumps({"format": FORMAT, **header.__dict__}).encode() + b"\n")
        pickle.dump({"engine": engine.indexed_state(), "beside": beside or {}}, out, protocol=pickle.HIGHEST_PROTOCOL)
    return header


def read_header(path: Path) -> SnapshotHeader | None:
    """The header of the snapshot at ``path``, or ``None`` when there is none or it is not
    one this version writes."""
    try:
        with path.open("rb") as f:
            fields = json.loads(f.readline())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        log.warning("ignoring the engine snapshot %s: unreadable header (%s)", path, err)
        return None
    if not isinstance(fields, dict) or fields.pop("format", None) != FORMAT:
        log.warning("ignoring the engine snapshot %s: written in another format", path)
        return None
    try:
        return SnapshotHeader(**fields)
    except TypeError:
        log.warning("ignoring the engine snapshot %s: unexpected header fields", path)
        return None


def read_snapshot(path: Path, config: EngineConfig, covers: Callable[[int, str, str], bool]) -> Restored | None:
    """The engine restored from the snapshot at ``path``, with what was kept beside it and the
    header; ``None`` (and a
    warning, unless there is no snapshot at all) when it is missing, unreadable, written by
    other code or configuration, or ``covers`` says the store's log does not hold its last
    event (``covers(seq, kind, doc_id)``: whether the log holds that event)."""
    header = read_header(path)
    if header is None:
        return None
    if header.fingerprint != config_fingerprint(config):
        log.warning("ignoring the engine snapshot %s: written by other code or configuration; replaying the store", path)
        return None
    if not covers(header.seq, header.kind, header.doc_id):
        log.warning("ignoring the engine snapshot %s: the store's log does not hold its event %d", path, header.seq)
        return None
    try:
        with path.open("rb") as f:
            f.readline()
            state = _unpickled(f)
        engine = Engine.from_indexed_state(config, state["engine"])
        beside = state["beside"]
    except Exception as err:  # noqa: BLE001 - a damaged snapshot costs a replay, nothing more
        log.warning("ignoring the engine snapshot %s: %s: %s", path, type(err).__name__, err)
        return None
    if len(engine.documents) != header.documents:
        log.warning("ignoring the engine snapshot %s: it holds %d documents, its header says %d", path, len(engine.documents), header.documents)
        return None
    return Restored(engine, beside, header)


def _unpickled(stream: BinaryIO) -> dict:
    """``pickle.load`` with the cyclic garbage collector paused: loading creates millions of
    objects, none of them garbage, and the collections they set off tripled the time (19k
    documents: 1.9-3.4 s against 0.5 s)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.load(stream)
    finally:
        if was_enabled:
            gc.enable()
