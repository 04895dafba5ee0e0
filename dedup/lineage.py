"""Lineages: group linked documents and orient each group from its original outwards.

Grouping is union-find over *decided* links only (never over weak similarity), so two stories
join only through a pair that is itself derived. Orientation picks the root (the earliest
``published_at``; without dates, the document the others are contained in) and grows a tree
from it with Prim's algorithm, each document hanging from the strongest link to a document
placed before it, so a cut-down copy hangs from the wire text, not from a sibling.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, Optional, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .evidence import PairEvidence
from .relate import Relation

__all__ = ["Node", "Link", "Placement", "UnionFind", "group", "orient"]


@dataclass(frozen=True)
class Node:
    """What orientation needs to know of a document."""

    id: str
    published_at: Optional[datetime]
    order: int
    source: str = ""
    language: str = ""


@dataclass(frozen=True, slots=True)
class Link:
    """A decided link between ``a`` and ``b`` with its evidence (seen from ``a``)."""

    a: str
    b: str
    strength: float
    evidence: PairEvidence

    def seen_from(self, doc_id: str) -> PairEvidence:
        """Evidence with ``doc_id`` as side ``a``."""
        return self.evidence if doc_id == self.a else self.evidence.swapped()

    def other(self, doc_id: str) -> str:
        return self.b if doc_id == self.a else self.a

    def __reduce__(self) -> tuple:
        # Pickled as its values (see PairEvidence.__reduce__): workers send links by the million.
        return (Link, (self.a, self.b, self.strength, self.evidence))


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a document sits in its lineage."""

    id: str
    lineage_id: str
    parent_id: Optional[str]
    relation: Relation
    score: float

    def __reduce__(self) -> tuple:
        # Pickled as its values (see PairEvidence.__reduce__): each Score sends one back from
        # an index process.
        return (Placement, (self.id, self.lineage_id, self.parent_id, self.relation, self.score))


class UnionFind:
    """Disjoint sets over hashable keys, with path halving and union by size."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._size: dict[str, int] = {}

    @classmethod
    def of_groups(cls, representative: dict[str, str]) -> UnionFind:
        """Sets already formed: each key of ``representative`` in the set of the key it maps
        to (which maps to itself)."""
        sets = cls()
        sets._parent = dict(representative)
        sets._size = dict(Counter(representative.values()))
        return sets

    def find(self, key: str) -> str:
        self._parent.setdefault(key, key)
        self._size.setdefault(key, 1)
        while self._parent[key] != key:
            self._parent[key] = self._parent[self._parent[key]]
            key = self._parent[key]
        return key

    def size(self, key: str) -> int:
        """Number of keys in ``key``'s set."""
        return self._size[self.find(key)]

    def union(self, a: str, b: str) -> str:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if self._size[ra] < self._size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] += self._size[rb]
        return ra


def group(
    ids: Iterable[str], links: Iterable[Link], *, merge_min_strength: float = 0.0, may_merge: Callable[[Link], bool] | None = None
) -> list[list[str]]:
    """Connected components of the link graph (singletons included), each in input order.

    Links are taken strongest first. A link of at least ``merge_min_strength`` (that
    ``may_merge`` accepts, when given) joins any two groups; any other only brings a lone
    document into a group (or pairs two lone ones), so a chain of weak links cannot weld two
    established lineages together: that single-link chaining is where the anchor baselines
    lose their precision.

    The strong links all come before the weak ones and join whatever they touch, so the
    groups they make are the connected components of their graph, in whatever order they
    are taken: SciPy finds those (the batch job's millions of links cost seconds in a Python
    union-find; a Score's handful goes through a plain one, cheaper than building a SciPy
    graph), and only the weak links are then taken one by one, strongest first.
    """
    ids = list(ids)
    links = list(links)
    # A link may name a document outside ``ids``: it still joins groups through it.
    names = list(dict.fromkeys([*ids, *(end for link in links for end in (link.a, link.b))]))
    position = {name: k for k, name in enumerate(names)}
    merging = np.array(
        [link.strength >= merge_min_strength and (may_merge is None or may_merge(link)) for link in links], dtype=bool
    )
    a = np.array([position[link.a] for link in links], dtype=np.int64)
    b = np.array([position[link.b] for link in links], dtype=np.int64)
    strengths = np.array([link.strength for link in links], dtype=np.float64)
    labels = group_labels(names, len(set(ids)), a, b, strengths, merging)
    return components_of(ids, labels[[position[doc_id] for doc_id in ids]])


def group_labels(
    names: Sequence[str], count: int, a: np.ndarray, b: np.ndarray, strengths: np.ndarray, merging: np.ndarray
) -> np.ndarray:
    """:func:`group` of links given as arrays: ``a[k]`` and ``b[k]`` the ends' numbers in
    ``names``, ``strengths[k]`` the strength and ``merging[k]`` whether the link may join any
    two groups. The component number of each of the first ``count`` names, numbered in the
    order of their first members (what the batch job's packed links,
    :class:`dedup.link_table.LinkTable`, are grouped with)."""
    first = _components(len(names), a[merging].tolist(), b[merging].tolist())
    sets = UnionFind.of_groups({name: names[k] for name, k in zip(names, first.tolist())})
    weak = ~merging
    ends = zip((-strengths[weak]).tolist(), a[weak].tolist(), b[weak].tolist())
    # Strongest first, ties by the ends' names.
    for _, x, y in sorted((s, names[x], names[y]) for s, x, y in ends):
        rx, ry = sets.find(x), sets.find(y)
        # Links within one group (most of a large lineage's) need nothing more.
        if rx != ry and min(sets.size(rx), sets.size(ry)) == 1:
            sets.union(rx, ry)
    numbers: dict[str, int] = {}
    return np.fromiter((numbers.setdefault(sets.find(name), len(numbers)) for name in names[:count]), dtype=np.int64, count=count)


def components_of(ids: Sequence[str], labels: np.ndarray) -> list[list[str]]:
    """The groups of ``ids`` by their component numbers ``labels`` (numbered in order of
    first members, as :func:`group_labels` numbers them), each in input order."""
    components: list[list[str]] = [[] for _ in range(int(labels.max()) + 1 if len(labels) else 0)]
    for doc_id, label in zip(ids, labels.tolist()):
        components[label].append(doc_id)
    return components


def _components(count: int, a: list[int], b: list[int]) -> np.ndarray:
    """For each of ``count`` nodes, a node of its connected component under the edges
    ``(a[k], b[k])`` (the component's first node: a stable representative)."""
    if not a:
        return np.arange(count)
    if len(a) <= _FEW_EDGES:
        return np.array(_components_by_hand(count, a, b), dtype=np.int64)
    graph = sp.coo_matrix((np.ones(len(a), dtype=np.int32), (a, b)), shape=(count, count))
    _, labels = connected_components(graph, directed=False)
    first = np.full(labels.max() + 1, count, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(count))
    return first[labels]


# Below this many edges a plain union-find beats building a SciPy graph (about 0.6 ms of
# validation and conversion whatever its size: most of a Score call's grouping).
_FEW_EDGES = 512


def _components_by_hand(count: int, a: list[int], b: list[int]) -> list[int]:
    """:func:`_components` for a few edges: a union-find over node numbers whose root is
    always the smaller number, so each node ends with its component's first node."""
    parent = list(range(count))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in zip(a, b):
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    return [find(k) for k in range(count)]


def _root_key(node: Node, containment_balance: float, language_count: int) -> tuple:
    """Sort key of root candidates: dated before undated, earliest first; then the document
    alone in its language (several renderings in one language of a text in another are
    translations of it); then the document that carries the most of the others; then the
    smallest id (not the input position, so a shuffled corpus gives the same lineages)."""
    dated = node.published_at is not None
    return (
        not dated,
        node.published_at.timestamp() if dated else 0.0,
        language_count,
        -round(containment_balance, 9),
        node.id,
    )


def _carried(link: Link, doc_id: str) -> float:
    """How much more of the other document ``doc_id`` carries than the other carries of it
    (read from the evidence directly: swapping it per link end cost most of a Score's time on
    large lineages)."""
    e = link.evidence
    difference = e.containment_b_in_a - e.containment_a_in_b
    return difference if doc_id == link.a else -difference


def orient(
    nodes: dict[str, Node],
    links: list[Link],
    relation_of: Callable[[PairEvidence, Node, Node], Relation],
    renders_one_text: Callable[[PairEvidence], bool] | None = None,
) -> list[Placement]:
    """Place every document of one component: its lineage id (the root's id), parent,
    relation to the parent and the strength of that link.

    With ``renders_one_text`` (whether two linked texts in one language have the shape of two
    translations of one text, :func:`dedup.relate.renders_one_text`): a document that would
    hang from another rendering of a foreign text, itself placed as a translation of that
    text, hangs from the foreign text instead, as a translation, with the weaker of the two
    links' strengths. A rendering derives from its source, not from a second translator's
    version: this is where it lands when its own link to the source fell short of the
    threshold while its sibling's did not."""
    by_doc: dict[str, list[Link]] = {doc_id: [] for doc_id in nodes}
    for link in links:
        by_doc[link.a].append(link)
        by_doc[link.b].append(link)
    # How much of its neighbours a document carries, minus how much of it they carry: the
    # original of a cut-down copy contains it, not the reverse.
    balance = {doc_id: sum(_carried(l, doc_id) for l in ls) for doc_id, ls in by_doc.items()}
    languages = Counter(n.language for n in nodes.values())
    rank = {n.id: _root_key(n, balance[n.id], languages[n.language]) for n in nodes.values()}
    root = min(nodes, key=rank.__getitem__)
    root_language = nodes[root].language
    placements = [Placement(root, root, None, Relation.ORIGINAL if links else Relation.NONE, 0.0)]
    placed: set[str] = set()
    frontier: list[tuple] = []

    def place(doc_id: str) -> None:
        placed.add(doc_id)
        for link in by_doc[doc_id]:
            child = link.other(doc_id)
            if child not in placed:
                # Prefer parents that come before the child; a document in another language than
                # the original hangs from the original's language (translations are siblings
                # under their source, not translations of each other); then the strongest.
                before = rank[doc_id] <= rank[child]
                direct = nodes[child].language == root_language or nodes[doc_id].language == root_language
                # Equal strengths: the parent nearer the original (its root key ranks first).
                heapq.heappush(frontier, (not before, not direct, -link.strength, rank[doc_id], child, doc_id, id(link), link))

    placed_as: dict[str, Placement] = {}
    place(root)
    while frontier:
        *_, child, parent, _, link = heapq.heappop(frontier)
        if child in placed:
            continue
        evidence = link.seen_from(child)
        relation = relation_of(evidence, nodes[child], nodes[parent])
        placement = Placement(child, root, parent, relation, round(link.strength, 4))
        source = placed_as.get(parent)
        if (
            renders_one_text is not None
            and source is not None
            and source.relation is Relation.TRANSLATION
            and source.parent_id is not None
            and nodes[source.parent_id].language != nodes[child].language
            and evidence.same_language
            and renders_one_text(evidence)
        ):
            score = round(min(link.strength, source.score), 4)
            placement = Placement(child, root, source.parent_id, Relation.TRANSLATION, score)
        placements.append(placement)
        placed_as[child] = placement
        place(child)
    if len(placed) != len(nodes):
        raise ValueError("orient() needs a connected component")
    return placements
