import pytest

from dedup.names import extract_names, transliterate


@pytest.mark.parametrize(
    "word, expected",
    [("Путин", "putin"), ("Москва", "moskva"), ("Ísland", "island"), ("Müller", "muller"), ("Straße", "strasse"), ("Αθήνα", "athina")],
)
def test_transliterate_to_plain_latin(word, expected):
    assert transliterate(word) == expected


def test_names_are_capitalised_words_never_written_in_lower_case():
    text = "The talks in Aleppo ended. The Aleppo office of the UN said the talks failed."
    assert extract_names(text) == {"aleppo"}


def test_names_from_cyrillic_meet_their_latin_spelling():
    russian = extract_names("Владимир Путин прибыл в Петербург.")
    english = extract_names("Vladimir Putin arrived in Petersburg.")
    assert {"vladimir", "putin"} <= russian & english


def test_scripts_without_case_give_no_names():
    assert extract_names("東京都の知事は会見した") == frozenset()
    assert extract_names("واشنگٹن ۔ 20 اگست") == frozenset()
