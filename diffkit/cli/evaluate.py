"""``diffkit evaluate``: FD/KAD/LS/PRDC of generated folders against a reference folder; ``train-classifier``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from diffkit.cli import errors
from diffkit.cli.options import parse_assignments
from diffkit.errors import ConfigError, DiffkitError

evaluate_app = typer.Typer(
    help="Evaluate generated audio against reference audio (FD, KAD, LS, PRDC) and train the LS classifier.",
    no_args_is_help=False,
)
console = Console()


def parse_metric_options(items: list[str] | None) -> dict[str, dict[str, Any]]:
    """``["fd.fd_inf=true"]`` → ``{"fd": {"fd_inf": True}}``."""
    nested: dict[str, dict[str, Any]] = {}
    for key, value in parse_assignments(items, "--metric-option").items():
        metric, dot, option = key.partition(".")
        if not dot or not option:
            raise ConfigError(f"--metric-option {key!r} must be METRIC.KEY=VALUE (e.g. fd.fd_inf=true)")
        nested.setdefault(metric, {})[option] = value
    return nested


def parse_folders(items: list[str] | None) -> dict[str, Path]:
    """``DIR`` or ``NAME=DIR`` → ``{name: folder}`` (a bare DIR is named after its last component)."""
    folders: dict[str, Path] = {}
    for item in items or []:
        name, sep, folder = item.partition("=")
        path = Path(folder) if sep and not Path(item).exists() else Path(item)
        label = name if sep and not Path(item).exists() else path.name
        if label in folders:
            raise ConfigError(f"two folders are both named {label!r}; use NAME=DIR to tell them apart")
        folders[label] = path
    return folders


def _print_rows(results: dict[str, Any]) -> None:
    from diffkit.evaluation.results_tables import equal_n_sentence, table_columns, table_notes, table_row

    embedder = results["embedder"]
    title = f"{embedder['name']} embeddings" + (
        "" if embedder["comparable_with_paper"] else " (not comparable with the paper)"
    )
    table = Table(title=title)
    columns = table_columns(results)
    for column in columns:
        table.add_column(column)
    for row in results["rows"]:
        table.add_row(*(escape(cell) for cell in table_row(row, columns)))
    console.print(table)
    console.print(equal_n_sentence(results), soft_wrap=True, markup=False)
    for note in table_notes(results):
        console.print(note, soft_wrap=True, markup=False)
    for row in results["rows"]:
        for message in row["warnings"]:
            console.print(f"[yellow]warning[/yellow] {escape(row['name'])}: {escape(message)}", soft_wrap=True)


@evaluate_app.callback(invoke_without_command=True)
def evaluate(
    ctx: typer.Context,
    reference: Annotated[
        Path | None,
        typer.Option("--reference", "-r", help="Folder of reference (real) audio; not needed by attribute-adherence."),
    ] = None,
    generated: Annotated[
        list[str] | None, typer.Option("--generated", "-g", help="DIR or NAME=DIR; repeatable.")
    ] = None,
    real: Annotated[
        list[str] | None,
        typer.Option("--real", help="Real-data row(s), e.g. a held-out test split: DIR or NAME=DIR; repeatable."),
    ] = None,
    embedder: Annotated[
        str, typer.Option("--embedder", "-e", help="openl3 (the paper's), aisfx or mel-stats.")
    ] = "openl3",
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Embedder option KEY=VALUE, e.g. weights=openl3_audio_mel256_env.h5."),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric", "-m", help="Metric to compute (repeatable); default fd (+ logit-score with --classifier)."
        ),
    ] = None,
    metric_option: Annotated[
        list[str] | None, typer.Option("--metric-option", help="METRIC.KEY=VALUE, e.g. fd.level=clip or prdc.k=3.")
    ] = None,
    classifier: Annotated[
        Path | None, typer.Option("--classifier", help="LS classifier from train-classifier.")
    ] = None,
    fd_inf: Annotated[bool, typer.Option("--fd-inf", help="Also report FD∞ (fit of FD against 1/n).")] = False,
    per_class: Annotated[bool, typer.Option("--per-class", help="Also report FD per label.")] = False,
    downsample_to: Annotated[
        int | None,
        typer.Option("--downsample-to", help="Add '<name> + Downsample' rows evaluated after resampling to this rate."),
    ] = None,
    equal_n: Annotated[
        bool,
        typer.Option(
            "--equal-n/--all-files",
            help="Evaluate every row on the same number of clips (the smallest folder's; larger folders are "
            "subsampled class-balanced), or on all files.",
        ),
    ] = True,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the equal-n subsampling.")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Write evaluation.json and evaluation.md here.")] = None,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Embedding cache (default OUT/embedding-cache).")
    ] = None,
) -> None:
    """Compare generated folders with a reference folder and print a Table-1-shaped summary."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        if not generated and not real:
            raise ConfigError(
                "diffkit evaluate needs at least one --generated DIR (or --real DIR), and --reference DIR for metrics "
                "that compare with real audio (all but attribute-adherence)"
            )
        if downsample_to is not None and downsample_to < 1:
            raise ConfigError(f"--downsample-to {downsample_to}: give a sample rate in Hz ≥ 1 (the paper uses 22050)")
        from diffkit.evaluation import evaluate_folders
        from diffkit.io.outputs import writable_dir
        from diffkit.runtime.budget import check_seeds

        check_seeds(seed, 1, "--seed")

        if out is not None:
            writable_dir(out, "--out")
        if cache_dir is not None:
            writable_dir(cache_dir, "--cache-dir")

        metrics = list(metric or ["fd"] + (["logit-score"] if classifier else []))
        configs = parse_metric_options(metric_option)
        for flag, key in ((fd_inf, "fd_inf"), (per_class, "per_class")):
            if flag:
                configs.setdefault("fd", {})[key] = True
        results = evaluate_folders(
            reference,
            parse_folders(generated),
            embedder=embedder,
            embedder_config=parse_assignments(option, "--option"),
            metrics=metrics,
            metric_configs=configs,
            classifier=classifier,
            real=parse_folders(real) or None,
            band_limit=downsample_to,
            equal_n=equal_n,
            seed=seed,
            out_dir=out,
            cache_dir=cache_dir,
        )
    except DiffkitError as error:
        if errors.state["debug"]:
            raise
        errors.report(error)
    except OSError as error:
        errors.report_os_error(error)
    _print_rows(results)
    if "files" in results:
        console.print(
            f"wrote {results['files']['json']} and {results['files']['markdown']}", soft_wrap=True, markup=False
        )


@evaluate_app.command("train-classifier")
def train_classifier_command(
    train: Annotated[
        Path, typer.Option("--train", help="Labelled real audio: <label>/<file> or <name>.json sidecars.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output stem: writes OUT.safetensors and OUT.json.")],
    validation: Annotated[
        Path | None, typer.Option("--validation", help="Validation folder (default: 10 % of train).")
    ] = None,
    test: Annotated[Path | None, typer.Option("--test", help="Test folder: accuracy reported and stored.")] = None,
    embedder: Annotated[str, typer.Option("--embedder", "-e", help="Embedder the classifier reads.")] = "openl3",
    option: Annotated[list[str] | None, typer.Option("--option", "-o", help="Embedder option KEY=VALUE.")] = None,
    hidden: Annotated[
        list[int] | None, typer.Option("--hidden", help="Hidden layer width (repeatable); default 256.")
    ] = None,
    epochs: Annotated[int, typer.Option("--epochs", help="Maximum epochs (best validation epoch kept).")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split, initialisation and batches.")] = 0,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help="Embedding cache folder.")] = None,
) -> None:
    """Train the logit-score MLP on frozen embeddings of labelled real audio."""
    try:
        from diffkit.evaluation import train_classifier_from_folders
        from diffkit.io.outputs import writable_dir, writable_file
        from diffkit.metrics.classifier import classifier_paths
        from diffkit.runtime.budget import check_seeds

        check_seeds(seed, 1, "--seed")
        if not out.name:
            raise ConfigError(f"--out {str(out)!r}: give a file stem, e.g. --out classifier")
        for path in classifier_paths(out):
            writable_file(path, "--out")
        if cache_dir is not None:
            writable_dir(cache_dir, "--cache-dir")

        report = train_classifier_from_folders(
            train,
            out,
            validation=validation,
            test=test,
            embedder=embedder,
            embedder_config=parse_assignments(option, "--option"),
            cache_dir=cache_dir,
            seed=seed,
            epochs=epochs,
            hidden=tuple(hidden or (256,)),
        )
    except DiffkitError as error:
        if errors.state["debug"]:
            raise
        errors.report(error)
    except OSError as error:
        errors.report_os_error(error)
    accuracy = ", ".join(f"{split} {value:.1%}" for split, value in report["accuracy"].items())
    summary = f"classes: {', '.join(report['classes'])}; best epoch {report['best_epoch']}; accuracy: {accuracy}"
    console.print(summary, soft_wrap=True, markup=False)
    console.print(f"wrote {report['weights']} and {report['metadata']}", soft_wrap=True, markup=False)
