"""The model card of a shared model folder: ``README.md`` with YAML front matter (the Hugging Face convention).

The front matter is what tools read (``library_name: diffkit``, license, sample rate, conditions, training data
and steps, metrics, recipe, the weights' digest); the Markdown body is what people read. Loading checks the
front matter: a card without one of :data:`REQUIRED` fields is refused with an error naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from diffkit.errors import CheckpointError

CARD = "README.md"
LIBRARY = "diffkit"
#: Front-matter fields a card must have (their value may be an empty list, never missing or null).
REQUIRED: tuple[str, ...] = (
    "library_name",
    "license",
    "diffkit_version",
    "sample_rate",
    "conditions",
    "weights",
    "weights_digest",
)


def front_matter(path: Path) -> dict[str, Any]:
    """The YAML front matter of a card; CheckpointError naming the file when it is missing or malformed."""
    if not path.is_file():
        raise CheckpointError(f"{path}: no model card; a diffkit model folder has a README.md with YAML front matter")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise CheckpointError(f"{path}: the model card does not start with YAML front matter (a line '---')")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise CheckpointError(f"{path}: the model card's front matter is not closed by a line '---'") from None
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as error:
        raise CheckpointError(f"{path}: the model card's front matter is not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: the model card's front matter must be a mapping of fields")
    return data


def check_card(path: Path, card: Mapping[str, Any]) -> None:
    """Every required field present, and ``library_name: diffkit``; CheckpointError naming the field otherwise."""
    for field in REQUIRED:
        if card.get(field) is None:
            raise CheckpointError(
                f"{path}: the model card lacks the required field `{field}` (required: {', '.join(REQUIRED)}); "
                "re-export the model (diffkit export / Pipeline.save_pretrained) or add the field"
            )
    if card["library_name"] != LIBRARY:
        raise CheckpointError(f"{path}: library_name is {card['library_name']!r}, not {LIBRARY!r}; not a diffkit model")
    weights = str(card["weights"])
    if Path(weights).name != weights:
        raise CheckpointError(f"{path}: field `weights` must name a file in the folder, got {weights!r}")


def _table(metrics: Mapping[str, Any]) -> list[str]:
    rows = ["| metric | value |", "| --- | --- |"]
    for name, value in metrics.items():
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        rows.append(f"| {name} | {shown} |")
    return rows


def render_card(card: Mapping[str, Any], title: str) -> str:
    """README.md text: the front matter, then a human-readable description of the same facts."""
    header = yaml.safe_dump(dict(card), sort_keys=False, allow_unicode=True, width=120)
    conditions = card.get("conditions") or []
    shown = ", ".join(
        str(c.get("label")) if isinstance(c, Mapping) and set(c) == {"label"} else str(c) for c in conditions
    )
    body = [
        f"# {title}",
        "",
        f"A [diffkit](https://pypi.org/project/diffkit/) audio diffusion model: {card['sample_rate']} Hz, "
        f"{card.get('channels', 1)} channel(s), conditioner `{card.get('conditioner')}`.",
        "",
        f"Conditions: {shown or card.get('condition_help') or 'none enumerable'}.",
        "",
        "## Use",
        "",
        "```python",
        "from diffkit import Pipeline",
        "",
        'pipeline = Pipeline.from_pretrained("path/to/this/folder")   # or a hub id: "org/name"',
        f"audio = pipeline.sample([{conditions[0] if conditions else '...'!r}], seconds=1.0, seed=0)",
        "```",
        "",
        "```bash",
        "diffkit sample -c path/to/this/folder -n 2 --seconds 1",
        "```",
        "",
        "## Training",
        "",
    ]
    training = card.get("training")
    if training:
        body += [f"- {key}: {value}" for key, value in training.items()]
    else:
        body.append("Not recorded (saved with Pipeline.save_pretrained outside a run).")
    body += ["", "## Metrics", ""]
    metrics = card.get("metrics")
    body += _table(metrics) if metrics else ["No evaluation recorded."]
    body += ["", "## Examples", ""]
    for example in card.get("examples") or []:
        picture = str(Path(example).with_suffix(".png"))
        body += [f"- [{example}]({example})", "", f"  ![spectrogram of {example}]({picture})", ""]
    if not card.get("examples"):
        body.append("None included.")
    body += ["", f"Weights: `{card['weights']}` ({card['weights_digest']}); license: {card['license']}.", ""]
    return f"---\n{header}---\n\n" + "\n".join(body)
