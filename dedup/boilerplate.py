"""Boilerplate removal: lines that belong to the page or the outlet, not to the story.

Two sources of evidence, both learned from the data rather than hand-written per outlet:

* a line repeated inside one document (a headline printed three times by a CMS) is kept once;
* a line that recurs across many documents of one source (navigation, newsletter promos,
  syndication disclaimers, bylines) is boilerplate for that source. :class:`BoilerplateModel`
  counts normalised line hashes per source; the batch job observes the whole corpus first, the
  service observes documents as they are indexed.

A short list of patterns catches what appears only once per outlet (``PREV``/``NEXT`` links,
"Sign up for our newsletter", "(c) 2024 AFP"); wire attribution such as "(AFP)" is *not* removed
here, because it is evidence for orienting a lineage.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import xxhash

__all__ = ["BoilerplateModel", "strip_boilerplate", "is_pattern_boilerplate"]

_PATTERNS = re.compile(
    r"""^(?:
        (?:prev|previous|next|back\ to\ top|read\ more|related(?:\ articles?)?|advertisement|
           share\ (?:this|on)\b.*|click\ here\b.*|follow\ us\b.*|sign\ up\b.*|subscribe\b.*|
           all\ rights\ reserved.*|copyright\b.*|\(c\)\ .*|©.*)
        |.*\b(?:newsletter|cookie\ policy|privacy\ policy|terms\ of\ use)\b.*
        |(?:by|from)\ [^\s]+(?:\ [^\s]+){0,3}\ *(?:\|.*)?   # a byline alone on its line
    )$""",
    re.VERBOSE,
)
_MAX_PATTERN_LINE = 120


# A line _PATTERNS matches starts with one of these or contains one of its keywords
# ("policy" stands for both policies): string tests that rule out nearly every line before
# the regex runs.
_PATTERN_STARTS = (
    "prev", "next", "back to top", "read more", "related", "advertisement", "share ", "click here",
    "follow us", "sign up", "subscribe", "all rights reserved", "copyright", "(c) ", "©", "by ", "from ",
)


def is_pattern_boilerplate(line: str) -> bool:
    """True for a short normalised line that matches a generic boilerplate pattern."""
    if len(line) > _MAX_PATTERN_LINE:
        return False
    if not (line.startswith(_PATTERN_STARTS) or "newsletter" in line or "policy" in line or "terms of use" in line):
        return False
    return bool(_PATTERNS.match(line))


def _line_key(line: str) -> int:
    return xxhash.xxh3_64_intdigest(line.encode("utf-8"))


@dataclass
class BoilerplateModel:
    """Per-source counts of normalised lines, to recognise lines an outlet repeats everywhere.

    A line is boilerplate for a source once it has been seen in at least ``min_documents``
    documents of that source and in at least ``min_share`` of them, and only once the source
    has ``min_source_documents`` documents: among a handful of documents, a shared line is
    more likely a shared story (versions of one dispatch) than the outlet's furniture. Only lines of at most
    ``max_line_chars`` characters are counted: a long paragraph repeated across documents is a
    republished story, which is exactly what must *not* be stripped.
    """

    min_documents: int = 5
    min_share: float = 0.2
    max_line_chars: int = 200
    min_source_documents: int = 20
    _line_counts: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    _documents: Counter[str] = field(default_factory=Counter)

    def observe(self, lines: list[str], source: str) -> None:
        """Count each distinct short line of one document of ``source``."""
        if not source:
            return
        self._documents[source] += 1
        keys = {_line_key(line) for line in lines if len(line) <= self.max_line_chars}
        self._line_counts[source].update(keys)

    def counts(self) -> tuple[dict[str, int], dict[str, dict[int, int]]]:
        """What has been observed: documents by source, and each source's line counts
        (what a worker that observed part of a corpus sends back, to be merged: :meth:`merge`)."""
        return dict(self._documents), {source: dict(c) for source, c in self._line_counts.items()}

    def merge(self, counts: tuple[dict[str, int], dict[str, dict[int, int]]]) -> None:
        """Add what another model observed (:meth:`counts`): observing a corpus in parts and
        merging the parts gives the counts of observing it whole."""
        documents, lines = counts
        self._documents.update(documents)
        for source, line_counts in lines.items():
            self._line_counts[source].update(line_counts)

    def is_boilerplate(self, line: str, source: str) -> bool:
        """True when ``line`` recurs across enough documents of ``source``."""
        if not source or len(line) > self.max_line_chars:
            return False
        total = self._documents.get(source, 0)
        if total < self.min_source_documents:
            return False
        seen = self._line_counts.get(source, Counter()).get(_line_key(line), 0)
        return seen >= self.min_documents and seen >= self.min_share * total

    def recurring_test(self, source: str) -> Callable[[str], bool] | None:
        """:meth:`is_boilerplate` for lines of ``source``, its per-source look-ups done once
        (``None`` when no line of ``source`` can be boilerplate yet)."""
        if not source:
            return None
        total = self._documents.get(source, 0)
        if total < self.min_source_documents:
            return None
        counts = self._line_counts.get(source, Counter())
        need = max(self.min_documents, self.min_share * total)
        longest = self.max_line_chars
        return lambda line: len(line) <= longest and counts.get(_line_key(line), 0) >= need

    def state(self) -> dict:
        """A JSON-serialisable snapshot, for storing with a persistent index."""
        return {
            "documents": dict(self._documents),
            "lines": {s: {str(k): v for k, v in c.items()} for s, c in self._line_counts.items()},
        }

    def load_state(self, state: dict) -> None:
        """Restore counts written by :meth:`state`."""
        self._documents = Counter(state.get("documents", {}))
        self._line_counts = defaultdict(Counter)
        for source, counts in state.get("lines", {}).items():
            self._line_counts[source] = Counter({int(k): v for k, v in counts.items()})


def strip_boilerplate(lines: list[str], source: str = "", model: BoilerplateModel | None = None) -> list[str]:
    """Return the story lines of a normalised document: repeats, pattern lines and the
    source's learned boilerplate removed. Never returns an empty list for a non-empty input
    (a document made only of "boilerplate" is kept whole rather than silently emptied)."""
    recurring = model.recurring_test(source) if model is not None else None
    seen: set[str] = set()
    kept: list[str] = []
    for line in lines:
        if line in seen or is_pattern_boilerplate(line):
            continue
        if recurring is not None and recurring(line):
            continue
        seen.add(line)
        kept.append(line)
    return kept or list(dict.fromkeys(lines))
