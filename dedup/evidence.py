"""Evidence for one candidate pair: how much of each text the other one carries.

Containment is measured exactly on shingle sets (not estimated from sketches): candidates are
few, and an exact figure is what an editor is shown. Shared passages are recovered on demand
from the token sequences, with character spans in both original texts.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Sequence
from difflib import SequenceMatcher

import numpy as np

from .features import Features
from .normalize import token_spans
from .shingle import intersection_size

__all__ = ["PairEvidence", "measure_pair", "shared_passages", "Passage", "name_stems", "number_overlap"]


@dataclass(frozen=True)
class PairEvidence:
    """Lexical evidence between document ``a`` and document ``b``.

    ``containment_a_in_b`` is the share of ``a``'s shingles found in ``b`` (1.0: all of ``a`` is
    in ``b``, as for a cut-down copy of ``b``). ``word_containment`` is the same on content words,
    which survives light rewriting. ``number_overlap`` is the share of the smaller set of numbers
    found in the other (``None`` when either side has fewer than two numbers).
    """

    cosine: float
    containment_a_in_b: float
    containment_b_in_a: float
    word_containment_a_in_b: float
    word_containment_b_in_a: float
    number_overlap: float | None
    same_language: bool = True
    order_agreement: float = 0.0
    ordered_containment: float = 0.0
    shared_quotations: int = 0
    embedding_cosine: float | None = None
    name_overlap: float | None = None
    lead_rank: int | None = None
    number_dice: float = 0.0
    shared_numbers: int = 0
    sentence_ratio: float = 0.0
    title_overlap: float | None = None

    @property
    def max_containment(self) -> float:
        return max(self.containment_a_in_b, self.containment_b_in_a)

    @property
    def min_containment(self) -> float:
        return min(self.containment_a_in_b, self.containment_b_in_a)

    @property
    def max_word_containment(self) -> float:
        return max(self.word_containment_a_in_b, self.word_containment_b_in_a)

    def swapped(self) -> "PairEvidence":
        """The same evidence seen from ``b``'s side."""
        return PairEvidence(
            cosine=self.cosine,
            containment_a_in_b=self.containment_b_in_a,
            containment_b_in_a=self.containment_a_in_b,
            word_containment_a_in_b=self.word_containment_b_in_a,
            word_containment_b_in_a=self.word_containment_a_in_b,
            number_overlap=self.number_overlap,
            same_language=self.same_language,
            order_agreement=self.order_agreement,
            ordered_containment=self.ordered_containment,
            shared_quotations=self.shared_quotations,
            embedding_cosine=self.embedding_cosine,
            name_overlap=self.name_overlap,
            lead_rank=self.lead_rank,
            number_dice=self.number_dice,
            shared_numbers=self.shared_numbers,
            sentence_ratio=self.sentence_ratio,
            title_overlap=self.title_overlap,
        )


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def containments(shared: int, size_a: int, size_b: int) -> tuple[float, float]:
    """How much of each of two sets of ``size_a`` and ``size_b`` items their ``shared`` items
    cover (0 for an empty set): containment of a in b, then of b in a."""
    return _share(shared, size_a), _share(shared, size_b)


def _longest_increasing_run(values: np.ndarray) -> int:
    """Length of the longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []
    for value in values.tolist():
        k = bisect.bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
        else:
            tails[k] = value
    return len(tails)


def order_evidence(a: Features, b: Features) -> tuple[float, float]:
    """How well the shared content words keep their order, as ``(agreement, containment)``.

    ``agreement`` is the longest run of shared words that appear in the same order in both
    texts, over the number of shared words; ``containment`` is that run over the shorter
    text's content words. A translation or a rewrite follows its source fact by fact, so its
    shared words come in the same order; two reports of one event share names in any order.
    """
    shared, in_a, in_b = np.intersect1d(a.content_sequence, b.content_sequence, assume_unique=True, return_indices=True)
    if len(shared) == 0:
        return 0.0, 0.0
    run = _longest_increasing_run(in_b[np.argsort(in_a)])
    shorter = min(len(a.content_sequence), len(b.content_sequence))
    return run / len(shared), run / shorter


QUOTATION_MIN_DICE = 0.6


def shared_quotation_count(a: Features, b: Features) -> int:
    """How many of ``a``'s quotations have a counterpart among ``b``'s (content words overlap
    with a Dice coefficient of at least 0.6: a quote survives light editing)."""
    count = 0
    for qa in a.quotations:
        for qb in b.quotations:
            if 2 * intersection_size(qa, qb) >= QUOTATION_MIN_DICE * (len(qa) + len(qb)):
                count += 1
                break
    return count


def _overlap(a: frozenset[str], b: frozenset[str], minimum: int = 2) -> float | None:
    """Share of the smaller set found in the other; ``None`` when either has too few items."""
    if len(a) < minimum or len(b) < minimum:
        return None
    return len(a & b) / min(len(a), len(b))


def number_overlap(a: Features, b: Features) -> float | None:
    """:attr:`PairEvidence.number_overlap` of two documents (a few set operations: cheap
    enough to decide a pair before the costlier evidence is measured)."""
    return _overlap(a.numbers, b.numbers)


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two sets (0 when both are empty): a translation carries the
    same figures as its source, no more and no fewer."""
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


MIN_SENTENCES_TO_COMPARE = 4


def _sentence_ratio(a: int, b: int) -> float:
    """Ratio of two sentence counts, 0 when either text is too short for equal counts to
    mean more than chance (a translation keeps its source's sentences one by one)."""
    if min(a, b) < MIN_SENTENCES_TO_COMPARE:
        return 0.0
    return min(a, b) / max(a, b)


def name_stems(names: frozenset[str]) -> frozenset[str]:
    """First four letters of each name: exonyms and inflections share them (Alep, Aleppo;
    Syrie, Syria, Syrian; Putin, Putina)."""
    return frozenset(name[:4] for name in names)


def measure_pair(
    a: Features,
    b: Features,
    cosine: float,
    *,
    same_language: bool = True,
    embedding_cosine: float | None = None,
    lead_rank: int | None = None,
    shared_shingles: int | None = None,
    shared_words: int | None = None,
) -> PairEvidence:
    """Exact containment both ways (shingles and content words) and number overlap.
    ``shared_shingles`` and ``shared_words``, when given, are the intersection sizes already
    counted for many pairs at once (:func:`dedup.shingle.intersection_sizes`)."""
    shared = intersection_size(a.shingles, b.shingles) if shared_shingles is None else shared_shingles
    if shared_words is None:
        shared_words = intersection_size(a.content_words, b.content_words)
    numbers = number_overlap(a, b)
    agreement, ordered = order_evidence(a, b)
    shingle_share = containments(shared, len(a.shingles), len(b.shingles))
    word_share = containments(shared_words, len(a.content_words), len(b.content_words))
    return PairEvidence(
        cosine=float(cosine),
        containment_a_in_b=shingle_share[0],
        containment_b_in_a=shingle_share[1],
        word_containment_a_in_b=word_share[0],
        word_containment_b_in_a=word_share[1],
        number_overlap=numbers,
        same_language=same_language,
        order_agreement=agreement,
        ordered_containment=ordered,
        shared_quotations=shared_quotation_count(a, b),
        embedding_cosine=embedding_cosine,
        name_overlap=_overlap(name_stems(a.names), name_stems(b.names)),
        lead_rank=lead_rank,
        number_dice=_dice(a.numbers, b.numbers),
        shared_numbers=len(a.numbers & b.numbers),
        sentence_ratio=_sentence_ratio(a.sentences, b.sentences),
        title_overlap=_overlap(a.title_words, b.title_words, minimum=1),
    )


@dataclass(frozen=True)
class Passage:
    """A run of text shared by two documents: ``[start, end)`` character offsets in each
    document's cleaned text, and the number of shared tokens."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    tokens: int


def shared_passages(
    a: Features,
    b: Features,
    *,
    min_tokens: int = 6,
    limit: int = 10,
    a_spans: Sequence[tuple[int, int]] | None = None,
) -> list[Passage]:
    """The longest runs of identical tokens in both texts, longest first (the evidence an
    editor wants to see). Runs shorter than ``min_tokens`` are chance, not copying.
    ``a_spans`` are ``token_spans(a.text)`` when the caller compares ``a`` with many texts.
    Tokens are compared by their 64-bit hashes, which the features already hold: the texts
    need not be tokenised again, only their spans found once a passage is."""
    matcher = SequenceMatcher(None, a.token_hashes.tolist(), b.token_hashes.tolist(), autojunk=False)
    blocks = [m for m in matcher.get_matching_blocks() if m.size >= min_tokens]
    if not blocks:
        return []
    blocks.sort(key=lambda m: m.size, reverse=True)
    a_spans = token_spans(a.text) if a_spans is None else a_spans
    b_spans = token_spans(b.text)
    return [
        Passage(
            a_start=a_spans[m.a][0],
            a_end=a_spans[m.a + m.size - 1][1],
            b_start=b_spans[m.b][0],
            b_end=b_spans[m.b + m.size - 1][1],
            tokens=m.size,
        )
        for m in blocks[:limit]
    ]
