from __future__ import annotations

import json

import numpy as np
import pytest

from classifier.exceptions import InvalidValue, ModelIntegrityError, ModelNotFound, NotFittedError, TrainingError, UnknownTag
from classifier.modelfile import ARRAYS_FILE, FORMAT, METADATA_FILE, MODEL_FILE
from classifier.tagger import Tagger

from tamper import payload_is_live, plant, rehash

CARE = "독거노인 가정에 돌봄 로봇을 보급해 어르신의 말벗이 되도록 했다."
META = "메타버스 플랫폼에서 아바타로 가상 공연을 즐긴다."
SPORT = "프로축구 결승전에서 원정팀이 승부차기 끝에 우승했다."


def test_tags_unseen_documents(mini_tagger):
    care, meta, sport = mini_tagger.tag([CARE, META, SPORT])
    assert "care-robots" in care.tags
    assert "metaverse" in meta.tags
    assert sport.tags == []
    for result in (care, meta, sport):
        assert set(result.scores) == set(mini_tagger.tags)
        assert all(0.0 <= s <= 1.0 for s in result.scores.values())
    assert care.scores["care-robots"] > care.scores["metaverse"]


def test_tags_are_ordered_by_score_and_limited(mini_tagger):
    [result] = mini_tagger.tag([CARE + " " + META], threshold=0.0)
    assert result.tags == sorted(result.scores, key=result.scores.get, reverse=True)
    [top] = mini_tagger.tag([CARE + " " + META], threshold=0.0, top_k=1)
    assert top.tags == result.tags[:1]


def test_explain_names_the_morphemes(mini_tagger):
    parts = mini_tagger.explain(CARE, "care-robots")
    up = [m for m, _ in parts["up"]]
    assert {"돌봄", "로봇"} & set(up)
    assert all(w > 0 for _, w in parts["up"]) and all(w < 0 for _, w in parts["down"])
    weights = [w for _, w in parts["up"]]
    assert weights == sorted(weights, reverse=True)
    [result] = mini_tagger.tag([CARE], explain=True)
    assert set(result.explanations) == set(result.tags)


def test_explain_unknown_tag(mini_tagger):
    with pytest.raises(UnknownTag):
        mini_tagger.explain(CARE, "sports")


def test_unfitted_and_bad_training_input(taxonomy):
    tagger = Tagger(taxonomy.ids)
    with pytest.raises(NotFittedError):
        tagger.tag(["아무 문장"])
    with pytest.raises(UnknownTag):
        tagger.fit(["문장"], [["nope"]])
    with pytest.raises(TrainingError):
        tagger.fit([], [])
    with pytest.raises(TrainingError, match="exactly one tag"):
        Tagger(["a", "b"], exclusive=True).fit(["하나", "둘"], [["a"], ["a", "b"]])


def test_save_load_round_trip(mini_tagger, tmp_path):
    mini_tagger.save(tmp_path / "m", {"note": "test"})
    meta = json.loads((tmp_path / "m" / METADATA_FILE).read_text(encoding="utf-8"))
    assert meta["note"] == "test" and meta["tags"] == mini_tagger.tags and meta["format"] == FORMAT
    assert set(meta["versions"]) == {"python", "scikit-learn", "kiwipiepy"}
    assert set(meta["sha256"]) == {MODEL_FILE, ARRAYS_FILE} and all(len(h) == 64 for h in meta["sha256"].values())
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == sorted([MODEL_FILE, ARRAYS_FILE, METADATA_FILE])
    loaded = Tagger.load(tmp_path / "m")
    long = CARE + " " + META * 20
    assert np.allclose(loaded.scores([CARE, META, long]), mini_tagger.scores([CARE, META, long]))
    assert loaded.thresholds_by_genre == mini_tagger.thresholds_by_genre
    assert loaded.tag([CARE], explain=True)[0].explanations == mini_tagger.tag([CARE], explain=True)[0].explanations


def test_a_changed_file_is_refused(mini_tagger, tmp_path):
    mini_tagger.save(tmp_path / "m")
    path = tmp_path / "m" / ARRAYS_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="SHA-256 of arrays.npz"):
        Tagger.load(tmp_path / "m")


@pytest.mark.parametrize("target", [ARRAYS_FILE, MODEL_FILE, "model.joblib"])
def test_a_replaced_model_and_hash_never_run_code(mini_tagger, tmp_path, target):
    folder = tmp_path / "m"
    mini_tagger.save(folder)
    assert payload_is_live(tmp_path)
    marker = tmp_path / "ran"
    plant(folder, target, marker)
    with pytest.raises(ModelIntegrityError):
        Tagger.load(folder)
    assert not marker.exists()


def test_the_pickle_formats_before_8_are_refused_with_a_retrain_message(mini_tagger, tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "model.joblib").write_bytes(b"(an old pickle)")
    (folder / METADATA_FILE).write_text(json.dumps({"format": 7, "sha256": "x" * 64}), encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match="retrain it"):
        Tagger.load(folder)


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc["model"].update(n_tags=7),
        lambda doc: doc["vectorizers"][0].update(terms=["중복", "중복"]),
        lambda doc: doc["tagger"]["shares"].update(metaverse=3),
        lambda doc: doc["tagger"].update(keywords={"metaverse": ["a + "]}),
        lambda doc: doc.pop("vectorizers"),
    ],
)
def test_a_model_json_that_does_not_add_up_is_refused(mini_tagger, tmp_path, change):
    folder = tmp_path / "m"
    mini_tagger.with_shares({"metaverse": 0.1}).save(folder)
    document = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
    change(document)
    (folder / MODEL_FILE).write_text(json.dumps(document), encoding="utf-8")
    rehash(folder)
    with pytest.raises(ModelIntegrityError, match="not a readable ktag model|tag count"):
        Tagger.load(folder)


def test_other_library_versions_are_refused(mini_tagger, tmp_path):
    mini_tagger.save(tmp_path / "m")
    meta_path = tmp_path / "m" / METADATA_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["versions"]["scikit-learn"] = "0.1"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match="scikit-learn 0.1"):
        Tagger.load(tmp_path / "m")


def test_missing_model_files(tmp_path):
    with pytest.raises(ModelNotFound):
        Tagger.load(tmp_path)
    (tmp_path / METADATA_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match="unreadable metadata"):
        Tagger.load(tmp_path)


def test_exclusive_tagger_returns_one_tag(mini_docs, taxonomy):
    docs = [d for d in mini_docs if d.tags]
    tagger = Tagger(taxonomy.ids, exclusive=True, model_params={"min_examples": 3})
    tagger.fit([d.text for d in docs], [d.tags for d in docs])
    for result in tagger.tag([CARE, META, SPORT]):
        assert len(result.tags) == 1
        assert sum(result.scores.values()) == pytest.approx(1, abs=1e-3)
    assert tagger.tag([META])[0].tags == ["metaverse"]


def test_keywords_let_a_tag_with_one_example_be_recognised(mini_docs, taxonomy):
    """Cold start: two training documents, and the taxonomy's keywords carry the rest."""
    texts, tags = [CARE, SPORT], [["care-robots"], []]
    keywords = {"metaverse": ["메타버스|가상현실|아바타|가상 공간"]}
    plain = Tagger(taxonomy.ids).fit(texts, tags)
    primed = Tagger(taxonomy.ids, keywords=keywords).fit(texts, tags)
    assert "metaverse" not in plain.tag([META])[0].tags
    [result] = primed.tag([META])
    assert "metaverse" in result.tags
    assert primed.tag([SPORT])[0].tags == []
    assert primed.describe()["keywords"] == keywords


def test_explanations_name_the_keyword_phrases_found(taxonomy):
    keywords = {"care-robots": ["돌봄 로봇|말벗 + 어르신|노인", "-산업용 로봇"]}
    tagger = Tagger(taxonomy.ids, keywords=keywords).fit([CARE, SPORT], [["care-robots"], []])
    [result] = tagger.tag(["어르신 곁의 돌봄로봇이 말벗이 된다."], explain=True)
    assert result.explanations["care-robots"]["keywords"] == ["돌봄로봇", "말벗"]
    assert "keywords" not in result.explanations.get("metaverse", {})


def test_operating_at_a_stated_share_moves_scores_and_thresholds(mini_tagger):
    text = ["메타버스 플랫폼에서 가상 공연이 열렸다"]
    trained = mini_tagger.train_shares["metaverse"]
    rarer = mini_tagger.with_shares({"metaverse": trained / 20})
    assert mini_tagger.shares == {} and rarer.shares == {"metaverse": trained / 20}
    before, after = mini_tagger.scores(text)[0], rarer.scores(text)[0]
    k = mini_tagger.tags.index("metaverse")
    assert after[k] < before[k] and np.allclose(np.delete(after, k), np.delete(before, k))
    assert rarer.thresholds["metaverse"] != mini_tagger.thresholds["metaverse"]
    assert rarer.thresholds["care-robots"] == mini_tagger.thresholds["care-robots"]
    same = mini_tagger.with_shares({"metaverse": trained})
    assert np.allclose(same.scores(text), mini_tagger.scores(text))


def test_thresholds_follow_the_genre_of_each_text(mini_tagger):
    headline, article = "돌봄 로봇이 어르신을 돕는다", "돌봄 로봇이 어르신을 돕는다. " * 20
    limits = mini_tagger.thresholds_for([headline, article])
    by_genre = mini_tagger.thresholds_by_genre
    assert limits[0].tolist() == list(by_genre[0].values()) and limits[1].tolist() == list(by_genre[1].values())
    assert mini_tagger.thresholds == by_genre[1]  # the model's thresholds are those for articles
    results = mini_tagger.tag([headline, article])
    assert [r.genre for r in results] == [0, 1]


def test_estimated_shares_from_a_pool(mini_tagger, mini_docs):
    shares = mini_tagger.estimate_shares(d.full_text for d in mini_docs)
    assert set(shares) == set(mini_tagger.tags) and all(0 < v < 1 for v in shares.values())
    with pytest.raises(InvalidValue, match="no documents"):
        mini_tagger.estimate_shares([])
