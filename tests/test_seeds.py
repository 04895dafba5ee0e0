"""The five seed articles: AFP dispatches on the Aleppo offensive, in translation and republication.

They are one lineage. This is the project's founding requirement, tested as it stands.
"""

from pathlib import Path

from dedup import read_corpus, run_batch

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def test_the_five_seeds_form_one_lineage():
    documents = read_corpus(str(SEEDS))
    assert len(documents) == 5
    placements = run_batch(documents)
    ids = {d.id for d in documents}
    assert set(placements) == ids
    lineages = {p.lineage_id for p in placements.values()}
    assert len(lineages) == 1, {p.id: p.lineage_id for p in placements.values()}
    roots = [p for p in placements.values() if p.parent_id is None]
    assert len(roots) == 1
    assert roots[0].lineage_id == roots[0].id
    for p in placements.values():
        if p.parent_id is not None:
            assert p.parent_id in ids and p.parent_id != p.id


def test_seed_placements_are_deterministic():
    documents = read_corpus(str(SEEDS))
    assert run_batch(documents) == run_batch(documents)
