"""The ``aisfx`` embedder: real pretrained sound-effects embeddings (Ma & Lerch 2022, CC BY 4.0 weights).

Offline and weight-backed, so it is useful for comparing our own runs; its FD is NOT comparable with the
paper's OpenL3 FD (different network, training data, 44.1 kHz input and ≈ 2.3 s windows). The weights come
from the ``aisfx`` wheel (install it with ``pip install --no-deps aisfx``); none of its code is imported.
"""

from __future__ import annotations

from pathlib import Path

import torch
from pydantic import Field

from diffkit.config import StrictConfig
from diffkit.embedders.aisfx.checkpoint import load_aisfx_checkpoint, packaged_checkpoint
from diffkit.embedders.aisfx.frontend import BLOCK, SAMPLE_RATE, AisfxFrontend
from diffkit.embedders.aisfx.network import EMBEDDING_DIM, AisfxNetwork
from diffkit.embedders.fingerprint import file_digest, fingerprint, state_digest
from diffkit.embedders.framing import resample_to, to_mono
from diffkit.errors import CheckpointError, ConfigError


class AisfxConfig(StrictConfig):
    """Checkpoint location, block hop and level normalisation."""

    checkpoint: Path | None = Field(None, description="aisfx checkpoint.pth; default: the installed wheel's.")
    block_hop: int = Field(BLOCK // 2, ge=1, le=BLOCK, description="Frames between 100-frame blocks (50 ≈ 1.16 s).")
    peak_normalize: bool = Field(
        False, description="Scale each clip to peak 1 first (the package's librosa path; its Essentia path does not)."
    )
    random_weights: bool = Field(
        False, description="Seeded random initialisation instead of the checkpoint: wiring tests only."
    )
    batch_size: int = Field(32, ge=1, description="Blocks per forward pass.")
    device: str = Field("cpu", description="Torch device for the network.")


class AisfxEmbedder:
    """≈ 2.3 s log-mel blocks → ``[frames, 512]`` with the aisfx network."""

    name = "aisfx"
    sample_rate = SAMPLE_RATE
    dim = EMBEDDING_DIM
    comparable_with_paper = False

    def __init__(self, config: AisfxConfig | None = None) -> None:
        self.config = config or AisfxConfig()
        c = self.config
        self.network = AisfxNetwork()
        self.heads: dict[str, tuple[int, int]] = {}
        if c.random_weights:
            if c.checkpoint is not None:
                raise ConfigError("aisfx: random_weights cannot be combined with a checkpoint")
            with torch.random.fork_rng():
                torch.manual_seed(0)
                self.network = AisfxNetwork()
            weights_id = state_digest(self.network)
        else:
            path = c.checkpoint if c.checkpoint is not None else packaged_checkpoint()
            state, self.heads = load_aisfx_checkpoint(path)
            try:
                self.network.load_state_dict(state, strict=True)
            except RuntimeError as error:
                raise CheckpointError(f"{path}: the state dict does not fit the aisfx network ({error})") from None
            weights_id = file_digest(path)
        self.network.to(c.device).eval()
        self.frontend = AisfxFrontend(block_hop=c.block_hop).to(c.device)
        options = c.model_dump(mode="json", exclude={"checkpoint", "batch_size", "device"})
        self.fingerprint = fingerprint(self.name, weights=weights_id, **options)

    @torch.no_grad()
    def embed(self, audio: torch.Tensor, sample_rate: int) -> torch.Tensor:
        """``[C, T]`` audio at ``sample_rate`` → ``[blocks, 512]`` float32 on the CPU."""
        signal = resample_to(to_mono(audio), sample_rate, SAMPLE_RATE)
        if self.config.peak_normalize:
            peak = float(signal.abs().max())
            signal = signal / peak if peak > 0 else signal
        blocks = self.frontend(signal.to(self.config.device))
        parts = [
            self.network(blocks[i : i + self.config.batch_size]).float().cpu()
            for i in range(0, blocks.shape[0], self.config.batch_size)
        ]
        return torch.cat(parts)
