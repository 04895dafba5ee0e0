"""Corpus readers and their errors (dedup/corpus.py)."""

import io
import json
import re
import sys
from pathlib import Path

import pytest

from dedup.corpus import CorpusError, read_corpus, read_jsonl, read_text_folder


def test_read_jsonl_file(write_jsonl):
    path = write_jsonl(
        [
            {"id": "a", "text": "first text", "source": "AFP", "language": "en", "published_at": "2024-11-29"},
            {"id": 2, "text": "second text", "section": "world"},
        ]
    )
    docs = read_corpus(str(path))
    assert [d.id for d in docs] == ["a", "2"]
    assert docs[0].source == "AFP" and docs[0].published_at.year == 2024
    assert dict(docs[1].extra) == {"section": "world"}


def test_blank_lines_are_skipped_but_count_for_line_numbers(write_jsonl):
    path = write_jsonl([{"id": "a", "text": "t"}, "", "   ", "{not json"])
    with pytest.raises(CorpusError, match=re.escape(f"{path}:4: not valid JSON")):
        read_corpus(str(path))


def test_utf8_bom_on_first_line_is_accepted(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "a", "text": "t"}).encode() + b"\n")
    assert [d.id for d in read_corpus(str(path))] == ["a"]


def test_read_text_folder_ids_are_stems_sorted(tmp_path):
    (tmp_path / "b.txt").write_text("second", encoding="utf-8")
    (tmp_path / "a.txt").write_text("first", encoding="utf-8")
    (tmp_path / "c.md").write_text("ignored", encoding="utf-8")
    docs = read_corpus(str(tmp_path))
    assert [(d.id, d.text) for d in docs] == [("a", "first"), ("b", "second")]


def test_read_text_folder_yields_locations(tmp_path):
    (tmp_path / "x.txt").write_text("body", encoding="utf-8")
    [(where, doc)] = list(read_text_folder(tmp_path))
    assert where == str(tmp_path / "x.txt") and doc.id == "x"


def test_read_stdin(monkeypatch):
    lines = [json.dumps({"id": "a", "text": "one"}), json.dumps({"id": "b", "text": "two"})]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    assert [d.id for d in read_corpus("-")] == ["a", "b"]


def test_read_stdin_errors_name_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"id": "a", "text": "one"}\nnope\n'))
    with pytest.raises(CorpusError, match=r"^<stdin>:2: not valid JSON") as info:
        read_corpus("-")
    assert info.value.location == "<stdin>:2"


def test_empty_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(CorpusError, match=r"^<stdin>: the corpus is empty$"):
        read_corpus("-")


def test_read_jsonl_from_any_iterable():
    located = list(read_jsonl(['{"id": "a", "text": "t"}\n', "\n", '{"id": "b", "text": "u"}\n'], "mem"))
    assert [(where, doc.id) for where, doc in located] == [("mem:1", "a"), ("mem:3", "b")]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"id": "a", "text": "t"', "not valid JSON"),
        ('{"text": "t"}', "id: must be a non-empty string"),
        ('{"id": "", "text": "t"}', "id: must be a non-empty string"),
        ('{"id": "a"}', "text: must be a non-empty string"),
        ('{"id": "a", "text": ""}', "text: must be a non-empty string"),
        ('{"id": "a", "text": "t", "language": "English"}', "language"),
        ('["a", "t"]', "document: must be a JSON object"),
    ],
)
def test_bad_jsonl_line_names_file_and_line(write_jsonl, line, message):
    path = write_jsonl([{"id": "ok", "text": "fine"}, line])
    with pytest.raises(CorpusError) as info:
        read_corpus(str(path))
    assert info.value.location == f"{path}:2"
    assert str(info.value).startswith(f"{path}:2: ")
    assert message in str(info.value)


def test_duplicate_id_names_the_line_and_the_first(write_jsonl):
    path = write_jsonl([{"id": "a", "text": "t"}, {"id": "b", "text": "u"}, {"id": "a", "text": "v"}])
    with pytest.raises(CorpusError, match=re.escape(f"{path}:3: duplicate id 'a' (first at {path}:1)")):
        read_corpus(str(path))


def test_duplicate_id_int_and_string(write_jsonl):
    path = write_jsonl([{"id": 7, "text": "t"}, {"id": "7", "text": "u"}])
    with pytest.raises(CorpusError, match="duplicate id '7'"):
        read_corpus(str(path))


def test_jsonl_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": "a", "text": "t"}\n\xff\xfe\n{"id": "b", "text": "u"}\n')
    with pytest.raises(CorpusError, match=re.escape(f"{path}:2: not UTF-8")) as info:
        read_corpus(str(path))
    assert info.value.location == f"{path}:2"


def test_jsonl_latin1_inside_a_string_names_the_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": "a", "text": "t"}\n{"id": "b", "text": "caf\xe9"}\n')
    with pytest.raises(CorpusError, match=re.escape(f"{path}:2: not UTF-8")):
        read_corpus(str(path))


def test_txt_not_utf8_names_the_file(tmp_path):
    (tmp_path / "a.txt").write_text("fine", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"caf\xe9 au lait")
    with pytest.raises(CorpusError, match=re.escape(f"{tmp_path / 'b.txt'}: not UTF-8")) as info:
        read_corpus(str(tmp_path))
    assert info.value.location == str(tmp_path / "b.txt")


def test_empty_txt_file_names_the_file(tmp_path):
    (tmp_path / "a.txt").write_text("  \n", encoding="utf-8")
    with pytest.raises(CorpusError, match=re.escape(f"{tmp_path / 'a.txt'}: text: must be a non-empty string")):
        read_corpus(str(tmp_path))


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_jsonl_file(tmp_path, content):
    path = tmp_path / "empty.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match=re.escape(f"{path}: the corpus is empty")) as info:
        read_corpus(str(path))
    assert info.value.location == str(path)


def test_empty_folder(tmp_path):
    (tmp_path / "notes.md").write_text("not a .txt", encoding="utf-8")
    with pytest.raises(CorpusError, match=re.escape(f"{tmp_path}: the corpus is empty")):
        read_corpus(str(tmp_path))


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(CorpusError, match=re.escape(f"{missing}: no such file or folder")):
        read_corpus(str(missing))


def test_corpus_error_is_a_value_error():
    err = CorpusError("f.jsonl:3", "boom")
    assert isinstance(err, ValueError)
    assert str(err) == "f.jsonl:3: boom" and err.location == "f.jsonl:3"


def test_impossible_date_warns_and_is_unknown(write_jsonl):
    path = write_jsonl([{"id": "a", "text": "t", "published_at": "2014-09-31"}, {"id": "b", "text": "u"}])
    warnings: list[str] = []
    docs = read_corpus(str(path), warn=warnings.append)
    assert [d.published_at for d in docs] == [None, None]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{path}:1: ")
    assert "2014-09-31" in warnings[0] and "treated as unknown" in warnings[0]


def test_impossible_date_without_warn_stops_the_read(write_jsonl):
    path = write_jsonl([{"id": "a", "text": "t", "published_at": "2014-09-31"}])
    with pytest.raises(CorpusError, match=re.escape(f"{path}:1: published_at")):
        read_corpus(str(path))


def test_impossible_date_on_stdin_warns(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"id": "a", "text": "t", "published_at": "2014-09-31"}\n'))
    warnings: list[str] = []
    [doc] = read_corpus("-", warn=warnings.append)
    assert doc.published_at is None
    assert len(warnings) == 1 and warnings[0].startswith("<stdin>:1: ")


def test_seeds_folder_reads_five_documents():
    docs = read_corpus(str(Path(__file__).resolve().parents[1] / "seeds"))
    assert len(docs) == 5
    assert [d.id for d in docs] == sorted(d.id for d in docs)


def test_lone_surrogate_is_refused_when_reading(write_jsonl):
    path = write_jsonl(['{"id": "a", "text": "\\ud800 hello", "source": "s"}'])
    with pytest.raises(CorpusError, match=re.escape(f"{path}:1")):
        read_corpus(str(path))
