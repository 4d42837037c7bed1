"""OpenL3 (env, mel256, 512-d): front-end, network, weight conversion and the ``openl3`` embedder."""

from diffkit.embedders.openl3.embedder import OpenL3Config, OpenL3Embedder
from diffkit.embedders.openl3.frontend import OpenL3Frontend
from diffkit.embedders.openl3.network import OpenL3Network
from diffkit.embedders.openl3.weights import load_openl3_weights

__all__ = ["OpenL3Config", "OpenL3Embedder", "OpenL3Frontend", "OpenL3Network", "load_openl3_weights"]
