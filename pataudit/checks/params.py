"""Control parameters: catalog defaults, the policy's values and per-kind overrides, checked once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pataudit.checks.catalog import Catalog, Control
from pataudit.config import Policy
from pataudit.errors import ConfigError


@dataclass(frozen=True)
class ResolvedParams:
    """The thresholds one control runs with."""

    values: dict[str, float]
    overrides: dict[str, dict[str, float]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> float:
        return self.values[name]

    def per_row(self, name: str, kinds: pd.Series) -> np.ndarray:
        """The parameter for each row, taking a per-kind override where the policy sets one."""
        result = np.full(len(kinds), float(self.values[name]))
        for kind, params in self.overrides.items():
            if name in params:
                result[(kinds == kind).to_numpy()] = float(params[name])
        return result


def resolve_params(catalog: Catalog, policy: Policy) -> dict[str, ResolvedParams]:
    """Thresholds for every control; raises ConfigError naming the key for anything invalid."""
    for control_id in policy.controls:
        if control_id not in catalog.controls:
            raise ConfigError(f"policy.controls.{control_id}: unknown control; `pataudit controls` lists the valid ids")
    resolved = {}
    for control_id, control in catalog.controls.items():
        settings = policy.controls.get(control_id)
        values = {name: p.default for name, p in control.parameters.items()}
        overrides: dict[str, dict[str, float]] = {}
        if settings:
            where = f"policy.controls.{control_id}"
            values.update(_checked(control, settings.params, f"{where}.params"))
            for kind, params in settings.overrides.items():
                if control.applies_to != "all" and kind not in control.applies_to:
                    raise ConfigError(
                        f"{where}.overrides.{kind}: {control_id} does not apply to {kind!r}; "
                        f"it applies to {', '.join(control.applies_to)}"
                    )
                overrides[kind] = _checked(control, params, f"{where}.overrides.{kind}")
        resolved[control_id] = ResolvedParams(values=values, overrides=overrides)
    return resolved


def _checked(control: Control, params: dict[str, Any], where: str) -> dict[str, float]:
    checked = {}
    for name, value in params.items():
        spec = control.parameters.get(name)
        if spec is None:
            known = ", ".join(control.parameters) or "no parameters"
            raise ConfigError(f"{where}.{name}: unknown parameter; {control.id} takes {known}")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < spec.minimum:
            raise ConfigError(f"{where}.{name}: must be a number of {spec.unit} ≥ {spec.minimum:g}, got {value!r}")
        checked[name] = value
    return checked
