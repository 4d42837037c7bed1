"""The training loop: data plan → steps → logs, validation, samples, checkpoints; resumable and torchrun-aware."""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch.distributed as dist

from diffkit.condition_records.source import ConditionSource
from diffkit.config import validate_config
from diffkit.datasets import Dataset
from diffkit.errors import CheckpointError, ConfigError
from diffkit.io.atomic import remove_stale_temporaries
from diffkit.pipeline import Pipeline
from diffkit.runtime import load_watch
from diffkit.runtime.estimate import training_estimate
from diffkit.runtime.threads import use_threads
from diffkit.runtime.work import training_work
from diffkit.training import checkpoint as ckpt
from diffkit.training.checks import check_conditions, check_data, check_metadata, check_preview_conditions
from diffkit.training.config import TrainConfig
from diffkit.training.data import BatchPlan, Cursor, batches
from diffkit.training.ema import EMA
from diffkit.training.errors import TrainingDiverged, TrainingWarning
from diffkit.training.metrics_log import METRICS_NAME, MetricsLog, read_metrics, truncate_after
from diffkit.training.plot import plot_loss_curve
from diffkit.training.preview import Previews
from diffkit.training.progress import ProgressBar
from diffkit.training.result import TrainResult
from diffkit.training.runtime import Runtime, running
from diffkit.training.seeding import capture_global_rng, restore_global_rng, seed_globals
from diffkit.training.signals import StopRequest
from diffkit.training.step import StepOutcome, TrainStep, make_optimizer
from diffkit.training.validation import Validation

TRAIN_STEP_OVERHEAD = 1.2
"""A training step's time over its timed forward + backward: the optimiser, EMA, clipping and data (measured on the
quickstart: 0.188 s per logged step against 0.151 s timed; benchmarks/estimate_bench.py)."""

Callback = Callable[[dict[str, Any]], None]
LOSS_CURVE_NAME = "loss_curve.png"


def train(
    pipeline: Pipeline,
    train_set: Dataset,
    valid_set: Dataset | None,
    config: TrainConfig | dict[str, Any],
    out_dir: str | Path,
    *,
    resume: str | Path | None = None,
    extra_metadata: dict[str, str] | None = None,
    callbacks: Sequence[Callback] | None = None,
) -> TrainResult:
    """Train ``pipeline`` on ``train_set`` into ``out_dir``; see docs/training.md.

    ``resume``: None starts fresh (an ``out_dir`` that already holds checkpoints is refused), ``"auto"``
    continues from the newest usable checkpoint in ``out_dir`` (fresh if there is none), a path continues
    from that checkpoint. SIGINT/SIGTERM end the run after the current step with a checkpoint
    (``interrupted=True``); a non-finite loss raises TrainingDiverged. Under torchrun every process calls
    this with the same arguments; only rank 0 writes files. ``callbacks`` receive every metrics record (rank 0).
    """
    config = validate_config(TrainConfig, config, prefix="train")
    with running(config) as runtime:
        trainer = Trainer(pipeline, train_set, valid_set, config, Path(out_dir), runtime, extra_metadata, callbacks)
        return trainer.run(resume)


class Trainer:
    """State of one run on one process; :func:`train` is the entry point."""

    def __init__(
        self,
        pipeline: Pipeline,
        train_set: Dataset,
        valid_set: Dataset | None,
        config: TrainConfig,
        out_dir: Path,
        runtime: Runtime,
        extra_metadata: dict[str, str] | None = None,
        callbacks: Sequence[Callback] | None = None,
    ) -> None:
        self.config = config
        self.runtime = runtime
        self.out_dir = out_dir
        self.train_set = train_set
        self.valid_set = valid_set
        self.classes = list(train_set.classes)
        self.extra_metadata = check_metadata(extra_metadata)
        self.callbacks = list(callbacks or [])
        self.length = round(config.clip_seconds * pipeline.sample_rate)
        check_data(pipeline, train_set, valid_set)
        self.train_source = ConditionSource(train_set, pipeline.conditioner, "training")
        check_conditions(pipeline, self.train_source, train_set)
        self.valid_source = None
        if valid_set is not None and len(valid_set) > 0:
            self.valid_source = ConditionSource(valid_set, pipeline.conditioner, "validation")
            check_conditions(pipeline, self.valid_source, valid_set, "validation")
        if config.sample_every:
            check_preview_conditions(pipeline, config.preview_conditions)
        self.previews = Previews(config, out_dir, (train_set, self.train_source), (valid_set, self.valid_source))
        seed_globals(config.seed, runtime.rank)
        self.pipeline = pipeline.to(runtime.device)
        if runtime.distributed:
            for tensor in self.pipeline.state_dict().values():
                dist.broadcast(tensor, src=0)
        shadow = Pipeline(pipeline.config, registry=pipeline.registry).to(runtime.device)
        self.ema = EMA(self.pipeline, shadow, config.ema_decay, config.ema_warmup)
        self.optimizer = make_optimizer(self.pipeline, config)
        self.train_step = TrainStep(self.pipeline, self.optimizer, self.ema, self.classes, config, runtime)
        self.state = ckpt.TrainingState(
            world_size=runtime.world_size, batch_size=config.batch_size, dataset_size=len(train_set)
        )
        self.log: MetricsLog | None = None
        self.saved_step: int | None = None
        self.last_checkpoint: Path | None = None
        self.validated_step: int | None = None
        self.sampled_step: int | None = None
        self.resumed_from: Path | None = None

    # -- set-up ----------------------------------------------------------------------------------
    def _resume(self, resume: str | Path | None) -> bool:
        """Load the checkpoint ``resume`` points at; True when training continues from one."""
        if resume is None:
            existing = ckpt.step_checkpoints(self.out_dir)
            if existing:
                raise ConfigError(
                    f"{self.out_dir} already holds checkpoints ({existing[0].name}, …); continue that run with "
                    "resume='auto' (--resume auto on the command line), or train into another folder"
                )
            return False
        if resume == "auto":
            checkpoint = ckpt.newest_valid(self.out_dir, warn=self._warn)
            if checkpoint is None:
                return False
        else:
            checkpoint = ckpt.load_checkpoint(Path(resume))
        saved = checkpoint.state
        ckpt.check_within_steps(checkpoint, self.config.steps)
        ckpt.restore_weights(checkpoint, self.pipeline, self.ema.shadow)
        ckpt.restore_optimizer(checkpoint, self.pipeline, self.optimizer)
        for group in self.optimizer.param_groups:  # the current config's hyper-parameters win
            group.update(lr=self.config.lr, betas=self.config.betas, weight_decay=self.config.weight_decay)
        self.ema.updates = saved.ema_updates
        if (saved.world_size, saved.batch_size, saved.dataset_size) != (
            self.runtime.world_size,
            self.config.batch_size,
            len(self.train_set),
        ):
            self._warn(
                f"{checkpoint.path.name} was written with world size {saved.world_size}, batch size "
                f"{saved.batch_size} and {saved.dataset_size} training clips; this run has "
                f"{self.runtime.world_size}, {self.config.batch_size} and {len(self.train_set)}: training "
                "continues, but not along exactly the trajectory of an uninterrupted run"
            )
        self.state = ckpt.TrainingState(
            step=saved.step,
            epoch=saved.epoch,
            position=min(saved.position, len(self.train_set) - 1),
            ema_updates=saved.ema_updates,
            best_valid_loss=saved.best_valid_loss,
            best_step=saved.best_step,
            world_size=self.runtime.world_size,
            batch_size=self.config.batch_size,
            dataset_size=len(self.train_set),
        )
        if self.runtime.rank < len(checkpoint.rng):
            snapshot = checkpoint.rng[self.runtime.rank]
            try:
                restore_global_rng(snapshot.tensors, snapshot.states, self.runtime.device)
            except (KeyError, TypeError, ValueError, RuntimeError) as error:
                raise CheckpointError(
                    f"{checkpoint.path}: its RNG state for rank {self.runtime.rank} cannot be restored ({error})"
                ) from None
        self.saved_step = self.validated_step = self.sampled_step = saved.step
        self.last_checkpoint = checkpoint.path
        self.resumed_from = checkpoint.path
        return True

    # -- the run ---------------------------------------------------------------------------------
    def run(self, resume: str | Path | None = None) -> TrainResult:
        """Train to ``config.steps`` (or until stopped) and return where the run ended."""
        resumed = self._resume(resume)
        removed = self._remove_temporaries()  # only once the folder is known to be this run's
        config, runtime, state = self.config, self.runtime, self.state
        if runtime.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            truncate_after(self.out_dir / METRICS_NAME, state.step if resumed else -1)
            self.log = MetricsLog(self.out_dir, config.tensorboard, purge_step=state.step if resumed else None)
        plan = BatchPlan(
            self.train_set,
            config.batch_size,
            self.length,
            config.seed,
            runtime.rank,
            runtime.world_size,
            start_step=state.step,
            start=Cursor(state.epoch, state.position),
            conditions=self.train_source.raw,
        )
        validation = None
        no_validation = self._no_validation_reason()
        if no_validation is None:
            clips = config.valid_batches * config.batch_size
            validation = Validation(
                self.valid_set,
                clips,
                self.length,
                config.valid_sigmas,
                config.batch_size,
                runtime,
                conditions=self.valid_source.raw if self.valid_source is not None else None,
            )
        work = training_work(self.pipeline, self.train_source.raw, config.batch_size, self.length, runtime.autocast)
        self.threads = use_threads(work, announce=runtime.is_main)
        self.estimate = training_estimate(
            work, self.threads, config.steps - state.step, TRAIN_STEP_OVERHEAD, self._validation_work(validation)
        )
        if self.estimate is not None and runtime.is_main:
            _say(self.estimate.line())
        self.started = time.perf_counter()
        self._record({**self._start_record(resumed), "removed_temporaries": removed})
        if no_validation is not None and config.valid_every > 0:
            self._warn(f"no validation: {no_validation}, so no validation loss is logged and no best.safetensors kept")
        interrupted = False
        stop = StopRequest()
        try:
            with (
                stop,
                ProgressBar(config.steps, state.step, config.progress and runtime.is_main) as bar,
            ):
                if validation is not None and not resumed:
                    self._validate(validation)
                interrupted = self._loop(plan, validation, stop, bar)
            self._finish(validation, interrupted)
        except TrainingDiverged as error:
            self._record({"kind": "diverged", "step": self.state.step, "message": str(error)})
            self._plot()
            raise TrainingDiverged(
                f"{error} Last good checkpoint: {self.last_checkpoint or 'none written yet'}."
            ) from None
        finally:
            if self.log is not None:
                self.log.close()
        best = self.out_dir / ckpt.CHECKPOINT_DIR / ckpt.BEST_NAME
        return TrainResult(
            out_dir=self.out_dir,
            step=self.state.step,
            interrupted=interrupted,
            model_path=self.out_dir / ckpt.MODEL_NAME if self.saved_step is not None else None,
            last_checkpoint=self.last_checkpoint,
            best_checkpoint=best if best.is_file() else None,
            best_valid_loss=self.state.best_valid_loss,
            metrics_path=self.out_dir / METRICS_NAME,
            ema=self.ema.shadow,
            signal=stop.signal_name if interrupted else None,
        )

    def _validation_work(self, validation: Validation | None) -> tuple[Any, int] | None:
        """One validation batch's forward and how many the rest of the run makes (for the time estimate)."""
        if validation is None:
            return None
        config, step = self.config, self.state.step
        passes = (0 if step else 1) + (config.steps // config.valid_every - step // config.valid_every)
        passes += 0 if config.steps % config.valid_every == 0 else 1  # the final validation
        batches = -(-len(validation.items) // config.batch_size) * validation.levels
        work = training_work(
            self.pipeline, self.train_source.raw, config.batch_size, self.length, self.runtime.autocast, False
        )
        return work, passes * batches

    def _no_validation_reason(self) -> str | None:
        """Why this run has no validation loss, or None when it has one."""
        if self.config.valid_every == 0:
            return "train.valid_every is 0"
        if self.valid_set is None:
            return "no validation set was given"
        if len(self.valid_set) == 0:
            return (
                "the validation set is empty (with a held-out fraction, each class needs enough files to give "
                "one away; add files or set the dataset's valid_fraction)"
            )
        return None

    def _remove_temporaries(self) -> list[str]:
        """Delete the temporary files of atomic writes that a killed run left behind (rank 0); their names."""
        if not self.runtime.is_main:
            return []
        removed = []
        for folder in (self.out_dir, self.out_dir / ckpt.CHECKPOINT_DIR):
            removed += [path.name for path in remove_stale_temporaries(folder)]
        return removed

    def _loop(self, plan: BatchPlan, validation: Validation | None, stop: StopRequest, bar: ProgressBar) -> bool:
        """Steps until ``config.steps``; True when a signal ended the run early."""
        config, state = self.config, self.state
        window: list[float] = []
        window_time = 0.0
        tick = time.perf_counter()
        loader = batches(plan, state.step, config.steps, config.num_workers, self.runtime.device.type == "cuda")
        outcome = None
        for step, (audio, labels) in zip(range(state.step, config.steps), loader, strict=True):
            outcome = self.train_step(step, audio, labels, stop.requested)
            cursor = plan.cursor_after(step + 1)
            state.step, state.epoch, state.position = step + 1, cursor.epoch, cursor.position
            state.ema_updates = self.ema.updates
            window.append(outcome.loss)
            window_time += time.perf_counter() - tick
            if state.step % config.log_every == 0:
                window, window_time = self._log_window(window, window_time, outcome, bar)
            if validation is not None and state.step % config.valid_every == 0:
                self._validate(validation)
            if config.sample_every and state.step % config.sample_every == 0:
                self._samples()
            # ranks agree on stopping through the step's all-reduce; a lone process also sees late signals
            stopping = outcome.stop or (stop.requested and not self.runtime.distributed)
            if stopping and window:
                window, window_time = self._log_window(window, window_time, outcome, bar)
            if state.step % config.checkpoint_every == 0 or stopping:
                self._checkpoint()
            if stopping:
                self._record({"kind": "stop", "step": state.step, "signal": stop.signal_name})
                return True
            tick = time.perf_counter()
        if window and outcome is not None:
            self._log_window(window, window_time, outcome, bar)
        return False

    def _log_window(
        self, window: list[float], seconds: float, outcome: StepOutcome, bar: ProgressBar
    ) -> tuple[list[float], float]:
        """Write the train record of the steps since the last one; returns an empty window."""
        rate = len(window) / max(seconds, 1e-9)
        self._record(self._train_record(window, outcome.grad_norm, outcome.ema_decay, rate))
        for change in load_watch.new_changes():  # the load watch changed the thread count in this window
            threads = {"threads": change.threads, "busy_elsewhere": round(change.busy_elsewhere, 3)}
            self._record({"kind": "threads", "step": self.state.step, **threads})
        bar.update(self.state.step, sum(window) / len(window), rate)
        return [], 0.0

    def _finish(self, validation: Validation | None, interrupted: bool) -> None:
        """Final validation, samples, checkpoint, model file and loss curve (each only if not done at this step)."""
        step = self.state.step
        if not interrupted:
            if validation is not None and self.validated_step != step:
                self._validate(validation)
            if self.config.sample_every and self.sampled_step != step:
                self._samples()
            if self.saved_step != step:
                self._checkpoint()
            elif self.runtime.is_main and not (self.out_dir / ckpt.MODEL_NAME).is_file():
                self._save_model(step)  # a finished run resumed after its model file was removed
        if self.runtime.is_main:
            self._plot()
        seconds = time.perf_counter() - self.started
        self._record({"kind": "end", "step": step, "interrupted": interrupted, "seconds": seconds})
        if self.estimate is not None and self.runtime.is_main and not interrupted:
            _say(self.estimate.check(seconds))

    # -- periodic work ---------------------------------------------------------------------------
    def _validate(self, validation: Validation) -> None:
        result = validation(self.ema.shadow, list(self.valid_set.classes))
        step = self.state.step
        improved = step > 0 and ckpt.is_improvement(result.loss, self.state.best_valid_loss)
        if improved:
            self.state.best_valid_loss, self.state.best_step = result.loss, step
        self.validated_step = step
        record = {
            "kind": "valid",
            "step": step,
            "loss": result.loss,
            "best": improved,
            "clips": result.clips,
            "sigmas": result.sigmas,
            "loss_by_sigma": result.by_sigma,
        }
        self._record(record)
        if improved:
            self._save(self.out_dir / ckpt.CHECKPOINT_DIR / ckpt.BEST_NAME)

    def _samples(self) -> None:
        """Write the preview clips of this step and, with ``preview_metrics``, log how they score (rank 0)."""
        self.sampled_step = self.state.step
        if self.runtime.is_main:
            for record in self.previews(self.state.step, self.ema.shadow):
                self._record(record)

    def _checkpoint(self) -> None:
        step = self.state.step
        path = ckpt.step_path(self.out_dir, step)
        self._save(path)
        self.saved_step, self.last_checkpoint = step, path
        if self.runtime.is_main:
            deleted = ckpt.prune(self.out_dir, self.config.keep_last)
            self._save_model(step)
            self._plot()
            self._record({"kind": "checkpoint", "step": step, "path": str(path), "deleted": [p.name for p in deleted]})
        self.runtime.barrier()

    def _save_model(self, step: int) -> None:
        """Write ``model.safetensors`` (EMA weights, ready for Pipeline.load); rank 0 only."""
        model_meta = {"diffkit.step": str(step), "diffkit.classes": json.dumps(self.classes), **self.extra_metadata}
        self.ema.shadow.save(self.out_dir / ckpt.MODEL_NAME, model_meta)

    def _save(self, path: Path) -> None:
        """Write a full checkpoint at ``path`` (collective: every rank contributes its RNG states)."""
        tensors, states = capture_global_rng(self.runtime.device)
        snapshots = [ckpt.RngSnapshot(tensors, states)]
        if self.runtime.distributed:
            gathered: list[Any] = [None] * self.runtime.world_size
            dist.all_gather_object(gathered, snapshots[0])
            snapshots = gathered
        if self.runtime.is_main:
            ckpt.save_checkpoint(
                path,
                pipeline=self.pipeline,
                ema_model=self.ema.shadow,
                optimizer=self.optimizer,
                state=self.state,
                train_config_json=self.config.model_dump_json(),
                classes=self.classes,
                rng=snapshots,
                extra_metadata=self.extra_metadata,
            )

    # -- records ---------------------------------------------------------------------------------
    def _start_record(self, resumed: bool) -> dict[str, Any]:
        return {
            "kind": "start",
            "step": self.state.step,
            "resumed_from": str(self.resumed_from) if resumed else None,
            "world_size": self.runtime.world_size,
            "device": str(self.runtime.device),
            "precision": self.runtime.precision,
            "parameters": sum(p.numel() for p in self.pipeline.parameters()),
            "train_clips": len(self.train_set),
            "valid_clips": len(self.valid_set) if self.valid_set is not None else 0,
            "clip_samples": self.length,
            "threads": self.threads.record(),
            **(self.estimate.record() if self.estimate is not None else {}),
            "config": self.config.model_dump(mode="json"),
        }

    def _train_record(self, window: list[float], grad_norm: float, decay: float, rate: float) -> dict[str, Any]:
        return {
            "kind": "train",
            "step": self.state.step,
            "epoch": self.state.epoch,
            "loss": sum(window) / len(window),
            "window": len(window),
            "grad_norm": grad_norm,
            "lr": self.optimizer.param_groups[0]["lr"],
            "ema_decay": decay,
            "steps_per_sec": rate,
            "time": time.time(),
        }

    def _record(self, record: dict[str, Any]) -> None:
        if self.log is None:
            return
        written = self.log.write(record)
        for callback in self.callbacks:
            callback(written)

    def _warn(self, message: str) -> None:
        if self.runtime.is_main:
            warnings.warn(message, TrainingWarning, stacklevel=3)
            self._record({"kind": "warning", "step": self.state.step, "message": message})

    def _plot(self) -> None:
        if self.runtime.is_main:
            plot_loss_curve(read_metrics(self.out_dir / METRICS_NAME), self.out_dir / LOSS_CURVE_NAME)


def _say(line: str) -> None:
    """One plain line on stderr (the estimate and how it compared)."""
    print(line, file=sys.stderr, flush=True)
