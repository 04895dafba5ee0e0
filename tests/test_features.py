"""Packing many documents' features into a few arrays, as the batch job's workers send them."""

from __future__ import annotations

import pickle

import numpy as np

from dedup.features import Features, extract_features, pack_features, unpack_features


def _equal(a: Features, b: Features) -> bool:
    for name in Features.__slots__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            if x.dtype != y.dtype or not np.array_equal(x, y):
                return False
        elif name == "quotations":
            if len(x) != len(y) or any(p.dtype != q.dtype or not np.array_equal(p, q) for p, q in zip(x, y)):
                return False
        elif x != y or type(x) is not type(y):
            return False
    return True


def test_packed_features_come_back_equal_through_pickle():
    """Every field comes back, in order: texts with and without quotations, figures, names,
    a title, an empty text."""
    texts = [
        ('Rebels seized 12 villages near Aleppo, officials said. "We will hold every village we took," a commander said.', "Aleppo"),
        ("", ""),
        ("Shares rose 3.5 percent to 1,250 points on Monday in Tokyo.", "Markets"),
        ('"First quotation here now," he said. "Second quotation follows later," she said.', ""),
    ]
    features = [extract_features(text, title=title) for text, title in texts]
    assert sum(len(f.quotations) for f in features) >= 3  # the packing of quotations is exercised
    back = unpack_features(pickle.loads(pickle.dumps(pack_features(features))))
    assert len(back) == len(features)
    assert all(_equal(a, b) for a, b in zip(features, back))
    assert all(b.shingles.base is None and b.token_hashes.base is None for b in back)  # arrays of their own
    assert unpack_features(pickle.loads(pickle.dumps(pack_features([])))) == []
