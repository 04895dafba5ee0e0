"""A scale corpus generated from Reuters-21578 by the edits syndication makes, with its truth.

usage: python benchmarks/scale_corpus.py --size 100000 [--out /tmp/scale-100000.jsonl]
       [--truth PATH] [--seed 1] [--reuters ../shared/bench/reuters21578.jsonl]

Reuters wire stories (read in place, never copied here) are the originals. Each lineage gets
a skewed number of derived documents, as a popular story is picked up by many outlets and a
minor one by few:

- ``republication``: an outlet's copy, whole, with its header and footer lines (section
  banner, "Sign up for our newsletter", copyright, disclaimer), which the outlet repeats on
  every article;
- ``cut``: an outlet keeps a contiguous 30-70 % of the paragraphs (of the sentences, for a
  story of fewer than three paragraphs), with its boilerplate;
- ``update``: the wire files a new version: some numbers change and a paragraph is appended;
- ``reorder``: an outlet moves paragraphs around (one moved to the top, two swapped);
- ``cut_of_copy``: a cut and re-ordered version of an earlier outlet copy in the same lineage
  (its parent is that copy, not the wire text).

A fifth of the corpus (as far as Reuters allows) is distractors: other Reuters stories with no
derived document. Output is time-ordered JSONL in our input format (``id``, ``text``,
``title``, ``source``, ``language``, ``published_at``); the truth file has one row per document:
``id``, ``lineage`` (the original's id), ``parent`` (null for originals) and ``edit``.
Everything is a function of ``--seed``: two runs write the same bytes.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REUTERS = ROOT.parent / "shared" / "bench" / "reuters21578.jsonl"

EDITS = ("republication", "cut", "update", "reorder", "cut_of_copy")
EDIT_WEIGHTS = (0.40, 0.25, 0.12, 0.13, 0.10)
MIN_ORIGINAL_WORDS = 60
DISTRACTOR_SHARE = 0.2
MEAN_CHILDREN = 5

_PARAGRAPH = re.compile(r"\n(?=[ \t]{2,}\S)|\n[ \t]*\n")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"])")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")

_PLACES = ["Springfield", "Riverton", "Fairview", "Kingsport", "Lakeside", "Oakridge", "Westbury", "Northgate", "Ashford", "Brookfield", "Clearwater", "Dunmore", "Eastwick", "Glenwood", "Harbour", "Ironbridge", "Juniper", "Kelso", "Lindale", "Marston", "Newport", "Oldham", "Pinecrest", "Queensbury", "Redhill", "Stanton", "Thornbury", "Upton", "Valemount", "Whitby", "Yarrow", "Zenith"]
_TITLES = ["Herald", "Gazette", "Tribune", "Courier", "Post", "Times", "Chronicle", "Observer", "Ledger", "Journal", "Daily", "Monitor"]
_SECTIONS = ("Business", "Markets", "World", "Economy", "Companies", "Commodities", "Finance")
_FOOTERS = (
    "Sign up for our newsletter to get the day's top stories in your inbox.",
    "(c) 1987 {outlet}. All rights reserved. This material may not be published, broadcast or redistributed.",
    "Disclaimer: {outlet} is not responsible for the content of wire stories it republishes.",
    "Follow {outlet} on social media for breaking news and analysis.",
    "Read more business news at {slug}.example.com/business",
    "Copyright {outlet}. Distributed under licence; reproduction is prohibited.",
    "Have a news tip? Contact the {outlet} newsroom at news@{slug}.example.com",
)
_UPDATE_PARAGRAPHS = (
    "A company spokesman later said the figures were in line with expectations and that {n} staff would be affected.",
    "Shares in the company closed {n} cents higher at {m} dlrs in late trading, dealers said.",
    "Officials said further details would be released on {day}, when talks are due to resume.",
    "Analysts said the move had been widely expected and put the total cost at around {n} mln dlrs.",
    "The statement added that about {n} pct of the output was destined for export markets.",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_MONTHS = {m: k for k, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}


@dataclass(frozen=True)
class Outlet:
    """A republishing outlet and the lines it puts around every article."""

    name: str
    slug: str
    header: str
    footers: tuple[str, ...]


@dataclass(frozen=True)
class Planned:
    """One document to generate: ``edit`` of ``parent`` (itself for an original)."""

    id: str
    lineage: str
    parent: str | None
    edit: str
    outlet: int
    published_at: datetime


def outlets(count: int, rng: random.Random) -> list[Outlet]:
    """``count`` outlets with distinct names, each with a section banner and 1-3 footer lines."""
    names = [f"{p} {t}" for p in _PLACES for t in _TITLES]
    rng.shuffle(names)
    made = []
    for name in names[:count]:
        slug = name.lower().replace(" ", "")
        footers = tuple(f.format(outlet=name, slug=slug) for f in rng.sample(_FOOTERS, rng.randint(1, 3)))
        made.append(Outlet(name, slug, f"{name.upper()} | {rng.choice(_SECTIONS)}", footers))
    return made


def parse_reuters_date(raw: str) -> datetime | None:
    """``26-FEB-1987 15:01:01.79`` as a UTC datetime (None when it does not parse).

    >>> parse_reuters_date("26-FEB-1987 15:01:01.79").isoformat()
    '1987-02-26T15:01:01+00:00'
    """
    match = re.match(r"\s*(\d{1,2})-([A-Z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2})", raw or "")
    if not match or match.group(2) not in _MONTHS:
        return None
    day, month, year, hour, minute, second = match.groups()
    try:
        return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=timezone.utc)
    except ValueError:
        return None


def paragraphs(text: str) -> list[str]:
    """The paragraphs of a Reuters body (indented first lines), each on one line."""
    return [" ".join(p.split()) for p in _PARAGRAPH.split(text) if p.strip()]


def _units(paras: list[str]) -> list[str]:
    """Paragraphs, or sentences when a story has fewer than three paragraphs."""
    if len(paras) >= 3:
        return paras
    sentences = [s for p in paras for s in _SENTENCE.split(p) if s.strip()]
    return sentences if len(sentences) > len(paras) else paras


def change_numbers(text: str, rng: random.Random, share: float = 0.4) -> str:
    """Change about ``share`` of the numbers of ``text``, keeping how each is written."""

    def change(match: re.Match) -> str:
        value = match.group()
        if rng.random() >= share:
            return value
        digits = [k for k, c in enumerate(value) if c.isdigit()]
        chars = list(value)
        for k in digits[-2:] if len(digits) > 1 else digits:
            chars[k] = str((int(chars[k]) + rng.randint(1, 9)) % 10)
        if chars[0] == "0" and len(digits) > 1 and value[0] != "0":
            chars[0] = "1"
        return "".join(chars)

    return _NUMBER.sub(change, text)


def _with_boilerplate(body: list[str], outlet: Outlet, rng: random.Random) -> str:
    lines = [outlet.header, *body, *outlet.footers]
    if rng.random() < 0.3:
        lines.insert(1, f"By {outlet.name} staff and wire reports")
    return "\n".join(lines)


def _cut(units: list[str], rng: random.Random) -> list[str]:
    keep = max(1, round(len(units) * rng.uniform(0.3, 0.7)))
    start = rng.randint(0, len(units) - keep)
    return units[start : start + keep]


def _reorder(units: list[str], rng: random.Random) -> list[str]:
    units = list(units)
    if len(units) < 2:
        return units
    if rng.random() < 0.5:
        units.insert(0, units.pop(rng.randrange(1, len(units))))
    else:
        i, j = rng.sample(range(len(units)), 2)
        units[i], units[j] = units[j], units[i]
    return units


def render(
    planned: Planned, originals: Mapping[str, dict], plan: Mapping[str, Planned], outlet_list: list[Outlet], seed: int
) -> str:
    """The text of ``planned``: a pure function of the plan and the seed."""
    original = originals[planned.lineage]
    if planned.edit == "original":
        return original["text"]
    rng = random.Random(f"{seed}:{planned.id}")
    outlet = outlet_list[planned.outlet]
    if planned.edit == "cut_of_copy":
        parent = plan[planned.parent]
        body = render(parent, originals, plan, outlet_list, seed).split("\n")
        body = [line for line in body[1:] if line not in outlet_list[parent.outlet].footers]
        if body and body[0].startswith("By "):
            body = body[1:]
        return _with_boilerplate(_reorder(_cut(body, rng), rng), outlet, rng)
    paras = paragraphs(original["text"])
    if planned.edit == "republication":
        return _with_boilerplate(paras, outlet, rng)
    if planned.edit == "cut":
        return _with_boilerplate(_cut(_units(paras), rng), outlet, rng)
    if planned.edit == "reorder":
        return _with_boilerplate(_reorder(paras, rng), outlet, rng)
    if planned.edit == "update":
        added = rng.choice(_UPDATE_PARAGRAPHS).format(
            n=rng.randint(2, 900), m=f"{rng.randint(5, 90)}.{rng.randint(0, 99):02d}", day=rng.choice(_DAYS)
        )
        return "\n".join([change_numbers(p, rng) for p in paras] + [added])
    raise ValueError(f"unknown edit {planned.edit!r}")


def load_reuters(path: Path) -> list[dict]:
    """Reuters bodies with a parsed date, in file order."""
    stories = []
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            record = json.loads(line)
            record["date"] = parse_reuters_date(record.get("published_at_raw", "")) or datetime(
                1987, 3, 1, tzinfo=timezone.utc
            )
            stories.append(record)
    return stories


def plan_corpus(stories: list[dict], size: int, seed: int, n_outlets: int = 300) -> tuple[list[Planned], list[Outlet]]:
    """Which document derives from which, by what edit, from whom and when (time-ordered)."""
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    rng = random.Random(seed)
    outlet_list = outlets(n_outlets, rng)
    order = list(range(len(stories)))
    rng.shuffle(order)
    eligible = [k for k in order if len(stories[k]["text"].split()) >= MIN_ORIGINAL_WORDS]
    distractors = min(int(size * DISTRACTOR_SHARE), len(stories) - 1)
    n_lineages = max(1, min(len(eligible), (size - distractors) // (1 + MEAN_CHILDREN)))
    if size <= distractors + n_lineages:
        distractors = max(0, size - n_lineages)
        n_lineages = min(n_lineages, size)
    roots = eligible[:n_lineages]
    taken = set(roots)
    others = [k for k in order if k not in taken][:distractors]
    n_children = size - n_lineages - len(others)
    # A skewed share of the pickups per lineage: the most popular story gets about 11 times the
    # pickups of the least (a few hundred at 1M documents, as many as there are outlets).
    offset = max(10, n_lineages // 10)
    weights = [1.0 / (rank + offset) for rank in range(n_lineages)]
    counts = Counter(rng.choices(range(n_lineages), weights=weights, k=n_children))
    plan: list[Planned] = []
    for k in roots + others:
        story = stories[k]
        plan.append(Planned(story["id"], story["id"], None, "original", -1, story["date"]))
    for rank, root in enumerate(roots):
        story = stories[root]
        copies: list[Planned] = []
        for j in range(counts.get(rank, 0)):
            edit = rng.choices(EDITS, weights=EDIT_WEIGHTS)[0]
            parent = story["id"]
            if edit == "cut_of_copy":
                if not copies:
                    edit = "cut"
                else:
                    parent = rng.choice(copies).id
            after = story["date"] if parent == story["id"] else next(c.published_at for c in copies if c.id == parent)
            when = after + timedelta(minutes=rng.randint(5, 2 * 24 * 60))
            outlet = rng.randrange(n_outlets)
            planned = Planned(f"{story['id']}.{j + 1}", story["id"], parent, edit, outlet, when)
            plan.append(planned)
            if edit in ("republication", "reorder"):
                copies.append(planned)
    plan.sort(key=lambda p: (p.published_at, p.id))
    return plan, outlet_list


def generate(
    size: int, seed: int = 1, reuters: Path = DEFAULT_REUTERS, stories: list[dict] | None = None
) -> Iterator[tuple[dict, dict]]:
    """Yield ``(document record, truth record)`` for each of ``size`` documents, time-ordered."""
    stories = stories if stories is not None else load_reuters(reuters)
    plan, outlet_list = plan_corpus(stories, size, seed)
    originals = {s["id"]: s for s in stories}
    by_id = {p.id: p for p in plan}
    for planned in plan:
        source = "reuters" if planned.edit in ("original", "update") else outlet_list[planned.outlet].slug
        title = originals[planned.lineage].get("title", "")
        record = {
            "id": planned.id,
            "text": render(planned, originals, by_id, outlet_list, seed),
            "title": title,
            "source": source,
            "language": "en",
            "published_at": planned.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        truth = {"id": planned.id, "lineage": planned.lineage, "parent": planned.parent, "edit": planned.edit}
        yield record, truth


def lineage_recall(truth: list[dict], lineage_of: Mapping[str, str]) -> dict:
    """How much of the generated truth a prediction (``id -> lineage_id``) recovers.

    ``derived_recall``: share of derived documents placed in their original's lineage, by
    edit. ``pair_recall``/``pair_precision``: over pairs of documents, with every distractor
    its own lineage (Reuters' own repeats and corrections count against precision, so it is a
    lower bound).

    >>> truth = [{"id": "a", "lineage": "a", "parent": None, "edit": "original"},
    ...          {"id": "b", "lineage": "a", "parent": "a", "edit": "cut"},
    ...          {"id": "c", "lineage": "a", "parent": "a", "edit": "update"}]
    >>> lineage_recall(truth, {"a": "a", "b": "a", "c": "c"})["derived_recall"]
    0.5
    """
    found = Counter()
    total = Counter()
    for row in truth:
        if row["parent"] is None:
            continue
        total[row["edit"]] += 1
        if lineage_of.get(row["id"], row["id"]) == lineage_of.get(row["lineage"], row["lineage"]):
            found[row["edit"]] += 1
    cells: Counter = Counter()
    gold_sizes: Counter = Counter()
    pred_sizes: Counter = Counter()
    for row in truth:
        predicted = lineage_of.get(row["id"], row["id"])
        cells[(row["lineage"], predicted)] += 1
        gold_sizes[row["lineage"]] += 1
        pred_sizes[predicted] += 1

    def pairs(counter: Counter) -> int:
        return sum(c * (c - 1) // 2 for c in counter.values())

    both, gold, pred = pairs(cells), pairs(gold_sizes), pairs(pred_sizes)
    derived = sum(total.values())
    return {
        "derived_recall": sum(found.values()) / derived if derived else 1.0,
        "by_edit": {edit: found[edit] / total[edit] for edit in sorted(total)},
        "pair_recall": both / gold if gold else 1.0,
        "pair_precision": both / pred if pred else 1.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="documents to generate (10000, 100000, 1000000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="corpus JSONL (default /tmp/scale-SIZE.jsonl; never inside the repository)")
    parser.add_argument("--truth", help="truth JSONL (default: the corpus path with .truth.jsonl)")
    parser.add_argument("--reuters", default=str(DEFAULT_REUTERS), help="reuters21578.jsonl, read in place")
    args = parser.parse_args(argv)
    reuters = Path(args.reuters)
    if not reuters.exists():
        print(f"Reuters corpus not found at {reuters}: nothing to generate (it is not part of the repository)")
        return 0
    out = Path(args.out or f"/tmp/scale-{args.size}.jsonl")
    truth_path = Path(args.truth) if args.truth else out.with_suffix(".truth.jsonl")
    started = time.monotonic()
    edits: Counter = Counter()
    words = 0
    lineages: defaultdict = defaultdict(int)
    with out.open("w", encoding="utf-8") as corpus, truth_path.open("w", encoding="utf-8") as truth:
        for record, row in generate(args.size, args.seed, reuters):
            corpus.write(json.dumps(record, ensure_ascii=False) + "\n")
            truth.write(json.dumps(row) + "\n")
            edits[row["edit"]] += 1
            words += len(record["text"].split())
            lineages[row["lineage"]] += 1
    elapsed = time.monotonic() - started
    derived = sum(c for e, c in edits.items() if e != "original")
    print(f"{args.size} documents ({words / args.size:.0f} words on average) -> {out} in {elapsed:.1f} s")
    print(f"truth -> {truth_path}")
    print(f"originals {edits['original']} ({sum(1 for c in lineages.values() if c > 1)} with derived documents), "
          f"derived {derived}: " + ", ".join(f"{e} {edits[e]}" for e in EDITS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
