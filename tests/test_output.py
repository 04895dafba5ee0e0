"""Writing results (dedup/output.py)."""

import io
import json
import os
from datetime import datetime, timezone

import pytest

from dedup.document import Document
from dedup.lineage import Placement
from dedup.output import placement_rows, render_tree, write_jsonl_atomic
from dedup.relate import Relation


def _rows(n: int):
    return [{"id": f"doc-{k}", "lineage_id": "doc-0", "parent_id": None if k == 0 else "doc-0"} for k in range(n)]


def _leftovers(folder, name):
    return [p.name for p in folder.iterdir() if p.name != name]


def test_write_jsonl_atomic_writes_every_row(tmp_path):
    target = tmp_path / "out.jsonl"
    rows = _rows(50) + [{"id": "東京-1", "note": "ünïcode"}]
    write_jsonl_atomic(rows, target)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == rows
    assert "東京-1" in lines[-1]  # written as UTF-8, not \u escapes
    assert _leftovers(tmp_path, "out.jsonl") == []


def test_write_jsonl_atomic_accepts_a_str_path_and_a_generator(tmp_path):
    target = tmp_path / "out.jsonl"
    write_jsonl_atomic((row for row in _rows(3)), str(target))
    assert len(target.read_text(encoding="utf-8").splitlines()) == 3


def test_write_jsonl_atomic_replaces_an_existing_file(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")
    write_jsonl_atomic(_rows(2), target)
    assert [json.loads(line)["id"] for line in target.read_text(encoding="utf-8").splitlines()] == ["doc-0", "doc-1"]


def test_write_jsonl_atomic_empty_rows(tmp_path):
    target = tmp_path / "out.jsonl"
    write_jsonl_atomic([], target)
    assert target.read_text(encoding="utf-8") == ""


def _failing_rows(after: int, exc: BaseException):
    yield from _rows(after)
    raise exc


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failure_mid_iteration_leaves_no_file(tmp_path, exc):
    target = tmp_path / "out.jsonl"
    with pytest.raises(type(exc)):
        write_jsonl_atomic(_failing_rows(10, exc), target)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_iteration_leaves_an_existing_file_untouched(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text('{"id": "previous-run"}\n', encoding="utf-8")
    with pytest.raises(RuntimeError, match="boom"):
        write_jsonl_atomic(_failing_rows(10, RuntimeError("boom")), target)
    assert target.read_text(encoding="utf-8") == '{"id": "previous-run"}\n'
    assert _leftovers(tmp_path, "out.jsonl") == []


def test_unserialisable_row_leaves_no_file(tmp_path):
    target = tmp_path / "out.jsonl"
    with pytest.raises(TypeError):
        write_jsonl_atomic([{"id": "a"}, {"id": object()}], target)
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_raises_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_jsonl_atomic(_rows(1), tmp_path / "missing" / "out.jsonl")
    assert list(tmp_path.iterdir()) == []


def test_written_file_follows_the_umask(tmp_path):
    target = tmp_path / "out.jsonl"
    old = os.umask(0o022)
    try:
        write_jsonl_atomic(_rows(1), target)
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644


T0 = datetime(2024, 11, 29, tzinfo=timezone.utc)
DOCS = [
    Document(id="paper", text="t", source="Dawn", language="en", published_at=T0),
    Document(id="wire", text="t", source="AFP", language="en", published_at=T0),
    Document(id="cut", text="t"),
    Document(id="deep", text="t", source="Blog"),
    Document(id="alone", text="t"),
    Document(id="alone2", text="t", source="X"),
]
PLACEMENTS = {
    "wire": Placement("wire", "wire", None, Relation.ORIGINAL, 0.0),
    "paper": Placement("paper", "wire", "wire", Relation.REPUBLICATION, 0.91),
    "cut": Placement("cut", "wire", "wire", Relation.PARTIAL, 0.456),
    "deep": Placement("deep", "wire", "cut", Relation.UPDATE, 0.7),
    "alone": Placement("alone", "alone", None, Relation.NONE, 0.0),
    "alone2": Placement("alone2", "alone2", None, Relation.NONE, 0.0),
}


def test_placement_rows_in_input_order():
    rows = placement_rows(DOCS, PLACEMENTS)
    assert [r["id"] for r in rows] == [d.id for d in DOCS]
    assert rows[0] == {
        "id": "paper",
        "lineage_id": "wire",
        "parent_id": "wire",
        "relation": "republication",
        "score": 0.91,
    }
    assert rows[1] == {"id": "wire", "lineage_id": "wire", "parent_id": None, "relation": "original", "score": 0.0}
    assert json.loads(json.dumps(rows)) == rows


def test_render_tree():
    out = io.StringIO()
    render_tree(DOCS, PLACEMENTS, out)
    assert out.getvalue() == (
        "lineage 1: wire (4 documents)\n"
        "wire (AFP, en, 2024-11-29)  original\n"
        "   └─ paper (Dawn, en, 2024-11-29)  republication 0.91\n"
        "   └─ cut  partial 0.46\n"
        "      └─ deep (Blog)  update 0.70\n"
        "\n"
        "2 document(s) joined no lineage.\n"
    )


def test_render_tree_lists_singletons_on_request():
    out = io.StringIO()
    render_tree(DOCS, PLACEMENTS, out, singletons=True)
    text = out.getvalue()
    assert text.endswith("alone  none\nalone2 (X)  none\n")
    assert "joined no lineage" not in text


def test_render_tree_largest_lineage_first():
    docs = [Document(id=k, text="t") for k in ("a", "b", "x", "y", "z")]
    placements = {
        "a": Placement("a", "a", None, Relation.ORIGINAL, 0.0),
        "b": Placement("b", "a", "a", Relation.REPUBLICATION, 0.9),
        "x": Placement("x", "x", None, Relation.ORIGINAL, 0.0),
        "y": Placement("y", "x", "x", Relation.PARTIAL, 0.5),
        "z": Placement("z", "x", "y", Relation.PARTIAL, 0.4),
    }
    out = io.StringIO()
    render_tree(docs, placements, out)
    headers = [line for line in out.getvalue().splitlines() if line.startswith("lineage ")]
    assert headers == ["lineage 1: x (3 documents)", "lineage 2: a (2 documents)"]
    assert "joined no lineage" not in out.getvalue()


def test_render_tree_nothing_linked():
    docs = [Document(id="a", text="t")]
    out = io.StringIO()
    render_tree(docs, {"a": Placement("a", "a", None, Relation.NONE, 0.0)}, out)
    assert out.getvalue() == "1 document(s) joined no lineage.\n"
