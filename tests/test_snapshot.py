"""The engine snapshot beside a SQLite store: a restart that starts from it answers exactly as
a full replay of the store would, and a snapshot that does not match is ignored."""

from __future__ import annotations

import logging
import pickle
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from dedup import Document
from dedup.engine import Engine, EngineConfig
from dedup.features import FeatureConfig
from dedup.service import LineageIndex
from dedup import snapshot as snapshot_module
from dedup.snapshot import config_fingerprint, pack_documents, read_header, unpack_documents
from dedup.store import SQLiteStore

CONFIG = EngineConfig(embedder=None)



def _index(data: Path, docs: list[Document], **kwargs) -> LineageIndex:
    index = LineageIndex(SQLiteStore(data), config=CONFIG, **kwargs)
    for doc in docs:
        index.index(doc)
    return index


def _answers(index: LineageIndex, probe: Document) -> tuple:
    """Everything a caller can read back: every lineage, and a score of ``probe``."""
    trees = sorted(
        (tree.lineage_id, tuple(tree.nodes)) for tree in {index.lineage(doc_id=d).lineage_id: index.lineage(doc_id=d) for d in _ids(index)}.values()
    )
    return trees, index.score(probe), index.stats().documents


def _ids(index: LineageIndex) -> list[str]:
    return sorted(index._engine.documents)


def _replayed(data: Path, probe: Document) -> tuple:
    """The answers of an index rebuilt from the store's events alone."""
    index = LineageIndex(SQLiteStore(data), config=CONFIG, snapshots=False)
    try:
        assert index.restored_from_snapshot == 0
        return _answers(index, probe)
    finally:
        index.close()


def test_a_restart_starts_from_the_snapshot_and_answers_as_a_replay(tmp_path, dated_seeds):
    *docs, probe = dated_seeds
    _index(tmp_path, docs).close()  # closing writes the snapshot
    header = read_header(tmp_path / SQLiteStore.SNAPSHOT_NAME)
    assert header is not None and header.documents == len(docs)
    restarted = LineageIndex(SQLiteStore(tmp_path), config=CONFIG)
    try:
        assert restarted.restored_from_snapshot == header.seq == SQLiteStore(tmp_path).last_seq()
        assert _answers(restarted, probe) == _replayed(tmp_path, probe)
        assert restarted.stats().bytes_on_disk > (tmp_path / SQLiteStore.SNAPSHOT_NAME).stat().st_size
    finally:
        restarted.close()


def test_writes_after_the_snapshot_are_replayed_on_top_of_it(tmp_path, dated_seeds):
    seeds = dated_seeds
    _index(tmp_path, seeds[:3]).close()
    snapshot_seq = read_header(tmp_path / SQLiteStore.SNAPSHOT_NAME).seq
    # More writes, then the process dies without closing (no new snapshot).
    later = _index(tmp_path, seeds[3:4], save_on_close=False)
    later.index(replace(seeds[0], text=seeds[0].text + "\nAn update from the correspondent."))  # a replacement
    later.delete(seeds[1].id)
    del later
    restarted = LineageIndex(SQLiteStore(tmp_path), config=CONFIG, save_on_close=False)
    try:
        assert restarted.restored_from_snapshot == snapshot_seq
        assert _ids(restarted) == sorted([seeds[0].id, seeds[2].id, seeds[3].id])
        assert _answers(restarted, seeds[4]) == _replayed(tmp_path, seeds[4])
    finally:
        restarted.close()


def _restart_ignoring(data: Path, caplog, config: EngineConfig = CONFIG) -> LineageIndex:
    with caplog.at_level(logging.WARNING, logger="dedup.snapshot"):
        index = LineageIndex(SQLiteStore(data), config=config, save_on_close=False)
    assert index.restored_from_snapshot == 0
    assert "ignoring the engine snapshot" in caplog.text
    return index


def test_a_damaged_snapshot_is_ignored_and_the_store_replayed(tmp_path, caplog, dated_seeds):
    *docs, probe = dated_seeds
    _index(tmp_path, docs).close()
    snapshot = tmp_path / SQLiteStore.SNAPSHOT_NAME
    snapshot.write_bytes(snapshot.read_bytes()[:-1000])  # cut short
    index = _restart_ignoring(tmp_path, caplog)
    try:
        assert _answers(index, probe) == _replayed(tmp_path, probe)
    finally:
        index.close()


def test_a_snapshot_of_another_configuration_is_ignored(tmp_path, caplog, dated_seeds):
    other = replace(CONFIG, features=FeatureConfig(shingle_size=4))
    assert config_fingerprint(other) != config_fingerprint(CONFIG)
    _index(tmp_path, dated_seeds[:3]).close()
    _restart_ignoring(tmp_path, caplog, other).close()


def test_a_snapshot_the_store_log_does_not_hold_is_ignored(tmp_path, caplog, dated_seeds):
    seeds = dated_seeds
    _index(tmp_path / "a", seeds[:4]).close()
    # Another store, whose log is shorter and holds other documents.
    _index(tmp_path / "b", seeds[4:], save_on_close=False).store.close()
    shutil.copy(tmp_path / "a" / SQLiteStore.SNAPSHOT_NAME, tmp_path / "b" / SQLiteStore.SNAPSHOT_NAME)
    index = _restart_ignoring(tmp_path / "b", caplog)
    try:
        assert _ids(index) == [seeds[4].id]
    finally:
        index.close()


def test_save_snapshot_at_any_time_and_none_for_a_memory_store(tmp_path, dated_seeds):
    index = _index(tmp_path, dated_seeds[:2], save_on_close=False)
    try:
        assert index.save_snapshot() == SQLiteStore(tmp_path).last_seq()
    finally:
        index.close()
    assert LineageIndex(config=CONFIG).save_snapshot() == 0  # memory store: no place for one
    empty = LineageIndex(SQLiteStore(tmp_path / "empty"), config=CONFIG)
    assert empty.save_snapshot() == 0  # nothing indexed: nothing written
    empty.close()
    assert not (tmp_path / "empty" / SQLiteStore.SNAPSHOT_NAME).exists()


@pytest.mark.parametrize("header", [b"not json\n", b'{"format": 99}\n', b'{"format": 1, "seq": 1}\n'])
def test_a_snapshot_header_this_version_does_not_write_is_ignored(tmp_path, header):
    path = tmp_path / "engine.snapshot"
    path.write_bytes(header + b"rest")
    assert read_header(path) is None


def test_a_restart_then_a_stop_with_no_write_between_keeps_the_snapshot_as_it_is(tmp_path, dated_seeds):
    _index(tmp_path, dated_seeds[:3]).close()
    snapshot = tmp_path / SQLiteStore.SNAPSHOT_NAME
    written = snapshot.stat().st_mtime_ns
    LineageIndex(SQLiteStore(tmp_path), config=CONFIG).close()
    assert snapshot.stat().st_mtime_ns == written
    again = LineageIndex(SQLiteStore(tmp_path), config=CONFIG)
    again.index(dated_seeds[3])
    again.close()  # a write since the snapshot: a new one
    assert read_header(snapshot).seq == SQLiteStore(tmp_path).last_seq() == 4
    again.close()  # closing twice is harmless


def test_a_snapshot_is_written_once_enough_of_the_index_is_outside_it(tmp_path, dated_seeds):
    """``save_snapshot_if_due``: written when the uncovered writes reach both the minimum and
    the share of the index; not again until they do once more; a close with nothing new
    keeps the file as it is."""
    index = _index(tmp_path, dated_seeds[:3])
    path = tmp_path / SQLiteStore.SNAPSHOT_NAME
    try:
        assert index.save_snapshot_if_due(min_writes=2, share=0.5) == SQLiteStore(tmp_path).last_seq()
        assert index.save_snapshot_if_due(min_writes=2, share=0.5) == 0  # nothing new
        index.index(dated_seeds[3])
        assert index.save_snapshot_if_due(min_writes=2, share=0.5) == 0  # 1 uncovered write
        index.index(dated_seeds[4])
        assert index.save_snapshot_if_due(min_writes=2, share=0.5) == 0  # 2 < half of 5 documents
        index.delete(dated_seeds[0].id)
        written = index.save_snapshot_if_due(min_writes=2, share=0.5)  # 3 >= 2 and >= half of 4
        assert written == read_header(path).seq == SQLiteStore(tmp_path).last_seq()
        stamp = path.stat().st_mtime_ns
    finally:
        index.close()
    assert path.stat().st_mtime_ns == stamp  # the close had nothing new to write
    assert LineageIndex(config=CONFIG).save_snapshot_if_due(min_writes=0, share=0) == 0  # memory store


def _fields(record) -> tuple:
    """Every field of an indexed document, arrays as tuples of their values and dtype."""
    f = record.features

    def array(values):
        return values.dtype.str, tuple(values.tolist())

    features = (
        f.text, array(f.token_hashes), array(f.shingles), array(f.content_words), f.numbers,
        array(f.content_sequence), tuple(map(array, f.quotations)), f.names, f.sentences, f.title_words,
    )
    return record.document, features, array(record.counts.indices), array(record.counts.data), record.order, record.language


def test_documents_packed_in_columns_unpack_field_for_field(dated_seeds):
    quoted = Document(id="quoted", text='The minister said "we will rebuild every school in the city" on Monday.\nNo more.')
    engine = Engine(CONFIG)
    engine.add_many([*dated_seeds, quoted, Document(id="short", text="Tiny.")])
    assert engine.documents["quoted"].features.quotations  # the quotation field is exercised
    unpacked = unpack_documents(pickle.loads(pickle.dumps(pack_documents(engine.documents))))
    assert list(unpacked) == list(engine.documents)
    assert [_fields(r) for r in unpacked.values()] == [_fields(r) for r in engine.documents.values()]
    assert unpack_documents(pack_documents({})) == {}


def test_restored_arrays_are_mapped_from_the_file_and_writing_them_leaves_it_unchanged(tmp_path, dated_seeds, monkeypatch):
    monkeypatch.setattr(snapshot_module, "OUT_OF_BAND_BYTES", 1)  # every array after the pickle
    *docs, probe = dated_seeds
    _index(tmp_path, docs).close()
    path = tmp_path / SQLiteStore.SNAPSHOT_NAME
    written = path.read_bytes()
    index = LineageIndex(SQLiteStore(tmp_path), config=CONFIG)
    try:
        assert index.restored_from_snapshot > 0
        shingles = index._engine.documents[docs[0].id].features.shingles
        frequencies = index._engine.tfidf.document_frequency_
        for array in (shingles, frequencies):
            assert array.flags.writeable and not array.flags.owndata
        frequencies += 1  # in place, in this process's copy of the pages
        frequencies -= 1
        index.index(probe)  # updates the term statistics in place too
        assert path.read_bytes() == written
    finally:
        index.close()
