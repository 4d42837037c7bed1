"""The CSV logger plugin of docs/plugins.md works through ``diffkit --plugin … run`` without touching diffkit; the
``logger`` kind's built-ins pass their conformance check and ``train.loggers`` is validated."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from diffkit.cli.main import app
from diffkit.config import validate_config
from diffkit.errors import ConfigError
from diffkit.testing import check_component
from diffkit.training import TrainConfig, read_metrics

ROOT = Path(__file__).resolve().parents[1]


def plugin_source() -> str:
    """The code block that follows the csv-logger-plugin marker in docs/plugins.md."""
    text = (ROOT / "docs" / "plugins.md").read_text()
    found = re.search(r"<!-- csv-logger-plugin.*?-->\n```python\n(.*?)```", text, re.S)
    assert found, "docs/plugins.md lost its CSV logger example"
    return found.group(1)


@pytest.mark.parametrize("name", ["jsonl", "tensorboard", "console"])
def test_built_in_loggers_conform(name: str) -> None:
    check_component("logger", name)


def test_loggers_must_keep_jsonl() -> None:
    with pytest.raises(ConfigError, match=r"train\.loggers.*must include jsonl"):
        validate_config(TrainConfig, {"loggers": ["console"]}, prefix="train")


def test_the_csv_logger_plugin_from_the_docs_logs_a_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "csv_logger.py").write_text(plugin_source())
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(ROOT)
    monkeypatch.delitem(sys.modules, "csv_logger", raising=False)
    out = tmp_path / "run"
    args = [
        "--plugin", "csv_logger", "run", "recipes/quickstart.yaml", "--smoke", "--stages", "train",
        f"output_dir={out}", "train.loggers=[jsonl, console, csv]",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    train = next(out.parent.glob("run*/train"))
    with (train / "metrics.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    records = [r for r in read_metrics(train / "metrics.jsonl") if r["kind"] in ("train", "valid")]
    assert rows[0] == ["step", "kind", "loss"] and len(rows) == 1 + len(records) > 1
    assert [(int(r[0]), r[1], float(r[2])) for r in rows[1:]] == [(r["step"], r["kind"], r["loss"]) for r in records]
    check_component("logger", "csv")  # the plugin passes the kind's conformance check too
    start = json.loads((train / "metrics.jsonl").read_text().splitlines()[0])
    assert [logger["name"] for logger in start["config"]["loggers"]] == ["jsonl", "console", "csv"]
