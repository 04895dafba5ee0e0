"""Features of one document, computed once from one tokenisation and shared by every channel.

``Features`` holds what candidate generation and evidence need: the cleaned text, the token
hashes (for TF-IDF), the sorted shingle set (exact containment), the content-word set (the
rewrite channel) and the numbers (facts that survive rewriting and translation).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .boilerplate import BoilerplateModel, strip_boilerplate
from .names import extract_names
from .normalize import NO_SPACE_SCRIPT, count_sentences, normalize_text, tokenize
from .shingle import hash_tokens, shingle_runs, sorted_unique, unique_first

__all__ = ["Features", "FeatureConfig", "extract_features", "extract_numbers", "pack_features", "story_lines", "unpack_features"]

# A number as written: digits with decimal or thousands separators ("19,267,000", "1.2").
# (The look-behind comes after the first digit, so the regex engine can skip to the next digit.)
_NUMBER = re.compile(r"\d(?<![\d.,]\d)\d*(?:[.,]\d+)*")
# Thousands grouped by spaces ("1 000 000", "270 000": French, Russian and many translations;
# normalisation has already turned no-break and thin spaces into plain ones): one to three
# digits, then groups of exactly three, not inside a longer run of digits.
_SPACED_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?![\d])")
_THOUSANDS = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")


def _canonical_number(value: str) -> str:
    """One spelling of a number however its separators are written, so "1,000", "1.000" and
    "1 000" (thousands in English, German and French) match: groups of three after one to
    three digits are thousands, whichever mark separates them ("3.576 billion" becomes
    "3576", alike in every text that writes it so); with both marks, the last is the decimal
    one ("1.000,5" and "1,000.5" are "1000.5"); a lone comma before other than three digits
    is a decimal comma ("1,5" is "1.5"). Anything else (a list such as "14,15,21") stays."""
    marks = {mark for mark in value if mark in ".,"}
    if not marks:
        return value
    if len(marks) == 2:
        cut = max(value.rfind("."), value.rfind(","))
        return value[:cut].replace(".", "").replace(",", "") + "." + value[cut + 1 :]
    if _THOUSANDS.fullmatch(value):
        return value.replace(".", "").replace(",", "")
    if value.count(",") == 1:
        return value.replace(",", ".")
    return value


def extract_numbers(text: str) -> frozenset[str]:
    """The numbers of a normalised text, separators removed, single digits left out (too
    common to tell stories apart); "1.2" and "12" stay distinct, and one number written
    with other separators is the same number (:func:`_canonical_number`).

    >>> sorted(extract_numbers("19,267,000 cwts, 1.2 billion, 3 days, 242 dead"))
    ['1.2', '19267000', '242']
    >>> sorted(extract_numbers("1.000.000 Euro, 270 000 habitants, 1,5 Prozent, 1,000,000 euros"))
    ['1.5', '1000000', '270000']
    """
    found = set()
    text = _SPACED_THOUSANDS.sub(lambda match: match.group().replace(" ", ""), text)
    for value in _NUMBER.findall(text):
        value = _canonical_number(value)
        if len(value) >= 2:
            found.add(value)
    return frozenset(found)


@dataclass(frozen=True)
class FeatureConfig:
    """How text is cut into features.

    ``shingle_size`` words per shingle (3 keeps partial copies visible while making chance
    overlaps rare); content words are tokens of at least ``min_content_chars`` characters or
    numbers, a language-independent stand-in for a stop-word list (function words are short in
    every language we serve; a no-space-script bigram always counts). ``names``: find the
    capitalised names (only the translation channel weighs them; the engine turns them off
    with it, saving a sixth of the indexing time).
    """

    shingle_size: int = 3
    min_content_chars: int = 4
    names: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.shingle_size <= 5:
            raise ValueError(f"shingle_size must be between 1 and 5, got {self.shingle_size}")
        if self.min_content_chars < 1:
            raise ValueError(f"min_content_chars must be positive, got {self.min_content_chars}")


@dataclass(frozen=True, slots=True)
class Features:
    """Everything later steps need from one document. Every hash keeps the low 32 bits of its
    64-bit hash: MinHash reads no more (datasketch's ``affine32`` scheme), TF-IDF columns far
    fewer. Two distinct shingles share their low 32 bits once in 4.3 billion: two texts of
    1,000 shingles each gain a false shared shingle about once in 4,300 pairs (containment
    off by a thousandth), two Reuters-sized texts once in 250,000; the arrays take half the
    memory. Hash sets are
    sorted unique ``uint32`` arrays; ``token_hashes`` holds each token's hash, in order;
    ``content_sequence`` holds each content word once, in order of first appearance (the order
    evidence: a translation or copy keeps the order of the facts).

    The tokens themselves are not kept (a tuple of strings is most of a document's memory);
    :attr:`tokens` tokenises :attr:`text` again for the rare caller that needs them (shared
    passages). ``numbers``, ``names`` and ``title_words`` are sorted tuples of distinct,
    interned strings: the same names and figures recur across thousands of documents, and a
    frozenset of a handful of strings takes four to eight times a tuple's memory (on 19k
    Reuters texts, 1,065 against 164 bytes a document for the figures and title words).
    Evidence turns them into sets for the moment it compares two documents; any collection
    of distinct strings is accepted in their place."""

    text: str
    token_hashes: np.ndarray
    shingles: np.ndarray
    content_words: np.ndarray
    numbers: tuple[str, ...]
    content_sequence: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint32))
    quotations: tuple[np.ndarray, ...] = ()
    names: tuple[str, ...] = ()
    sentences: int = 0
    title_words: tuple[str, ...] = ()

    @property
    def tokens(self) -> tuple[str, ...]:
        """The tokens of :attr:`text`, in order (one per entry of :attr:`token_hashes`)."""
        return tuple(tokenize(self.text))

    @property
    def length(self) -> int:
        """Number of tokens after boilerplate removal."""
        return len(self.token_hashes)


def _interned(strings: Iterable[str]) -> tuple[str, ...]:
    """The distinct ``strings``, interned, as a sorted tuple (see :class:`Features`)."""
    return tuple(sorted(set(map(sys.intern, strings))))


def story_lines(text: str) -> list[str]:
    """Normalised, non-empty lines of ``text`` (the unit boilerplate is learned on)."""
    return normalize_text(text).split("\n")


_NO_SPACE_BIGRAM = re.compile(f"[{NO_SPACE_SCRIPT}]+")


# Text inside double quotes (normalisation has already mapped curly quotes, guillemets and
# corner brackets to ASCII "), at least three words long.
_QUOTATION = re.compile(r'"([^"\n]{12,600})"')


def _quotations(text: str, min_chars: int) -> tuple[np.ndarray, ...]:
    """Content-word hash sets of each quotation: what a source said survives rewriting and
    translation nearly word for word, and quoting the same long sentence is strong evidence
    of copying from one text."""
    quotes = []
    for match in _QUOTATION.finditer(text):
        words = [t for t in tokenize(match.group(1)) if _is_content(t, min_chars)]
        if len(words) >= 2:
            quotes.append(sorted_unique(hash_tokens(words).astype(np.uint32)))
    return tuple(quotes)


def _is_content(token: str, min_chars: int) -> bool:
    return len(token) >= min_chars or token.isdigit() or bool(_NO_SPACE_BIGRAM.fullmatch(token))


def _content_mask(tokens: list[str], text: str, min_chars: int) -> np.ndarray:
    """:func:`_is_content` of each token, as a boolean array."""
    if not text.isascii() and _NO_SPACE_BIGRAM.search(text):
        return np.fromiter((_is_content(t, min_chars) for t in tokens), dtype=bool, count=len(tokens))
    # No no-space script in the text: length and digits decide.
    long_enough = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens)) >= min_chars
    return long_enough | np.fromiter(map(str.isdigit, tokens), dtype=bool, count=len(tokens))


# A sentence end inside a line: terminal punctuation, then blanks other than a line break.
_INNER_SENTENCE_END = re.compile(r"[.!?\u06d4\u061f][^\S\n]+")
_CJK_STOPS = re.compile("[\u3002\uff01\uff1f]")


def _sentence_count(lines: list[str], clean: str) -> int:
    """``count_sentences(clean)`` for ``clean = "\n".join(lines)``, lines stripped and not
    empty (as normalisation leaves them): each line break ends a sentence (a blank run after
    terminal punctuation that spans a line break is one cut too), so there are as many
    sentences as lines plus sentence ends inside lines."""
    if not clean:
        return 0
    if _CJK_STOPS.search(clean):  # a full stop that needs no blank after it
        return count_sentences(clean)
    return len(lines) + len(_INNER_SENTENCE_END.findall(clean))


def extract_features(
    text: str,
    *,
    source: str = "",
    boilerplate: BoilerplateModel | None = None,
    config: FeatureConfig = FeatureConfig(),
    title: str = "",
) -> Features:
    """Normalise ``text``, strip its boilerplate and compute every feature set; the
    ``title``'s content words are kept apart (they tell short template texts apart)."""
    lines = strip_boilerplate(story_lines(text), source, boilerplate)
    clean = "\n".join(lines)
    tokens = tokenize(clean)
    hashes = hash_tokens(tokens)
    low = hashes.astype(np.uint32)  # the low 32 bits (see Features)
    content = low[_content_mask(tokens, clean, config.min_content_chars)]
    content_words, first = unique_first(content)  # first: where each first appears
    return Features(
        text=clean,
        token_hashes=low,
        shingles=sorted_unique(shingle_runs(hashes, config.shingle_size).astype(np.uint32)),
        content_words=content_words,
        numbers=_interned(extract_numbers(clean)),
        content_sequence=content[np.sort(first)],
        quotations=_quotations(clean, config.min_content_chars),
        names=_interned(extract_names(text)) if config.names else (),
        sentences=_sentence_count(lines, clean),
        title_words=_interned(t for t in tokenize(normalize_text(title)) if _is_content(t, config.min_content_chars)),
    )


_ARRAY_FIELDS = ("token_hashes", "shingles", "content_words", "content_sequence")


def pack_features(features: Sequence[Features]) -> dict[str, object]:
    """The features of many documents as a few arrays and lists, to send from one process to
    another (:func:`unpack_features` takes them back): pickled one by one, each document's
    half-dozen small arrays cost half as much again as computing them (41 us to pickle and
    36 us to unpickle a generated Reuters document's features, against 156 us to compute
    them)."""
    packed: dict[str, object] = {}
    for name in _ARRAY_FIELDS:
        packed[name] = _concatenated([getattr(f, name) for f in features])
    quotations = [q for f in features for q in f.quotations]
    packed["quotations"] = (*_concatenated(quotations), [len(f.quotations) for f in features])
    for name in ("text", "numbers", "names", "sentences", "title_words"):
        packed[name] = [getattr(f, name) for f in features]
    return packed


def unpack_features(packed: dict[str, object]) -> list[Features]:
    """The features :func:`pack_features` packed, in order, equal to them."""
    columns = {name: _split(*packed[name]) for name in _ARRAY_FIELDS}  # type: ignore[misc]
    values, lengths, counts = packed["quotations"]  # type: ignore[misc]
    quotations, at = _split(values, lengths), 0
    grouped = []
    for count in counts:
        grouped.append(tuple(quotations[at : at + count]))
        at += count
    return [
        Features(text, hashes, shingles, words, numbers, sequence, quotes, names, sentences, title_words)
        for text, hashes, shingles, words, numbers, sequence, quotes, names, sentences, title_words in zip(
            packed["text"],  # type: ignore[call-overload]
            columns["token_hashes"],
            columns["shingles"],
            columns["content_words"],
            packed["numbers"],  # type: ignore[call-overload]
            columns["content_sequence"],
            grouped,
            packed["names"],  # type: ignore[call-overload]
            packed["sentences"],  # type: ignore[call-overload]
            packed["title_words"],  # type: ignore[call-overload]
        )
    ]


def _concatenated(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``arrays`` (of one dtype) end to end, and their lengths."""
    lengths = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
    return (np.concatenate(arrays) if arrays else np.empty(0, dtype=np.uint32)), lengths


def _split(values: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    """``values`` cut back into pieces of ``lengths``, each an array of its own (not a view,
    which would keep the whole packed array alive while any piece is)."""
    ends = np.cumsum(lengths).tolist()
    return [values[start:end].copy() for start, end in zip([0, *ends[:-1]], ends)]
