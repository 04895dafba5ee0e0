"""The engine's own entry points (dedup/engine.py), beyond what the batch and service tests cover."""

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
