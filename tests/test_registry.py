from __future__ import annotations

import os

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
    assert registry.versions() == [first, second]  # oldest first, even within one second
    assert registry.current() == first
    registry.activate(second)
    assert registry.current() == second
    version, tagger = registry.load()
    assert version == second and tagger.tags == mini_tagger.tags
    assert registry.metadata(first)["training"] == {"documents": 40}
    assert registry.metadata(first)["version"] == first
    assert [p.name for p in (tmp_path / "models").iterdir() if p.name.startswith(".")] == [".lock"]  # no staging left


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


def _registry_with_versions(mini_tagger, root, n=3) -> tuple[ModelRegistry, list[str]]:
    registry = ModelRegistry(root)
    versions = [registry.save(mini_tagger) for _ in range(n)]
    return registry, versions


def test_a_missing_or_dangling_current_falls_back_to_the_newest_version_that_loads(mini_tagger, tmp_path):
    registry, (first, second, third) = _registry_with_versions(mini_tagger, tmp_path)
    registry.activate(first)
    assert registry.servable() == (first, None)
    (tmp_path / "CURRENT").unlink()
    version, warning = registry.servable()
    assert version == third and "CURRENT is missing" in warning and third in warning
    (tmp_path / "CURRENT").write_text("20000101T000000Z-abcdef\n", encoding="utf-8")
    assert registry.servable()[0] == third and "not stored" in registry.servable()[1]
    (tmp_path / third / "arrays.npz").write_bytes(b"broken")  # the newest is refused: the next
    assert registry.servable()[0] == second
    assert "SHA-256 of arrays.npz" in registry.problem(third) and registry.problem(second) is None
    assert str(tmp_path) not in registry.problem(third)  # no absolute paths for the API to show
    version, tagger, warning = registry.load_servable()
    assert version == second and tagger.tags == mini_tagger.tags and warning
    assert registry.pointer() == "20000101T000000Z-abcdef"  # nothing was rewritten


def test_a_refused_current_falls_back_and_none_loading_is_said(mini_tagger, tmp_path):
    registry, (first, second, _) = _registry_with_versions(mini_tagger, tmp_path)
    registry.activate(second)
    (tmp_path / second / "model.json").write_text("{}", encoding="utf-8")
    version, warning = registry.servable()
    assert version != second and "refused" in warning
    for v in registry.versions():
        (tmp_path / v / "metadata.json").write_text("{}", encoding="utf-8")
    assert registry.servable() == (None, registry.servable()[1]) and "no stored version passes" in registry.servable()[1]


def test_activation_by_compare_and_set_never_overwrites_a_later_rollback(mini_tagger, tmp_path):
    registry, (first, second, third) = _registry_with_versions(mini_tagger, tmp_path)
    registry.activate(second)
    started_from = registry.pointer()  # a training job starts here...
    registry.activate(first)  # ...an operator rolls back meanwhile...
    assert registry.activate(third, expected=started_from) is False  # ...the job's activation loses
    assert registry.current() == first
    assert registry.activate(third, expected=first) is True and registry.current() == third
    new = registry.save(mini_tagger, expected=second)  # stored, but CURRENT moved on: not made current
    assert new in registry.versions() and registry.current() == third
    (tmp_path / "CURRENT").unlink()
    assert registry.activate(first, expected=None) is True  # no pointer was expected, none there


def test_staging_folders_of_dead_saves_are_removed(mini_tagger, tmp_path):
    import subprocess
    import sys

    registry, _ = _registry_with_versions(mini_tagger, tmp_path, 1)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / f".tmp-20260101T000000Z-aaaaaa-{gone.stdout.strip()}"
    alive = tmp_path / f".tmp-20260101T000000Z-bbbbbb-{os.getpid()}"
    old = tmp_path / ".tmp-20250101T000000Z-cccccc"  # an older ktag's: no pid to ask
    for folder in (dead, alive, old):
        folder.mkdir()
        (folder / "model.json").write_text("{}", encoding="utf-8")
    assert sorted(registry.clean_staging()) == sorted([dead.name, old.name])
    assert alive.is_dir() and not dead.exists() and not old.exists()
