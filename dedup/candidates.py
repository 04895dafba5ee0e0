"""Candidate generation: which indexed documents are worth comparing with a new one.

Each channel is a MinHash LSH over one feature set: :class:`~dedup.compact_lsh.CompactLSH` in
memory by default (datasketch's banding and answers at a twentieth of its memory), or
datasketch's ``MinHashLSH`` with a ``storage_config`` (its storage layer is what a Redis or
Cassandra backend plugs into). Signatures are datasketch ``LeanMinHash`` objects either way. Shingle resemblance alone
misses what matters most to a newsroom (a paper that keeps a third of a wire story; a rewrite
that keeps the facts but few exact runs of words), so a second channel sketches content words,
which survive rewording. More channels (entities and numbers, embeddings for translations) plug
in beside these: a channel is a name, a feature extractor and an LSH.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Callable, Hashable, Iterable, Literal, Mapping, Sequence

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

from .compact_lsh import CompactLSH, check_bucket_cap
from .features import Features
from .shingle import hash_tokens, merged_unique, shingle_runs, sorted_unique
from .sketch import Sketcher
from .tfidf import IncrementalTfidf

__all__ = ["Channel", "CandidateIndex", "default_channels", "split_signature_rows"]


@dataclass(frozen=True)
class Channel:
    """One candidate source: MinHash LSH at ``threshold`` over ``select(features, statistics)``
    (the statistics are the index's document frequencies, for channels that weigh rarity),
    with ``num_perm`` permutations (``None``: the index's own count). More permutations let
    the LSH keep more bands at a low threshold, so a pair just above it is missed less often.
    """

    name: str
    select: Callable[[Features, IncrementalTfidf], np.ndarray]
    threshold: float
    num_perm: int | None = None


#: Below this many indexed documents, document frequencies mean nothing yet: the channels
#: sketch every shingle and every content word.
MIN_DOCUMENTS_FOR_RARITY = 100

#: A word found in more than this share of the indexed documents is common: a run of words
#: made of common words alone ("qtly div ... cts vs ... cts prior", "the company said it")
#: is a template's or the language's, not a story's.
COMMON_WORD_SHARE = 0.01

#: Words per run in the shingle channel (the channel's own runs; :class:`FeatureConfig`'s
#: ``shingle_size`` is the evidence's).
CHANNEL_SHINGLE_SIZE = 3


def _distinctive_shingles(features: Features, statistics: IncrementalTfidf) -> np.ndarray:
    """The runs of :data:`CHANNEL_SHINGLE_SIZE` words that hold at least one word outside the
    index's common vocabulary (:data:`COMMON_WORD_SHARE`); every run when none does, or while
    the index is small.

    Why: at a resemblance threshold low enough to catch a cut-down copy, whole template
    families (Reuters' dividend notices, bond issues, Fed operations: hundreds of texts that
    share their wording and differ in names and figures) resemble each other, and each query
    proposed every member. On a 19k Reuters index, dropping the runs of common words alone
    (with the title fallback of :func:`_rare_words`) cut the candidates a query gets from 70
    to 36.5 on average, those of this channel alone from 28 to about 1; the links lost were
    template siblings (different issuers, different days). Copies keep every run that holds
    a name or a figure, so they still resemble each other. Each run is hashed from the low
    32 bits of its tokens' hashes, the only ones features keep."""
    tokens = features.token_hashes
    runs = shingle_runs(tokens, CHANNEL_SHINGLE_SIZE)
    if statistics.n_documents_ < MIN_DOCUMENTS_FOR_RARITY or len(tokens) <= CHANNEL_SHINGLE_SIZE:
        return sorted_unique(runs)
    frequencies = statistics.document_frequencies(tokens)
    distinctive = frequencies <= COMMON_WORD_SHARE * statistics.n_documents_
    keep = distinctive[: len(runs)].copy()
    for offset in range(1, CHANNEL_SHINGLE_SIZE):
        keep |= distinctive[offset : offset + len(runs)]
    return sorted_unique(runs[keep] if keep.any() else runs)


RARE_WORD_SHARE = 0.02
#: ... and in at most this many documents, whatever the index's size: a story's versions
#: number tens or hundreds, while 2 % of a million documents is a beat's vocabulary. (At
#: 100k generated documents, a median query's candidates fell from 430 to 182 and the CPU of
#: a Score by a quarter, with 2 fewer false matches out of 2,560; below 10k documents the
#: share binds first and nothing changes.)
RARE_WORD_MAX_DOCUMENTS = 200


def _rare_of(words: np.ndarray, statistics: IncrementalTfidf) -> np.ndarray:
    frequencies = statistics.document_frequencies(words)
    return words[(frequencies / statistics.n_documents_ <= RARE_WORD_SHARE) & (frequencies <= RARE_WORD_MAX_DOCUMENTS)]


def _rare_words(features: Features, statistics: IncrementalTfidf) -> np.ndarray:
    """Content words found in at most 2 % of indexed documents and in at most
    :data:`RARE_WORD_MAX_DOCUMENTS`: the names, places and facts of a story, not the
    vocabulary of its beat (financial results share "revenue" and "quarter" but not the
    company).

    A text with no rare word is a template's ("Qtly div 11 cts vs 10 cts prior, pay July 31,
    record July 17"): what tells it apart is its title's rare words (the company), which take
    their place; failing those, every content word (and the whole family resembles it).
    Falls back to every content word while the index is too small for document frequencies
    to mean anything."""
    words = features.content_words
    if statistics.n_documents_ < MIN_DOCUMENTS_FOR_RARITY or len(words) == 0:
        return words
    rare = _rare_of(words, statistics)
    if len(rare) == 0 and features.title_words:
        # Title words are hashed as the text's tokens are (the low 32 bits: see Features).
        rare = _rare_of(sorted_unique(hash_tokens(sorted(features.title_words)).astype(np.uint32)), statistics)
    return rare if len(rare) else words


def default_channels() -> tuple[Channel, ...]:
    """Resemblance of distinctive shingles at a low threshold (copies, cut-down copies) and
    of rare words (rewrites that keep the facts but few exact runs of words).

    The rare-word channel sketches with 256 permutations, at threshold 0.1: 117 bands of two
    rows, against 51 for 128 permutations at 0.15, its setting until 2026-11-23. A paper's
    rewrite of an agency story keeps a fifth or less of its rare words (COUNTER's partially
    derived papers: median rare-word resemblance 0.19, a quarter of them under 0.15), and 51
    bands found a pair at resemblance 0.15 two times in three: on the dev split 32 of 138
    such papers were never proposed, seven of which the link model would have linked. With
    117 bands (a pair at 0.15 is found 93 times in 100), 133 of 138 are proposed; the pairs
    to measure grow by two thirds on dev, where most are screened out by their cosine."""
    return (
        Channel("shingles", _distinctive_shingles, threshold=0.1),
        Channel("rare_words", _rare_words, threshold=0.1, num_perm=256),
    )


Backend = Literal["compact", "datasketch"]


class CandidateIndex:
    """Several MinHash LSH indexes over one set of document keys.

    ``backend`` is ``"compact"`` (:class:`~dedup.compact_lsh.CompactLSH`, in memory) or
    ``"datasketch"`` (``MinHashLSH``, with ``storage_config`` if given); by default it is
    ``"compact"``, unless a ``storage_config`` is given. Both answer every query alike,
    unless ``bucket_cap`` is set (the in-memory backend's alone: see
    :class:`~dedup.compact_lsh.CompactLSH`).
    """

    def __init__(
        self,
        channels: Iterable[Channel] | None = None,
        *,
        num_perm: int = 128,
        storage_config: dict | None = None,
        backend: Backend | None = None,
        bucket_cap: int | None = None,
    ) -> None:
        self.channels = tuple(channels) if channels is not None else default_channels()
        if not self.channels:
            raise ValueError("a CandidateIndex needs at least one channel")
        if backend is None:
            backend = "compact" if storage_config is None else "datasketch"
        if backend == "compact" and storage_config is not None:
            raise ValueError("storage_config is datasketch's: use backend='datasketch' with it")
        if backend not in ("compact", "datasketch"):
            raise ValueError(f"backend must be 'compact' or 'datasketch', got {backend!r}")
        if backend == "datasketch" and bucket_cap is not None:
            raise ValueError("bucket_cap is the compact backend's: datasketch's buckets cannot be capped")
        self.backend: Backend = backend
        self.sketcher = Sketcher(num_perm)
        self._sketchers: dict[str, Sketcher] = {
            c.name: self.sketcher if c.num_perm in (None, num_perm) else Sketcher(c.num_perm) for c in self.channels
        }
        self._lsh: dict[str, CompactLSH | MinHashLSH] = {
            c.name: (
                CompactLSH(threshold=c.threshold, num_perm=self._sketchers[c.name].num_perm, bucket_cap=bucket_cap)
                if backend == "compact"
                else MinHashLSH(threshold=c.threshold, num_perm=self._sketchers[c.name].num_perm, storage_config=storage_config)
            )
            for c in self.channels
        }

    def cap_buckets(self, bucket_cap: int | None) -> None:
        """Set the in-memory channels' ``bucket_cap`` (an index restored from a snapshot
        takes the cap of the configuration it is restored under)."""
        check_bucket_cap(bucket_cap)
        for lsh in self._lsh.values():
            if isinstance(lsh, CompactLSH):
                lsh.bucket_cap = bucket_cap

    def sketches(self, features: Features, statistics: IncrementalTfidf) -> dict[str, object]:
        """The MinHash of each channel's feature set."""
        return {c.name: self._sketchers[c.name].minhash(c.select(features, statistics)) for c in self.channels}

    def signatures(self, features: Features, statistics: IncrementalTfidf) -> dict[str, np.ndarray]:
        """The hash values of each channel's MinHash (what :meth:`sketches` wraps), which
        :meth:`insert_many` accepts as well: a bulk load need not build MinHash objects."""
        return {c.name: self._sketchers[c.name].signature(c.select(features, statistics)) for c in self.channels}

    def signatures_many(self, features: Sequence[Features], statistics: IncrementalTfidf) -> list[dict[str, np.ndarray]]:
        """:meth:`signatures` of many documents, computed together (see
        :meth:`Sketcher.signatures`)."""
        return split_signature_rows(self.signature_rows(features, statistics), len(features))

    def signature_rows(self, features: Sequence[Features], statistics: IncrementalTfidf) -> dict[str, np.ndarray]:
        """:meth:`signatures_many` packed: each channel's signatures as one array, a row per
        document (what a worker process sends back cheaply)."""
        return {c.name: self._sketchers[c.name].signatures([c.select(f, statistics) for f in features]) for c in self.channels}

    def insert(self, key: Hashable, sketches: dict[str, object]) -> None:
        """Index ``key`` under every channel (replacing a previous entry of the same key).
        A sketch may also be its bare hash values (:meth:`signatures`)."""
        for name, lsh in self._lsh.items():
            if key in lsh:
                lsh.remove(key)
            lsh.insert(key, sketches[name] if isinstance(lsh, CompactLSH) else self._minhash(sketches[name]))

    def insert_many(self, items: Iterable[tuple[Hashable, dict[str, object]]]) -> None:
        """Index many ``(key, sketches)`` pairs at once (a bulk load), with :meth:`insert`'s
        result: a key already indexed, or given twice, ends up under its last sketches.
        A sketch may also be its bare hash values (:meth:`signatures`)."""
        latest: dict[Hashable, dict[str, object]] = {}
        for key, sketches in items:
            latest.pop(key, None)  # a repeated key takes its last place, as repeated inserts would
            latest[key] = sketches
        for name, lsh in self._lsh.items():
            for key in latest:
                if key in lsh:
                    lsh.remove(key)
            if isinstance(lsh, CompactLSH):
                lsh.insert_many((key, sketches[name]) for key, sketches in latest.items())
            else:
                with lsh.insertion_session() as session:
                    for key, sketches in latest.items():
                        session.insert(key, self._minhash(sketches[name]), check_duplication=False)

    def _minhash(self, sketch: object) -> object:
        """``sketch`` as datasketch wants it: bare hash values become a ``LeanMinHash``."""
        if isinstance(sketch, np.ndarray):
            return LeanMinHash(seed=self.sketcher.seed, hashvalues=sketch, scheme="affine32")
        return sketch

    def insertion_session(self) -> ExitStack:
        """A context in which bulk loads (:meth:`insert_many`) of the in-memory backend are
        merged once, when it closes, instead of once per call."""
        stack = ExitStack()
        for lsh in self._lsh.values():
            if isinstance(lsh, CompactLSH):
                stack.enter_context(lsh.insertion_session())
        return stack

    def compact(self) -> None:
        """Merge every in-memory channel's pending inserts and removals now (the next query
        would otherwise do it)."""
        for lsh in self._lsh.values():
            if isinstance(lsh, CompactLSH):
                lsh.compact()

    def __contains__(self, key: Hashable) -> bool:
        return all(key in lsh for lsh in self._lsh.values())

    def remove(self, key: Hashable) -> None:
        """Forget ``key`` in every channel; unknown keys are ignored."""
        for lsh in self._lsh.values():
            if key in lsh:
                lsh.remove(key)

    def pairs(self, positions: Mapping[Hashable, int]) -> np.ndarray | None:
        """Every pair of indexed keys some channel proposes (each key's stored sketches
        queried against the others), once: a ``(k, 2)`` array of their ``positions``, the
        smaller first, rows sorted; ``None`` when a channel is datasketch's, which cannot
        join its buckets (query each key instead). Every key must have a position."""
        if not all(isinstance(lsh, CompactLSH) for lsh in self._lsh.values()):
            return None
        count = max(len(positions), 1)
        found = [np.empty(0, dtype=np.int64)]
        for lsh in self._lsh.values():
            where = np.fromiter((positions[key] for key in lsh.keys()), dtype=np.int64, count=len(lsh))
            joined = where[lsh.pairs()]
            found.append(joined.min(axis=1) * count + joined.max(axis=1))
        keys = merged_unique(found)
        return np.column_stack((keys // count, keys % count))

    def query(self, sketches: dict[str, object], *, whole_buckets: bool = False) -> dict[Hashable, set[str]]:
        """Candidate keys, each with the channels that proposed it; with ``whole_buckets``,
        every key of each bucket, whatever the ``bucket_cap``. A sketch may also be its bare
        hash values (:meth:`signatures`: what the engine passes, the compact backend reading
        nothing else of a MinHash)."""
        found: dict[Hashable, set[str]] = {}
        for name, lsh in self._lsh.items():
            if isinstance(lsh, CompactLSH):
                keys = lsh.query(sketches[name], whole_buckets=whole_buckets)
            else:
                keys = lsh.query(self._minhash(sketches[name]))
            for key in keys:
                found.setdefault(key, set()).add(name)
        return found


def split_signature_rows(rows: dict[str, np.ndarray], count: int) -> list[dict[str, np.ndarray]]:
    """Each document's signatures (:meth:`CandidateIndex.signatures`) from the packed rows of
    :meth:`CandidateIndex.signature_rows` of ``count`` documents."""
    return [{name: channel[k] for name, channel in rows.items()} for k in range(count)]
