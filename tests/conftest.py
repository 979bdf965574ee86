"""Shared fixtures. Kiwi takes seconds to load, so analysers and fitted taggers are session-scoped."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from classifier.data import Taxonomy, read_labelled
from classifier.inputs import InputDocument
from classifier.store import LabelStore, SqliteStore, open_store
from classifier.tagger import Tagger
from classifier.tokenize import MorphemeAnalyzer

# The morpheme cache of every ktag run by the tests (and their subprocesses) lives in a scratch
# folder, never in the user's ~/.cache.
os.environ["KTAG_CACHE"] = str(Path(tempfile.mkdtemp(prefix="ktag-test-cache-")) / "morphemes.sqlite3")

pytest_plugins = ["browser"]  # Chromium + a live server for the web-page tests (tests/browser.py)

# Label-store backends every store test runs on; KTAG_TEST_BACKEND=postgresql also points every
# test's default store (KTAG_DATABASE_URL) at a fresh PostgreSQL database: the whole suite on it.
BACKENDS = ("sqlite", "postgresql")
WHOLE_SUITE_BACKEND = os.environ.get("KTAG_TEST_BACKEND", "sqlite")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
MINI = DATA / "mini.jsonl"


@pytest.fixture(scope="session")
def postgres_admin(tmp_path_factory) -> Iterator[str]:
    """The URL of a PostgreSQL server's admin database: ``KTAG_TEST_POSTGRES`` (``.ci/run`` starts
    one), else a throwaway server started here for the session."""
    import postgres

    given = os.environ.get("KTAG_TEST_POSTGRES")
    if given:
        yield given
        return
    folder = Path(tempfile.mkdtemp(prefix="ktag-test-postgres-"))
    try:
        url = postgres.start(folder)
    except (RuntimeError, KeyError, OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"no PostgreSQL for the store tests ({exc}); install Debian's 'postgresql' package or set KTAG_TEST_POSTGRES")
    os.environ["KTAG_TEST_POSTGRES"] = url  # servers and subprocesses of the tests reuse it
    yield url
    postgres.stop(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(request) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped after it)."""
    import postgres

    admin = request.getfixturevalue("postgres_admin")
    url = postgres.new_database(admin)
    yield url
    postgres.drop_database(admin, url)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def new_store(backend: str, tmp_path: Path, request) -> Iterator[Callable[..., LabelStore]]:
    """Makes fresh, empty label stores of the test's ``backend`` (each in its own file or database)."""
    made: list[LabelStore] = []

    def make(max_text_chars: int = 200_000) -> LabelStore:
        if backend == "sqlite":
            store: LabelStore = SqliteStore(tmp_path / f"store{len(made)}", max_text_chars=max_text_chars)
        else:
            store = open_store(request.getfixturevalue("postgres_url") if not made else _another_database(request), max_text_chars=max_text_chars)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def _another_database(request) -> str:
    import postgres

    admin = request.getfixturevalue("postgres_admin")
    url = postgres.new_database(admin)
    request.addfinalizer(lambda: postgres.drop_database(admin, url))
    return url


@pytest.fixture(autouse=WHOLE_SUITE_BACKEND == "postgresql")
def whole_suite_on_postgres(request, monkeypatch) -> None:
    """With KTAG_TEST_BACKEND=postgresql: every store the test's code opens by default (servers,
    ``ktag`` commands, ``create_app``) is a fresh PostgreSQL database, except in tests marked
    ``sqlite_store`` (they are about the SQLite file in a data folder)."""
    if request.node.get_closest_marker("sqlite_store") is None:
        monkeypatch.setenv("KTAG_DATABASE_URL", request.getfixturevalue("postgres_url"))


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
