"""Reading a corpus: a JSONL file, a folder of ``.txt`` files, or JSONL on standard input.

Every problem is reported as a :class:`CorpusError` that names the file and line, and the whole
corpus is checked before any work starts, so a bad line never leaves half a result behind.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

from .document import Document, DocumentError, document_from_mapping

__all__ = ["CorpusError", "read_corpus", "read_jsonl", "read_text_folder"]


class CorpusError(ValueError):
    """The corpus cannot be read: ``location`` is ``file`` or ``file:line``."""

    def __init__(self, location: str, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location


Warn = Callable[[str], None]


def read_jsonl(stream: Iterable[str], name: str, warn: Warn | None = None) -> Iterator[tuple[str, Document]]:
    """Yield ``(location, document)`` from JSON lines; blank lines are skipped.

    With ``warn``, an impossible ``published_at`` is reported through it and treated as unknown
    instead of stopping the read."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise CorpusError(where, f"not valid JSON ({err.msg})") from err
        try:
            on_bad_date = (lambda e, where=where: warn(f"{where}: {e}; treated as unknown")) if warn else None
            yield where, document_from_mapping(record, on_bad_date=on_bad_date)
        except DocumentError as err:
            raise CorpusError(where, str(err)) from err


def read_text_folder(folder: Path) -> Iterator[tuple[str, Document]]:
    """Yield ``(path, document)`` per ``*.txt`` file, sorted by name; the id is the file stem."""
    for path in sorted(folder.glob("*.txt")):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            raise CorpusError(str(path), f"not UTF-8 (byte {err.start})") from err
        try:
            yield str(path), Document(id=path.stem, text=text)
        except DocumentError as err:
            raise CorpusError(str(path), str(err)) from err


def _checked(located: Iterable[tuple[str, Document]], origin: str) -> list[Document]:
    """Materialise the documents, refusing duplicate ids and an empty corpus."""
    first_seen: dict[str, str] = {}
    out: list[Document] = []
    for where, doc in located:
        if doc.id in first_seen:
            raise CorpusError(where, f"duplicate id {doc.id!r} (first at {first_seen[doc.id]})")
        first_seen[doc.id] = where
        out.append(doc)
    if not out:
        raise CorpusError(origin, "the corpus is empty")
    return out


def read_corpus(source: str, warn: Warn | None = None) -> list[Document]:
    """Read every document of ``source``: a ``.txt`` folder, a JSONL file, or ``-`` for stdin.

    ``warn`` receives problems that do not stop the read (an impossible date)."""
    if source == "-":
        stdin = sys.stdin
        # Read the bytes where there are any, so a line that is not UTF-8 is reported as such.
        lines = _utf8_lines(stdin.buffer, "<stdin>") if hasattr(stdin, "buffer") else stdin
        return _checked(read_jsonl(lines, "<stdin>", warn), "<stdin>")
    path = Path(source)
    if path.is_dir():
        return _checked(read_text_folder(path), str(path))
    if not path.exists():
        raise CorpusError(str(path), "no such file or folder")
    with path.open("rb") as stream:
        return _checked(read_jsonl(_utf8_lines(stream, str(path)), str(path), warn), str(path))


def _utf8_lines(stream: IO[bytes], name: str) -> Iterator[str]:
    """Yield the lines of a byte stream decoded as UTF-8, naming the line that is not."""
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as err:
            raise CorpusError(f"{name}:{number}", f"not UTF-8 (byte {err.start} of the line)") from err
