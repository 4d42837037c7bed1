"""``diffkit env``: the versions, devices and choices to paste into a bug report."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from diffkit.cli.errors import user_errors


def _bytes(value: int | None) -> str:
    from diffkit.pipeline.memory import human_bytes

    return "unknown" if value is None else human_bytes(value)


@user_errors
def env(as_json: bool = typer.Option(False, "--json", help="Print the facts as JSON.")) -> None:
    """Versions (diffkit, plugins, torch, torchaudio, Python), devices, cores, memory, and what diffkit would
    choose here for threads and precision — paste it into a bug report."""
    from diffkit.cli.environment import environment

    facts = environment()
    if as_json:
        typer.echo(json.dumps(facts, indent=2))
        return
    table = Table(title="diffkit env", show_header=False)
    table.add_column("what", no_wrap=True)
    table.add_column("value")
    table.add_row("diffkit", facts["diffkit"])
    plugins = ", ".join(f"{name} {v}" for name, v in facts["plugins"].items()) or "none"
    table.add_row("plugins", plugins)
    table.add_row("python", f"{facts['python']} ({facts['platform']})")
    cuda = f" (CUDA {facts['torch_cuda']})" if facts["torch_cuda"] else " (CPU build)"
    table.add_row("torch", facts["torch"] + cuda)
    table.add_row("torchaudio", facts["torchaudio"] or "not installed")
    table.add_row("huggingface_hub", facts["huggingface_hub"] or "not installed (extra: diffkit[hub])")
    for device in facts["devices"]:
        memory = f"{_bytes(device['memory_free'])} free of {_bytes(device['memory_total'])}"
        table.add_row(device["device"], f"{device['name']}; bf16 {'yes' if device['bf16'] else 'no'}; {memory}")
    chosen = facts["would_choose"]
    busy = chosen["busy_elsewhere"]
    cores = f"{chosen['usable_cores']} usable" + (f", {busy:.1f} busy elsewhere" if busy is not None else "")
    table.add_row("cores", cores)
    table.add_row("OMP_NUM_THREADS", chosen["omp_num_threads"] or "unset")
    table.add_row("would use", f"device {chosen['device']}, precision {chosen['precision']} (train.precision: auto)")
    table.add_row(
        "threads (training)", f"{chosen['threads']} ({chosen['threads_source']}: {chosen['threads_reason']})"
    )
    table.add_row("OpenMP waiting", chosen["openmp_wait"] or "default")
    Console(width=max(Console().width, 120)).print(table)
