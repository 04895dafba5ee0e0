"""The engine's own entry points (dedup/engine.py), beyond what the batch and service tests cover."""

import numpy as np
import pytest

from dedup import Document, Engine
from dedup.engine import EngineConfig


def _engine(wire_text: str) -> Engine:
    engine = Engine(EngineConfig(embedder=None, detect_languages=False))
    engine.add(Document(id="wire", text=wire_text))
    return engine


def test_a_staged_document_is_compared_but_never_proposed(wire_text):
    engine = _engine(wire_text)
    staged = engine.stage(Document(id="staged", text=wire_text + " More follows."))
    assert [m.id for m in engine.links_for(staged.document, staged.features, staged.counts)] == ["wire"]
    later = Document(id="later", text=wire_text)
    assert "staged" not in [m.id for m in engine.links_for(later)]
    engine.remove("staged")
    assert list(engine.documents) == ["wire"] and engine.tfidf.n_documents_ == 1


def test_the_cosine_screen_drops_pairs_before_any_evidence(wire_text):
    engine = _engine(wire_text)
    engine.add(Document(id="copy", text=wire_text + " More follows."))
    engine.add(Document(id="other", text="Markets fell in Tokyo on Friday as the yen rose against the dollar."))
    pairs = [("wire", "copy"), ("wire", "other")]
    assert engine.worth_measuring(pairs) == [("wire", "copy")]
    assert engine.pair_cosines(pairs)[0] > 0.9


FIRST = (
    "Itel Corp said it completed the previously announced purchase of the container fleet and certain related "
    "assets of Flexi-Van Leasing Inc for about 130 mln dlrs cash and marketable securities, 30 mln dlrs in notes, "
    "three mln shares of newly issued Itel common and assumption of certain liabilities. The company said the "
    "fleet includes 140,000 containers and 25,000 chassis leased to shipping lines around the world."
)
SECOND = (
    "Itel Corp said it has completed the previously-announced acquisition of the container fleet and related assets "
    "of Castle and Cooke Inc's Flexi-Van Leasing Inc subsidiary for about 130 mln dlrs in cash and marketable "
    "securities, 30 mln dlrs in notes, three mln common shares and the assumption of liabilities. Itel said the "
    "140,000 containers and 25,000 chassis are leased to shipping lines around the world."
)


def test_two_dated_dispatches_of_one_outlet_on_one_event_do_not_link_but_a_re_filed_version_does():
    from dedup.document import parse_timestamp

    engine = Engine(EngineConfig(embedder=None, detect_languages=False))
    morning, noon = parse_timestamp("1987-04-01T09:00"), parse_timestamp("1987-04-01T12:00")
    engine.add(Document(id="first", text=FIRST, source="reuters", published_at=morning))
    second = Document(id="second", text=SECOND, source="reuters", published_at=noon)
    assert engine.links_for(second) == []
    other_outlet = Document(id="paper", text=SECOND, source="paper", published_at=noon)
    assert [m.id for m in engine.links_for(other_outlet)] == ["first"]
    refiled = Document(id="refiled", text=FIRST + " Itel shares rose 1/4.", source="reuters", published_at=noon)
    assert [m.id for m in engine.links_for(refiled)] == ["first"]


def test_ruling_pairs_out_before_measuring_never_changes_a_link(monkeypatch):
    from pathlib import Path

    from dedup import read_corpus

    seeds = read_corpus(str(Path(__file__).resolve().parents[1] / "seeds"))
    docs = list(seeds)
    for seed in seeds:
        paragraphs = [p for p in seed.text.split("\n") if p.strip()]
        words = seed.text.split()
        docs.append(Document(id=seed.id + "-cut", text="\n".join(paragraphs[:3])))
        docs.append(Document(id=seed.id + "-extract", text=" ".join(words[10:35])))
        docs.append(Document(id=seed.id + "-reordered", text="\n".join(reversed(paragraphs))))
    engine = Engine(EngineConfig(embedder=None, detect_languages=False))
    for doc in docs:
        engine.add(doc)

    def links():
        return {doc.id: [(m.id, m.strength) for m in engine.links_for(doc)] for doc in docs}

    screened = links()
    monkeypatch.setattr(Engine, "_ruled_out_many", lambda self, firsts, group, kept, *args: np.zeros(len(kept), dtype=bool))
    assert links() == screened
    assert sum(len(found) for found in screened.values()) >= len(docs)  # the corpus does link


def test_measuring_candidates_in_rounds_gives_the_links_of_one_round(monkeypatch):
    from pathlib import Path

    import dedup.engine
    from dedup import read_corpus

    seeds = read_corpus(str(Path(__file__).resolve().parents[1] / "seeds"))
    docs = list(seeds) + [Document(id=s.id + "-copy", text=s.text + "\\nMore follows.") for s in seeds]

    def links():
        engine = Engine(EngineConfig(embedder=None, detect_languages=False))
        engine.add_many(docs)
        return sorted((l.a, l.b, l.strength) for l in engine.all_links())

    whole = links()
    monkeypatch.setattr(dedup.engine, "PAIRS_PER_ROUND", 2)
    assert links() == whole and len(whole) >= len(seeds)
    monkeypatch.setattr(dedup.engine, "PAIRS_PER_ROUND", 500_000)
    for per_pass in (1, 3):  # passes that split one first document's pairs, and that hold several
        monkeypatch.setattr(dedup.engine, "DECIDED_PER_PASS", per_pass)
        assert links() == whole


def test_pairs_read_off_the_buckets_are_screened_as_queried_pairs_are():
    """The batch job screens the pairs read off the buckets as arrays (cosine, languages)
    before naming them, then decides them a first document at a time as the score path
    does: the links and the translation leads found among the proposed pairs are those of
    measuring every proposed pair one by one, and those of the pairs found by querying each
    document, with documents in two languages and of unknown language (the same as any)
    among them."""
    import dataclasses

    from tests.test_batch_parallel import _synthetic

    documents = [
        dataclasses.replace(d, language=("fr" if k % 5 == 0 else "" if k % 7 == 0 else "en"))
        for k, d in enumerate(_synthetic())
    ]
    engine = Engine(EngineConfig(embedder=None, detect_languages=False, bucket_cap=None, candidates_per_document=None))
    engine.learn_boilerplate(documents)
    engine.add_many(documents)
    ids = list(engine.documents)
    proposed = engine._proposed_pairs()
    assert proposed is not None
    two_languages = [(ids[a], ids[b]) for a, b in proposed.tolist() if engine.documents[ids[a]].language == "fr" != engine.documents[ids[b]].language]
    assert two_languages
    # Leads as the translation channel gives them: some proposed (one given the other way
    # round), one that no lexical channel proposes.
    leads = {two_languages[0]: (0.9, 0), two_languages[1][::-1]: (0.8, 1), (ids[0], ids[-1]): (0.7, 2)}

    def decided(links, proposed_leads, measured):
        return sorted((l.a, l.b, l.strength) for l in links), proposed_leads, measured

    screened = decided(*engine.links_proposed_by(0, len(ids), leads))
    every: list = []
    measured_every = engine._decide([(ids[a], ids[b]) for a, b in proposed.tolist()], leads, every)
    assert screened[0] == sorted((l.a, l.b, l.strength) for l in every)
    engine._sketched_together = None  # each document queried
    assert engine._proposed_pairs() is None
    queried = decided(*engine.links_proposed_by(0, len(ids), leads))
    assert screened == queried
    assert screened[1] == {two_languages[0], two_languages[1][::-1]}
    # The pairs in one language sure not to link from their shared counts are not measured.
    assert 0 < len(screened[0]) < screened[2] < measured_every < len(proposed)


def test_each_document_decides_its_closest_candidates_at_most():
    """With ``candidates_per_document``, the batch job decides for each document at most
    that many earlier candidates in its language, those of highest cosine (the score path
    keeps the same ones of a query's candidates: ``Engine._closest``); pairs in two
    languages are not capped."""
    import dataclasses

    from dedup.tfidf import pair_cosines
    from tests.test_batch_parallel import _synthetic

    documents = [dataclasses.replace(d, language=("fr" if k % 5 == 0 else "en")) for k, d in enumerate(_synthetic())]
    cap = 3
    engine = Engine(EngineConfig(embedder=None, detect_languages=False, candidates_per_document=cap))
    engine.learn_boilerplate(documents)
    engine.add_many(documents)
    left, right, cosines, same = engine._screened_pairs()
    per_document = np.bincount(right[same], minlength=len(documents))
    assert per_document.max() == cap and (~same).any()
    proposed = engine._proposed_pairs()
    _, weighted = engine._weighted_rows()
    all_cosines = pair_cosines(weighted, proposed[:, 0], proposed[:, 1])
    codes = engine._language_codes()
    for later in np.flatnonzero(per_document == cap)[:20].tolist():
        mine = (proposed[:, 1] == later) & (codes[proposed[:, 0]] == codes[later]) & (all_cosines >= engine.config.policy.min_cosine)
        assert mine.sum() >= cap
        best = np.sort(np.round(all_cosines[mine], 9))[-cap:]
        assert sorted(np.round(cosines[same & (right == later)], 9).tolist()) == best.tolist()
    # The score path's selection: the closest, ties to the later indexed, order kept.
    indexed = list(engine.documents.values())
    kept = [(indexed[0], 0.5, True), (indexed[1], 0.9, True), (indexed[2], 0.2, False), (indexed[3], 0.5, True), (indexed[4], 0.7, True)]
    assert engine._closest(kept) == [kept[1], kept[2], kept[3], kept[4]]
    assert Engine(EngineConfig(embedder=None, candidates_per_document=None))._closest(kept) == kept


def test_names_are_found_only_for_the_translation_channel():
    """Only the translation model weighs names: without it, indexing does not look for them."""
    from dedup import Document, EngineConfig
    from dedup.engine import Engine

    doc = Document(id="a", text="Vladimir Putin met Angela Merkel in Berlin on Monday, officials said.")
    assert Engine(EngineConfig(embedder=None)).features_of(doc).names == ()
    with_channel = Engine(EngineConfig(detect_languages=False))  # the default embedder is not loaded to extract
    assert {"putin", "merkel", "berlin"} <= set(with_channel.features_of(doc).names)


def test_a_bulk_loaded_index_reads_its_candidate_pairs_off_the_buckets():
    """After one bulk load every stored sketch is the one a query would compute, so the pairs
    are read off the channels' buckets at once, and they are the pairs that querying each
    document finds (uncapped buckets: with a cap the join pairs each document with the
    latest before it, which no query of the finished index answers). After a single add the
    stored sketches are stale (the statistics moved): the engine queries again. datasketch's
    channels cannot join their buckets."""
    from tests.test_batch_parallel import _synthetic

    documents = _synthetic()
    engine = Engine(EngineConfig(embedder=None, detect_languages=False, bucket_cap=None))
    engine.learn_boilerplate(documents)
    engine.add_many(documents)
    joined = engine._proposed_pairs()
    assert joined is not None and len(joined) > 1000
    found = set(engine.candidate_pairs())
    engine._sketched_together = None  # as if loaded otherwise: each document is queried
    assert engine._proposed_pairs() is None and set(engine.candidate_pairs()) == found
    ids = list(engine.documents)
    assert {(ids[a], ids[b]) for a, b in joined.tolist()} == found

    grown = Engine(EngineConfig(embedder=None, detect_languages=False))
    grown.add_many(documents[:-1])
    grown.add(documents[-1])
    assert grown._proposed_pairs() is None

    assert engine.candidates.pairs({doc_id: k for k, doc_id in enumerate(ids)}) is not None
    from dedup.candidates import CandidateIndex

    assert CandidateIndex(backend="datasketch").pairs({}) is None


def test_a_new_document_meets_the_latest_versions_before_it_in_each_bucket():
    """With a ``bucket_cap``, a document queried before it enters the channels (as the
    service indexes) meets the ``bucket_cap`` versions indexed last, as the batch job pairs
    it; after entering, it would take one of the places itself."""
    from pathlib import Path

    from dedup import read_corpus

    seed = read_corpus(str(Path(__file__).resolve().parents[1] / "seeds"))[0]
    copies = [Document(id=f"copy-{k}", text=seed.text) for k in range(6)]
    engine = Engine(EngineConfig(embedder=None, detect_languages=False, bucket_cap=2, candidates_per_document=None))
    for doc in copies[:5]:
        engine.add(doc)
    indexed = engine.stage(copies[5])
    assert sorted(m.id for m in engine.links_for(copies[5], indexed.features)) == ["copy-3", "copy-4"]
    engine.enter_channels(indexed)
    assert sorted(m.id for m in engine.links_for(copies[5], indexed.features)) == ["copy-4"]
    batch = Engine(EngineConfig(embedder=None, detect_languages=False, bucket_cap=2, candidates_per_document=None))
    batch.add_many(copies)
    assert sorted((l.a, l.b) for l in batch.all_links() if l.b == "copy-5") == [("copy-3", "copy-5"), ("copy-4", "copy-5")]


def test_pair_evidence_of_many_pairs_is_each_pairs_own(monkeypatch):
    """pair_evidence counts the shared shingles, words and order of many pairs at once, in
    passes that may split a first document's pairs: each pair's evidence is the one measured
    on its own (the cosine up to rounding: one sparse pass against one product)."""
    import dataclasses
    from pathlib import Path

    import dedup.engine
    from dedup import read_corpus

    seeds = read_corpus(str(Path(__file__).resolve().parents[1] / "seeds"))
    docs = list(seeds) + [Document(id=s.id + "-copy", text=s.text + "\\nMore follows.") for s in seeds]
    engine = Engine(EngineConfig(embedder=None, detect_languages=False))
    engine.add_many(docs)
    pairs = [(a.id, b.id) for a in docs for b in docs if a.id != b.id]
    for per_pass in (dedup.engine.DECIDED_PER_PASS, 3):
        monkeypatch.setattr(dedup.engine, "DECIDED_PER_PASS", per_pass)
        for (a, b), evidence in zip(pairs, engine.pair_evidence(pairs), strict=True):
            alone = engine.evidence_between(a, b)
            assert evidence.cosine == pytest.approx(alone.cosine, abs=1e-12)
            assert dataclasses.replace(evidence, cosine=alone.cosine) == alone


def _bond_issue(borrower: str, ticker: str, amount: int, due: str, coupon: str, price: str, manager: str) -> str:
    return (
        f"{borrower} <{ticker}> is issuing a {amount} mln stg convertible eurobond due {due} paying {coupon} pct and "
        f"priced at {price} pct, lead manager {manager} said.\n"
        f"The issue is available in denominations of 1,000 stg and will be listed in Luxembourg. Fees total {coupon} pct, "
        "comprising 1-1/2 pct selling concession and combined management and underwriting fee.\n"
        f"The bonds are convertible into shares of {borrower} at a premium, the lead manager said. Payment date is {due}."
    )


def test_two_stories_of_one_template_stay_two_lineages_with_their_copies():
    """Two borrowers' eurobond issues share most of their wording, so the link model links them
    strongly; their figures differ, so that link does not weld the two lineages (each with a
    paper's copy and a cut) into one (:func:`dedup.relate.may_merge_lineages`)."""
    from dataclasses import replace

    from dedup.relate import LinkPolicy

    texts = {
        "tesco": _bond_issue("Tesco Plc", "TSCO.L", 100, "February 27, 2002", "4-3/4", "100", "Credit Suisse First Boston"),
        "land": _bond_issue("Land Securities Plc", "LAND.L", 75, "March 30, 2002", "6-1/4", "101", "S.G. Warburg"),
    }
    documents = []
    for name, text in texts.items():
        first, _, last = text.split("\n")
        documents += [
            Document(id=name, text=text, source="wire", language="en"),
            Document(id=f"{name}-copy", text=text + "\nRead more business news on our site.", source="paper", language="en"),
            Document(id=f"{name}-cut", text=f"{first}\n{last}", source="daily", language="en"),
        ]
    engine = Engine(EngineConfig(embedder=None))
    engine.add_many(documents)
    links = engine.all_links()
    across = [l for l in links if l.a.split("-")[0] != l.b.split("-")[0]]
    assert max(l.strength for l in across) >= engine.config.policy.merge_min_probability  # strong enough to merge
    lineages = {doc_id: placement.lineage_id for doc_id, placement in engine.place(links).items()}
    assert len({lineages[f"tesco{s}"] for s in ("", "-copy", "-cut")}) == 1
    assert len({lineages[f"land{s}"] for s in ("", "-copy", "-cut")}) == 1
    assert lineages["tesco"] != lineages["land"]
    engine.config = replace(engine.config, policy=LinkPolicy(template_min_containment=1.0))  # the rule off
    assert len(set(p.lineage_id for p in engine.place(links).values())) == 1
