"""``python -m diffkit`` is the ``diffkit`` command."""

from diffkit.cli.main import app

app(prog_name="diffkit")
