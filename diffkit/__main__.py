"""``python -m diffkit`` is the ``diffkit`` command."""

from diffkit.cli.launch import main

main()
