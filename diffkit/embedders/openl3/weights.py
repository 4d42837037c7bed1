"""Load the official OpenL3 (env, mel256) weights into :class:`OpenL3Network`, converting them in code.

Accepted files (the format is detected from the content; ``.gz`` and ``.safetensors`` from the suffix):

- the Keras ``.h5`` of the openl3 repository (branch ``models``: ``openl3_audio_mel256_env-v0_4_0.h5.gz``,
  read compressed or gunzipped) with h5py: conv kernels HWIO → torch OIHW, BatchNormalization
  gamma/beta/moving_mean/moving_variance → weight/bias/running_mean/running_var. Layers are taken in the
  file's ``layer_names`` order; the 8 Conv2D and 8 BatchNormalization layers map onto the network in
  sequence, everything else (input, kapre spectrogram, pooling, activations) is ignored.
- torchopenl3's converted state dict (``torchopenl3_mel256_env_512.pth.tar``), read with
  ``torch.load(weights_only=True)``: keys ``batch_normalization_{1..8}.*``, ``conv2d_{1..7}.*`` and
  ``audio_embedding_layer.*`` (its ``speclayer.*`` buffers are ignored: diffkit computes its own front-end).
- a ``.safetensors`` file with this network's own key names (``convs.N.*``, ``norms.N.*``).
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from diffkit.embedders.openl3.network import CONV_CHANNELS, NORM_CHANNELS, OpenL3Network
from diffkit.errors import CheckpointError

WHERE_TO_GET = (
    "download the official Keras weights 'openl3_audio_mel256_env-v0_4_0.h5.gz' from the openl3 GitHub "
    "repository (branch 'models'; see https://github.com/marl/openl3/tree/models) or torchopenl3's converted "
    "'torchopenl3_mel256_env_512.pth.tar' (repository torchopenl3/torchopenl3-models), then pass the file "
    "as the embedder option weights=PATH (CLI: --option weights=PATH); see docs/evaluation.md. Without them, "
    "evaluate with --embedder aisfx or mel-stats (their FD is not comparable with the paper's)"
)

StateDict = dict[str, torch.Tensor]


def load_openl3_weights(network: OpenL3Network, path: str | Path) -> None:
    """Fill ``network`` from an OpenL3 weight file; CheckpointError when missing, unreadable or mismatched."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"OpenL3 weights file {path} not found; {WHERE_TO_GET}")
    state = read_openl3_state(path)
    expected = network.state_dict()
    for key, tensor in state.items():
        if key not in expected:
            raise CheckpointError(f"{path}: unexpected parameter {key!r}")
        if tuple(tensor.shape) != tuple(expected[key].shape):
            raise CheckpointError(
                f"{path}: {key} has shape {tuple(tensor.shape)}, the mel256 network needs "
                f"{tuple(expected[key].shape)} — is this the mel256 audio model (not mel128/linear/image)?"
            )
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    if missing:
        raise CheckpointError(f"{path}: missing parameters {missing[:6]}{' …' if len(missing) > 6 else ''}")
    network.load_state_dict({**expected, **{k: v.to(expected[k].dtype) for k, v in state.items()}})


def read_openl3_state(path: Path) -> StateDict:
    """The network state dict (our key names) stored in any of the accepted formats."""
    import h5py

    if path.suffix == ".gz":  # the models branch ships gzip-compressed .h5 files
        try:
            data = gzip.decompress(path.read_bytes())
        except (OSError, EOFError) as error:
            raise CheckpointError(f"{path}: not a readable gzip file ({error})") from None
        return keras_h5_state(io.BytesIO(data), path)
    if h5py.is_hdf5(path):
        return keras_h5_state(path, path)
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return dict(load_file(str(path)))
        except (SafetensorError, OSError) as error:
            raise CheckpointError(f"{path}: not a readable safetensors file ({error})") from None
    return torchopenl3_state(path)


def _name(value: bytes | str) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def _short(weight_name: str) -> str:
    """'conv2d_1/kernel:0' → 'kernel'."""
    return weight_name.split("/")[-1].split(":")[0]


def keras_h5_state(source: Path | io.BytesIO, path: Path) -> StateDict:
    """Read a Keras (2.x / tf.keras) HDF5 weight or model file (``source``; ``path`` names it in errors) and
    convert it to our state dict."""
    import h5py

    try:
        with h5py.File(source, "r") as handle:
            root = handle["model_weights"] if "model_weights" in handle else handle
            if "layer_names" not in root.attrs:
                raise CheckpointError(
                    f"{path}: no 'layer_names' attribute — not a Keras 2 HDF5 weight file (Keras 3 "
                    f"'.weights.h5' files are not supported); {WHERE_TO_GET}"
                )
            convs, norms = [], []
            for layer in (_name(n) for n in root.attrs["layer_names"]):
                group = root[layer]
                weights = {_short(_name(w)): np.asarray(group[_name(w)]) for w in group.attrs.get("weight_names", [])}
                if "kernel" in weights and weights["kernel"].ndim == 4:
                    convs.append((layer, weights))
                elif "moving_mean" in weights and "moving_variance" in weights:
                    norms.append((layer, weights))
    except (OSError, KeyError) as error:
        raise CheckpointError(f"{path}: cannot read the Keras weight file ({error}); {WHERE_TO_GET}") from None
    if len(convs) != len(CONV_CHANNELS) or len(norms) != len(NORM_CHANNELS):
        raise CheckpointError(
            f"{path}: found {len(convs)} Conv2D and {len(norms)} BatchNormalization layers, the OpenL3 audio "
            f"network has {len(CONV_CHANNELS)} and {len(NORM_CHANNELS)}"
        )
    state: StateDict = {}
    for index, (layer, weights) in enumerate(convs):
        if "bias" not in weights:
            raise CheckpointError(f"{path}: Conv2D layer {layer!r} has no bias")
        # Keras HWIO (H = frequency, W = time, as our NCHW input) → torch OIHW
        state[f"convs.{index}.weight"] = torch.from_numpy(np.ascontiguousarray(weights["kernel"].transpose(3, 2, 0, 1)))
        state[f"convs.{index}.bias"] = torch.from_numpy(weights["bias"])
    for index, (_layer, weights) in enumerate(norms):
        size = weights["moving_mean"].shape
        state[f"norms.{index}.weight"] = torch.from_numpy(weights.get("gamma", np.ones(size, np.float32)))
        state[f"norms.{index}.bias"] = torch.from_numpy(weights.get("beta", np.zeros(size, np.float32)))
        state[f"norms.{index}.running_mean"] = torch.from_numpy(weights["moving_mean"])
        state[f"norms.{index}.running_var"] = torch.from_numpy(weights["moving_variance"])
    return state


def torchopenl3_key_map() -> dict[str, str]:
    """torchopenl3 key → our key."""
    mapping = {}
    for index in range(len(NORM_CHANNELS)):
        for source, target in (
            ("weight", "weight"),
            ("bias", "bias"),
            ("running_mean", "running_mean"),
            ("running_var", "running_var"),
        ):
            mapping[f"batch_normalization_{index + 1}.{source}"] = f"norms.{index}.{target}"
    for index in range(len(CONV_CHANNELS)):
        layer = "audio_embedding_layer" if index == len(CONV_CHANNELS) - 1 else f"conv2d_{index + 1}"
        for part in ("weight", "bias"):
            mapping[f"{layer}.{part}"] = f"convs.{index}.{part}"
    return mapping


def torchopenl3_state(path: Path) -> StateDict:
    """Read torchopenl3's state dict with ``weights_only=True`` and rename its keys."""
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # pickle/zip errors of many kinds; all mean "not a usable weight file"
        raise CheckpointError(
            f"{path}: cannot load as a PyTorch state dict with weights_only=True "
            f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}); {WHERE_TO_GET}"
        ) from None
    if isinstance(loaded, Mapping) and "state_dict" in loaded and isinstance(loaded["state_dict"], Mapping):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, Mapping):
        raise CheckpointError(f"{path}: expected a state dict, found {type(loaded).__name__}")
    mapping = torchopenl3_key_map()
    state = {mapping[k]: v for k, v in loaded.items() if k in mapping}
    missing = sorted(set(mapping) - set(loaded))
    if missing:
        raise CheckpointError(
            f"{path}: not a torchopenl3 mel256 state dict; missing keys {missing[:4]}{' …' if len(missing) > 4 else ''}"
        )
    return state
