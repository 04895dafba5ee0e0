"""The indexing fast paths give exactly what the plain definitions give, on any text.

Each fast path (ASCII normalisation, findall tokenisation, sentence counting, the number regex,
the boilerplate prefilter, shared name extraction) is checked against the straightforward
version it replaced, written out here.
"""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.boilerplate import _PATTERNS, is_pattern_boilerplate
from dedup.features import extract_features, extract_numbers
from dedup.names import _WORD, extract_names, transliterate
from dedup.normalize import (
    _ARABIC_MARKS,
    _DIGITS,
    _NO_SPACE_RUN,
    _SENTENCE_END,
    _TOKEN,
    _TRANSLATE,
    count_sentences,
    normalize_text,
    split_sentences,
    token_spans,
    tokenize,
)

# Characters the fast paths branch on: every kind of space, line breaks, backquotes, sentence
# ends of several scripts, separators inside numbers, accents, Han, Arabic marks.
_ALPHABET = list("aAbByZ09 \t\r\f\v\n\n`'\".,!?-_|()©") + list("é\u00a0\u2019\u3002\u06d4\u064b东京\u0661\uff15")
texts = st.text(alphabet=st.sampled_from(_ALPHABET), max_size=60)
words = st.lists(
    st.sampled_from(["by", "from", "prev", "next", "sign up", "(c)", "©", "newsletter", "privacy policy",
                     "cookie", "terms of use", "related", "articles", "share", "on", "this", "x", "policy", "|", " "]),
    max_size=8,
).map(" ".join)


def _normalize_reference(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = _ARABIC_MARKS.sub("", text.translate(_DIGITS)).casefold()
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


@settings(max_examples=400)
@given(texts)
def test_normalize_text(text: str) -> None:
    assert normalize_text(text) == _normalize_reference(text)


def _spans_reference(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        if end - start > 1 and _NO_SPACE_RUN.fullmatch(match.group()):
            spans.extend((i, i + 2) for i in range(start, end - 1))
        else:
            spans.append((start, end))
    return spans


@settings(max_examples=400)
@given(texts)
def test_tokenize_and_sentences(text: str) -> None:
    for candidate in (text, normalize_text(text)):
        assert token_spans(candidate) == _spans_reference(candidate)
        for limit in (0, 1, 3):  # the first ``limit`` spans at least, as the whole scan's
            spans = token_spans(candidate, limit=limit)
            assert spans == _spans_reference(candidate)[: len(spans)] and len(spans) >= min(limit, len(_spans_reference(candidate)))
        assert tokenize(candidate) == [candidate[a:b] for a, b in token_spans(candidate)]
        sentences = [s.strip() for s in _SENTENCE_END.split(candidate) if s and s.strip()]
        assert split_sentences(candidate) == sentences
        assert count_sentences(candidate) == len(sentences)


@settings(max_examples=400)
@given(st.text(alphabet=st.sampled_from(list("0123456789.,, a\n")), max_size=40))
def test_numbers(text: str) -> None:
    """The look-behind regex and the separator rules against a plain statement of them."""

    def canonical(value: str) -> str:
        groups, marks = re.split(r"[.,]", value), re.findall(r"[.,]", value)
        if len(set(marks)) == 2:
            return "".join(groups[:-1]) + "." + groups[-1]
        if marks and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
            return "".join(groups)
        return value.replace(",", ".") if marks == [","] else value

    joined = re.sub(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?!\d)", lambda m: m.group().replace(" ", ""), text)
    found = set()
    for match in re.finditer(r"(?<![\d.,])\d+(?:[.,]\d+)*", joined):
        value = canonical(match.group())
        if len(value) >= 2:
            found.add(value)
    assert extract_numbers(text) == frozenset(found)


@settings(max_examples=400)
@given(words)
def test_boilerplate_prefilter(line: str) -> None:
    assert is_pattern_boilerplate(line) == (len(line) <= 120 and bool(_PATTERNS.match(line)))


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("AaBbPpUu'’- .\nÉéП")), max_size=40))
def test_names(text: str) -> None:
    capitalised, lower = set(), set()
    for match in _WORD.finditer(unicodedata.normalize("NFKC", text)):
        word = match.group()
        if word[0].isupper():
            capitalised.add(word.lower())
        elif word[0].islower():
            lower.add(word.lower())
    expected = {transliterate(w) for w in capitalised - lower if len(transliterate(w)) >= 3}
    assert extract_names(text) == frozenset(expected)


@settings(max_examples=400)
@given(texts)
def test_sentence_count_of_features(text: str) -> None:
    features = extract_features(text)
    assert features.sentences == len(split_sentences(features.text))


@settings(max_examples=300)
@given(texts)
def test_content_mask_is_each_tokens_own_test(text: str) -> None:
    """The content-word mask (lengths and digits only where no no-space script is present,
    the ASCII texts skipping even that search) marks the tokens _is_content marks."""
    import numpy as np

    from dedup.features import _content_mask, _is_content

    clean = normalize_text(text)
    tokens = tokenize(clean)
    for min_chars in (1, 3, 4):
        expected = np.array([_is_content(t, min_chars) for t in tokens], dtype=bool)
        assert np.array_equal(_content_mask(tokens, clean, min_chars), expected)
