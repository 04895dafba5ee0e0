"""Pair evidence and shared passages (dedup/evidence.py)."""

import dataclasses

import numpy as np
import pytest

from dedup.evidence import PairEvidence, Passage, measure_pair, shared_passages
from dedup.features import Features, extract_features

OTHER = (
    "Stock markets in Tokyo and London fell sharply on Monday as investors worried about rising "
    "interest rates and weak factory data from China and Germany."
)


def _cut_down(wire: str, paragraphs: int = 2) -> str:
    return "\n".join(wire.split("\n")[:paragraphs])


def test_cut_down_copy_is_fully_contained(wire_text):
    child, wire = extract_features(_cut_down(wire_text)), extract_features(wire_text)
    evidence = measure_pair(child, wire, cosine=0.8)
    assert evidence.containment_a_in_b == 1.0
    assert 0.3 < evidence.containment_b_in_a < 0.7
    assert evidence.word_containment_a_in_b == 1.0
    assert evidence.word_containment_b_in_a < 1.0
    assert evidence.max_containment == 1.0
    assert evidence.min_containment == evidence.containment_b_in_a
    assert evidence.max_word_containment == 1.0
    assert evidence.cosine == 0.8


def test_containment_both_ways_from_the_other_side(wire_text):
    child, wire = extract_features(_cut_down(wire_text)), extract_features(wire_text)
    forward = measure_pair(child, wire, cosine=0.5)
    backward = measure_pair(wire, child, cosine=0.5)
    assert backward.containment_b_in_a == 1.0
    assert backward == forward.swapped()


def test_identical_texts(wire_text):
    a, b = extract_features(wire_text), extract_features(wire_text.upper())
    evidence = measure_pair(a, b, cosine=1.0)
    assert evidence.containment_a_in_b == evidence.containment_b_in_a == 1.0


def test_unrelated_texts(wire_text):
    evidence = measure_pair(extract_features(wire_text), extract_features(OTHER), cosine=0.0)
    assert evidence.containment_a_in_b == evidence.containment_b_in_a == 0.0


def test_number_overlap(wire_text):
    # wire numbers: 277, 2020, 24; the copy keeps 277 and 2020 and adds 50
    copy = extract_features("The toll rose above 277 in 2020 terms, with 50 towns taken.")
    evidence = measure_pair(copy, extract_features(wire_text), cosine=0.1)
    assert evidence.number_overlap == pytest.approx(2 / 3)


def test_number_overlap_needs_two_numbers_each_side(wire_text):
    one_number = extract_features("The toll rose above 277 people.")
    assert measure_pair(one_number, extract_features(wire_text), cosine=0.1).number_overlap is None


def test_unmatched_figures_and_shared_name_stems():
    """What the translation model reads besides the lead: the figures one side lacks (the
    larger set's share, smoothed by one) and the name stems both texts hold."""
    a = extract_features("Putin visited Aleppo with 54 ships, 4000 troops and 12 planes.")
    b = extract_features("Poutine a visité Alep avec 54 navires.")
    evidence = measure_pair(a, b, 0.0, same_language=False)
    assert evidence.shared_numbers == 1
    assert evidence.unmatched_numbers == pytest.approx((3 - 1) / (3 + 1))
    assert evidence.shared_name_stems == 1  # "alep": Aleppo and Alep (Putin and Poutine differ)
    assert evidence.swapped().unmatched_numbers == evidence.unmatched_numbers
    assert evidence.swapped().shared_name_stems == evidence.shared_name_stems


def test_same_language_flag_is_carried(wire_text):
    a = extract_features(wire_text)
    assert measure_pair(a, a, 1.0, same_language=False).same_language is False
    assert measure_pair(a, a, 1.0).same_language is True


def test_swapped():
    evidence = PairEvidence(
        cosine=0.7,
        containment_a_in_b=0.9,
        containment_b_in_a=0.2,
        word_containment_a_in_b=0.95,
        word_containment_b_in_a=0.3,
        number_overlap=0.5,
        same_language=False,
    )
    swapped = evidence.swapped()
    assert swapped == PairEvidence(0.7, 0.2, 0.9, 0.3, 0.95, 0.5, False)
    assert swapped.swapped() == evidence
    assert (swapped.max_containment, swapped.min_containment) == (0.9, 0.2)


def test_empty_feature_sets_give_zero_not_an_error():
    a = extract_features("...")
    b = extract_features("Rebels entered Aleppo on Friday.")
    evidence = measure_pair(a, b, cosine=0.0)
    assert evidence.containment_a_in_b == 0.0 and evidence.containment_b_in_a == 0.0


def _assert_spans_match(a, b, passages):
    for p in passages:
        assert isinstance(p, Passage)
        assert p.a_start < p.a_end and p.b_start < p.b_end
        assert a.text[p.a_start : p.a_end] == b.text[p.b_start : p.b_end]


def test_shared_passages_spans_are_identical_text(wire_text):
    paragraphs = wire_text.split("\n")
    child_text = "Breaking news from the region.\n" + paragraphs[1] + "\nIn other news, " + paragraphs[3]
    a, b = extract_features(child_text), extract_features(wire_text)
    passages = shared_passages(a, b)
    assert len(passages) == 2
    _assert_spans_match(a, b, passages)
    assert [p.tokens for p in passages] == sorted((p.tokens for p in passages), reverse=True)
    assert a.text[passages[0].a_start : passages[0].a_end] == b.text[passages[0].b_start : passages[0].b_end]
    assert (
        "277 people" in a.text[passages[0].a_start : passages[0].a_end]
        or "277 people" in a.text[passages[1].a_start : passages[1].a_end]
    )


def test_shared_passages_with_typographic_differences(wire_text):
    smart = wire_text.replace("'", "\u2019").replace(" - ", " \u2014 ")
    a, b = extract_features(smart.upper()), extract_features(wire_text)
    passages = shared_passages(a, b)
    assert passages and passages[0].tokens == len(a.tokens)
    _assert_spans_match(a, b, passages)


def test_shared_passages_latin_and_han_mixed():
    a = extract_features("ALS患者の支援団体は、新しい治療法の承認を求めて記者会見を開いた。")
    b = extract_features("東京で、ALS患者の支援団体は、新しい治療法の承認を求めて記者会見を開いた。")
    passages = shared_passages(a, b)
    assert passages
    _assert_spans_match(a, b, passages)


def test_shared_passages_min_tokens_and_limit(wire_text):
    a, b = extract_features("the army said it had sent reinforcements"), extract_features(wire_text)
    assert shared_passages(a, b, min_tokens=8) == []
    [passage] = shared_passages(a, b, min_tokens=7)
    assert passage.tokens == 7
    _assert_spans_match(a, b, [passage])
    many = extract_features(wire_text)
    assert len(shared_passages(many, many, min_tokens=1, limit=1)) == 1


def test_shared_passages_unrelated(wire_text):
    assert shared_passages(extract_features(OTHER), extract_features(wire_text)) == []


def test_passage_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Passage(0, 1, 0, 1, 1).a_start = 3  # type: ignore[misc]


def test_shared_passages_spans_with_repeated_cjk_bigrams():
    a = extract_features("京都の知事は東京都の会議で京都の予算を発表した。今日は晴れです。")
    b = extract_features("昨日、東京都の会議で京都の予算を発表した。")
    passages = shared_passages(a, b, min_tokens=4)
    assert passages
    _assert_spans_match(a, b, passages)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.integers(0, 6), max_size=60),
    st.lists(st.integers(0, 6), max_size=60),
    st.integers(0, 40),
    st.integers(2, 7),
)
def test_matching_blocks_are_difflibs(a, b, copied, min_tokens):
    """The NumPy run finder gives difflib's matching blocks (at least ``min_tokens`` long,
    longest first), ties and repeated runs included: small alphabets make many of both."""
    from difflib import SequenceMatcher

    import numpy as np

    from dedup.evidence import matching_blocks

    b = b[: len(b) // 2] + a[copied : copied + 15] + b[len(b) // 2 :]  # a shared passage, most of the time
    blocks = [m for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() if m.size >= min_tokens]
    blocks.sort(key=lambda m: m.size, reverse=True)
    expected = [(m.a, m.b, m.size) for m in blocks[:10]]
    assert matching_blocks(np.array(a, dtype=np.uint32), np.array(b, dtype=np.uint32), min_tokens) == expected


def test_a_text_repeating_itself_falls_back_to_difflib(monkeypatch):
    """Hundreds of repeats of one line make too many pairs of equal runs to chain: difflib
    answers instead, with the same blocks."""
    import numpy as np

    import dedup.evidence
    from dedup.evidence import matching_blocks

    a = np.array([1, 2, 3, 4, 5, 6, 7] * 30 + [9, 9, 9, 9, 9, 9, 8], dtype=np.uint32)
    b = np.array([0] + [1, 2, 3, 4, 5, 6, 7] * 20 + [9, 9, 9, 9, 9, 9, 8], dtype=np.uint32)
    chained = matching_blocks(a, b, 6)
    monkeypatch.setattr(dedup.evidence, "MAX_RUN_PAIRS", 0)
    assert matching_blocks(a, b, 6) == chained and chained[0][2] >= 140


def test_longest_increasing_run_matches_patience_sorting_in_and_out_of_order():
    """The shortcuts (a copy's shared words all in order, the run before the first fall, values
    above every tail) give what the full search gives."""
    import bisect
    import random

    from dedup.evidence import _longest_increasing_run

    def patience(values: list[int]) -> int:
        tails: list[int] = []
        for value in values:
            k = bisect.bisect_left(tails, value)
            tails[k : k + 1] = [value]
        return len(tails)

    rng = random.Random(3)
    for size in range(12):
        for _ in range(50):
            values = rng.sample(range(40), size)
            cut = rng.randrange(size + 1)
            moved = sorted(values)[cut:] + sorted(values)[:cut]  # a paragraph moved up
            repeated = [rng.randrange(6) for _ in range(size)]
            for sequence in (values, sorted(values), sorted(values, reverse=True), moved, repeated):
                assert _longest_increasing_run(np.array(sequence, dtype=np.int64)) == patience(sequence)
    assert _longest_increasing_run(np.array([1, 2, 2, 3])) == 3  # strictly increasing


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 30), unique=True, max_size=25),
    st.lists(st.lists(st.integers(0, 30), unique=True, max_size=25), max_size=6),
)
def test_order_evidence_of_many_pairs_is_each_pairs_own(a_words, others_words):
    """The batch job and the score path compute the order evidence of one text against many
    at once: each answer is exactly the pair's own (shared words in order, in any order, none)."""
    from dedup.evidence import order_evidence, order_evidence_many

    def features(words: list[int]) -> Features:
        sequence = np.array(words, dtype=np.uint32)
        empty = np.empty(0, dtype=np.uint32)
        return Features(text="", token_hashes=empty, shingles=empty, content_words=np.sort(sequence), numbers=frozenset(), content_sequence=sequence)

    a, others = features(a_words), [features(w) for w in others_words]
    many = order_evidence_many(a, others)
    assert many.shape == (len(others), 2)
    assert [tuple(row) for row in many.tolist()] == [order_evidence(a, b) for b in others]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 30), unique=True, max_size=25), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(0, 3), st.lists(st.integers(0, 30), unique=True, max_size=25)), max_size=8),
    st.lists(st.lists(st.sampled_from(["12", "3000", "1.5", "42", "7"]), unique=True, max_size=4), min_size=12, max_size=12),
)
def test_grouped_order_evidence_and_figures_are_each_pairs_own(firsts_words, pairs, figures):
    """The batch job measures the pairs of many first documents in one pass: each pair's
    order evidence and shared figures are its own, whichever first document it has."""
    from dedup.evidence import grouped_order_evidence, grouped_shared_number_counts, order_evidence

    def features(words: list[int], numbers: list[str]) -> Features:
        sequence = np.array(words, dtype=np.uint32)
        empty = np.empty(0, dtype=np.uint32)
        return Features(
            text="", token_hashes=empty, shingles=empty, content_words=np.sort(sequence), numbers=tuple(sorted(numbers)), content_sequence=sequence
        )

    firsts = [features(w, figures[k]) for k, w in enumerate(firsts_words)]
    group = [g % len(firsts) for g, _ in pairs]
    others = [features(w, figures[4 + k]) for k, (_, w) in enumerate(pairs)]
    found = grouped_order_evidence(firsts, np.array(group, dtype=np.int64), others)
    assert found.shape == (len(others), 2)
    assert [tuple(row) for row in found.tolist()] == [order_evidence(firsts[g], b) for g, b in zip(group, others)]
    shared = grouped_shared_number_counts(firsts, group, others)
    assert shared == [len(set(firsts[g].numbers) & set(b.numbers)) for g, b in zip(group, others)]


def test_figures_names_and_title_words_are_sorted_tuples_and_sets_measure_the_same():
    """Features keep figures, names and title words as sorted tuples of distinct strings (a
    fraction of a frozenset's memory); features holding sets instead (an index snapshot
    written before) give the same evidence."""
    a = extract_features(
        "Rebels seized 12 villages and 3,000 fighters near Aleppo on Monday, 12 officials said.",
        title="Aleppo offensive: rebels seize villages",
    )
    b = extract_features(
        "Rebels seized 12 villages near Aleppo, with 3,000 fighters, said officials in Damascus.",
        title="Rebels seize villages near Aleppo",
    )
    for features in (a, b):
        for strings in (features.numbers, features.title_words):
            assert isinstance(strings, tuple) and list(strings) == sorted(set(strings))
    assert a.numbers == ("12", "3000")

    def as_sets(f):
        return dataclasses.replace(f, numbers=frozenset(f.numbers), names=frozenset(f.names), title_words=frozenset(f.title_words))

    measured = measure_pair(a, b, 0.5)
    assert measured.shared_numbers == 2 and measured.number_overlap == 1.0 and measured.title_overlap is not None
    assert measure_pair(as_sets(a), as_sets(b), 0.5) == measured
    assert measure_pair(as_sets(a), b, 0.5) == measured


_quote = st.lists(st.integers(0, 30), min_size=2, max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(_quote, max_size=5), st.lists(_quote, max_size=5))
def test_shared_quotations_are_counted_as_pair_by_pair(quotes_a, quotes_b):
    """Each of one text's quotations compared with all of the other's at once counts what
    comparing them pair by pair counts (a Dice coefficient of 0.6 at least)."""
    import numpy as np

    from dedup.evidence import QUOTATION_MIN_DICE, shared_quotation_count
    from dedup.shingle import intersection_size, sorted_unique

    def features(quotes):
        arrays = tuple(sorted_unique(np.array(q, dtype=np.uint32)) for q in quotes)
        return dataclasses.replace(extract_features("A text."), quotations=arrays)

    a, b = features(quotes_a), features(quotes_b)
    expected = sum(
        any(2 * intersection_size(qa, qb) >= QUOTATION_MIN_DICE * (len(qa) + len(qb)) for qb in b.quotations)
        for qa in a.quotations
    )
    assert shared_quotation_count(a, b) == expected


def test_passage_finder_answers_as_shared_passages_for_each_text(wire_text):
    """One finder, its query's runs and spans computed once, over many texts: each answer is
    that pair's own shared_passages."""
    from dedup.evidence import PassageFinder

    query = extract_features(wire_text)
    sentences = wire_text.split(". ")
    others = [extract_features(t) for t in (wire_text, ". ".join(sentences[::2]), OTHER, "too short", ". ".join(sentences[1:]))]
    finder = PassageFinder(query)
    for other in others:
        assert finder.passages(other) == shared_passages(query, other)
    assert any(finder.passages(o) for o in others) and not finder.passages(others[2])
    assert PassageFinder(extract_features("two words")).passages(query) == []


def test_the_screens_figures_sentences_and_title_are_measure_pairs(wire_text):
    """further_evidence_many gives, for many pairs at once, the fields measure_pair computes
    from figures, sentence counts and titles, to the last bit (the link decision's screen
    computes the link model's inputs from them)."""
    from dedup.evidence import further_evidence_many, grouped_shared_number_counts

    texts = [
        wire_text,
        _cut_down(wire_text),
        "The toll rose above 277 in 2020 terms, with 50 towns taken. Rebels said so. Then more. And more.",
        "Putin visited Aleppo with 54 ships, 4000 troops and 12 planes.",
        "...",
    ]
    titles = ["Rebels enter Aleppo", "Aleppo: rebels enter the city", "", "Putin in Aleppo", ""]
    features = [extract_features(text, title=title) for text, title in zip(texts, titles)]
    firsts = features[:2]
    group = np.array([0, 0, 0, 1, 1, 1, 1])
    others = [features[k] for k in (1, 2, 3, 0, 2, 3, 4)]
    shared = grouped_shared_number_counts(firsts, group.tolist(), others)
    dice, counts, unmatched, ratio, title = further_evidence_many(firsts, group, others, shared)
    for k, (g, other) in enumerate(zip(group.tolist(), others)):
        evidence = measure_pair(firsts[g], other, cosine=0.5)
        assert dice[k] == evidence.number_dice
        assert counts[k] == evidence.shared_numbers
        assert unmatched[k] == evidence.unmatched_numbers
        assert ratio[k] == evidence.sentence_ratio
        assert (np.isnan(title[k]) and evidence.title_overlap is None) or title[k] == evidence.title_overlap
