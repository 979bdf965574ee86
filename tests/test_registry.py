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
