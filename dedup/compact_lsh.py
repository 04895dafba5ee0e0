"""MinHash LSH with datasketch's banding, its band keys held in NumPy arrays.

datasketch's in-memory ``MinHashLSH`` keeps, per band, a dict from the band's bytes to a Python
set of keys, and per key a list of its band bytes: about 8 KB per document at 128 permutations
and two channels cost four times that. :class:`CompactLSH` has the same parameters, banding
(``_optimal_param``), ``insert`` / ``query`` / ``remove`` / ``in`` semantics, but reduces each
band of a signature to one 64-bit hash (the band number mixed in, so bands never collide with
each other) and stores ``(band hash, document number)`` pairs in two sorted arrays: 12 bytes
per band and document, plus one list slot and one dict entry per key.

A query looks all its bands up at once: by binary searches of the sorted hashes, or, once
they outgrow the caches, each in a short window that a directory of hash prefixes points to
(a quarter of a byte per entry). Recent inserts wait in a small dict until there are enough
of them to merge into the sorted arrays (a merge of two sorted runs, linear in practice), so
inserting one document at a time stays cheap; removal marks the document and its entries
are dropped at the next merge. A bulk load (:meth:`CompactLSH.insert_many`,
inside :meth:`CompactLSH.insertion_session` for several batches) hashes the bands of all its
signatures in one array operation and merges once.

Two different bands share a 64-bit hash with probability about 2**-64 per pair of entries, so
a query returns the keys datasketch's would (a test checks it on random signatures).

>>> from dedup.sketch import Sketcher
>>> import numpy as np
>>> sketcher = Sketcher(128)
>>> lsh = CompactLSH(threshold=0.5, num_perm=128)
>>> lsh.insert("wire", sketcher.minhash(np.arange(100, dtype=np.uint64)))
>>> lsh.insert("other", sketcher.minhash(np.arange(1000, 1100, dtype=np.uint64)))
>>> lsh.query(sketcher.minhash(np.arange(10, 100, dtype=np.uint64)))
['wire']
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager

import numpy as np
from datasketch.lsh import _optimal_param

from .shingle import merged_unique, run_starts, sorted_unique

__all__ = ["CompactLSH", "check_bucket_cap"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches every output bit (``values`` is an
    array: integer arrays wrap around silently, only NumPy scalars would warn)."""
    values = (values ^ (values >> np.uint64(30))) * _MIX1
    values = (values ^ (values >> np.uint64(27))) * _MIX2
    return values ^ (values >> np.uint64(31))


# The query's directory (:meth:`CompactLSH._find_runs`), for arrays of at least 2**21 band
# entries (16 MB of hashes: 33,000 documents in a channel of 64 bands): about one slot per 16
# entries (a quarter of a byte per band entry), each searched in a window of 40.
_DIRECTORY_MIN_ENTRIES = 1 << 21
_PER_SLOT = 16
_WINDOW_OFFSETS = np.arange(40)
_SLOT_GATHER_MAX = 1024


def _binary_searched_runs(hashes: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`CompactLSH._find_runs` by binary searches of the sorted ``hashes``."""
    # Sorted needles: numpy's binary search starts from the previous answer, which keeps it
    # in cache. One search finds the bands present; the ends of their runs are looked up for
    # those alone (most bands of a query match nothing), and only for runs longer than one.
    wanted = np.sort(wanted)
    low = hashes.searchsorted(wanted)
    hit = hashes[np.minimum(low, len(hashes) - 1)] == wanted
    low, wanted = low[hit], wanted[hit]
    after = np.minimum(low + 1, len(hashes) - 1)
    longer = (hashes[after] == wanted) & (after > low)
    lengths = np.ones(len(low), dtype=np.int64)
    if longer.any():
        lengths[longer] = hashes.searchsorted(wanted[longer], side="right") - low[longer]
    return low, lengths, wanted


def _runs_in_slots(hashes: np.ndarray, starts: np.ndarray, sizes: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the run of each of ``wanted`` starts and its length, each searched within its
    directory slot of ``sizes[k]`` hashes from ``starts[k]`` (slots too full for the window).

    A slot of up to :data:`_SLOT_GATHER_MAX` hashes is compared in one gather of contiguous
    memory, the fullest setting its width; a fuller one (a bucket of thousands of
    documents) is binary-searched within its bounds. Searching the whole array instead cost
    about 20 cache misses a search: on the 100k scale corpus a fifth of a query's bands fall
    in such slots (copies of one story share bands), and those searches were a tenth of a
    ``Score``."""
    starts = starts.astype(np.int64)
    low = starts.copy()
    lengths = np.zeros(len(wanted), dtype=np.int64)
    gathered = sizes <= _SLOT_GATHER_MAX
    if gathered.any():
        width = int(sizes[gathered].max())
        offsets = np.arange(width)
        first = starts[gathered]
        values = hashes[np.minimum(first[:, None] + offsets, len(hashes) - 1)]
        inside = offsets < sizes[gathered][:, None]
        column = wanted[gathered][:, None]
        low[gathered] = first + ((values < column) & inside).sum(axis=1)
        lengths[gathered] = ((values == column) & inside).sum(axis=1)
    for k in np.flatnonzero(~gathered).tolist():
        window = hashes[starts[k] : starts[k] + sizes[k]]
        start = int(window.searchsorted(wanted[k]))
        low[k] = starts[k] + start
        lengths[k] = int(window.searchsorted(wanted[k], side="right")) - start
    return low, lengths


def check_bucket_cap(bucket_cap: int | None) -> None:
    """Raise ``ValueError`` unless ``bucket_cap`` is ``None`` or at least 1."""
    if bucket_cap is not None and bucket_cap < 1:
        raise ValueError(f"bucket_cap must be at least 1 (or None), got {bucket_cap}")


class CompactLSH:
    """A drop-in for datasketch's in-memory ``MinHashLSH`` (``insert``, ``query``, ``remove``,
    ``in``, ``len``) at a tenth of its memory or less.

    ``threshold``, ``num_perm``, ``weights`` and ``params`` mean what they mean to
    ``MinHashLSH`` and give the same bands. ``buffer_size`` is how many documents are
    inserted between two merges into the sorted arrays (at least, and at most an eighth of
    the index, up to ``max_buffer_size``).

    ``bucket_cap`` (``None``: no cap, datasketch's answers) bounds what one bucket
    contributes: a query takes at most the ``bucket_cap`` keys of each bucket inserted last,
    and :meth:`pairs` pairs each key with at most the ``bucket_cap`` keys inserted just before
    it in each bucket it shares, which is what querying each key just before inserting it
    would find. A bucket holding hundreds of keys is either one story's many copies, where
    the latest are as good a match as any, or a template's (a results table, a weather
    report), where every pair is a waste; without a cap its pairs grow with the square of
    its size, and so does the work of a corpus with many versions of each story. A removed
    key keeps its place in its buckets until the next merge (:meth:`compact`): a query may
    then answer with fewer than ``bucket_cap`` keys of a bucket.
    """

    bucket_cap: int | None = None  # also what an index pickled before the cap existed has
    _directory: np.ndarray | None = None  # see :meth:`_find_runs`; rebuilt after each merge, never stored

    def __init__(
        self,
        threshold: float = 0.9,
        num_perm: int = 128,
        weights: tuple[float, float] = (0.5, 0.5),
        params: tuple[int, int] | None = None,
        *,
        buffer_size: int = 1024,
        max_buffer_size: int = 16384,
        bucket_cap: int | None = None,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0.0, 1.0], got {threshold}")
        if num_perm < 2:
            raise ValueError(f"num_perm must be at least 2, got {num_perm}")
        if any(w < 0.0 or w > 1.0 for w in weights) or sum(weights) != 1.0:
            raise ValueError(f"weights must be in [0.0, 1.0] and sum to 1.0, got {weights}")
        check_bucket_cap(bucket_cap)
        if buffer_size < 1 or max_buffer_size < buffer_size:
            raise ValueError(f"need 1 <= buffer_size <= max_buffer_size, got {buffer_size} and {max_buffer_size}")
        if params is not None:
            b, r = params
            if b * r > num_perm:
                raise ValueError(
                    f"params give {b} bands of {r} rows = {b * r} values, more than num_perm {num_perm}; "
                    "did you forget to specify num_perm?"
                )
        else:
            b, r = _optimal_param(threshold, num_perm, weights[0], weights[1])
        if b < 2:
            raise ValueError(f"the number of bands is too small ({b} < 2)")
        self.threshold = threshold
        self.h = num_perm
        self.b, self.r = int(b), int(r)
        self.buffer_size = buffer_size
        self.max_buffer_size = max_buffer_size
        self.bucket_cap = bucket_cap
        # Band k's seed: the band number, spread over 64 bits.
        with np.errstate(over="ignore"):
            self._band_seeds = _mix(np.arange(1, self.b + 1, dtype=np.uint64) * _GOLDEN)
        self._keys: list[Hashable | None] = []  # document number -> key (None once removed)
        self._numbers: dict[Hashable, int] = {}  # key -> document number
        self._hashes = np.empty(0, dtype=np.uint64)  # sorted band hashes
        self._documents = np.empty(0, dtype=np.int32)  # document number of each band hash
        self._pending: dict[int, list[int]] = {}  # band hash -> document numbers, since the last merge
        self._pending_documents = 0
        self._bulk: list[tuple[np.ndarray, np.ndarray]] = []  # (band hashes, numbers) of bulk loads
        self._sessions = 0  # open insertion sessions: bulk loads wait for the last to close
        self._removed = 0  # removed documents whose entries are still in the arrays

    # -- the band hashes --------------------------------------------------------------------
    def band_hashes(self, minhash: object) -> np.ndarray:
        """The ``b`` 64-bit hashes of the bands of ``minhash`` (anything with ``hashvalues``,
        or the hash values themselves); for a ``(n, num_perm)`` array of ``n`` signatures, a
        ``(n, b)`` array."""
        values = np.asarray(getattr(minhash, "hashvalues", minhash))
        if values.ndim not in (1, 2) or values.shape[-1] != self.h:
            raise ValueError(f"expecting a MinHash of {self.h} permutations, got {values.shape[-1] if values.ndim else 0}")
        bands = values[..., : self.b * self.r].astype(np.uint64).reshape(values.shape[:-1] + (self.b, self.r))
        # MinHash values are below 2**32: two of them pack into one word without loss, and
        # the mix is a bijection, so within a band only equal values give equal hashes when
        # r <= 2 (datasketch's choice at low thresholds).
        packed = bands[..., 0] if self.r == 1 else (bands[..., 0] << np.uint64(32)) ^ bands[..., 1]
        hashed = _mix(packed ^ self._band_seeds)
        for column in range(2, self.r):
            hashed = _mix((hashed + _GOLDEN) ^ bands[..., column])
        return hashed

    # -- datasketch's interface ---------------------------------------------------------------
    def insert(self, key: Hashable, minhash: object, check_duplication: bool = True) -> None:
        """Index ``key`` under the bands of ``minhash``; a key already present raises
        ``ValueError`` (as ``MinHashLSH.insert`` does; ``check_duplication`` is accepted for
        compatibility, and a duplicate is refused either way)."""
        if key in self._numbers:
            raise ValueError(f"the key {key!r} is already in the index; remove it first")
        hashes = self.band_hashes(minhash)
        number = len(self._keys)
        self._keys.append(key)
        self._numbers[key] = number
        for value in hashes.tolist():
            self._pending.setdefault(value, []).append(number)
        self._pending_documents += 1
        if self._pending_documents >= self._merge_at():
            self.compact()

    def query(self, minhash: object, *, whole_buckets: bool = False) -> list[Hashable]:
        """Keys sharing at least one band with ``minhash`` (in no particular order): of each
        bucket, the ``bucket_cap`` inserted last, or all with ``whole_buckets``."""
        hashes = self.band_hashes(minhash)
        if self._bulk:
            self.compact()
        found: set[int] = set()
        if len(self._hashes):
            low, lengths, wanted = self._find_runs(hashes)
            if len(low):
                if self.bucket_cap is not None and not whole_buckets:
                    # A run's entries are in insertion order (see :meth:`compact`), and the
                    # pending ones came after them: the last ones of both are the latest.
                    room = self.bucket_cap
                    if self._pending:
                        room = np.maximum(room - np.array([len(self._pending.get(h, ())) for h in wanted.tolist()], dtype=np.int64), 0)
                    keep = np.minimum(lengths, room)
                    low, lengths = low + lengths - keep, keep
                # Every run at once: position t of the concatenated runs is run k's
                # low + (t - where run k starts in the concatenation).
                ends = np.cumsum(lengths)
                positions = np.repeat(low - (ends - lengths), lengths) + np.arange(ends[-1])
                found.update(self._documents[positions].tolist())
        if self._pending:
            cap = None if whole_buckets else self.bucket_cap
            for value in hashes.tolist():
                numbers = self._pending.get(value)
                if numbers:
                    found.update(numbers if cap is None else numbers[-cap:])
        keys = self._keys
        return [keys[n] for n in found if keys[n] is not None]

    def _find_runs(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Where the run of each of the band hashes ``wanted`` present in the sorted arrays
        starts, its length, and those hashes.

        A binary search costs a cache miss per step once the arrays outgrow the caches (tens
        of MB at 100k documents). There, a directory of where each leading-bits prefix starts
        (about one entry per :data:`_PER_SLOT` entries: the hashes are uniform, so a prefix
        holds a handful) narrows each search to one short window, compared in one gather
        (written here: NumPy has no batched search of many short ranges); a prefix holding
        more than the window (a bucket of many documents) is searched within its slot
        (:func:`_runs_in_slots`). Below
        :data:`_DIRECTORY_MIN_ENTRIES` the binary searches are faster: against the directory,
        79 against 115 us a query of both channels at 2k Reuters documents, 146 against 152
        at 19k, and 330 against 235 us on the 100k scale corpus."""
        hashes = self._hashes
        if len(hashes) < _DIRECTORY_MIN_ENTRIES:
            return _binary_searched_runs(hashes, wanted)
        if self._directory is None:
            bits = max(1, int(np.log2(max(len(hashes) // _PER_SLOT, 2))))
            self._shift = np.uint64(64 - bits)
            counts = np.bincount((hashes >> self._shift).astype(np.intp), minlength=1 << bits)
            dtype = np.int32 if len(hashes) < 2**31 else np.int64
            self._directory = np.concatenate(([0], counts.cumsum())).astype(dtype)
        slot = (wanted >> self._shift).astype(np.intp)
        low = self._directory[slot].astype(np.int64)
        size = self._directory[slot + 1] - low
        values = hashes[np.minimum(low[:, None] + _WINDOW_OFFSETS, len(hashes) - 1)]
        inside = _WINDOW_OFFSETS < size[:, None]
        column = wanted[:, None]
        low += ((values < column) & inside).sum(axis=1)
        lengths = ((values == column) & inside).sum(axis=1)
        wide = np.flatnonzero(size > len(_WINDOW_OFFSETS))
        if len(wide):
            low[wide], lengths[wide] = _runs_in_slots(hashes, self._directory[slot[wide]], size[wide], wanted[wide])
        present = lengths > 0
        return low[present], lengths[present], wanted[present]

    def remove(self, key: Hashable) -> None:
        """Forget ``key``; an unknown key raises ``ValueError`` (as in ``MinHashLSH``)."""
        try:
            number = self._numbers.pop(key)
        except KeyError:
            raise ValueError(f"the key {key!r} is not in the index") from None
        self._keys[number] = None
        self._removed += 1
        if self._removed > max(self.buffer_size, len(self._numbers) // 4):
            self.compact()

    def __getstate__(self) -> dict:
        """What pickling stores (an engine snapshot): not the query's directory, which the
        first query after loading rebuilds."""
        state = self.__dict__.copy()
        state.pop("_directory", None)
        return state

    def __contains__(self, key: Hashable) -> bool:
        return key in self._numbers

    def __len__(self) -> int:
        return len(self._numbers)

    def is_empty(self) -> bool:
        """Whether no key is indexed."""
        return not self._numbers

    def pairs(self, max_entries: int = 4_000_000) -> np.ndarray:
        """Every pair of indexed documents that share a band, once: a ``(k, 2)`` array of
        their positions in :meth:`keys` order, the smaller first, rows sorted. This is what
        querying with each indexed document's own signature would find, in one pass over the
        sorted band hashes (a self-join of the buckets) instead of a query per document;
        with a ``bucket_cap``, what querying each document just before inserting it would
        find. Buckets are paired ``max_entries`` pair entries at a time (a pair sharing many
        bands is found in each), so memory stays bounded while duplicates are dropped."""
        self.compact()
        hashes, documents = self._hashes, self._documents
        count = len(self._keys)
        found = [np.empty(0, dtype=np.int64)]
        if len(hashes) > 1:
            starts = np.flatnonzero(run_starts(hashes))
            lengths = np.diff(np.append(starts, len(hashes)))
            shared = lengths > 1
            # Buckets holding the same documents pair the same documents (a story's copies
            # share most of their bands): one of each is enough. Same members, same
            # fingerprint: a wrapping sum of their mixed numbers, with the bucket's size
            # (two different buckets share one with probability about 2**-64).
            with np.errstate(over="ignore"):
                sums = np.add.reduceat(_mix(documents.astype(np.uint64) + _GOLDEN), starts)
                fingerprints = _mix(sums ^ (lengths.astype(np.uint64) * _GOLDEN))[shared]
            starts, lengths = starts[shared], lengths[shared]
            distinct = np.sort(np.unique(fingerprints, return_index=True)[1])
            starts, lengths = starts[distinct], lengths[distinct]
            cap = self.bucket_cap
            entries = lengths * (lengths - 1) // 2  # pairs per bucket
            if cap is not None:  # entry t pairs with the min(t, cap) entries before it
                entries = np.where(lengths - 1 <= cap, entries, cap * (cap + 1) // 2 + cap * (lengths - 1 - cap))
            group_ends = np.cumsum(entries)
            first = 0
            while first < len(starts):
                # Buckets up to max_entries pairs (at least one bucket, however large).
                last = max(first + 1, int(np.searchsorted(group_ends, group_ends[first] - entries[first] + max_entries, side="right")))
                found.append(_bucket_pairs(documents, starts[first:last], lengths[first:last], count, cap))
                first = last
        keys = merged_unique(found)
        return np.column_stack((keys // count, keys % count)) if count else np.empty((0, 2), dtype=np.int64)

    def keys(self) -> Iterator[Hashable]:
        """The indexed keys, in insertion order."""
        return (k for k in self._keys if k is not None)

    @contextmanager
    def insertion_session(self, buffer_size: int = 50000) -> Iterator[CompactLSH]:
        """For code written against ``MinHashLSH.insertion_session`` (``buffer_size`` is
        accepted for compatibility): inserts go through the buffer anyway, bulk loads
        (:meth:`insert_many`) inside the session are merged once, when it ends."""
        self._sessions += 1
        try:
            yield self
        finally:
            self._sessions -= 1
            if not self._sessions:
                self.compact()

    def insert_many(self, items: Iterable[tuple[Hashable, object]]) -> None:
        """Insert ``(key, minhash)`` pairs (a bulk load: the bands of every signature are
        hashed at once, and merged into the sorted arrays at the end, or at the end of the
        enclosing :meth:`insertion_session`). A key already present, or given twice, raises
        ``ValueError`` before anything is inserted."""
        keys: list[Hashable] = []
        signatures: list[np.ndarray] = []
        fresh: set[Hashable] = set()
        for key, minhash in items:
            if key in self._numbers or key in fresh:
                raise ValueError(f"the key {key!r} is already in the index; remove it first")
            fresh.add(key)
            keys.append(key)
            signatures.append(np.asarray(getattr(minhash, "hashvalues", minhash)))
        if not keys:
            return
        hashes = self.band_hashes(np.vstack(signatures))
        first = len(self._keys)
        self._keys.extend(keys)
        self._numbers.update(zip(keys, range(first, first + len(keys))))
        numbers = np.repeat(np.arange(first, first + len(keys), dtype=np.int64), self.b)
        self._bulk.append((hashes.ravel(), numbers))
        if not self._sessions:
            self.compact()

    # -- storage ------------------------------------------------------------------------------
    def _merge_at(self) -> int:
        return min(self.max_buffer_size, max(self.buffer_size, len(self._numbers) // 8))

    def compact(self) -> None:
        """Merge the pending inserts into the sorted arrays and drop removed documents."""
        hashes, documents = self._hashes, self._documents
        if self._removed:
            alive = np.fromiter((k is not None for k in self._keys), dtype=bool, count=len(self._keys))
            keep = alive[documents]
            hashes, documents = hashes[keep], documents[keep]
            self._renumber(alive)
            documents = self._new_numbers[documents]
        if self._pending or self._bulk:
            count = sum(len(v) for v in self._pending.values())
            new_hashes = np.empty(count, dtype=np.uint64)
            new_documents = np.empty(count, dtype=np.int64)
            at = 0
            for value, numbers in self._pending.items():
                new_hashes[at : at + len(numbers)] = value
                new_documents[at : at + len(numbers)] = numbers
                at += len(numbers)
            if self._bulk:
                new_hashes = np.concatenate([new_hashes] + [h for h, _ in self._bulk])
                new_documents = np.concatenate([new_documents] + [d for _, d in self._bulk])
            if self._removed:
                keep = self._alive[new_documents]
                new_hashes, new_documents = new_hashes[keep], self._new_numbers[new_documents[keep]]
            # Within a bucket, entries stay in insertion order (what ``bucket_cap`` counts
            # on): stable sorts, numbers given in increasing order and kept in order by
            # :meth:`_renumber`, and new entries after the merged ones. Only pending inserts
            # interleaved with bulk loads need their numbers sorted too.
            if self._pending and self._bulk:
                order = np.lexsort((new_documents, new_hashes))
            else:
                order = np.argsort(new_hashes, kind="stable")
            hashes = np.concatenate([hashes, new_hashes[order]])
            documents = np.concatenate([documents, new_documents[order].astype(np.int32)])
            # Two sorted runs: timsort merges them in one pass.
            order = np.argsort(hashes, kind="stable")
            hashes, documents = hashes[order], documents[order]
        if self._removed:
            self._keys = [k for k in self._keys if k is not None]
            self._numbers = {k: n for n, k in enumerate(self._keys)}
            self._removed = 0
            del self._alive, self._new_numbers
        self._hashes, self._documents = hashes, documents.astype(np.int32, copy=False)
        self._pending = {}
        self._pending_documents = 0
        self._bulk = []
        self._directory = None

    def _renumber(self, alive: np.ndarray) -> None:
        self._alive = alive
        self._new_numbers = (np.cumsum(alive) - 1).astype(np.int64)

    @property
    def nbytes(self) -> int:
        """Bytes held by the index itself (arrays, key list, dict and buffer; not the keys,
        which belong to the caller)."""
        pending = sys.getsizeof(self._pending) + sum(
            sys.getsizeof(v) + 32 for v in self._pending.values()
        ) + sum(h.nbytes + d.nbytes for h, d in self._bulk)
        return (
            self._hashes.nbytes
            + self._documents.nbytes
            + (self._directory.nbytes if self._directory is not None else 0)
            + sys.getsizeof(self._keys)
            + sys.getsizeof(self._numbers)
            + pending
        )


def _bucket_pairs(
    documents: np.ndarray, starts: np.ndarray, lengths: np.ndarray, count: int, cap: int | None = None
) -> np.ndarray:
    """Each pair of documents within each bucket (``lengths[k]`` entries of ``documents``
    from ``starts[k]``), as ``smaller * count + larger``, unique. Entry ``t`` of a bucket of
    ``L`` pairs with the ``L - 1 - t`` entries after it, or with the ``cap`` entries after
    it at most (then each entry pairs with the ``cap`` before it at most)."""
    entry = np.repeat(starts, lengths) + np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    after = np.repeat(starts + lengths, lengths) - entry - 1
    if cap is not None:
        after = np.minimum(after, cap)
    left = np.repeat(entry, after)
    right = left + 1 + np.arange(after.sum()) - np.repeat(np.cumsum(after) - after, after)
    a, b = documents[left].astype(np.int64), documents[right].astype(np.int64)
    keep = a != b
    return sorted_unique(np.minimum(a, b)[keep] * count + np.maximum(a, b)[keep])
