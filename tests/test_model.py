from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from classifier.model import LinearTagModel, best_f1_threshold, decide


def synthetic(n: int = 300, seed: int = 0):
    """Two noisy features driving two tags; tag 1 is rare, so its best threshold is not 0.5."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    y0 = (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
    y1 = (X[:, 1] + 0.8 * rng.normal(size=n) > 1.4).astype(int)
    return sparse.csr_matrix(X), np.c_[y0, y1]


def test_best_f1_threshold_finds_the_cut():
    scores = np.array([0.95, 0.9, 0.8, 0.35, 0.3, 0.1])
    y = np.array([1, 1, 1, 1, 0, 0])
    assert best_f1_threshold(scores, y) == pytest.approx(0.325)
    assert best_f1_threshold(np.array([0.9, 0.2]), np.array([1, 0])) == pytest.approx(0.55)


def test_best_f1_threshold_is_clipped():
    assert best_f1_threshold(np.array([0.01, 0.005]), np.array([1, 0])) == 0.05


def test_thresholds_are_tuned_per_tag_by_cross_validation():
    X, Y = synthetic()
    model = LinearTagModel(loss="log", C=1.0).fit(X, Y)
    assert model.thresholds_.shape == (2, 2)  # genres × tags; one genre here, so both rows agree
    assert (model.thresholds_[0] == model.thresholds_[1]).all()
    assert not np.allclose(model.thresholds_[0], 0.5)
    scores = model.predict_proba(X)
    assert scores.min() >= 0 and scores.max() <= 1
    assert (model.predict(X) == (scores >= model.thresholds_[0])).all()


def test_tags_with_too_few_examples_fall_back_to_half():
    X, Y = synthetic()
    Y[:, 1] = 0
    Y[:3, 1] = 1
    model = LinearTagModel(min_examples=5).fit(X, Y)
    assert (model.thresholds_[:, 1] == 0.5).all()
    assert (model.thresholds_[:, 0] != 0.5).all()


def test_tiny_data_and_constant_tags_fit():
    X = sparse.csr_matrix(np.eye(3))
    Y = np.array([[1, 0], [1, 1], [1, 0]])
    model = LinearTagModel().fit(X, Y)
    assert (model.thresholds_ == 0.5).all()
    scores = model.predict_proba(X)
    assert (scores[:, 0] > 0.9).all()  # carried by every document


@pytest.mark.parametrize("loss", ["hinge", "log"])
def test_exclusive_mode_gives_one_tag_and_scores_summing_to_one(loss):
    rng = np.random.default_rng(1)
    centers = np.eye(3) * 3
    labels = rng.integers(0, 3, 240)
    X = sparse.csr_matrix(centers[labels] + rng.normal(size=(240, 3)))
    Y = np.eye(3, dtype=int)[labels]
    model = LinearTagModel(exclusive=True, loss=loss).fit(X, Y)
    scores = model.predict_proba(X)
    assert np.allclose(scores.sum(axis=1), 1)
    pred = model.predict(X)
    assert (pred.sum(axis=1) == 1).all()
    assert (pred.argmax(axis=1) == labels).mean() > 0.9


def test_stacked_scoring_equals_per_tag_estimators():
    X, Y = synthetic()
    model = LinearTagModel(loss="hinge").fit(X, Y)
    from sklearn.svm import LinearSVC

    svc = LinearSVC(C=model.C, random_state=0).fit(X, Y[:, 0])
    assert np.allclose(model.decision_function(X)[:, 0], svc.decision_function(X), atol=1e-6)


def test_decide_with_threshold_and_top_k():
    scores = np.array([[0.9, 0.8, 0.7, 0.1]])
    assert decide(scores, 0.5).tolist() == [[1, 1, 1, 0]]
    assert decide(scores, 0.5, top_k=2).tolist() == [[1, 1, 0, 0]]
    assert decide(scores, np.array([0.95, 0.5, 0.5, 0.05])).tolist() == [[0, 1, 1, 1]]
    assert decide(scores, 0.0, exclusive=True).tolist() == [[1, 0, 0, 0]]
    assert decide(scores, 0.95, exclusive=True).tolist() == [[0, 0, 0, 0]]


def test_unknown_loss_is_refused():
    X, Y = synthetic(40)
    with pytest.raises(ValueError, match="loss"):
        LinearTagModel(loss="squared").fit(X, Y)


def test_a_rare_tag_leans_on_its_prior_less_as_examples_accumulate():
    X, Y = synthetic()
    Y[:, 1] = 0
    Y[:3, 1] = 1  # too few examples to calibrate: the fixed blend applies
    prior = np.c_[np.full(len(Y), np.nan), np.full(len(Y), 0.9)]
    model = LinearTagModel(prior_weight=10.0).fit(X, Y, prior)
    assert model.blend_[1] == pytest.approx(3 / (3 + 10.0))
    assert model.blend_[0] == 1.0  # no prior for tag 0
    plain, blended = model.predict_proba(X), model.predict_proba(X, prior)
    assert np.allclose(blended[:, 0], plain[:, 0])
    w = model.blend_[1]
    assert np.allclose(blended[:, 1], w * plain[:, 1] + (1 - w) * 0.9)


def test_calibration_learns_how_much_an_informative_prior_counts():
    X, Y = synthetic(2000, seed=3)
    rng = np.random.default_rng(4)
    informative = np.clip(0.6 * Y[:, 1] + rng.uniform(0, 0.4, len(Y)), 0, 1)
    prior = np.c_[np.full(len(Y), np.nan), informative]
    model = LinearTagModel(loss="log", C=1.0).fit(X, Y, prior)
    a, c, b, fitted = model.calibration_[0, 1]
    assert fitted == 1 and a > 0 and c > 0
    without = LinearTagModel(loss="log", C=1.0).fit(X, Y)
    Xt, Yt = synthetic(2000, seed=5)
    test_prior = np.c_[np.full(len(Yt), np.nan), np.clip(0.6 * Yt[:, 1] + rng.uniform(0, 0.4, len(Yt)), 0, 1)]
    with_prior = decide(model.predict_proba(Xt, test_prior), model.thresholds_[0])[:, 1]
    alone = without.predict(Xt)[:, 1]
    assert (with_prior == Yt[:, 1]).mean() > (alone == Yt[:, 1]).mean()


def test_scores_are_calibrated_on_unseen_documents():
    from classifier.calibration import expected_calibration_error

    X, Y = synthetic(4000, seed=6)
    model = LinearTagModel(C=1.0).fit(X, Y)
    Xt, Yt = synthetic(4000, seed=7)
    scores = model.predict_proba(Xt)
    for k in range(2):
        assert expected_calibration_error(scores[:, k], Yt[:, k]) < 0.03


def test_with_few_examples_the_prior_decides():
    X, Y = synthetic()
    Y[:, 1] = 0
    Y[0, 1] = 1
    prior = np.c_[np.full(len(Y), np.nan), np.where(np.arange(len(Y)) % 2 == 0, 0.8, 0.0)]
    model = LinearTagModel().fit(X, Y, prior)
    predicted = model.predict(X, prior)[:, 1]
    assert (predicted[::2] == 1).all() and (predicted[1::2] == 0).sum() >= len(Y) // 2 - 1
    assert model.predict(X)[:, 1].sum() <= 1  # the model alone knows one example


def test_scores_from_column_blocks_equal_scores_from_the_joined_matrix():
    X, Y = synthetic()
    model = LinearTagModel().fit(X, Y)
    parts = [X[:, :2].tocsr(), X[:, 2:5].tocsr(), X[:, 5:].tocsr()]
    assert np.allclose(model.decision_function(parts), model.decision_function(X), rtol=0, atol=1e-12)
    assert np.allclose(model.predict_proba(parts), model.predict_proba(X), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="features"):
        model.decision_function(parts[:2])


def _two_genres(n: int = 4000, seed: int = 8):
    """Headlines (genre 0), where a tag is rare, and articles (genre 1), collected so that most
    carry it. The tag depends on the topic alone, which a feature (column 0) sees through noise;
    column 2 marks articles. Unbalanced, the article marker predicts the tag."""
    rng = np.random.default_rng(seed)
    genre = (rng.uniform(size=n) < 0.1).astype(np.int8)
    topic = rng.normal(size=n)
    on_topic = rng.uniform(size=n) < 0.7
    topic[genre == 1] = np.where(on_topic[genre == 1], 2.5, 0.0) + 0.5 * rng.normal(size=int(genre.sum()))
    y = (topic > 1.8).astype(int)
    X = np.c_[topic + 0.8 * rng.normal(size=n), rng.normal(size=n), genre * 1.0]
    return sparse.csr_matrix(X), y[:, None], genre


def test_balancing_genres_keeps_a_genre_feature_from_standing_in_for_the_tag():
    X, Y, genre = _two_genres()
    plain = LinearTagModel(C=1.0, balance_genres=False).fit(X, Y, genre=genre)
    balanced = LinearTagModel(C=1.0).fit(X, Y, genre=genre)
    # The article marker: a strong positive weight unbalanced, a small one balanced.
    assert plain.coef_[0, 2] > 0.5
    assert abs(balanced.coef_[0, 2]) < 0.25 * plain.coef_[0, 2]
    # Scores at the share of the largest genre, in both genres.
    assert balanced.train_share_[0] == pytest.approx(Y[genre == 0, 0].mean(), abs=1e-9)


def test_each_genre_gets_its_own_calibration_and_threshold():
    X, Y, genre = _two_genres()
    model = LinearTagModel(C=1.0, balance_genres=False).fit(X, Y, genre=genre)
    assert not np.allclose(model.calibration_[0], model.calibration_[1])
    assert model.thresholds_[0, 0] != model.thresholds_[1, 0]
    scores = model.predict_proba(X, genre=genre)
    expected = (scores >= model.thresholds_[genre]).astype(np.int8)
    assert (model.predict(X, genre=genre) == expected).all()


def test_inner_folds_keep_groups_together():
    from classifier.model import fold_indices

    Y = np.zeros((40, 2), dtype=int)
    Y[::3, 0] = 1
    groups = np.repeat(np.arange(10), 4)
    for train, test in fold_indices(Y, 3, False, 0, groups):
        assert not set(groups[train]) & set(groups[test])


def test_weighted_best_f1_threshold_counts_each_document_its_weight():
    scores = np.array([0.9, 0.6, 0.4, 0.2])
    y = np.array([1, 0, 1, 0])
    assert best_f1_threshold(scores, y) == pytest.approx(0.3)  # both positives, one false tag
    # The negative at 0.6 counting ten times: taking it costs more than missing the 0.4 positive.
    assert best_f1_threshold(scores, y, weights=np.array([1, 10, 1, 1])) == pytest.approx(0.75)
