"""The installed diffkit's version, in a module of its own so that any layer (and the build, through
``[tool.setuptools.dynamic]``) can read it without importing the package root."""

__version__ = "0.2.0"
