from __future__ import annotations

import io
import json

import pytest

from classifier.exceptions import InputError
from classifier.inputs import InputDocument, iter_documents


def test_text_files_and_folders(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("첫 문서", encoding="utf-8")
    (tmp_path / "sub" / "b.txt").write_text("둘째 문서", encoding="utf-8")
    (tmp_path / "ignored.md").write_text("not a txt", encoding="utf-8")
    docs = list(iter_documents([str(tmp_path)]))
    assert [(d.id, d.text) for d in docs] == [("a", "첫 문서"), ("sub/b", "둘째 문서")]
    assert [d.id for d in iter_documents([str(tmp_path / "a.txt")])] == ["a"]


def test_jsonl_and_csv(tmp_path):
    (tmp_path / "d.jsonl").write_text(
        json.dumps({"id": "x", "text": "본문", "title": "제목"}, ensure_ascii=False) + "\n\n" + json.dumps({"text": "id 없음"}) + "\n",
        encoding="utf-8",
    )
    (tmp_path / "d.csv").write_text("id,title,text\n7,제목,\"본문, 쉼표\"\n", encoding="utf-8")
    docs = list(iter_documents([str(tmp_path / "d.jsonl"), str(tmp_path / "d.csv")]))
    assert [(d.id, d.full_text) for d in docs] == [("x", "제목\n본문"), ("3", "id 없음"), ("7", "제목\n본문, 쉼표")]


def test_stdin_text_and_jsonl():
    [doc] = iter_documents(["-"], io.StringIO("표준 입력 문서\n둘째 줄"))
    assert (doc.id, doc.text) == ("stdin", "표준 입력 문서\n둘째 줄")
    docs = list(iter_documents([], io.StringIO('{"id": "1", "text": "하나"}\n{"id": "2", "text": "둘"}\n')))
    assert [d.id for d in docs] == ["1", "2"]


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("bad.jsonl", b'{"id": "1", "text": "ok"}\n{"id": 2, "text": \n', "bad.jsonl:2: invalid JSON"),
        ("bad.jsonl", b'{"id": "1", "text": "  "}\n', "bad.jsonl:1: empty or missing text"),
        ("bad.jsonl", b'[1, 2]\n', "expected a JSON object"),
        ("bad.txt", "한국어".encode("euc-kr"), "not valid UTF-8"),
        ("empty.txt", b"   \n", "empty or missing text"),
        ("bad.csv", b"id,body\n1,x\n", "needs a 'text' column"),
    ],
)
def test_bad_records_name_their_location(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError, match=message):
        list(iter_documents([str(tmp_path / name)]))


def test_missing_input(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(iter_documents([str(tmp_path / "nope.txt")]))
    with pytest.raises(InputError, match="no \\*.txt files"):
        list(iter_documents([str(tmp_path)]))


def test_jsonl_lines_read_as_the_standard_library_reads_them(tmp_path):
    from classifier.inputs import iter_records

    lines = [
        '\ufeff{"id": "bom", "text": "첫 줄"}',  # a byte-order mark on line 1
        '{"id": "nan", "text": "값", "score": NaN, "big": 1e400}',  # accepted by json only
        '{"id": "sur", "text": "외톨이 \\udc00 대리 문자"}',
        "\u3000",  # blank
        '{"id": 7, "id": 8.5, "text": "중복 키"}',
        "null",
        '{"text": ' + "[" * 100_000 + "}",
        '{"id": "end", "text": "끝"}',
    ]
    (tmp_path / "odd.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    out = [r.id if isinstance(r, InputDocument) else str(r).split("odd.jsonl:")[1] for r in iter_records([str(tmp_path / "odd.jsonl")])]
    # A lone surrogate is JSON but no character (neither Kiwi's input nor writable output): a bad record.
    assert out == ["bom", "nan", "3: a lone surrogate escape (\\ud800-\\udfff) is not a character", "8.5", "6: expected a JSON object", "7: invalid JSON: nested too deeply", "end"]
