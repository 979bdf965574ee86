"""The ``ktag`` commands, run through the installed entry point (a real process each)."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.cli import main

from conftest import MINI, ROOT, use_default_model

COMMANDS = ["train", "tag", "evaluate", "info", "serve", "import", "export", "suggest", "tune"]


@pytest.mark.parametrize("command", [[], *[[c] for c in COMMANDS]])
def test_help_of_every_command(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    if command:
        assert "Example:" in result.output


def test_installed_entry_point_lists_commands(run_ktag):
    result = run_ktag("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A working directory laid out like the repository: labels/ and seeds/."""
    shutil.copytree(ROOT / "labels", tmp_path / "labels")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    return tmp_path


def test_tag_without_a_model_trains_the_default_first(project, run_ktag):
    result = run_ktag("tag", "seeds/")
    assert result.returncode == 0, result.stderr
    assert "training the default one" in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in lines] == sorted(p.stem for p in (project / "seeds").glob("*.txt"))
    for rec in lines:
        assert set(rec) == {"id", "tags", "scores", "model"}
        assert set(rec["scores"]) == {"healthcare-ai", "care-robots", "metaverse", "industry-policy"}
    assert "industry-policy" in lines[0]["tags"]
    version = lines[0]["model"]
    saved = sorted(p.name for p in (project / "models" / version).iterdir())
    assert {"model.json", "arrays.npz", "metadata.json"} <= set(saved) and "model.joblib" not in saved
    again = run_ktag("tag", "seeds/000_6c6e0d1f86d92d66.txt")
    assert "training" not in again.stderr and json.loads(again.stdout)["model"] == version


def test_train_tag_evaluate_info(tmp_path, run_ktag):
    shutil.copy(MINI, tmp_path / "mini.jsonl")
    shutil.copy(MINI.parent / "taxonomy.json", tmp_path / "taxonomy.json")
    trained = run_ktag("train", "mini.jsonl", "--folds", "4")
    assert trained.returncode == 0, trained.stderr
    assert "macro avg" in trained.stdout and "hamming loss" in trained.stdout
    version = trained.stdout.strip().splitlines()[-1].split()[1]

    info = run_ktag("info", "--json")
    meta = json.loads(info.stdout)
    assert meta["version"] == version
    assert meta["training"]["documents"] == 40
    assert meta["metrics"]["macro"]["f1"] > 0
    assert meta["taxonomy"]["tags"][0]["name"] == "의료·헬스케어 AI"
    assert "threshold" in run_ktag("info").stdout

    stdin = json.dumps({"id": "q1", "text": "요양원에 돌봄 로봇이 들어와 어르신을 돕는다."}, ensure_ascii=False)
    tagged = run_ktag("tag", "--explain", "--top-k", "2", input=stdin)
    assert tagged.returncode == 0, tagged.stderr
    rec = json.loads(tagged.stdout)
    assert rec["id"] == "q1" and rec["model"] == version and len(rec["tags"]) <= 2
    assert set(rec["explain"]) == set(rec["tags"])
    for parts in rec["explain"].values():  # the same shape as the HTTP API's explanations
        assert parts["up"] and all(set(item) == {"morpheme", "weight"} for item in parts["up"] + parts["down"])

    out = tmp_path / "out.csv"
    assert run_ktag("tag", "mini.jsonl", "-o", str(out), "--threshold", "0.9").returncode == 0
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 40 and rows[0]["model"] == version and "metaverse" in rows[0]

    evaluated = run_ktag("evaluate", "mini.jsonl", "--folds", "4", "--json")
    rep = json.loads(evaluated.stdout)
    assert rep["documents"] == 40 and "hamming_loss" in rep
    held = run_ktag("evaluate", "mini.jsonl", "--test", "mini.jsonl")
    assert held.returncode == 0 and "micro avg" in held.stdout


def test_exclusive_training_with_inferred_tags(tmp_path, run_ktag):
    rows = [(i, text, tag) for tag, texts in {
        "스포츠": ["축구 대표팀이 결승에 올랐다", "야구 경기에서 홈런이 나왔다", "농구 리그가 개막했다"],
        "경제": ["주가가 크게 올랐다", "환율이 급등했다", "금리 인상이 발표됐다"],
    }.items() for i, text in enumerate(texts)]
    with (tmp_path / "news.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "tags"])
        writer.writerows([(f"{tag}{i}", text, tag) for i, text, tag in rows])
    result = run_ktag("train", "news.csv", "--exclusive", "--folds", "2")
    assert result.returncode == 0, result.stderr
    assert "accuracy" in result.stdout and "confusion matrix" in result.stdout
    tagged = json.loads(run_ktag("tag", input="축구 경기에서 우승했다").stdout)
    assert len(tagged["tags"]) == 1 and set(tagged["scores"]) == {"경제", "스포츠"}


@pytest.mark.parametrize(
    "args,message",
    [
        (["train", "missing.jsonl"], "no such file"),
        (["train", "bad.jsonl"], "bad.jsonl:1: invalid JSON"),
        (["tag", "missing.txt"], "no such file"),
        (["info"], "no current model"),
        (["evaluate", "bad.jsonl"], "bad.jsonl:1"),
        (["tag", "--threshold", "2", "x"], "Invalid value"),
    ],
)
def test_user_mistakes_give_one_line_and_no_traceback(tmp_path, run_ktag, args, message):
    (tmp_path / "bad.jsonl").write_text("{oops\n", encoding="utf-8")
    (tmp_path / "labels").mkdir()
    result = run_ktag(*args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    if args[0] != "tag" or "--threshold" not in args:
        assert len(result.stderr.strip().splitlines()) == 1


def test_bad_training_data_leaves_models_untouched(tmp_path, run_ktag):
    shutil.copy(MINI, tmp_path / "mini.jsonl")
    shutil.copy(MINI.parent / "taxonomy.json", tmp_path / "taxonomy.json")
    assert run_ktag("train", "mini.jsonl", "--folds", "2").returncode == 0
    before = sorted(p.name for p in (tmp_path / "models").iterdir())
    (tmp_path / "more.jsonl").write_text('{"id": "z", "text": "x", "tags": ["nope"]}\n', encoding="utf-8")
    result = run_ktag("train", "mini.jsonl", "more.jsonl")
    assert result.returncode == 1 and "unknown tag 'nope'" in result.stderr
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == before


@pytest.mark.sqlite_store  # ``--data``: the SQLite store in a folder
def test_import_and_export_through_the_entry_point(tmp_path, run_ktag):
    shutil.copy(MINI, tmp_path / "mini.jsonl")
    shutil.copy(MINI.parent / "taxonomy.json", tmp_path / "taxonomy.json")
    imported = run_ktag("import", "mini.jsonl", "--data", "store")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "4 tags, 40 created, 0 updated, 0 unchanged"
    again = run_ktag("import", "mini.jsonl", "--data", "store")
    assert "40 unchanged" in again.stdout
    exported = run_ktag("export", "out", "--data", "store")
    assert exported.returncode == 0 and "40 documents" in exported.stdout
    lines = (tmp_path / "out" / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 40 and json.loads(lines[0])["id"] == "m001"
    trained = run_ktag("train", "out", "--folds", "2")
    assert trained.returncode == 0, trained.stderr
    bad = run_ktag("import", "nothing.jsonl", "--data", "store")
    assert bad.returncode == 1 and "no such file" in bad.stderr and "Traceback" not in bad.stderr
    missing = run_ktag("export", "out2", "--data", "nowhere")
    assert missing.returncode == 1 and "no label store" in missing.stderr


@pytest.mark.sqlite_store  # ``--data``: the SQLite store in a folder
def test_import_a_pool_of_unlabelled_documents(tmp_path, run_ktag):
    shutil.copy(MINI, tmp_path / "mini.jsonl")
    shutil.copy(MINI.parent / "taxonomy.json", tmp_path / "taxonomy.json")
    assert run_ktag("import", "mini.jsonl", "--data", "store").returncode == 0
    (tmp_path / "crawled.jsonl").write_text(
        '{"id": "m001", "text": "이미 라벨이 있는 문서"}\n{"id": "new1", "text": "메타버스 전시"}\n', encoding="utf-8"
    )
    pooled = run_ktag("import", "--pool", "crawled.jsonl", "--data", "store")
    assert pooled.returncode == 0, pooled.stderr
    assert pooled.stdout.strip() == "1 created, 1 skipped"
    from classifier.store import SqliteStore

    store = SqliteStore(tmp_path / "store")
    assert [d.id for d in store.pool()] == ["new1"] and store.get("m001").labelled
    (tmp_path / "broken.jsonl").write_text('{"id": "new2", "text": "좋음"}\n{"id": "new3", "text": \n', encoding="utf-8")
    broken = run_ktag("import", "--pool", "broken.jsonl", "--data", "store")
    assert broken.returncode == 1 and "broken.jsonl:2" in broken.stderr and "Traceback" not in broken.stderr
    assert [d.id for d in store.pool()] == ["new1"]  # all or nothing: new2 was not kept


def test_dev_server_starts_and_answers(tmp_path, run_ktag, default_models):
    import socket
    import subprocess
    import time

    import requests

    from conftest import ktag_executable

    shutil.copytree(ROOT / "labels", tmp_path / "labels")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    use_default_model(default_models, tmp_path / "models")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**__import__("os").environ, "KTAG_MODELS": str(tmp_path / "models"), "KTAG_DATA": str(tmp_path / "var"), "KTAG_TOKENS": "t"}
    proc = subprocess.Popen([ktag_executable(), "serve", "--dev", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        assert ready.status_code == 200
        tagged = requests.post(f"http://127.0.0.1:{port}/v1/tag", json={"text": "메타버스 플랫폼"}, timeout=30)
        assert tagged.status_code == 200 and tagged.json()["model"] == ready.json()["model"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def mini_project(tmp_path: Path, run_ktag) -> Path:
    """The 40 test documents with their taxonomy, a model trained on them, and a pool file."""
    shutil.copy(MINI, tmp_path / "mini.jsonl")
    shutil.copy(MINI.parent / "taxonomy.json", tmp_path / "taxonomy.json")
    assert run_ktag("train", "mini.jsonl", "--folds", "4").returncode == 0
    pool = ["가상현실 헤드셋으로 메타버스 공연을 본다", "프로야구 개막전이 열렸다", "주가가 올랐다", "돌봄 로봇이 어르신을 돕는다"]
    (tmp_path / "pool.jsonl").write_text("".join(json.dumps({"id": f"p{i}", "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(pool)), encoding="utf-8")
    return tmp_path


def test_tag_at_stated_and_estimated_shares(mini_project, run_ktag):
    plain = json.loads(run_ktag("tag", input="메타버스 플랫폼 가상 공연").stdout)
    rarer = run_ktag("tag", "--share", "metaverse=0.0001", input="메타버스 플랫폼 가상 공연")
    assert rarer.returncode == 0 and "tagging at shares metaverse=0.0001" in rarer.stderr
    assert json.loads(rarer.stdout)["scores"]["metaverse"] < plain["scores"]["metaverse"]
    estimated = run_ktag("shares", "--pool", "pool.jsonl")
    assert estimated.returncode == 0, estimated.stderr
    shares = json.loads(estimated.stdout)
    assert set(shares["estimated"]) == {"healthcare-ai", "care-robots", "metaverse", "industry-policy"}
    assert all(0 < v < 1 for v in shares["estimated"].values()) and shares["training"]["metaverse"] == pytest.approx(0.2)
    pooled = run_ktag("tag", "pool.jsonl", "--shares-from", "pool.jsonl")
    assert pooled.returncode == 0 and len(pooled.stdout.splitlines()) == 4 and "tagging at shares" in pooled.stderr


def test_evaluate_reports_precision_and_recall_at_the_stated_share(mini_project, run_ktag):
    result = run_ktag("evaluate", "mini.jsonl", "--folds", "4", "--share", "metaverse=0.01", "--json")
    rep = json.loads(result.stdout)
    at = rep["at_share"]["metaverse"]
    assert set(rep["at_share"]) == {"metaverse"} and at["share"] == 0.01
    # The same true- and false-positive rates, seen on a stream where 1% carry the tag.
    assert 0 <= at["precision"] <= rep["per_tag"]["metaverse"]["precision"] and at["recall"] == rep["per_tag"]["metaverse"]["recall"]
    text = run_ktag("evaluate", "mini.jsonl", "--folds", "4", "--share", "metaverse=0.01").stdout
    assert "expected on a stream where each tag has its stated share" in text


@pytest.mark.parametrize(
    "args,message",
    [
        (["train", "mini.jsonl", "--share", "metaverse=1.5"], "between 0 and 1"),
        (["train", "mini.jsonl", "--share", "metaverse"], "TAG=SHARE"),
        (["train", "mini.jsonl", "--share", "drones=0.1"], "unknown tag 'drones'"),
        (["tag", "pool.jsonl", "--share", "metaverse=0"], "between 0 and 1"),
        (["tag", "pool.jsonl", "--shares-from", "empty.jsonl"], "empty.jsonl: no documents to estimate shares from"),
        (["shares", "--pool", "latin1.jsonl"], "latin1.jsonl:1: not valid UTF-8"),
        (["shares", "--pool", "missing.jsonl"], "no such file"),
    ],
)
def test_bad_shares_and_pools_give_one_line_and_change_nothing(mini_project, run_ktag, args, message):
    (mini_project / "empty.jsonl").write_text("", encoding="utf-8")
    (mini_project / "latin1.jsonl").write_bytes('{"id": "a", "text": "caf\xe9"}\n'.encode("latin-1"))
    before = sorted(p.name for p in (mini_project / "models").iterdir())
    result = run_ktag(*args)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in (mini_project / "models").iterdir()) == before


def test_suspects_lists_a_planted_mistake_first(tmp_path, run_ktag):
    records = [json.loads(line) for line in MINI.read_text(encoding="utf-8").splitlines()]
    for record in records:
        if record["id"] == "m017":  # a metaverse text stored as care-robots
            record["tags"] = ["care-robots"]
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    shutil.copy(MINI.parent / "taxonomy.json", tmp_path / "taxonomy.json")
    result = run_ktag("suspects", "docs.jsonl", "--folds", "4", "-n", "3")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3 and lines[0]["id"] == "m017" and lines[0]["location"].endswith("docs.jsonl:17")
    assert {(i["tag"], i["stored"]) for i in lines[0]["issues"]} >= {("care-robots", True)}
    assert [line["quality"] for line in lines] == sorted(line["quality"] for line in lines)
    assert not (tmp_path / "models").exists()  # a check of the labels, nothing stored


@pytest.mark.sqlite_store  # ``--data``: the SQLite store in a folder
def test_import_and_train_refuse_a_path_outside_the_labelled_files_folder(tmp_path, run_ktag):
    (tmp_path / "secret.txt").write_text("비밀 문서 본문", encoding="utf-8")
    (tmp_path / "labels").mkdir()
    shutil.copy(MINI.parent / "taxonomy.json", tmp_path / "labels" / "taxonomy.json")
    lines = [json.loads(line) for line in MINI.read_text(encoding="utf-8").splitlines()]
    lines.append({"id": "leak", "path": "../secret.txt", "tags": []})
    (tmp_path / "labels" / "docs.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    for args in (["import", "labels/docs.jsonl", "--data", "var"], ["train", "labels/docs.jsonl", "--folds", "2"]):
        result = run_ktag(*args)
        assert result.returncode == 1 and "docs.jsonl:41: 'path' '../secret.txt' leads outside" in result.stderr
    assert not (tmp_path / "models").exists()
    allowed = run_ktag("import", "labels/docs.jsonl", "--data", "var", "--paths-anywhere")
    assert allowed.returncode == 0, allowed.stderr
    from classifier.store import SqliteStore

    assert SqliteStore(tmp_path / "var").get("leak").text == "비밀 문서 본문"
