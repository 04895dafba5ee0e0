"""Writing results: JSONL rows (atomically) and a readable lineage tree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, TextIO

from .atomic import replaced_atomically
from .document import Document
from .lineage import Placement
from .relate import Relation

__all__ = ["placement_rows", "write_jsonl_atomic", "render_tree"]


def placement_rows(documents: Iterable[Document], placements: dict[str, Placement]) -> list[dict]:
    """One output row per input document, in input order."""
    rows = []
    for doc in documents:
        p = placements[doc.id]
        rows.append(
            {
                "id": doc.id,
                "lineage_id": p.lineage_id,
                "parent_id": p.parent_id,
                "relation": p.relation.value,
                "score": p.score,
            }
        )
    return rows


def write_jsonl_atomic(rows: Iterable[dict], path: str | Path) -> None:
    """Write ``rows`` as JSON lines to ``path`` through a temporary file in the same folder,
    renamed into place only once complete: an interrupted run never leaves a file that looks
    complete, and an existing file is replaced in one step."""
    with replaced_atomically(path) as out:
        for row in rows:
            out.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))


def _label(doc: Document) -> str:
    bits = [doc.id]
    meta = ", ".join(x for x in (doc.source, doc.language, doc.published_at.date().isoformat() if doc.published_at else "") if x)
    if meta:
        bits.append(f"({meta})")
    return " ".join(bits)


def render_tree(documents: list[Document], placements: dict[str, Placement], out: TextIO, *, singletons: bool = False) -> None:
    """Print each lineage as an indented tree: root first, then each derived document with its
    relation and score. Documents that joined no lineage are summarised in one line unless
    ``singletons`` is true."""
    by_id = {d.id: d for d in documents}
    children: dict[str, list[Placement]] = {}
    lineages: dict[str, list[Placement]] = {}
    for p in placements.values():
        lineages.setdefault(p.lineage_id, []).append(p)
        if p.parent_id is not None:
            children.setdefault(p.parent_id, []).append(p)
    multi = [lid for lid, members in lineages.items() if len(members) > 1]
    alone = [lid for lid, members in lineages.items() if len(members) == 1]

    def walk(doc_id: str, depth: int) -> None:
        for child in sorted(children.get(doc_id, []), key=lambda p: -p.score):
            out.write(f"{'   ' * depth}└─ {_label(by_id[child.id])}  {child.relation.value} {child.score:.2f}\n")
            walk(child.id, depth + 1)

    for number, lid in enumerate(sorted(multi, key=lambda l: (-len(lineages[l]), l)), start=1):
        out.write(f"lineage {number}: {lid} ({len(lineages[lid])} documents)\n")
        out.write(f"{_label(by_id[lid])}  {Relation.ORIGINAL.value}\n")
        walk(lid, 1)
        out.write("\n")
    if singletons:
        for lid in alone:
            out.write(f"{_label(by_id[lid])}  none\n")
    elif alone:
        out.write(f"{len(alone)} document(s) joined no lineage.\n")
