"""The document model and its checks (dedup/document.py)."""

from datetime import datetime, timedelta, timezone

import pytest

from dedup.document import (
    DEFAULT_MAX_TEXT_BYTES,
    Document,
    DocumentError,
    document_from_mapping,
    parse_timestamp,
    validate_document,
)


def test_minimal_document_has_empty_metadata():
    doc = Document(id="wire-1", text="Rebels entered Aleppo.")
    assert (doc.title, doc.source, doc.language, doc.url) == ("", "", "", "")
    assert doc.published_at is None
    assert dict(doc.extra) == {}


def test_document_error_is_a_value_error_with_field_and_reason():
    err = DocumentError("text", "must be a non-empty string")
    assert isinstance(err, ValueError)
    assert err.field == "text"
    assert err.reason == "must be a non-empty string"
    assert str(err) == "text: must be a non-empty string"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"id": "", "text": "body"}, "id"),
        ({"id": "   ", "text": "body"}, "id"),
        ({"id": 7, "text": "body"}, "id"),
        ({"id": None, "text": "body"}, "id"),
        ({"id": "a", "text": ""}, "text"),
        ({"id": "a", "text": " \n\t "}, "text"),
        ({"id": "a", "text": None}, "text"),
        ({"id": "a", "text": "body", "title": None}, "title"),
        ({"id": "a", "text": "body", "source": 3}, "source"),
        ({"id": "a", "text": "body", "url": b"http://x"}, "url"),
        ({"id": "a", "text": "body", "language": 1}, "language"),
        ({"id": "a", "text": "body", "published_at": "2024-11-29"}, "published_at"),
    ],
)
def test_invalid_document_names_the_field(kwargs, field):
    with pytest.raises(DocumentError) as info:
        Document(**kwargs)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_empty_text_message():
    with pytest.raises(DocumentError, match=r"^text: must be a non-empty string$"):
        Document(id="a", text="")


def test_text_longer_than_the_limit_is_refused():
    with pytest.raises(DocumentError, match="longer than the limit"):
        Document(id="a", text="x" * (DEFAULT_MAX_TEXT_BYTES + 1))


def test_text_limit_counts_bytes_not_characters():
    doc = Document(id="a", text="x" * DEFAULT_MAX_TEXT_BYTES)  # exactly at the limit
    assert len(doc.text) == DEFAULT_MAX_TEXT_BYTES
    # 3 bytes per character in UTF-8: under the limit in characters, over it in bytes
    with pytest.raises(DocumentError, match="longer than the limit"):
        Document(id="a", text="\u6771" * (DEFAULT_MAX_TEXT_BYTES // 3 + 1))


def test_validate_document_custom_limit():
    doc = Document(id="a", text="four")
    validate_document(doc, max_text_bytes=4)
    with pytest.raises(DocumentError, match="limit of 3 bytes"):
        validate_document(doc, max_text_bytes=3)


@pytest.mark.parametrize("code", ["en", "ur", "ja", "fil", "pt-BR", "zh-Hant", "sr-Latn-RS", ""])
def test_valid_language_codes(code):
    assert Document(id="a", text="t", language=code).language == code


@pytest.mark.parametrize("code", ["EN", "english", "e", "en_US", "en-", "en us", "12", "de-x"])
def test_invalid_language_codes(code):
    with pytest.raises(DocumentError, match="is not an ISO 639 language code") as info:
        Document(id="a", text="t", language=code)
    assert info.value.field == "language"


def test_document_is_frozen():
    doc = Document(id="a", text="t")
    with pytest.raises(AttributeError):
        doc.id = "b"  # type: ignore[misc]


def test_extra_does_not_take_part_in_equality():
    assert Document(id="a", text="t", extra={"k": 1}) == Document(id="a", text="t")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-11-29", datetime(2024, 11, 29, tzinfo=timezone.utc)),
        ("2024-11-29T10:15:00Z", datetime(2024, 11, 29, 10, 15, tzinfo=timezone.utc)),
        ("2024-11-29T10:15:00", datetime(2024, 11, 29, 10, 15, tzinfo=timezone.utc)),
        ("  2024-11-29T10:15:00+00:00 ", datetime(2024, 11, 29, 10, 15, tzinfo=timezone.utc)),
        ("2024-11-29T12:15:00+02:00", datetime(2024, 11, 29, 12, 15, tzinfo=timezone(timedelta(hours=2)))),
    ],
)
def test_parse_timestamp(value, expected):
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_parse_timestamp_offset_is_the_same_instant():
    assert parse_timestamp("2024-11-29T12:15:00+02:00") == parse_timestamp("2024-11-29T10:15:00Z")


def test_parse_timestamp_naive_is_utc():
    assert parse_timestamp("2024-11-29T10:15:00").tzinfo == timezone.utc


@pytest.mark.parametrize("value", ["2014-09-31", "yesterday", "", "2024-13-01", "29/11/2024", None])
def test_parse_timestamp_invalid(value):
    with pytest.raises(DocumentError, match="is not an ISO 8601 date") as info:
        parse_timestamp(value)
    assert info.value.field == "published_at"


def test_document_from_mapping_all_fields():
    doc = document_from_mapping(
        {
            "id": "afp-1",
            "text": "Rebels entered Aleppo.",
            "title": "Aleppo",
            "source": "AFP",
            "language": "en",
            "published_at": "2024-11-29T10:15:00Z",
            "url": "https://example.org/1",
        }
    )
    assert doc == Document(
        id="afp-1",
        text="Rebels entered Aleppo.",
        title="Aleppo",
        source="AFP",
        language="en",
        published_at=datetime(2024, 11, 29, 10, 15, tzinfo=timezone.utc),
        url="https://example.org/1",
    )
    assert dict(doc.extra) == {}


def test_document_from_mapping_keeps_unknown_fields_in_extra():
    doc = document_from_mapping({"id": "a", "text": "t", "section": "world", "tags": ["syria"]})
    assert dict(doc.extra) == {"section": "world", "tags": ["syria"]}


def test_document_from_mapping_accepts_int_id():
    assert document_from_mapping({"id": 17, "text": "t"}).id == "17"


@pytest.mark.parametrize("bad_id", [True, 1.5, None, "", ["a"]])
def test_document_from_mapping_refuses_other_ids(bad_id):
    with pytest.raises(DocumentError) as info:
        document_from_mapping({"id": bad_id, "text": "t"})
    assert info.value.field == "id"


def test_document_from_mapping_missing_id_and_text():
    with pytest.raises(DocumentError) as info:
        document_from_mapping({"text": "t"})
    assert info.value.field == "id"
    with pytest.raises(DocumentError) as info:
        document_from_mapping({"id": "a"})
    assert info.value.field == "text"


def test_document_from_mapping_null_optional_fields_are_empty():
    doc = document_from_mapping({"id": "a", "text": "t", "title": None, "published_at": None, "source": None})
    assert doc.title == "" and doc.source == "" and doc.published_at is None
    assert document_from_mapping({"id": "a", "text": "t", "published_at": ""}).published_at is None


@pytest.mark.parametrize("record", [["id", "text"], "text", 3, None])
def test_document_from_mapping_refuses_non_objects(record):
    with pytest.raises(DocumentError, match="must be a JSON object") as info:
        document_from_mapping(record)
    assert info.value.field == "document"


def test_document_from_mapping_non_string_date():
    with pytest.raises(DocumentError, match="must be an ISO 8601 string") as info:
        document_from_mapping({"id": "a", "text": "t", "published_at": 20241129})
    assert info.value.field == "published_at"


def test_document_from_mapping_bad_date_raises_without_callback():
    with pytest.raises(DocumentError, match="2014-09-31") as info:
        document_from_mapping({"id": "a", "text": "t", "published_at": "2014-09-31"})
    assert info.value.field == "published_at"


def test_document_from_mapping_bad_date_with_callback_is_unknown():
    seen: list[DocumentError] = []
    doc = document_from_mapping({"id": "a", "text": "t", "published_at": "2014-09-31"}, on_bad_date=seen.append)
    assert doc.published_at is None
    assert len(seen) == 1
    assert seen[0].field == "published_at"
    assert "2014-09-31" in str(seen[0])


def test_document_from_mapping_good_date_does_not_call_callback():
    seen: list[DocumentError] = []
    doc = document_from_mapping({"id": "a", "text": "t", "published_at": "2014-09-30"}, on_bad_date=seen.append)
    assert doc.published_at == datetime(2014, 9, 30, tzinfo=timezone.utc)
    assert seen == []


def test_language_with_trailing_newline_is_refused():
    with pytest.raises(DocumentError):
        Document(id="a", text="t", language="en\n")
