"""The OpenL3 audio network (mel256 input, 512-d output) in PyTorch, layer for layer as the Keras original.

BN → [conv3×3 64, BN, ReLU]×2 → maxpool 2 → [128]×2 → pool → [256]×2 → pool → conv 512, BN, ReLU →
conv 512 (``audio_embedding_layer``, linear) → max over the remaining 32 × 24 map → 512. Keras'
BatchNormalization eps is 1e-3; its 'same' 3×3 convolutions pad 1 on each side. About 4.7 M parameters.
"""

from __future__ import annotations

import torch
from torch import nn

#: Output channels of the 8 convolutions, in order; the last is Keras' ``audio_embedding_layer``.
CONV_CHANNELS: tuple[int, ...] = (64, 64, 128, 128, 256, 256, 512, 512)
#: Input channels of the 8 batch normalisations, in order (the first normalises the 1-channel input).
NORM_CHANNELS: tuple[int, ...] = (1, 64, 64, 128, 128, 256, 256, 512)
BN_EPS = 1e-3
EMBEDDING_DIM = 512


class OpenL3Network(nn.Module):
    """``[B, 1, 256, 199]`` dB mel spectrograms → ``[B, 512]`` embeddings."""

    def __init__(self) -> None:
        super().__init__()
        self.norms = nn.ModuleList(nn.BatchNorm2d(c, eps=BN_EPS) for c in NORM_CHANNELS)
        inputs = (1, *CONV_CHANNELS[:-1])
        self.convs = nn.ModuleList(
            nn.Conv2d(i, o, kernel_size=3, padding=1) for i, o in zip(inputs, CONV_CHANNELS, strict=True)
        )

    def forward(self, spectrogram: torch.Tensor) -> torch.Tensor:
        """Embeddings of a batch of front-end outputs."""
        x = self.norms[0](spectrogram)
        for layer in range(7):
            x = torch.relu(self.norms[layer + 1](self.convs[layer](x)))
            if layer in (1, 3, 5):
                x = nn.functional.max_pool2d(x, kernel_size=2, stride=2)
        x = self.convs[7](x)
        return x.amax(dim=(-2, -1))
