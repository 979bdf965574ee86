"""``ktag``: a thin click skin over the library. Domain errors become one line on stderr."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from . import __version__
from .activation import DEFAULT_MAX_DROP, outcome
from .batch import BATCH_SIZE, ENGINES, ON_ERROR, Model, TagOptions, make_engine, tag_to_output
from .evaluate import format_report
from .evaluation import evaluate_dataset
from .exceptions import InvalidValue, KtagError
from .active import suggest_from_files
from .cache import MorphemeCache
from .inputs import check_inputs, count_records, iter_documents, iter_records
from .registry import ModelRegistry, default_models_dir
from .shares import parse_shares
from .store import database_url, import_files, model_registry, open_store, store_exists
from .suspects import dataset_suspects
from .training import DEFAULT_LABELS, SETTINGS_FILE, ensure_model, load_dataset, train
from .tune import format_trials, save_settings, tune_dataset


class KtagGroup(click.Group):
    """Turns library errors into ``click.ClickException`` (one line on stderr, exit 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KtagError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None


def _stderr(message: str) -> None:
    click.echo(message, err=True)


models_option = click.option(
    "--models",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Model directory (default: $KTAG_MODELS or ./models).",
)


share_option = click.option(
    "--share",
    "shares",
    multiple=True,
    metavar="TAG=SHARE",
    help="A tag's expected share of the stream to tag, in (0, 1), over the taxonomy's (repeatable).",
)
paths_anywhere_option = click.option(
    "--paths-anywhere",
    is_flag=True,
    help="Let a JSONL record's \"path\" lead outside its file's folder (refused otherwise).",
)
no_clean_option = click.option("--no-clean", is_flag=True, help="Keep crawled-page furniture (bylines, banners, widgets...) instead of stripping it.")
no_cache_option = click.option("--no-cache", is_flag=True, help="Analyse every text with Kiwi instead of reusing the morpheme cache ($KTAG_CACHE).")


def _registry(models: Path | None) -> ModelRegistry:
    """The models, with the current version where the label store keeps it (``KTAG_DATABASE_URL``)."""
    return model_registry(models or default_models_dir())


@click.group(cls=KtagGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ktag")
def main() -> None:
    """ktag: tag Korean documents by topic (Kiwi morphemes, TF-IDF, linear models).

    Example: ktag tag seeds/
    """


@main.command("train")
@click.argument("labelled", nargs=-1, type=click.Path(path_type=Path))
@click.option("--taxonomy", type=click.Path(dir_okay=False, path_type=Path), help="Taxonomy JSON (default: taxonomy.json beside the data, else the tags found in it).")
@click.option("--exclusive/--multi-label", default=None, help="Single-label mode (one tag per document), or multi-label.")
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True, help="Cross-validation folds for the printed metrics.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@click.option(
    "--max-drop", type=click.FloatRange(0, 1), default=DEFAULT_MAX_DROP, show_default=True, envvar="KTAG_ACTIVATION_MAX_DROP",
    help="Largest fall of cross-validated macro-F1 from the current model that still makes the new one current ($KTAG_ACTIVATION_MAX_DROP).",
)
@click.option("--activate-anyway", is_flag=True, help="Make the new model current even when it is held back (lower macro-F1, a tag without examples).")
@share_option
@paths_anywhere_option
@no_clean_option
@no_cache_option
@models_option
def train_cmd(
    labelled: tuple[Path, ...], taxonomy: Path | None, exclusive: bool | None, folds: int, as_json: bool, max_drop: float,
    activate_anyway: bool, shares: tuple[str, ...], paths_anywhere: bool, no_clean: bool, no_cache: bool, models: Path | None,
) -> None:
    """Train a model from labelled files, print cross-validated metrics, make it current unless it
    is held back: its macro-F1 lower than the current model's by more than --max-drop, or a tag
    of its taxonomy without examples (it is stored either way).

    LABELLED: JSONL / CSV files or folders (default: labels/).

    Example: ktag train labels/ --folds 5
    """
    dataset = load_dataset(list(labelled) or [DEFAULT_LABELS], taxonomy, exclusive, paths_anywhere)
    stated = parse_shares(shares, dataset.taxonomy.ids)
    cache = None if no_cache else MorphemeCache()
    result = train(
        dataset, _registry(models), folds=folds, clean=not no_clean, progress=lambda message, _fraction: _stderr(message),
        cache=cache, shares=stated, max_drop=max_drop, activate_anyway=activate_anyway,
    )
    assert result.activation is not None
    if as_json:
        click.echo(json.dumps(
            {"version": result.version, "metrics": result.metrics, "activated": result.activated, "held_back": result.activation.to_dict()},
            ensure_ascii=False,
        ))
        return
    if result.metrics:
        click.echo(format_report(result.metrics, dataset.taxonomy.ids))
    click.echo(f"model {result.version} saved, {outcome(result.activation, result.activated)} ({len(dataset.documents)} documents)")
    if not result.activated:
        _stderr(f"warning: {result.version} is not current; run again with --activate-anyway, or activate it on the service's /models page")


@main.command("tag")
@click.argument("inputs", nargs=-1)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write here instead of stdout (CSV when it ends in .csv); a folder with --engine dask.")
@click.option("--threshold", type=click.FloatRange(0, 1), help="One threshold for every tag instead of the tuned ones.")
@click.option("--top-k", type=click.IntRange(min=1), help="At most this many tags per document.")
@click.option("--explain", is_flag=True, help="Add the morphemes that drove each tag.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes (one per core is best).")
@click.option("--resume", is_flag=True, help="Skip ids already in the output file and append to it.")
@click.option("--on-error", type=click.Choice(ON_ERROR), default="stop", show_default=True, help="On a bad record: stop, or report it and go on.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Documents vectorised and scored together (one task of -j N), at most [default: 1024].")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True, help="Tag here, or on a Dask cluster.")
@click.option("--scheduler", help="Dask scheduler address (tcp://host:8786), or 'local' for a cluster on this machine.")
@click.option("--partition-size", type=click.IntRange(min=1), default=BATCH_SIZE, show_default=True, help="Documents per Dask task.")
@click.option("--labels", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_LABELS, show_default=True, help="Labels to train the default model from when there is none.")
@share_option
@click.option("--shares-from", "shares_from", multiple=True, metavar="POOL", help="Estimate each tag's share from these unlabelled documents of the stream (EM), and tag at it.")
@no_clean_option
@models_option
def tag_cmd(
    inputs: tuple[str, ...],
    output: Path | None,
    threshold: float | None,
    top_k: int | None,
    explain: bool,
    jobs: int,
    resume: bool,
    on_error: str,
    quiet: bool,
    batch_size: int | None,
    engine: str,
    scheduler: str | None,
    partition_size: int,
    labels: Path,
    shares: tuple[str, ...],
    shares_from: tuple[str, ...],
    no_clean: bool,
    models: Path | None,
) -> None:
    """Tag documents: text files, folders of *.txt, JSONL (id, text, title), CSV, or stdin (-).

    Writes one JSON line per document, {"id", "tags", "scores", "model"}, in input order.
    A progress bar (documents/s, ETA) shows on a terminal; a summary ends the run.

    Example: ktag tag articles.jsonl -o tags.jsonl -j 2 --resume --on-error skip
    """
    if resume and output is None:
        raise click.UsageError("--resume needs -o FILE")
    if engine == "dask" and (output is None or scheduler is None):
        raise click.UsageError("--engine dask needs --scheduler ADDRESS and -o FOLDER")
    check_inputs(inputs)
    check_inputs(shares_from)
    parse_shares(shares, None)  # a bad value fails before any model is trained or loaded
    registry = _registry(models)
    version, tagger = registry.load(ensure_model(registry, labels, _stderr))
    model = Model(version, _operating(tagger, shares, shares_from, quiet), registry.root / version)
    options = TagOptions(threshold, top_k, explain, batch_size, clean=False if no_clean else None)
    show = not quiet and sys.stderr.isatty()
    total = count_records(list(inputs)) if show else None
    with tqdm(total=total, disable=not show, unit="doc", file=sys.stderr, dynamic_ncols=True) as bar:

        def report(error: KtagError) -> None:
            tqdm.write(f"skipped {error}", file=sys.stderr)
            bar.update(1)  # the bar counts records, bad ones included

        summary = tag_to_output(
            model, iter_records(list(inputs)), output,
            engine=make_engine(engine, jobs=jobs, scheduler=scheduler, partition_size=partition_size),
            options=options, resume=resume, on_error=on_error, report=report, progress=bar.update,
        )
    if not quiet:
        _stderr(summary.line())


def _operating(tagger: Any, shares: tuple[str, ...], pools: tuple[str, ...], quiet: bool) -> Any:
    """The tagger at the shares given (``--share``) or estimated from pools (``--shares-from``)."""
    stated = parse_shares(shares, tagger.tags)
    if not stated and not pools:
        return tagger
    estimated = _estimate(tagger, pools) if pools else {}
    operating = {**tagger.shares, **estimated, **stated}
    if not quiet:
        _stderr("tagging at shares " + ", ".join(f"{t}={v:.4g}" for t, v in operating.items()))
    return tagger.with_shares(operating)


def _estimate(tagger: Any, pools: tuple[str, ...]) -> dict[str, float]:
    try:
        return tagger.estimate_shares(d.full_text for d in iter_documents(list(pools)))
    except InvalidValue:
        raise click.ClickException(f"{', '.join(pools)}: no documents to estimate shares from") from None


@main.command("shares")
@click.option("--pool", "pool", required=True, multiple=True, help="Unlabelled documents of the stream (JSONL, CSV, text files or folders); repeatable.")
@click.option("--labels", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_LABELS, show_default=True, help="Labels to train the default model from when there is none.")
@models_option
def shares_cmd(pool: tuple[str, ...], labels: Path, models: Path | None) -> None:
    """Estimate each tag's share of a stream from an unlabelled sample of it (EM on the current
    model's scores), and print it with the model's training and operating shares, as JSON.

    Put the estimates in the taxonomy ("share") or pass them to 'ktag tag --share'.

    Example: ktag shares --pool crawled.jsonl
    """
    check_inputs(pool)
    registry = _registry(models)
    version, tagger = registry.load(ensure_model(registry, labels, _stderr))
    estimated = _estimate(tagger, pool)
    click.echo(json.dumps(
        {"model": version, "estimated": estimated, "training": tagger.train_shares, "operating": tagger.shares},
        ensure_ascii=False,
    ))


@main.command("suspects")
@click.argument("labelled", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-n", "count", type=click.IntRange(min=1), default=None, help="At most this many (default: all that are flagged).")
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True, help="Cross-validation folds for the out-of-fold scores.")
@click.option("--taxonomy", type=click.Path(dir_okay=False, path_type=Path), help="Taxonomy JSON.")
@click.option("--exclusive/--multi-label", default=None, help="Single-label or multi-label mode.")
@paths_anywhere_option
@no_clean_option
@no_cache_option
def suspects_cmd(
    labelled: tuple[Path, ...], count: int | None, folds: int, taxonomy: Path | None, exclusive: bool | None,
    paths_anywhere: bool, no_clean: bool, no_cache: bool,
) -> None:
    """List labelled documents whose stored tags the out-of-fold model confidently contradicts,
    most suspect first (confident learning), one JSON line each.

    Example: ktag suspects labels/ -n 50
    """
    dataset = load_dataset(list(labelled), taxonomy, exclusive, paths_anywhere)
    found = dataset_suspects(dataset, folds=folds, cache=None if no_cache else MorphemeCache(), clean=not no_clean)
    for suspect in found[:count]:
        doc = dataset.documents[suspect.index]
        click.echo(json.dumps(
            {"id": doc.id, "quality": round(suspect.quality, 4), "tags": list(doc.tags),
             "issues": [i.to_dict() for i in suspect.issues], "excerpt": doc.full_text[:200], "location": doc.location},
            ensure_ascii=False,
        ))


@main.command("suggest")
@click.option("--pool", "pool", required=True, multiple=True, help="Unlabelled documents (JSONL, CSV, text files or folders); repeatable.")
@click.option("-n", "count", type=click.IntRange(min=1), default=20, show_default=True, help="How many documents to suggest.")
@click.option("--labels", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_LABELS, show_default=True, help="Labelled files whose ids are skipped.")
@models_option
def suggest_cmd(pool: tuple[str, ...], count: int, labels: Path, models: Path | None) -> None:
    """Rank unlabelled documents by how much labelling them would teach the model.

    The model's least certain documents come first (a score close to a tag's threshold; in
    single-label mode, scores spread over the classes); ids already labelled are skipped.

    Example: ktag suggest --pool crawled.jsonl -n 20
    """
    check_inputs(pool)
    version, found = suggest_from_files(_registry(models), list(pool), count, labels, _stderr)
    for item in found:
        click.echo(json.dumps(
            {"id": item.doc.id, "certainty": item.certainty, "tags": item.tags, "scores": item.scores,
             "excerpt": item.doc.full_text[:200], "model": version},
            ensure_ascii=False,
        ))


@main.command("evaluate")
@click.argument("labelled", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True, help="K-fold cross-validation on LABELLED.")
@click.option("--test", "test_file", type=click.Path(path_type=Path), help="Train on LABELLED, evaluate on this labelled file instead.")
@click.option("--taxonomy", type=click.Path(dir_okay=False, path_type=Path), help="Taxonomy JSON.")
@click.option("--exclusive/--multi-label", default=None, help="Single-label or multi-label mode.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path), help="Also write an HTML report with plots into this folder (needs the 'report' extra).")
@share_option
@paths_anywhere_option
@no_clean_option
def evaluate_cmd(
    labelled: tuple[Path, ...],
    folds: int,
    test_file: Path | None,
    taxonomy: Path | None,
    exclusive: bool | None,
    as_json: bool,
    report_dir: Path | None,
    shares: tuple[str, ...],
    paths_anywhere: bool,
    no_clean: bool,
) -> None:
    """Measure precision, recall, F1 and calibration (and hamming loss or accuracy + confusion matrix).

    With shares (the taxonomy's, or --share), also the precision and recall expected on a stream
    where each tag has its share.

    Example: ktag evaluate labels/ --folds 5 --report report/
    """
    dataset = load_dataset(list(labelled), taxonomy, exclusive, paths_anywhere)
    test = None if test_file is None else load_dataset([test_file], taxonomy, exclusive, paths_anywhere)
    rep, _ = evaluate_dataset(
        dataset, folds=folds, test=test, shares=parse_shares(shares, dataset.taxonomy.ids), clean=not no_clean,
        report_dir=report_dir, source=", ".join(map(str, labelled)), say=_stderr,
    )
    if as_json:
        click.echo(json.dumps(rep, ensure_ascii=False))
    else:
        click.echo(format_report(rep, dataset.taxonomy.ids))


@main.command("tune")
@click.argument("labelled", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True, help="Cross-validation folds per trial.")
@click.option("--metric", type=click.Choice(["macro", "micro"]), default="macro", show_default=True, help="F1 average to maximise.")
@click.option("--rounds", type=click.IntRange(min=1), default=1, show_default=True, help="Passes over the settings.")
@click.option("--save", "save_to", type=click.Path(dir_okay=False, path_type=Path), help="Settings file to write (default: settings.json beside the labelled data).")
@click.option("--dry-run", is_flag=True, help="Print the table only; save nothing.")
@click.option("--taxonomy", type=click.Path(dir_okay=False, path_type=Path), help="Taxonomy JSON.")
@click.option("--exclusive/--multi-label", default=None, help="Single-label or multi-label mode.")
@paths_anywhere_option
@no_clean_option
@no_cache_option
def tune_cmd(
    labelled: tuple[Path, ...], folds: int, metric: str, rounds: int, save_to: Path | None, dry_run: bool,
    taxonomy: Path | None, exclusive: bool | None, paths_anywhere: bool, no_clean: bool, no_cache: bool,
) -> None:
    """Search regularisation, loss, class weights, morpheme n-grams, character n-grams and min_df
    by cross-validation; print every trial and save the best for 'ktag train'.

    Example: ktag tune labels/ --folds 5
    """
    dataset = load_dataset(list(labelled), taxonomy, exclusive, paths_anywhere)
    result = tune_dataset(
        dataset, folds=folds, metric=metric, rounds=rounds, clean=not no_clean, cache=None if no_cache else MorphemeCache(),
        progress=lambda t: _stderr(f"macro-F1 {t.macro_f1:.4f}  micro-F1 {t.micro_f1:.4f}  {json.dumps(t.candidate.describe())}"),
    )
    click.echo(format_trials(result))
    if dry_run:
        return
    first = labelled[0]
    path = save_to or (first if first.is_dir() else first.parent) / SETTINGS_FILE
    save_settings(result, path, dataset, folds, metric)
    click.echo(f"best settings saved to {path}; 'ktag train' on this data uses them")


data_option = click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="This host's data folder: the SQLite label store and the token file (default: $KTAG_DATA or ./var).",
)
database_option = click.option(
    "--database",
    metavar="URL",
    default=None,
    help="The label store: sqlite:///path or postgresql://... (default: $KTAG_DATABASE_URL, else the SQLite file in --data).",
)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to bind.")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True, help="gunicorn worker processes.")
@click.option("--worker-class", type=click.Choice(["gevent", "sync"]), default="gevent", show_default=True, help="gevent: slow or idle clients cannot hold a worker; sync: gunicorn's plain workers.")
@click.option("--dev", is_flag=True, help="Flask's debug server instead of gunicorn (one process).")
@click.option("--labels", type=click.Path(file_okay=False, path_type=Path), default=None, help="Labels for the default model and for an empty store (default: $KTAG_LABELS or labels).")
@data_option
@database_option
@models_option
def serve_cmd(
    host: str, port: int, workers: int, worker_class: str, dev: bool, labels: Path | None, data: Path | None, database: str | None,
    models: Path | None,
) -> None:
    """Run the HTTP service (API under /v1), training the default model first if there is none.

    Settings come from KTAG_* variables or a KTAG_CONFIG file (see the README).

    Example: KTAG_TOKENS=alice:s3cret ktag serve --port 8000 --workers 2
    Example: ktag serve --database postgresql://ktag@db/ktag --models /shared/models
    """
    from service.config import load_config
    from service.server import serve, serve_dev

    given = {"DATA": data, "DATABASE_URL": database, "MODELS": models, "LABELS": labels}
    settings = load_config({k: str(v) for k, v in given.items() if v is not None})  # options > KTAG_* > file
    registry = model_registry(settings["MODELS"], database_url(settings["DATABASE_URL"] or None, settings["DATA"]))
    ensure_model(registry, settings["LABELS"], _stderr)
    config = {k: settings[k] for k in given}
    if dev:
        serve_dev(host, port, config)
    else:
        serve(host, port, workers, config, worker_class)


@main.command("import")
@click.argument("labelled", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--taxonomy", type=click.Path(dir_okay=False, path_type=Path), help="Taxonomy JSON whose new tags are added first.")
@click.option("--who", default="cli", show_default=True, help="Name recorded in the edit history.")
@click.option("--pool", is_flag=True, help="The files are unlabelled documents (any input 'ktag tag' reads): add new ids to the pool that suggestions rank.")
@paths_anywhere_option
@data_option
@database_option
def import_cmd(
    labelled: tuple[Path, ...], taxonomy: Path | None, who: str, pool: bool, paths_anywhere: bool, data: Path | None, database: str | None
) -> None:
    """Add labelled files (JSONL, CSV, folders) to the label store, all or nothing.

    Example: ktag import more-labels.jsonl --data var
    Example: ktag import --pool crawled.jsonl --data var
    """
    store = open_store(database_url(database, data))
    if pool:
        if taxonomy is not None:
            raise click.ClickException("--taxonomy has no meaning with --pool")
        check_inputs([str(p) for p in labelled])
        counts = store.import_pool(iter_documents([str(p) for p in labelled]), who)
    else:
        counts = import_files(store, list(labelled), taxonomy, who, paths_anywhere=paths_anywhere)
    click.echo(", ".join(f"{v} {k}" for k, v in counts.items()))


@main.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@data_option
@database_option
def export_cmd(folder: Path, data: Path | None, database: str | None) -> None:
    """Write the label store as taxonomy.json + documents.jsonl, which 'ktag train' reads.

    Example: ktag export exported/ && ktag train exported/
    """
    url = database_url(database, data)
    if not store_exists(url):
        raise click.ClickException(f"no label store at {url}")
    count = open_store(url).export(folder)
    click.echo(f"{count} documents written to {folder}")


@main.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print the metadata as JSON.")
@models_option
def info_cmd(as_json: bool, models: Path | None) -> None:
    """Show the current model: version, training data, metrics, taxonomy, and other versions.

    Example: ktag info --json
    """
    registry = _registry(models)
    meta = registry.metadata()
    meta["all_versions"] = registry.versions()
    if as_json:
        click.echo(json.dumps(meta, ensure_ascii=False, indent=2))
        return
    training = meta.get("training", {})
    click.echo(f"model      {meta['version']} (saved {meta['saved']})")
    click.echo(f"mode       {'single-label' if meta['exclusive'] else 'multi-label'}")
    click.echo(f"trained on {training.get('documents')} documents, data sha256 {training.get('sha256', '')[:12]}")
    click.echo(f"versions   {', '.join(f'{k} {v}' for k, v in meta['versions'].items())}")
    click.echo("taxonomy")
    names = {t["id"]: t.get("name", "") for t in meta.get("taxonomy", {}).get("tags", [])}
    by_genre, shares = meta.get("thresholds_by_genre", {}), meta.get("shares", {})
    for tag in meta["tags"]:
        short = f" (headlines {by_genre['short'][tag]:.3f})" if "short" in by_genre else ""
        share = f"  share {shares[tag]:.4g}" if tag in shares else ""
        click.echo(f"  {tag:<20} threshold {meta['thresholds'][tag]:.3f}{short}{share}  {names.get(tag, '')}")
    if meta.get("metrics"):
        click.echo(f"cross-validated ({meta.get('folds')} folds)")
        click.echo(format_report(meta["metrics"], meta["tags"]))
    click.echo(f"all versions: {', '.join(meta['all_versions'])}")
