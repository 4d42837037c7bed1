"""Resuming a run: the checkpoint to continue from, loaded into a trainer (weights, optimiser, data order, RNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from diffkit.errors import CheckpointError, ConfigError
from diffkit.pipeline.probe import check_finite_output
from diffkit.training import checkpoint as ckpt
from diffkit.training.seeding import restore_global_rng


def resume_run(self: Any, resume: str | Path | None) -> bool:
    """Load the checkpoint ``resume`` points at into the trainer ``self`` (weights, EMA, optimiser, data position,
    RNG states); True when training continues from one."""
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
    check_finite_output(self.pipeline, str(checkpoint.path), "training weights")
    check_finite_output(self.ema.shadow, str(checkpoint.path), "EMA weights")
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
