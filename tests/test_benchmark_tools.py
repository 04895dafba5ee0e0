"""The pieces of the benchmark scripts that decide what is measured: the story halves of a
split and the scoped replacement of the translation weights (``--cross-fit``)."""

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dedup import relate

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _script(name: str):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


def _split(tmp_path: Path) -> Path:
    stories = {f"s{k}": [f"s{k}-a", f"s{k}-b", f"s{k}-c"] for k in range(12)}
    gold = [{"id": i, "story": s, "lineage": s} for s, ids in stories.items() for i in ids]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold), encoding="utf-8")
    (tmp_path / "corpus.jsonl").write_text("".join(json.dumps({"id": g["id"], "text": "x"}) + "\n" for g in gold), encoding="utf-8")
    return tmp_path


def test_story_halves_keep_each_story_whole_and_lose_no_document(tmp_path):
    quality = _script("quality")
    halves = quality.story_halves(_split(tmp_path))
    assert len(halves) == 2 and all(gold for _, gold in halves)
    stories = [{g["story"] for g in gold} for _, gold in halves]
    assert not stories[0] & stories[1]
    ids = [json.loads(line)["id"] for lines, _ in halves for line in lines]
    assert sorted(ids) == sorted(g["id"] for _, gold in halves for g in gold)
    assert len(ids) == 36
    with quality.temporary_split(*halves[0]) as (corpus, gold_file):
        assert corpus.read_text(encoding="utf-8").count("\n") == len(halves[0][0])
        assert gold_file.exists()
    assert not corpus.exists()
    salted = [{g["story"] for g in gold} for _, gold in quality.story_halves(tmp_path, salt="a")]
    assert not salted[0] & salted[1] and salted[0] | salted[1] == stories[0] | stories[1]
    assert salted[0] not in stories  # other halves, not the same ones (nor swapped)


def test_translation_weights_are_replaced_for_the_block_only():
    fit = _script("fit_link_model")
    deployed = dict(relate.TRANSLATION_WEIGHTS), relate.TRANSLATION_INTERCEPT
    zero = dict.fromkeys(deployed[0], 0.0)
    with pytest.raises(RuntimeError), fit.translation_weights(zero, -9.0):
        assert relate.TRANSLATION_WEIGHTS == zero and relate.TRANSLATION_INTERCEPT == -9.0
        raise RuntimeError("a failed run must not leave its weights behind")
    assert (relate.TRANSLATION_WEIGHTS, relate.TRANSLATION_INTERCEPT) == deployed


def test_link_weights_are_replaced_for_the_block_only():
    fit = _script("fit_link_model")
    deployed = dict(relate.LINK_WEIGHTS), relate.LINK_INTERCEPT
    zero = dict.fromkeys(deployed[0], 0.0)
    with pytest.raises(RuntimeError), fit.model_weights("LINK", zero, -9.0):
        assert relate.LINK_WEIGHTS == zero and relate.LINK_INTERCEPT == -9.0
        assert relate.link_probability(relate.PairEvidence(1.0, 1.0, 1.0, 1.0, 1.0, None), 300, 300) < 0.001
        raise RuntimeError("a failed run must not leave its weights behind")
    assert (relate.LINK_WEIGHTS, relate.LINK_INTERCEPT) == deployed


def test_counter_separation_measures_a_signal_against_the_independent_budget():
    separation = _script("counter_separation")
    positives, negatives = np.array([0.2, 0.52, 0.8, 0.9]), np.linspace(0.0, 0.6, 20)
    assert separation.auc(np.array([1.0]), np.array([0.0])) == 1.0
    assert separation.auc(negatives, negatives) == 0.5  # a signal against itself is chance
    # 3 of 20 independents (15 %) may pass: the threshold sits below the fourth highest.
    threshold = np.sort(negatives)[::-1][3]
    assert (negatives > threshold).sum() == 3
    assert separation.recall_within_budget(positives, negatives) == 0.75
    assert separation.recall_within_budget(positives, negatives, budget=0.0) == 0.5  # above every independent


def test_counter_pairs_pair_each_derived_or_independent_story_with_its_original():
    separation = _script("counter_separation")
    gold = {
        "c-1": {"dataset": "counter", "story": "c-1", "parent": None, "relation": "original"},
        "c-1p": {"dataset": "counter", "story": "c-1", "parent": "c-1", "relation": "partial"},
        "c-1n": {"dataset": "counter", "story": "c-1", "parent": None, "relation": "independent"},
        "c-2n": {"dataset": "counter", "story": "c-2", "parent": None, "relation": "independent"},  # no original here
        "w-1": {"dataset": "wmt21", "story": "w", "parent": "w-0", "relation": "translation"},
    }
    assert sorted(separation.counter_pairs(gold)) == [("c-1n", "c-1", "independent"), ("c-1p", "c-1", "partial")]
    table = separation.separation_table({"cosine": np.array([0.9, 0.1])}, ["partial", "independent"])
    assert table[2].startswith("| cosine |") and "| 1.0 |" in table[2]


def test_throughput_restart_part_reopens_a_persisted_index_both_ways():
    throughput = _script("throughput")
    reuters = Path(throughput.DEFAULT_REUTERS)
    if not reuters.exists():
        pytest.skip(f"the Reuters corpus is not at {reuters} (research-only, never copied here)")
    from dedup.engine import EngineConfig

    stories = throughput.load_reuters(reuters)
    rows = throughput.measure_restart([200], stories, EngineConfig(embedder=None, detect_languages=False), copies=3)
    assert [r["size"] for r in rows] == [200]
    assert rows[0]["snapshot_mb"] > 0 and rows[0]["replay_s"] > 0 and rows[0]["snapshot_s"] > 0
    replicated = rows[0]["replicated"]  # three copies of the index, loaded back whole
    assert replicated["documents"] == 600 and replicated["links"] > 0 and replicated["links"] % 3 == 0
    assert replicated["mb"] > rows[0]["snapshot_mb"] and replicated["read_s"] > 0
    section = throughput.report({"machine": throughput.machine(), "when": "now", "engine": "test", "restart": rows}, "cmd")
    assert "| 200 |" in section and "restart from the engine snapshot" in section
    assert "| 200 | 600 |" in section


def test_throughput_index_part_reports_each_process_count_beside_the_default_path():
    throughput = _script("throughput")
    index = {
        "documents": 1000, "words_per_document": 135.0, "default_s": 2.0, "default_docs_per_s": 500.0,
        "engine": [
            {"workers": 1, "seconds": 0.5, "docs_per_s": 2000.0, "ratio": 4.0},
            {"workers": 2, "seconds": 0.25, "docs_per_s": 4000.0, "ratio": 8.0},
        ],
    }
    section = throughput.report({"machine": throughput.machine(), "when": "now", "engine": "test", "index": index}, "cmd")
    assert "| 1 | 0.5 | 2000 | 4.00x |" in section
    assert "| 2 | 0.2 | 4000 | 8.00x |" in section
    assert "| 1 | 2.0 | 500 | |" in section  # the default path, one process


def test_throughput_memory_part_measures_every_channel_at_its_own_permutations():
    """The memory part builds datasketch's LSH and CompactLSH over the engine's own channels,
    each at its permutation count (the rare-word channel's 256 broke it once)."""
    throughput = _script("throughput")
    reuters = Path(throughput.DEFAULT_REUTERS)
    if not reuters.exists():
        pytest.skip(f"the Reuters corpus is not at {reuters} (research-only, never copied here)")
    from dedup.engine import EngineConfig

    figures = throughput.measure_memory(300, reuters, EngineConfig(embedder=None, detect_languages=False))
    assert figures["documents"] == 300 and figures["channels"] == ["shingles", "rare_words"]
    assert 0 < figures["compact_lsh_nbytes_per_doc"] < figures["datasketch_lsh_bytes_per_doc"]
    assert figures["engine_bytes_per_doc"] > figures["compact_lsh_nbytes_per_doc"]


def test_link_model_comparison_counts_kept_pairs_by_dataset():
    kept = _script("link_model_comparison").kept
    selected = np.array([True, True, False, True])
    labels = np.array([1, 0, 1, 0])
    datasets = np.array(["counter", "reuters", "wmt21", "reuters"])
    assert kept(selected, labels, datasets) == "2 false {'reuters': 2}; true {'counter': 1}"


def test_combined_signals_number_reads_tuples_by_length_and_unknowns_as_minus_one():
    number = _script("counter_separation")._number
    assert number(None) == -1.0
    assert number(("a", "b")) == 2.0
    assert number(0.25) == 0.25


def test_the_halves_table_shows_counter_recall_and_independents_joined():
    quality = _script("quality")
    figures = dict.fromkeys(quality._HALF_FIGURES, 0.5)
    row = {**figures, "docs": 10, "recall_by": {"counter": 0.61, "wmt21/cross-lang": 0.95}, "independent_joined": "5/86",
           "false_links_by": {}, "seconds": 1.0}
    header, rule, line = quality.halves_table([row])
    assert header.count("|") == rule.count("|") == line.count("|")
    assert "| 0.95 | 0.61 | 5/86 |" in line


def _grpc_load():
    """benchmarks/grpc_load.py, imported under its own name: its client processes are
    spawned, and import it again by that name."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.append(str(BENCHMARKS))
    return importlib.import_module("grpc_load")


def _burn(seconds: float) -> None:
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")
def test_grpc_load_reads_cpu_seconds_and_splits_them_by_kind_of_process():
    load = _grpc_load()
    before = load.server_cpu(os.getpid())
    _burn(0.05)
    after = load.server_cpu(os.getpid())
    assert after["server"][0] >= before["server"][0] + 0.03  # read in clock ticks (10 ms here)
    # A child present in both readings counts as an index process; one that came later does not.
    before = {"server": (1.0, 0), "101": (2.0, 5)}
    after = {"server": (1.5, 0), "101": (2.8, 9), "102": (7.0, 50)}
    share = load.cpu_share(before, after, clients_seconds=0.4)
    assert (share.server, share.index, share.clients, share.index_preemptions) == pytest.approx((0.5, 0.8, 0.4, 4))
    assert share.per_request_ms(100) == pytest.approx((5.0, 8.0, 4.0))
    assert load.cpu_share(None, after, 0.4) is None


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")
def test_grpc_load_reports_the_cpu_of_each_load_by_kind_of_process(tmp_path):
    seeds = sorted((Path(__file__).resolve().parents[1] / "seeds").glob("*.txt"))
    records = [{"id": f"{path.stem}-{k}", "text": path.read_text(encoding="utf-8")} for k in range(3) for path in seeds]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    results = tmp_path / "results.md"
    load = _grpc_load()
    argv = ["--corpus", str(corpus), "--documents", "15", "--workers", "2", "--clients", "2", "--requests", "20"]
    assert load.main(argv + ["--warmup", "1", "--no-embedder", "--results", str(results)]) == 0
    row = next(line for line in results.read_text(encoding="utf-8").splitlines() if line.startswith("| 2 |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2] == "0"  # no errors
    server, index, clients = (float(x) for x in cells[5].split(" / "))
    # The clients' CPU is their own clock, to the microsecond; the server's processes are read
    # in clock ticks, which a short load may not reach.
    assert clients > 0 and min(server, index) >= 0 and float(cells[6]) >= 0
