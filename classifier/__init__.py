"""ktag's library: Korean morpheme analysis, TF-IDF features and linear multi-label taggers.

Nothing in this package imports Flask or click except ``cli.py``; the service and the CLI are thin
skins over it.

The public API is named here (``__all__``) and loaded on first use, so that ``import classifier``
stays cheap (Kiwi, scikit-learn and numpy load with the module that needs them)::

    from classifier import ModelRegistry, load_dataset, train
    result = train(load_dataset(["labels"]), ModelRegistry("models"))
    version, tagger = ModelRegistry("models").load()
    tagger.tag(["기사 본문 ..."])

Everything else is internal and may change between releases.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> the module that defines it
_PUBLIC = {
    # tagging
    "Tagger": "tagger",
    "TagResult": "tagger",
    "MorphemeAnalyzer": "tokenize",
    "InputDocument": "inputs",
    "iter_documents": "inputs",
    "full_text": "inputs",
    # labelled data and training
    "Taxonomy": "data",
    "TagDef": "data",
    "LabelledDocument": "data",
    "Dataset": "training",
    "load_dataset": "training",
    "train": "training",
    "TrainResult": "training",
    "check_activation": "activation",
    # model versions and the label store
    "ModelRegistry": "registry",
    "LabelStore": "store",
    "open_store": "store",
    # errors
    "KtagError": "exceptions",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'classifier' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # found once; later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
