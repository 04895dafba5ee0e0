"""The ``dedup`` command line: ``dedup batch CORPUS [--out FILE]``.

The CLI only translates: it reads arguments, calls :mod:`dedup.batch` and maps every known
error to one clear line on standard error and a non-zero exit.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Sequence

from .batch import run_batch
from .corpus import CorpusError, read_corpus
from .output import placement_rows, render_tree, write_jsonl_atomic

__all__ = ["main"]

EXIT_BAD_INPUT = 2
EXIT_IO_ERROR = 3


class _Progress:
    """Progress lines on standard error for long inputs (silent for small ones)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.enabled:
            elapsed = time.monotonic() - self.started
            print(f"[{elapsed:6.1f}s] {stage}: {done}/{total}", file=sys.stderr, flush=True)


def _warn(message: str) -> None:
    print(f"dedup: warning: {message}", file=sys.stderr)


def _batch(args: argparse.Namespace) -> int:
    documents = read_corpus(args.corpus, warn=None if args.quiet else _warn)
    progress = _Progress(enabled=not args.quiet and len(documents) >= 1000)
    placements = run_batch(documents, progress=progress)
    if args.out:
        write_jsonl_atomic(placement_rows(documents, placements), args.out)
        lineages = len({p.lineage_id for p in placements.values()})
        if not args.quiet:
            print(f"{len(documents)} documents, {lineages} lineages -> {args.out}", file=sys.stderr)
    else:
        render_tree(documents, placements, sys.stdout, singletons=args.all)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dedup", description="Near-duplicate syndication detector for newsrooms.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    batch = verbs.add_parser("batch", help="find the lineages of a corpus", description="Find who copied, cut, updated or translated whom in a corpus.")
    batch.add_argument("corpus", help="a JSONL file (id, text, title, source, language, published_at, url), a folder of .txt files, or - for JSONL on stdin")
    batch.add_argument("--out", help="write one JSON row per document here (atomically) instead of printing the tree")
    batch.add_argument("--all", action="store_true", help="in the printed tree, also list documents that joined no lineage")
    batch.add_argument("--quiet", action="store_true", help="no progress or summary on standard error")
    batch.set_defaults(handler=_batch)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dedup`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except CorpusError as err:
        print(f"dedup: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:
        print(f"dedup: error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return EXIT_IO_ERROR


if __name__ == "__main__":
    sys.exit(main())
