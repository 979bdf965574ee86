from __future__ import annotations

import shutil

import pytest

from classifier.report import build_evaluation, write_report
from classifier.tagger import Tagger

from conftest import MINI

PNG = b"\x89PNG\r\n\x1a\n"


def evaluation(mini_docs, taxonomy, exclusive: bool = False):
    docs = [d for d in mini_docs if not exclusive or len(d.tags) == 1]
    tags = taxonomy.ids

    def factory() -> Tagger:
        return Tagger(tags, exclusive=exclusive, model_params={"min_examples": 3})

    analysed = factory().analyse([d.full_text for d in docs])
    names = {t.id: t.name for t in taxonomy.tags}
    return build_evaluation(factory, analysed, [d.tags for d in docs], names, folds=2, source="mini, 2-fold")


def test_a_multi_label_report_has_every_plot_and_the_metrics(tmp_path, mini_docs, taxonomy):
    ev = evaluation(mini_docs, taxonomy)
    assert [n for n, _ in ev.curve] == sorted(n for n, _ in ev.curve) and len(ev.curve) == 5
    assert set(ev.report["calibration"]) == set(taxonomy.ids)
    page = write_report(ev, tmp_path / "report")
    html = page.read_text(encoding="utf-8")
    for name in ("scores.png", "pr-curves.png", "learning-curve.png", "reliability.png"):
        assert f"src='{name}'" in html
        assert (page.parent / name).read_bytes()[:8] == PNG
    assert not (page.parent / "confusion.png").exists()
    assert "돌봄·서비스 로봇" in html and "ECE" in html and "mini, 2-fold" in html
    f1 = ev.report["per_tag"]["metaverse"]["f1"]
    assert f"{f1:.3f}" in html


def test_a_single_label_report_adds_the_confusion_matrix(tmp_path, mini_docs, taxonomy):
    ev = evaluation(mini_docs, taxonomy, exclusive=True)
    page = write_report(ev, tmp_path / "report")
    assert (page.parent / "confusion.png").read_bytes()[:8] == PNG
    assert "accuracy" in page.read_text(encoding="utf-8")


def test_evaluate_writes_a_report_from_the_command_line(tmp_path, run_ktag):
    shutil.copy(MINI, tmp_path / "mini.jsonl")
    shutil.copy(MINI.parent / "taxonomy.json", tmp_path / "taxonomy.json")
    result = run_ktag("evaluate", "mini.jsonl", "--folds", "2", "--report", "out")
    assert result.returncode == 0, result.stderr
    assert "report written to" in result.stderr and (tmp_path / "out" / "index.html").is_file()
    assert "ECE" in result.stdout


def test_without_matplotlib_the_error_says_what_to_install(monkeypatch, tmp_path, mini_docs, taxonomy):
    import builtins

    from classifier.report import ReportError

    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    ev = evaluation(mini_docs, taxonomy)
    monkeypatch.setattr(builtins, "__import__", refuse)
    with pytest.raises(ReportError, match=r"pip install 'ktag\[report\]'"):
        write_report(ev, tmp_path / "r")
