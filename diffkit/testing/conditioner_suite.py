"""The property suite every conditioner passes — diffkit's own and any plugin's.

One subclass runs it for a registered conditioner (pytest collects the ``test_*`` methods)::

    from diffkit.testing import ConditionerSuite

    class TestMyConditioner(ConditionerSuite):
        name = "my-conditioner"       # built from its ComponentSpec's example config
        records = [{"pitch": 440.0}, {"pitch": 220.0}]   # optional: default = its default/example conditions

What it checks: the conformance check; the shape contract (``[B, dim]`` finite float rows for any batch size, the
null rows too); determinism and batch independence of the encoding; classifier-free dropout (each row kept or
replaced by the null row, at the configured rate, reproducibly for one generator); records that survive a JSON
round trip and a rebuilt conditioner loading the saved weights; and missing values — a record whose every field is
``None`` ("no value") encodes as the null row, and a record with some fields missing still encodes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest
import torch

from diffkit.condition_records import raw_conditions, reads, to_records
from diffkit.condition_records.adapter import default_conditions
from diffkit.testing.conformance import _example_conditions, build_example, check_conditioner


class ConditionerSuite:
    """Property tests for one conditioner; subclass as ``TestX`` and set ``name`` (see the module docstring)."""

    #: Registered conditioner name.
    name: ClassVar[str] = ""
    #: Its config (default: the spec's ``example``).
    options: ClassVar[dict[str, Any] | None] = None
    #: Condition records to encode; ``None`` = its ``default_conditions()`` or records made of its example conditions.
    records: ClassVar[list[dict[str, Any]] | None] = None
    #: Whether it accepts missing values (``None``); ``False`` skips that test (and says so).
    supports_missing: ClassVar[bool] = True

    def make_conditioner(self) -> Any:
        """The conditioner under test, in eval mode (override to test an unregistered one)."""
        from diffkit.registry import get_registry

        spec = get_registry().get("conditioner", self.name)
        conditioner = (
            build_example(spec)
            if self.options is None
            else get_registry().build("conditioner", self.name, self.options)
        )
        return conditioner.eval()

    @property
    def label(self) -> str:
        return self.name or type(self).__name__

    def example_records(self, conditioner: Any) -> list[dict[str, Any]]:
        """The records every test encodes (at least two)."""
        if self.records is not None:
            return to_records(self.records, f"{self.label}.records")
        found = default_conditions(conditioner)
        if not found:
            fields = reads(conditioner)
            found = [
                dict(item) if isinstance(item, Mapping) else {fields[0]: item}
                for item in _example_conditions(conditioner)
                if isinstance(item, Mapping) or len(fields) == 1
            ]
        assert len(found) >= 2, f"{self.label}: give the suite at least two `records` to encode"
        return to_records(found, f"{self.label} example records")

    def encode(self, conditioner: Any, records: list[Any]) -> torch.Tensor:
        """Records → condition vectors, as the pipeline encodes them."""
        with torch.no_grad():
            return conditioner(conditioner.prepare(raw_conditions(conditioner, records)))

    # -- contracts -----------------------------------------------------------------------------------------------
    def test_conformance(self) -> None:
        """Its kind's conformance check (``check_conditioner``)."""
        from diffkit.registry import get_registry

        spec = get_registry().get("conditioner", self.name) if self.name else None
        conditioner = self.make_conditioner()
        check_conditioner(conditioner, spec.example_conditions if spec is not None else None)

    def test_shape_contract(self) -> None:
        """``[B, dim]`` finite floating rows for batches of 1, B and 3B; ``null(B)`` the same shape."""
        conditioner = self.make_conditioner()
        records = self.example_records(conditioner)
        for batch in (records[:1], records, records * 3):
            vectors = self.encode(conditioner, batch)
            assert vectors.shape == (len(batch), conditioner.dim), (
                f"{self.label}: {len(batch)} records gave vectors of shape {tuple(vectors.shape)}, "
                f"expected ({len(batch)}, {conditioner.dim})"
            )
            assert vectors.is_floating_point() and torch.isfinite(vectors).all(), f"{self.label}: non-finite vectors"
            assert conditioner.null(len(batch)).shape == vectors.shape, f"{self.label}: null(B) has another shape"

    def test_determinism_and_batch_independence(self) -> None:
        """The same records encode identically, and a record's vector does not depend on its batch neighbours."""
        conditioner = self.make_conditioner()
        records = self.example_records(conditioner)
        together = self.encode(conditioner, records)
        assert torch.equal(together, self.encode(conditioner, records)), f"{self.label}: encoding is not repeatable"
        for index, record in enumerate(records):
            alone = self.encode(conditioner, [record])[0]
            assert torch.allclose(alone, together[index], rtol=1e-5, atol=1e-6), (
                f"{self.label}: record {record} encodes differently alone and in a batch"
            )

    def test_null_and_drop(self) -> None:
        """``drop`` keeps each row or replaces it by the null row, at rate ``config.dropout``, reproducibly."""
        conditioner = self.make_conditioner()
        records = self.example_records(conditioner)
        many = records * max(1, 400 // len(records))
        cond = self.encode(conditioner, many)
        null = conditioner.null(len(many))
        dropped = conditioner.drop(cond, torch.Generator().manual_seed(0))
        again = conditioner.drop(cond, torch.Generator().manual_seed(0))
        assert torch.equal(dropped, again), f"{self.label}: drop() with one generator seed is not reproducible"
        nulled = [bool(torch.equal(row, empty)) for row, empty in zip(dropped, null, strict=True)]
        for row, kept, is_null in zip(dropped, cond, nulled, strict=True):
            assert is_null or torch.equal(row, kept), f"{self.label}: drop() changed a row without nulling it"
        rate = getattr(getattr(conditioner, "config", None), "dropout", None)
        if rate is not None:
            n = len(many)
            observed = sum(nulled) / n
            slack = 5 * math.sqrt(max(rate * (1 - rate), 1e-12) / n) + 1e-9
            assert abs(observed - rate) <= slack, (
                f"{self.label}: drop() nulled {observed:.3f} of {n} rows, its config says dropout = {rate}"
            )

    def test_record_round_trip(self) -> None:
        """Records survive JSON (as sidecars store them) unchanged in meaning, and a conditioner rebuilt from its
        config that loads the saved weights encodes them identically; its metadata is JSON."""
        conditioner = self.make_conditioner()
        records = self.example_records(conditioner)
        through_json = json.loads(json.dumps(records))
        assert torch.equal(self.encode(conditioner, records), self.encode(conditioner, through_json)), (
            f"{self.label}: records encode differently after a JSON round trip"
        )
        json.dumps(conditioner.metadata())
        with torch.no_grad():
            for parameter in conditioner.parameters():  # weights away from their initial values
                parameter.add_(0.01 * torch.randn(parameter.shape, generator=torch.Generator().manual_seed(1)))
        rebuilt = type(conditioner)(conditioner.config).eval() if hasattr(conditioner, "config") else None
        if rebuilt is not None:
            rebuilt.load_state_dict(conditioner.state_dict())
            assert torch.allclose(self.encode(rebuilt, records), self.encode(conditioner, records)), (
                f"{self.label}: a conditioner rebuilt from its config with the saved weights encodes differently"
            )

    def test_missing_values(self) -> None:
        """A record whose every field is ``None`` ("no value") encodes as the null row; one field missing of
        several still encodes to finite rows; ``None`` never raises."""
        if not self.supports_missing:
            pytest.skip(f"{self.label} does not accept missing values (supports_missing = False)")
        conditioner = self.make_conditioner()
        records = self.example_records(conditioner)
        fields = reads(conditioner)
        with torch.no_grad():  # a null token learned away from the initial zeros, so the check can tell them apart
            null_token = getattr(conditioner, "null_token", None)
            if isinstance(null_token, torch.Tensor):
                null_token.add_(0.5)
        empty = {field: None for field in fields}
        vectors = self.encode(conditioner, [empty, *records])
        assert torch.allclose(vectors[0], conditioner.null(1)[0]), (
            f"{self.label}: the record {empty} (no value at all) does not encode as the null row; map a missing "
            "condition to the null token (NullTokenMixin.null_where)"
        )
        if len(fields) > 1:
            partial = [{**record, fields[0]: None} for record in records if any(f != fields[0] for f in record)]
            if partial:
                assert torch.isfinite(self.encode(conditioner, partial)).all(), f"{self.label}: {partial[0]}"
