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
