"""Audio-context sampling: masks and spans, the resampling walk, every sampler keeping the known samples exactly,
and the Pipeline API (inpaint, continuation, sample(context=...))."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from diffkit import Pipeline, get_registry
from diffkit.errors import ConfigError
from diffkit.guidance.none import NoGuidance
from diffkit.inpainting import AudioContext, ContextMethod, mask_to_spans, parse_span, sample_in_context, spans_to_mask
from diffkit.pipeline.score import GuidedScore
from diffkit.samplers import PerItemNoise
from diffkit.samplers.base import Step, StepSampler
from diffkit.samplers.consistent_langevin import ConsistentLangevin
from diffkit.samplers.walk import Move, resampling_moves
from diffkit.schedules.ve_geometric import VEGeometricSchedule
from diffkit.testing import CorrelatedGaussianNetwork, ar1_covariance
from diffkit.thresholding.none import NoThresholding
from tests.conftest import tiny_config

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True)
SAMPLERS = get_registry().names("sampler")


# -- spans and masks -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "span"), [("1.0:2.5", (1.0, 2.5)), ("3:", (3.0, math.inf)), (":0.5", (0.0, 0.5)), (" 0 : 1 ", (0.0, 1.0))]
)
def test_parse_span(text: str, span: tuple[float, float]) -> None:
    assert parse_span(text) == span


@pytest.mark.parametrize(
    ("text", "message"),
    [("1-2", "START:END"), ("a:b", "numbers of seconds"), ("2:1", "0 ≤ start < end"), ("-1:1", "0 ≤ start")],
)
def test_bad_spans_name_the_option(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        parse_span(text, "--mask")
    assert str(error.value).startswith("--mask")


def test_spans_to_mask_rounds_to_samples_and_merges_overlaps() -> None:
    known = spans_to_mask([(0.1, 0.25), (0.2, 0.3), (0.9, math.inf)], length=100, sample_rate=100)
    expected = torch.ones(100, dtype=torch.bool)
    expected[10:30] = False
    expected[90:] = False
    assert torch.equal(known, expected)
    assert mask_to_spans(known, 100) == [(0.1, 0.3), (0.9, 1.0)]


@pytest.mark.parametrize(
    ("spans", "message"),
    [
        ([(0.5, 1.5)], "reaches past the end of the audio"),
        ([(1.0, math.inf)], "reaches past the end"),
        ([(0.1, 0.102)], "shorter than one sample"),
        ([(0.0, math.inf)], "cover the whole clip"),
        ([], "at least one span"),
    ],
)
def test_bad_mask_spans(spans: list[tuple[float, float]], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        spans_to_mask(spans, length=100, sample_rate=100, where="sample.context.mask")


@SETTINGS
@given(flags=st.lists(st.booleans(), min_size=1, max_size=60))
def test_mask_to_spans_round_trips(flags: list[bool]) -> None:
    known = torch.tensor(flags)
    if known.all():
        assert mask_to_spans(known, 10) == []
        return
    if not known.any():
        return
    assert torch.equal(spans_to_mask(mask_to_spans(known, 10), len(flags), 10), known)


# -- AudioContext ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("audio", "mask", "message"),
    [
        (torch.zeros(1, 10), torch.ones(9), "length 10"),
        (torch.zeros(1, 10), torch.full((10,), 0.5), "only 0/1"),
        (torch.zeros(1, 10), torch.ones(10), "every sample as known"),
        (torch.zeros(1, 10), torch.zeros(10), "no sample as known"),
        (torch.zeros(2, 3, 10), torch.tensor([[1] * 5 + [0] * 5, [1] * 10]).view(2, 1, 10), "every sample as known"),
        (torch.zeros(1, 10), torch.ones(2, 2, 2, 10), "length 10|shape"),
        (torch.zeros(1, 1, 1, 10), torch.ones(10), r"\[T\], \[C, T\] or \[B, C, T\]"),
        (torch.full((1, 10), math.nan), torch.arange(10) < 5, "NaN"),
        (torch.zeros(2, 10), torch.ones(3, 10), "does not fit"),
    ],
)
def test_invalid_contexts_are_config_errors(audio: torch.Tensor, mask: torch.Tensor, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        AudioContext(audio, mask)


def test_context_expands_to_the_batch_and_channels() -> None:
    context = AudioContext(torch.arange(6.0), torch.tensor([1, 1, 0, 0, 1, 1]))
    audio, known = context.expand(batch=3, channels=2)
    assert audio.shape == known.shape == (3, 2, 6) and known.dtype == torch.bool
    assert known[:, :, 2:4].logical_not().all() and known[:, :, :2].all()
    with pytest.raises(ConfigError, match="2 clips but 3"):
        AudioContext(torch.zeros(2, 1, 6), torch.arange(6) < 3).expand(batch=3, channels=1)
    with pytest.raises(ConfigError, match="2 channels; the model makes 1"):
        AudioContext(torch.zeros(2, 6), torch.arange(6) < 3).expand(batch=1, channels=1)


def test_continuation_context() -> None:
    context = AudioContext.continuation(torch.ones(1, 4), length=10)
    assert context.length == 10
    assert torch.equal(context.mask, torch.arange(10) < 4)
    assert context.spans(10) == [(0.4, 1.0)]
    with pytest.raises(ConfigError, match="longer than the input"):
        AudioContext.continuation(torch.ones(1, 4), length=4)


# -- the walk --------------------------------------------------------------------------------------------------------
def pairs(moves: list[Move]) -> list[tuple[int, int]]:
    return [(move.start, move.end) for move in moves]


def test_plain_walk_and_hand_written_repaint_schedules() -> None:
    assert pairs(resampling_moves(4)) == [(0, 1), (1, 2), (2, 3)]
    # jump 1, r = 2: every level from 1 on is visited twice, re-noised one level up in between
    assert pairs(resampling_moves(4, 1, 2)) == [(0, 1), (1, 0), (0, 1), (1, 2), (2, 1), (1, 2), (2, 3), (3, 2), (2, 3)]
    # jump 2 over 6 levels: jump points are 5 and 3 (counted from the bottom, at least 2 below the top)
    assert pairs(resampling_moves(6, 2, 2)) == [
        (0, 1), (1, 2), (2, 3), (3, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 3), (3, 4), (4, 5),
    ]  # fmt: skip
    assert sum(not move.up for move in ContextMethod(resample=3).moves(50)) == 49 * 3


@SETTINGS
@given(levels=st.integers(1, 40), jump=st.integers(1, 12), resample=st.integers(1, 6))
def test_walks_end_at_the_bottom_and_report_each_level_once_in_order(levels: int, jump: int, resample: int) -> None:
    moves = resampling_moves(levels, jump, resample)
    level = 0
    for move in moves:
        assert move.start == level and 0 <= move.end < levels
        assert move.end == level + 1 or (move.up and move.end == level - jump)
        level = move.end
    assert level == levels - 1
    assert [move.end for move in moves if move.report and not move.up] == list(range(1, levels))
    points = sum(1 for i in range(jump, levels) if (levels - 1 - i) % jump == 0)
    assert sum(not move.up for move in moves) == levels - 1 + (resample - 1) * jump * points


class MemorySampler(StepSampler):
    """Deterministic 'sampler' that records which earlier steps its memory has seen."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, tuple[int, ...]]] = []

    def step(self, step: Step) -> torch.Tensor:
        trail = step.memory.get("trail", ())
        self.seen.append((step.index, trail))
        step.memory["trail"] = (*trail, step.index)
        return step.x


def test_a_jump_back_restores_the_step_memory_of_that_level() -> None:
    """A multistep sampler never sees memory from below the level it re-walks from."""
    sampler = MemorySampler()
    score = GuidedScore(lambda x, s, c: torch.zeros_like(x), torch.ones(1, 1), None, NoGuidance(), NoThresholding())
    noise = PerItemNoise.from_seeds([0])
    audio, known = torch.zeros(1, 1, 8), (torch.arange(8) < 4).view(1, 1, 8)
    method = ContextMethod(resample=2, jump=2)
    sample_in_context(sampler, score, torch.zeros(1, 1, 8), torch.tensor([1.0, 0.5, 0.2, 0.1, 0.05]), noise, audio,
                      known, method)  # fmt: skip
    # 5 levels, jump 2: jump points 2 and 4; back to 0 after reaching 2, back to 2 after reaching 4
    assert sampler.seen == [
        (0, ()), (1, (0,)), (0, ()), (1, (0,)), (2, (0, 1)), (3, (0, 1, 2)), (2, (0, 1)), (3, (0, 1, 2)),
    ]  # fmt: skip


# -- every sampler ---------------------------------------------------------------------------------------------------
@SETTINGS
@given(
    name=st.sampled_from(SAMPLERS),
    gaps=st.lists(st.tuples(st.integers(0, 47), st.integers(1, 16)), min_size=1, max_size=3),
    steps=st.integers(2, 12),
    resample=st.integers(1, 3),
    jump=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_every_sampler_returns_the_known_samples_exactly(
    name: str, gaps: list[tuple[int, int]], steps: int, resample: int, jump: int, seed: int
) -> None:
    """Any registered sampler (built-in or plugin), any mask and RePaint setting: the known samples come back
    bit for bit, the generated ones are finite, and the same seeds give the same output."""
    known = torch.ones(48, dtype=torch.bool)
    for start, width in gaps:
        known[start : start + width] = False
    if known.all() or not known.any():
        return
    registry = get_registry()
    sampler = registry.build("sampler", name, registry.get("sampler", name).example or {})
    sigmas = sampler.sigmas(VEGeometricSchedule(), steps)
    network = CorrelatedGaussianNetwork(torch.zeros(48), ar1_covariance(48, 0.95, 0.5))
    audio = torch.rand(2, 1, 48, generator=torch.Generator().manual_seed(seed)) * 1.8 - 0.9
    mask = known.view(1, 1, 48).expand(2, 1, 48)
    outputs = []
    for _ in range(2):
        score = GuidedScore(network, torch.ones(2, 1), None, NoGuidance(), NoThresholding())
        noise = PerItemNoise.from_seeds([seed, seed + 1])
        x = sigmas[0] * noise(torch.empty(2, 1, 48))
        method = ContextMethod(resample=resample, jump=jump)
        outputs.append(sample_in_context(sampler, score, x, sigmas, noise, audio, mask, method))
    assert torch.equal(outputs[0][mask], audio[mask])
    assert torch.isfinite(outputs[0]).all()
    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=0)


class ProtocolOnlySampler:
    """A sampler that satisfies the protocol without deriving from StepSampler (walks its own levels)."""

    def __init__(self) -> None:
        self.inner = ConsistentLangevin()

    def sigmas(self, schedule: Any, steps: int, start: float = 1.0, device: Any = None) -> torch.Tensor:
        return self.inner.sigmas(schedule, steps, start, device)

    def sample(self, score: Any, x: torch.Tensor, sigmas: torch.Tensor, noise: Any, callback: Any = None) -> Any:
        levels = [float(s) for s in sigmas]
        for sigma, after in itertools.pairwise(levels):
            x = x + (sigma**2 - after**2) * score(x, sigma)
        return score.denoise(x, levels[-1])


def test_replacement_works_around_a_protocol_only_sampler_and_resampling_is_refused() -> None:
    sampler = ProtocolOnlySampler()
    score = GuidedScore(
        CorrelatedGaussianNetwork(torch.zeros(16), torch.eye(16)),
        torch.ones(1, 1),
        None,
        NoGuidance(),
        NoThresholding(),
    )
    noise = PerItemNoise.from_seeds([0])
    audio, known = torch.full((1, 1, 16), 0.5), (torch.arange(16) < 8).view(1, 1, 16)
    sigmas = VEGeometricSchedule().sampling_sigmas(6)
    out = sample_in_context(sampler, score, sigmas[0] * noise(audio), sigmas, noise, audio, known)
    assert torch.equal(out[known], audio[known])
    with pytest.raises(ConfigError, match=r"my-sampler does not walk its levels.*resample=1"):
        sample_in_context(sampler, score, audio, sigmas, noise, audio, known, ContextMethod(resample=2), None,
                          "my-sampler")  # fmt: skip


# -- the Pipeline API ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    torch.manual_seed(0)
    return Pipeline(tiny_config()).eval()


def clip(seconds: float = 0.05, rate: int = 8000) -> torch.Tensor:
    time = torch.arange(round(seconds * rate)) / rate
    return 0.5 * torch.sin(2 * math.pi * 440 * time).unsqueeze(0)


def test_inpaint_keeps_the_audio_outside_the_spans(pipeline: Pipeline) -> None:
    audio = clip()
    out = pipeline.inpaint(["tone", "noise"], audio, [(0.01, 0.02)], steps=3, seed=4)
    assert out.shape == (2, 1, 400)
    kept = torch.ones(400, dtype=torch.bool)
    kept[80:160] = False
    assert torch.equal(out[:, 0, kept], audio[0, kept].expand(2, -1))
    assert not torch.allclose(out[:, 0, ~kept], audio[0, ~kept].expand(2, -1))
    same = pipeline.inpaint(["tone", "noise"], audio, kept.float(), steps=3, seed=4)  # tensor mask, same result
    torch.testing.assert_close(out, same, rtol=0, atol=0)


def test_continuation_is_longer_and_starts_with_the_input(pipeline: Pipeline) -> None:
    audio = clip(0.02)
    out = pipeline.continuation(["tone"], audio, seconds=0.05, steps=3, context_method={"resample": 2})
    assert out.shape == (1, 1, 400)
    assert torch.equal(out[0, :, :160], audio)
    with pytest.raises(ConfigError, match="longer than the input"):
        pipeline.continuation(["tone"], audio, seconds=0.01, steps=2)


def test_context_samples_do_not_depend_on_batch_neighbours(pipeline: Pipeline) -> None:
    context = AudioContext(clip(), torch.arange(400) >= 200)
    both = pipeline.sample(["tone", "noise"], context=context, steps=3, seed=[7, 8])
    alone = pipeline.sample(["noise"], context=context, steps=3, seed=[8])
    torch.testing.assert_close(both[1:], alone, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"seconds": 1.0}, "fixes the output length"),
        ({"context_method": {"resampel": 2}}, "context_method.resampel"),
        ({"context_method": {"method": "mcg"}}, "context_method.method"),
        ({"context_method": {"resample": 0}}, "context_method.resample"),
    ],
)
def test_sample_with_context_option_errors(pipeline: Pipeline, options: dict[str, Any], message: str) -> None:
    context = AudioContext(clip(), torch.arange(400) >= 200)
    with pytest.raises(ConfigError, match=message):
        pipeline.sample(["tone"], context=context, steps=2, **options)


def test_context_method_without_context_is_refused(pipeline: Pipeline) -> None:
    with pytest.raises(ConfigError, match="applies only with a context"):
        pipeline.sample(["tone"], seconds=0.01, steps=2, context_method={"resample": 2})


@pytest.mark.parametrize("name", SAMPLERS)
def test_every_sampler_inpaints_through_the_pipeline(pipeline: Pipeline, name: str) -> None:
    pipeline.configure_sampling(sampler=name)
    try:
        audio = clip()
        out = pipeline.inpaint(["impulses"], audio, [(0.0, 0.01), (0.04, math.inf)], steps=3)
        assert torch.equal(out[0, :, 80:320], audio[:, 80:320]) and torch.isfinite(out).all()
    finally:
        pipeline.configure_sampling(sampler="consistent-langevin")
