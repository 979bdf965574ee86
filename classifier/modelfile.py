"""Model files that are data, never code: a fitted tagger as JSON and plain numpy arrays.

A linear tagger is settings, vocabularies and arrays. Pickle (joblib) would store them too, and run
whatever code the file names when it is loaded: a checksum beside the file stops accidents, not
someone who can write the models folder (a shared folder, on a cluster). So a version folder holds

    model.json     settings, taxonomy-derived keywords and shares, each vectorizer's vocabulary
    arrays.npz     idf vectors, n-gram code tables, weights, calibration, thresholds, ROC tables
    metadata.json  what people and the registry read (hashes of the two files above, versions...)

read with ``json.loads`` and ``numpy.load(allow_pickle=False)``: replacing any of them can give a
wrong model, never run code. Every array is checked for its expected shape and kind before use.
Folders of older formats (``model.joblib``, a pickle) are refused with a message to retrain.
"""
from __future__ import annotations

import hashlib
import json
import platform
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from .exceptions import InvalidValue, ModelIntegrityError, ModelNotFound
from .features import CharNgramTfidf, FeatureSettings, build_features
from .keywords import check_keyword
from .model import LinearTagModel

if TYPE_CHECKING:
    from .tagger import Tagger

FORMAT = 8
MODEL_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"
METADATA_FILE = "metadata.json"
LEGACY_FILE = "model.joblib"  # formats up to 7: a pickle, never loaded
_MODEL_FIELDS = ("weights", "intercept", "calibration", "thresholds", "train_share", "blend")


def library_versions() -> dict[str, str]:
    """The versions a model's behaviour depends on; loading requires the same ones (another
    kiwipiepy analyses texts into other morphemes, another scikit-learn may weigh them otherwise)."""
    import kiwipiepy
    import sklearn

    return {
        "python": ".".join(platform.python_version_tuple()[:2]),
        "scikit-learn": sklearn.__version__,
        "kiwipiepy": kiwipiepy.__version__,
    }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_digest(directory: str | Path) -> str:
    """One SHA-256 over a version's model files (a Dask worker checks it against the client's)."""
    directory = Path(directory)
    return hashlib.sha256("".join(sha256_file(directory / name) for name in (MODEL_FILE, ARRAYS_FILE)).encode()).hexdigest()


# -- saving ----------------------------------------------------------------------------------------
def _vectorizer_state(tagger: Tagger, arrays: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Each vectorizer's kind and vocabulary (JSON), its arrays added to ``arrays``."""
    out = []
    for name, vectorizer in tagger._vectorizer.transformer_list:
        if isinstance(vectorizer, CharNgramTfidf):
            arrays[f"{name}.codes"] = np.asarray(vectorizer.vocabulary_codes_, dtype=np.uint64)
            out.append({"name": name, "kind": "char-codes"})
        elif isinstance(vectorizer, TfidfVectorizer):
            terms = [""] * len(vectorizer.vocabulary_)
            for term, column in vectorizer.vocabulary_.items():
                terms[column] = term
            out.append({"name": name, "kind": "terms", "terms": terms})
        else:
            raise TypeError(f"no file format for the vectorizer {type(vectorizer).__name__}")
        arrays[f"{name}.idf"] = np.asarray(vectorizer.idf_, dtype=np.float64)
    return out


def _model_state(model: LinearTagModel, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    for field in _MODEL_FIELDS:
        arrays[f"model.{field}"] = np.asarray(getattr(model, f"{field}_"), dtype=np.float64)
    # ROC tables are ragged (a table per genre and tag, or none): one array and an index.
    index, tables = [], []
    for g, per_tag in enumerate(model.roc_):
        for k, table in enumerate(per_tag):
            if table is not None:
                index.append([g, k, sum(len(t) for t in tables), len(table)])
                tables.append(np.asarray(table, dtype=np.float64))
    arrays["model.roc"] = np.concatenate(tables) if tables else np.zeros((0, 3))
    return {"params": model.get_params(), "n_tags": int(model.n_tags_), "roc_index": index}


def save_tagger(tagger: Tagger, directory: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    """Write a fitted tagger as ``model.json`` + ``arrays.npz`` and its ``metadata.json``."""
    model = tagger._check()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    document = {
        "format": FORMAT,
        "tagger": tagger.describe(),
        "vectorizers": _vectorizer_state(tagger, arrays),
        "model": _model_state(model, arrays),
    }
    (directory / MODEL_FILE).write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    np.savez_compressed(directory / ARRAYS_FILE, **arrays)
    meta = dict(metadata or {})
    meta.update(
        {
            "format": FORMAT,
            "saved": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "sha256": {name: sha256_file(directory / name) for name in (MODEL_FILE, ARRAYS_FILE)},
            "versions": library_versions(),
            "thresholds": tagger.thresholds,
            "thresholds_by_genre": tagger.describe_thresholds(),
            "train_shares": tagger.train_shares,
            **tagger.describe(),
        }
    )
    (directory / METADATA_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return directory


# -- loading -----------------------------------------------------------------------------------------
def read_metadata(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / METADATA_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelNotFound(directory) from exc
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(path, f"unreadable metadata: {exc}") from exc
    if not isinstance(meta, dict):
        raise ModelIntegrityError(path, "metadata is not a JSON object")
    return meta


def check_folder(directory: str | Path) -> dict[str, Any]:
    """The metadata of a version folder whose format, files, hashes and library versions are
    right; ``ModelIntegrityError`` (or ``ModelNotFound``) saying what is wrong otherwise."""
    directory = Path(directory)
    meta = read_metadata(directory)
    if meta.get("format") != FORMAT or (directory / LEGACY_FILE).exists():
        found = meta.get("format")
        raise ModelIntegrityError(
            directory, f"model format {found} is not {FORMAT}: formats before 8 were pickles, which are not loaded; retrain it (ktag train)"
        )
    hashes = meta.get("sha256")
    if not isinstance(hashes, dict):
        raise ModelIntegrityError(directory, "metadata.json lists no file hashes")
    for name in (MODEL_FILE, ARRAYS_FILE):
        path = directory / name
        if not path.is_file():
            raise ModelIntegrityError(directory, f"{name} is missing")
        if hashes.get(name) != sha256_file(path):
            raise ModelIntegrityError(directory, f"the SHA-256 of {name} does not match metadata.json (file changed or replaced)")
    expected, actual = meta.get("versions", {}), library_versions()
    wrong = [f"{k} {expected.get(k)} (here {v})" for k, v in actual.items() if expected.get(k) != v]
    if wrong:
        raise ModelIntegrityError(directory, "saved with other library versions: " + ", ".join(wrong) + "; retrain it here")
    _check_shapes(directory)
    return meta


def _check_shapes(directory: Path) -> None:
    """The two files are what this format writes: a JSON object, and plain numeric or text arrays.
    Only the arrays' headers are read (an object array would need pickle to load, so it is refused
    here, listed as such, rather than found when a worker tries to serve it)."""
    try:
        with (directory / MODEL_FILE).open(encoding="utf-8") as fh:
            if not isinstance(json.load(fh), dict):
                raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(directory, f"{MODEL_FILE} is not this format's JSON ({exc})") from None
    try:
        with zipfile.ZipFile(directory / ARRAYS_FILE) as archive:
            for name in archive.namelist():
                with archive.open(name) as member:
                    version = np.lib.format.read_magic(member)
                    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                    _, _, dtype = read_header(member)
                if dtype.hasobject:
                    raise ValueError(f"{name} holds Python objects, which only pickle could load")
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelIntegrityError(directory, f"{ARRAYS_FILE} is not an archive of plain arrays ({exc})") from None


def _array(arrays: Any, name: str, shape: tuple[int | None, ...], kind: str = "f") -> np.ndarray:
    """``arrays[name]`` if it is there, numeric of ``kind`` and of ``shape`` (None: any length)."""
    if name not in arrays.files:
        raise ValueError(f"array {name!r} is missing")
    value = arrays[name]
    if value.dtype.kind != kind or value.ndim != len(shape) or any(s is not None and s != d for s, d in zip(shape, value.shape)):
        raise ValueError(f"array {name!r} is {value.dtype}{list(value.shape)}, not {kind}{list(shape)}")
    return value


def _vectorizers(document: dict[str, Any], settings: FeatureSettings, arrays: Any) -> Any:
    union = build_features(settings)
    stored = {v.get("name"): v for v in document["vectorizers"] if isinstance(v, dict)}
    for name, vectorizer in union.transformer_list:
        state = stored.get(name)
        if state is None:
            raise ValueError(f"vectorizer {name!r} is missing")
        if isinstance(vectorizer, CharNgramTfidf) and state.get("kind") == "char-codes":
            vectorizer.vocabulary_codes_ = _array(arrays, f"{name}.codes", (None,), "u")
            vectorizer.idf_ = _array(arrays, f"{name}.idf", (len(vectorizer.vocabulary_codes_),))
        elif isinstance(vectorizer, TfidfVectorizer) and state.get("kind") == "terms":
            terms = state.get("terms")
            if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms) or len(set(terms)) != len(terms):
                raise ValueError(f"the vocabulary of {name!r} is not a list of distinct strings")
            vectorizer.vocabulary_ = {t: i for i, t in enumerate(terms)}
            vectorizer.idf_ = _array(arrays, f"{name}.idf", (len(terms),))
        else:
            raise ValueError(f"vectorizer {name!r} of kind {state.get('kind')!r} does not fit these settings")
    return union


def _linear_model(document: dict[str, Any], exclusive: bool, n_features: int, arrays: Any) -> LinearTagModel:
    state = document["model"]
    params = {k: v for k, v in state["params"].items() if k != "exclusive"}
    model = LinearTagModel(exclusive=exclusive, **params)
    n = int(state["n_tags"])
    model.n_tags_ = n
    model.weights_ = np.ascontiguousarray(_array(arrays, "model.weights", (n_features, n)))
    model.intercept_ = _array(arrays, "model.intercept", (n,))
    model.calibration_ = _array(arrays, "model.calibration", (None, n, 4))
    model.thresholds_ = _array(arrays, "model.thresholds", (model.calibration_.shape[0], n))
    model.train_share_ = _array(arrays, "model.train_share", (n,))
    model.blend_ = _array(arrays, "model.blend", (n,))
    tables = _array(arrays, "model.roc", (None, 3))
    model.roc_ = [[None] * n for _ in range(model.calibration_.shape[0])]
    for g, k, start, length in state["roc_index"]:
        if not (0 <= g < len(model.roc_) and 0 <= k < n and 0 <= start and start + length <= len(tables)):
            raise ValueError("the ROC index points outside its tables")
        model.roc_[g][k] = tables[start : start + length]
    return model


def load_tagger(directory: str | Path) -> Tagger:
    """A saved tagger, after every check; nothing in the folder can run code."""
    from .tagger import Tagger

    directory = Path(directory)
    if not directory.is_dir():
        raise ModelNotFound(directory)
    check_folder(directory)
    try:
        document = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
        settings = document["tagger"]
        analyzer = settings["analyzer"]
        tagger = Tagger(
            settings["tags"],
            exclusive=bool(settings["exclusive"]),
            features=FeatureSettings.from_dict(settings["features"]),
            model_params=settings["model_params"],
            clean=bool(settings["clean"]),
            keywords=settings.get("keywords", {}),
            shares=settings.get("shares", {}),
        )
        from .tokenize import MorphemeAnalyzer

        tagger.analyzer = MorphemeAnalyzer(
            tuple(analyzer["keep_tags"]), bool(analyzer["stems"]), tuple(tuple(w) for w in analyzer["user_words"])
        )
        for rules in tagger.keywords.keywords.values():
            for rule in rules:
                check_keyword(rule)
        with np.load(directory / ARRAYS_FILE, allow_pickle=False) as arrays:
            union = _vectorizers(document, tagger.features, arrays)
            n_features = sum(len(v.idf_) for _, v in union.transformer_list)
            model = _linear_model(document, tagger.exclusive, n_features, arrays)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, InvalidValue) as exc:
        raise ModelIntegrityError(directory, f"not a readable ktag model: {exc}") from exc
    if model.n_tags_ != len(tagger.tags):
        raise ModelIntegrityError(directory, "the model's tag count does not match its settings")
    tagger._vectorizer, tagger._model = union, model
    return tagger


__all__ = [
    "ARRAYS_FILE",
    "FORMAT",
    "METADATA_FILE",
    "MODEL_FILE",
    "check_folder",
    "library_versions",
    "load_tagger",
    "model_digest",
    "read_metadata",
    "save_tagger",
    "sha256_file",
]
