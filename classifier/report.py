"""``ktag evaluate --report DIR``: an HTML page with plots that opens from disk, no server needed.

Per-tag precision / recall / F1 bars, precision-recall curves of the out-of-fold scores with each
tag's operating point (its threshold) marked, a learning curve, a reliability diagram per tag
with its expected calibration error, and a confusion matrix in single-label mode. The plots are
PNG files beside ``index.html``; matplotlib (the ``report`` extra) draws them with a Korean font
when one is installed (Noto Sans CJK, Nanum).
"""
from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .calibration import reliability
from .exceptions import KtagError
from .evaluate import cross_validate, holdout, learning_curve
from .tagger import Tagger
from .tokenize import Analysed

KOREAN_FONTS = ("Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "Noto Sans CJK JP", "Malgun Gothic", "AppleGothic")


class ReportError(KtagError):
    code = "report"


@dataclass
class Evaluation:
    """Everything a report shows: the metrics, the out-of-fold scores and truth, the thresholds of
    the model trained on all the data, and the learning curve."""

    tags: list[str]
    names: dict[str, str]
    exclusive: bool
    report: dict[str, Any]
    Y: np.ndarray
    scores: np.ndarray
    thresholds: dict[str, float]
    curve: list[tuple[int, float]]
    source: str
    settings: dict[str, Any] = field(default_factory=dict)


def build_evaluation(
    make_tagger: Any,
    docs: list[Analysed],
    tag_lists: list[tuple[str, ...]],
    names: dict[str, str],
    *,
    folds: int = 5,
    test: tuple[list[Analysed], list[tuple[str, ...]]] | None = None,
    source: str = "",
) -> Evaluation:
    """Cross-validate (or test on ``test``), fit on everything for the thresholds, and measure the
    learning curve by cross-validation on the training documents."""
    final: Tagger = make_tagger().fit_analysed(docs, tag_lists)
    if test is None:
        rep, scores = cross_validate(make_tagger, docs, tag_lists, folds=folds)
        Y = final.indicator(tag_lists)
    else:
        rep, scores = holdout(final, test[0], test[1])
        Y = final.indicator(test[1])
    curve = learning_curve(make_tagger, docs, tag_lists, folds=folds)
    settings = {"features": final.features.to_dict(), "model": final.model_params or "defaults"}
    return Evaluation(final.tags, names, final.exclusive, rep, Y, scores, final.thresholds, curve, source, settings)


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ReportError("the HTML report needs matplotlib: pip install 'ktag[report]'") from None
    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    available = {f.name for f in font_manager.fontManager.ttflist}
    korean = [f for f in KOREAN_FONTS if f in available]
    plt.rcParams.update({"font.family": korean[:1] + ["DejaVu Sans"], "axes.unicode_minus": False, "figure.dpi": 110})
    return plt


def _label(ev: Evaluation, tag: str) -> str:
    name = ev.names.get(tag) or ""
    return f"{name}\n({tag})" if name and name != tag else tag


def _grid(plt: Any, n: int) -> tuple[Any, list[Any]]:
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.axis("off")
    return fig, flat[:n]


def plot_scores(plt: Any, ev: Evaluation, path: Path) -> None:
    per_tag = ev.report["per_tag"]
    x = np.arange(len(ev.tags))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.5 * len(ev.tags)), 4.2))
    for i, metric in enumerate(("precision", "recall", "f1")):
        values = [per_tag[t][metric] for t in ev.tags]
        bars = ax.bar(x + (i - 1) * 0.27, values, 0.27, label=metric)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks(x, [_label(ev, t) for t in ev.tags], fontsize=8)
    ax.set_ylim(0, 1.08)
    ax.set_title("태그별 정밀도·재현율·F1 (precision, recall, F1 per tag)")
    ax.legend(loc="lower right")
    _save(plt, fig, path)


def plot_pr_curves(plt: Any, ev: Evaluation, path: Path) -> None:
    from sklearn.metrics import precision_recall_curve

    fig, axes = _grid(plt, len(ev.tags))
    for k, (tag, ax) in enumerate(zip(ev.tags, axes)):
        y = ev.Y[:, k]
        if y.sum():
            precision, recall, _ = precision_recall_curve(y, ev.scores[:, k])
            ax.plot(recall, precision, lw=1.6)
        point = ev.report["per_tag"][tag]
        ax.plot([point["recall"]], [point["precision"]], "o", color="crimson", ms=7)
        ax.annotate(f"threshold {ev.thresholds.get(tag, 0.0):.2f}", (point["recall"], point["precision"]),
                    textcoords="offset points", xytext=(-60, -16), fontsize=8, color="crimson")
        ax.set(xlim=(0, 1.02), ylim=(0, 1.05), xlabel="recall", ylabel="precision", title=_label(ev, tag))
    fig.suptitle("정밀도-재현율 곡선, 기준점 표시 (precision-recall curves, thresholds marked)")
    _save(plt, fig, path)


def plot_learning_curve(plt: Any, ev: Evaluation, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    sizes, f1 = zip(*ev.curve)
    ax.plot(sizes, f1, "o-")
    for n, f in ev.curve:
        ax.annotate(f"{f:.3f}", (n, f), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set(xlabel="학습 문서 수 (training documents)", ylabel="macro-F1", title="학습 곡선 (learning curve)")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    _save(plt, fig, path)


def plot_reliability(plt: Any, ev: Evaluation, path: Path) -> None:
    fig, axes = _grid(plt, len(ev.tags))
    for k, (tag, ax) in enumerate(zip(ev.tags, axes)):
        r = reliability(ev.scores[:, k], ev.Y[:, k])
        ax.plot([0, 1], [0, 1], ls="--", color="gray", lw=1)
        ax.plot(r.mean_score, r.observed, "-", color="steelblue", lw=1)
        ax.scatter(r.mean_score, r.observed, s=12 + 120 * r.count / max(1, r.count.max()), color="steelblue", zorder=3)
        ece = ev.report.get("calibration", {}).get(tag, {}).get("ece", float("nan"))
        ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="score", ylabel="observed share", title=f"{_label(ev, tag)}  ECE {ece:.3f}")
    fig.suptitle("신뢰도 도표: 점수 대 실제 비율 (reliability: score against observed share)")
    _save(plt, fig, path)


def plot_confusion(plt: Any, ev: Evaluation, path: Path) -> None:
    matrix = np.array(ev.report["confusion"])
    fig, ax = plt.subplots(figsize=(1.0 + 0.9 * len(ev.tags), 0.6 + 0.8 * len(ev.tags)))
    ax.imshow(matrix, cmap="Blues")
    labels = [ev.names.get(t) or t for t in ev.tags]
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, str(value), ha="center", va="center", fontsize=8, color="white" if value > matrix.max() / 2 else "black")
    ax.set(xlabel="예측 (predicted)", ylabel="정답 (true)", title="혼동 행렬 (confusion matrix)")
    _save(plt, fig, path)


def write_report(ev: Evaluation, directory: str | Path) -> Path:
    """Write ``index.html`` and its PNG plots into ``directory``; returns the page's path."""
    plt = _pyplot()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    plots = [("scores.png", "태그별 성능 (per tag)", plot_scores), ("pr-curves.png", "정밀도-재현율 (precision-recall)", plot_pr_curves),
             ("learning-curve.png", "학습 곡선 (learning curve)", plot_learning_curve), ("reliability.png", "신뢰도 (calibration)", plot_reliability)]
    if ev.exclusive:
        plots.append(("confusion.png", "혼동 행렬 (confusion matrix)", plot_confusion))
    for filename, _, draw in plots:
        draw(plt, ev, directory / filename)
    page = directory / "index.html"
    page.write_text(_html(ev, [(f, title) for f, title, _ in plots]), encoding="utf-8")
    return page


def _html(ev: Evaluation, plots: list[tuple[str, str]]) -> str:
    esc = html.escape
    rep, calibration = ev.report, ev.report.get("calibration", {})
    rows = "".join(
        f"<tr><td>{esc(ev.names.get(t) or t)} <small>{esc(t)}</small></td>"
        + "".join(f"<td>{rep['per_tag'][t][m]:.3f}</td>" for m in ("precision", "recall", "f1"))
        + f"<td>{rep['per_tag'][t]['support']}</td><td>{ev.thresholds.get(t, 0.0):.2f}</td>"
        + (f"<td>{calibration[t]['ece']:.3f}</td><td>{calibration[t]['brier']:.3f}</td>" if t in calibration else "<td></td><td></td>")
        + "</tr>"
        for t in ev.tags
    )
    averages = "".join(
        f"<tr class='avg'><td>{avg} avg</td>" + "".join(f"<td>{rep[avg][m]:.3f}</td>" for m in ("precision", "recall", "f1"))
        + f"<td>{rep['documents']}</td><td></td><td></td><td></td></tr>"
        for avg in ("micro", "macro")
    )
    extra = f"accuracy {rep['accuracy']:.3f}" if "accuracy" in rep else f"hamming loss {rep.get('hamming_loss', 0):.4f}"
    figures = "".join(f"<figure><figcaption>{esc(title)}</figcaption><img src='{f}' alt='{esc(title)}'></figure>" for f, title in plots)
    settings = esc(str(ev.settings)) if ev.settings else ""
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>ktag 평가 보고서 (evaluation report)</title>
<style>
body {{ font-family: "Noto Sans CJK KR", "Noto Sans KR", "Malgun Gothic", sans-serif; margin: 2rem auto; max-width: 1100px; color: #1d232b; padding: 0 1rem; }}
table {{ border-collapse: collapse; margin: 1rem 0; }} th, td {{ padding: .35rem .7rem; border-bottom: 1px solid #ddd; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }} tr.avg td {{ font-weight: 600; }} small {{ color: #667; }}
figure {{ margin: 1.5rem 0; }} figcaption {{ font-weight: 600; margin-bottom: .4rem; }} img {{ max-width: 100%; border: 1px solid #eee; }}
</style></head><body>
<h1>ktag 평가 보고서 <small>evaluation report</small></h1>
<p>{esc(ev.source)} · {esc(extra)} · {time.strftime('%Y-%m-%d %H:%M', time.localtime())}</p>
<table><thead><tr><th>tag</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>threshold</th><th>ECE</th><th>Brier</th></tr></thead>
<tbody>{rows}{averages}</tbody></table>
<p><small>Precision, recall, F1 and calibration come from out-of-fold (or held-out) scores; thresholds are
those of the model trained on all the labelled documents. {settings}</small></p>
{figures}
</body></html>
"""


def _save(plt: Any, fig: Any, path: Path) -> None:
    """Lay out, write and close one figure (pyplot keeps every open figure alive otherwise)."""
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
