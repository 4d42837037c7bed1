"""The aisfx embedding network (Ma & Lerch, ISMIR 2022): four VGG-style conv blocks, 64 → 512 channels.

Each block: conv3×3 (no bias) → BN → ReLU → conv3×3 → BN → ReLU → 2×2 max-pool (none after the last).
Then the mean over frequency and the max over time give a 512-d embedding. Parameter names match the
checkpoint's ``embedding_net.*`` entries, so loading is a plain ``load_state_dict`` after the prefix strip.
"""

from __future__ import annotations

import torch
from torch import nn

EMBEDDING_DIM = 512


class ConvBlock(nn.Module):
    """Two 3×3 convolutions with batch norm and ReLU."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """conv → BN → ReLU, twice."""
        x = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(x)))


class AisfxNetwork(nn.Module):
    """``[B, time, mel]`` normalised log-mel blocks → ``[B, 512]`` embeddings."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.conv_block1 = ConvBlock(1, width)
        self.conv_block2 = ConvBlock(width, width * 2)
        self.conv_block3 = ConvBlock(width * 2, width * 4)
        self.conv_block4 = ConvBlock(width * 4, width * 8)

    def forward(self, blocks: torch.Tensor) -> torch.Tensor:
        """Embeddings of a batch of spectrogram blocks."""
        x = blocks.unsqueeze(1)
        for block in (self.conv_block1, self.conv_block2, self.conv_block3):
            x = nn.functional.max_pool2d(block(x), kernel_size=2)
        x = self.conv_block4(x)
        return x.mean(dim=3).amax(dim=2)
