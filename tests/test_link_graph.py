"""The service's link graph: components, and the table it is pickled as (a loaded graph holds
row numbers and turns them into links on first read, equal to the links it was written with)."""

from __future__ import annotations

import pickle

import pytest

from dedup.evidence import PairEvidence
from dedup.lineage import Link
from dedup import link_graph
from dedup.link_graph import LinkGraph


def _link(a: str, b: str, k: int) -> Link:
    """A link whose evidence uses every kind of field: floats, None, bools and ints."""
    evidence = PairEvidence(
        cosine=0.5 + k / 100,
        containment_a_in_b=1 / (k + 3),
        containment_b_in_a=0.25,
        word_containment_a_in_b=0.75,
        word_containment_b_in_a=0.1 * k,
        number_overlap=None if k % 2 else 0.5,
        same_language=bool(k % 3),
        shared_quotations=k,
        embedding_cosine=0.8125 if k % 2 else None,
        lead_rank=None if k % 2 else k + 1,
        shared_numbers=2 * k,
        title_overlap=None,
        shared_name_stems=k % 4,
    )
    return Link(a, b, 0.9 - k / 50, evidence)


def _graph() -> tuple[LinkGraph, list[Link]]:
    links = [_link("a", "b", 0), _link("b", "c", 1), _link("d", "a", 2), _link("e", "f", 3), _link("c", "d", 4)]
    return LinkGraph(links), links


def _shape(graph: LinkGraph) -> tuple:
    """What a caller can read: the components (in any order), their links, the count."""
    components = sorted(sorted(c) for c in graph.components())
    return components, [sorted(graph.links_within(c), key=repr) for c in components], graph.link_count()


def test_components_follow_the_links():
    graph, _ = _graph()
    assert list(graph.components()) == [["a", "b", "d", "c"], ["e", "f"]]
    assert graph.component("a", without="b") == ["a", "d", "c"]
    graph.drop("d")
    assert graph.component("a") == ["a", "b", "c"]
    assert graph.link_count() == 3
    graph.drop("e")  # its only neighbour goes with it
    assert list(graph.components()) == [["a", "b", "c"]] and graph._edges.keys() == {"a", "b", "c"}


def test_a_pickled_graph_reads_back_the_same_links():
    graph, links = _graph()
    loaded = pickle.loads(pickle.dumps(graph))
    assert loaded._edges == {} and loaded._read == {}  # arrays and rows until read
    assert _shape(loaded) == _shape(graph)
    assert loaded._edges == {} and len(loaded._read) == len(links)  # reading changed no adjacency
    assert sorted(loaded.links_within(["a", "b", "c", "d", "e", "f"]), key=repr) == sorted(links, key=repr)
    # A link read once is the same object from either end.
    first = loaded.links_within(["a", "b"])
    assert first == [links[0]] and loaded.links_within(["b", "a"])[0] is first[0]


def test_a_loaded_graph_changed_then_pickled_again_keeps_its_unread_rows():
    graph, _ = _graph()
    loaded = pickle.loads(pickle.dumps(graph))
    loaded.links_within(["b", "c"])  # one row read
    for changed in (graph, loaded):
        changed.replace("a", [_link("a", "f", 5)])
        changed.add(_link("g", "e", 6))
    again = pickle.loads(pickle.dumps(loaded))
    assert _shape(again) == _shape(loaded) == _shape(graph)
    for changed in (graph, again):
        changed.drop("c")
        changed.drop("e")
    assert _shape(again) == _shape(graph)
    assert again.component("b") == ["b"] and again.link_count() == graph.link_count() == 1


def test_an_empty_graph_pickles():
    assert _shape(pickle.loads(pickle.dumps(LinkGraph()))) == ([], [], 0)


def test_a_table_written_with_other_evidence_fields_is_refused():
    state = LinkGraph([_link("a", "b", 0)]).__getstate__()
    state["fields"] = state["fields"][:-1]
    with pytest.raises(ValueError, match="evidence fields"):
        LinkGraph().__setstate__(state)


def test_a_loaded_graph_keeps_a_bounded_number_of_links_decoded(monkeypatch):
    monkeypatch.setattr(link_graph, "_DECODED_KEPT", 2)
    graph, links = _graph()
    loaded = pickle.loads(pickle.dumps(graph))
    everyone = ["a", "b", "c", "d", "e", "f"]
    for _ in range(2):  # decoded again after the cache started afresh: still each link once
        assert sorted(loaded.links_within(everyone), key=repr) == sorted(links, key=repr)
        assert len(loaded._read) <= 2
    assert _shape(loaded) == _shape(graph)


class _Reference:
    """The graph as plain dicts of links: what LinkGraph must answer."""

    def __init__(self) -> None:
        self.edges: dict[str, dict[str, Link]] = {}

    def add(self, link: Link) -> None:
        self.edges.setdefault(link.a, {})[link.b] = link
        self.edges.setdefault(link.b, {})[link.a] = link

    def drop(self, doc_id: str) -> None:
        for other in self.edges.pop(doc_id, {}):
            self.edges[other].pop(doc_id)
            if not self.edges[other]:
                del self.edges[other]

    def shape(self) -> tuple:
        graph = LinkGraph()
        for neighbours in self.edges.values():
            for link in neighbours.values():
                graph.add(link)
        return _shape(graph)


@pytest.mark.parametrize("seed", range(6))
def test_random_changes_pickles_and_compactions_answer_as_plain_dicts(monkeypatch, seed):
    import random

    monkeypatch.setattr(link_graph, "_DEAD_ROWS_KEPT", 3)  # compact often
    rng = random.Random(seed)
    documents = [f"d{k}" for k in range(12)]
    graph, reference = LinkGraph(), _Reference()
    for step in range(300):
        roll = rng.random()
        if roll < 0.55:
            a, b = rng.sample(documents, 2)
            link = _link(a, b, step % 7)
            graph.add(link)
            reference.add(link)
        elif roll < 0.75:
            doc_id = rng.choice(documents)
            graph.drop(doc_id)
            reference.drop(doc_id)
        elif roll < 0.85:
            doc_id = rng.choice(documents)
            links = [_link(doc_id, other, step % 5) for other in rng.sample(documents, 2) if other != doc_id]
            graph.replace(doc_id, links)
            reference.drop(doc_id)
            for link in links:
                reference.add(link)
        elif roll < 0.95:
            graph = pickle.loads(pickle.dumps(graph))
        else:
            graph.links_within(rng.sample(documents, 5))  # decodes some rows
        if step % 10 == 0:
            assert _shape(graph) == reference.shape()
    assert _shape(graph) == reference.shape()
