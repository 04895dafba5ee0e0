"""Evidence for one candidate pair: how much of each text the other one carries.

Containment is measured exactly on shingle sets (not estimated from sketches): candidates are
few, and an exact figure is what an editor is shown. Shared passages are recovered on demand
from the token sequences, with character spans in both original texts.
"""

from __future__ import annotations

import bisect
import heapq
import operator
from dataclasses import dataclass, fields
from difflib import SequenceMatcher
from typing import Collection, Iterable, Sequence

import numpy as np

from .features import Features
from .normalize import token_spans
from .shingle import intersection_size, tagged_pair

__all__ = [
    "PairEvidence",
    "evidence_values",
    "measure_pair",
    "shared_passages",
    "PassageFinder",
    "Passage",
    "name_stems",
    "number_overlap",
    "shared_number_counts",
    "grouped_shared_number_counts",
    "grouped_order_evidence",
    "unmatched_share",
]


@dataclass(frozen=True, slots=True)
class PairEvidence:
    """Lexical evidence between document ``a`` and document ``b``.

    ``containment_a_in_b`` is the share of ``a``'s shingles found in ``b`` (1.0: all of ``a`` is
    in ``b``, as for a cut-down copy of ``b``). ``word_containment`` is the same on content words,
    which survives light rewriting. ``number_overlap`` is the share of the smaller set of numbers
    found in the other (``None`` when either side has fewer than two numbers);
    ``unmatched_numbers`` the share of the larger set missing from the other
    (:func:`unmatched_share`). ``shared_name_stems`` counts the name stems (:func:`name_stems`)
    both texts hold.
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
    unmatched_numbers: float = 0.0
    shared_name_stems: int = 0

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
            unmatched_numbers=self.unmatched_numbers,
            shared_name_stems=self.shared_name_stems,
        )

    def __reduce__(self) -> tuple:
        # Pickled as its values, in field order: through the state methods the dataclass gives
        # a slotted class, 100k links took 0.9-1.1 s to pickle and 1.3-1.5 s to load, against 0.4
        # and 0.9 s this way (the batch job's workers send back every link they decide).
        return (PairEvidence, evidence_values(self))


#: A :class:`PairEvidence`'s field values as a tuple, in field order (what it pickles as, and
#: what :mod:`dedup.link_table` packs into a row).
evidence_values = operator.attrgetter(*(f.name for f in fields(PairEvidence)))


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def containments(shared: int, size_a: int, size_b: int) -> tuple[float, float]:
    """How much of each of two sets of ``size_a`` and ``size_b`` items their ``shared`` items
    cover (0 for an empty set): containment of a in b, then of b in a."""
    return _share(shared, size_a), _share(shared, size_b)


def _longest_increasing_run(values: np.ndarray) -> int:
    """Length of the longest strictly increasing subsequence (patience sorting; a copy's
    shared words all come in order, which one array comparison sees)."""
    falls = np.flatnonzero(values[1:] <= values[:-1])
    if not len(falls):
        return len(values)
    # The increasing run before the first fall is its own list of tails; after it, a value
    # above every tail (most of them, in a copy with a few paragraphs moved) needs no search.
    sequence = values.tolist()
    tails: list[int] = sequence[: int(falls[0]) + 1]
    for value in sequence[int(falls[0]) + 1 :]:
        if value > tails[-1]:
            tails.append(value)
        else:
            tails[bisect.bisect_left(tails, value)] = value
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


def order_evidence_many(a: Features, others: Sequence[Features]) -> np.ndarray:
    """:func:`order_evidence` of ``a`` with each of ``others``, as an ``(n, 2)`` array
    (:func:`grouped_order_evidence` with one first text)."""
    return grouped_order_evidence([a], np.zeros(len(others), dtype=np.int64), others)


def grouped_order_evidence(firsts: Sequence[Features], group: np.ndarray, others: Sequence[Features]) -> np.ndarray:
    """:func:`order_evidence` of ``firsts[group[k]]`` with ``others[k]``, for each ``k``, as an
    ``(n, 2)`` array, in one vectorised pass (the batch job measures the pairs of thousands of
    documents together, the score path a query's): intersecting each pair's sequences on its
    own was a third of measuring a pair.

    Each other text's words are looked up in its first text's, in the other text's order; the
    run is the longest strictly increasing subsequence of their positions in the first text,
    the same as of their positions in the other text taken in the first's order (both count
    the longest chain of shared words in one order in both texts). Most copies keep every
    shared word in order, which one comparison of neighbours sees for all pairs at once; the
    others get the patience sort."""
    found = np.zeros((len(others), 2))
    if not len(others):
        return found
    first_lengths = np.fromiter((len(f.content_sequence) for f in firsts), dtype=np.int64, count=len(firsts))
    lengths = np.fromiter((len(o.content_sequence) for o in others), dtype=np.int64, count=len(others))
    if not first_lengths.sum() or not lengths.sum():
        return found
    # Every first text's sequence in one array, each word tagged with its text's number: the
    # positions ``order`` gives are offset by where the text starts, which changes no run.
    sequences, values = tagged_pair([f.content_sequence for f in firsts], group, [o.content_sequence for o in others])
    order = np.argsort(sequences, kind="stable")
    ordered = sequences[order]
    at = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    hit = ordered[at] == values
    positions = order[at[hit]]  # in the first text, of each shared word, in the other text's order
    rows = np.repeat(np.arange(len(others)), lengths)[hit]
    shared = np.bincount(rows, minlength=len(others))
    # A row whose positions ever fall from one shared word to the next is out of order.
    falls = np.bincount(rows[1:][(rows[1:] == rows[:-1]) & (positions[1:] <= positions[:-1])], minlength=len(others))
    runs = shared.astype(np.float64)
    starts = np.concatenate(([0], np.cumsum(shared)))
    for row in np.flatnonzero(falls).tolist():
        runs[row] = _longest_increasing_run(positions[starts[row] : starts[row + 1]])
    shorter = np.minimum(first_lengths[group], lengths)
    has = shared > 0
    found[has, 0] = runs[has] / shared[has]
    found[has, 1] = runs[has] / shorter[has]
    return found


QUOTATION_MIN_DICE = 0.6


def shared_quotation_count(a: Features, b: Features) -> int:
    """How many of ``a``'s quotations have a counterpart among ``b``'s (content words overlap
    with a Dice coefficient of at least 0.6: a quote survives light editing)."""
    if not a.quotations or not b.quotations:
        return 0
    # A quotation holds a dozen words or so: Python sets intersect them faster than NumPy.
    others = [set(qb.tolist()) for qb in b.quotations]
    count = 0
    for qa in a.quotations:
        words = qa.tolist()
        for qb in others:
            if 2 * len(qb.intersection(words)) >= QUOTATION_MIN_DICE * (len(words) + len(qb)):
                count += 1
                break
    return count


def _shared_count(a: Collection[str], b: Collection[str]) -> int:
    """How many strings two collections of distinct strings (a document's figures, names,
    title words: see :class:`dedup.features.Features`) have in common."""
    if not a or not b:
        return 0
    return len(set(a).intersection(b))


def _overlap(a: Collection[str], b: Collection[str], minimum: int = 2, shared: int | None = None) -> float | None:
    """Share of the smaller collection found in the other (``shared``: how many the two have
    in common, when already counted); ``None`` when either has too few items."""
    if len(a) < minimum or len(b) < minimum:
        return None
    return (_shared_count(a, b) if shared is None else shared) / min(len(a), len(b))


def number_overlap(a: Features, b: Features, shared: int | None = None) -> float | None:
    """:attr:`PairEvidence.number_overlap` of two documents (a few set operations: cheap
    enough to decide a pair before the costlier evidence is measured); ``shared``: how many
    figures they have in common, when already counted (:func:`shared_number_counts`)."""
    return _overlap(a.numbers, b.numbers, shared=shared)


def shared_number_counts(a: Features, others: Sequence[Features]) -> list[int]:
    """How many figures ``a`` has in common with each of ``others``
    (:func:`grouped_shared_number_counts` with one first text)."""
    return grouped_shared_number_counts([a], [0] * len(others), others)


def grouped_shared_number_counts(firsts: Sequence[Features], group: Sequence[int], others: Sequence[Features]) -> list[int]:
    """How many figures ``firsts[group[k]]`` has in common with ``others[k]``, for each ``k``,
    each first text's figures made a set once (financial reports carry dozens of figures;
    the rule-out and the measurement each made one per pair before)."""
    figures = [set(f.numbers) if f.numbers else None for f in firsts]
    counts = []
    for g, b in zip(group, others):
        mine = figures[g]
        counts.append(len(mine.intersection(b.numbers)) if mine is not None and b.numbers else 0)
    return counts


def unmatched_share(more: int | np.ndarray, shared: int | np.ndarray) -> float | np.ndarray:
    """Share of the larger of two sets of figures (``more`` items) missing from the other,
    ``shared`` of them being in both, smoothed by one so that a single figure says little:
    a translation keeps its source's figures, so figures that one side has and the other
    lacks are evidence against it. (The dice coefficient alone read one shared figure out
    of one against two, say a "25" in two unrelated reports, as two thirds of a match.)

    >>> unmatched_share(1, 1), unmatched_share(2, 1), round(unmatched_share(5, 1), 3)
    (0.0, 0.3333333333333333, 0.667)
    """
    return (more - shared) / (more + 1)


def further_evidence_many(
    firsts: Sequence[Features], group: np.ndarray, others: Sequence[Features], shared_numbers: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For ``firsts[group[k]]`` against ``others[k]``, for each ``k``, the fields of
    :class:`PairEvidence` that come from figures, sentence counts and titles, as
    :func:`measure_pair` computes them (to the last bit): ``number_dice``,
    ``shared_numbers``, ``unmatched_numbers``, ``sentence_ratio`` and ``title_overlap`` (NaN
    where it is ``None``). ``shared_numbers[k]`` is the pair's count of shared figures
    (:func:`grouped_shared_number_counts`). What the link decision's screen needs to compute
    the link model's inputs from them exactly, without measuring the pair."""
    shared = np.asarray(shared_numbers, dtype=np.int64)
    first_numbers = np.array([len(a.numbers) for a in firsts], dtype=np.int64)[group]
    numbers = np.array([len(b.numbers) for b in others], dtype=np.int64)
    total = first_numbers + numbers
    dice = np.divide(2 * shared, total, out=np.zeros(len(shared)), where=total > 0)
    unmatched = unmatched_share(np.maximum(first_numbers, numbers), shared)
    first_sentences = np.array([a.sentences for a in firsts], dtype=np.int64)[group]
    sentences = np.array([b.sentences for b in others], dtype=np.int64)
    low, high = np.minimum(first_sentences, sentences), np.maximum(first_sentences, sentences)
    ratio = np.divide(low, high, out=np.zeros(len(low)), where=low >= MIN_SENTENCES_TO_COMPARE)
    titles = np.array(
        [_overlap(firsts[g].title_words, b.title_words, minimum=1) for g, b in zip(group.tolist(), others)], dtype=float
    )  # None -> NaN
    return dice, shared, unmatched, ratio, titles


def _dice(a: Collection[str], b: Collection[str], shared: int) -> float:
    """Dice coefficient of two collections with ``shared`` items in common (0 when both are
    empty): a translation carries the same figures as its source, no more and no fewer."""
    return 2 * shared / (len(a) + len(b)) if a or b else 0.0


MIN_SENTENCES_TO_COMPARE = 4


def _sentence_ratio(a: int, b: int) -> float:
    """Ratio of two sentence counts, 0 when either text is too short for equal counts to
    mean more than chance (a translation keeps its source's sentences one by one)."""
    if min(a, b) < MIN_SENTENCES_TO_COMPARE:
        return 0.0
    return min(a, b) / max(a, b)


_NO_STEMS: frozenset[str] = frozenset()


def name_stems(names: Iterable[str]) -> frozenset[str]:
    """First four letters of each name: exonyms and inflections share them (Alep, Aleppo;
    Syrie, Syria, Syrian; Putin, Putina). (Most documents hold no names when the translation
    channel is off: they share one empty set, made once.)"""
    return frozenset(name[:4] for name in names) if names else _NO_STEMS


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
    order: tuple[float, float] | None = None,
    shared_numbers: int | None = None,
) -> PairEvidence:
    """Exact containment both ways (shingles and content words) and number overlap.
    ``shared_shingles`` and ``shared_words``, when given, are the intersection sizes already
    counted for many pairs at once (:func:`dedup.shingle.grouped_intersection_sizes`), and
    ``order`` is :func:`order_evidence` computed so (:func:`grouped_order_evidence`), as
    ``shared_numbers`` is (:func:`grouped_shared_number_counts`)."""
    shared = intersection_size(a.shingles, b.shingles) if shared_shingles is None else shared_shingles
    if shared_words is None:
        shared_words = intersection_size(a.content_words, b.content_words)
    if shared_numbers is None:
        shared_numbers = _shared_count(a.numbers, b.numbers)
    agreement, ordered = order_evidence(a, b) if order is None else order
    shingle_share = containments(shared, len(a.shingles), len(b.shingles))
    word_share = containments(shared_words, len(a.content_words), len(b.content_words))
    stems_a, stems_b = name_stems(a.names), name_stems(b.names)
    return PairEvidence(
        cosine=float(cosine),
        containment_a_in_b=shingle_share[0],
        containment_b_in_a=shingle_share[1],
        word_containment_a_in_b=word_share[0],
        word_containment_b_in_a=word_share[1],
        number_overlap=_overlap(a.numbers, b.numbers, shared=shared_numbers),
        same_language=same_language,
        order_agreement=agreement,
        ordered_containment=ordered,
        shared_quotations=shared_quotation_count(a, b),
        embedding_cosine=embedding_cosine,
        name_overlap=_overlap(stems_a, stems_b),
        lead_rank=lead_rank,
        number_dice=_dice(a.numbers, b.numbers, shared_numbers),
        shared_numbers=shared_numbers,
        sentence_ratio=_sentence_ratio(a.sentences, b.sentences),
        title_overlap=_overlap(a.title_words, b.title_words, minimum=1),
        unmatched_numbers=unmatched_share(max(len(a.numbers), len(b.numbers)), shared_numbers),
        shared_name_stems=len(stems_a & stems_b),
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


#: Beyond this many pairs of equal word runs (a text repeating one line hundreds of times),
#: the passages are found by difflib instead.
MAX_RUN_PAIRS = 200_000


def _run_hashes(tokens: np.ndarray, length: int) -> np.ndarray:
    """A 64-bit hash of every run of ``length`` consecutive tokens (polynomial, wrapping)."""
    hashes = np.zeros(len(tokens) - length + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(length):
            hashes = hashes * np.uint64(1_000_003) + tokens[offset : offset + len(hashes)].astype(np.uint64)
    return hashes


def sorted_runs(tokens: np.ndarray, min_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of every run of ``min_tokens`` tokens, sorted, and where each run starts
    (what :func:`matching_blocks` searches; computed once for a text compared with many)."""
    runs = _run_hashes(tokens, min_tokens)
    order = runs.argsort(kind="stable")
    return order, runs[order]


def matching_blocks(
    a: np.ndarray,
    b: np.ndarray,
    min_tokens: int,
    limit: int = 10,
    *,
    a_runs: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[tuple[int, int, int]]:
    """Maximal runs of at least ``min_tokens`` equal tokens in both sequences, as
    ``(start in a, start in b, length)``, longest first, none crossing another (each lies
    before or after every longer one in both texts), as difflib's matching blocks would be
    (written here with NumPy: difflib compares token by token in Python, and finding the
    passages of a Score's matches cost a tenth of the call). Runs of ``min_tokens`` tokens
    found in both are chained along each diagonal into maximal runs; at most ``limit``
    blocks are returned. ``a_runs`` is ``sorted_runs(a, min_tokens)`` when the caller
    compares ``a`` with many sequences."""
    if len(a) < min_tokens or len(b) < min_tokens:
        return []
    order, sorted_a = sorted_runs(a, min_tokens) if a_runs is None else a_runs
    in_b = _run_hashes(b, min_tokens)
    low = sorted_a.searchsorted(in_b, side="left")
    counts = sorted_a.searchsorted(in_b, side="right") - low
    total = int(counts.sum())
    if total == 0:
        return []
    if total > MAX_RUN_PAIRS:
        return _difflib_blocks(a, b, min_tokens)[:limit]
    j = np.repeat(np.arange(len(in_b)), counts)
    first = np.repeat(counts.cumsum() - counts, counts)
    i = order[np.repeat(low, counts) + np.arange(total) - first]
    diagonal = j - i
    by_diagonal = np.lexsort((i, diagonal))
    i, diagonal = i[by_diagonal], diagonal[by_diagonal]
    starts = np.ones(len(i), dtype=bool)
    starts[1:] = (diagonal[1:] != diagonal[:-1]) | (i[1:] != i[:-1] + 1)
    lengths = np.diff(np.append(np.flatnonzero(starts), len(i))) + min_tokens - 1
    a_starts = i[starts]
    b_starts = a_starts + diagonal[starts]
    # Longest first; a run crossing a kept one keeps the parts of it that lie wholly before
    # or after (difflib finds those in the regions left and right of the kept block).
    queue = list(zip((-lengths).tolist(), a_starts.tolist(), b_starts.tolist()))
    heapq.heapify(queue)
    kept: list[tuple[int, int, int]] = []
    while queue and len(kept) < limit:
        negative_length, a_start, b_start = heapq.heappop(queue)
        pieces = _uncrossed(a_start, b_start, -negative_length, kept)
        if pieces == [(0, -negative_length)]:
            kept.append((a_start, b_start, -negative_length))
            continue
        for begin, end in pieces:
            if end - begin >= min_tokens:
                heapq.heappush(queue, (begin - end, a_start + begin, b_start + begin))
    return kept


def _uncrossed(a_start: int, b_start: int, length: int, kept: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """The offsets ``[begin, end)`` of a run that lie wholly before or wholly after every
    kept block, in both sequences."""
    pieces = [(0, length)]
    for x, y, n in kept:
        before = max(0, min(x - a_start, y - b_start, length))  # offsets below this end before the block
        after = min(length, max(x + n - a_start, y + n - b_start, 0))  # offsets from this start after it
        pieces = [
            (begin, end)
            for low, high in pieces
            for begin, end in ((low, min(high, before)), (max(low, after), high))
            if begin < end
        ]
    return pieces


def _difflib_blocks(a: np.ndarray, b: np.ndarray, min_tokens: int) -> list[tuple[int, int, int]]:
    matcher = SequenceMatcher(None, a.tolist(), b.tolist(), autojunk=False)
    blocks = [(m.a, m.b, m.size) for m in matcher.get_matching_blocks() if m.size >= min_tokens]
    return sorted(blocks, key=lambda m: (-m[2], m[0], m[1]))


class PassageFinder:
    """:func:`shared_passages` of one text with many others (a Score's query with each of
    its matches): the text's word runs are hashed and sorted once, when a first text is
    compared, and its token spans found once, when a first passage needs them (or given:
    ``a_spans``, ``token_spans(a.text)``)."""

    def __init__(
        self, a: Features, *, min_tokens: int = 6, limit: int = 10, a_spans: Sequence[tuple[int, int]] | None = None
    ) -> None:
        self.a, self.min_tokens, self.limit = a, min_tokens, limit
        self._runs: tuple[np.ndarray, np.ndarray] | None = None
        self._spans = a_spans

    def passages(self, b: Features) -> list[Passage]:
        """The passages ``b`` shares with the text (see :func:`shared_passages`)."""
        if self._runs is None and len(self.a.token_hashes) >= self.min_tokens:
            self._runs = sorted_runs(self.a.token_hashes, self.min_tokens)
        blocks = matching_blocks(self.a.token_hashes, b.token_hashes, self.min_tokens, self.limit, a_runs=self._runs)
        if not blocks:
            return []
        if self._spans is None:
            self._spans = token_spans(self.a.text)
        a_spans = self._spans
        b_spans = token_spans(b.text, limit=max(b_start + size for _, b_start, size in blocks))
        return [
            Passage(
                a_start=a_spans[a_start][0],
                a_end=a_spans[a_start + size - 1][1],
                b_start=b_spans[b_start][0],
                b_end=b_spans[b_start + size - 1][1],
                tokens=size,
            )
            for a_start, b_start, size in blocks
        ]


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
    ``a_spans`` are ``token_spans(a.text)`` when the caller has them (:class:`PassageFinder`
    compares one text with many). Tokens are compared by the hashes the features already
    hold (:func:`matching_blocks`): the texts need not be tokenised again, only their spans
    found once a passage is."""
    return PassageFinder(a, min_tokens=min_tokens, limit=limit, a_spans=a_spans).passages(b)
