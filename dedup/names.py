"""Names that survive translation: capitalised words, transliterated to plain Latin letters.

A translation rewrites every word but the names (Serena Williams, Aleppo, Putin) and the
numbers. This module finds the words a text writes capitalised and never in lower case (so a
sentence-initial "The" is dropped while "Aleppo" is kept) and maps them to ASCII: accents are
removed and Cyrillic and Greek are transliterated, so "Путин" meets "Putin". Scripts without
letter case (Japanese, Urdu) contribute no names; the embedding channel covers them.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from functools import lru_cache

__all__ = ["extract_names", "transliterate"]

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
        ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s",
         "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "i", "i", "ye", "g"],
    )
)
_GREEK = dict(zip("αβγδεζηθικλμνξοπρσςτυφχψω", ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m",
                                                 "n", "x", "o", "p", "r", "s", "s", "t", "y", "f", "ch", "ps", "o"]))
_TABLE = str.maketrans({**_CYRILLIC, **_GREEK, "ß": "ss", "æ": "ae", "ø": "o", "þ": "th", "ð": "d", "œ": "oe", "ł": "l"})
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_ASCII_WORD = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*")  # what _WORD matches in an ASCII text


@lru_cache(maxsize=1 << 16)
def transliterate(word: str) -> str:
    """Lower-case ASCII form of a Latin, Cyrillic or Greek word.

    >>> transliterate("Путин"), transliterate("Ísland"), transliterate("Müller")
    ('putin', 'island', 'muller')
    """
    # Decompose first, so accented letters (ή, é) meet the table as their base letter.
    decomposed = unicodedata.normalize("NFKD", word.lower()).translate(_TABLE)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalpha())


def extract_names(text: str, *, min_chars: int = 3) -> frozenset[str]:
    """Transliterated words that ``text`` writes capitalised and never in lower case.

    >>> sorted(extract_names("The talks in Aleppo ended. The Aleppo office said the talks failed."))
    ['aleppo']
    """
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        # Every ASCII word starts with a letter, and "A"-"Z" sort before "a": sorting the
        # distinct words splits them into capitalised and lower-case ones.
        ordered = sorted(set(_ASCII_WORD.findall(text)))
        split = bisect.bisect_left(ordered, "a")
        capitalised = set(map(str.lower, ordered[:split]))
        lower = set(map(str.lower, ordered[split:]))
    else:
        words = set(_WORD.findall(text))  # each distinct word once
        capitalised = {word.lower() for word in words if word[0].isupper()}
        lower = {word.lower() for word in words if word[0].islower()}
    names = set()
    for word in capitalised - lower:
        ascii_form = transliterate(word)
        if len(ascii_form) >= min_chars:
            names.add(ascii_form)
    return frozenset(names)
