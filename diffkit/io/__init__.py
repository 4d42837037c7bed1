"""Small file-system helpers shared by checkpoints and outputs."""

from diffkit.io.atomic import atomic_write, remove_stale_temporaries

__all__ = ["atomic_write", "remove_stale_temporaries"]
