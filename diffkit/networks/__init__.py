"""Score networks: ``nn.Module``s mapping (x, σ, c) to an output the size of x.

Protocol (every ``network`` component):

- constructed as ``factory(config, cond_dim=D, channels=C)``;
- ``forward(x: Tensor[B, C, T], sigma: Tensor[B], cond: Tensor[B, D]) -> Tensor[B, C, T]`` for any T;
- the output n is the *scaled* score: the pipeline uses S = n / σ, so n stays at unit scale across σ
  and the denoising score matching loss is ½‖n + z‖².
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from diffkit.registry import ComponentSpec


@runtime_checkable
class Network(Protocol):
    """A score network; see the module docstring for the contract."""

    def __call__(self, x: torch.Tensor, sigma: torch.Tensor, cond: torch.Tensor) -> torch.Tensor: ...


def components() -> list[ComponentSpec]:
    """Built-in networks."""
    from diffkit.networks.gblock_unet import GBlockUNet, GBlockUNetConfig
    from diffkit.networks.stft_unet import STFTUNet, STFTUNetConfig

    ARCHITECTURE_KEYS = [key for key in GBlockUNetConfig.model_fields if key != "preset"]
    STFT_KEYS = [key for key in STFTUNetConfig.model_fields if key != "preset"]

    return [
        ComponentSpec(
            "network",
            "gblock-unet",
            GBlockUNet,
            GBlockUNetConfig,
            "DAG's waveform UNet: FiLM-conditioned GBlocks, biGRU bottleneck (presets dag48, dag22, small, tiny).",
            example={"preset": "tiny"},
            smoke={"preset": "tiny", **dict.fromkeys(ARCHITECTURE_KEYS)},
        ),
        ComponentSpec(
            "network",
            "stft-unet",
            STFTUNet,
            STFTUNetConfig,
            "Score network on the compressed complex STFT: 2-D FiLM UNet, frequency-dilated blocks, biGRU along "
            "frequency (presets small, tiny).",
            example={"preset": "tiny"},
            smoke={"preset": "tiny", **dict.fromkeys(STFT_KEYS)},
        ),
    ]
