"""Where the service's index lives between restarts: documents, their links, and the history
needed to rebuild the in-memory engine exactly.

The engine itself (sketches, TF-IDF counts, features) is never stored: it is re-derived from the
stored text on start-up, by replaying every write in commit order. What a document's features
and sketches are depends on what the index held when it arrived (the boilerplate learned so far,
the term statistics), including documents since deleted or replaced; so every ``put`` appends
an *event* with the lines the boilerplate model observed, and a replaced or deleted version is
archived with the event that indexed it. Links are stored as decided, with their evidence, so a
restart gives back the same lineages without recomputing a single pair.

:class:`Store` is the one interface; :class:`MemoryStore` is the default (tests, scripts) and
:class:`SQLiteStore` the embedded persistent one (``dedup serve --data DIR``). A shared backend
(PostgreSQL, Redis) for several replicas would be one more module implementing :class:`Store`.

>>> from dedup.document import Document
>>> store = MemoryStore()
>>> store.put(Document(id="a", text="Rebels entered Aleppo."), ["rebels entered aleppo."], source="afp", links=[])
1
>>> [(e.kind, e.doc_id, e.document is not None) for e in store.events()]
[('index', 'a', True)]
"""

from __future__ import annotations

import json
import os
import sqlite3
from abc import ABC, abstractmethod
from contextlib import contextmanager
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from .document import Document
from .evidence import PairEvidence
from .lineage import Link

__all__ = ["DELETE", "INDEX", "Event", "MemoryStore", "SQLiteStore", "Store", "open_store"]

INDEX = "index"
DELETE = "delete"


@dataclass(frozen=True)
class Event:
    """One write, in commit order: an ``index`` (with the boilerplate lines it observed and the
    version of the document it indexed, even if since replaced or deleted) or a ``delete``."""

    seq: int
    kind: str
    doc_id: str
    source: str = ""
    lines: tuple[str, ...] = ()
    document: Document | None = None


class Store(ABC):
    """The persistence interface of :class:`dedup.service.LineageIndex`.

    Every write is atomic: it happens whole or not at all, and once it returns it is durable
    (as durable as the backend promises)."""

    @abstractmethod
    def put(self, doc: Document, lines: Sequence[str], *, source: str, links: Sequence[Link]) -> int:
        """Insert or replace ``doc``, record the boilerplate ``lines`` observed for it, and replace
        every link touching ``doc.id`` with ``links``; return the event's sequence number."""

    @abstractmethod
    def delete(self, doc_id: str) -> int:
        """Remove ``doc_id`` and its links; return the event's sequence number."""

    @abstractmethod
    def events(self, after: int = 0) -> Iterator[Event]:
        """Events with ``seq > after`` in order, each ``index`` with the version it indexed:
        replaying them all repeats the engine's history exactly (term statistics at the time
        each document was sketched included)."""

    @abstractmethod
    def links(self) -> Iterator[Link]:
        """Every stored link, each pair once."""

    @abstractmethod
    def count(self) -> int:
        """Number of stored documents."""

    @abstractmethod
    def last_seq(self) -> int:
        """Sequence number of the latest event (0 when empty)."""

    @abstractmethod
    def links_of(self, doc_id: str) -> list[Link]:
        """The stored links touching ``doc_id``."""

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[None]:
        """Group reads (a consistent snapshot) or, with ``write``, reads and writes (holding the
        backend's write lock, so other processes wait) into one transaction; re-entrant.
        Single-process stores need nothing: the default does nothing."""
        yield

    def lead_vectors(self) -> MutableMapping[int, np.ndarray] | None:
        """Where the translation channel may keep its lead embeddings (keyed by a 64-bit hash
        of model and lead), or ``None`` when the store keeps none (they are then recomputed
        after a restart)."""
        return None

    def snapshot_path(self) -> Path | None:
        """Where :class:`dedup.service.LineageIndex` may keep a snapshot of its engine, so a
        restart replays only the events after it (:mod:`dedup.snapshot`); ``None`` (the
        default) when the store has no place for one."""
        return None

    def bytes_on_disk(self) -> int:
        """Size of the store's files (0 for a store that has none)."""
        return 0

    def close(self) -> None:  # noqa: B027 - most stores hold nothing to release
        """Release the store's resources (idempotent)."""


class MemoryStore(Store):
    """A store that keeps everything in memory: the default for tests and scripts."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._live: dict[str, tuple[int, Document]] = {}
        self._links: dict[frozenset[str], Link] = {}

    def put(self, doc: Document, lines: Sequence[str], *, source: str, links: Sequence[Link]) -> int:
        seq = len(self._events) + 1
        self._events.append(Event(seq, INDEX, doc.id, source, tuple(lines), doc))
        self._live[doc.id] = (seq, doc)
        self._drop_links(doc.id)
        for link in links:
            self._links[frozenset((link.a, link.b))] = link
        return seq

    def delete(self, doc_id: str) -> int:
        seq = len(self._events) + 1
        self._events.append(Event(seq, DELETE, doc_id))
        self._live.pop(doc_id, None)
        self._drop_links(doc_id)
        return seq

    def _drop_links(self, doc_id: str) -> None:
        for key in [k for k in self._links if doc_id in k]:
            del self._links[key]

    def events(self, after: int = 0) -> Iterator[Event]:
        return iter(self._events[after:])

    def links(self) -> Iterator[Link]:
        return iter(list(self._links.values()))

    def count(self) -> int:
        return len(self._live)

    def last_seq(self) -> int:
        return len(self._events)

    def links_of(self, doc_id: str) -> list[Link]:
        return [link for key, link in self._links.items() if doc_id in key]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('index', 'delete')),
    doc_id TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    lines TEXT,
    archived TEXT  -- the indexed version as JSON, once it is no longer the live one
);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    text TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    language TEXT NOT NULL,
    published_at TEXT,
    url TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS links (
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    strength REAL NOT NULL,
    cosine REAL NOT NULL,
    containment_a_in_b REAL NOT NULL,
    containment_b_in_a REAL NOT NULL,
    word_containment_a_in_b REAL NOT NULL,
    word_containment_b_in_a REAL NOT NULL,
    number_overlap REAL,
    same_language INTEGER NOT NULL,
    order_agreement REAL NOT NULL DEFAULT 0,  -- with sentence_ratio, what the relation reads
    sentence_ratio REAL NOT NULL DEFAULT 0,   -- (another rendering of one text)
    PRIMARY KEY (a, b)
);
CREATE INDEX IF NOT EXISTS links_b ON links (b);
CREATE TABLE IF NOT EXISTS lead_vectors (  -- the translation channel's embeddings, by model and lead
    key INTEGER PRIMARY KEY,
    vector BLOB NOT NULL
);
"""

_DOC_COLUMNS = "id, seq, text, title, source, language, published_at, url"
_JOINED_DOC_COLUMNS = ", ".join("d." + c.strip() for c in _DOC_COLUMNS.split(","))


def _link_row(link: Link) -> tuple:
    e = link.evidence
    return (
        link.a,
        link.b,
        link.strength,
        e.cosine,
        e.containment_a_in_b,
        e.containment_b_in_a,
        e.word_containment_a_in_b,
        e.word_containment_b_in_a,
        e.number_overlap,
        int(e.same_language),
        e.order_agreement,
        e.sentence_ratio,
    )


def _row_link(row: Sequence) -> Link:
    evidence = PairEvidence(
        cosine=row[3],
        containment_a_in_b=row[4],
        containment_b_in_a=row[5],
        word_containment_a_in_b=row[6],
        word_containment_b_in_a=row[7],
        number_overlap=row[8],
        same_language=bool(row[9]),
        order_agreement=row[10],
        sentence_ratio=row[11],
    )
    return Link(row[0], row[1], row[2], evidence)


def _row_document(row: Sequence) -> Document:
    doc_id, _seq, text, title, source, language, published_at, url = row
    when = datetime.fromisoformat(published_at) if published_at else None
    return Document(id=doc_id, text=text, title=title, source=source, language=language, published_at=when, url=url)


class SQLiteStore(Store):
    """The embedded persistent store: one SQLite file, ``index.sqlite3``, in ``data_dir``
    (and, beside it, the engine snapshot the service writes when it closes, ``engine.snapshot``).

    WAL journal with ``synchronous=FULL``: a ``put`` that returned survives ``kill -9`` and a
    power cut. Not thread-safe by itself: :class:`dedup.service.LineageIndex` serialises
    access to it."""

    FILE_NAME = "index.sqlite3"
    #: The engine snapshot beside the database (:mod:`dedup.snapshot`).
    SNAPSHOT_NAME = "engine.snapshot"

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / self.FILE_NAME
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.executescript(_SCHEMA)
        self._migrate()
        self._depth = 0
        self._writing = False

    def _migrate(self) -> None:
        """Bring a store written by an earlier version up to the current schema."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(events)")}
        if "archived" not in columns:
            self._db.execute("ALTER TABLE events ADD COLUMN archived TEXT")
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(links)")}
        for column in ("order_agreement", "sentence_ratio"):  # links stored before relations read them
            if column not in columns:
                self._db.execute(f"ALTER TABLE links ADD COLUMN {column} REAL NOT NULL DEFAULT 0")

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[None]:
        if self._depth:
            if write and not self._writing:
                raise RuntimeError("cannot turn a read transaction into a write transaction")
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        self._depth, self._writing = 1, write
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")
        finally:
            self._depth, self._writing = 0, False

    def put(self, doc: Document, lines: Sequence[str], *, source: str, links: Sequence[Link]) -> int:
        with self.transaction(write=True):
            cursor = self._db.cursor()
            self._archive(cursor, doc.id)
            cursor.execute(
                "INSERT INTO events (kind, doc_id, source, lines) VALUES (?, ?, ?, ?)",
                (INDEX, doc.id, source, json.dumps(list(lines), ensure_ascii=False) if lines else None),
            )
            seq = int(cursor.lastrowid)
            published = doc.published_at.isoformat() if doc.published_at else None
            cursor.execute(
                f"INSERT OR REPLACE INTO documents ({_DOC_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (doc.id, seq, doc.text, doc.title, doc.source, doc.language, published, doc.url),
            )
            cursor.execute("DELETE FROM links WHERE a = ? OR b = ?", (doc.id, doc.id))
            cursor.executemany(
                "INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_link_row(link) for link in links],
            )
            return seq

    def delete(self, doc_id: str) -> int:
        with self.transaction(write=True):
            cursor = self._db.cursor()
            self._archive(cursor, doc_id)
            cursor.execute("INSERT INTO events (kind, doc_id) VALUES (?, ?)", (DELETE, doc_id))
            seq = int(cursor.lastrowid)
            cursor.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
            cursor.execute("DELETE FROM links WHERE a = ? OR b = ?", (doc_id, doc_id))
            return seq

    @staticmethod
    def _archive(cursor: sqlite3.Cursor, doc_id: str) -> None:
        """Keep the live version of ``doc_id`` (about to be replaced or deleted) with the event
        that indexed it, so a replay can repeat its time in the index."""
        row = cursor.execute(f"SELECT {_DOC_COLUMNS} FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is not None:
            archived = json.dumps(dict(zip((c.strip() for c in _DOC_COLUMNS.split(",")), row)), ensure_ascii=False)
            cursor.execute("UPDATE events SET archived = ? WHERE seq = ?", (archived, row[1]))

    def events(self, after: int = 0) -> Iterator[Event]:
        rows = self._db.execute(
            f"""SELECT e.seq, e.kind, e.doc_id, e.source, e.lines, e.archived, {_JOINED_DOC_COLUMNS}
                FROM events e LEFT JOIN documents d ON d.id = e.doc_id AND d.seq = e.seq
                WHERE e.seq > ? ORDER BY e.seq""",
            (after,),
        )
        for row in rows:
            seq, kind, doc_id, source, lines, archived = row[:6]
            if row[6] is not None:
                document: Document | None = _row_document(row[6:])
            elif archived:
                document = _row_document(tuple(json.loads(archived).values()))
            else:
                document = None
            yield Event(seq, kind, doc_id, source or "", tuple(json.loads(lines)) if lines else (), document)

    def links(self) -> Iterator[Link]:
        for row in self._db.execute("SELECT * FROM links ORDER BY rowid"):
            yield _row_link(row)

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM documents").fetchone()[0])

    def last_seq(self) -> int:
        return int(self._db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])

    def links_of(self, doc_id: str) -> list[Link]:
        rows = self._db.execute("SELECT * FROM links WHERE a = ? OR b = ?", (doc_id, doc_id))
        return [_row_link(row) for row in rows]

    def lead_vectors(self) -> MutableMapping[int, np.ndarray]:
        """The ``lead_vectors`` table: embeddings survive a restart."""
        return _SQLiteVectors(self._db)

    def snapshot_path(self) -> Path:
        return self.data_dir / self.SNAPSHOT_NAME

    def bytes_on_disk(self) -> int:
        total = 0
        for name in (f"{self.path}", f"{self.path}-wal", f"{self.path}-shm", self.snapshot_path()):
            try:
                total += os.path.getsize(name)
            except OSError:
                pass
        return total

    def close(self) -> None:
        self._db.close()


class _SQLiteVectors(MutableMapping[int, np.ndarray]):
    """Lead vectors in a SQLite table, as a mapping from 64-bit keys to float32 vectors
    (written by hand: a few lines over one table; embedding a lead costs ~45 ms, reading it
    back ~20 us). Vectors are derived data: a lost write only means embedding again."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    @staticmethod
    def _signed(key: int) -> int:
        return key - (1 << 64) if key >= 1 << 63 else key  # SQLite integers are signed

    def __getitem__(self, key: int) -> np.ndarray:
        row = self._db.execute("SELECT vector FROM lead_vectors WHERE key = ?", (self._signed(key),)).fetchone()
        if row is None:
            raise KeyError(key)
        return np.frombuffer(row[0], dtype=np.float32)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, int):
            return False
        found = self._db.execute("SELECT 1 FROM lead_vectors WHERE key = ?", (self._signed(key),)).fetchone()
        return found is not None

    def __setitem__(self, key: int, vector: np.ndarray) -> None:
        blob = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
        self._db.execute("INSERT OR REPLACE INTO lead_vectors VALUES (?, ?)", (self._signed(key), blob))

    def __delitem__(self, key: int) -> None:
        if self._db.execute("DELETE FROM lead_vectors WHERE key = ?", (self._signed(key),)).rowcount == 0:
            raise KeyError(key)

    def __iter__(self) -> Iterator[int]:
        for (key,) in self._db.execute("SELECT key FROM lead_vectors").fetchall():
            yield key + (1 << 64) if key < 0 else key

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM lead_vectors").fetchone()[0])


def open_store(data_dir: str | os.PathLike[str] | None) -> Store:
    """The store for ``data_dir``: SQLite in that folder, or in memory when it is ``None``."""
    return MemoryStore() if data_dir is None else SQLiteStore(data_dir)
