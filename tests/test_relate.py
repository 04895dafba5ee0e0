import dataclasses

import pytest

from dedup.evidence import PairEvidence
from dedup.relate import (
    LinkPolicy,
    Relation,
    derivation,
    link_probability,
    link_strength,
    may_merge_lineages,
    quotes_and_numbers_agree,
    translation_probability,
)


def _evidence(**fields) -> PairEvidence:
    base = dict(
        cosine=0.0,
        containment_a_in_b=0.0,
        containment_b_in_a=0.0,
        word_containment_a_in_b=0.0,
        word_containment_b_in_a=0.0,
        number_overlap=None,
    )
    base.update(fields)
    return PairEvidence(**base)


COPY = _evidence(
    cosine=0.97, containment_a_in_b=0.95, containment_b_in_a=0.9, word_containment_a_in_b=0.97,
    word_containment_b_in_a=0.95, number_overlap=1.0, number_dice=1.0, order_agreement=1.0, ordered_containment=0.95,
)
SAME_TOPIC = _evidence(
    cosine=0.45, containment_a_in_b=0.04, containment_b_in_a=0.05, word_containment_a_in_b=0.35,
    word_containment_b_in_a=0.3, number_overlap=0.25, number_dice=0.2, order_agreement=0.45, ordered_containment=0.15,
)

#: Two translations of one foreign text: the same sentences in the same order, other words.
RENDERING = _evidence(
    cosine=0.7, containment_a_in_b=0.3, containment_b_in_a=0.32, word_containment_a_in_b=0.7,
    word_containment_b_in_a=0.66, number_overlap=1.0, number_dice=1.0, order_agreement=0.85, sentence_ratio=1.0,
)


def test_a_copy_links_and_a_same_topic_report_does_not():
    assert link_strength(COPY, 300, 320) > 0.99
    assert link_strength(SAME_TOPIC, 300, 320) == 0.0
    assert link_probability(COPY, 300, 320) > link_probability(SAME_TOPIC, 300, 320)


def test_more_agreeing_evidence_never_lowers_the_probability():
    weaker = dataclasses.replace(COPY, order_agreement=0.5, ordered_containment=0.4)
    assert link_probability(COPY, 300, 300) >= link_probability(weaker, 300, 300)


#: Two stories of one template: most word runs in common, the figures (amount, coupon, dates) not.
TEMPLATE_SIBLINGS = _evidence(
    cosine=0.65, containment_a_in_b=0.58, containment_b_in_a=0.55, word_containment_a_in_b=0.8,
    word_containment_b_in_a=0.78, number_overlap=0.4, number_dice=0.4, order_agreement=0.95, ordered_containment=0.7,
)


def test_a_templates_strong_link_may_not_merge_lineages_and_a_copys_may():
    assert not may_merge_lineages(TEMPLATE_SIBLINGS)
    assert may_merge_lineages(COPY)
    assert may_merge_lineages(RENDERING)  # its own words: the link model alone judges it
    assert may_merge_lineages(dataclasses.replace(TEMPLATE_SIBLINGS, number_overlap=None))  # too few figures to tell
    assert may_merge_lineages(dataclasses.replace(TEMPLATE_SIBLINGS, number_overlap=0.7))  # the policy's bound
    assert may_merge_lineages(dataclasses.replace(TEMPLATE_SIBLINGS, containment_a_in_b=0.2, containment_b_in_a=0.29))
    assert may_merge_lineages(dataclasses.replace(TEMPLATE_SIBLINGS, same_language=False))
    assert may_merge_lineages(TEMPLATE_SIBLINGS, LinkPolicy(merge_min_number_overlap=0.4))


def test_a_short_text_links_only_to_a_near_copy_with_the_same_figures_and_headline():
    template = dataclasses.replace(COPY, number_dice=0.5, number_overlap=0.5)
    assert link_strength(template, 20, 22) == 0.0  # "Qtly div 35 cts vs 30 cts prior": another company
    assert link_strength(COPY, 20, 22) > 0
    other_headline = dataclasses.replace(COPY, title_overlap=0.0)
    assert link_strength(other_headline, 20, 22) == 0.0
    assert link_strength(other_headline, 300, 320) > 0  # long texts: the headline may be rewritten


def test_a_short_passage_cut_whole_from_a_longer_text_links():
    extract = dataclasses.replace(COPY, containment_a_in_b=1.0, containment_b_in_a=0.3, number_overlap=1.0)
    assert link_strength(extract, 25, 80) > 0
    assert link_strength(dataclasses.replace(extract, containment_a_in_b=0.85), 25, 80) == 0.0  # not whole
    assert link_strength(dataclasses.replace(extract, number_overlap=0.5), 25, 80) == 0.0  # other figures
    # the longer side is the container: the same evidence seen from the other side also links
    assert link_strength(extract.swapped(), 80, 25) > 0


def test_quotations_and_figures_link_a_rewrite():
    # A loose rewrite the link model alone would not link, but for its quotations and figures.
    rewrite = dataclasses.replace(
        SAME_TOPIC, cosine=0.25, word_containment_a_in_b=0.2, word_containment_b_in_a=0.15, order_agreement=0.2,
        ordered_containment=0.05, shared_quotations=3, number_overlap=0.67,
    )
    assert quotes_and_numbers_agree(rewrite)
    assert link_probability(rewrite, 300, 320) < LinkPolicy().min_probability
    assert link_strength(rewrite, 300, 320) == LinkPolicy().min_probability
    assert not quotes_and_numbers_agree(dataclasses.replace(rewrite, shared_quotations=1))
    assert not quotes_and_numbers_agree(dataclasses.replace(rewrite, number_overlap=0.2))


def test_pairs_in_two_languages_go_to_the_translation_model():
    translation = _evidence(
        same_language=False, embedding_cosine=0.9, lead_rank=0, number_overlap=1.0, number_dice=1.0,
        shared_numbers=5, name_overlap=0.8, sentence_ratio=0.95,
    )
    unrelated = dataclasses.replace(translation, lead_rank=5, number_dice=0.1, shared_numbers=1, name_overlap=0.0, sentence_ratio=0.0)
    assert translation_probability(translation) > 0.97
    assert link_strength(translation, 300, 280) > 0
    assert link_strength(unrelated, 300, 280) == 0.0
    assert translation_probability(dataclasses.replace(translation, embedding_cosine=None)) == 0.0


@pytest.mark.parametrize(
    "evidence, same_source, same_day, expected",
    [
        (dataclasses.replace(COPY, same_language=False), False, False, Relation.TRANSLATION),
        (COPY, True, False, Relation.UPDATE),
        (dataclasses.replace(COPY, containment_a_in_b=0.99, containment_b_in_a=0.99), False, True, Relation.UPDATE),
        (COPY, False, False, Relation.REPUBLICATION),
        (SAME_TOPIC, False, False, Relation.PARTIAL),
        (RENDERING, False, False, Relation.TRANSLATION),
        (RENDERING, True, False, Relation.UPDATE),  # one outlet rewording its own copy
        (dataclasses.replace(RENDERING, containment_a_in_b=0.7), False, False, Relation.REPUBLICATION),  # a copy
        (dataclasses.replace(RENDERING, sentence_ratio=0.5), False, False, Relation.REPUBLICATION),  # cut or merged
        (dataclasses.replace(RENDERING, order_agreement=0.4), False, False, Relation.REPUBLICATION),  # reordered
    ],
)
def test_derivation_names_the_relation(evidence, same_source, same_day, expected):
    assert derivation(evidence, same_source=same_source, same_day=same_day) is expected


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("min_probability", 1.5, "min_probability must be between 0 and 1"),
        ("merge_min_probability", -0.1, "merge_min_probability must be between 0 and 1"),
        ("min_shared_quotations", 0, "min_shared_quotations must be at least 1"),
        ("min_tokens", 0, "min_tokens must be at least 1"),
        ("max_translation_lag_days", -1.0, "max_translation_lag_days must be at least 0"),
        ("max_translation_lag_days", float("nan"), "max_translation_lag_days must be at least 0"),
    ],
)
def test_policy_checks_its_arguments(field, value, message):
    with pytest.raises(ValueError, match=message):
        LinkPolicy(**{field: value})


def test_the_cosine_screen_drops_only_same_language_pairs_below_it():
    from dedup.relate import worth_measuring

    policy = LinkPolicy(min_cosine=0.2)
    assert not worth_measuring(0.19, True, policy)
    assert worth_measuring(0.2, True, policy)
    assert worth_measuring(0.0, False, policy)  # a translation shares no words with its source


def test_the_screen_sits_well_below_what_the_link_model_can_accept():
    """A same-topic pair at the screen's cosine is far from a link under the model."""
    at_screen = dataclasses.replace(SAME_TOPIC, cosine=LinkPolicy().min_cosine)
    assert link_probability(at_screen, 300, 300) < 0.5 * LinkPolicy().min_probability


def test_an_outlets_dated_rewrite_of_its_own_story_is_a_follow_up_not_a_version():
    from dedup.relate import follow_up

    rewrite = dataclasses.replace(SAME_TOPIC, containment_a_in_b=0.2, containment_b_in_a=0.25)
    assert follow_up(rewrite, same_source=True, both_dated=True)
    assert not follow_up(rewrite, same_source=False, both_dated=True)  # another outlet's rewrite: the model decides
    assert not follow_up(rewrite, same_source=True, both_dated=False)  # parallel renderings of one original
    assert not follow_up(COPY, same_source=True, both_dated=True)  # a re-filed version keeps its text


def test_a_short_pair_below_near_copy_containment_is_ruled_out_before_measuring():
    from dedup.relate import short_of_a_near_copy

    policy = LinkPolicy(min_tokens=30)
    assert short_of_a_near_copy(12, 400, 0.5, 0.5, policy)
    assert not short_of_a_near_copy(12, 400, 0.85, 0.85, policy)  # may be a near copy: measured
    assert not short_of_a_near_copy(12, 400, 0.95, 0.1, policy)  # may be cut from the longer text
    assert short_of_a_near_copy(400, 12, 0.95, 0.1, policy)  # the longer one inside the shorter: no
    assert not short_of_a_near_copy(31, 400, 0.1, 0.1, policy)  # long enough for the link model
    # whatever else the evidence says, such a pair never links
    strong_but_short = dataclasses.replace(COPY, containment_a_in_b=0.5, containment_b_in_a=0.5)
    assert link_strength(strong_but_short, 12, 400, policy) == 0.0


from hypothesis import given, strategies as st  # noqa: E402

_share_values = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def _pair_evidence(cosine, containments, word_containments, numbers, agreement, ordered, quotations):
    """Evidence of one pair in one language from the values the strategies below draw."""
    return _evidence(
        cosine=cosine,
        containment_a_in_b=containments[0],
        containment_b_in_a=containments[1],
        word_containment_a_in_b=word_containments[0],
        word_containment_b_in_a=word_containments[1],
        number_overlap=numbers,
        order_agreement=agreement,
        ordered_containment=ordered,
        shared_quotations=quotations,
    )


#: Strategies for the evidence of one pair, shared by the tests of the link model.
_PAIR_EVIDENCE = {
    "cosine": _share_values,
    "containments": st.tuples(_share_values, _share_values),
    "word_containments": st.tuples(_share_values, _share_values),
    "numbers": st.one_of(st.none(), _share_values),
    "agreement": _share_values,
    "quotations": st.integers(0, 6),
}


@given(
    **_PAIR_EVIDENCE,
    lengths=st.tuples(st.integers(1, 2000), st.integers(1, 2000)),
    ordered_share=_share_values,
    shared_share=_share_values,
)
def test_the_ceiling_is_never_below_the_probability_of_any_consistent_evidence(
    cosine, containments, word_containments, lengths, numbers, agreement, ordered_share, quotations, shared_share
):
    from dedup.relate import link_probability_ceiling

    shared_quotations = round(quotations * shared_share)
    # The ordered run is among the shared words.
    evidence = _pair_evidence(cosine, containments, word_containments, numbers, agreement, ordered_share * max(word_containments), shared_quotations)
    ceiling = link_probability_ceiling(cosine, containments, word_containments, *lengths, quotations)
    assert link_probability(evidence, *lengths) <= ceiling + 1e-12
    knowing_numbers = link_probability_ceiling(
        cosine, containments, word_containments, *lengths, quotations, numbers_known=True, number_overlap=numbers
    )
    assert link_probability(evidence, *lengths) <= knowing_numbers + 1e-12 and knowing_numbers <= ceiling + 1e-12


_FURTHER = st.tuples(_share_values, st.integers(0, 9), _share_values, _share_values, st.one_of(st.none(), _share_values))


@given(
    **_PAIR_EVIDENCE,
    lengths=st.tuples(st.integers(1, 2000), st.integers(1, 2000)),
    further=_FURTHER,
)
def test_the_ceiling_bounds_the_figures_sentences_and_title_inputs_or_takes_them_exactly(
    cosine, containments, word_containments, lengths, numbers, agreement, quotations, further
):
    """Unknown, the inputs from figures, sentences and title are bounded; known (what the
    screen computes: :func:`further_logit`), they count exactly, and the ceiling still
    bounds the probability."""
    from dedup.relate import further_logit, link_probability_ceiling

    dice, shared, unmatched, sentences, title = further
    evidence = dataclasses.replace(
        _pair_evidence(cosine, containments, word_containments, numbers, agreement, agreement * max(word_containments), quotations),
        number_dice=dice, shared_numbers=shared, unmatched_numbers=unmatched, sentence_ratio=sentences, title_overlap=title,
    )
    args = (cosine, containments, word_containments, *lengths, quotations)
    exact = link_probability_ceiling(*args, numbers_known=True, number_overlap=numbers, further=further_logit(*further))
    bounded = link_probability_ceiling(*args, numbers_known=True, number_overlap=numbers)
    assert link_probability(evidence, *lengths) <= exact + 1e-12
    assert exact <= bounded + 1e-12


def test_a_same_topic_pair_cannot_link_and_a_copy_can():
    from dedup.relate import cannot_link

    from dedup.relate import further_logit

    # Figures, sentences and title: no figures, four sentences against nine, no title.
    unrelated = further_logit(0.0, 0, 0.0, 4 / 9, None)
    assert cannot_link(0.3, (0.04, 0.05), (0.3, 0.25), 300, 320, 0, further=unrelated)
    assert not cannot_link(0.97, (0.95, 0.9), (0.97, 0.95), 300, 320, 0, further=unrelated)
    # several quotations could be shared: the quotations rule might fire, so it is measured
    assert not cannot_link(0.3, (0.04, 0.05), (0.3, 0.25), 300, 320, 3)


@given(
    pairs=st.lists(
        st.tuples(
            _share_values,
            st.tuples(_share_values, _share_values),
            st.tuples(_share_values, _share_values),
            st.integers(1, 2000),
            st.integers(0, 6),
            st.one_of(st.none(), _share_values),
            _FURTHER,
        ),
        min_size=1,
        max_size=8,
    ),
    length_a=st.integers(1, 2000),
)
def test_the_array_decision_rules_out_only_what_the_scalar_one_does(pairs, length_a):
    """The score path decides its candidates together (cannot_link_many and
    short_of_a_near_copy_many); a pair may only be measured where the scalar test would have
    ruled it out at the threshold's edge, never ruled out where it would have been measured."""
    import numpy as np

    from dedup.relate import cannot_link, cannot_link_many, short_of_a_near_copy, short_of_a_near_copy_many

    cosines = np.array([p[0] for p in pairs])
    shares = np.array([p[1] for p in pairs])
    words = np.array([p[2] for p in pairs])
    lengths = np.array([p[3] for p in pairs])
    quotations = np.array([p[4] for p in pairs])
    numbers = np.array([p[5] for p in pairs], dtype=float)
    from dedup.relate import LinkPolicy as Policy, further_logit

    further = further_logit(*(np.array([p[6][k] for p in pairs], dtype=float) for k in range(5)))
    many = cannot_link_many(cosines, shares, words, length_a, lengths, quotations, numbers, Policy(), further) | short_of_a_near_copy_many(
        length_a, lengths, shares
    )
    for ruled_out, (cosine, share, word, length_b, quotes, overlap, more) in zip(many.tolist(), pairs):
        scalar = short_of_a_near_copy(length_a, length_b, *share) or cannot_link(
            cosine, share, word, length_a, length_b, quotes, numbers_known=True, number_overlap=overlap, further=further_logit(*more)
        )
        assert scalar or not ruled_out
        if scalar and not ruled_out:  # only at the edge: the ceiling within the margin
            from dedup.relate import link_probability_ceiling

            ceiling = link_probability_ceiling(
                cosine, share, word, length_a, length_b, quotes, numbers_known=True, number_overlap=overlap,
                further=further_logit(*more),
            )
            assert ceiling > LinkPolicy().min_probability - 1e-8


def test_the_screen_of_many_pairs_is_the_screen_of_each():
    """The batch job screens proposed pairs as arrays: each answer is the pair's own."""
    import numpy as np

    from dedup.relate import worth_measuring, worth_measuring_many

    policy = LinkPolicy()
    cosines = np.array([0.0, policy.min_cosine - 1e-9, policy.min_cosine, 0.9, 0.0, 0.9])
    same = np.array([True, True, True, True, False, False])
    many = worth_measuring_many(cosines, same, policy)
    assert many.tolist() == [worth_measuring(c, s, policy) for c, s in zip(cosines.tolist(), same.tolist())]
    assert many.tolist() == [False, False, True, True, True, True]


def test_closest_per_document_keeps_each_documents_closest_pairs() -> None:
    """For each document, its ``cap`` pairs of highest cosine, ties (to the ranking's
    decimals) to the more recent candidate; a cap below one is refused."""
    import numpy as np

    from dedup.relate import closest_per_document

    documents = np.array([7, 7, 7, 7, 3, 3, 9])
    cosines = np.array([0.5, 0.9, 0.5 + 1e-13, 0.4, 0.2, 0.1, 0.3])
    recency = np.array([1, 2, 5, 4, 1, 2, 0])
    assert closest_per_document(documents, cosines, recency, 2).tolist() == [False, True, True, False, True, True, True]
    assert closest_per_document(documents, cosines, recency, 1).tolist() == [False, True, False, False, True, False, True]
    assert closest_per_document(documents[:0], cosines[:0], recency[:0], 3).tolist() == []
    with pytest.raises(ValueError, match="cap"):
        closest_per_document(documents, cosines, recency, 0)


@given(**_PAIR_EVIDENCE, lengths=st.tuples(st.integers(0, 5000), st.integers(0, 5000)), ordered=_share_values)
def test_link_probability_is_the_logistic_model_of_the_evidence_vector(
    cosine, containments, word_containments, lengths, numbers, agreement, ordered, quotations
):
    """The direct computation equals the model applied to :func:`evidence_vector` (what the
    fit sees) to the last bit, and the vector names every weight."""
    from dedup.relate import LINK_INTERCEPT, LINK_WEIGHTS, _logistic, evidence_vector

    evidence = _pair_evidence(cosine, containments, word_containments, numbers, agreement, ordered, quotations)
    vector = evidence_vector(evidence, *lengths)
    assert list(vector) == list(LINK_WEIGHTS)
    assert link_probability(evidence, *lengths) == _logistic(LINK_WEIGHTS, LINK_INTERCEPT, vector)
