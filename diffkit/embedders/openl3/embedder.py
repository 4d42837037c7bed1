"""The ``openl3`` embedder: the paper's FD feature extractor (OpenL3 env / mel256 / 512-d at 48 kHz).

Audio is mixed to mono, resampled to 48 kHz (kaiser_best filter, as openl3), padded by half a window at the
start and cut into 1 s windows every ``hop_seconds``; each window goes through the front-end and the CNN.
Backends: ``torch`` (diffkit's own network, weights from a user-supplied file) or ``openl3-package`` (the
``openl3`` pip package with its bundled weights, when it is importable).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from pydantic import Field

from diffkit.config import StrictConfig
from diffkit.embedders.fingerprint import file_digest, fingerprint, state_digest
from diffkit.embedders.framing import frame_windows, resample_to, to_mono
from diffkit.embedders.openl3.frontend import SAMPLE_RATE, OpenL3Frontend, Variant
from diffkit.embedders.openl3.network import EMBEDDING_DIM, OpenL3Network
from diffkit.embedders.openl3.weights import WHERE_TO_GET, load_openl3_weights
from diffkit.errors import CheckpointError, ConfigError


class OpenL3Config(StrictConfig):
    """Weights, front-end variant and windowing."""

    weights: Path | None = Field(
        None, description="OpenL3 mel256/env weights: Keras .h5, torchopenl3 .pth.tar or converted .safetensors."
    )
    frontend: Variant = Field(
        "openl3-0.4", description="'openl3-0.4' (pip default, public FD recipes) or 'openl3-0.3' (older)."
    )
    hop_seconds: float = Field(0.1, gt=0, description="Hop between 1 s windows (openl3 default 0.1 s).")
    center: bool = Field(True, description="Pad half a window at the start (window i centred at i·hop).")
    batch_size: int = Field(32, ge=1, description="Windows per forward pass.")
    device: str = Field("cpu", description="Torch device for the network.")
    backend: Literal["torch", "openl3-package"] = Field(
        "torch", description="'torch': diffkit's network; 'openl3-package': the openl3 pip package."
    )
    random_weights: bool = Field(
        False, description="Seeded random initialisation instead of a weights file: wiring tests only, meaningless FD."
    )


class OpenL3Embedder:
    """1 s OpenL3 windows → ``[frames, 512]``; the only embedder whose FD is comparable with the paper's."""

    name = "openl3"
    sample_rate = SAMPLE_RATE
    dim = EMBEDDING_DIM

    def __init__(self, config: OpenL3Config | None = None, *, network: OpenL3Network | None = None) -> None:
        """Build from ``config``; ``network`` injects an already-initialised network (tests, conversions).

        ``comparable_with_paper`` holds only with real weights (file or openl3 package) and the 0.4 front-end.
        """
        self.config = config or OpenL3Config()
        c = self.config
        self.comparable_with_paper = True
        self._package_model = None
        if c.random_weights and (c.weights is not None or network is not None):
            raise ConfigError("openl3: random_weights cannot be combined with a weights file or network")
        if c.backend == "openl3-package":
            self._package_model = _load_package_model()
            weights_id = "openl3-package"
        else:
            from_file = network is None and c.weights is not None
            network = network if network is not None else _build_network(c)
            weights_id = file_digest(c.weights) if from_file else state_digest(network)
            self.comparable_with_paper = c.frontend == "openl3-0.4" and from_file
        self.frontend = OpenL3Frontend(c.frontend).to(c.device)
        self.network = network.to(c.device).eval() if network is not None else None
        options = c.model_dump(mode="json", exclude={"weights", "batch_size", "device"})
        self.fingerprint = fingerprint(self.name, weights=weights_id, **options)

    def windows(self, audio: torch.Tensor, sample_rate: int) -> torch.Tensor:
        """The ``[frames, 48000]`` windows the network sees."""
        signal = resample_to(to_mono(audio), sample_rate, SAMPLE_RATE, high_quality=True)
        return frame_windows(signal, SAMPLE_RATE, int(self.config.hop_seconds * SAMPLE_RATE), self.config.center)

    @torch.no_grad()
    def embed(self, audio: torch.Tensor, sample_rate: int) -> torch.Tensor:
        """``[C, T]`` audio at ``sample_rate`` → ``[frames, 512]`` float32 on the CPU."""
        if self._package_model is not None:
            return self._embed_with_package(audio, sample_rate)
        windows = self.windows(audio, sample_rate)
        parts = []
        for start in range(0, windows.shape[0], self.config.batch_size):
            batch = windows[start : start + self.config.batch_size].to(self.config.device)
            parts.append(self.network(self.frontend(batch)).float().cpu())
        return torch.cat(parts)

    def _embed_with_package(self, audio: torch.Tensor, sample_rate: int) -> torch.Tensor:
        import openl3  # optional backend

        embedding, _ = openl3.get_audio_embedding(
            to_mono(audio).numpy(),
            sample_rate,
            model=self._package_model,
            center=self.config.center,
            hop_size=self.config.hop_seconds,
            batch_size=self.config.batch_size,
            verbose=False,
        )
        return torch.as_tensor(embedding, dtype=torch.float32)


def _build_network(config: OpenL3Config) -> OpenL3Network:
    if config.random_weights:
        with torch.random.fork_rng():
            torch.manual_seed(0)
            return OpenL3Network()
    if config.weights is None:
        raise CheckpointError(f"the openl3 embedder needs weights: {WHERE_TO_GET}")
    network = OpenL3Network()
    load_openl3_weights(network, config.weights)
    return network


def _load_package_model():  # returns a keras model; typed loosely because keras is optional
    try:
        import openl3  # optional backend
    except ImportError:
        raise ConfigError(
            "openl3.backend: 'openl3-package' needs the openl3 pip package (and TensorFlow), which is not "
            "importable here; use backend 'torch' with weights=PATH instead"
        ) from None
    return openl3.models.load_audio_embedding_model(input_repr="mel256", content_type="env", embedding_size=512)
