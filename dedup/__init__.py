"""syndication-dedup: which lineage each news article belongs to, and how.

The pure core: normalise and strip boilerplate, shingle, MinHash + LSH for candidates, TF-IDF
cosine and exact containment as evidence, a relation per pair, and lineages with direction.
Nothing here imports gRPC; the service and the CLI only translate to and from it.

>>> from dedup import Document, run_batch
>>> docs = [Document(id="wire", text="Rebels entered Aleppo on Friday after a two-day offensive, a monitor said."),
...         Document(id="paper", text="Rebels entered Aleppo on Friday after a two-day offensive, a monitor said. More follows.")]
>>> placements = run_batch(docs)
>>> placements["paper"].lineage_id == placements["wire"].lineage_id
True
"""

from .batch import index_corpus, run_batch
from .corpus import CorpusError, read_corpus
from .document import Document, DocumentError
from .engine import Engine, EngineConfig, Match
from .evidence import PairEvidence, Passage, shared_passages
from .lineage import Placement
from .relate import LinkPolicy, Relation

__all__ = [
    "CorpusError",
    "Document",
    "DocumentError",
    "Engine",
    "EngineConfig",
    "LinkPolicy",
    "Match",
    "PairEvidence",
    "Passage",
    "Placement",
    "Relation",
    "index_corpus",
    "read_corpus",
    "run_batch",
    "shared_passages",
]
