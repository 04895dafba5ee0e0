"""Candidate generation: which indexed documents are worth comparing with a new one.

Each channel is a datasketch ``MinHashLSH`` over one feature set. Shingle resemblance alone
misses what matters most to a newsroom (a paper that keeps a third of a wire story; a rewrite
that keeps the facts but few exact runs of words), so a second channel sketches content words,
which survive rewording. More channels (entities and numbers, embeddings for translations) plug
in beside these: a channel is a name, a feature extractor and an LSH.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Hashable, Iterable

import numpy as np
from datasketch import MinHashLSH

from .features import Features
from .sketch import Sketcher
from .tfidf import IncrementalTfidf

__all__ = ["Channel", "CandidateIndex", "default_channels"]


@dataclass(frozen=True)
class Channel:
    """One candidate source: MinHash LSH at ``threshold`` over ``select(features, statistics)``
    (the statistics are the index's document frequencies, for channels that weigh rarity)."""

    name: str
    select: Callable[[Features, IncrementalTfidf], np.ndarray]
    threshold: float


def _shingles(features: Features, statistics: IncrementalTfidf) -> np.ndarray:
    return features.shingles


RARE_WORD_SHARE = 0.02


def _rare_words(features: Features, statistics: IncrementalTfidf) -> np.ndarray:
    """Content words found in at most 2 % of indexed documents: the names, places and facts
    of a story, not the vocabulary of its beat (financial results share "revenue" and
    "quarter" but not the company). Falls back to every content word while the index is
    too small for document frequencies to mean anything."""
    words = features.content_words
    if statistics.n_documents_ < 100 or len(words) == 0:
        return words
    rare = words[statistics.document_share(words) <= RARE_WORD_SHARE]
    return rare if len(rare) else words


def default_channels() -> tuple[Channel, ...]:
    """Shingle resemblance at a low threshold (copies, cut-down copies) and rare-word
    resemblance (rewrites that keep the facts but few exact runs of words)."""
    return (
        Channel("shingles", _shingles, threshold=0.1),
        Channel("rare_words", _rare_words, threshold=0.15),
    )


class CandidateIndex:
    """Several MinHash LSH indexes over one set of document keys."""

    def __init__(
        self,
        channels: Iterable[Channel] | None = None,
        *,
        num_perm: int = 128,
        storage_config: dict | None = None,
    ) -> None:
        self.channels = tuple(channels) if channels is not None else default_channels()
        if not self.channels:
            raise ValueError("a CandidateIndex needs at least one channel")
        self.sketcher = Sketcher(num_perm)
        self._lsh = {
            c.name: MinHashLSH(threshold=c.threshold, num_perm=num_perm, storage_config=storage_config)
            for c in self.channels
        }

    def sketches(self, features: Features, statistics: IncrementalTfidf) -> dict[str, object]:
        """The MinHash of each channel's feature set."""
        return {c.name: self.sketcher.minhash(c.select(features, statistics)) for c in self.channels}

    def insert(self, key: Hashable, sketches: dict[str, object]) -> None:
        """Index ``key`` under every channel (replacing a previous entry of the same key)."""
        for name, lsh in self._lsh.items():
            if key in lsh:
                lsh.remove(key)
            lsh.insert(key, sketches[name])

    def remove(self, key: Hashable) -> None:
        """Forget ``key`` in every channel; unknown keys are ignored."""
        for lsh in self._lsh.values():
            if key in lsh:
                lsh.remove(key)

    def query(self, sketches: dict[str, object]) -> dict[Hashable, set[str]]:
        """Candidate keys, each with the channels that proposed it."""
        found: dict[Hashable, set[str]] = {}
        for name, lsh in self._lsh.items():
            for key in lsh.query(sketches[name]):
                found.setdefault(key, set()).add(name)
        return found
