"""The document a user sends, and the checks every door (batch job, service) applies to it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Optional

__all__ = ["Document", "DocumentError", "parse_timestamp", "document_from_mapping"]

DEFAULT_MAX_TEXT_BYTES = 1_000_000
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_SURROGATE = re.compile("[\ud800-\udfff]")


class DocumentError(ValueError):
    """A document field is missing or malformed; ``field`` names it for error details."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.reason = message

    def __reduce__(self) -> tuple:
        # Raised in an index process, re-raised in the gRPC process: pickled with its fields.
        return (type(self), (self.field, self.reason))


@dataclass(frozen=True)
class Document:
    """One article: ``id`` and ``text`` are required, the rest is optional metadata.

    ``published_at`` is timezone-aware (naive inputs are taken as UTC); ``language`` is an
    ISO 639 code such as ``"en"`` or ``"ur"``.
    """

    id: str
    text: str
    title: str = ""
    source: str = ""
    language: str = ""
    published_at: Optional[datetime] = None
    url: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        validate_document(self)
        if self.published_at is not None and self.published_at.tzinfo is None:
            # Naive times are UTC, as in parse_timestamp: ordering must not depend on the host.
            object.__setattr__(self, "published_at", self.published_at.replace(tzinfo=timezone.utc))


def validate_document(doc: Document, *, max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES) -> None:
    """Raise :class:`DocumentError` naming the first bad field of ``doc``."""
    if not isinstance(doc.id, str) or not doc.id.strip():
        raise DocumentError("id", "must be a non-empty string")
    if not isinstance(doc.text, str) or not doc.text.strip():
        raise DocumentError("text", "must be a non-empty string")
    for name in ("id", "text", "title", "source", "url"):
        value = getattr(doc, name)
        if isinstance(value, str) and _SURROGATE.search(value):
            raise DocumentError(name, "is not valid Unicode (it holds a lone surrogate)")
    if len(doc.text.encode("utf-8")) > max_text_bytes:
        raise DocumentError("text", f"is longer than the limit of {max_text_bytes} bytes")
    for name in ("title", "source", "language", "url"):
        if not isinstance(getattr(doc, name), str):
            raise DocumentError(name, "must be a string")
    if doc.language and not _LANGUAGE.fullmatch(doc.language):
        raise DocumentError("language", f"{doc.language!r} is not an ISO 639 language code")
    if doc.published_at is not None and not isinstance(doc.published_at, datetime):
        raise DocumentError("published_at", "must be a datetime")


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO 8601 date or date-time; a naive value is taken as UTC.

    >>> parse_timestamp("2024-11-29").isoformat()
    '2024-11-29T00:00:00+00:00'
    >>> parse_timestamp("2024-11-29T10:15:00Z").isoformat()
    '2024-11-29T10:15:00+00:00'
    """
    if not isinstance(value, str):
        raise DocumentError("published_at", f"{value!r} is not an ISO 8601 date")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"  # Python 3.10's fromisoformat does not read "Z"
    try:
        parsed = datetime.fromisoformat(text)
    except (ValueError, AttributeError) as err:
        raise DocumentError("published_at", f"{value!r} is not an ISO 8601 date") from err
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


_KNOWN_FIELDS = ("id", "text", "title", "source", "language", "published_at", "url")


def document_from_mapping(
    record: Mapping[str, Any], *, on_bad_date: Optional[Callable[[DocumentError], None]] = None
) -> Document:
    """Build a :class:`Document` from a JSON object; unknown fields are kept in ``extra``.

    A malformed ``published_at`` raises, unless ``on_bad_date`` is given: then it is called
    with the error and the date is treated as unknown (real archives hold dates such as
    2014-09-31; one should not cost the whole corpus).
    """
    if not isinstance(record, Mapping):
        raise DocumentError("document", "must be a JSON object")
    doc_id = record.get("id")
    if isinstance(doc_id, int) and not isinstance(doc_id, bool):
        doc_id = str(doc_id)
    values: dict[str, Any] = {"id": doc_id if doc_id is not None else ""}
    for name in ("text", "title", "source", "language", "url"):
        value = record.get(name)
        values[name] = "" if value is None else value
    published = record.get("published_at")
    if published not in (None, ""):
        if not isinstance(published, str):
            raise DocumentError("published_at", "must be an ISO 8601 string")
        try:
            values["published_at"] = parse_timestamp(published)
        except DocumentError as err:
            if on_bad_date is None:
                raise
            on_bad_date(err)
    extra = {k: v for k, v in record.items() if k not in _KNOWN_FIELDS}
    return Document(**values, extra=extra)
