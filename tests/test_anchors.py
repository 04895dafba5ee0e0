"""The embedding-free gate of the translation channel: partners and the probability ceiling."""

import dataclasses

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dedup.anchors import AnchorIndex, pair_anchor_inputs
from dedup.evidence import measure_pair
from dedup.features import Features, extract_features
from dedup.relate import shares_an_anchor, translation_probability, translation_probability_ceiling

_EMPTY = np.empty(0, dtype=np.uint64)
_NUMBERS = st.frozensets(st.sampled_from([str(n) for n in range(10, 22)]), max_size=8)
_NAMES = st.frozensets(
    st.sampled_from(["aleppo", "alep", "syria", "syrie", "putin", "kremlin", "kreml", "nato"]), max_size=6
)


def _features(numbers: frozenset[str], names: frozenset[str], sentences: int) -> Features:
    return Features(
        text="",
        token_hashes=_EMPTY,
        shingles=_EMPTY,
        content_words=_EMPTY,
        numbers=numbers,
        names=names,
        sentences=sentences,
    )


_FEATURES = st.builds(_features, _NUMBERS, _NAMES, st.integers(0, 12))


def _ceiling(a: Features, b: Features) -> float:
    own = (len(a.numbers), len(frozenset(n[:4] for n in a.names)), a.sentences)
    other = np.array([[len(b.numbers), len(frozenset(n[:4] for n in b.names)), b.sentences]])
    shared_numbers = np.array([len(a.numbers & b.numbers)])
    shared_stems = np.array([len(frozenset(n[:4] for n in a.names) & frozenset(n[:4] for n in b.names))])
    return float(translation_probability_ceiling(*pair_anchor_inputs(own, other, shared_numbers, shared_stems))[0])


@settings(max_examples=300, deadline=None)
@given(_FEATURES, _FEATURES, st.floats(-1.0, 1.0), st.integers(0, 20))
def test_the_ceiling_is_never_below_what_any_embedding_gives_the_pair(a, b, embedding_cosine, lead_rank):
    evidence = dataclasses.replace(
        measure_pair(a, b, 0.0, same_language=False), embedding_cosine=embedding_cosine, lead_rank=lead_rank
    )
    assert translation_probability(evidence) <= _ceiling(a, b) + 1e-12


@settings(max_examples=200, deadline=None)
@given(_FEATURES, _FEATURES)
def test_the_ceiling_is_reached_by_a_perfect_embedding(a, b):
    """It is a ceiling, not a loose bound: cosine 1 at rank 0 gives exactly it (for a pair
    with an anchor in common; the others are not weighed at all)."""
    evidence = dataclasses.replace(measure_pair(a, b, 0.0, same_language=False), embedding_cosine=1.0, lead_rank=0)
    assume(shares_an_anchor(evidence))
    assert np.isclose(translation_probability(evidence), _ceiling(a, b))


def _brute_partners(
    documents: dict[str, tuple[Features, str]], query: Features, language: str, threshold: float
) -> list[str]:
    return sorted(
        doc_id
        for doc_id, (features, other_language) in documents.items()
        if other_language != language
        and shares_an_anchor(measure_pair(query, features, 0.0, same_language=False))
        and _ceiling(query, features) >= threshold
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(_FEATURES, st.sampled_from(["en", "fr", "ru"]), st.booleans()), min_size=1, max_size=12),
    _FEATURES,
)
def test_partners_are_the_documents_the_ceiling_leaves_possible_through_additions_and_removals(steps, query):
    """Rows move when a document is removed: the postings must follow them."""
    index = AnchorIndex(threshold=0.9)
    documents: dict[str, tuple[Features, str]] = {}
    for k, (features, language, remove_one) in enumerate(steps):
        index.add(f"d{k}", features, language)
        documents[f"d{k}"] = (features, language)
        if remove_one and len(documents) > 1:
            gone = sorted(documents)[k % len(documents)]
            index.remove(gone)
            del documents[gone]
        assert sorted(index.partners(query, "en")) == _brute_partners(documents, query, "en", 0.9)
    assert len(index) == len(documents)


def test_a_document_is_not_its_own_partner_and_one_language_has_none():
    ru = extract_features("Путин осмотрел 54 корабля и 4000 военных в Кронштадте. Кремль сообщил.")
    en = extract_features("Putin reviewed 54 ships and 4000 troops in Kronstadt, the Kremlin said.")
    index = AnchorIndex(threshold=0.97)
    index.add("ru", ru, "ru")
    index.add("en", en, "en")
    assert index.partners(en, "en", exclude="en") == ["ru"]
    assert index.partners(ru, "ru", exclude="ru") == ["en"]
    assert index.partners(en, "fr") == ["ru", "en"]  # a French query: both are in another language
    index.remove("ru")
    assert index.partners(en, "en", exclude="en") == [] and "ru" not in index


def test_pairs_sharing_no_figure_and_fewer_than_two_names_are_not_partners_nor_translations():
    """The gate and the model agree: a pair without a figure or two names in common is never
    weighed, and even a perfect embedding does not make it a translation (one shared name
    alone is often a capitalised common word, such as "Commerce")."""
    french = _features(frozenset({"10", "11"}), frozenset({"aleppo", "commerce"}), 8)
    index = AnchorIndex(threshold=0.5)
    index.add("fr", french, "fr")
    for names, shared in (({"putin"}, 0), ({"putin", "commerce"}, 1)):
        english = _features(frozenset({"20", "21"}), frozenset(names), 8)
        assert index.partners(english, "en") == []
        evidence = measure_pair(english, french, 0.0, same_language=False)
        assert evidence.shared_numbers == 0 and evidence.shared_name_stems == shared
        perfect = dataclasses.replace(evidence, embedding_cosine=1.0, lead_rank=0)
        assert translation_probability(perfect) == 0.0
    # Two names, or one figure, are enough to be weighed.
    two_names = _features(frozenset({"20", "21"}), frozenset({"aleppo", "commerce"}), 8)
    one_figure = _features(frozenset({"10", "21"}), frozenset({"putin"}), 8)
    for english in (two_names, one_figure):
        assert index.partners(english, "en") == ["fr"]
        evidence = measure_pair(english, french, 0.0, same_language=False)
        assert translation_probability(dataclasses.replace(evidence, embedding_cosine=1.0, lead_rank=0)) > 0.5


def test_documents_dated_further_apart_than_the_lag_are_not_partners():
    """A translation follows its source within days (:func:`dedup.relate.within_translation_lag`):
    two dated documents a year apart are not partners, so neither lead is embedded for the
    other; an undated document is never too far. Dates follow their rows when a document
    before them is removed."""
    from datetime import datetime, timezone

    day = lambda y, m, d: datetime(y, m, d, tzinfo=timezone.utc)  # noqa: E731
    ru = extract_features("Путин осмотрел 54 корабля и 4000 военных в Кронштадте. Кремль сообщил.")
    en = extract_features("Putin reviewed 54 ships and 4000 troops in Kronstadt, the Kremlin said.")
    index = AnchorIndex(threshold=0.97, max_lag_days=30)
    index.add("gone", ru, "ru", day(2020, 1, 1))
    index.add("ru-near", ru, "ru", day(2021, 7, 20))
    index.add("ru-far", ru, "ru", day(2022, 7, 25))
    index.add("ru-undated", ru, "ru")
    assert index.partners(en, "en", published_at=day(2021, 7, 25)) == ["ru-near", "ru-undated"]
    index.remove("gone")  # the last row moves into the freed one, with its date
    assert sorted(index.partners(en, "en", published_at=day(2021, 7, 25))) == ["ru-near", "ru-undated"]
    assert sorted(index.partners(en, "en")) == ["ru-far", "ru-near", "ru-undated"]  # undated query
    unlimited = AnchorIndex(threshold=0.97)  # no lag given: dates are not judged
    unlimited.add("ru-far", ru, "ru", day(2022, 7, 25))
    assert unlimited.partners(en, "en", published_at=day(2021, 7, 25)) == ["ru-far"]


def test_long_postings_follow_removals_in_any_order():
    """Postings lists longer than the few entries looked at first (a figure or a name in many
    documents), in two languages, stay right whichever rows are removed: the newest (a scored
    document leaving), the oldest, or one in the middle whose row the last one takes."""
    import random

    rng = random.Random(5)
    shared = _features(frozenset({"10", "11"}), frozenset({"aleppo", "syria"}), 6)
    documents: dict[str, tuple[Features, str]] = {}
    index = AnchorIndex(threshold=0.0)
    for k in range(40):
        language = "fr" if k % 3 else "ru"
        index.add(f"d{k}", shared, language)
        documents[f"d{k}"] = (shared, language)
    for _ in range(30):
        gone = rng.choice([min(documents), max(documents, key=lambda d: int(d[1:])), rng.choice(sorted(documents))])
        index.remove(gone)
        del documents[gone]
        assert sorted(index.partners(shared, "en")) == _brute_partners(documents, shared, "en", 0.0)
        assert sorted(index.partners(shared, "fr")) == sorted(d for d, (_, lang) in documents.items() if lang == "ru")
    assert len(index) == len(documents) == 10
