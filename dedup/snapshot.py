"""A snapshot of the engine's indexed state beside a persistent store, so that a restart does
not recompute every document's features.

The store's event log is the truth: replaying it rebuilds the engine exactly. That replay
costs about half a millisecond per document (normalising, features, sketches): 11 s for 19k
Reuters documents. A snapshot holds the state the replay would build, up to one event.
Loading it and replaying only the later events gives the same engine.
``benchmarks/throughput.py --parts restart`` measures both ways (100k documents: 50 s
replaying, 2.3 s from the snapshot).

What it holds: the documents with their features and term counts, the term statistics, the
boilerplate model, the LSH channels and the language counts. Those are the parts a replay
builds. Beside them, the service keeps its link graph: 492k links at 100k documents took
10 s to read back from SQLite row by row. The translation channel's anchors and lead vectors
are left out. The engine builds them again on first use, as it does after a replay, so a
restored engine and a replayed one answer alike. The lead embeddings themselves stay in the
store and are not computed again.

How it holds them: the documents packed in columns (:func:`pack_documents`: one long array
per feature, not a small array per document), the link graph as a table it reads lazily
(:mod:`dedup.link_graph`), and the large arrays after the pickle, where loading maps them from
the file (copy-on-write) instead of copying them. Pickled as objects, 100k documents took
8.9 s to load, most of it rebuilding 657k small arrays and 492k links; now they take 1.5-2.5 s.

A snapshot is used only when it is certain to match. Its header names the code and the
configuration that wrote it, and the event it covers (sequence number, kind and id). A
snapshot that does not match the running code, the configuration or the store's log, or
that cannot be read, is ignored: the index is then replayed in full, as before, and a
warning says why. The file is a pickle: like the SQLite file beside it, it must come from a
trusted data folder.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import logging
import mmap
import pickle
import platform
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .atomic import replaced_atomically
from .engine import Engine, EngineConfig, IndexedDocument
from .features import Features
from .heap import collector_paused
from .tfidf import TermCounts

__all__ = [
    "Restored",
    "SnapshotHeader",
    "config_fingerprint",
    "pack_documents",
    "read_header",
    "read_snapshot",
    "unpack_documents",
    "write_snapshot",
]

log = logging.getLogger(__name__)

#: Bumped when the layout of the file changes (2: the documents packed in columns; 3: large
#: arrays after the pickle, mapped from the file).
FORMAT = 3
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
        state = engine.indexed_state()
        state["documents"] = pack_documents(state["documents"])  # type: ignore[arg-type]
        _write_pickle(out, {"engine": state, "beside": beside or {}})
    return header


#: Arrays of at least this many bytes are stored after the pickle, not inside it.
OUT_OF_BAND_BYTES = 1 << 16
_ALIGNMENT = 64
_WORD = struct.Struct("<Q")


def _write_pickle(out: BinaryIO, state: dict) -> None:
    """Pickle ``state`` to ``out`` (a seekable file) with its large arrays out of band: the
    pickle's length, the pickle, the number of arrays, the ``(offset, length)`` of each in the
    file, then the arrays' bytes, each at an offset that is a multiple of 64. Loading maps the
    arrays straight from the file (:func:`_unpickled`) instead of copying them out of the
    pickle stream."""
    buffers: list[pickle.PickleBuffer] = []

    def out_of_band(buffer: pickle.PickleBuffer) -> bool:
        if buffer.raw().nbytes < OUT_OF_BAND_BYTES:
            return True  # in the pickle
        buffers.append(buffer)
        return False

    start = out.tell()
    out.write(_WORD.pack(0))
    pickle.dump(state, out, protocol=5, buffer_callback=out_of_band)
    end = out.tell()
    out.seek(start)
    out.write(_WORD.pack(end - start - _WORD.size))
    out.seek(end)
    position = end + _WORD.size * (1 + 2 * len(buffers))
    table = []
    for buffer in buffers:
        position += -position % _ALIGNMENT
        table.append((position, buffer.raw().nbytes))
        position += buffer.raw().nbytes
    out.write(_WORD.pack(len(buffers)))
    out.write(b"".join(_WORD.pack(value) for row in table for value in row))
    for buffer, (offset, _) in zip(buffers, table):
        out.write(b"\0" * (offset - out.tell()))
        out.write(buffer.raw())


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
        with collector_paused():
            state = _unpickled(path)
            state["engine"]["documents"] = unpack_documents(state["engine"]["documents"])
            engine = Engine.from_indexed_state(config, state["engine"])
        beside = state["beside"]
    except Exception as err:  # noqa: BLE001 - a damaged snapshot costs a replay, nothing more
        log.warning("ignoring the engine snapshot %s: %s: %s", path, type(err).__name__, err)
        return None
    if len(engine.documents) != header.documents:
        log.warning("ignoring the engine snapshot %s: it holds %d documents, its header says %d", path, len(engine.documents), header.documents)
        return None
    return Restored(engine, beside, header)


def _unpickled(path: Path) -> dict:
    """The state :func:`_write_pickle` wrote after the header line of ``path``, read through a
    copy-on-write memory map of the file. The large arrays are not copied: each is a view of
    its bytes in the map, read from disk when first touched (the kernel is asked to read
    ahead), and a write to one changes this process's copy of the page, never the file. The
    map stays open as long as an array uses it; the file is only ever replaced by a rename,
    never rewritten in place, so the map keeps the old file's data."""
    with path.open("rb") as f:
        offset = len(f.readline())
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    if hasattr(mapped, "madvise") and hasattr(mmap, "MADV_WILLNEED"):
        mapped.madvise(mmap.MADV_WILLNEED)
    whole = memoryview(mapped)
    (length,) = _WORD.unpack_from(whole, offset)
    body = whole[offset + _WORD.size : offset + _WORD.size + length]
    at = offset + _WORD.size + length
    (count,) = _WORD.unpack_from(whole, at)
    table = struct.unpack_from(f"<{2 * count}Q", whole, at + _WORD.size)
    buffers = []
    for start, size in zip(table[::2], table[1::2]):
        if start + size > len(whole):
            raise ValueError("the snapshot is shorter than its table of arrays says")
        buffers.append(whole[start : start + size])
    with body:
        return pickle.loads(body, buffers=buffers)


#: The array fields of :class:`Features`, packed end to end, one long array each.
_FEATURE_ARRAYS = ("token_hashes", "shingles", "content_words", "content_sequence")


def pack_documents(documents: dict[str, IndexedDocument]) -> dict[str, object]:
    """The indexed documents in columns: each array field of every document end to end in one
    array (with the lengths), each other field in one list. Pickling a few long arrays and
    lists is fast; pickling a million small arrays is not (``pickle.load`` rebuilt 657k arrays
    in most of the 8.9 s a 100k-document restart took). :func:`unpack_documents` inverts it."""
    records = list(documents.values())
    features = [r.features for r in records]
    columns: dict[str, object] = {name: _joined([getattr(f, name) for f in features]) for name in _FEATURE_ARRAYS}
    columns["quotations"] = _joined([q for f in features for q in f.quotations])
    columns["quotation_counts"] = [len(f.quotations) for f in features]
    columns["count_indices"] = _joined([r.counts.indices for r in records])
    columns["count_data"] = _joined([r.counts.data for r in records])
    for name in ("text", "numbers", "names", "sentences", "title_words"):
        columns[name] = [getattr(f, name) for f in features]
    columns["documents"] = [r.document for r in records]
    columns["orders"] = [r.order for r in records]
    columns["languages"] = [r.language for r in records]
    return columns


def unpack_documents(columns: dict[str, object]) -> dict[str, IndexedDocument]:
    """The documents :func:`pack_documents` packed, in the same order, equal field for field.
    Their arrays are views of the packed ones (one allocation per field, not per document)."""
    arrays = {name: _split(*columns[name]) for name in (*_FEATURE_ARRAYS, "count_indices", "count_data")}  # type: ignore[misc]
    quotations = iter(_split(*columns["quotations"]))  # type: ignore[misc]
    rows = zip(
        columns["documents"], columns["text"], arrays["token_hashes"], arrays["shingles"], arrays["content_words"],  # type: ignore[call-overload]
        columns["numbers"], arrays["content_sequence"], columns["quotation_counts"], columns["names"],
        columns["sentences"], columns["title_words"], arrays["count_indices"], arrays["count_data"],
        columns["orders"], columns["languages"],
    )
    documents = {}
    for doc, text, tokens, shingles, words, numbers, sequence, quoted, names, sentences, title, terms, counts, order, language in rows:
        quotes = tuple(itertools.islice(quotations, quoted)) if quoted else ()
        features = Features(text, tokens, shingles, words, numbers, sequence, quotes, names, sentences, title)
        documents[doc.id] = IndexedDocument(doc, features, TermCounts(terms, counts), order, language)
    return documents


def _joined(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The arrays end to end (keeping their dtype) and their lengths."""
    lengths = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
    return (np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint32)), lengths


def _split(joined: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    """The arrays :func:`_joined` joined, as views of ``joined``."""
    ends = np.cumsum(lengths).tolist()
    return [joined[start:end] for start, end in zip([0, *ends[:-1]], ends)]
