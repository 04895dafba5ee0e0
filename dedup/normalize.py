"""Text normalisation and script-aware tokenisation.

Every later step (shingles, TF-IDF, evidence) sees text only through these functions, so two
copies of a dispatch that differ by typography (curly quotes, dashes, full-width digits, Arabic
presentation forms, case) produce the same tokens.

Tokenisation must not assume spaces or the Latin alphabet: runs of Han, kana, Hangul, Thai, Lao,
Khmer or Myanmar characters (scripts written without spaces between words) are cut into
overlapping character bigrams; everything else is split on word boundaries.

>>> normalize_text("“Aleppo” — Syria’s  SECOND city")
'"aleppo" - syria\\'s second city'
>>> tokenize(normalize_text("Aleppo’s 2nd city: ５０ towns"))
['aleppo', 's', '2nd', 'city', '50', 'towns']
>>> tokenize("東京都の知事")
['東京', '京都', '都の', 'の知', '知事']
"""

from __future__ import annotations

import re
import unicodedata
from itertools import islice

__all__ = ["normalize_text", "tokenize", "token_spans", "split_sentences", "count_sentences", "NO_SPACE_SCRIPT"]

# Characters mapped to one ASCII form: typographic quotes, dashes and odd spaces vary between
# copies of the same text (a CMS "smartens" quotes, a translator uses en dashes).
_TRANSLATE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2033": '"', "\u300c": '"', "\u300d": '"', "\u300e": '"', "\u300f": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u3000": " ",
        "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\u00ad": "",
    }
)

# Scripts written without spaces between words: cut into character bigrams.
NO_SPACE_SCRIPT = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
    "\uac00-\ud7af"  # Hangul syllables
    "\u0e00-\u0e7f"  # Thai
    "\u0e80-\u0eff"  # Lao
    "\u1780-\u17ff"  # Khmer
    "\u1000-\u109f"  # Myanmar
)
# Vowel signs and viramas of the Indic scripts are combining marks, not \w; they belong to
# their word (Devanagari through Sinhala).
_INDIC_MARKS = "\u0900-\u0dff"
_TOKEN = re.compile(rf"[{NO_SPACE_SCRIPT}]+|(?:[^\W_{NO_SPACE_SCRIPT}]|[{_INDIC_MARKS}])+")
# Arabic-script vowel marks and tatweel: optional in Urdu, Arabic and Persian writing, so one
# word appears with and without them.
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_NO_SPACE_RUN = re.compile(rf"[{NO_SPACE_SCRIPT}]+")
_SPACES = re.compile(r"[ \t\r\f\v]+")
# The runs _SPACES would change: a lone space is left as it is, which spares a replacement
# per word of text (same result as _SPACES.sub(" ", ...)).
_SPACES_TO_FIX = re.compile(r"[\t\r\f\v][ \t\r\f\v]*| [ \t\r\f\v]+")
_SENTENCE_END = re.compile(r"(?<=[.!?\u06d4\u061f])\s+|(?<=[\u3002\uff01\uff1f])\s*|\n+")
# The same cuts for a text without the CJK full stops (the middle alternative can never match):
# starting with the whitespace lets the regex engine skip ahead to the next whitespace.
_SENTENCE_END_NO_CJK = re.compile(r"\s(?<=[.!?\u06d4\u061f]\s)\s*|\n+")
_CJK_STOPS = re.compile("[\u3002\uff01\uff1f]")
# What _TOKEN matches in an ASCII text (no no-space script, no Indic marks).
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9]+")


# Every non-ASCII decimal digit (Arabic-Indic, Devanagari, full-width...) mapped to 0-9.
_DIGITS = str.maketrans(
    {chr(c): str(unicodedata.decimal(chr(c))) for c in range(128, 0x110000) if chr(c).isdecimal()}
)


def normalize_text(text: str) -> str:
    """Return ``text`` in one canonical form: NFKC, ASCII quotes/dashes/digits, lower case,
    single spaces, with line breaks kept (boilerplate detection works line by line)."""
    if text.isascii():
        # ASCII is its own NFKC form, holds no other digits or Arabic marks, and case-folds to
        # lower case: only the backquote of the translation table applies.
        text = text.replace("`", "'").lower()
    else:
        text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
        text = _ARABIC_MARKS.sub("", text.translate(_DIGITS)).casefold()
    # _SPACES never matches a line break: one substitution serves every line.
    return "\n".join([line for line in map(str.strip, _SPACES_TO_FIX.sub(" ", text).split("\n")) if line])


def token_spans(text: str, limit: int | None = None) -> list[tuple[int, int]]:
    """``[start, end)`` character span in ``text`` of each token :func:`tokenize` returns;
    with ``limit``, of the first ``limit`` tokens at least (the text is scanned no further:
    a shared passage needs the spans of its own tokens only)."""
    if text.isascii():
        matches = _ASCII_TOKEN.finditer(text)
        return [match.span() for match in (matches if limit is None else islice(matches, limit))]
    spans: list[tuple[int, int]] = []
    for match in _TOKEN.finditer(text):
        if limit is not None and len(spans) >= limit:
            break
        start, end = match.span()
        if end - start > 1 and _NO_SPACE_RUN.fullmatch(match.group()):
            spans.extend((i, i + 2) for i in range(start, end - 1))
        else:
            spans.append((start, end))
    return spans


def tokenize(text: str) -> list[str]:
    """Split normalised text into word tokens; runs of a no-space script become char bigrams."""
    if text.isascii():
        return _ASCII_TOKEN.findall(text)
    if not _NO_SPACE_RUN.search(text):
        return _TOKEN.findall(text)  # every match is one token
    return [text[start:end] for start, end in token_spans(text)]


def _sentence_pieces(text: str) -> list[str]:
    return (_SENTENCE_END if _CJK_STOPS.search(text) else _SENTENCE_END_NO_CJK).split(text)


def split_sentences(text: str) -> list[str]:
    """Split text into sentences on terminal punctuation of any script and on line breaks."""
    return [s.strip() for s in _sentence_pieces(text) if s and s.strip()]


def count_sentences(text: str) -> int:
    """``len(split_sentences(text))``, without building the sentences."""
    return sum(1 for s in _sentence_pieces(text) if s and not s.isspace())
