"""A sanity floor on the research-only benchmark's COUNTER documents (Urdu agency copy and papers).

The benchmark lives outside the repository (``../shared/bench``) and is never copied into it; the
test skips when it is absent.
"""

import json
from pathlib import Path

import pytest

from dedup import run_batch
from dedup.document import document_from_mapping

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
DEV = BENCH / "dev"


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


@pytest.fixture(scope="module")
def counter():
    if not (DEV / "corpus.jsonl").is_file() or not (DEV / "gold.jsonl").is_file():
        pytest.skip(f"the research-only benchmark is not present at {DEV} (it is never copied into the repository)")
    gold = {g["id"]: g for g in _read_jsonl(DEV / "gold.jsonl") if g["dataset"] == "counter"}
    documents = [
        document_from_mapping(record, on_bad_date=lambda err: None)
        for record in _read_jsonl(DEV / "corpus.jsonl")
        if record["id"] in gold
    ]
    return gold, documents


def test_counter_updates_join_their_parent(counter):
    gold, documents = counter
    assert documents, "no COUNTER documents in the benchmark"
    placements = run_batch(documents)
    updates = [g for g in gold.values() if g["relation"] == "update" and g["parent"] in placements]
    assert updates, "the benchmark has no COUNTER update with a known parent"
    joined = [g["id"] for g in updates if placements[g["id"]].lineage_id == placements[g["parent"]].lineage_id]
    assert len(joined) >= 0.5 * len(updates), f"{len(joined)} of {len(updates)} updates joined their parent"
