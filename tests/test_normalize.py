"""Normalisation and script-aware tokenisation (dedup/normalize.py)."""

import pytest

from dedup.normalize import normalize_text, split_sentences, tokenize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # NFKC: full-width Latin, ligatures, circled digits, Arabic presentation forms
        ("ＡＢＣ ｆｕｌｌ", "abc full"),
        ("ﬁnal ﬂight", "final flight"),
        ("①②", "12"),
        ("\ufefb", "\u0644\u0627"),  # lam-alef ligature -> lam + alef
        # typographic quotes and dashes to ASCII
        ("\u201cAleppo\u201d \u2014 Syria\u2019s city", '"aleppo" - syria\'s city'),
        ("\u00abcit\u00e9\u00bb \u2013 \u2012 \u2015 \u2212 \u2011", '"cité" - - - - -'),
        ("\u201aa\u201b \u201eb\u201f `c\u2032", "'a' \"b\" 'c'"),
        ("\u300c東京\u300d", '"東京"'),
        # non-ASCII digits: Arabic-Indic, extended Arabic-Indic (Urdu), full-width, Devanagari
        ("\u0661\u0662\u0663", "123"),
        ("\u06f4\u06f5\u06f6", "456"),
        ("\uff15\uff10", "50"),
        ("\u0969\u096a", "34"),
        # Arabic diacritics (harakat, shadda, superscript alef) and tatweel removed
        ("\u0645\u064f\u062d\u064e\u0645\u0651\u064e\u062f", "\u0645\u062d\u0645\u062f"),
        ("\u0639\u0640\u0640\u0644\u0649", "\u0639\u0644\u0649"),
        ("\u0647\u0670\u0630\u0627", "\u0647\u0630\u0627"),
        # casefold (stronger than lower)
        ("STRASSE Straße", "strasse strasse"),
        ("ΣΊΣΥΦΟΣ", "σίσυφοσ"),
        # whitespace: runs collapse, lines trimmed, blank lines dropped, invisible chars removed
        ("a\u00a0b  \t c", "a b c"),
        ("  one  \n\n\n   two  \r\n", "one\ntwo"),
        ("co\u00adop\u200beration\ufeff", "cooperation"),
        ("a\u3000b\u202fc\u2009d", "a b c d"),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_normalize_is_idempotent():
    text = "\u201cＡＬＳ患者\u201d \u2014 \u0661\u0662 mu\u0651\u064e  \n\n Next"
    once = normalize_text(text)
    assert normalize_text(once) == once


def test_typographic_variants_normalise_to_the_same_text():
    smart = "Syria\u2019s \u201csecond\u201d city \u2014 \uff15\uff10 towns"
    plain = 'SYRIA\'S "Second" City - 50 Towns'
    assert normalize_text(smart) == normalize_text(plain)


def test_normalize_keeps_line_breaks():
    assert normalize_text("Title\nBody line") == "title\nbody line"


def test_normalize_empty_and_blank():
    assert normalize_text("") == ""
    assert normalize_text(" \n\t\n ") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Japanese: hiragana/kanji runs become overlapping character bigrams
        ("東京都の知事", ["東京", "京都", "都の", "の知", "知事"]),
        # Chinese
        ("叙利亚内战", ["叙利", "利亚", "亚内", "内战"]),
        # a single no-space character stays one token
        ("猫", ["猫"]),
        # katakana
        ("シリア", ["シリ", "リア"]),
        # mixed Latin + Han: the Latin word is whole, the Han run is bigrammed
        ("als患者", ["als", "患者"]),
        ("als患者の会", ["als", "患者", "者の", "の会"]),
        # Urdu, Russian, Icelandic words are kept whole
        ("پاکستان کی حکومت", ["پاکستان", "کی", "حکومت"]),
        ("москва - столица россии", ["москва", "столица", "россии"]),
        ("þórður guðmundsson sagði", ["þórður", "guðmundsson", "sagði"]),
        # Latin: punctuation and underscores split words, digits kept
        ("aleppo's 2nd city: 50 towns", ["aleppo", "s", "2nd", "city", "50", "towns"]),
        ("snake_case", ["snake", "case"]),
        ("", []),
        ("... -- !!", []),
    ],
)
def test_tokenize(text, expected):
    assert tokenize(text) == expected


def test_tokenize_after_normalize_mixed_script():
    assert tokenize(normalize_text("ALS患者")) == ["als", "患者"]
    assert tokenize(normalize_text("Aleppo’s ５０ towns")) == ["aleppo", "s", "50", "towns"]


def test_tokenize_urdu_with_and_without_diacritics_match():
    # the same Urdu word written with and without optional vowel marks
    with_marks = normalize_text("\u067e\u064e\u0627\u06a9\u0650\u0633\u062a\u0627\u0646")
    without = normalize_text("\u067e\u0627\u06a9\u0633\u062a\u0627\u0646")
    assert tokenize(with_marks) == tokenize(without) == ["\u067e\u0627\u06a9\u0633\u062a\u0627\u0646"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ("line one\nline two", ["line one", "line two"]),
        (
            "\u06cc\u06c1 \u062e\u0628\u0631\u06d4 \u062f\u0648\u0633\u0631\u06cc",
            ["\u06cc\u06c1 \u062e\u0628\u0631\u06d4", "\u062f\u0648\u0633\u0631\u06cc"],
        ),
        ("", []),
        ("  \n \n", []),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_tokenize_keeps_devanagari_words_whole():
    assert tokenize(normalize_text("हिन्दी भाषा")) == ["हिन्दी", "भाषा"]


def test_split_sentences_cjk():
    assert split_sentences("東京は晴れ。大阪は雨。") == ["東京は晴れ。", "大阪は雨。"]
