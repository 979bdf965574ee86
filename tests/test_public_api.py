"""The library's public API is the names in ``classifier.__all__``, loaded on first use."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import classifier


def test_every_public_name_resolves_to_its_definition():
    for name in classifier.__all__:
        value = getattr(classifier, name)
        if name != "__version__":
            assert getattr(value, "__name__", name) == name and value.__module__.startswith("classifier.")


def test_importing_the_package_loads_no_heavy_library():
    code = "import sys, classifier; print(sorted(m for m in ('sklearn', 'kiwipiepy', 'numpy') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_the_features_package_names_its_api_and_hides_its_modules():
    import classifier.features as features

    assert set(features.__all__) == {
        "MORPH", "CharNgramTfidf", "FeatureSettings", "MorphemeTfidf", "blocks", "build_features", "feature_kinds", "transform",
    }
    for name in features.__all__:
        value = getattr(features, name)
        assert name == "MORPH" or value.__module__.startswith("classifier.features._")
    modules = [p.name for p in Path(features.__file__).parent.iterdir() if p.suffix in (".py", ".c") and p.name != "__init__.py"]
    assert modules and all(name.startswith("_") for name in modules)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        classifier.Nope  # noqa: B018
