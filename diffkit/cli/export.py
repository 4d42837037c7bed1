"""``diffkit export RUN_DIR DIR``: a run's model as a self-describing folder (weights, config, card, examples)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from diffkit.cli.errors import user_errors


@user_errors
def export(
    run_dir: Path = typer.Argument(..., help="A run folder (runs/<name>) with train/model.safetensors."),
    dest: Path = typer.Argument(..., help="Folder to write (must be empty or new, unless --force)."),
    license: str = typer.Option("other", help="License identifier for the model card (e.g. apache-2.0, cc-by-4.0)."),
    examples: int = typer.Option(4, min=0, help="Example clips to include (one per condition, from the run)."),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty folder."),
) -> None:
    """Export a trained run as a model folder that Pipeline.from_pretrained and `diffkit sample -c` load."""
    from diffkit.stages.export import export_run

    folder = export_run(run_dir, dest, license=license, examples=examples, overwrite=force)
    Console().print(f"wrote {folder} (README.md model card); load it with: diffkit sample -c {folder}", markup=False)
