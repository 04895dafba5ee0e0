"""The service's core, in process: LineageIndex over the memory and SQLite stores."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from dedup import Document, DocumentError, Engine, read_corpus
from dedup.boilerplate import BoilerplateModel
from dedup.document import parse_timestamp
from dedup.relate import Relation
from dedup.service import DeadlineExpired, LineageIndex, NotFoundError
from dedup.store import MemoryStore, SQLiteStore

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

UNRELATED = (
    "The central bank left its main interest rate unchanged on Thursday, citing slowing inflation and a "
    "weaker labour market, and said it would watch wage growth closely before any further move.\n"
    "Analysts had expected the decision; the currency barely moved after the announcement in the capital."
)


def _family(wire_text: str) -> list[Document]:
    """A wire story, a later republication with an extra paragraph, a later cut-down copy, and an
    unrelated story."""
    paragraphs = wire_text.split("\n")
    return [
        Document(
            id="wire",
            text=wire_text,
            source="afp",
            language="en",
            published_at=parse_timestamp("2024-11-29T08:00Z"),
            title="Aleppo",
        ),
        Document(
            id="paper",
            text=wire_text + "\nMore to follow on this developing story from our correspondents.",
            source="paper",
            published_at=parse_timestamp("2024-11-29T09:00Z"),
        ),
        Document(
            id="cut", text="\n".join(paragraphs[:2]), source="blog", published_at=parse_timestamp("2024-11-29T10:00Z")
        ),
        Document(id="bank", text=UNRELATED, source="paper", published_at=parse_timestamp("2024-11-29T11:00Z")),
    ]


@pytest.fixture
def family(wire_text: str) -> list[Document]:
    return _family(wire_text)


def _indexed(docs: list[Document], **kwargs) -> LineageIndex:
    index = LineageIndex(**kwargs)
    for doc in docs:
        index.index(doc)
    return index


def _snapshot(index: LineageIndex) -> tuple:
    """Everything observable about the index, to compare before/after a rejected request."""
    stats = index.stats()
    events = list(index.store.events())
    return stats.documents, stats.lineages, stats.links, stats.unlinked_documents, len(events)


# -- indexing ----------------------------------------------------------------------------
def test_index_is_an_idempotent_upsert(family):
    index = LineageIndex()
    assert index.index(family[0]).created is True
    assert index.index(family[0]).created is False
    assert len(index) == 1 and index.stats().documents == 1


def test_a_family_forms_one_lineage_rooted_at_the_earliest(family):
    index = _indexed(family)
    tree = index.lineage(doc_id="cut")
    assert tree.lineage_id == "wire"
    assert [n.id for n in tree.nodes][0] == "wire"
    assert {n.id for n in tree.nodes} == {"wire", "paper", "cut"}
    by_id = {n.id: n for n in tree.nodes}
    assert by_id["wire"].relation is Relation.ORIGINAL and by_id["wire"].parent_id is None
    assert by_id["cut"].relation is Relation.REPUBLICATION  # wholly derived, if cut down
    assert by_id["paper"].relation is Relation.REPUBLICATION
    assert by_id["wire"].source == "afp" and by_id["wire"].title == "Aleppo"
    assert index.lineage(doc_id="bank").nodes[0].relation is Relation.NONE
    stats = index.stats()
    assert (stats.documents, stats.lineages, stats.unlinked_documents) == (4, 1, 1)


def test_lineage_order_puts_every_parent_before_its_children(family):
    tree = _indexed(family).lineage(lineage_id="wire")
    seen: set[str] = set()
    for node in tree.nodes:
        assert node.parent_id is None or node.parent_id in seen
        seen.add(node.id)


def test_lineages_are_oriented_exactly_as_the_batch_engine_places_them(family):
    index = _indexed(family)
    engine = Engine()
    for doc in family:
        engine.add(doc)
    links = index._graph.links_within([d.id for d in family])
    batch = engine.place(links)
    for doc in family:
        tree = index.lineage(doc_id=doc.id)
        node = next(n for n in tree.nodes if n.id == doc.id)
        assert (tree.lineage_id, node.parent_id, node.relation) == (
            batch[doc.id].lineage_id,
            batch[doc.id].parent_id,
            batch[doc.id].relation,
        )


# -- scoring -----------------------------------------------------------------------------
def test_score_without_index_changes_nothing_and_explains_the_match(family):
    index = _indexed(family[:1])
    before = _snapshot(index)
    result = index.score(family[2])
    assert _snapshot(index) == before and "cut" not in index
    assert [m.id for m in result.matches] == ["wire"]
    match = result.matches[0]
    assert match.relation is Relation.REPUBLICATION and match.query_is_derived
    assert match.containment_query_in_match > 0.9 > match.containment_match_in_query
    assert 0 < match.score <= 1 and 0 < match.cosine <= 1 and match.lineage_id == "wire"
    assert match.passages and match.passages[0].tokens >= 6
    assert result.placement.lineage_id == "wire" and result.placement.parent_id == "wire"
    assert result.created is None


def test_passage_spans_point_at_the_same_text_in_both_documents(family):
    index = _indexed(family[:1])
    engine = index._engine
    query_text = engine.features_of(family[1]).text
    match_text = engine.documents["wire"].features.text
    for p in index.score(family[1]).matches[0].passages:
        assert query_text[p.query_start : p.query_end] == p.text == match_text[p.match_start : p.match_end]


def test_score_with_index_adds_the_document_in_one_call(family):
    index = _indexed(family[:1])
    result = index.score(family[1], index=True)
    assert result.created is True and "paper" in index
    assert result.placement.lineage_id == "wire"
    assert index.placement("paper") == result.placement


def test_score_of_an_indexed_id_ignores_its_old_version(family):
    index = _indexed(family)
    result = index.score(replace(family[2], text=UNRELATED + " Nothing about Aleppo."))
    assert "wire" not in [m.id for m in result.matches]


def test_top_k_limits_the_matches(family):
    index = _indexed(family[:3])
    assert len(index.score(family[0], top_k=1).matches) == 1
    with pytest.raises(DocumentError) as err:
        index.score(family[0], top_k=-1)
    assert err.value.field == "top_k"


def test_top_k_also_bounds_the_lineage_members_added_after_the_direct_matches(family):
    index = _indexed(family[:3])
    query = replace(family[2], id="cut-again")
    everything = index.score(query, top_k=10).matches
    assert len(everything) >= 2
    assert [m.id for m in index.score(query, top_k=len(everything) - 1).matches] == [m.id for m in everything[:-1]]


def test_scoring_leaves_no_trace_in_the_candidate_channels(family):
    index = _indexed(family[:3])
    before = index.score(family[1]).matches
    index.score(replace(family[0], id="probe"))
    assert "probe" not in index
    assert index.score(family[1]).matches == before


def _seeds_indexed_one_by_one() -> tuple[list[Document], LineageIndex]:
    seeds = read_corpus(str(SEEDS))
    index = LineageIndex()
    for doc in seeds:
        index.index(doc)
    return seeds, index


def test_the_five_seeds_indexed_one_by_one_share_one_lineage():
    """The issue's requirement: all five seeds share one lineage."""
    seeds, index = _seeds_indexed_one_by_one()
    ids = {d.id for d in seeds}
    for doc in seeds:
        assert {n.id for n in index.lineage(doc_id=doc.id).nodes} == ids, doc.id


def test_the_score_of_each_seed_returns_the_other_four():
    """The issue's requirement: Score of each seed (not indexed again) returns the other four."""
    seeds, index = _seeds_indexed_one_by_one()
    ids = {d.id for d in seeds}
    for doc in seeds:
        assert {m.id for m in index.score(doc).matches} == ids - {doc.id}, doc.id


# -- bad input changes nothing --------------------------------------------------------------
def test_a_text_over_the_limit_is_rejected_and_changes_nothing(family):
    index = _indexed(family, max_text_bytes=5_000)
    before = _snapshot(index)
    too_long = replace(family[0], text=family[0].text + "x" * 5_000)
    for call in (index.index, index.score, lambda d: index.score(d, index=True)):
        with pytest.raises(DocumentError) as err:
            call(too_long)
        assert err.value.field == "text"
    assert _snapshot(index) == before


def test_unknown_ids_are_not_found(family):
    index = _indexed(family)
    with pytest.raises(NotFoundError):
        index.delete("nope")
    with pytest.raises(NotFoundError):
        index.lineage(doc_id="nope")
    with pytest.raises(NotFoundError) as err:
        index.lineage(lineage_id="paper")  # a document, not the id of its lineage
    assert err.value.field == "lineage_id" and "wire" in err.value.reason
    with pytest.raises(DocumentError):
        index.lineage()
    with pytest.raises(DocumentError):
        index.lineage(doc_id="wire", lineage_id="wire")


def test_delete_removes_the_document_and_its_links(family):
    index = _indexed(family)
    index.delete("wire")
    assert "wire" not in index
    tree = index.lineage(doc_id="paper")
    assert "wire" not in {n.id for n in tree.nodes}
    assert all(l.a != "wire" and l.b != "wire" for l in index.store.links())


def test_a_failed_store_write_leaves_memory_as_the_store_has_it(family):
    class Failing(MemoryStore):
        fail = False

        def put(self, *args, **kwargs):
            if self.fail:
                raise OSError("disk full")
            return super().put(*args, **kwargs)

    store = Failing()
    index = _indexed(family[:2], store=store)
    before = _snapshot(index)
    store.fail = True
    with pytest.raises(OSError):
        index.index(family[2])
    assert _snapshot(index) == before and "cut" not in index
    assert {m.id for m in index.score(family[2]).matches} == {"wire", "paper"}


def test_work_nobody_waits_for_is_not_started(family):
    index = _indexed(family[:1])
    before = _snapshot(index)
    with pytest.raises(DeadlineExpired):
        index.index(family[1], still_wanted=lambda: False)
    assert _snapshot(index) == before


def test_concurrent_writers_and_readers_leave_a_consistent_index(family):
    index = LineageIndex()
    docs = [replace(d, id=f"{d.id}-{k}") for k in range(5) for d in family]
    errors: list[BaseException] = []

    def work(chunk: list[Document]) -> None:
        try:
            for doc in chunk:
                index.index(doc)
                index.score(doc)
                index.stats()
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(docs[k::4],)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert index.stats().documents == len(docs)


# -- persistence ------------------------------------------------------------------------------
def test_a_restart_restores_documents_links_and_scores(tmp_path, family):
    index = _indexed(family, store=SQLiteStore(tmp_path))
    trees = {d.id: index.lineage(doc_id=d.id) for d in family}
    probe = replace(family[1], id="probe")
    scored = index.score(probe)
    stats = index.stats()
    index.close()

    again = LineageIndex(SQLiteStore(tmp_path))
    assert {d.id: again.lineage(doc_id=d.id) for d in family} == trees
    assert again.score(probe) == scored
    after = again.stats()
    assert (after.documents, after.lineages, after.links) == (stats.documents, stats.lineages, stats.links)
    assert after.bytes_on_disk > 0
    for doc in family:
        stored = again._engine.documents[doc.id].document
        assert (
            stored.id,
            stored.text,
            stored.title,
            stored.source,
            stored.language,
            stored.published_at,
            stored.url,
        ) == (doc.id, doc.text, doc.title, doc.source, doc.language, doc.published_at, doc.url)


def test_a_restart_after_replacements_and_deletions_finds_the_same_candidates(tmp_path, family):
    index = _indexed(family, store=SQLiteStore(tmp_path))
    index.index(replace(family[2], text=family[2].text + " A correction was appended."))
    index.delete("bank")
    index.index(replace(family[3], id="bank-again"))
    live = index._engine

    again = LineageIndex(SQLiteStore(tmp_path))
    replayed = again._engine
    assert list(replayed.documents) == list(live.documents)
    for doc_id, indexed in live.documents.items():
        query = live.candidates.sketches(indexed.features, live.tfidf)
        assert set(replayed.candidates.query(query)) == set(live.candidates.query(query))
    assert "bank" not in replayed.candidates


def test_a_restart_replays_boilerplate_learned_from_deleted_documents(tmp_path, wire_text):
    """Features depend on the boilerplate learned so far, including from documents deleted
    since: the restored index must score exactly as the running one did."""
    promo = "Sign in to read our weekly digest of the best stories"
    model = BoilerplateModel()
    count = max(model.min_documents, getattr(model, "min_source_documents", 0)) + 2
    docs = [
        Document(
            id=f"p{k}",
            text=f"{promo}\nStory number {k} about the harvest and the rains in the valley, told at length by farmer {k}.",
            source="paper",
        )
        for k in range(count)
    ]
    index = _indexed(docs, store=SQLiteStore(tmp_path))
    index.delete("p0")
    index.index(replace(docs[1], text=docs[1].text + " Updated."))
    probe = Document(id="probe", text=f"{promo}\n{wire_text}", source="paper")
    scored = index.score(probe)
    index.close()
    again = LineageIndex(SQLiteStore(tmp_path))
    assert again.score(probe) == scored
    last = docs[-1].id
    restored, original = again._engine.documents[last].features, index._engine.documents[last].features
    assert restored.text == original.text and not restored.text.startswith("sign in")
    assert (restored.shingles == original.shingles).all()


def test_the_memory_store_replays_like_the_sqlite_store(tmp_path, family):
    memory, sqlite = MemoryStore(), SQLiteStore(tmp_path)
    for store in (memory, sqlite):
        index = _indexed(family, store=store)
        index.delete("cut")
    strip = lambda events: [
        (e.kind, e.doc_id, e.source, e.lines, e.document.id if e.document else None) for e in events
    ]
    assert strip(memory.events()) == strip(sqlite.events())
    assert sorted((l.a, l.b) for l in memory.links()) == sorted((l.a, l.b) for l in sqlite.links())


def test_indexes_sharing_one_store_see_each_others_writes(tmp_path, family):
    """Several processes serve one store (dedup serve --workers): each applies the others'
    writes before answering, exactly as a restart would replay them."""
    first = LineageIndex(SQLiteStore(tmp_path), shared=True)
    second = LineageIndex(SQLiteStore(tmp_path), shared=True)
    for k, doc in enumerate(family):
        (first if k % 2 else second).index(doc)
    first.delete("cut")
    second.index(replace(family[1], text=family[1].text + " Corrected."))
    probe = replace(family[2], id="probe")
    restarted = LineageIndex(SQLiteStore(tmp_path))
    for index in (first, second, restarted):
        assert "cut" not in index and len(index) == 3
    assert first.lineage(doc_id="paper") == second.lineage(doc_id="paper") == restarted.lineage(doc_id="paper")
    assert first.score(probe) == second.score(probe) == restarted.score(probe)
    assert first.stats().links == second.stats().links == restarted.stats().links


def test_score_predicts_the_placement_that_indexing_gives():
    """Score (index false) decides over the current lineages of the matches; indexing decides
    over the whole component: on the seeds, both must agree for every seed arriving last."""
    seeds = read_corpus(str(SEEDS))
    for last in seeds:
        index = _indexed([d for d in seeds if d.id != last.id])
        predicted = index.score(last).placement
        assert index.index(last).placement == predicted, last.id


def test_score_returns_translation_evidence_for_a_match_in_another_language():
    """A translation match carries what links it across languages (issue 4), with the stand-in
    embedder of tests/test_translation.py so the result is exact."""
    import numpy as np

    from dedup.engine import EngineConfig

    class StoryEmbedder:  # leads of one story embed identically, of two stories orthogonally
        dimension = 2

        def embed(self, texts):
            return np.array([[1.0, 0.0] if t.startswith("navy") else [0.0, 1.0] for t in texts], dtype=np.float32)

    russian = (
        "navy Путин прибыл в Санкт-Петербург на Главный военно-морской парад 2021 года. Президент Владимир Путин "
        "осмотрел 54 корабля и 4000 военнослужащих, сообщил Кремль."
    )
    english = (
        "navy Putin arrived in Saint Petersburg for the Main Naval Parade of 2021. President Vladimir Putin "
        "reviewed 54 ships and 4000 servicemen, the Kremlin said."
    )
    index = LineageIndex(config=EngineConfig(embedder=StoryEmbedder(), detect_languages=False))
    index.index(Document(id="ru", text=russian, language="ru"))
    index.index(Document(id="de", text="football Bayern München gewann 2021 gegen Dortmund mit 3:1.", language="de"))
    result = index.score(Document(id="en", text=english, language="en"))
    [match] = result.matches
    assert match.id == "ru" and match.language == "ru"
    assert match.relation is Relation.TRANSLATION
    assert match.translation is not None
    assert match.translation.lead_rank == 0 and match.translation.lead_cosine > 0.99
    assert match.translation.figures_in_common == 1.0 and match.translation.names_in_common >= 0.5


def test_the_sqlite_store_keeps_lead_vectors_under_any_64_bit_key(tmp_path):
    import numpy as np

    store = SQLiteStore(tmp_path)
    vectors = store.lead_vectors()
    big, small = (1 << 64) - 5, 7
    vectors[big] = np.array([0.6, 0.8], dtype=np.float32)
    vectors[small] = np.array([1.0, 0.0], dtype=np.float32)
    store.close()
    reopened = SQLiteStore(tmp_path).lead_vectors()
    assert big in reopened and small in reopened and 3 not in reopened
    assert np.allclose(reopened[big], [0.6, 0.8]) and sorted(reopened) == [small, big] and len(reopened) == 2
    del reopened[small]
    with pytest.raises(KeyError):
        reopened[small]
    assert MemoryStore().lead_vectors() is None


def _rendering_link(a: str, b: str):
    from dedup.evidence import PairEvidence
    from dedup.lineage import Link

    evidence = PairEvidence(
        cosine=0.7, containment_a_in_b=0.3, containment_b_in_a=0.32, word_containment_a_in_b=0.7,
        word_containment_b_in_a=0.66, number_overlap=1.0, order_agreement=0.85, sentence_ratio=1.0,
    )  # fmt: skip
    return Link(a, b, 0.99, evidence)


def test_stored_links_keep_the_evidence_their_relation_is_read_from(tmp_path):
    """A restart must name each relation as before: another rendering of one text is told by
    the order of its words and its sentence count, so both are stored with the link."""
    store = SQLiteStore(tmp_path)
    store.put(Document(id="a", text="one"), [], source="", links=[])
    store.put(Document(id="b", text="two"), [], source="", links=[_rendering_link("b", "a")])
    store.close()
    (stored,) = SQLiteStore(tmp_path).links()
    assert stored == _rendering_link("b", "a")


def test_a_store_written_before_links_kept_word_order_opens_and_reads_them(tmp_path):
    import sqlite3

    SQLiteStore(tmp_path).close()
    path = tmp_path / SQLiteStore.FILE_NAME
    with sqlite3.connect(path) as db:  # the links table as an earlier version wrote it
        db.execute("DROP TABLE links")
        db.execute(
            "CREATE TABLE links (a TEXT NOT NULL, b TEXT NOT NULL, strength REAL NOT NULL, cosine REAL NOT NULL, "
            "containment_a_in_b REAL NOT NULL, containment_b_in_a REAL NOT NULL, word_containment_a_in_b REAL NOT NULL, "
            "word_containment_b_in_a REAL NOT NULL, number_overlap REAL, same_language INTEGER NOT NULL, PRIMARY KEY (a, b))"
        )
        db.execute("INSERT INTO links VALUES ('b', 'a', 0.95, 0.9, 0.9, 0.9, 0.9, 0.9, NULL, 1)")
    (old,) = SQLiteStore(tmp_path).links()
    assert old.a == "b" and old.strength == 0.95
    assert old.evidence.order_agreement == 0.0 and old.evidence.sentence_ratio == 0.0


def test_what_the_index_lets_go_of_leaves_no_cyclic_garbage(wire_text):
    """The server freezes a restored index out of the garbage collector (server.pool.settle_heap),
    which is safe only while deletions, replacements and Scores free their objects by
    reference counting alone: they must leave nothing for the cyclic collector."""
    import gc

    sentences = wire_text.split(". ")
    index = LineageIndex()
    index.index_many(
        [Document(id=f"d{k}", text=". ".join(sentences[k % 3 :]) + f" Filed {k} times.") for k in range(30)]
        + [Document(id=f"other{k}", text=f"Harvest of {k * 13} tonnes reported in province {k}.") for k in range(30)]
    )
    index.score(Document(id="q0", text=wire_text), top_k=10)
    gc.collect()
    for k in range(10):
        index.delete(f"d{k}")
        index.index(Document(id=f"other{k}", text=f"Harvest of {k * 17} tonnes revised in province {k}."))
        index.score(Document(id=f"q{k}", text=wire_text), top_k=10)
    assert gc.collect() == 0


def test_a_restart_replays_the_store_with_the_collector_paused(monkeypatch, wire_text):
    """Rebuilding the index from the store's events makes millions of objects at scale and
    no garbage cycles: the replay runs with the cyclic collector paused (dedup.heap), which
    runs again afterwards."""
    import gc

    import dedup.service as service

    store = MemoryStore()
    LineageIndex(store).index_many([Document(id=f"d{k}", text=wire_text + f" Filed {k}.") for k in range(3)])
    seen: list[bool] = []
    replay = service._replay
    monkeypatch.setattr(service, "_replay", lambda engine, events: (seen.append(gc.isenabled()), replay(engine, events))[1])
    restarted = LineageIndex(store)
    assert seen == [False] and gc.isenabled() and len(restarted) == 3
