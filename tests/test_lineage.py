"""Grouping and orientation of lineages (dedup/lineage.py)."""

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.evidence import PairEvidence
from dedup.lineage import Link, Node, Placement, UnionFind, group, orient
from dedup.relate import Relation

T0 = datetime(2024, 11, 29, 8, 0, tzinfo=timezone.utc)


def _evidence(a_in_b: float, b_in_a: float, cosine: float = 0.8) -> PairEvidence:
    return PairEvidence(cosine, a_in_b, b_in_a, a_in_b, b_in_a, None)


def _link(a: str, b: str, a_in_b: float, b_in_a: float, strength: float | None = None) -> Link:
    return Link(a, b, strength if strength is not None else max(a_in_b, b_in_a), _evidence(a_in_b, b_in_a))


def _relation(child_in_parent: PairEvidence, child: Node, parent: Node) -> Relation:
    """A stand-in for the engine's relation: copies of all the parent are republications."""
    if child_in_parent.containment_a_in_b >= 0.99 and child_in_parent.containment_b_in_a >= 0.99:
        return Relation.UPDATE
    return Relation.REPUBLICATION if child_in_parent.containment_a_in_b >= 0.5 else Relation.PARTIAL


def _nodes(*ids: str, dates: dict | None = None) -> dict[str, Node]:
    dates = dates or {}
    return {doc_id: Node(doc_id, dates.get(doc_id), order) for order, doc_id in enumerate(ids)}


def _by_id(placements: list[Placement]) -> dict[str, Placement]:
    return {p.id: p for p in placements}


def _assert_tree(placements: list[Placement], ids: set[str]) -> Placement:
    """Every id placed once, one root, every other document's parent inside the component."""
    assert sorted(p.id for p in placements) == sorted(ids)
    roots = [p for p in placements if p.parent_id is None]
    assert len(roots) == 1
    root = roots[0]
    for p in placements:
        assert p.lineage_id == root.id
        if p is not root:
            assert p.parent_id in ids and p.parent_id != p.id
    # parents lead to the root without cycles
    parent = {p.id: p.parent_id for p in placements}
    for doc_id in ids:
        seen = set()
        while parent[doc_id] is not None:
            assert doc_id not in seen
            seen.add(doc_id)
            doc_id = parent[doc_id]
        assert doc_id == root.id
    return root


# -- UnionFind ----------------------------------------------------------------------------


def test_union_find_singletons():
    sets = UnionFind()
    assert sets.find("a") == "a"
    assert sets.find("b") == "b"


def test_union_find_union_and_transitivity():
    sets = UnionFind()
    sets.union("a", "b")
    sets.union("c", "d")
    assert sets.find("a") == sets.find("b")
    assert sets.find("a") != sets.find("c")
    root = sets.union("b", "d")
    assert {sets.find(k) for k in "abcd"} == {root}


def test_union_find_union_is_idempotent():
    sets = UnionFind()
    first = sets.union("a", "b")
    assert sets.union("a", "b") == first
    assert sets.union("b", "a") == first


def test_union_find_long_chain():
    sets = UnionFind()
    for k in range(1000):
        sets.union(str(k), str(k + 1))
    assert sets.find("0") == sets.find("1000")


# -- group --------------------------------------------------------------------------------


def test_group_components_in_input_order_with_singletons():
    ids = ["e", "a", "c", "b", "d", "f"]
    links = [_link("b", "a", 1, 1), _link("d", "c", 1, 1), _link("c", "e", 1, 1)]
    assert group(ids, links) == [["e", "c", "d"], ["a", "b"], ["f"]]


def test_group_without_links():
    assert group(["x", "y"], []) == [["x"], ["y"]]
    assert group([], []) == []


def _group_one_link_at_a_time(ids: list[str], links: list[Link], merge_min_strength: float) -> list[list[str]]:
    """The grouping rule as first written: every link in turn, strongest first, in a union-find."""
    sets = UnionFind()
    for doc_id in ids:
        sets.find(doc_id)
    for link in sorted(links, key=lambda l: (-l.strength, l.a, l.b)):
        ra, rb = sets.find(link.a), sets.find(link.b)
        if ra != rb and (link.strength >= merge_min_strength or min(sets.size(ra), sets.size(rb)) == 1):
            sets.union(ra, rb)
    components: dict[str, list[str]] = {}
    for doc_id in ids:
        components.setdefault(sets.find(doc_id), []).append(doc_id)
    return list(components.values())


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 12),
    st.lists(st.tuples(st.integers(0, 13), st.integers(0, 13), st.sampled_from([0.3, 0.5, 0.7, 0.99, 1.0])), max_size=30),
    st.sampled_from([0.0, 0.6, 0.99]),
)
def test_group_finds_the_strong_components_at_once_with_the_groups_of_one_link_at_a_time(count, edges, merge_min_strength):
    """Strong links are grouped as connected components at once, weak ones one by one: the
    groups are those of taking every link in turn, with weak links between established
    groups left out, links that name documents outside the list, and links to oneself."""
    ids = [f"d{k}" for k in range(count)]
    links = [_link(f"d{a}", f"d{b}", 0.5, 0.5, strength) for a, b, strength in edges]
    assert group(ids, links, merge_min_strength=merge_min_strength) == _group_one_link_at_a_time(ids, links, merge_min_strength)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60))))
def test_components_by_hand_are_scipys(graph):
    """A few edges go through a plain union-find instead of SciPy: the same representative
    (the first node of each component) for every node."""
    from unittest import mock

    from dedup import lineage

    count, edges = graph
    a, b = [x for x, _ in edges], [y for _, y in edges]
    by_hand = lineage._components(count, a, b).tolist()
    with mock.patch.object(lineage, "_FEW_EDGES", -1):
        by_scipy = lineage._components(count, a, b).tolist()
    assert by_hand == by_scipy == lineage._components_by_hand(count, a, b)


def test_weak_links_do_not_weld_two_groups():
    ids = ["a", "b", "c", "d"]
    links = [_link("a", "b", 1, 1, 1.0), _link("c", "d", 1, 1, 1.0), _link("b", "c", 0.5, 0.5, 0.5)]
    assert group(ids, links, merge_min_strength=0.99) == [["a", "b"], ["c", "d"]]
    assert group(ids, links + [_link("d", "e", 0.5, 0.5, 0.4)], merge_min_strength=0.99) == [["a", "b"], ["c", "d"]]
    assert group(ids, links, merge_min_strength=0.5) == [["a", "b", "c", "d"]]


def test_a_strong_link_may_merge_refuses_joins_only_lone_documents():
    """``may_merge`` turns a strong link into a weak one: it no longer welds two groups, but
    still brings a lone document in."""
    ids = ["a", "b", "c", "d", "e"]
    links = [_link("a", "b", 1, 1, 1.0), _link("c", "d", 1, 1, 1.0), _link("b", "c", 0.6, 0.6, 0.999), _link("d", "e", 0.6, 0.6, 0.999)]
    refuse_partial = lambda link: link.evidence.containment_a_in_b > 0.9  # noqa: E731
    assert group(ids, links, merge_min_strength=0.99) == [["a", "b", "c", "d", "e"]]
    assert group(ids, links, merge_min_strength=0.99, may_merge=refuse_partial) == [["a", "b"], ["c", "d", "e"]]


# -- orient -------------------------------------------------------------------------------


def test_singleton_is_its_own_lineage():
    [placement] = orient(_nodes("solo"), [], _relation)
    assert placement == Placement("solo", "solo", None, Relation.NONE, 0.0)


def test_root_is_the_earliest_dated_document():
    dates = {"paper": T0 + timedelta(hours=3), "wire": T0, "late": T0 + timedelta(days=1)}
    nodes = _nodes("paper", "late", "wire", dates=dates)
    # the wire is the one contained in the others here; dates decide anyway
    links = [_link("paper", "wire", 0.6, 1.0), _link("late", "wire", 0.6, 1.0), _link("paper", "late", 0.9, 0.9)]
    placements = orient(nodes, links, _relation)
    root = _assert_tree(placements, set(nodes))
    assert root.id == "wire"
    assert root.relation == Relation.ORIGINAL and root.score == 0.0


def test_dated_documents_come_before_undated_ones():
    nodes = _nodes("undated", "dated", dates={"dated": T0 + timedelta(days=30)})
    placements = orient(nodes, [_link("undated", "dated", 1.0, 0.5)], _relation)
    assert _assert_tree(placements, set(nodes)).id == "dated"


def test_without_dates_the_containing_document_is_root():
    # "cut" (first in input) is wholly contained in "wire"; "wire" is only partly in "cut"
    nodes = _nodes("cut", "wire")
    placements = orient(nodes, [_link("cut", "wire", 1.0, 0.4)], _relation)
    root = _assert_tree(placements, set(nodes))
    assert root.id == "wire"
    cut = _by_id(placements)["cut"]
    assert cut.parent_id == "wire" and cut.relation == Relation.REPUBLICATION and cut.score == 1.0


def test_without_dates_root_contains_two_cut_down_copies():
    nodes = _nodes("first-half", "second-half", "wire")
    links = [_link("first-half", "wire", 1.0, 0.5), _link("wire", "second-half", 0.5, 1.0)]
    placements = _by_id(orient(nodes, links, _relation))
    assert placements["wire"].parent_id is None
    assert placements["first-half"].parent_id == "wire"
    assert placements["second-half"].parent_id == "wire"


def test_cut_down_copy_hangs_from_its_source_not_a_sibling():
    # wire at 08:00; a full republication at 09:00; a cut-down copy of the wire at 10:00 that
    # links to both, slightly more strongly to the wire
    dates = {"wire": T0, "republished": T0 + timedelta(hours=1), "cut": T0 + timedelta(hours=2)}
    nodes = _nodes("republished", "cut", "wire", dates=dates)
    links = [
        _link("republished", "wire", 1.0, 1.0, strength=1.0),
        _link("cut", "republished", 1.0, 0.45, strength=0.9),
        _link("cut", "wire", 1.0, 0.5, strength=0.95),
    ]
    placements = orient(nodes, links, _relation)
    _assert_tree(placements, set(nodes))
    by_id = _by_id(placements)
    assert by_id["cut"].parent_id == "wire"
    assert by_id["cut"].relation == Relation.REPUBLICATION
    assert by_id["republished"].parent_id == "wire"
    assert by_id["republished"].relation == Relation.UPDATE


def test_earlier_parent_preferred_over_a_stronger_later_one():
    dates = {"wire": T0, "copy": T0 + timedelta(hours=1), "later": T0 + timedelta(hours=5)}
    nodes = _nodes("wire", "copy", "later", dates=dates)
    links = [
        _link("wire", "later", 0.7, 0.7, strength=0.7),
        _link("copy", "later", 1.0, 1.0, strength=1.0),
        _link("wire", "copy", 0.6, 0.6, strength=0.6),
    ]
    by_id = _by_id(orient(nodes, links, _relation))
    assert by_id["copy"].parent_id == "wire"
    # "later" may hang from either earlier document; both come before it
    assert by_id["later"].parent_id in {"wire", "copy"}


def test_chain_every_non_root_has_a_parent_in_the_component():
    ids = [f"d{k}" for k in range(8)]
    dates = {doc_id: T0 + timedelta(minutes=k) for k, doc_id in enumerate(ids)}
    nodes = _nodes(*reversed(ids), dates=dates)
    links = [_link(ids[k], ids[k + 1], 0.8, 0.8) for k in range(len(ids) - 1)]
    placements = orient(nodes, links, _relation)
    root = _assert_tree(placements, set(ids))
    assert root.id == "d0"
    assert placements[0] is root or placements[0].id == root.id
    assert {p.id: p.parent_id for p in placements}["d5"] == "d4"


def test_scores_are_link_strengths_rounded():
    nodes = _nodes("a", "b", dates={"a": T0, "b": T0 + timedelta(hours=1)})
    [root, child] = orient(nodes, [_link("a", "b", 0.5, 0.5, strength=0.123456789)], _relation)
    assert root.id == "a" and child.id == "b"
    assert child.score == 0.1235


def test_relation_callback_sees_evidence_from_the_child():
    seen = []

    def relation_of(child_in_parent, child, parent):
        seen.append((child.id, parent.id, child_in_parent.containment_a_in_b, child_in_parent.containment_b_in_a))
        return Relation.PARTIAL

    nodes = _nodes("wire", "cut", dates={"wire": T0, "cut": T0 + timedelta(hours=1)})
    # link written from the wire's side: the wire is 40% in the cut, the cut 100% in the wire
    orient(nodes, [_link("wire", "cut", 0.4, 1.0)], relation_of)
    assert seen == [("cut", "wire", 1.0, 0.4)]


def test_disconnected_input_raises():
    nodes = _nodes("a", "b", "c")
    with pytest.raises(ValueError, match="connected component"):
        orient(nodes, [_link("a", "b", 1.0, 1.0)], _relation)


def test_link_helpers():
    link = _link("a", "b", 0.9, 0.3)
    assert link.other("a") == "b" and link.other("b") == "a"
    assert link.seen_from("a") is link.evidence
    assert link.seen_from("b").containment_a_in_b == 0.3


def test_cut_down_copy_hangs_from_the_wire_when_the_sibling_link_is_as_strong():
    dates = {"wire": T0, "a-republished": T0 + timedelta(hours=1), "cut": T0 + timedelta(hours=2)}
    nodes = _nodes("wire", "a-republished", "cut", dates=dates)
    links = [
        _link("a-republished", "wire", 1.0, 1.0, strength=1.0),
        _link("cut", "a-republished", 1.0, 0.5, strength=1.0),
        _link("cut", "wire", 1.0, 0.5, strength=1.0),
    ]
    assert _by_id(orient(nodes, links, _relation))["cut"].parent_id == "wire"


def _translation_relation(child_in_parent: PairEvidence, child: Node, parent: Node) -> Relation:
    return Relation.TRANSLATION if not child_in_parent.same_language else _relation(child_in_parent, child, parent)


@pytest.mark.parametrize("renders, parent, relation, score", [(True, "ru", Relation.TRANSLATION, 0.97), (False, "en-1", Relation.PARTIAL, 0.99)])
def test_a_rendering_linked_only_to_a_sibling_hangs_from_the_foreign_source(renders, parent, relation, score):
    """Two English renderings of a Russian original; only one of them linked to it directly.
    The other derives from the original, not from the first translator's version, when the
    two have the shape of two renderings of one text; otherwise (an edited copy of the
    first English version, say) it stays where its link puts it."""
    nodes = {
        "ru": Node("ru", T0, 0, "tass", "ru"),
        "en-1": Node("en-1", None, 1, "desk", "en"),
        "en-2": Node("en-2", None, 2, "desk", "en"),
    }
    foreign = dataclasses.replace(_evidence(0.0, 0.0), same_language=False)
    links = [Link("en-1", "ru", 0.97, foreign), _link("en-2", "en-1", 0.3, 0.3, strength=0.99)]
    placements = _by_id(orient(nodes, links, _translation_relation, renders_one_text=lambda evidence: renders))
    _assert_tree(list(placements.values()), set(nodes))
    assert placements["en-1"].parent_id == "ru" and placements["en-1"].relation is Relation.TRANSLATION
    assert (placements["en-2"].parent_id, placements["en-2"].relation, placements["en-2"].score) == (parent, relation, score)


def test_links_and_placements_pickle_to_equal_objects():
    """Workers send links back, and index processes placements: each comes back whole,
    optional fields left unset included."""
    import copy
    import pickle

    evidence = PairEvidence(
        cosine=0.5, containment_a_in_b=0.1, containment_b_in_a=0.2, word_containment_a_in_b=0.3,
        word_containment_b_in_a=0.4, number_overlap=None, same_language=False, lead_rank=3, shared_name_stems=2,
    )
    link = Link("a", "b", 0.9, evidence)
    placement = Placement("b", "a", "a", Relation.TRANSLATION, 0.9)
    for value in (evidence, link, placement):
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            assert pickle.loads(pickle.dumps(value, protocol=protocol)) == value
        assert copy.deepcopy(value) == value
    assert pickle.loads(pickle.dumps(link)).evidence.lead_rank == 3
