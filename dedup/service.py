"""The online door to the engine: index, score and delete one article at a time, and read
lineages back, with the same decisions as the batch job.

A document's links are decided by :meth:`Engine.links_for` when it arrives (each pair is decided
once, when the later of the two is indexed) and kept in a link graph. Its lineage is decided by
:meth:`Engine.place` itself (the batch job's grouping and orientation), run on the connected
component of the link graph that holds it: grouping and orientation never look outside a
component, so this is the batch decision for the documents and links the service holds.
Boilerplate is learned from documents as they are indexed. Scoring without indexing adds the
document to the engine for the time of the call only, so what it is compared with is exactly
what indexing would compare.

Every write goes to the :class:`dedup.store.Store` and the in-memory engine under one lock (the
engine is not thread-safe); the store is the source of truth, so a failure half-way through a
write rebuilds memory from it. Input errors raise :class:`dedup.document.DocumentError` (a
``ValueError`` naming the field) before anything changes; unknown ids raise
:class:`NotFoundError`. Nothing here imports gRPC: ``server/`` translates.

>>> from dedup.document import Document, parse_timestamp
>>> index = LineageIndex()
>>> wire = "Rebels entered Aleppo on Friday after a two-day offensive, a war monitor said on Saturday."
>>> index.index(Document(id="wire", text=wire, published_at=parse_timestamp("2024-11-29T10:00"))).created
True
>>> later = parse_timestamp("2024-11-29T12:00")
>>> result = index.score(Document(id="paper", text=wire + " More follows.", published_at=later), index=True)
>>> [(m.id, m.relation.value) for m in result.matches], result.placement.lineage_id
([('wire', 'republication')], 'wire')
>>> [n.id for n in index.lineage(doc_id="paper").nodes]
['wire', 'paper']
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import Counter
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from .document import DEFAULT_MAX_TEXT_BYTES, Document, DocumentError, validate_document
from .embedding import CachingEmbedder
from .engine import Engine, EngineConfig, Match
from .evidence import PassageFinder
from .features import Features, story_lines
from .heap import collector_paused
from .lineage import Link, Node, Placement, orient
from .link_graph import LinkGraph
from .relate import Relation
from .snapshot import read_header, read_snapshot, write_snapshot
from .store import DELETE, INDEX, Event, MemoryStore, Store

__all__ = [
    "DEFAULT_TOP_K",
    "MAX_TOP_K",
    "SNAPSHOT_MIN_WRITES",
    "SNAPSHOT_SHARE",
    "DeadlineExpired",
    "IndexResult",
    "IndexStats",
    "LineageIndex",
    "LineageNode",
    "LineageTree",
    "LinkGraph",
    "NotFoundError",
    "ScoreResult",
    "ScoredMatch",
    "SharedPassage",
    "check_text_limit",
]

log = logging.getLogger(__name__)

DEFAULT_TOP_K = 10
MAX_TOP_K = 1000
_PROBE_PREFIX = "\x00score:"  # the id a scored document borrows while its own id is indexed

StillWanted = Callable[[], bool]


def _always() -> bool:
    return True


class NotFoundError(LookupError):
    """No document (or lineage) with this id; ``field`` names the request field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.reason = message

    def __reduce__(self) -> tuple:
        # Raised in an index process, re-raised in the gRPC process: pickled with its fields.
        return (type(self), (self.field, self.reason))


class DeadlineExpired(RuntimeError):
    """The caller stopped waiting before the work started; nothing was changed."""


@dataclass(frozen=True)
class SharedPassage:
    """A run of text in both documents: ``[start, end)`` character offsets in each document's
    cleaned text (see :class:`dedup.evidence.Passage`) and the run itself, from the query."""

    query_start: int
    query_end: int
    match_start: int
    match_end: int
    tokens: int
    text: str


@dataclass(frozen=True)
class ScoredMatch:
    """An indexed document linked to the scored document (the query), with the evidence.

    ``relation`` is how the derived side of the pair relates to the other: the query to the
    match when ``query_is_derived``, else the match to the query."""

    id: str
    relation: Relation
    query_is_derived: bool
    score: float
    cosine: float
    containment_query_in_match: float
    containment_match_in_query: float
    lineage_id: str
    passages: tuple[SharedPassage, ...]
    document: Document
    language: str = ""
    translation: TranslationEvidence | None = None


@dataclass(frozen=True)
class TranslationEvidence:
    """What links a query and a match in two languages (see ``dedup.evidence.PairEvidence``)."""

    lead_cosine: float
    lead_rank: int
    figures_in_common: float
    names_in_common: float


def _translation_evidence(match: Match) -> TranslationEvidence | None:
    evidence = match.evidence
    if evidence.same_language or evidence.embedding_cosine is None:
        return None
    return TranslationEvidence(
        lead_cosine=round(evidence.embedding_cosine, 4),
        lead_rank=evidence.lead_rank if evidence.lead_rank is not None else -1,
        figures_in_common=round(evidence.number_dice, 4),
        names_in_common=round(evidence.name_overlap or 0.0, 4),
    )


@dataclass(frozen=True)
class IndexResult:
    """What indexing did: ``created`` (False: replaced) and where the document now sits."""

    created: bool
    placement: Placement


@dataclass(frozen=True)
class ScoreResult:
    """Matches, best first, and the lineage the query gets; ``created`` is set when indexed."""

    matches: tuple[ScoredMatch, ...]
    placement: Placement
    created: bool | None = None


@dataclass(frozen=True)
class LineageNode:
    """One document of a lineage tree."""

    id: str
    parent_id: str | None
    relation: Relation
    score: float
    source: str
    published_at: datetime | None
    title: str


@dataclass(frozen=True)
class LineageTree:
    """A lineage, root first, every parent before its children."""

    lineage_id: str
    nodes: tuple[LineageNode, ...]


@dataclass(frozen=True)
class IndexStats:
    """The index at a glance: lineages count components of two documents or more."""

    documents: int
    lineages: int
    unlinked_documents: int
    links: int
    bytes_on_disk: int
    uptime_seconds: float


def _observed_lines(engine: Engine, doc: Document) -> list[str]:
    """The lines the boilerplate model learns from ``doc`` (none without a source)."""
    if not doc.source:
        return []
    limit = engine.boilerplate.max_line_chars
    return [line for line in story_lines(doc.text) if len(line) <= limit]


def check_text_limit(max_text_bytes: int) -> int:
    """Return ``max_text_bytes`` if it is a usable text limit: positive, and not above the
    limit :class:`Document` itself enforces (raising it needs a change in dedup.document)."""
    if not 0 < max_text_bytes <= DEFAULT_MAX_TEXT_BYTES:
        raise ValueError(
            f"max_text_bytes must be between 1 and {DEFAULT_MAX_TEXT_BYTES} (the limit Document itself "
            f"enforces), got {max_text_bytes}"
        )
    return max_text_bytes


def _apply(engine: Engine, event: Event) -> None:
    """Replay one stored event on ``engine`` (restart, or catching up with other processes)."""
    if event.kind == INDEX:
        engine.boilerplate.observe(list(event.lines), event.source)
        if event.document is not None:
            engine.add(event.document)
    elif event.kind == DELETE and event.doc_id in engine.documents:
        engine.remove(event.doc_id)


def _replay(engine: Engine, events: Sequence[Event]) -> None:
    """Replay a whole history on a fresh ``engine``, as :func:`_apply` one event at a time
    would, but with the candidate channels loaded in one bulk insert at the end: each
    document's sketches are still taken when its event comes (under the term statistics of
    that moment), and nothing queries the channels before the replay ends."""
    pending: dict[str, dict[str, object]] = {}
    for event in events:
        if event.kind == INDEX:
            engine.boilerplate.observe(list(event.lines), event.source)
            if event.document is not None:
                indexed = engine.stage(event.document)
                pending.pop(event.doc_id, None)
                pending[event.doc_id] = engine.candidates.signatures(indexed.features, engine.tfidf)
        elif event.kind == DELETE and event.doc_id in engine.documents:
            engine.remove(event.doc_id)
            pending.pop(event.doc_id, None)
    with engine.candidates.insertion_session():
        engine.candidates.insert_many(pending.items())


def _passages(finder: PassageFinder, other: Features) -> tuple[SharedPassage, ...]:
    return tuple(
        SharedPassage(p.a_start, p.a_end, p.b_start, p.b_end, p.tokens, finder.a.text[p.a_start : p.a_end])
        for p in finder.passages(other)
    )


#: When a bulk load ends, the engine snapshot is written again once at least this many
#: writes, and this share of the index, are not in it (:meth:`LineageIndex.save_snapshot_if_due`).
SNAPSHOT_MIN_WRITES = 10_000
SNAPSHOT_SHARE = 0.25


class LineageIndex:
    """A persistent, thread-safe syndication index for the service.

    ``store`` keeps the documents and links (in memory by default); on construction the engine
    is rebuilt from it. ``max_text_bytes`` is the largest text accepted (it can only be lowered
    below :data:`dedup.document.DEFAULT_MAX_TEXT_BYTES`, which :class:`Document` enforces).

    With ``shared``, other processes write to the same store: before every call the index
    applies their writes (in commit order, as a restart would), and each write happens inside
    the store's write transaction, so every process sees every acknowledged write and each
    pair is still decided once.

    With ``snapshots`` (the default), an index over a store that has a place for one
    (:meth:`dedup.store.Store.snapshot_path`) starts from the engine snapshot there when it
    matches, and replays only the events after it (:mod:`dedup.snapshot`); ``save_on_close``
    writes a new one when the index closes (:meth:`save_snapshot` does it at any time).
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        config: EngineConfig = EngineConfig(),
        max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES,
        shared: bool = False,
        clock: Callable[[], float] = time.monotonic,
        snapshots: bool = True,
        save_on_close: bool = True,
    ) -> None:
        check_text_limit(max_text_bytes)
        self.store = store if store is not None else MemoryStore()
        vectors = self.store.lead_vectors() if config.embedder is not None else None
        if vectors is not None:  # lead embeddings kept with the index: a restart embeds nothing again
            config = replace(config, embedder=CachingEmbedder(config.embedder, cache=vectors))
        self.config = config
        self.max_text_bytes = max_text_bytes
        self.shared = shared
        self._clock = clock
        self._started = clock()
        self._lock = threading.RLock()
        self._seq = 0
        self._snapshot_path = self.store.snapshot_path() if snapshots else None
        self._save_on_close = save_on_close
        #: The event the engine snapshot loaded at start covered (0: none was loaded).
        self.restored_from_snapshot = 0
        self._snapshot_seq = 0  # the event of the last snapshot this index loaded or wrote
        self._closed = False
        self._reload(from_snapshot=True)

    # -- state --------------------------------------------------------------------------
    def _reload(self, from_snapshot: bool = False) -> None:
        """Rebuild the engine by replaying the store's events in commit order: each document is
        added right after the boilerplate observations that preceded it, so its features are
        the ones it had when it was indexed. Also how memory gets back in step with the store
        after a failed write. ``from_snapshot`` (at start): begin from the engine snapshot
        when there is one that matches, and replay only the events after it."""
        # Building the engine makes millions of objects at scale and no garbage cycles.
        with collector_paused(), self.store.transaction():
            restored = self._restore_snapshot() if from_snapshot else None
            if restored is None:
                engine, graph, seq = Engine(self.config), None, 0
            else:
                engine, graph, seq = restored
            events = list(self.store.events(after=seq))
            _replay(engine, events)
            live = engine.documents
            if graph is None:
                graph = LinkGraph(link for link in self.store.links() if link.a in live and link.b in live)
            else:  # the snapshot's graph, with the links of every document written since
                self._relink(graph, {event.doc_id for event in events}, live)
            seq = events[-1].seq if events else seq
        self._engine, self._graph, self._seq = engine, graph, seq
        # doc id -> the placements of its whole component, until a write touches that component
        self._current: dict[str, dict[str, Placement]] = {}

    def _restore_snapshot(self) -> tuple[Engine, LinkGraph, int] | None:
        """The engine and link graph of the snapshot beside the store and the event they
        cover, when it matches this code, configuration and log (call inside a store
        transaction)."""
        if self._snapshot_path is None:
            return None
        restored = read_snapshot(self._snapshot_path, self.config, self._log_holds)
        if restored is None or not isinstance(restored.beside.get("links"), LinkGraph):
            return None
        self.restored_from_snapshot = self._snapshot_seq = restored.header.seq
        return restored.engine, restored.beside["links"], restored.header.seq

    def _relink(self, graph: LinkGraph, doc_ids: Iterable[str], live: dict) -> None:
        """Bring the links of ``doc_ids`` in ``graph`` in step with the store (call inside a
        store transaction): written documents get their stored links, deleted ones none."""
        for doc_id in doc_ids:
            if doc_id in live:
                graph.replace(doc_id, [x for x in self.store.links_of(doc_id) if x.a in live and x.b in live])
            else:
                graph.drop(doc_id)

    def _event_at(self, seq: int) -> Event | None:
        """The store's event ``seq`` (``None`` when the log has none; call inside a store
        transaction)."""
        event = next(iter(self.store.events(after=seq - 1)), None) if seq > 0 else None
        return event if event is not None and event.seq == seq else None

    def _log_holds(self, seq: int, kind: str, doc_id: str) -> bool:
        """Whether the store's event ``seq`` is a ``kind`` of ``doc_id``."""
        event = self._event_at(seq)
        return event is not None and (event.kind, event.doc_id) == (kind, doc_id)

    def save_snapshot(self) -> int:
        """Write the engine snapshot beside the store now (after applying every committed
        write); return the event it covers, or 0 when nothing was written (no place for one,
        or an empty index). The snapshot this index started from, or last wrote, is not
        written again while it still covers every write (a restart then a stop costs no
        second copy)."""
        with self._lock:
            self._sync()
            if self._snapshot_path is None or self._seq == 0:
                return 0
            on_disk = read_header(self._snapshot_path)
            if self._seq == self._snapshot_seq and on_disk is not None and on_disk.seq == self._seq:
                return self._seq
            with self.store.transaction():
                last = self._event_at(self._seq)
            assert last is not None  # the index applied it
            write_snapshot(
                self._snapshot_path, self._engine, seq=last.seq, kind=last.kind, doc_id=last.doc_id, beside={"links": self._graph}
            )
            self._snapshot_seq = last.seq
            return last.seq

    def save_snapshot_if_due(self, min_writes: int | None = None, share: float | None = None) -> int:
        """:meth:`save_snapshot` when the writes the snapshot on disk does not cover number at
        least ``min_writes`` and ``share`` of the index (by default :data:`SNAPSHOT_MIN_WRITES`
        and :data:`SNAPSHOT_SHARE`); return the event it covers, or 0 when not due. Called
        when a bulk load ends: a crash afterwards would otherwise replay all of it at the next
        start. The share keeps the cost in proportion: writing a snapshot takes time in
        proportion to the whole index (10-16 s at 100k documents), so a large index is written
        again only once it has grown by a quarter."""
        with self._lock:
            self._sync()
            if self._snapshot_path is None:
                return 0
            on_disk = read_header(self._snapshot_path)
            uncovered = self._seq - (on_disk.seq if on_disk is not None else 0)
            min_writes = SNAPSHOT_MIN_WRITES if min_writes is None else min_writes
            share = SNAPSHOT_SHARE if share is None else share
            if uncovered < max(min_writes, share * len(self._engine.documents)):
                return 0
            return self.save_snapshot()

    def _catch_up(self) -> None:
        """Apply the writes other processes committed since ours (shared mode only); call
        inside a store transaction."""
        if not self.shared or self.store.last_seq() == self._seq:
            return
        touched: set[str] = set()
        self._current.clear()
        for event in list(self.store.events(after=self._seq)):
            _apply(self._engine, event)
            touched.add(event.doc_id)
            self._seq = event.seq
        self._relink(self._graph, touched, self._engine.documents)

    def _sync(self) -> None:
        """Before a read: see every write committed so far (shared mode only)."""
        if self.shared:
            try:
                with self.store.transaction():
                    self._catch_up()
            except BaseException:
                self._reload()
                raise

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One write, in the store's write transaction, after catching up: on a failure the
        store rolls back and memory is rebuilt from it (input errors and unknown ids are raised
        before anything changes and need no rebuild)."""
        try:
            with self.store.transaction(write=True):
                self._catch_up()
                yield
        except (DocumentError, NotFoundError, DeadlineExpired):
            raise
        except BaseException:
            self._reload()
            raise

    def close(self) -> None:
        """Write the engine snapshot (unless ``save_on_close`` was turned off), then close the
        store (idempotent). A snapshot that cannot be written is logged and skipped: the store
        alone is enough to restart, only slower."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._save_on_close and self._snapshot_path is not None:
                try:
                    self.save_snapshot()
                except Exception as err:  # noqa: BLE001 - closing must not fail for a cache
                    log.warning("no engine snapshot written to %s: %s: %s", self._snapshot_path, type(err).__name__, err)
            self.store.close()

    def __len__(self) -> int:
        with self._lock:
            self._sync()
            return len(self._engine.documents)

    def __contains__(self, doc_id: object) -> bool:
        with self._lock:
            self._sync()
            return doc_id in self._engine.documents

    # -- checks -------------------------------------------------------------------------
    def check(self, doc: Document) -> None:
        """Raise :class:`DocumentError` naming the first bad field of ``doc``."""
        validate_document(doc, max_text_bytes=self.max_text_bytes)

    @staticmethod
    def _check_top_k(top_k: int) -> int:
        if not isinstance(top_k, int) or top_k < 0 or top_k > MAX_TOP_K:
            raise DocumentError("top_k", f"must be between 0 and {MAX_TOP_K}, got {top_k!r}")
        return top_k or DEFAULT_TOP_K

    @staticmethod
    def _check_id(field_name: str, doc_id: object) -> str:
        if not isinstance(doc_id, str) or not doc_id.strip():
            raise DocumentError(field_name, "must be a non-empty string")
        return doc_id

    @staticmethod
    def _start(still_wanted: StillWanted) -> None:
        """Refuse to start work nobody waits for any more (called with the lock held)."""
        if not still_wanted():
            raise DeadlineExpired("the deadline passed before the work started")

    # -- writes -------------------------------------------------------------------------
    def index(self, doc: Document, *, still_wanted: StillWanted = _always) -> IndexResult:
        """Insert or replace ``doc`` (by id), durably, and return where it now sits."""
        self.check(doc)
        with self._lock:
            self._start(still_wanted)
            with self._writing():
                created, _, _ = self._index_locked(doc)
            return IndexResult(created, self._placement_of(doc.id))

    def index_many(self, documents: Iterable[Document]) -> list[IndexResult]:
        """Index each document in turn (each one durable before the next starts)."""
        return [self.index(doc) for doc in documents]

    def _index_locked(self, doc: Document) -> tuple[bool, list[Match], Features]:
        """Observe, add, decide links, persist (inside :meth:`_writing`)."""
        engine = self._engine
        created = doc.id not in engine.documents
        lines = _observed_lines(engine, doc)
        engine.boilerplate.observe(lines, doc.source)
        indexed = engine.stage(doc)
        matches = engine.links_for(doc, indexed.features)
        engine.enter_channels(indexed)  # after its query: see Engine.enter_channels
        links = [Link(doc.id, m.id, m.strength, m.evidence) for m in matches]
        self._forget([doc.id, *(m.id for m in matches)])
        self._seq = self.store.put(doc, lines, source=doc.source, links=links)
        self._graph.replace(doc.id, links)
        return created, matches, indexed.features

    def _forget(self, doc_ids: Iterable[str]) -> None:
        """Drop the remembered placements of the components holding ``doc_ids`` (call before
        the graph changes: those components are about to be regrouped)."""
        for doc_id in doc_ids:
            if doc_id in self._current:
                for member in self._current[doc_id]:
                    self._current.pop(member, None)

    def add(self, doc: Document, *, still_wanted: StillWanted = _always) -> bool:
        """Insert or replace ``doc`` like :meth:`index`, without working out its placement (bulk
        loads: placing a document in a large lineage costs more than indexing it); return
        whether it was created."""
        self.check(doc)
        with self._lock:
            self._start(still_wanted)
            with self._writing():
                created, _, _ = self._index_locked(doc)
            return created

    def delete(self, doc_id: str, *, still_wanted: StillWanted = _always) -> None:
        """Remove ``doc_id`` and its links; raise :class:`NotFoundError` for an unknown id."""
        self._check_id("id", doc_id)
        with self._lock:
            self._start(still_wanted)
            with self._writing():
                if doc_id not in self._engine.documents:
                    raise NotFoundError("id", f"no document {doc_id!r}")
                self._forget([doc_id])
                self._seq = self.store.delete(doc_id)
                self._engine.remove(doc_id)
                self._graph.drop(doc_id)

    # -- reads --------------------------------------------------------------------------
    def score(
        self, doc: Document, *, top_k: int = 0, index: bool = False, still_wanted: StillWanted = _always
    ) -> ScoreResult:
        """The indexed documents linked to ``doc``, strongest first (at most ``top_k``, 0 for
        :data:`DEFAULT_TOP_K`), and the lineage ``doc`` gets; with ``index`` it is also indexed."""
        self.check(doc)
        limit = self._check_top_k(top_k)
        with self._lock:
            self._start(still_wanted)
            if index:
                with self._writing():
                    created, matches, features = self._index_locked(doc)
                placements = self._placements(self._graph.component(doc.id))
                query = self._engine.documents[doc.id].node()
                linked = self._with_lineage(doc.id, matches, placements, limit)
                return ScoreResult(self._scored(query, features, linked, placements), placements[doc.id], created)
            self._sync()
            return self._score_unindexed(doc, limit)

    def _score_unindexed(self, doc: Document, limit: int) -> ScoreResult:
        """Score ``doc`` without keeping it: it is added to the engine for the time of the call
        (so its features, language and links are exactly the ones indexing would give) under a
        probe id when its own id is taken (the indexed version is then left out, as a
        replacement would leave it), and removed before returning. Nothing is written."""
        engine = self._engine
        probe_id = doc.id
        while probe_id in engine.documents:
            probe_id = _PROBE_PREFIX + probe_id
        probe = doc if probe_id == doc.id else replace(doc, id=probe_id)
        try:
            indexed = engine.stage(probe)
            matches = [m for m in engine.links_for(probe, indexed.features, indexed.counts) if m.id != doc.id]
            placements = self._hypothetical_placements(probe_id, matches, leave_out=doc.id)
            linked = self._with_lineage(probe_id, matches, placements, limit)
            scored = self._scored(indexed.node(), indexed.features, linked, placements)
            placement = placements[probe_id]
        finally:
            try:
                engine.remove(probe_id)
            except BaseException:
                self._reload()
                raise
        if probe_id != doc.id:
            lineage_id = doc.id if placement.lineage_id == probe_id else placement.lineage_id
            placement = replace(placement, id=doc.id, lineage_id=lineage_id)
        return ScoreResult(scored, placement)

    def lineage(self, *, doc_id: str | None = None, lineage_id: str | None = None) -> LineageTree:
        """The whole lineage of document ``doc_id``, or the lineage whose id is ``lineage_id``."""
        if (doc_id is None) == (lineage_id is None):
            raise DocumentError("id", "give exactly one of id and lineage_id")
        field_name, wanted = ("id", doc_id) if doc_id is not None else ("lineage_id", lineage_id)
        self._check_id(field_name, wanted)
        with self._lock:
            self._sync()
            if wanted not in self._engine.documents:
                raise NotFoundError(field_name, f"no document {wanted!r}")
            placements = self._component_placements(wanted)
            root = placements[wanted].lineage_id
            if lineage_id is not None and root != lineage_id:
                raise NotFoundError("lineage_id", f"no lineage {lineage_id!r} (that document is in lineage {root!r})")
            return LineageTree(root, tuple(self._node(p) for p in placements.values() if p.lineage_id == root))

    def placement(self, doc_id: str) -> Placement:
        """Where ``doc_id`` sits now."""
        self._check_id("id", doc_id)
        with self._lock:
            self._sync()
            if doc_id not in self._engine.documents:
                raise NotFoundError("id", f"no document {doc_id!r}")
            return self._placement_of(doc_id)

    def stats(self) -> IndexStats:
        """Counts, size on disk and uptime."""
        with self._lock:
            self._sync()
            documents = len(self._engine.documents)
            lineages, grouped = self._lineage_counts()
            return IndexStats(
                documents=documents,
                lineages=lineages,
                unlinked_documents=documents - grouped,
                links=self._graph.link_count(),
                bytes_on_disk=self.store.bytes_on_disk(),
                uptime_seconds=self._clock() - self._started,
            )

    # -- lineages -----------------------------------------------------------------------
    def _placements(self, members: Sequence[str], extra_links: Sequence[Link] = ()) -> dict[str, Placement]:
        """Group and orient the documents of one connected component of the link graph with
        :meth:`Engine.place` itself, on a view of the engine that holds only them (grouping and
        orientation only ever look inside a component), so lineages are decided exactly as the
        batch job decides them. ``extra_links`` are links not in the graph (a scored document's)."""
        docs = self._engine.documents
        inside = sorted((m for m in set(members) if m in docs), key=lambda m: docs[m].order)
        view_documents = {m: docs[m] for m in inside}
        links = [x for x in self._graph.links_within(inside) if x.a in view_documents and x.b in view_documents]
        view = copy.copy(self._engine)
        view.documents = view_documents  # type: ignore[assignment]
        return view.place(links + list(extra_links))

    def _component_placements(self, doc_id: str) -> dict[str, Placement]:
        """Placements of every document of ``doc_id``'s component, remembered until a write
        touches the component (reads far outnumber writes, and placing is the costly part)."""
        placements = self._current.get(doc_id)
        if placements is None:
            placements = self._placements(self._graph.component(doc_id))
            for member in placements:
                self._current[member] = placements
        return placements

    def _placement_of(self, doc_id: str) -> Placement:
        return self._component_placements(doc_id)[doc_id]

    def _lineage_members(self, doc_id: str) -> list[str]:
        """The documents of ``doc_id``'s current lineage."""
        placements = self._component_placements(doc_id)
        lineage_id = placements[doc_id].lineage_id
        return [m for m, p in placements.items() if p.lineage_id == lineage_id]

    def _hypothetical_placements(
        self, probe_id: str, matches: Sequence[Match], *, leave_out: str
    ) -> dict[str, Placement]:
        """Placements of the lineage the document ``probe_id`` (in the engine, not in the link
        graph) would join if it were indexed, without changing anything: :meth:`Engine.place`
        over it and the current lineages of its matches (``leave_out``: the indexed version it
        would replace).

        This is the batch decision as long as the newcomer does not also regroup documents
        outside those lineages, which the guarded grouping can do in rare chains (a weak link
        that no longer finds a lone document); indexing it (``index: true``, ``Index``) always
        decides over the whole connected component. Grouping the whole component for every
        score would cost seconds in a component of a thousand documents."""
        members: list[str] = [probe_id]
        seen: set[str] = {probe_id, leave_out}
        for match in matches:
            if match.id not in seen:
                lineage = [m for m in self._lineage_members(match.id) if m not in seen]
                seen.update(lineage)
                members.extend(lineage)
        links = [Link(probe_id, m.id, m.strength, m.evidence) for m in matches]
        return self._placements(members, links)

    def _lineage_counts(self) -> tuple[int, int]:
        """(lineages of two documents or more, documents in them)."""
        lineages = grouped = 0
        for component in self._graph.components():
            sizes = Counter(p.lineage_id for p in self._component_placements(component[0]).values())
            lineages += sum(1 for n in sizes.values() if n > 1)
            grouped += sum(n for n in sizes.values() if n > 1)
        return lineages, grouped

    def _with_lineage(
        self, query_id: str, matches: Sequence[Match], placements: dict[str, Placement], limit: int
    ) -> list[Match]:
        """The direct matches, then the other members of the lineage the query joins (score 0:
        no direct link, the lineage links them), nearest to the query's parent first; at most
        ``limit`` in all (evidence is measured only for members that are returned)."""
        mine = placements.get(query_id)
        if mine is None or len(matches) >= limit:
            return list(matches[:limit])
        direct = {m.id for m in matches}
        members = [
            p for p in placements.values()
            if p.lineage_id == mine.lineage_id and p.id != query_id and p.id not in direct and p.id in self._engine.documents
        ]
        members.sort(key=lambda p: (p.id != mine.parent_id, p.parent_id != mine.parent_id, p.id))
        extra = [
            Match(p.id, 0.0, self._engine.evidence_between(query_id, p.id), frozenset({"lineage"}))
            for p in members[: limit - len(matches)]
        ]
        return list(matches) + extra

    def _scored(
        self, query: Node, features: Features, matches: Sequence[Match], placements: dict[str, Placement]
    ) -> tuple[ScoredMatch, ...]:
        """Matches with their relation, current lineage and shared passages."""
        out = []
        finder = PassageFinder(features)
        for match in matches:
            other = self._engine.documents[match.id]
            relation, query_is_derived = self._pair_relation(query, match, placements)
            out.append(
                ScoredMatch(
                    id=match.id,
                    relation=relation,
                    query_is_derived=query_is_derived,
                    score=round(match.strength, 4),
                    cosine=match.evidence.cosine,
                    containment_query_in_match=match.evidence.containment_a_in_b,
                    containment_match_in_query=match.evidence.containment_b_in_a,
                    lineage_id=self._placement_of(match.id).lineage_id,
                    passages=_passages(finder, other.features),
                    document=other.document,
                    language=other.language,
                    translation=_translation_evidence(match),
                )
            )
        return tuple(out)

    def _pair_relation(self, query: Node, match: Match, placements: dict[str, Placement]) -> tuple[Relation, bool]:
        """Relation of the derived side of (query, match): from the lineage tree when one is the
        other's parent, else by orienting the pair alone."""
        mine, theirs = placements.get(query.id), placements.get(match.id)
        if mine is not None and mine.parent_id == match.id:
            return mine.relation, True
        if theirs is not None and theirs.parent_id == query.id:
            return theirs.relation, False
        other = self._engine.documents[match.id].node()
        link = Link(query.id, match.id, match.strength, match.evidence)
        child = orient({query.id: query, match.id: other}, [link], self._engine.relation_of)[1]
        return child.relation, child.id == query.id

    def _node(self, placement: Placement) -> LineageNode:
        doc = self._engine.documents[placement.id].document
        return LineageNode(
            placement.id,
            placement.parent_id,
            placement.relation,
            placement.score,
            doc.source,
            doc.published_at,
            doc.title,
        )
