"""Shared fixtures: small corpora written to a temporary folder, and the seed folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"

WIRE = (
    "Jihadists and their allies swept into Aleppo, Syria's second-largest city, early on Friday after a "
    "two-day lightning offensive against the regime, ending years of relative calm in the northwest.\n"
    "The fighting has killed more than 277 people, according to the Syrian Observatory for Human Rights, "
    "the most violent since 2020 in a region where Aleppo province adjoins the rebel stronghold of Idlib.\n"
    "Two eyewitnesses told reporters they saw armed men in the city and spoke of scenes of panic as "
    "families loaded cars and fled towards the south under heavy shelling.\n"
    "The army said it had sent reinforcements to defend the city and that air strikes had hit 24 positions "
    "held by the attackers in the countryside west of Aleppo overnight."
)


@pytest.fixture
def write_jsonl(tmp_path: Path):
    """Write records (dicts, or raw strings written as they are) as one JSONL file."""

    def write(records, name: str = "corpus.jsonl") -> Path:
        path = tmp_path / name
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    return write


@pytest.fixture
def wire_text() -> str:
    return WIRE


@pytest.fixture
def dated_seeds():
    """The five seed articles as documents, dated an hour apart in file-name order."""
    from dedup import Document
    from dedup.document import parse_timestamp

    return [
        Document(id=path.stem, text=path.read_text(encoding="utf-8"), published_at=parse_timestamp(f"2024-11-29T0{k}:00Z"))
        for k, path in enumerate(sorted(SEEDS.glob("*.txt")))
    ]
