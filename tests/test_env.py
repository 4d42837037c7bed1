"""``diffkit env`` and ``diffkit --version``: what a bug report needs, as a table and as JSON."""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from pathlib import Path

import torch
from typer.testing import CliRunner

import diffkit
from diffkit.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_version_comes_from_one_module_and_matches_every_distribution() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"diffkit {diffkit.__version__}"
    assert diffkit.__version__ == version("diffkit")
    for pyproject in (ROOT / "plugins").glob("*/pyproject.toml"):
        found = re.search(r'^version = "([^"]+)"', pyproject.read_text(), flags=re.MULTILINE)
        assert found is not None and found.group(1) == diffkit.__version__, pyproject
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{diffkit.__version__}] - " in changelog
    assert changelog.index("## [Unreleased]") < changelog.index(f"## [{diffkit.__version__}]")


def test_env_json_reports_versions_devices_and_choices() -> None:
    result = runner.invoke(app, ["--threads", "1", "env", "--json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)
    assert facts["diffkit"] == diffkit.__version__ and facts["torch"] == torch.__version__
    assert facts["torchaudio"] == version("torchaudio")
    assert facts["plugins"]["diffkit-tags"] == version("diffkit-tags")
    assert facts["devices"][0]["device"] == "cpu" and facts["devices"][0]["memory_free"] > 0
    assert len(facts["devices"]) == 1 + (torch.cuda.device_count() if torch.cuda.is_available() else 0)
    chosen = facts["would_choose"]
    assert chosen["threads"] == 1 and chosen["threads_source"] == "--threads"
    assert chosen["precision"] == ("bf16" if chosen["device"].startswith("cuda") else "fp32")
    assert chosen["usable_cores"] >= 1


def test_env_table_names_every_fact() -> None:
    result = runner.invoke(app, ["env"])
    assert result.exit_code == 0, result.output
    for row in ("diffkit", "plugins", "python", "torch", "torchaudio", "cpu", "cores", "would use", "threads"):
        assert row in result.output
    assert diffkit.__version__ in result.output


def test_the_bug_report_template_asks_for_diffkit_env() -> None:
    template = (ROOT / ".github" / "ISSUE_TEMPLATE" / "bug_report.md").read_text()
    assert template.startswith("---\nname: Bug report") and "diffkit env" in template
