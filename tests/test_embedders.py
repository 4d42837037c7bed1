"""Embedders: OpenL3 front-end vs numpy, network shapes, weight conversion from Keras .h5 and torchopenl3
.pth.tar, framing; aisfx checkpoint loading (synthetic and real) and equivalence; mel-stats; conformance."""

from __future__ import annotations

import gzip
import importlib.util
import math
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from diffkit.embedders.aisfx import AisfxConfig, AisfxEmbedder, AisfxFrontend, AisfxNetwork, load_aisfx_checkpoint
from diffkit.embedders.aisfx.frontend import block_starts, unit_sum_mel_filterbank
from diffkit.embedders.conformance import check_embedder
from diffkit.embedders.mel_stats import MelStatsConfig, MelStatsEmbedder
from diffkit.embedders.openl3 import OpenL3Config, OpenL3Embedder, OpenL3Frontend, OpenL3Network
from diffkit.embedders.openl3.network import CONV_CHANNELS, NORM_CHANNELS
from diffkit.embedders.openl3.weights import torchopenl3_key_map
from diffkit.errors import AudioError, CheckpointError, ConfigError
from diffkit.registry import get_registry

# ---------------------------------------------------------------------------------------------------------
# an independent numpy OpenL3 front-end: Slaney / HTK mel formulas written out, numpy FFT


def slaney_to_mel(hz: np.ndarray) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-12) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def slaney_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * 200.0 / 3)


def htk_to_mel(hz: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def htk_to_hz(mel: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def area_normalised_mel(to_mel, to_hz, sr: int = 48000, n_fft: int = 2048, n_mels: int = 256) -> np.ndarray:
    """[n_mels, n_fft/2 + 1] triangles between mel-spaced edges, each scaled by 2 / (upper − lower)."""
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    edges = to_hz(np.linspace(to_mel(0.0), to_mel(sr / 2), n_mels + 2))
    bank = np.zeros((n_mels, len(freqs)))
    for m in range(n_mels):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        rise = (freqs - lo) / (mid - lo)
        fall = (hi - freqs) / (hi - mid)
        bank[m] = np.maximum(0.0, np.minimum(rise, fall)) * 2.0 / (hi - lo)
    return bank


def numpy_frontend(audio: np.ndarray, legacy: bool) -> np.ndarray:
    n_fft, hop = 2048, 242
    if legacy:  # TF "same": 1964 zeros split 982 / 982
        padded = np.pad(audio, (982, 982))
    else:  # pad_end: 199 frames starting at 0, 242, …
        padded = np.pad(audio, (0, 198 * hop + n_fft - len(audio)))
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # periodic Hann
    frames = np.stack([padded[i * hop : i * hop + n_fft] for i in range(199)])
    spectrum = np.fft.rfft(frames * window, axis=1)
    if legacy:
        mel = np.sqrt((np.abs(spectrum) ** 2) @ area_normalised_mel(htk_to_mel, htk_to_hz).T)
    else:
        mel = np.abs(spectrum) @ area_normalised_mel(slaney_to_mel, slaney_to_hz).T
    db = 10.0 * np.log10(np.maximum(mel, 1e-10))
    return np.maximum(db - db.max(), -80.0).T  # [256, 199]


@pytest.mark.parametrize("variant", ["openl3-0.4", "openl3-0.3"])
def test_frontend_matches_numpy(variant: str) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(48000) / 48000
    audio = 0.1 * rng.standard_normal(48000) + 0.5 * np.sin(2 * np.pi * (200 + 4000 * t) * t)
    expected = numpy_frontend(audio, legacy=variant == "openl3-0.3")
    got = OpenL3Frontend(variant)(torch.tensor(audio, dtype=torch.float32)[None])
    assert got.shape == (1, 1, 256, 199)
    got = got[0, 0].double().numpy()
    assert got.max() == 0.0 and got.min() >= -80.0
    loud = expected > -40.0
    assert loud.mean() > 0.9
    np.testing.assert_allclose(got[loud], expected[loud], atol=0.02)
    np.testing.assert_allclose(got, expected, atol=1.0)


def test_frontend_variants_differ_and_are_batch_independent() -> None:
    audio = 0.2 * torch.randn(3, 48000, generator=torch.Generator().manual_seed(1))
    new, old = OpenL3Frontend("openl3-0.4")(audio), OpenL3Frontend("openl3-0.3")(audio)
    assert (new - old).abs().mean() > 1.0
    torch.testing.assert_close(OpenL3Frontend()(audio[1:2] * 0.01), new[1:2], atol=1e-3, rtol=0)  # level-invariant
    torch.testing.assert_close(OpenL3Frontend()(audio[:1]), new[:1])
    with pytest.raises(ValueError, match="unknown OpenL3 front-end"):
        OpenL3Frontend("openl3-0.2")  # type: ignore[arg-type]


def test_network_shapes_and_parameter_count() -> None:
    network = OpenL3Network().eval()
    inputs = (1, *CONV_CHANNELS[:-1])
    expected = sum(9 * i * o + o for i, o in zip(inputs, CONV_CHANNELS, strict=True)) + sum(
        2 * c for c in NORM_CHANNELS
    )
    assert sum(p.numel() for p in network.parameters()) == expected
    assert 4.6e6 < expected < 4.8e6
    with torch.no_grad():
        assert network(torch.randn(2, 1, 256, 199)).shape == (2, 512)


@pytest.mark.parametrize(
    ("seconds", "hop", "frames"),
    [(0.5, 0.1, 1), (1.0, 0.1, 6), (1.0, 0.5, 2), (2.0, 0.5, 4), (1.01, 0.25, 4), (3.0, 1.0, 4)],
)
def test_openl3_frame_counts(seconds: float, hop: float, frames: int) -> None:
    # openl3: pad 24000 samples in front, then 1 + ceil((L + 24000 − 48000) / hop) windows (at least 1)
    embedder = OpenL3Embedder(OpenL3Config(random_weights=True, hop_seconds=hop))
    windows = embedder.windows(torch.zeros(1, round(seconds * 48000)), 48000)
    assert windows.shape == (frames, 48000)


def test_openl3_windows_are_centred_and_resampled() -> None:
    embedder = OpenL3Embedder(OpenL3Config(random_weights=True, hop_seconds=0.5))
    ramp = torch.arange(1, 48001, dtype=torch.float32)[None]
    windows = embedder.windows(ramp, 48000)
    assert float(windows[0, 23999]) == 0.0 and float(windows[0, 24000]) == 1.0  # sample 0 at the window centre
    assert float(windows[1, 0]) == 1.0  # second window starts at sample 0 (hop 24000 after −24000)
    assert embedder.windows(torch.zeros(2, 22050), 22050).shape == (2, 48000)  # stereo 1 s at 22.05 kHz → mono


def test_openl3_embed_end_to_end_random_weights() -> None:
    embedder = OpenL3Embedder(OpenL3Config(random_weights=True, hop_seconds=0.5))
    out = embedder.embed(0.1 * torch.randn(1, 48000, generator=torch.Generator().manual_seed(0)), 48000)
    assert out.shape == (2, 512) and out.dtype == torch.float32 and torch.isfinite(out).all()
    assert not embedder.comparable_with_paper
    with pytest.raises(AudioError, match="NaN"):
        embedder.embed(torch.full((1, 100), float("nan")), 48000)


# ---------------------------------------------------------------------------------------------------------
# weight conversion


def random_network(seed: int) -> OpenL3Network:
    torch.manual_seed(seed)
    network = OpenL3Network()
    with torch.no_grad():
        for norm in network.norms:
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.normal_()
            norm.running_mean.normal_()
            norm.running_var.uniform_(0.5, 2.0)
    return network.eval()


def write_keras_h5(path: Path, network: OpenL3Network, wrap: bool = False) -> None:
    """A Keras-2-style weight file: layer_names in topological order, kernels HWIO, BN gamma/beta/moving_*."""
    order = ["input_1", "melspectrogram_1", "batch_normalization_1"]
    for i in range(7):
        order += [f"conv2d_{i + 1}", f"batch_normalization_{i + 2}", f"activation_{i + 1}"]
        if i in (1, 3, 5):
            order.append(f"max_pooling2d_{(i + 1) // 2}")
    order.append("audio_embedding_layer")
    with h5py.File(path, "w") as handle:
        root = handle.create_group("model_weights") if wrap else handle
        root.attrs["layer_names"] = [name.encode() for name in order]
        root.attrs["backend"] = b"tensorflow"
        convs = iter(network.convs)
        norms = iter(network.norms)
        for name in order:
            group = root.create_group(name)
            if name.startswith(("conv2d", "audio_embedding")):
                conv = next(convs)
                weights = {
                    "kernel:0": conv.weight.detach().numpy().transpose(2, 3, 1, 0),  # OIHW → HWIO
                    "bias:0": conv.bias.detach().numpy(),
                }
            elif name.startswith("batch_normalization"):
                norm = next(norms)
                weights = {
                    "gamma:0": norm.weight.detach().numpy(),
                    "beta:0": norm.bias.detach().numpy(),
                    "moving_mean:0": norm.running_mean.numpy(),
                    "moving_variance:0": norm.running_var.numpy(),
                }
            elif name == "melspectrogram_1":  # kapre's layer carries weights of its own: must be ignored
                weights = {"dft_real_kernels:0": np.ones((2048, 1, 1, 1025), np.float32)}
            else:
                weights = {}
            group.attrs["weight_names"] = [f"{name}/{key}".encode() for key in weights]
            for key, value in weights.items():
                group.create_dataset(f"{name}/{key}", data=value)


@pytest.mark.parametrize(("wrap", "compress"), [(False, False), (True, False), (False, True)])
def test_keras_h5_conversion(tmp_path: Path, wrap: bool, compress: bool) -> None:
    source = random_network(1)
    path = tmp_path / "openl3_audio_mel256_env.h5"
    write_keras_h5(path, source, wrap=wrap)
    weights = path
    if compress:  # as shipped on the models branch: openl3_audio_mel256_env-v0_4_0.h5.gz
        weights = tmp_path / "openl3_audio_mel256_env-v0_4_0.h5.gz"
        weights.write_bytes(gzip.compress(path.read_bytes(), compresslevel=1))
    embedder = get_registry().build("embedder", "openl3", {"weights": str(weights), "hop_seconds": 0.5})
    loaded = embedder.network
    with h5py.File(path) as handle:
        root = handle["model_weights"] if wrap else handle
        kernel = np.asarray(root["conv2d_3"]["conv2d_3/kernel:0"])  # HWIO
        gamma = np.asarray(root["batch_normalization_5"]["batch_normalization_5/gamma:0"])
        variance = np.asarray(root["batch_normalization_1"]["batch_normalization_1/moving_variance:0"])
    assert kernel.shape == (3, 3, 64, 128)
    np.testing.assert_array_equal(loaded.convs[2].weight.detach().numpy(), kernel.transpose(3, 2, 0, 1))
    assert float(loaded.convs[2].weight.detach()[5, 7, 0, 2]) == float(
        kernel[0, 2, 7, 5]
    )  # [o, i, h, w] = [h, w, i, o]
    np.testing.assert_array_equal(loaded.norms[4].weight.detach().numpy(), gamma)
    np.testing.assert_array_equal(loaded.norms[0].running_var.numpy(), variance)
    assert all(norm.eps == 1e-3 for norm in loaded.norms)
    for a, b in zip(source.state_dict().values(), loaded.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert embedder.comparable_with_paper
    if not (wrap or compress):  # one forward comparison is enough; the weights are identical in every case
        x = torch.randn(1, 1, 256, 199)
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), source(x))


def test_torchopenl3_state_dict_conversion(tmp_path: Path) -> None:
    source = random_network(2)
    ours = source.state_dict()
    state = {theirs: ours[mine].clone() for theirs, mine in torchopenl3_key_map().items()}
    state.update({f"batch_normalization_{i}.num_batches_tracked": torch.tensor(0) for i in range(1, 9)})
    state["speclayer.mel_basis"] = torch.ones(256, 1025)  # torchopenl3's own front-end buffers are ignored
    path = tmp_path / "torchopenl3_mel256_env_512.pth.tar"
    torch.save(state, path)
    embedder = OpenL3Embedder(OpenL3Config(weights=path, hop_seconds=0.5))
    for key, value in ours.items():
        torch.testing.assert_close(embedder.network.state_dict()[key], value, rtol=0, atol=0)
    torch.testing.assert_close(embedder.network.convs[7].weight, state["audio_embedding_layer.weight"])
    # same weights, same embeddings, whichever file they came from
    h5_path = tmp_path / "same.h5"
    write_keras_h5(h5_path, source)
    audio = 0.1 * torch.randn(1, 24000, generator=torch.Generator().manual_seed(3))  # one window
    from_h5 = OpenL3Embedder(OpenL3Config(weights=h5_path, hop_seconds=0.5)).embed(audio, 48000)
    torch.testing.assert_close(embedder.embed(audio, 48000), from_h5)
    assert embedder.fingerprint != OpenL3Embedder(OpenL3Config(weights=h5_path, hop_seconds=0.25)).fingerprint


def test_weight_errors_are_checkpoint_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="branch 'models'"):
        get_registry().build("embedder", "openl3", {})
    with pytest.raises(CheckpointError, match="not found"):
        OpenL3Embedder(OpenL3Config(weights=tmp_path / "nope.h5"))
    garbage = tmp_path / "garbage.pth.tar"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="weights_only"):
        OpenL3Embedder(OpenL3Config(weights=garbage))
    torch.save({"conv2d_1.weight": torch.zeros(1)}, tmp_path / "partial.pth")
    with pytest.raises(CheckpointError, match="missing keys"):
        OpenL3Embedder(OpenL3Config(weights=tmp_path / "partial.pth"))
    network = random_network(3)
    network.convs[0] = torch.nn.Conv2d(1, 64, kernel_size=5, padding=2)  # e.g. another model's kernels
    write_keras_h5(tmp_path / "bad_shape.h5", network)
    with pytest.raises(CheckpointError, match=r"convs\.0\.weight has shape \(64, 1, 5, 5\)"):
        OpenL3Embedder(OpenL3Config(weights=tmp_path / "bad_shape.h5"))
    with h5py.File(tmp_path / "empty.h5", "w") as handle:
        handle.attrs["layer_names"] = [b"input_1"]
        handle.create_group("input_1").attrs["weight_names"] = []
    with pytest.raises(CheckpointError, match="found 0 Conv2D"):
        OpenL3Embedder(OpenL3Config(weights=tmp_path / "empty.h5"))
    with pytest.raises(ConfigError, match="random_weights"):
        OpenL3Embedder(OpenL3Config(weights=tmp_path / "empty.h5", random_weights=True))


@pytest.mark.skipif(importlib.util.find_spec("openl3") is None, reason="the openl3 package is not installed")
def test_openl3_package_backend() -> None:  # pragma: no cover - needs TensorFlow + openl3
    embedder = OpenL3Embedder(OpenL3Config(backend="openl3-package", hop_seconds=0.5))
    assert embedder.embed(0.1 * torch.randn(1, 48000), 48000).shape == (2, 512)


# ---------------------------------------------------------------------------------------------------------
# aisfx


def write_aisfx_checkpoint(path: Path, network: AisfxNetwork, extra: object = None) -> dict:
    """The wheel's format: torch.save((state_dict, {head: (numpy int64 index, n_classes)}))."""
    state = {f"embedding_net.{k}": v.clone() for k, v in network.state_dict().items()}
    state["fc.0.0.weight"] = torch.zeros(256, 512)
    heads = {"prosfx": (np.int64(0), 78), "soundlyTrain": (np.int64(1), 79)}
    if extra is not None:
        heads["bad"] = extra  # type: ignore[assignment]
    torch.save((state, heads), path)
    return state


class NotAllowed:
    """A class the allow-list does not know: loading a checkpoint that pickles it must fail."""


def test_aisfx_synthetic_checkpoint(tmp_path: Path) -> None:
    torch.manual_seed(0)
    source = AisfxNetwork()
    with torch.no_grad():
        for module in source.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_var.uniform_(0.5, 2.0)
    path = tmp_path / "checkpoint.pth"
    write_aisfx_checkpoint(path, source)
    state, heads = load_aisfx_checkpoint(path)
    assert heads == {"prosfx": (0, 78), "soundlyTrain": (1, 79)}
    assert "conv_block1.conv1.weight" in state and not any(k.startswith("fc.") for k in state)
    embedder = AisfxEmbedder(AisfxConfig(checkpoint=path))
    for key, value in source.state_dict().items():
        torch.testing.assert_close(embedder.network.state_dict()[key], value, rtol=0, atol=0)
    out = embedder.embed(0.1 * torch.randn(1, 44100 * 3), 44100)
    assert out.shape == (1, 512) and torch.isfinite(out).all()
    assert not embedder.comparable_with_paper
    write_aisfx_checkpoint(tmp_path / "evil.pth", source, extra=NotAllowed())
    with pytest.raises(CheckpointError, match="weights_only"):
        load_aisfx_checkpoint(tmp_path / "evil.pth")
    with pytest.raises(CheckpointError, match="not found"):
        load_aisfx_checkpoint(tmp_path / "missing.pth")


def _package_file(relative: str) -> Path | None:
    spec = importlib.util.find_spec("aisfx")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.is_file() else None


needs_aisfx = pytest.mark.skipif(_package_file("models/checkpoint.pth") is None, reason="aisfx wheel not installed")


@needs_aisfx
def test_aisfx_real_checkpoint_matches_the_package_network() -> None:
    embedder = AisfxEmbedder()  # finds the installed wheel's checkpoint
    assert len(embedder.heads) == 9 and embedder.heads["prosfx"] == (0, 78)
    assert float(embedder.network.conv_block1.bn1.running_var.std()) > 0.0  # trained statistics, not init
    # the package's own network class (loaded from its file, bypassing the package's heavy __init__)
    spec = importlib.util.spec_from_file_location("aisfx_cnn2d", _package_file("models/cnn2d.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    theirs = module.EmbeddingNet("max", 3, 1, 64)
    theirs.load_state_dict(embedder.network.state_dict())
    theirs.eval()
    blocks = torch.rand(2, 100, 96)
    with torch.no_grad():
        torch.testing.assert_close(embedder.network(blocks), theirs(blocks))
    out = embedder.embed(0.2 * torch.randn(1, 44100 * 5, generator=torch.Generator().manual_seed(0)), 44100)
    assert out.shape == (3, 512) and torch.isfinite(out).all() and out.abs().sum() > 0


def test_aisfx_frontend_blocks_and_filterbank() -> None:
    assert block_starts(87) == [0]  # 2 s → 87 frames: one zero-padded block
    assert block_starts(216) == [0, 50, 100]  # 5 s → 216 frames: the partial 4th block is dropped
    assert block_starts(200) == [0, 50, 100]
    assert block_starts(216, drop_partial=False) == [0, 50, 100, 150]
    bank = unit_sum_mel_filterbank()
    assert bank.shape == (1025, 96)
    torch.testing.assert_close(bank.sum(dim=0), torch.ones(96))
    frontend = AisfxFrontend()
    assert frontend(torch.zeros(44100 * 5)).shape == (3, 100, 96)
    assert float(frontend.spectrogram(torch.zeros(44100)).abs().max()) == 0.0  # log10(1 + 0) = 0
    # a 1 kHz sine peaks in the band whose HTK-mel centre is nearest to 1 kHz
    tone = torch.sin(2 * math.pi * 1000 * torch.arange(44100) / 44100)
    band = int(frontend.spectrogram(tone)[10:-10].mean(dim=0).argmax())
    centres = 700 * (10 ** (np.linspace(0, 2595 * np.log10(1 + 22050 / 700), 98)[1:-1] / 2595) - 1)
    assert band == int(np.argmin(np.abs(centres - 1000)))


# ---------------------------------------------------------------------------------------------------------
# mel-stats and conformance


def test_mel_stats_shapes_and_level_shift() -> None:
    embedder = MelStatsEmbedder(MelStatsConfig(n_mels=16))
    assert embedder.embed(torch.ones(1, round(1.3 * 16000)), 16000).shape == (2, 32)  # 1 + ceil(4800 / 8000)
    audio = 0.01 * torch.randn(1, 24000, generator=torch.Generator().manual_seed(0))  # two full windows
    out = embedder.embed(audio, 16000)
    louder = embedder.embed(audio * 10.0, 16000)  # +20 dB shifts every band mean by 20, stds unchanged
    torch.testing.assert_close(louder[:, :16] - out[:, :16], torch.full((2, 16), 20.0), atol=1e-3, rtol=0)
    torch.testing.assert_close(louder[:, 16:], out[:, 16:], atol=1e-3, rtol=0)
    assert embedder.embed(torch.zeros(1, 100), 16000).shape == (1, 32)
    with pytest.raises(ConfigError, match="n_fft"):
        get_registry().build("embedder", "mel-stats", {"window_seconds": 0.01})


@pytest.mark.parametrize(
    "config",
    [("mel-stats", {}), ("openl3", {"random_weights": True, "hop_seconds": 1.0}), ("aisfx", {"random_weights": True})],
    ids=["mel-stats", "openl3", "aisfx"],
)
def test_builtin_embedders_conform(config: tuple[str, dict]) -> None:
    check_embedder(get_registry().build("embedder", *config))
