"""The heap of a batch (dedup/heap.py): the garbage collector paused while the index is built,
and freed memory handed back."""

from __future__ import annotations

import gc

import pytest

from dedup.heap import collector_paused


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_paused_restores_the_state_it_found(enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), collector_paused():
            raise RuntimeError("a failed step")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_the_batch_job_runs_no_collection_and_leaves_the_collector_on(wire_text: str) -> None:
    from dedup import Document, EngineConfig
    from dedup.batch import run_batch

    documents = [Document(id=f"copy{k}", text=wire_text + f"\nFiled {k}.") for k in range(3)]
    documents += [Document(id=f"other{k}", text=f"Harvest of {k * 13} tonnes in province {k}.") for k in range(200)]
    collections: list[int] = []
    seen_at_each_stage: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        placements = run_batch(
            documents, EngineConfig(embedder=None), workers=1, progress=lambda *_: seen_at_each_stage.append(len(collections))
        )
    finally:
        gc.callbacks.remove(count)
    # None while the job ran (up to its last progress report); re-enabled, the collector
    # may run at once, and does again whenever its thresholds say so.
    assert seen_at_each_stage and max(seen_at_each_stage) == 0 and gc.isenabled()
    assert len({placements[f"copy{k}"].lineage_id for k in range(3)}) == 1


def _resident_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line")


def test_freed_blocks_between_live_ones_go_back_to_the_system() -> None:
    """Blocks freed between live ones stay with the process until the heap is trimmed."""
    import os

    from dedup.heap import _malloc_trim, release_free_memory

    if _malloc_trim() is None or not os.path.exists("/proc/self/status"):
        pytest.skip("needs glibc's malloc_trim and /proc (Linux)")
    blocks = [bytearray(os.urandom(16)) * 4096 for _ in range(4000)]  # 64 KB each, from the heap
    del blocks[::2]  # 128 MB freed in holes between live blocks
    before = _resident_mb()
    release_free_memory()
    assert before - _resident_mb() > 64
    assert len(blocks) == 2000
