"""Shared fixtures. Kiwi takes seconds to load, so analysers and fitted taggers are session-scoped."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from classifier.data import Taxonomy, read_labelled
from classifier.inputs import InputDocument
from classifier.tagger import Tagger
from classifier.tokenize import MorphemeAnalyzer

# The morpheme cache of every ktag run by the tests (and their subprocesses) lives in a scratch
# folder, never in the user's ~/.cache.
os.environ["KTAG_CACHE"] = str(Path(tempfile.mkdtemp(prefix="ktag-test-cache-")) / "morphemes.sqlite3")

pytest_plugins = ["browser"]  # Chromium + a live server for the web-page tests (tests/browser.py)

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
MINI = DATA / "mini.jsonl"


@pytest.fixture(scope="session")
def analyzer() -> MorphemeAnalyzer:
    a = MorphemeAnalyzer()
    a("워밍업 문장입니다.")
    return a


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return Taxonomy.load(ROOT / "labels" / "taxonomy.json")


@pytest.fixture(scope="session")
def mini_docs(taxonomy: Taxonomy):
    return read_labelled([MINI], taxonomy)


@pytest.fixture(scope="session")
def mini_tagger(taxonomy: Taxonomy, mini_docs) -> Tagger:
    """A multi-label tagger fitted on the 40 short test documents."""
    tagger = Tagger(taxonomy.ids, model_params={"min_examples": 3})
    return tagger.fit([d.full_text for d in mini_docs], [d.tags for d in mini_docs])


@pytest.fixture(scope="session")
def default_models(tmp_path_factory) -> Path:
    """The default model, trained once from the shipped labels/ as the first 'ktag tag' would;
    tests that only need some default model copy it (``use_default_model``) instead of paying
    the training (tens of seconds on the shipped headlines) again."""
    from classifier.cache import MorphemeCache
    from classifier.registry import ModelRegistry
    from classifier.training import load_dataset, train

    folder = tmp_path_factory.mktemp("default-models") / "models"
    train(load_dataset([ROOT / "labels"]), ModelRegistry(folder), cache=MorphemeCache())
    return folder


def use_default_model(default_models: Path, models: Path) -> Path:
    """A copy of the session's default model versions in ``models``."""
    shutil.copytree(default_models, models)
    return models


def ktag_executable() -> str:
    found = shutil.which("ktag") or str(Path(sys.executable).parent / "ktag")
    return found


@pytest.fixture
def run_ktag(tmp_path: Path):
    """Run the installed ``ktag`` entry point with its own model directory, in ``tmp_path``."""
    env = {**os.environ, "KTAG_MODELS": str(tmp_path / "models")}

    def run(*args: str, input: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ktag_executable(), *args],
            input=input,
            capture_output=True,
            text=True,
            cwd=cwd or tmp_path,
            env=env,
            timeout=600,
        )

    return run


def sample_docs(n: int) -> list[InputDocument]:
    texts = [json.loads(line)["text"] for line in MINI.read_text(encoding="utf-8").splitlines()]
    return [InputDocument(f"d{i}", texts[i % len(texts)] + f" {i}번째 문서") for i in range(n)]


@pytest.fixture
def corpus(tmp_path, default_models) -> Path:
    """60 documents as JSONL with one broken line (line 11), beside a link to labels/ and a copy
    of the default model in models/ (where ``run_ktag`` looks)."""
    use_default_model(default_models, tmp_path / "models")
    lines = [json.dumps({"id": d.id, "text": d.text}, ensure_ascii=False) for d in sample_docs(60)]
    lines.insert(10, "{broken")
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    Path(tmp_path / "labels").symlink_to(ROOT / "labels")
    return tmp_path / "in.jsonl"


def kiwi_builders() -> set[int]:
    """In a worker process: the processes that built its single-threaded Kiwis (its own pid if it
    built one, its parent's if it inherited the parent's through fork)."""
    from classifier import tokenize

    return {pid for (_, threads), (pid, _, _) in tokenize._kiwis.items() if threads == 0}
