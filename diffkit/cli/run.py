"""``diffkit run`` and ``diffkit train``: execute a recipe's stages."""

from __future__ import annotations

import os
import shlex
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console

from diffkit.cli.errors import user_errors
from diffkit.recipes import load_recipe

RECIPE = typer.Argument(
    ..., help="Recipe YAML file, or the name of a shipped recipe (`diffkit recipe list`); an existing path wins."
)
OVERRIDES = typer.Argument(None, help="Dotted overrides, e.g. train.steps=200 sample.guidance=1.5")
NO_PREFLIGHT = typer.Option(
    False, "--no-preflight", help="Skip the memory estimate that refuses models and runs too big for this machine."
)
YES = typer.Option(False, "--yes", help="Run a sample stage even when it is estimated to take more than an hour.")
#: Exit code of a run interrupted by Ctrl-C outside training (128 + SIGINT), as shells report it.
SIGINT_EXIT = 130
SIGTERM_EXIT = 143


class Terminated(BaseException):
    """SIGTERM outside the trainer's own handler (e.g. while sampling), raised like KeyboardInterrupt."""


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While running stages, SIGTERM raises :class:`Terminated` (the trainer installs its own graceful handler)."""

    def handle(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handle)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def resume_command(command: str, recipe: Path, overrides: Sequence[str], smoke: bool, stages: str | None) -> str:
    """The exact command line that continues this run."""
    parts = ["diffkit", command, str(recipe), *overrides]
    if smoke:
        parts.append("--smoke")
    if stages:
        parts += ["--stages", stages]
    return shlex.join([*parts, "--resume", "auto"])


def _execute(
    command: str,
    recipe: Path,
    overrides: list[str],
    smoke: bool,
    stages: str | None,
    resume: str | None,
    preflight: bool,
    confirm: bool = False,
) -> None:
    """Load and run; an interruption prints where the run stopped and how to resume, then exits 130/143."""
    from diffkit.stages.runner import run_recipe
    from diffkit.training.errors import TrainingInterrupted

    loaded = load_recipe(recipe, overrides, smoke=smoke)
    selected = ["train"] if command == "train" else (stages.split(",") if stages else None)
    again = resume_command(command, recipe, overrides, smoke, stages if command == "run" else None)
    try:
        with _sigterm_raises():
            run_recipe(loaded, selected, resume=resume, preflight=False if not preflight else None, confirm=confirm)
    except TrainingInterrupted as stop:
        _say(f"interrupted: {stop}. Training stopped after saving; no later stage was started. Resume with: {again}")
        raise typer.Exit(stop.exit_code) from None
    except (KeyboardInterrupt, Terminated) as error:
        name, code = ("SIGTERM", SIGTERM_EXIT) if isinstance(error, Terminated) else ("SIGINT", SIGINT_EXIT)
        _say(
            f"interrupted by {name}; files already written are kept (a step's checkpoint, finished clips). "
            f"Resume with: {again}"
        )
        raise typer.Exit(code) from None


def _say(message: str) -> None:
    if os.environ.get("RANK", "0") == "0":  # under torchrun every rank stops; one message is enough
        Console(stderr=True).print(message, markup=False, highlight=False, soft_wrap=True)


@user_errors
def run(
    recipe: Path = RECIPE,
    overrides: list[str] | None = OVERRIDES,
    smoke: bool = typer.Option(False, "--smoke", help="Shrink everything to a seconds-long CPU run."),
    stages: str | None = typer.Option(None, help="Comma-separated stages to run (default: all in the recipe)."),
    resume: str | None = typer.Option(None, help="Resume training: 'auto' or a checkpoint path."),
    no_preflight: bool = NO_PREFLIGHT,
    yes: bool = YES,
) -> None:
    """Run a recipe: train → sample → evaluate → report (the stages it has sections for).

    SIGINT/SIGTERM during training save a checkpoint and exit with 130/143 without starting later stages;
    the message gives the command that resumes.
    """
    _execute("run", recipe, overrides or [], smoke, stages, resume, not no_preflight, yes)


@user_errors
def train(
    recipe: Path = RECIPE,
    overrides: list[str] | None = OVERRIDES,
    smoke: bool = typer.Option(False, "--smoke", help="Shrink everything to a seconds-long CPU run."),
    resume: str | None = typer.Option(None, help="'auto' (newest checkpoint in the run folder) or a path."),
    no_preflight: bool = NO_PREFLIGHT,
) -> None:
    """Run only the train stage of a recipe (works under torchrun for multi-GPU)."""
    _execute("train", recipe, overrides or [], smoke, None, resume, not no_preflight)
