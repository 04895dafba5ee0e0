"""Boilerplate removal (dedup/boilerplate.py)."""

import json

import pytest

from dedup.boilerplate import BoilerplateModel, is_pattern_boilerplate, strip_boilerplate
from dedup.normalize import normalize_text

STORY = [
    "rebels entered aleppo on friday after a two-day offensive, a monitor said.",
    "the fighting has killed more than 277 people since wednesday.",
]
PROMO = "get the daily digest delivered to your inbox every morning"
LONG_PARAGRAPH = (
    "the syrian observatory for human rights said that at least 242 people, most of them combatants, "
    "had been killed in three days of fighting, while the attackers captured around fifty towns and "
    "villages in the countryside west of aleppo and south of the city."
)


def _lines(text: str) -> list[str]:
    return normalize_text(text).split("\n")


def test_repeated_line_inside_a_document_is_kept_once():
    headline = "syria: jihadists seize several neighborhoods of aleppo"
    lines = [headline, headline, STORY[0], headline, STORY[1]]
    assert strip_boilerplate(lines) == [headline, STORY[0], STORY[1]]


@pytest.mark.parametrize(
    "raw",
    [
        "PREV",
        "NEXT",
        "Previous",
        "Back to top",
        "Read more",
        "Related articles",
        "Advertisement",
        "Share this article",
        "Sign up for our newsletter",
        "Subscribe now for unlimited access",
        "Click here to see the gallery",
        "Follow us on X",
        "All rights reserved",
        "All Rights Reserved.",
        "Copyright 2024 Agence France-Presse",
        "(c) 2024 AFP",
        "© 2024 AFP",
        "Read our cookie policy",
        "By John Smith",
        "By John Smith | Reuters",
    ],
)
def test_pattern_lines_are_removed(raw):
    line = normalize_text(raw)
    assert is_pattern_boilerplate(line)
    assert strip_boilerplate([STORY[0], line, STORY[1]]) == STORY


@pytest.mark.parametrize(
    "line",
    [
        STORY[0],
        "aleppo (afp) - rebels entered the city on friday.",  # wire attribution is evidence, not boilerplate
        "afp",
        "the next day, the army withdrew.",
        "previous offensives had stalled in 2020.",
    ],
)
def test_story_lines_are_not_pattern_boilerplate(line):
    assert not is_pattern_boilerplate(line)


def test_long_lines_never_match_patterns():
    line = "sign up " + "x" * 200
    assert not is_pattern_boilerplate(line)


def _model_with_promo(source: str = "daily-paper", documents: int = 20, others: int = 0) -> BoilerplateModel:
    """A model that has seen ``documents`` documents of ``source`` carrying the promo line and
    ``others`` documents of the same source without it."""
    model = BoilerplateModel()
    for k in range(documents):
        model.observe([f"story number {k} about something else entirely", PROMO, LONG_PARAGRAPH], source)
    for k in range(others):
        model.observe([f"unrelated story {k}"], source)
    return model


def test_model_learns_a_promo_line_repeated_across_documents_of_a_source():
    model = _model_with_promo()
    assert model.is_boilerplate(PROMO, "daily-paper")
    assert strip_boilerplate([STORY[0], PROMO, STORY[1]], "daily-paper", model) == STORY


def test_learned_line_is_stripped_only_for_that_source():
    model = _model_with_promo()
    assert not model.is_boilerplate(PROMO, "other-paper")
    assert not model.is_boilerplate(PROMO, "")
    assert strip_boilerplate([STORY[0], PROMO], "other-paper", model) == [STORY[0], PROMO]
    assert strip_boilerplate([STORY[0], PROMO], "", model) == [STORY[0], PROMO]


def test_line_seen_in_fewer_than_five_documents_is_kept():
    model = _model_with_promo(documents=4, others=16)
    assert not model.is_boilerplate(PROMO, "daily-paper")


def test_line_must_recur_in_a_share_of_the_documents():
    model = _model_with_promo(documents=5, others=25)  # 5 of 30 documents: below the 20% share
    assert not model.is_boilerplate(PROMO, "daily-paper")


def test_a_source_with_few_documents_has_no_learned_boilerplate():
    model = _model_with_promo(documents=19)  # every document, but a handful of them may be one story
    assert not model.is_boilerplate(PROMO, "daily-paper")
    model.observe(["one more story", PROMO], "daily-paper")
    assert model.is_boilerplate(PROMO, "daily-paper")


def test_long_paragraph_repeated_across_documents_is_not_stripped():
    assert len(LONG_PARAGRAPH) > 200
    model = _model_with_promo(documents=5)
    assert not model.is_boilerplate(LONG_PARAGRAPH, "daily-paper")
    assert LONG_PARAGRAPH in strip_boilerplate([STORY[0], LONG_PARAGRAPH], "daily-paper", model)


def test_documents_without_source_are_not_counted():
    model = BoilerplateModel()
    for _ in range(5):
        model.observe([PROMO], "")
    assert model.state() == {"documents": {}, "lines": {}}


def test_a_line_repeated_within_one_document_counts_once():
    model = BoilerplateModel()
    model.observe([PROMO, PROMO, PROMO], "paper")
    model.observe([PROMO], "paper")
    assert not model.is_boilerplate(PROMO, "paper")


def test_state_round_trip_through_json():
    model = _model_with_promo()
    model.observe(["another line"], "wire")
    state = json.loads(json.dumps(model.state()))
    restored = BoilerplateModel()
    restored.load_state(state)
    assert restored.state() == model.state()
    assert restored.is_boilerplate(PROMO, "daily-paper")
    assert not restored.is_boilerplate(PROMO, "wire")


def test_load_state_replaces_counts():
    model = _model_with_promo()
    model.load_state({})
    assert not model.is_boilerplate(PROMO, "daily-paper")


@pytest.mark.parametrize(
    "lines",
    [
        ["prev", "next"],
        ["all rights reserved", "all rights reserved"],
        [PROMO],
        ["sign up for our newsletter"],
    ],
)
def test_never_returns_empty_for_non_empty_input(lines):
    model = _model_with_promo()
    kept = strip_boilerplate(lines, "daily-paper", model)
    assert kept
    assert kept == list(dict.fromkeys(lines))


def test_empty_input():
    assert strip_boilerplate([]) == []


def test_order_is_kept():
    lines = ["c line", "a line", "prev", "b line", "a line"]
    assert strip_boilerplate(lines) == ["c line", "a line", "b line"]


def test_versions_of_one_story_from_one_source_still_link():
    from dedup import Document, run_batch

    paragraphs = [
        "Rebels entered Aleppo on Friday after a two-day lightning offensive against government forces.",
        "The Syrian Observatory for Human Rights said more than 277 people had been killed since Wednesday.",
        "Witnesses described scenes of panic as families loaded cars and fled south under heavy shelling.",
        "The army said it had sent reinforcements and that air strikes had hit 24 rebel positions overnight.",
    ]
    endings = [
        "Officials said schools would stay closed on Saturday.",
        "The United Nations called for an immediate halt to the fighting around the city.",
        "Turkey said it was following developments on its southern border closely.",
    ]
    docs = [Document(id=f"v{k}", text="\n".join([*paragraphs, end]), source="APP") for k, end in enumerate(endings)]
    placements = run_batch(docs)
    assert len({p.lineage_id for p in placements.values()}) == 1
