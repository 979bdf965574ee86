from __future__ import annotations

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from classifier.data import LabelledDocument, TagDef, Taxonomy, read_labelled
from classifier.exceptions import (
    DocumentExists,
    DocumentNotFound,
    InvalidValue,
    LabelledDataError,
    PreconditionFailed,
    StoreUnavailable,
    TagExists,
    TagInUse,
    TextTooLong,
    UnknownTag,
)
from classifier.store import LabelStore, SqliteStore, import_files, open_store
from classifier.training import Dataset, load_dataset, train

from conftest import MINI, ROOT


# Every test that takes ``store`` or ``new_store`` runs on each backend (``conftest.BACKENDS``).
@pytest.fixture
def store(new_store, taxonomy) -> LabelStore:
    s = new_store(max_text_chars=500)
    s.import_labelled(taxonomy, read_labelled([MINI], taxonomy), "test")
    return s


def test_sqlite_store_is_in_wal_mode(tmp_path):
    store = SqliteStore(tmp_path / "var")
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_import(store):
    assert len(store.documents()) == 40
    assert store.taxonomy().ids == ["healthcare-ai", "care-robots", "metaverse", "industry-policy"]
    assert store.tag_counts() == {"healthcare-ai": 8, "care-robots": 8, "metaverse": 8, "industry-policy": 8}
    assert store.history("document", "m001")[0]["action"] == "import"


def test_create_update_delete_with_history(store):
    doc = store.create({"id": "n1", "text": "새 문서", "tags": ["metaverse"], "source": "https://example.org/1"}, "alice")
    assert (doc.revision, doc.etag, doc.tags) == (1, '"1"', ["metaverse"])
    with pytest.raises(DocumentExists):
        store.create({"id": "n1", "text": "다시"}, "alice")
    doc = store.update("n1", {"title": "제목"}, "bob", if_match='"1"')
    assert (doc.revision, doc.title, doc.tags) == (2, "제목", ["metaverse"])
    doc = store.edit_tags("n1", "carol", add=["care-robots"], remove=["metaverse"])
    assert doc.tags == ["care-robots"] and doc.revision == 3
    doc = store.update("n1", {"text": "교체된 본문"}, "dave", replace=True)
    assert (doc.title, doc.tags, doc.source) == (None, [], "")
    store.delete("n1", "erin", if_match=doc.etag)
    with pytest.raises(DocumentNotFound):
        store.get("n1")
    history = store.history("document", "n1")
    assert [(h["action"], h["who"]) for h in history] == [
        ("create", "alice"), ("update", "bob"), ("update", "carol"), ("update", "dave"), ("delete", "erin")
    ]
    assert history[1]["before"]["title"] is None and history[1]["after"]["title"] == "제목"
    assert history[-1]["after"] is None


def test_stale_if_match_changes_nothing(store):
    store.update("m001", {"title": "하나"}, "a")
    with pytest.raises(PreconditionFailed):
        store.update("m001", {"title": "둘"}, "b", if_match='"1"')
    with pytest.raises(PreconditionFailed):
        store.delete("m001", "b", if_match='"1"')
    doc = store.get("m001")
    assert doc.title == "하나" and doc.revision == 2
    assert len(store.history("document", "m001")) == 2


@pytest.mark.parametrize(
    "values,error",
    [
        ({"id": "bad id", "text": "x"}, InvalidValue),
        ({"id": "../x", "text": "x"}, InvalidValue),
        ({"id": "ok1", "text": "  "}, InvalidValue),
        ({"id": "ok2"}, InvalidValue),
        ({"id": "ok3", "text": "x" * 501}, TextTooLong),
        ({"id": "ok4", "text": "x", "tags": ["nope"]}, UnknownTag),
        ({"id": "ok5", "text": "x", "tags": "metaverse"}, InvalidValue),
        ({"id": "ok6", "text": "x", "title": 3}, InvalidValue),
    ],
)
def test_invalid_documents_are_refused_and_nothing_is_written(store, values, error):
    with pytest.raises(error):
        store.create(values, "a")
    assert len(store.documents()) == 40


def test_rename_tag_rewrites_documents_in_one_transaction(store):
    store.update_tag("metaverse", "admin", new_id="xr", name="확장현실", description="XR")
    assert "metaverse" not in store.taxonomy().ids and store.taxonomy().ids[2] == "xr"
    assert store.tag_counts()["xr"] == 8
    doc = store.get("m017")
    assert doc.tags == ["xr"] and doc.revision == 2
    assert store.history("document", "m017")[-1]["action"] == "rename-tag"
    assert store.history("tag", "metaverse")[-1]["after"]["id"] == "xr"
    with pytest.raises(TagExists):
        store.update_tag("xr", "admin", new_id="care-robots")
    with pytest.raises(UnknownTag):
        store.update_tag("metaverse", "admin", name="gone")


@pytest.mark.parametrize("rules", [["+ +"], ["로봇", "-"], ["|"], [3]])
def test_keyword_rules_are_checked_by_the_store_itself(store, rules):
    """Whoever writes a tag (the API, the CLI, a script), a rule that a retrain could not use is
    refused with the store's own error, and nothing is written."""
    before = store.taxonomy().keywords["metaverse"]
    history = len(store.history("tag", "metaverse"))
    with pytest.raises(InvalidValue):
        store.update_tag("metaverse", "script", keywords=rules)
    with pytest.raises(InvalidValue):
        store.add_tag(TagDef("drones", "드론", "", tuple(rules)), "script")
    assert store.taxonomy().keywords["metaverse"] == before
    assert len(store.history("tag", "metaverse")) == history and "drones" not in store.taxonomy().ids
    assert store.update_tag("metaverse", "script", keywords=["메타버스|가상현실"]).keywords == ("메타버스|가상현실",)


def test_merge_and_delete_with_migration(store):
    store.add_tag(TagDef("robots", "로봇"), "admin")
    with pytest.raises(TagExists):
        store.add_tag(TagDef("robots"), "admin")
    assert store.merge_tags("care-robots", "robots", "admin") == 8
    assert store.tag_counts()["robots"] == 8 and "care-robots" not in store.taxonomy().ids
    with pytest.raises(TagInUse, match="8 document"):
        store.delete_tag("robots", "admin")
    assert store.delete_tag("robots", "admin", migrate_to="industry-policy") == 8
    assert store.tag_counts()["industry-policy"] == 16
    assert store.delete_tag("metaverse", "admin", drop=True) == 8
    assert store.get("m017").tags == []
    store.add_tag(TagDef("unused"), "admin")
    assert store.delete_tag("unused", "admin") == 0


def test_failed_transaction_leaves_no_trace(store, taxonomy):
    docs = [LabelledDocument("z1", "좋은 문서", ("metaverse",)), LabelledDocument("z2", "나쁜 문서", ("nope",))]
    with pytest.raises(UnknownTag):
        store.import_labelled(None, docs, "test")
    with pytest.raises(DocumentNotFound):
        store.get("z1")
    assert store.history("document", "z1") == []


def test_listing_paging_and_filters(store):
    page = store.list(page=2, per_page=15)
    assert (page.total, [d.id for d in page.items][:2]) == (40, ["m016", "m017"])
    assert store.list(tag="metaverse").total == 8
    assert store.list(untagged=True).total == 8
    assert [d.id for d in store.list(q="프로야구").items] == ["m033"]
    assert store.list(tag="metaverse", q="아바타").total == 2
    with pytest.raises(UnknownTag):
        store.list(tag="nope")


def test_import_of_export_is_identity(store, new_store, tmp_path):
    store.update("m001", {"title": "제목", "source": "https://example.org/m1"}, "a")
    store.create({"id": "p1", "text": "아직 라벨이 없는 기사", "labelled": False}, "a")
    assert store.export(tmp_path / "exported") == 41
    copy = new_store()
    counts = import_files(copy, [tmp_path / "exported"], None, "test")
    assert counts["created"] == 41 and counts["tags"] == 4
    assert copy.snapshot() == store.snapshot() and copy.get("p1").labelled is False
    again = import_files(copy, [tmp_path / "exported"], None, "test")
    assert again["unchanged"] == 41


def test_export_then_train_equals_training_from_the_store(store, tmp_path):
    store.create({"id": "p1", "text": "돌봄 로봇 보급 확대", "labelled": False}, "a")
    store.export(tmp_path / "exported")
    assert len(store.labelled()) == 40 and "p1" not in {d.id for d in store.labelled()}
    from_store = train(Dataset(store.labelled(), store.taxonomy()), None, folds=2, model_params={"min_examples": 3})
    from_files = train(load_dataset([tmp_path / "exported"]), None, folds=2, model_params={"min_examples": 3})
    assert from_store.dataset.fingerprint() == from_files.dataset.fingerprint()
    texts = ["돌봄 로봇이 어르신을 돕는다", "메타버스 플랫폼", "정부 AI 예산"]
    assert np.array_equal(from_store.tagger.scores(texts), from_files.tagger.scores(texts))
    assert from_store.metrics == from_files.metrics


def test_store_survives_reopening(store):
    store.update("m002", {"title": "유지"}, "a")
    again = open_store(store.url)
    assert again.get("m002").title == "유지" and len(again.history("document", "m002")) == 2


def test_shipped_labels_import(new_store):
    s = new_store()
    counts = import_files(s, [ROOT / "labels"], None, "first-start")
    shipped = len(read_labelled([ROOT / "labels"]))
    assert shipped > 45_000  # seeds, written examples and the labelled KLUE-YNAT headlines
    assert counts == {"tags": 4, "created": shipped, "updated": 0, "unchanged": 0}
    assert s.get("001_6731a0a1adc20f47").tags == ["healthcare-ai", "care-robots", "industry-policy"]
    assert json.loads(json.dumps(s.snapshot()))["taxonomy"]["tags"][0]["name"] == "의료·헬스케어 AI"


def test_pool_documents_wait_for_labels_and_become_labelled_when_tagged(store):
    store.create({"id": "p1", "text": "로봇이 어르신을 돌본다", "labelled": False}, "a")
    store.create({"id": "p2", "text": "메타버스 전시회", "labelled": False}, "a")
    assert [d.id for d in store.pool()] == ["p1", "p2"]
    assert store.list(labelled=False).total == 2 and store.list(labelled=True).total == 40
    with pytest.raises(InvalidValue, match="cannot have tags"):
        store.create({"id": "p3", "text": "x", "tags": ["metaverse"], "labelled": False}, "a")
    with pytest.raises(InvalidValue, match="true or false"):
        store.update("p1", {"labelled": "yes"}, "a")

    tagged = store.edit_tags("p1", "b", add=["care-robots"])
    assert tagged.labelled and tagged.tags == ["care-robots"] and tagged.revision == 2
    assert store.history("document", "p1")[-1]["before"]["labelled"] is False
    confirmed_none = store.update("p2", {"tags": []}, "b")  # "none of the tags" is a label too
    assert confirmed_none.labelled and store.pool() == []
    back = store.update("p2", {"labelled": False}, "b")
    assert not back.labelled and [d.id for d in store.pool()] == ["p2"]


def test_a_database_from_before_the_pool_is_migrated(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    with sqlite3.connect(folder / "ktag.sqlite3") as conn:
        conn.executescript(
            "CREATE TABLE documents (id TEXT PRIMARY KEY, title TEXT, text TEXT NOT NULL, source TEXT NOT NULL DEFAULT '',"
            " created TEXT NOT NULL, updated TEXT NOT NULL, revision INTEGER NOT NULL DEFAULT 1);"
            "INSERT INTO documents VALUES ('d1', NULL, '옛 문서', '', 't', 't', 3);"
        )
    store = SqliteStore(folder)
    doc = store.get("d1")
    assert (doc.text, doc.revision, doc.labelled) == ("옛 문서", 3, True)


def test_shipped_documents_keep_their_origin_through_export_and_import(new_store, tmp_path, taxonomy):
    from classifier.store import SHIPPED

    first = new_store()
    first.import_labelled(taxonomy, read_labelled([ROOT / "tests" / "data" / "mini.jsonl"], taxonomy)[:3], "system", origin=SHIPPED)
    first.create({"id": "mine", "text": "내 문서"}, "alice")
    assert first.origin_counts() == {"own": 1, "shipped": 3}
    assert [d.id for d in first.list(origin="").items] == ["mine"]
    assert [d.id for d in first.documents(origin=SHIPPED)] == ["m001", "m002", "m003"]
    first.export(tmp_path / "out")
    second = new_store()
    import_files(second, [tmp_path / "out"], None, "bob")
    assert second.origin_counts() == {"own": 1, "shipped": 3}
    assert second.get("m001").to_dict()["origin"] == "shipped" and second.get("mine").to_dict()["origin"] == "own"


def test_a_bad_origin_in_an_import_is_refused(new_store, tmp_path, taxonomy):
    (tmp_path / "in.jsonl").write_text('{"id": "x", "text": "t", "tags": [], "origin": "stolen"}\n', encoding="utf-8")
    s = new_store()
    with pytest.raises(LabelledDataError, match="in.jsonl:1: 'origin' must be 'own' or 'shipped'"):
        import_files(s, [tmp_path / "in.jsonl"], None, "cli")
    assert s.documents() == []


def test_confirming_records_a_person_kept_the_tags(store):
    before = store.get("m001")
    store.confirm("m001", "alice", if_match=before.etag)
    assert store.get("m001").revision == before.revision and store.confirmed_ids() == {"m001"}
    store.update("m001", {"tags": ["metaverse"]}, "alice")  # changed afterwards: no longer confirmed
    assert store.confirmed_ids() == set()
    with pytest.raises(PreconditionFailed):
        store.confirm("m002", "alice", if_match='"99"')


def test_tag_shares_are_stored_validated_and_exported(store, tmp_path):
    shipped = store.taxonomy().shares  # the shipped taxonomy states them
    assert store.update_tag("metaverse", "alice", share=0.02).share == 0.02
    assert store.taxonomy().shares == {**shipped, "metaverse": 0.02}
    with pytest.raises(InvalidValue, match="between 0 and 1"):
        store.update_tag("metaverse", "alice", share=1.0)
    assert store.taxonomy().shares["metaverse"] == 0.02
    store.export(tmp_path / "out")
    assert Taxonomy.load(tmp_path / "out" / "taxonomy.json").shares["metaverse"] == 0.02
    store.update_tag("metaverse", "alice", share=None)
    assert "metaverse" not in store.taxonomy().shares and store.update_tag("care-robots", "alice", name="돌봄").share == shipped["care-robots"]


def test_concurrent_tag_edits_lose_nothing_and_history_keeps_their_order(store):
    """8 threads × 50 tag edits of one document at once: each edit lands once, the revisions
    count every edit, and each history entry starts from the state the previous one left."""
    for i in range(8):
        store.add_tag(TagDef(f"t{i}", f"태그 {i}"), "setup")
    store.create({"id": "hot", "text": "모두가 고치는 문서"}, "setup")

    def edits(i: int) -> None:
        for j in range(50):
            if j % 2 == 0:
                store.edit_tags("hot", f"thread{i}", add=[f"t{i}"])
            else:
                store.edit_tags("hot", f"thread{i}", remove=[f"t{i}"])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(edits, range(8)))
    history = store.history("document", "hot")
    assert len(history) == 1 + 8 * 50 and store.get("hot").revision == 1 + 8 * 50
    assert all(a["after"] == b["before"] for a, b in zip(history, history[1:]))
    assert [h["seq"] for h in history] == sorted(h["seq"] for h in history)
    for i in range(8):
        mine = [h for h in history if h["who"] == f"thread{i}"]
        assert [f"t{i}" in h["after"]["tags"] for h in mine] == [j % 2 == 0 for j in range(50)]
    assert store.get("hot").tags == []


def test_the_current_model_pointer_is_a_compare_and_set(new_store, tmp_path):
    store = new_store()
    pointer = store.model_pointer(tmp_path / "models")
    assert pointer.read() is None
    assert pointer.swap("v1", expected=None) and pointer.read() == "v1"
    assert not pointer.swap("v2", expected=None) and pointer.read() == "v1"  # it moved on: the swap is refused
    assert pointer.swap("v2", expected="v1") and pointer.swap("v3") and pointer.read() == "v3"
    assert (tmp_path / "models" / "CURRENT").read_text(encoding="utf-8").strip() == "v3"  # the folder says the same
    assert open_store(store.url).model_pointer(tmp_path / "models").read() == "v3"


def test_a_read_only_postgres_database_is_unavailable_for_writes_and_says_why(postgres_admin, postgres_url):
    """(SQLite's read-only store is tested on a real server in test_hardening.py.)"""
    import psycopg

    store = open_store(postgres_url)
    assert store.writable() is None
    with psycopg.connect(postgres_admin, autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE {postgres_url.rsplit('/', 1)[1]} SET default_transaction_read_only = on")
    store.close()  # the setting applies to new connections
    assert "read-only" in store.writable()
    with pytest.raises(StoreUnavailable):
        store.create({"id": "no", "text": "쓸 수 없다"}, "alice")
    assert store.documents() == []
    store.close()


@pytest.mark.parametrize(
    "write",
    [
        lambda s: s.create({"id": "nul", "text": "본문\x00"}, "a"),
        lambda s: s.create({"id": "nul", "text": "본문", "title": "제목\x00"}, "a"),
        lambda s: s.update("m001", {"source": "https://example.org/\x00"}, "a"),
        lambda s: s.add_tag(TagDef("nul", "이름\x00"), "a"),
        lambda s: s.update_tag("metaverse", "a", description="설명\x00"),
        lambda s: s.list(q="\x00"),
    ],
)
def test_nul_characters_are_refused_by_every_backend(store, write):
    """PostgreSQL's text cannot hold NUL, so neither backend takes it: a clear refusal, not a crash."""
    before = store.snapshot()
    with pytest.raises(InvalidValue, match="NUL"):
        write(store)
    assert store.snapshot() == before


def test_the_database_url_picks_the_backend(tmp_path, monkeypatch, postgres_url):
    from classifier.store import PostgresStore, database_url

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KTAG_DATABASE_URL", raising=False)
    monkeypatch.setenv("KTAG_DATA", "data-here")
    default = database_url()
    assert default == f"sqlite:///{tmp_path / 'data-here' / 'ktag.sqlite3'}" and open_store(default).path == tmp_path / "data-here" / "ktag.sqlite3"
    relative = open_store("sqlite:///rel/store.sqlite3")  # SQLAlchemy's spelling: three slashes, a relative path
    assert isinstance(relative, SqliteStore) and relative.path == Path("rel/store.sqlite3") and (tmp_path / "rel" / "store.sqlite3").is_file()
    assert open_store(f"sqlite:///{tmp_path}/abs.sqlite3").path == tmp_path / "abs.sqlite3"  # four: an absolute one
    monkeypatch.setenv("KTAG_DATABASE_URL", postgres_url)
    assert database_url() == postgres_url and isinstance(open_store(database_url()), PostgresStore)
    assert database_url("sqlite:///x.sqlite3") == "sqlite:///x.sqlite3"  # given beats the environment
    for bad in ("mysql://db/ktag", "sqlite:///", "ktag.sqlite3"):
        with pytest.raises(InvalidValue):
            open_store(bad)
