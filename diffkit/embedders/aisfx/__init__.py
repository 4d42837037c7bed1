"""aisfx sound-effects embeddings: front-end, network, allow-listed checkpoint loading, the embedder."""

from diffkit.embedders.aisfx.checkpoint import load_aisfx_checkpoint, packaged_checkpoint
from diffkit.embedders.aisfx.embedder import AisfxConfig, AisfxEmbedder
from diffkit.embedders.aisfx.frontend import AisfxFrontend
from diffkit.embedders.aisfx.network import AisfxNetwork

__all__ = [
    "AisfxConfig",
    "AisfxEmbedder",
    "AisfxFrontend",
    "AisfxNetwork",
    "load_aisfx_checkpoint",
    "packaged_checkpoint",
]
