from __future__ import annotations

import pytest

from classifier.exceptions import ModelNotFound
from classifier.registry import ModelRegistry


def test_versions_current_and_activate(mini_tagger, tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    assert registry.versions() == [] and registry.current() is None
    with pytest.raises(ModelNotFound, match="ktag train"):
        registry.load()
    first = registry.save(mini_tagger, {"training": {"documents": 40}})
    second = registry.save(mini_tagger, activate=False)
    assert registry.versions() == sorted([first, second])
    assert registry.current() == first
    registry.activate(second)
    assert registry.current() == second
    version, tagger = registry.load()
    assert version == second and tagger.tags == mini_tagger.tags
    assert registry.metadata(first)["training"] == {"documents": 40}
    assert registry.metadata(first)["version"] == first
    assert not [p for p in (tmp_path / "models").iterdir() if p.name.startswith(".")]


def test_unknown_version(mini_tagger, tmp_path):
    registry = ModelRegistry(tmp_path)
    registry.save(mini_tagger)
    with pytest.raises(ModelNotFound, match="20000101T000000Z-abcdef"):
        registry.activate("20000101T000000Z-abcdef")
    with pytest.raises(ModelNotFound):
        registry.load("../etc")


def test_a_version_keeps_the_out_of_fold_scores_of_its_training(mini_tagger, tmp_path):
    import numpy as np

    from classifier.crossval import CROSSVAL_FILE, CrossVal
    from classifier.exceptions import ModelIntegrityError

    record = CrossVal.of(["a", "b"], ["d1", "d2"], ["첫 문서", "둘째 문서"], np.array([[0.9, 0.1], [0.2, 0.8]]))
    registry = ModelRegistry(tmp_path / "models")
    version = registry.save(mini_tagger, crossval=record)
    back = registry.crossval(version)
    assert back is not None and back.ids == ["d1", "d2"] and back.tags == ["a", "b"]
    assert np.allclose(back.scores, record.scores)
    # A row only for an unchanged text.
    assert back.rows_for(["d2", "d1", "d3"], ["둘째 문서", "바뀐 문서", "x"]).tolist() == [1, -1, -1]
    assert registry.crossval(registry.save(mini_tagger)) is None  # trained without folds: none
    (tmp_path / "models" / version / CROSSVAL_FILE).write_bytes(b"not a zip")
    with pytest.raises(ModelIntegrityError, match="unreadable cross-validation record"):
        registry.crossval(version)
