"""diffkit's version, in one place: read by ``diffkit.__version__``, ``diffkit --version`` and the build."""

__version__ = "0.2.0"
