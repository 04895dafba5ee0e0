"""Links packed as rows (dedup/link_table.py), and the batch job's placing from them."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.engine import Engine, EngineConfig
from dedup.evidence import PairEvidence
from dedup.lineage import Link
from dedup.link_table import EVIDENCE_FIELDS, LinkTable
from dedup.relate import may_merge_lineages, may_merge_lineages_many

_share = st.floats(0.0, 1.0)
_evidence = st.builds(
    PairEvidence,
    cosine=_share,
    containment_a_in_b=_share,
    containment_b_in_a=_share,
    word_containment_a_in_b=_share,
    word_containment_b_in_a=_share,
    number_overlap=st.none() | _share,
    same_language=st.booleans(),
    order_agreement=_share,
    ordered_containment=_share,
    shared_quotations=st.integers(0, 40),
    embedding_cosine=st.none() | st.floats(-1.0, 1.0),
    name_overlap=st.none() | _share,
    lead_rank=st.none() | st.integers(0, 1000),
    number_dice=_share,
    shared_numbers=st.integers(0, 500),
    sentence_ratio=_share,
    title_overlap=st.none() | _share,
    unmatched_numbers=_share,
    shared_name_stems=st.integers(0, 80),
)
_links = st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9), _share, _evidence), max_size=30)
IDS = [f"doc-{k}" for k in range(10)]


@settings(max_examples=60, deadline=None)
@given(_links)
def test_links_come_back_from_their_rows_with_every_field_and_type(rows: list) -> None:
    links = [Link(IDS[a], IDS[b], strength, evidence) for a, b, strength, evidence in rows]
    table = LinkTable.of(links, {doc_id: k for k, doc_id in enumerate(IDS)})
    assert len(table) == len(links)
    back = table.links(IDS)
    assert back == links
    for mine, theirs in zip(back, links):
        for name in EVIDENCE_FIELDS:
            assert type(getattr(mine.evidence, name)) is type(getattr(theirs.evidence, name)), name
    chosen = np.arange(len(links))[::-2]
    assert table.links(IDS, chosen) == [links[k] for k in chosen.tolist()]
    halves = LinkTable.concatenate([LinkTable.of(links[:3], dict(zip(IDS, range(10)))), LinkTable.of(links[3:], dict(zip(IDS, range(10))))])
    assert halves.links(IDS) == links


@settings(max_examples=60, deadline=None)
@given(st.lists(_evidence, min_size=1, max_size=30))
def test_the_template_rule_on_arrays_is_the_rule_on_each_link(evidences: list[PairEvidence]) -> None:
    links = [Link("a", "b", 0.9, e) for e in evidences]
    table = LinkTable.of(links, {"a": 0, "b": 1})
    many = may_merge_lineages_many(
        table.column("same_language") != 0,
        table.column("number_overlap"),
        np.maximum(table.column("containment_a_in_b"), table.column("containment_b_in_a")),
    )
    assert many.tolist() == [may_merge_lineages(e) for e in evidences]


def test_an_empty_table_has_no_links() -> None:
    assert LinkTable.of([], {}).links(IDS) == [] and len(LinkTable.concatenate([])) == 0


@pytest.mark.parametrize("per_range", [7, 20_000])
def test_the_batch_job_places_from_packed_links_as_from_the_links(monkeypatch: pytest.MonkeyPatch, per_range: int) -> None:
    """Placing from the table (lineages turned into objects one at a time) gives what
    placing the links as objects gives, and deciding the links range by range of documents
    gives the links of one range."""
    from tests.test_batch_parallel import _synthetic

    documents = _synthetic()
    engine = Engine(EngineConfig(embedder=None, detect_languages=False))
    engine.learn_boilerplate(documents)
    engine.add_many(documents)
    whole = engine.all_links()
    monkeypatch.setattr("dedup.engine.DOCUMENTS_PER_RANGE", per_range)
    seen: list[tuple[str, int, int]] = []
    table = engine.link_table(lambda stage, done, total: seen.append((stage, done, total)))
    ids = list(engine.documents)
    assert table.links(ids) == whole and len(whole) > 100
    candidates = [s for s in seen if s[0] == "candidates"]
    assert candidates[-1] == ("candidates", len(ids), len(ids))
    assert all(total == len(ids) for _, _, total in candidates)
    placements = engine.place_table(table)
    assert placements == engine.place(whole)
    assert list(placements) == list(engine.place(whole))
    derived = [p for p in placements.values() if p.parent_id is not None]
    assert len(derived) > 50 and len({p.lineage_id for p in derived}) > 10
    assert dataclasses.asdict(placements[derived[0].id]) == dataclasses.asdict(engine.resolve()[derived[0].id])
