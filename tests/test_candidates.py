"""CandidateIndex proposes the same candidates on either backend, inserted one by one or in bulk."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHashLSH

from dedup.candidates import CandidateIndex
from dedup.compact_lsh import CompactLSH
from dedup.document import Document
from dedup.engine import Engine, EngineConfig
from dedup.features import extract_features
from dedup.tfidf import IncrementalTfidf


def _texts(wire: str) -> list[str]:
    """Cut-down copies, rewrites and unrelated texts, so both channels have matches and misses."""
    sentences = wire.split("\n")
    texts = [wire, "\n".join(sentences[:2]), "\n".join(sentences[1:]), "\n".join(sentences[::2])]
    rng = np.random.default_rng(5)
    words = wire.split()
    for k in range(40):
        keep = rng.random(len(words)) < rng.uniform(0.1, 0.9)
        texts.append(" ".join(w for w, kept in zip(words, keep) if kept) + f" filler{k} word{k * 7}")
    texts += [f"Unrelated story number {k} about harvest {k * 13} tonnes in province {k}" for k in range(20)]
    return texts


def _sketched(wire: str) -> tuple[CandidateIndex, list[tuple[str, dict]]]:
    index = CandidateIndex()
    statistics = IncrementalTfidf()
    features = [extract_features(t) for t in _texts(wire)]
    return index, [(f"doc-{k}", index.sketches(f, statistics)) for k, f in enumerate(features)]


def _answers(index: CandidateIndex, items: list[tuple[str, dict]]) -> list[dict]:
    return [{k: sorted(v) for k, v in index.query(sketches).items()} for _, sketches in items]


def test_compact_is_the_default_and_datasketch_stays_selectable() -> None:
    assert CandidateIndex().backend == "compact"
    assert all(isinstance(lsh, CompactLSH) for lsh in CandidateIndex()._lsh.values())
    assert all(isinstance(lsh, MinHashLSH) for lsh in CandidateIndex(backend="datasketch")._lsh.values())
    assert CandidateIndex(storage_config={"type": "dict"}).backend == "datasketch"
    with pytest.raises(ValueError, match="storage_config"):
        CandidateIndex(backend="compact", storage_config={"type": "dict"})
    with pytest.raises(ValueError, match="backend"):
        CandidateIndex(backend="redis")  # type: ignore[arg-type]


@pytest.mark.parametrize("bulk", [False, True])
def test_backends_propose_the_same_candidates(wire_text: str, bulk: bool) -> None:
    _, items = _sketched(wire_text)
    compact, datasketch = CandidateIndex(backend="compact"), CandidateIndex(backend="datasketch")
    for index in (compact, datasketch):
        if bulk:
            with index.insertion_session():
                index.insert_many(items[:30])
                index.insert_many(items[30:])
        else:
            for key, sketches in items:
                index.insert(key, sketches)
    expected = _answers(datasketch, items)
    assert _answers(compact, items) == expected
    assert sum(len(found) > 1 for found in expected) > 10  # copies find each other
    assert any(found.get("doc-0") == ["rare_words"] for found in expected)  # a channel alone
    for key, _ in items[::3]:
        compact.remove(key)
        datasketch.remove(key)
    compact.remove("never-indexed")  # ignored, as before
    assert _answers(compact, items) == _answers(datasketch, items)


def test_insert_many_replaces_like_insert(wire_text: str) -> None:
    _, items = _sketched(wire_text)
    one_by_one, bulk = CandidateIndex(), CandidateIndex()
    for key, sketches in items[:10]:
        one_by_one.insert(key, sketches)
        bulk.insert(key, sketches)
    # doc-0 comes back under doc-50's sketches, doc-1 twice in one batch (the last wins)
    again = [("doc-0", items[50][1]), ("doc-1", items[51][1]), ("new", items[52][1]), ("doc-1", items[53][1])]
    for key, sketches in again:
        one_by_one.insert(key, sketches)
    bulk.insert_many(again)
    assert _answers(bulk, items) == _answers(one_by_one, items)
    assert "doc-1" in bulk and "new" in bulk and "gone" not in bulk


def test_engine_bulk_load_matches_one_at_a_time(wire_text: str) -> None:
    documents = [Document(id=f"d{k}", text=t) for k, t in enumerate(_texts(wire_text))]
    documents.append(Document(id="d3", text=wire_text + "\nA late paragraph added to the story."))
    config = EngineConfig(embedder=None, detect_languages=False)
    bulk, single = Engine(config), Engine(config)
    bulk.add_many(documents)
    for doc in documents:
        single.add(doc)
    # One at a time, early documents see smaller statistics; compare the shingle channel alone.
    for doc in documents:
        features = bulk.documents[doc.id].features
        ours = {k for k, v in bulk.candidates.query(bulk.candidates.sketches(features, bulk.tfidf)).items() if "shingles" in v}
        theirs = {k for k, v in single.candidates.query(single.candidates.sketches(features, single.tfidf)).items() if "shingles" in v}
        assert ours == theirs
    assert bulk.candidate_pairs()


def test_bare_signatures_load_like_sketches(wire_text: str) -> None:
    index, items = _sketched(wire_text)
    statistics = IncrementalTfidf()
    features = [extract_features(t) for t in _texts(wire_text)]
    for backend in ("compact", "datasketch"):
        from_sketches, from_signatures = CandidateIndex(backend=backend), CandidateIndex(backend=backend)
        from_sketches.insert_many(items)
        from_signatures.insert_many((f"doc-{k}", index.signatures(f, statistics)) for k, f in enumerate(features))
        assert _answers(from_signatures, items) == _answers(from_sketches, items)
        bare = [(key, index.signatures(f, statistics)) for (key, _), f in zip(items, features)]
        one_by_one = CandidateIndex(backend=backend)
        for key, signatures in bare:  # insert and query take bare hash values too
            one_by_one.insert(key, signatures)
        assert _answers(one_by_one, bare) == _answers(from_sketches, items)


def test_a_channel_sketches_with_its_own_permutations(wire_text: str) -> None:
    """The rare-word channel sketches with 256 permutations whatever the index's count, so its
    LSH keeps 117 bands at threshold 0.1; a channel without a count of its own follows the
    index's. Bulk and one-by-one signatures agree channel by channel."""
    from dedup.candidates import Channel, default_channels
    from dedup.sketch import Sketcher

    rare = {c.name: c for c in default_channels()}["rare_words"]
    assert (rare.num_perm, rare.threshold) == (256, 0.1)
    statistics = IncrementalTfidf()
    features = [extract_features(t) for t in _texts(wire_text)[:6]]
    for num_perm in (64, 128):
        index = CandidateIndex(num_perm=num_perm)
        signatures = index.signatures(features[0], statistics)
        assert (len(signatures["shingles"]), len(signatures["rare_words"])) == (num_perm, 256)
        assert (index._lsh["rare_words"].b, index._lsh["rare_words"].r) == (117, 2)
        expected = Sketcher(256).signature(rare.select(features[0], statistics))
        assert np.array_equal(signatures["rare_words"], expected)
        for one, many in zip((index.signatures(f, statistics) for f in features), index.signatures_many(features, statistics)):
            assert all(np.array_equal(one[name], many[name]) for name in one)
    own = CandidateIndex((Channel("words", lambda f, s: f.content_words, 0.2),), num_perm=64)
    assert len(own.signatures(features[0], statistics)["words"]) == 64


def test_rare_words_are_rare_by_share_and_by_count():
    """A content word is rare in at most 2 % of the index and in at most
    RARE_WORD_MAX_DOCUMENTS documents: in a large index, 2 % is a beat's vocabulary."""
    from dedup.candidates import RARE_WORD_MAX_DOCUMENTS, _rare_words

    features = extract_features("Volkswagen recalled diesel engines in Wolfsburg and Ingolstadt yesterday.")
    words = features.content_words
    assert len(words) >= 3
    statistics = IncrementalTfidf()
    statistics.n_documents_ = 100 * RARE_WORD_MAX_DOCUMENTS  # 2 % is twice the cap
    columns = statistics.columns(words)
    statistics.document_frequency_[columns] = 2 * RARE_WORD_MAX_DOCUMENTS  # common
    statistics.document_frequency_[columns[0]] = RARE_WORD_MAX_DOCUMENTS + 1  # under 2 %, over the cap
    statistics.document_frequency_[columns[1]] = RARE_WORD_MAX_DOCUMENTS  # rare
    assert _rare_words(features, statistics).tolist() == [words[1]]
    statistics.n_documents_ = 10 * RARE_WORD_MAX_DOCUMENTS  # now 2 % binds first: nothing is rare
    assert _rare_words(features, statistics).tolist() == words.tolist()  # falls back to every word


def _bond_issue(k: int) -> str:
    """One of a family of texts written on one template: the issuer and figures differ."""
    return (
        f"Issuer{k} Holdings is issuing a {50 + k % 7 * 25} mln Australian dlr eurobond due April {1 + k % 28}, "
        f"1990 paying {14 + k % 3} pct and priced at 101-{k % 8}/8 pct, lead manager Bank{k % 10} said.\n"
        "The non-callable bond is available in denominations of 1,000 Australian dlrs and will be listed "
        "in Luxembourg.\nThe selling concession is one pct while management and underwriting combined pays 1/2 pct."
    )


def _indexed(texts: list[str], channels: tuple | None = None) -> tuple[CandidateIndex, IncrementalTfidf, list]:
    statistics = IncrementalTfidf()
    features = [extract_features(t) for t in texts]
    for f in features:
        statistics.add(statistics.row_counts([f.token_hashes])[0])
    index = CandidateIndex(channels)
    index.insert_many((f"doc-{k}", index.sketches(f, statistics)) for k, f in enumerate(features))
    return index, statistics, features


def test_a_template_family_is_not_proposed_wholesale() -> None:
    """Copies are proposed by what they share beyond their template: a verbatim copy of one
    bond issue finds it, not the other 199 issues written on the same template, and a cut
    copy (the first sentence) still finds it. Sketching every shingle and every content
    word, as the channels once did, proposes most of the family."""
    from dedup.candidates import Channel

    texts = [_bond_issue(k) for k in range(200)]
    index, statistics, _ = _indexed(texts)
    copy, cut = extract_features(texts[7]), extract_features(texts[7].split("\n")[0])
    proposed = index.query(index.sketches(copy, statistics))
    assert "doc-7" in proposed and len(proposed) <= 10
    assert "doc-7" in index.query(index.sketches(cut, statistics))

    everything = (Channel("shingles", lambda f, s: f.shingles, 0.1), Channel("rare_words", lambda f, s: f.content_words, 0.15))
    legacy, statistics, _ = _indexed(texts, everything)
    assert len(legacy.query(legacy.sketches(copy, statistics))) > 100


def test_distinctive_shingles_keep_runs_holding_an_uncommon_word() -> None:
    from dedup.candidates import CHANNEL_SHINGLE_SIZE, COMMON_WORD_SHARE, MIN_DOCUMENTS_FOR_RARITY, _distinctive_shingles
    from dedup.shingle import shingle_runs

    features = extract_features("the company said on monday that acmecorp profits rose as the company said")
    tokens = features.token_hashes
    runs = shingle_runs(tokens, CHANNEL_SHINGLE_SIZE)
    statistics = IncrementalTfidf()
    assert _distinctive_shingles(features, statistics).tolist() == np.unique(runs).tolist()  # a small index: every run
    statistics.n_documents_ = 10 * MIN_DOCUMENTS_FOR_RARITY
    statistics.document_frequency_[statistics.columns(tokens)] = int(COMMON_WORD_SHARE * statistics.n_documents_) + 1
    assert _distinctive_shingles(features, statistics).tolist() == np.unique(runs).tolist()  # all common: every run
    rare = 6  # "acmecorp": the runs that hold it, at positions 4, 5 and 6
    statistics.document_frequency_[statistics.columns(tokens[rare : rare + 1])] = 1
    assert _distinctive_shingles(features, statistics).tolist() == np.unique(runs[4:7]).tolist()


def test_a_text_without_rare_words_is_sketched_by_its_titles() -> None:
    from dedup.candidates import _rare_words

    body = "Qtly div 11 cts vs 10 cts prior\nPay July 31\nRecord July 17"
    features = extract_features(body, title="Lowe's Cos sets quarterly")
    statistics = IncrementalTfidf()
    statistics.n_documents_ = 1000
    statistics.document_frequency_[statistics.columns(features.content_words)] = 500  # every body word is common
    title = extract_features("Lowe's Cos sets quarterly").content_words
    statistics.document_frequency_[statistics.columns(title)] = 500
    assert _rare_words(features, statistics).tolist() == features.content_words.tolist()  # no rare title word either
    lowes = extract_features("Lowe's").content_words
    statistics.document_frequency_[statistics.columns(lowes)] = 1
    assert _rare_words(features, statistics).tolist() == lowes.tolist()
