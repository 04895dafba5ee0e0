"""Readable text for the CLI verbs ``dedup score`` and ``dedup lineage``."""

from __future__ import annotations

import textwrap
from typing import TextIO

from .types import Lineage, Match, ScoreResult, StreamSummary

__all__ = ["render_lineage", "render_score", "render_summary"]

_EXCERPT_CHARS = 160


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT_CHARS else flat[: _EXCERPT_CHARS - 1] + "…"


def _direction(match: Match) -> str:
    return "this document derives from it" if match.query_is_derived else "it derives from this document"


def _render_match(rank: int, match: Match, out: TextIO) -> None:
    label = f"{match.id} ({match.source})" if match.source else match.id
    out.write(f"  {rank}. {label}: {match.relation.value} ({_direction(match)}), score {match.score:.2f}\n")
    out.write(
        f"     cosine {match.cosine:.2f}, containment {match.containment_query_in_match:.0%} of this in it, "
        f"{match.containment_match_in_query:.0%} of it in this; lineage {match.lineage_id}\n"
    )
    if match.translation is not None:
        t = match.translation
        out.write(
            f"     in {match.language or 'another language'}: lead cosine {t.lead_cosine:.2f}, lead rank {t.lead_rank}, "
            f"{t.figures_in_common:.0%} of figures and {t.names_in_common:.0%} of names in common\n"
        )
    out.writelines(
        textwrap.fill(
            f"“{_excerpt(passage.text)}” ({passage.tokens} words)",
            width=100,
            initial_indent="     shared: ",
            subsequent_indent="             ",
        )
        + "\n"
        for passage in match.passages[:3]
    )


def render_score(doc_id: str, result: ScoreResult, out: TextIO) -> None:
    """The lineage a scored document gets, then each match with its evidence."""
    where = f"lineage {result.lineage_id}"
    if result.parent_id:
        where += f", {result.relation.value} of {result.parent_id} ({result.score:.2f})"
    elif result.matches:
        where += ", as its original"
    else:
        where = "no lineage (no indexed document is derived from the same text)"
    out.write(f"{doc_id}: {where}\n")
    for rank, match in enumerate(result.matches, start=1):
        _render_match(rank, match, out)


def render_lineage(lineage: Lineage, out: TextIO) -> None:
    """The lineage as an indented tree, root first."""
    children: dict[str, list] = {}
    for node in lineage.nodes[1:]:
        children.setdefault(node.parent_id or "", []).append(node)
    root = lineage.nodes[0]
    out.write(f"lineage {lineage.lineage_id} ({len(lineage.nodes)} documents)\n")
    out.write(f"{root.id}{f' ({root.source})' if root.source else ''}  {root.relation.value}\n")

    def walk(parent: str, depth: int) -> None:
        for node in children.get(parent, []):
            source = f" ({node.source})" if node.source else ""
            out.write(f"{'   ' * depth}└─ {node.id}{source}  {node.relation.value} {node.score:.2f}\n")
            walk(node.id, depth + 1)

    walk(root.id, 1)


def render_summary(summary: StreamSummary, out: TextIO) -> None:
    """Counts of a bulk load, then one line per rejected document."""
    out.write(f"{summary.created} created, {summary.replaced} replaced, {summary.rejected} rejected\n")
    out.writelines(f"  rejected #{r.position} {r.id or '(no id)'}: {r.field}: {r.reason}\n" for r in summary.rejections)
