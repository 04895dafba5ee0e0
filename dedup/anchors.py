"""Anchors that survive translation, and the pairs in two languages they leave possible.

A translation keeps its source's figures, its names (exonyms and transliterations share their
first letters: Alep, Aleppo) and its sentences one by one. The translation model weighs these
beside the lead embedding (:func:`dedup.relate.translation_probability`), and for most pairs
in two languages they alone settle the question: a pair that shares no figure and fewer than
two names is not a translation (:func:`dedup.relate.shares_an_anchor`), and most of the others
cannot reach the threshold whatever the embedding says
(:func:`dedup.relate.translation_probability_ceiling`).

:class:`AnchorIndex` keeps each document's figures and name stems in postings lists (written
here by hand: an inverted index over a few dozen strings per document, with the counts each
query needs computed in NumPy) and answers, for one document, its *partners*: the indexed
documents in another language, published within the translation lag of it when both are
dated, whose pair with it can still be a translation. The translation
channel embeds and compares only partners, so the costliest step of a multilingual corpus,
embedding leads, is spent only on documents that have one.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import datetime

import numpy as np

from .evidence import MIN_SENTENCES_TO_COMPARE, name_stems, unmatched_share
from .features import Features
from .relate import SECONDS_PER_DAY, shares_an_anchor_many, translation_probability_ceiling
from .shingle import unique_counts

__all__ = ["AnchorIndex", "anchors_of"]

#: A postings list per anchor and language code: the rows holding the anchor.
_Postings = dict[str, dict[int, list[int]]]


def anchors_of(features: Features) -> tuple[Collection[str], frozenset[str]]:
    """The figures and the name stems of a document: the parts of it a translation keeps."""
    return features.numbers, name_stems(features.names)


class AnchorIndex:
    """Figures and name stems of indexed documents, by row; rows are reused after removal
    (the last row moves into the freed one), so the live rows are always ``0..len - 1``.

    >>> from dedup.features import extract_features
    >>> index = AnchorIndex(threshold=0.97)
    >>> index.add("ru", extract_features("Путин осмотрел 54 корабля и 4000 военных. Кремль."), "ru")
    >>> index.add("de", extract_features("Bayern gewann 3:1 vor 75000 Zuschauern."), "de")
    >>> en = extract_features("Putin reviewed 54 ships and 4000 troops. Kremlin.")
    >>> index.partners(en, "en")  # the German report shares neither a figure nor a name
    ['ru']
    """

    def __init__(self, threshold: float, max_lag_days: float = math.inf) -> None:
        #: The translation probability a pair must be able to reach to be partners.
        self.threshold = threshold
        #: Two dated documents further apart than this are not partners
        #: (:func:`dedup.relate.within_translation_lag`).
        self.max_lag_days = max_lag_days
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._anchors: list[tuple[Collection[str], frozenset[str]]] = []
        # Figures, then name stems: key -> language code -> rows holding it. Split by language
        # because partners are in other languages only: in an index that is mostly one
        # language, a query of that language reads only the few rows of the others.
        self._postings: tuple[_Postings, _Postings] = ({}, {})
        self._size = np.zeros((16, 3), dtype=np.int32)  # figures, name stems, sentences
        self._codes = np.zeros(16, dtype=np.int32)
        self._days = np.full(16, np.nan)  # publication time in days, NaN when undated
        self._code_of: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._row

    def add(self, doc_id: str, features: Features, language: str, published_at: datetime | None = None) -> None:
        """Hold the anchors of ``doc_id`` (replacing what it had)."""
        if doc_id in self._row:
            self.remove(doc_id)
        row = len(self._ids)
        if row == len(self._size):
            self._size = np.concatenate([self._size, np.zeros_like(self._size)])
            self._codes = np.concatenate([self._codes, np.zeros_like(self._codes)])
            self._days = np.concatenate([self._days, np.full_like(self._days, np.nan)])
        anchors = anchors_of(features)
        code = self._code_of.setdefault(language, len(self._code_of))
        for postings, keys in zip(self._postings, anchors):
            for key in keys:
                postings.setdefault(key, {}).setdefault(code, []).append(row)
        self._size[row] = (len(anchors[0]), len(anchors[1]), features.sentences)
        self._codes[row] = code
        self._days[row] = _days(published_at)
        self._ids.append(doc_id)
        self._row[doc_id] = row
        self._anchors.append(anchors)

    def remove(self, doc_id: str) -> None:
        """Forget ``doc_id`` (unknown ids are ignored)."""
        row = self._row.pop(doc_id, None)
        if row is None:
            return
        code = int(self._codes[row])
        for postings, keys in zip(self._postings, self._anchors[row]):
            for key in keys:
                by_code = postings[key]
                rows = by_code[code]
                _discard(rows, row)
                if not rows:
                    del by_code[code]
                    if not by_code:
                        del postings[key]
        last = len(self._ids) - 1
        if row != last:
            moved = self._ids[last]
            moved_code = int(self._codes[last])
            for postings, keys in zip(self._postings, self._anchors[last]):
                for key in keys:
                    rows = postings[key][moved_code]
                    rows[_position(rows, last)] = row
            self._size[row] = self._size[last]
            self._codes[row] = self._codes[last]
            self._days[row] = self._days[last]
            self._ids[row], self._anchors[row] = moved, self._anchors[last]
            self._row[moved] = row
        self._ids.pop()
        self._anchors.pop()

    @staticmethod
    def _shared(keys: Collection[str], postings: _Postings, code: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows in another language than ``code`` that hold some of ``keys``, ascending,
        and how many of them each holds."""
        hits = [rows for key in keys for other, rows in postings.get(key, {}).items() if other != code]
        if not hits:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return unique_counts(np.concatenate(hits))

    def partners(
        self,
        features: Features,
        language: str,
        *,
        exclude: str | None = None,
        threshold: float | None = None,
        published_at: datetime | None = None,
    ) -> list[str]:
        """Indexed documents in another language than ``language`` whose pair with this
        document can still reach ``threshold`` (default: the index's) under the translation
        model, and that were not published too long before or after ``published_at``, in row
        order; ``exclude`` (the document itself) is left out."""
        threshold = self.threshold if threshold is None else threshold
        numbers, stems = anchors_of(features)
        code = self._code_of.get(language, -1)
        # A pair sharing neither a figure nor enough names is not a translation
        # (:func:`dedup.relate.shares_an_anchor`): only the rows that share them are weighed.
        number_rows, number_counts = self._shared(numbers, self._postings[0], code)
        stem_rows, stem_counts = self._shared(stems, self._postings[1], code)
        rows = np.union1d(number_rows, stem_rows)
        shared_numbers = np.zeros(len(rows), dtype=np.int64)
        shared_numbers[np.searchsorted(rows, number_rows)] = number_counts
        shared_stems = np.zeros(len(rows), dtype=np.int64)
        shared_stems[np.searchsorted(rows, stem_rows)] = stem_counts
        keep = shares_an_anchor_many(shared_numbers, shared_stems)
        if exclude is not None and exclude in self._row:
            keep &= rows != self._row[exclude]
        if published_at is not None and math.isfinite(self.max_lag_days):
            lag = np.abs(self._days[rows] - _days(published_at))  # NaN (never too long) if undated
            keep &= ~(lag > self.max_lag_days)
        rows, shared_numbers, shared_stems = rows[keep], shared_numbers[keep], shared_stems[keep]
        if not len(rows):
            return []
        size = self._size[rows]
        ceiling = translation_probability_ceiling(
            *pair_anchor_inputs((len(numbers), len(stems), features.sentences), size, shared_numbers, shared_stems)
        )
        return [self._ids[row] for row in rows[ceiling >= threshold].tolist()]


def _position(rows: list[int], row: int) -> int:
    """Where ``row`` is in ``rows``, looked for at the end first: the rows removed most often
    are the newest (the service stages each scored document, then removes it), whose entries
    were appended last, and a long postings list (a figure or a name in thousands of
    documents) is costly to scan from the front."""
    for k in range(len(rows) - 1, max(len(rows) - 9, -1), -1):
        if rows[k] == row:
            return k
    return rows.index(row)


def _discard(rows: list[int], row: int) -> None:
    """Take ``row`` out of ``rows`` (see :func:`_position`)."""
    if rows[-1] == row:
        rows.pop()
    else:
        del rows[_position(rows, row)]


def _days(published_at: datetime | None) -> float:
    """A publication time in days since the epoch (NaN when unknown)."""
    return published_at.timestamp() / SECONDS_PER_DAY if published_at is not None else math.nan


def pair_anchor_inputs(
    own: tuple[int, int, int], others: np.ndarray, shared_numbers: np.ndarray, shared_stems: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The translation model's embedding-free inputs for one document against many, as
    :func:`dedup.evidence.measure_pair` computes them pair by pair: ``own`` and the rows of
    ``others`` are (figures, name stems, sentences) counts."""
    own_numbers, own_stems, own_sentences = own
    numbers, stems, sentences = others[:, 0], others[:, 1], others[:, 2]
    total_numbers = own_numbers + numbers
    number_dice = np.where(total_numbers > 0, 2 * shared_numbers / np.maximum(total_numbers, 1), 0.0)
    has_numbers = (own_numbers >= 2) & (numbers >= 2)
    has_names = (own_stems >= 2) & (stems >= 2)
    name_overlap = np.where(has_names, shared_stems / np.maximum(np.minimum(own_stems, stems), 1), 0.0)
    fewer, more = np.minimum(own_sentences, sentences), np.maximum(own_sentences, sentences)
    sentence_ratio = np.where(fewer >= MIN_SENTENCES_TO_COMPARE, fewer / np.maximum(more, 1), 0.0)
    unmatched_numbers = unmatched_share(np.maximum(own_numbers, numbers), shared_numbers)
    return (
        number_dice,
        shared_numbers,
        has_numbers.astype(float),
        name_overlap,
        has_names.astype(float),
        sentence_ratio,
        unmatched_numbers,
    )
