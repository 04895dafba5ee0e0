"""The translation channel, with a stand-in embedder so the test is exact and fast (the real
model is exercised in test_embedding.py)."""

import dataclasses

import numpy as np
import pytest

from dedup import Document, EngineConfig, Relation, run_batch
from dedup.engine import Engine
from dedup.relate import LinkPolicy
from dedup.vectors import EXACT_UP_TO


class _StoryEmbedder:
    """Embeds a lead by the story tag it starts with: leads of one story are identical
    vectors, leads of different stories orthogonal."""

    dimension = 8
    STORIES = ["navy", "football"]

    def embed(self, texts):
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            vectors[row, self.STORIES.index(text.split()[0])] = 1.0
        return vectors


ORIGINAL_RU = (
    "Путин прибыл в Санкт-Петербург на Главный военно-морской парад 2021 года. Президент Владимир Путин "
    "осмотрел 54 корабля и 4000 военнослужащих, сообщил Кремль. Парад прошёл в Финском заливе и на Неве, "
    "в нём участвовали суда Северного флота."
)
RENDERINGS_EN = [
    "Putin arrived in Saint Petersburg for the Main Naval Parade of 2021. President Vladimir Putin "
    "reviewed 54 ships and 4000 servicemen, the Kremlin said. The parade took place in the Gulf of "
    "Finland and on the Neva river, with vessels of the Northern Fleet taking part.",
    "Putin has arrived in St Petersburg for the main navy parade in 2021. President Vladimir Putin "
    "inspected 54 vessels and 4000 troops, according to the Kremlin. The parade was held in the Gulf of "
    "Finland and on the Neva, and ships of the Northern Fleet took part in it.",
    "Putin came to Saint Petersburg for the Main Parade of the Navy, 2021. Vladimir Putin, the President, "
    "looked over 54 ships and 4000 military personnel, the Kremlin reported. The parade went ahead in the "
    "Gulf of Finland and on the Neva with Northern Fleet vessels taking part.",
]
UNRELATED_DE = "Bayern München gewann 2021 das Spiel gegen Dortmund mit 3:1, Harry Kane traf zweimal vor 75000 Zuschauern."


def _config():
    return EngineConfig(embedder=_StoryEmbedder(), detect_languages=False)


def _documents():
    docs = [Document(id="ru-original", text="navy " + ORIGINAL_RU, language="ru")]
    docs += [Document(id=f"en-{k}", text="navy " + t, language="en") for k, t in enumerate(RENDERINGS_EN)]
    docs.append(Document(id="de-football", text="football " + UNRELATED_DE, language="de"))
    return docs


def test_renderings_hang_from_their_foreign_original_as_translations():
    placements = run_batch(_documents(), _config())
    assert placements["ru-original"].parent_id is None
    assert placements["ru-original"].relation is Relation.ORIGINAL
    for k in range(3):
        p = placements[f"en-{k}"]
        assert p.lineage_id == "ru-original"
        assert p.parent_id == "ru-original"
        assert p.relation is Relation.TRANSLATION
    assert placements["de-football"].lineage_id == "de-football"


def test_a_one_language_index_never_embeds():
    class Refusing(_StoryEmbedder):
        def embed(self, texts):  # pragma: no cover - reaching it fails the test
            raise AssertionError("a one-language corpus must not be embedded")

    docs = [Document(id=f"en-{k}", text=t, language="en") for k, t in enumerate(RENDERINGS_EN)]
    placements = run_batch(docs, EngineConfig(embedder=Refusing(), detect_languages=False))
    assert len({p.lineage_id for p in placements.values()}) == 1


def test_links_for_finds_the_original_of_a_new_translation():
    engine = Engine(_config())
    for doc in _documents()[:1] + _documents()[-1:]:
        engine.add(doc)
    query = Document(id="en-new", text="navy " + RENDERINGS_EN[0], language="en")
    matches = engine.links_for(query)
    assert [m.id for m in matches] == ["ru-original"]
    assert "translation" in matches[0].channels
    assert not matches[0].evidence.same_language


def test_translation_links_are_the_same_with_workers(monkeypatch):
    import dedup.batch

    monkeypatch.setattr(dedup.batch, "PARALLEL_MIN_ITEMS", 1)
    docs = _documents()
    assert run_batch(docs, _config(), workers=2) == run_batch(docs, _config(), workers=1)


def test_leads_embedded_by_workers_reach_the_callers_cache(tmp_path, monkeypatch):
    """A parallel batch embeds in forked workers; what they computed must end up in the
    cache the caller saves, so the next run over the same corpus embeds nothing."""
    import dedup.batch
    from dedup.embedding import CachingEmbedder

    def refuse(self, texts):  # pragma: no cover - reaching it fails the test
        raise AssertionError(f"embedded again: {texts}")

    monkeypatch.setattr(dedup.batch, "PARALLEL_MIN_ITEMS", 1)
    path = str(tmp_path / "leads.npz")
    cache = CachingEmbedder(_StoryEmbedder(), path)
    first = run_batch(_documents(), EngineConfig(embedder=cache, detect_languages=False), workers=2)
    cache.save()
    monkeypatch.setattr(_StoryEmbedder, "embed", refuse)
    again = CachingEmbedder(_StoryEmbedder(), path)
    assert run_batch(_documents(), EngineConfig(embedder=again, detect_languages=False), workers=2) == first


def _dated(docs, original_day: str, renderings_day: str):
    from dedup.document import parse_timestamp

    day = {"ru": parse_timestamp(original_day), "en": parse_timestamp(renderings_day)}
    return [dataclasses.replace(d, published_at=day.get(d.language)) for d in docs]


def test_texts_dated_further_apart_than_the_lag_are_not_translations():
    """A translation follows its source within days: two texts dated a year apart are
    reports of their own, in both doors."""
    far = _dated(_documents(), "2021-07-25", "2022-07-25")

    class Refusing(_StoryEmbedder):
        def embed(self, texts):  # pragma: no cover - reaching it fails the test
            raise AssertionError("texts a year apart are not translation partners: nothing to embed")

    placements = run_batch(far, EngineConfig(embedder=Refusing(), detect_languages=False))
    assert all(placements[f"en-{k}"].relation is not Relation.TRANSLATION for k in range(3))
    assert placements["en-0"].lineage_id != placements["ru-original"].lineage_id
    engine = Engine(_config())
    engine.add(far[0])
    assert engine.links_for(far[1]) == []
    # Within the lag (and with the rule turned off), the same texts are translations.
    near = _dated(_documents(), "2021-07-25", "2021-07-27")
    assert run_batch(near, _config())["en-0"].relation is Relation.TRANSLATION
    unlimited = dataclasses.replace(_config(), policy=LinkPolicy(max_translation_lag_days=float("inf")))
    assert run_batch(far, unlimited)["en-0"].relation is Relation.TRANSLATION


def test_a_lone_detected_language_does_not_make_the_index_embed():
    """A table of figures misread as another language must not cost a full embedding pass;
    a declared language, even on one document, does count."""

    class Refusing(_StoryEmbedder):
        def embed(self, texts):  # pragma: no cover - reaching it fails the test
            raise AssertionError("no second language was declared or seen twice")

    engine = Engine(EngineConfig(embedder=Refusing(), detect_languages=True))
    for k, text in enumerate(RENDERINGS_EN):
        engine.add(Document(id=f"en-{k}", text=text, language="en"))
    engine.add(Document(id="table", text="Ruhrgas AG Sammelstelle Hauptversammlung Dividende 2021 Gewinn"))
    assert engine.documents["table"].language != "en"
    assert engine.translation_pairs() == {}
    assert engine.links_for(Document(id="q", text=RENDERINGS_EN[0], language="en"))
    declared = Engine(_config())
    for doc in _documents():
        declared.add(doc)
    assert declared.translation_pairs()  # one Russian document, declared: the channel runs


class _ScatteredEmbedder:
    """A fixed pseudo-random unit vector per text: many neighbours at many distances."""

    dimension = 16

    def embed(self, texts):
        import zlib

        rows = [np.random.default_rng(zlib.crc32(t.encode())).normal(size=self.dimension) for t in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), self.dimension)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_one_document_gets_the_lead_cosines_and_ranks_the_batch_gives_it():
    config = EngineConfig(embedder=_ScatteredEmbedder(), detect_languages=False, min_lead_similarity=-1.0)
    engine = Engine(config)
    for k in range(60):
        # Five sentences each and figures from small pools: every document has partners.
        text = f"Story {k}. It had {100 + k % 4} ships. It had {200 + k % 5} men. It had {300 + k % 6} guns. The end."
        engine.add(Document(id=f"d{k}", text=text, language=["en", "fr", "de"][k % 3]))
    batch = engine.translation_pairs()
    compared = 0
    for doc_id, indexed in engine.documents.items():
        assert len(engine.translation_partners(indexed.features, indexed.language, exclude=doc_id)) > config.translation_neighbours
        candidates = engine._translation_candidates(indexed.document, indexed.features, indexed.language, indexed)
        for other, (cosine, rank) in candidates.items():
            expected = batch.get((doc_id, other), batch.get((other, doc_id)))
            assert expected is not None
            assert np.isclose(cosine, expected[0], atol=1e-5) and rank == expected[1]
            compared += 1
    assert compared >= 60 * config.translation_neighbours // 2


def test_translation_links_are_the_same_when_candidates_are_measured_in_rounds(monkeypatch):
    import dedup.engine

    whole = run_batch(_documents(), _config(), workers=1)
    monkeypatch.setattr(dedup.engine, "PAIRS_PER_ROUND", 1)
    assert run_batch(_documents(), _config(), workers=1) == whole


class _Recording(_StoryEmbedder):
    """Remembers every lead it embeds."""

    def __init__(self):
        self.seen = []

    def embed(self, texts):
        self.seen += texts
        return super().embed(texts)


def test_a_document_sharing_no_figure_or_name_with_another_language_is_not_embedded():
    """The translation model cannot link such a pair whatever the embedding says, so the lead
    is not worth embedding: the costliest step of a multilingual batch is skipped for it."""
    embedder = _Recording()
    lonely = Document(id="en-lonely", text="navy the weather was mild and calm all week along the coast today", language="en")
    placements = run_batch(_documents() + [lonely], EngineConfig(embedder=embedder, detect_languages=False), workers=1)
    assert not any("weather" in lead for lead in embedder.seen)
    assert any("Putin" in lead for lead in embedder.seen)
    assert placements["en-0"].parent_id == "ru-original"
    assert placements["en-lonely"].lineage_id == "en-lonely"


def test_partners_follow_additions_and_removals():
    engine = Engine(_config())
    for doc in _documents():
        engine.add(doc)
    english = engine.documents["en-0"]
    assert engine.translation_partners(english.features, "en", exclude="en-0") == ["ru-original"]
    engine.remove("ru-original")
    assert engine.translation_partners(english.features, "en", exclude="en-0") == []
    engine.add(_documents()[0])
    assert engine.translation_partners(english.features, "en", exclude="en-0") == ["ru-original"]


@pytest.mark.parametrize("exact_up_to", [EXACT_UP_TO, 0], ids=["brute-force", "graphs"])
def test_adding_and_removing_one_by_one_leaves_the_pairs_a_fresh_batch_finds(exact_up_to):
    """The documents with a partner, the only ones embedded and compared, are kept up to
    date as documents come and go: the same pairs, cosines and ranks as a fresh index (with
    the vector graphs too, which are updated in place)."""
    config = EngineConfig(
        embedder=_ScatteredEmbedder(), detect_languages=False, min_lead_similarity=-1.0, exact_vector_search_up_to=exact_up_to
    )
    documents = []
    for k in range(40):
        figures = f"It had {100 + k % 4} ships. It had {200 + k % 5} men. It had {300 + k % 6} guns."
        text = f"Story {k}. {figures} The end." if k % 3 else f"Story {k} was quiet and calm all week long."
        documents.append(Document(id=f"d{k}", text=text, language=["en", "fr", "de", "ru"][k % 4]))
    engine = Engine(config)
    for doc in documents[:20]:
        engine.add(doc)
    engine.translation_pairs()  # the channel runs: from here on, partners are kept as documents change
    for doc in documents[20:]:
        engine.add(doc)
    for doc in documents[::7]:
        engine.remove(doc.id)
    fresh = Engine(config)
    for doc in documents:
        if doc.id in engine.documents:
            fresh.add(doc)
    pairs, expected = engine.translation_pairs(), fresh.translation_pairs()
    assert pairs.keys() == expected.keys()
    assert all(np.isclose(pairs[p][0], expected[p][0], atol=1e-6) and pairs[p][1] == expected[p][1] for p in expected)
    assert sorted(engine.vectors.ids) == sorted(fresh.vectors.ids)
    assert engine.vectors.exact == (exact_up_to > 0)
    for doc in documents[5:15]:  # staged and removed at once, as the service scores
        engine.stage(Document(id=f"probe-{doc.id}", text=doc.text, language=doc.language))
        engine.remove(f"probe-{doc.id}")
    recounted = {
        doc_id: len(engine.translation_partners(d.features, d.language, doc_id)) for doc_id, d in engine.documents.items()
    }
    assert engine._partner_counts == recounted
    assert not any(doc_id in engine.vectors for doc_id in ("d3", "d6", "d9"))  # no figure, no partner


class _AngleEmbedder:
    """A lead's first word names its vector: fixed cosines with the original's (``o``)."""

    dimension = 8
    COSINES = {"o": (1.0, 0), "nearest": (0.97, 1), "near": (0.95, 2), "far": (0.90, 3)}

    def embed(self, texts):
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            cosine, axis = self.COSINES[text.split()[0]]
            vectors[row, 0] = cosine
            vectors[row, 4 + axis] = np.sqrt(1.0 - cosine**2)
        return vectors


def test_versions_of_a_rendering_are_not_its_rivals():
    """Two English versions of one rendering (a copy with one more sentence) must not push each
    other down the original's list; an unrelated English report nearer the original does."""
    documents = [
        Document(id="ru", text="o " + ORIGINAL_RU, language="ru"),
        Document(id="en-a", text="far " + RENDERINGS_EN[0], language="en"),
        Document(id="en-b", text="near " + RENDERINGS_EN[0] + " Crowds lined the embankments.", language="en"),
        Document(
            id="en-c",
            text="nearest Vladimir Putin and the Kremlin welcomed 54 boats and 4000 visitors to a festival in 2021.",
            language="en",
        ),
    ]
    engine = Engine(EngineConfig(embedder=_AngleEmbedder(), detect_languages=False))
    for doc in documents:
        engine.add(doc)
    pairs = engine.translation_pairs()
    assert pairs[("ru", "en-a")][1] == 1  # en-c is a rival, en-b is a version of en-a
    assert pairs[("ru", "en-b")][1] == 1
    ru = engine.documents["ru"]
    single = engine._translation_candidates(ru.document, ru.features, "ru", ru)
    assert single["en-a"][1] == 1 and single["en-b"][1] == 1


def test_a_lead_is_embedded_once_while_scored_articles_come_and_go():
    """The Russian original's only partner is each incoming English article: it joins and
    leaves the documents with a partner at every score, and keeps its vector meanwhile."""
    embedder = _Recording()
    engine = Engine(EngineConfig(embedder=embedder, detect_languages=False))
    for doc in _documents()[:1] + _documents()[-1:]:
        engine.add(doc)
    for k in range(3):
        staged = engine.stage(Document(id=f"en-{k}", text="navy " + RENDERINGS_EN[k], language="en"))
        assert [m.id for m in engine.links_for(staged.document, staged.features, staged.counts)] == ["ru-original"]
        engine.remove(f"en-{k}")
        unindexed = Document(id=f"en-new-{k}", text="navy " + RENDERINGS_EN[k], language="en")
        assert [m.id for m in engine.links_for(unindexed)] == ["ru-original"]
    assert sum("Путин" in lead for lead in embedder.seen) == 1


def test_a_restarted_service_does_not_embed_its_leads_again(tmp_path):
    """The service keeps lead embeddings in its store: after a restart, scoring a translation
    needs no embedding at all (the query's lead was kept too)."""
    from dedup.service import LineageIndex
    from dedup.store import SQLiteStore

    query = Document(id="en-new", text="navy " + RENDERINGS_EN[1], language="en")
    first = _Recording()
    index = LineageIndex(SQLiteStore(tmp_path), config=EngineConfig(embedder=first, detect_languages=False))
    for doc in _documents()[:1] + _documents()[-1:]:
        index.index(doc)
    assert [m.id for m in index.score(query).matches] == ["ru-original"]
    assert first.seen
    index.close()
    again = _Recording()
    restarted = LineageIndex(SQLiteStore(tmp_path), config=EngineConfig(embedder=again, detect_languages=False))
    assert [m.id for m in restarted.score(query).matches] == ["ru-original"]
    assert again.seen == []
    restarted.close()


def test_cached_vectors_are_kept_apart_by_model():
    from dedup.embedding import CachingEmbedder

    class Other(_StoryEmbedder):
        name = "another model"

        def embed(self, texts):
            return -super().embed(texts)

    shared: dict = {}
    one = CachingEmbedder(_StoryEmbedder(), cache=shared).embed(["navy lead"])
    other = CachingEmbedder(Other(), cache=shared).embed(["navy lead"])
    assert np.allclose(one, -other) and len(shared) == 2


def test_the_vector_graphs_find_the_pairs_and_ranks_brute_force_finds():
    """Past ``exact_vector_search_up_to`` leads are searched through a graph per language:
    the same translation pairs, cosines and ranks, in the batch and for one document."""

    def engine_with(exact_up_to):
        config = EngineConfig(
            embedder=_ScatteredEmbedder(), detect_languages=False, min_lead_similarity=-1.0, exact_vector_search_up_to=exact_up_to
        )
        engine = Engine(config)
        for k in range(90):
            text = f"Story {k}. It had {100 + k % 4} ships. It had {200 + k % 5} men. It had {300 + k % 6} guns. The end."
            engine.add(Document(id=f"d{k}", text=text, language=["en", "fr", "de"][k % 3]))
        return engine

    exact, graph = engine_with(10_000), engine_with(0)
    expected, found = exact.translation_pairs(), graph.translation_pairs()
    assert not graph.vectors.exact and exact.vectors.exact
    assert found.keys() == expected.keys()
    assert all(np.isclose(found[p][0], expected[p][0], atol=1e-5) and found[p][1] == expected[p][1] for p in expected)
    for doc_id in ["d0", "d31", "d62"]:
        indexed = graph.documents[doc_id]
        assert graph._translation_candidates(indexed.document, indexed.features, indexed.language, indexed).keys() == (
            exact._translation_candidates(indexed.document, indexed.features, indexed.language, indexed).keys()
        )


def test_renderings_of_an_original_that_is_not_indexed_are_translations_of_one_text():
    """Three English versions of one Russian text, the Russian not indexed: one lineage, each
    version linked to another as a translation of the same text (not a republication)."""
    tail = [
        " The ceremony lasted two hours. Sailors marched past the Admiralty at noon. Crowds of 20000 lined the embankment.",
        " The ceremony went on for two hours. At noon the sailors paraded past the Admiralty. Some 20000 people stood on the embankment.",
        " It was a two-hour ceremony. Seamen marched by the Admiralty building at midday. A crowd of 20000 watched from the embankment.",
    ]
    docs = [Document(id=f"en-{k}", text="navy " + t + tail[k], language="en") for k, t in enumerate(RENDERINGS_EN)]
    placements = run_batch(docs, _config())
    assert len({p.lineage_id for p in placements.values()}) == 1
    derived = [p for p in placements.values() if p.parent_id is not None]
    assert len(derived) == 2 and all(p.relation is Relation.TRANSLATION for p in derived)
    # A word-for-word copy of one rendering keeps its wording: a republication.
    copies = [Document(id=f"c-{k}", text=RENDERINGS_EN[0] + tail[0], language="en") for k in range(2)]
    assert run_batch(copies, _config())["c-1"].relation is Relation.REPUBLICATION
