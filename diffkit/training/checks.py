"""Checks run before training starts: the data and metadata must fit the pipeline and the checkpoint format."""

from __future__ import annotations

from diffkit.datasets import Dataset
from diffkit.errors import ConditionError, ConfigError
from diffkit.pipeline import Pipeline
from diffkit.training import checkpoint as ckpt


def check_metadata(extra: dict[str, str] | None) -> dict[str, str]:
    """Extra checkpoint metadata must be strings and must not overwrite the trainer's own keys."""
    extra = dict(extra or {})
    bad = sorted(key for key, value in extra.items() if not isinstance(key, str) or not isinstance(value, str))
    if bad:
        raise ConfigError(f"extra_metadata values must be strings (JSON-encode them); offending keys: {bad}")
    clash = sorted(set(extra) & ckpt.RESERVED_KEYS)
    if clash:
        raise ConfigError(f"extra_metadata may not set the keys the trainer writes itself: {clash}")
    return extra


def check_data(pipeline: Pipeline, train_set: Dataset, valid_set: Dataset | None) -> None:
    """The data must fit the pipeline: rate, channels, and class names the conditioner knows."""
    if len(train_set) == 0:
        raise ConfigError("the training set is empty; check the dataset path and split settings")
    for name, dataset in (("training", train_set), ("validation", valid_set)):
        if dataset is None:
            continue
        if dataset.sample_rate != pipeline.sample_rate:
            raise ConfigError(
                f"the {name} set is at {dataset.sample_rate} Hz but the pipeline models {pipeline.sample_rate} Hz; "
                "build the dataset with sample_rate=pipeline.sample_rate"
            )
        if list(dataset.classes) != list(train_set.classes):
            raise ConfigError(f"the {name} set's classes {dataset.classes} differ from the training set's")
    channels = train_set[0].audio.shape[0]
    if channels != pipeline.channels:
        raise ConfigError(f"the training clips have {channels} channel(s) but the pipeline models {pipeline.channels}")
    try:  # every class name must be a condition the conditioner can encode (labels, tag lists, ...)
        pipeline.conditioner.prepare(list(train_set.classes))
    except ConditionError as error:
        raise ConfigError(
            f"the conditioner cannot encode the dataset's classes ({', '.join(train_set.classes)}): {error}"
        ) from None
