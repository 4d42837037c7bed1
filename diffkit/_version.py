"""The installed diffkit's version, in a module of its own so that any layer can read it without importing the
package root (which imports the pipeline)."""

__version__ = "0.1.0"
