"""The one pipeline behind both doors: the batch job and the service.

document -> normalised text -> features -> candidates from each channel -> evidence per pair
-> link decision -> lineage graph -> oriented lineages.

The batch job indexes everything, then resolves every lineage at once (:meth:`Engine.resolve`);
the service indexes or scores one document against what is there (:meth:`Engine.links_for`,
:meth:`Engine.lineage_of`). Both call the same functions for features, evidence, link
decisions and orientation, so a document lands in the same lineage whichever door it took.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional, Sequence

import numpy as np
import scipy.sparse as sp

from .boilerplate import BoilerplateModel
from .candidates import CandidateIndex, Channel
from .document import Document
from .evidence import PairEvidence, measure_pair
from .features import FeatureConfig, Features, extract_features, story_lines
from .lineage import Link, Node, Placement, group, orient
from .relate import DEFAULT_POLICY, LinkPolicy, Relation, derivation, link_strength
from .tfidf import IncrementalTfidf, pair_cosines

__all__ = ["Engine", "EngineConfig", "Match", "IndexedDocument"]

Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class EngineConfig:
    """Every tunable of the pipeline, with the defaults measured on the benchmark."""

    features: FeatureConfig = field(default_factory=FeatureConfig)
    policy: LinkPolicy = DEFAULT_POLICY
    num_perm: int = 128
    channels: Optional[tuple[Channel, ...]] = None


@dataclass
class IndexedDocument:
    """A document as the index holds it."""

    document: Document
    features: Features
    counts: sp.csr_matrix
    order: int

    def node(self) -> Node:
        return Node(self.document.id, self.document.published_at, self.order, self.document.source)


@dataclass(frozen=True)
class Match:
    """An indexed document linked to a query document, with the evidence (query = side a)."""

    id: str
    strength: float
    evidence: PairEvidence
    channels: frozenset[str]


class Engine:
    """An in-memory syndication index: add documents, then ask for links and lineages."""

    def __init__(self, config: EngineConfig = EngineConfig()) -> None:
        self.config = config
        self.boilerplate = BoilerplateModel()
        self.tfidf = IncrementalTfidf()
        self.candidates = CandidateIndex(config.channels, num_perm=config.num_perm)
        self.documents: dict[str, IndexedDocument] = {}
        self._next_order = 0

    # -- building the index -------------------------------------------------------------
    def learn_boilerplate(self, documents: Iterable[Document]) -> None:
        """Count each source's recurring lines (call before :meth:`add` in batch mode)."""
        for doc in documents:
            self.boilerplate.observe(story_lines(doc.text), doc.source)

    def features_of(self, doc: Document) -> Features:
        """The features of ``doc`` under the current boilerplate model."""
        return extract_features(
            doc.text, source=doc.source, boilerplate=self.boilerplate, config=self.config.features
        )

    def counts_of(self, features: Features) -> sp.csr_matrix:
        """The hashed term counts of one document (a one-row matrix)."""
        return self.tfidf.counts([features.token_hashes])

    def _store(self, doc: Document, features: Features | None = None) -> IndexedDocument:
        """Features and term statistics of ``doc``, without the candidate index."""
        if doc.id in self.documents:
            self.remove(doc.id)
        if features is None:
            features = self.features_of(doc)
        counts = self.counts_of(features)
        self.tfidf.add(counts)
        indexed = IndexedDocument(doc, features, counts, self._next_order)
        self._next_order += 1
        self.documents[doc.id] = indexed
        return indexed

    def _sketch_into_index(self, indexed: IndexedDocument) -> None:
        self.candidates.insert(indexed.document.id, self.candidates.sketches(indexed.features, self.tfidf))

    def add(self, doc: Document) -> IndexedDocument:
        """Index ``doc`` (replacing a document with the same id)."""
        indexed = self._store(doc)
        self._sketch_into_index(indexed)
        return indexed

    def add_many(
        self,
        documents: Iterable[Document],
        progress: Progress = _no_progress,
        features: Sequence[Features] | None = None,
    ) -> None:
        """Index every document, reporting progress as ("features"/"sketch", done, total).

        Term statistics of the whole batch are gathered before any document is sketched, so
        rarity-weighted channels see the same frequencies for the first document as the last.
        ``features``, when given, are the documents' :meth:`features_of` computed elsewhere
        (in worker processes), in the same order.
        """
        documents = list(documents)
        if features is not None and len(features) != len(documents):
            raise ValueError(f"got {len(features)} feature sets for {len(documents)} documents")
        stored = []
        for done, doc in enumerate(documents, start=1):
            stored.append(self._store(doc, None if features is None else features[done - 1]))
            if done % 1000 == 0 or done == len(documents):
                progress("features", done, len(documents))
        for done, indexed in enumerate(stored, start=1):
            self._sketch_into_index(indexed)
            if done % 1000 == 0 or done == len(documents):
                progress("sketch", done, len(documents))

    def remove(self, doc_id: str) -> None:
        """Forget ``doc_id``; raises ``KeyError`` for an unknown id."""
        indexed = self.documents.pop(doc_id)
        self.tfidf.remove(indexed.counts)
        self.candidates.remove(doc_id)

    # -- evidence -----------------------------------------------------------------------
    def _same_language(self, a: Document, b: Document) -> bool:
        return not a.language or not b.language or a.language == b.language

    def links_for(self, doc: Document, features: Features | None = None, counts: sp.csr_matrix | None = None) -> list[Match]:
        """Indexed documents linked to ``doc`` (indexed or not), strongest first."""
        features = features if features is not None else self.features_of(doc)
        counts = counts if counts is not None else self.tfidf.counts([features.token_hashes])
        proposed = self.candidates.query(self.candidates.sketches(features, self.tfidf))
        proposed.pop(doc.id, None)
        if not proposed:
            return []
        others = [self.documents[k] for k in proposed]
        weighted = self.tfidf.weight(sp.vstack([counts] + [o.counts for o in others], format="csr"))
        cosines = np.asarray((weighted[1:] @ weighted[0].T).todense()).ravel()
        matches = []
        for other, cosine in zip(others, cosines):
            evidence = measure_pair(features, other.features, cosine, same_language=self._same_language(doc, other.document))
            strength = link_strength(evidence, features.length, other.features.length, self.config.policy)
            if strength > 0:
                matches.append(Match(other.document.id, strength, evidence, frozenset(proposed[other.document.id])))
        matches.sort(key=lambda m: (-m.strength, m.id))
        return matches

    def candidate_pairs(self, progress: Progress = _no_progress) -> list[tuple[str, str]]:
        """Every pair of indexed documents some channel proposes, each pair once (batch mode)."""
        ids = list(self.documents)
        position = {doc_id: k for k, doc_id in enumerate(ids)}
        pairs: list[tuple[str, str]] = []
        for k, doc_id in enumerate(ids):
            indexed = self.documents[doc_id]
            for other in self.candidates.query(self.candidates.sketches(indexed.features, self.tfidf)):
                if position[other] > k:
                    pairs.append((doc_id, other))
            if (k + 1) % 1000 == 0 or k + 1 == len(ids):
                progress("candidates", k + 1, len(ids))
        return pairs

    def pair_evidence(self, pairs: list[tuple[str, str]]) -> list[PairEvidence]:
        """Evidence for each indexed pair, cosines computed in one sparse pass."""
        ids = list(self.documents)
        position = {doc_id: k for k, doc_id in enumerate(ids)}
        weighted = self.tfidf.weight(sp.vstack([self.documents[i].counts for i in ids], format="csr"))
        left = np.array([position[a] for a, _ in pairs], dtype=np.int64)
        right = np.array([position[b] for _, b in pairs], dtype=np.int64)
        cosines = pair_cosines(weighted, left, right)
        evidence = []
        for (a_id, b_id), cosine in zip(pairs, cosines):
            a, b = self.documents[a_id], self.documents[b_id]
            same = self._same_language(a.document, b.document)
            evidence.append(measure_pair(a.features, b.features, cosine, same_language=same))
        return evidence

    def all_links(self, progress: Progress = _no_progress) -> list[Link]:
        """Every decided link of the index, each pair once (batch mode)."""
        pairs = self.candidate_pairs(progress)
        links = []
        for (a_id, b_id), evidence in zip(pairs, self.pair_evidence(pairs)):
            a, b = self.documents[a_id], self.documents[b_id]
            strength = link_strength(evidence, a.features.length, b.features.length, self.config.policy)
            if strength > 0:
                links.append(Link(a_id, b_id, strength, evidence))
        progress("evidence", len(pairs), len(pairs))
        return links

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

    def place(self, links: list[Link]) -> dict[str, Placement]:
        """Group documents by ``links`` and orient every lineage."""
        by_component: dict[str, list[Link]] = {}
        components = group(self.documents, links, merge_min_strength=self.config.policy.merge_min_probability)
        kept = {doc_id: k for k, c in enumerate(components) for doc_id in c}
        links = [l for l in links if kept[l.a] == kept[l.b]]
        member_of = {doc_id: c[0] for c in components for doc_id in c}
        for link in links:
            by_component.setdefault(member_of[link.a], []).append(link)
        placements: dict[str, Placement] = {}
        for component in components:
            nodes = {doc_id: self.documents[doc_id].node() for doc_id in component}
            for placement in orient(nodes, by_component.get(component[0], []), self.relation_of):
                placements[placement.id] = placement
        return placements

    def resolve(self, progress: Progress = _no_progress) -> dict[str, Placement]:
        """Every document's lineage, parent and relation (batch mode)."""
        return self.place(self.all_links(progress))
