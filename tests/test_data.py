from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.data import Taxonomy, find_taxonomy, read_labelled, read_user_words
from classifier.exceptions import LabelledDataError, TaxonomyError

from conftest import ROOT

TAX = Taxonomy.from_ids(["a", "b", "c"])


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_shipped_labels_cover_the_seeds():
    taxonomy = Taxonomy.load(ROOT / "labels" / "taxonomy.json")
    assert taxonomy.ids == ["healthcare-ai", "care-robots", "metaverse", "industry-policy"]
    assert all(t.name and t.description for t in taxonomy.tags)
    docs = {d.id: set(d.tags) for d in read_labelled([ROOT / "labels"], taxonomy)}
    assert docs["000_6c6e0d1f86d92d66"] == {"industry-policy"}
    assert docs["001_6731a0a1adc20f47"] == {"care-robots", "healthcare-ai", "industry-policy"}
    assert docs["002_fb32b9d320414045"] == {"industry-policy"}
    assert docs["003_b381bc2aae702c6e"] == {"industry-policy", "care-robots"}
    assert docs["004_0196f92098b7255b"] == {"metaverse", "industry-policy"}
    assert {p.stem for p in (ROOT / "seeds").glob("*.txt")} <= set(docs)


def test_starter_corpus_meets_its_brief():
    taxonomy = Taxonomy.load(ROOT / "labels" / "taxonomy.json")
    written = read_labelled([ROOT / "labels" / "starter.jsonl"], taxonomy)
    assert len(written) >= 80
    assert all(200 <= len(d.text) <= 3000 for d in written)
    assert all(d.extra["source"].startswith("written example") for d in written)
    for tag in taxonomy.ids:
        assert sum(tag in d.tags for d in written) >= 15
    assert sum(len(d.tags) >= 2 for d in written) >= 20
    assert sum(not d.tags for d in written) >= 20


def test_seeds_are_the_shared_articles():
    shared = ROOT.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared is not beside this checkout")
    for original in shared.glob("*.txt"):
        assert (ROOT / "seeds" / original.name).read_bytes() == original.read_bytes()


def test_jsonl_with_text_path_and_title(tmp_path):
    (tmp_path / "doc.txt").write_text("파일 본문", encoding="utf-8")
    f = write_jsonl(tmp_path / "l.jsonl", [
        {"id": "1", "text": "본문 하나", "tags": ["a"]},
        {"id": 2, "path": "doc.txt", "tags": ["b", "c"], "title": "제목"},
        {"id": "3", "text": "태그 없음", "tags": []},
    ])
    docs = read_labelled([f], TAX)
    assert [(d.id, d.tags) for d in docs] == [("1", ("a",)), ("2", ("b", "c")), ("3", ())]
    assert docs[1].text == "파일 본문" and docs[1].full_text == "제목\n파일 본문"
    assert docs[0].location == f"{f}:1"


def test_csv_with_pipe_separated_tags(tmp_path):
    f = tmp_path / "l.csv"
    f.write_text('id,text,tags\n1,"본문, 쉼표 포함",a|b\n2,다른 본문,\n', encoding="utf-8")
    docs = read_labelled([f], TAX)
    assert [(d.id, d.text, d.tags) for d in docs] == [("1", "본문, 쉼표 포함", ("a", "b")), ("2", "다른 본문", ())]


def test_csv_with_ynat_column_names(tmp_path):
    f = tmp_path / "ynat.csv"
    f.write_text("index,title,label\n0,인천→핀란드 항공기 결항,세계\n1,류현진 시즌 10승,스포츠\n", encoding="utf-8")
    docs = read_labelled([f])
    assert [(d.id, d.text, d.tags, d.title) for d in docs] == [
        ("0", "인천→핀란드 항공기 결항", ("세계",), None),
        ("1", "류현진 시즌 10승", ("스포츠",), None),
    ]


def test_csv_title_column_beside_text(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("id,title,text,tags\n1,제목,본문,a\n", encoding="utf-8")
    [doc] = read_labelled([f], TAX)
    assert (doc.title, doc.text, doc.full_text) == ("제목", "본문", "제목\n본문")


def test_folder_of_tag_folders(tmp_path):
    for tag, name, text in [("a", "x1", "에이 문서"), ("b", "x2", "비 문서"), ("b", "x3", "또 비 문서")]:
        (tmp_path / tag).mkdir(exist_ok=True)
        (tmp_path / tag / f"{name}.txt").write_text(text, encoding="utf-8")
    docs = read_labelled([tmp_path], TAX)
    assert sorted((d.id, d.tags) for d in docs) == [("x1", ("a",)), ("x2", ("b",)), ("x3", ("b",))]


def test_labels_folder_mixes_files_and_finds_taxonomy(tmp_path):
    Taxonomy.from_ids(["a", "b"]).save(tmp_path / "taxonomy.json")
    write_jsonl(tmp_path / "one.jsonl", [{"id": "1", "text": "하나", "tags": ["a"]}])
    (tmp_path / "two.csv").write_text("id,text,tags\n2,둘,b\n", encoding="utf-8")
    assert find_taxonomy([tmp_path]) == tmp_path / "taxonomy.json"
    assert find_taxonomy([tmp_path / "one.jsonl"]) == tmp_path / "taxonomy.json"
    assert [d.id for d in read_labelled([tmp_path])] == ["1", "2"]


def test_identical_duplicate_is_kept_once(tmp_path):
    f = write_jsonl(tmp_path / "l.jsonl", [{"id": "1", "text": "같다", "tags": ["a"]}] * 2)
    assert len(read_labelled([f], TAX)) == 1


BAD_JSONL = [
    ('{"id": "1", "text": "ok", "tags": ["a"]}\n{"id": "2", "text": "broken"\n', 2, "invalid JSON"),
    ('{"id": "1", "text": "ok", "tags": ["zzz"]}\n', 1, "unknown tag 'zzz'"),
    ('{"id": "1", "text": "ok", "tags": ["a"]}\n{"id": "1", "text": "ok", "tags": ["b"]}\n', 2, "duplicate id '1' with other tags"),
    ('{"id": "1", "text": "ok", "tags": ["a"]}\n{"id": "1", "text": "other", "tags": ["a"]}\n', 2, "another text"),
    ('{"id": "1", "tags": ["a"]}\n', 1, "missing text"),
    ('{"id": "1", "text": "   ", "tags": ["a"]}\n', 1, "missing text"),
    ('{"text": "x", "tags": ["a"]}\n', 1, "'id'"),
    ('{"id": "../etc", "text": "x", "tags": ["a"]}\n', 1, "invalid id"),
    ('{"id": "1", "text": "x"}\n', 1, "missing 'tags'"),
    ('{"id": "1", "text": "x", "tags": "a"}\n', 1, "list of strings"),
    ('["not", "an", "object"]\n', 1, "JSON object"),
    ('{"id": "1", "path": "missing.txt", "tags": ["a"]}\n', 1, "cannot read"),
    ('{"id": "1", "text": "x", "path": "y.txt", "tags": ["a"]}\n', 1, "not both"),
]


@pytest.mark.parametrize("content,line,message", BAD_JSONL)
def test_malformed_jsonl_names_file_and_line(tmp_path, content, line, message):
    f = tmp_path / "bad.jsonl"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(LabelledDataError) as err:
        read_labelled([f], TAX)
    assert err.value.path == str(f)
    assert err.value.line == line
    assert message in str(err.value)
    assert str(err.value).startswith(f"{f}:{line}: ")


def test_non_utf8_file_names_the_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_bytes('{"id": "1", "text": "좋다", "tags": ["a"]}\n'.encode() + '{"id": "2", "text": "나쁘다", "tags": ["a"]}\n'.encode("cp949"))
    with pytest.raises(LabelledDataError, match="not valid UTF-8") as err:
        read_labelled([f], TAX)
    assert err.value.line == 2


def test_non_utf8_referenced_text_file(tmp_path):
    (tmp_path / "doc.txt").write_bytes("한국어".encode("euc-kr"))
    f = write_jsonl(tmp_path / "l.jsonl", [{"id": "1", "path": "doc.txt", "tags": ["a"]}])
    with pytest.raises(LabelledDataError, match="doc.txt is not valid UTF-8") as err:
        read_labelled([f], TAX)
    assert (err.value.path, err.value.line) == (str(f), 1)


@pytest.mark.parametrize(
    "content,message",
    [
        ("id,text\n1,x\n", "missing tags"),
        ("id,text,tags\n1,x,a,extra\n", "wrong number of fields"),
        ("id,text,tags\n1,,a\n", "missing text"),
        ('id,text,tags\n1,"unterminated,a\n', "wrong number of fields"),
    ],
)
def test_malformed_csv(tmp_path, content, message):
    f = tmp_path / "bad.csv"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(LabelledDataError, match=message) as err:
        read_labelled([f], TAX)
    assert err.value.path == str(f)


def test_folder_with_unknown_tag_and_empty_file(tmp_path):
    (tmp_path / "zzz").mkdir()
    (tmp_path / "zzz" / "d.txt").write_text("본문", encoding="utf-8")
    with pytest.raises(LabelledDataError, match="unknown tag 'zzz'"):
        read_labelled([tmp_path], TAX)
    (tmp_path / "zzz" / "d.txt").unlink()
    (tmp_path / "zzz").rmdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "e.txt").write_text("", encoding="utf-8")
    with pytest.raises(LabelledDataError, match="missing text"):
        read_labelled([tmp_path], TAX)


def test_same_document_in_two_tag_folders_is_refused(tmp_path):
    for tag in ("a", "b"):
        (tmp_path / tag).mkdir()
        (tmp_path / tag / "same.txt").write_text("본문", encoding="utf-8")
    with pytest.raises(LabelledDataError, match="duplicate id 'same'"):
        read_labelled([tmp_path], TAX)


def test_missing_and_unsupported_paths(tmp_path):
    with pytest.raises(LabelledDataError, match="no such file"):
        read_labelled([tmp_path / "nope.jsonl"], TAX)
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    with pytest.raises(LabelledDataError, match="not a labelled file"):
        read_labelled([tmp_path / "x.txt"], TAX)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(LabelledDataError, match="no labelled files"):
        read_labelled([empty], TAX)


def test_an_error_anywhere_returns_nothing(tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", [{"id": "1", "text": "좋다", "tags": ["a"]}])
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"id": "2", "text": "x", "tags": ["nope"]}])
    with pytest.raises(LabelledDataError):
        read_labelled([good, bad], TAX)


@pytest.mark.parametrize(
    "raw,message",
    [
        ({"tags": []}, "no tags"),
        ({"tags": [{"id": "a"}, {"id": "a"}]}, "duplicate"),
        ({"tags": [{"name": "x"}]}, "needs a string 'id'"),
        ({"tags": [{"id": "a b"}]}, "invalid tag id"),
        ({"tags": [{"id": "a", "keywords": "x"}]}, "keywords"),
        ({"tags": [{"id": "a", "keywords": ["x + "]}]}, "tag 'a': keyword 'x \\+ ' has an empty phrase group"),
        ({"tags": [{"id": "a", "share": 1.2}]}, "share of tag 'a' must be a number between 0 and 1"),
        ({"tags": [{"id": "a", "share": "0.1"}]}, "share of tag 'a' must be a number between 0 and 1"),
        ([], "expected an object"),
    ],
)
def test_bad_taxonomy(tmp_path, raw, message):
    f = tmp_path / "taxonomy.json"
    f.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=message):
        Taxonomy.load(f)


def test_taxonomy_round_trip(tmp_path, taxonomy):
    taxonomy.save(tmp_path / "t.json")
    assert Taxonomy.load(tmp_path / "t.json") == taxonomy


def test_user_dictionary(tmp_path):
    (tmp_path / "userdict.txt").write_text("# comment\n돌봄로봇\tNNG\n메타버스허브\n", encoding="utf-8")
    assert read_user_words([tmp_path]) == (("돌봄로봇", "NNG"), ("메타버스허브", "NNP"))
    (tmp_path / "userdict.txt").write_text("a b c\n", encoding="utf-8")
    with pytest.raises(LabelledDataError, match="userdict.txt:1"):
        read_user_words([tmp_path])


def test_pool_records_are_validated_but_left_out_of_training(tmp_path):
    f = write_jsonl(tmp_path / "d.jsonl", [
        {"id": "1", "text": "라벨 있음", "tags": ["a"]},
        {"id": "2", "text": "라벨 없음", "labelled": False},
    ])
    assert [d.id for d in read_labelled([f], TAX)] == ["1"]
    both = read_labelled([f], TAX, unlabelled=True)
    assert [(d.id, d.labelled) for d in both] == [("1", True), ("2", False)]


@pytest.mark.parametrize(
    "record,message",
    [
        ({"id": "1", "text": "x", "labelled": "no"}, "'labelled' must be true or false"),
        ({"id": "1", "text": "x", "labelled": False, "tags": ["a"]}, "cannot have tags"),
    ],
)
def test_bad_pool_records(tmp_path, record, message):
    f = write_jsonl(tmp_path / "d.jsonl", [record])
    with pytest.raises(LabelledDataError, match=message):
        read_labelled([f], TAX, unlabelled=True)


def test_the_shipped_taxonomy_states_a_share_for_every_tag(taxonomy):
    assert set(taxonomy.shares) == set(taxonomy.ids) and all(0 < v < 0.05 for v in taxonomy.shares.values())


def test_shipped_headlines_are_read_with_their_attribution():
    headlines = read_labelled([ROOT / "labels" / "ynat-headlines.jsonl"], Taxonomy.load(ROOT / "labels" / "taxonomy.json"))
    assert len(headlines) == 45_678 and all(d.id.startswith("ynat-") for d in headlines)
    assert {d.extra["source"] for d in headlines} == {"KLUE-YNAT train", "KLUE-YNAT unlabelled"}
    assert 0 < sum(1 for d in headlines if d.tags) < 0.05 * len(headlines)  # a general stream: mostly off-topic
    readme = (ROOT / "labels" / "README.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in readme and (ROOT / "labels" / "LICENSE-KLUE-YNAT.md").is_file()


@pytest.mark.parametrize("target", ["../secret.txt", "/etc/hostname", "inside/../../secret.txt", "link.txt"])
def test_a_path_outside_the_files_folder_is_refused_with_its_line(tmp_path, target):
    (tmp_path / "secret.txt").write_text("비밀", encoding="utf-8")
    labels = tmp_path / "labels"
    (labels / "inside").mkdir(parents=True)
    (labels / "ok.txt").write_text("괜찮은 본문", encoding="utf-8")
    (labels / "link.txt").symlink_to(tmp_path / "secret.txt")  # a link that leads out counts as out
    f = write_jsonl(labels / "l.jsonl", [{"id": "a", "path": "ok.txt", "tags": []}, {"id": "b", "path": target, "tags": []}])
    with pytest.raises(LabelledDataError, match=r"l\.jsonl:2: 'path' .* leads outside the folder of this file"):
        read_labelled([f])
    if target != "/etc/hostname" or Path(target).is_file():
        texts = {d.id: d.text for d in read_labelled([f], paths_anywhere=True)}
        assert texts["a"] == "괜찮은 본문" and texts["b"]


def test_shipped_seed_labels_carry_the_seed_articles_themselves():
    docs = {d.id: d for d in read_labelled([ROOT / "labels" / "seeds.jsonl"])}
    for path in (ROOT / "seeds").glob("*.txt"):
        assert docs[path.stem].text == path.read_text(encoding="utf-8")
