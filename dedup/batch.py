"""The batch deduplication job: index a whole corpus, then resolve every lineage."""

from __future__ import annotations

from typing import Sequence

from .document import Document
from .engine import Engine, EngineConfig, Progress, _no_progress
from .lineage import Placement

__all__ = ["run_batch"]


def run_batch(
    documents: Sequence[Document],
    config: EngineConfig = EngineConfig(),
    progress: Progress = _no_progress,
) -> dict[str, Placement]:
    """Place every document of ``documents`` in its lineage.

    Boilerplate is learned from the whole corpus first, so the first document of an outlet is
    cleaned as well as its last.
    """
    engine = Engine(config)
    engine.learn_boilerplate(documents)
    engine.add_many(documents, progress)
    return engine.resolve(progress)
