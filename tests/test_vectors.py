"""The lead-vector matrix of the translation channel (dedup/vectors.py)."""

import numpy as np
import pytest

from dedup.vectors import VectorIndex


def _unit(k: int, dimension: int = 4) -> np.ndarray:
    vector = np.zeros(dimension, dtype=np.float32)
    vector[k % dimension] = 1.0
    return vector


def test_rows_follow_additions_and_a_removal_moves_the_last_row_in():
    index = VectorIndex(4)
    for k, language in enumerate(["en", "fr", "en", "de"]):
        index.add(f"d{k}", _unit(k), language)
    index.remove("d1")
    assert index.ids == ["d0", "d3", "d2"]
    assert index.languages.tolist() == ["en", "de", "en"]
    assert np.array_equal(index.matrix, np.vstack([_unit(0), _unit(3), _unit(2)]))
    assert index.row_of("d3") == 1 and "d1" not in index and len(index) == 3
    assert index.codes.tolist() == [index.code_of("en"), index.code_of("de"), index.code_of("en")]
    assert index.code_of("ja") == -1


def test_growing_past_the_initial_capacity_keeps_every_vector():
    index = VectorIndex(4)
    for k in range(100):
        index.add(str(k), _unit(k) * (k + 1), "en")
    assert len(index) == 100
    assert all(np.array_equal(index.get(str(k)), _unit(k) * (k + 1)) for k in range(100))


def test_adding_an_id_again_replaces_its_vector_and_unknown_ids_are_ignored():
    index = VectorIndex(4)
    index.add("a", _unit(0), "en")
    index.add("a", _unit(1), "fr")
    index.remove("never-added")
    assert index.ids == ["a"] and np.array_equal(index.get("a"), _unit(1)) and index.languages.tolist() == ["fr"]
    assert index.get("b") is None


def test_a_dimension_must_be_positive():
    with pytest.raises(ValueError, match="dimension"):
        VectorIndex(0)


def test_exact_up_to_must_not_be_negative():
    with pytest.raises(ValueError, match="exact_up_to"):
        VectorIndex(4, exact_up_to=-1)


def _clustered(n: int, dimension: int = 32, seed: int = 0) -> np.ndarray:
    """Unit vectors around a few centres: many near neighbours at close cosines, as leads are."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(8, dimension))
    vectors = centres[rng.integers(0, 8, n)] + 0.4 * rng.normal(size=(n, dimension))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _filled(vectors: np.ndarray, exact_up_to: int) -> VectorIndex:
    index = VectorIndex(vectors.shape[1], exact_up_to=exact_up_to)
    for k, vector in enumerate(vectors):
        index.add(f"d{k}", vector, ["en", "fr", "ja"][k % 3])
    return index


def _nearest_sets(index: VectorIndex, queries: np.ndarray, codes: np.ndarray, k: int) -> list[set[str]]:
    rows, sims = index.nearest_in_other_languages(queries, codes, k)
    return [{index.ids[j] for j, s in zip(r, c) if j >= 0} for r, c in zip(rows.tolist(), sims.tolist())]


def test_the_graphs_answer_as_brute_force_does():
    vectors = _clustered(600)
    exact, graph = _filled(vectors, exact_up_to=10_000), _filled(vectors, exact_up_to=0)
    assert exact.exact and not graph.exact
    queries, codes = vectors[:60], exact.codes[:60]
    assert _nearest_sets(graph, queries, codes, 8) == _nearest_sets(exact, queries, codes, 8)
    rows, _ = graph.nearest_in_other_languages(queries, codes, 8)
    assert all(graph.codes[j] != code for row, code in zip(rows, codes) for j in row)  # never the query's language
    for query in vectors[:20]:
        for code in range(3):
            for cosine in (0.2, 0.6):
                found, cosines = graph.above(query, code, cosine)
                expected, expected_cosines = exact.above(query, code, cosine)
                assert found.tolist() == expected.tolist() and np.allclose(cosines, expected_cosines)
                assert np.all(cosines > cosine) and np.all(graph.codes[found] == code)


def test_the_graphs_follow_additions_and_removals_made_after_they_are_built():
    vectors = _clustered(300, seed=1)
    graph = _filled(vectors[:200], exact_up_to=0)
    graph.above(vectors[0], 0, 0.0)  # builds the graphs
    for k in range(0, 200, 2):
        graph.remove(f"d{k}")
    for k in range(200, 300):
        graph.add(f"d{k}", vectors[k], ["en", "fr", "ja"][k % 3])
    exact = VectorIndex(vectors.shape[1])
    for doc_id, vector, language in zip(graph.ids, graph.matrix, graph.languages):
        exact.add(doc_id, vector, language)
    for query in vectors[::15]:
        found, _ = graph.above(query, graph.code_of("fr"), 0.3)
        expected, _ = exact.above(query, exact.code_of("fr"), 0.3)
        assert sorted(graph.ids[j] for j in found) == sorted(exact.ids[j] for j in expected)
    assert not {f"d{k}" for k in range(0, 200, 2)} & {graph.ids[j] for j in graph.above(vectors[0], 0, -1.0)[0]}


def test_equal_cosines_do_not_outrank_each_other():
    """Two leads that embed alike are equally near, whichever float sum came out higher."""
    index = VectorIndex(4)
    index.add("a", _unit(0), "en")
    index.add("b", _unit(0) + np.float32(1e-7), "en")
    rows, _ = index.above(_unit(0), index.code_of("en"), 1.0)
    assert rows.tolist() == []


def test_a_copy_rebuilds_its_graphs_from_the_matrix():
    import pickle

    vectors = _clustered(100, seed=2)
    graph = _filled(vectors, exact_up_to=0)
    expected = graph.above(vectors[0], 0, 0.1)[0].tolist()  # builds the graphs
    copy = pickle.loads(pickle.dumps(graph))
    assert copy.above(vectors[0], 0, 0.1)[0].tolist() == expected
