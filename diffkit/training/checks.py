"""Checks run before training starts: the data and metadata must fit the pipeline and the checkpoint format."""

from __future__ import annotations

from diffkit.condition_records.source import ConditionSource
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
    """The data must fit the pipeline: rate, channels and class lists (conditions: :func:`check_conditions`)."""
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


#: Raw conditions encoded per call while checking a whole dataset.
CHECK_CHUNK = 1024


def check_conditions(pipeline: Pipeline, source: ConditionSource, dataset: Dataset, name: str = "training") -> None:
    """Every item's condition must be one the conditioner can encode (labels it knows, values it accepts)."""
    for first in range(0, source.size, CHECK_CHUNK):
        try:
            pipeline.conditioner.prepare(source.raw[first : first + CHECK_CHUNK])
        except ConditionError as error:
            if source.reads == ("label",):
                what = f"classes ({', '.join(dataset.classes)})"
            else:
                what = f"condition records (e.g. {source.record(first)})"
            owner = "dataset's" if name == "training" else f"{name} set's"
            raise ConfigError(f"the conditioner cannot encode the {owner} {what}: {error}") from None


def check_preview_conditions(pipeline: Pipeline, conditions: list | None) -> None:
    """``train.preview_conditions`` must be records the conditioner can encode (checked before the first step)."""
    if not conditions:
        return
    from diffkit.condition_records import to_records

    try:
        pipeline.encode(to_records(conditions, "train.preview_conditions"))
    except ConditionError as error:
        raise ConfigError(f"train.preview_conditions: {error}") from None
