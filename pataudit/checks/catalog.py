"""Loading the control catalog and framework maps from their YAML files, strictly validated."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pataudit.config import Severity, describe_validation_error
from pataudit.errors import ControlDefinitionError

HERE = Path(__file__).parent
CONTROLS_DIR = HERE / "controls"
FRAMEWORKS_DIR = HERE / "frameworks"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(_Strict):
    """A control threshold: its default, unit and which direction is stricter."""

    default: float | int
    description: str
    unit: str = "days"
    stricter: Literal["lower", "higher"] = "lower"
    minimum: float = 0


class Control(_Strict):
    """One control: what it checks, how, against which thresholds, and how to fix a failure."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]+$")]
    title: str
    objective: str
    severity: Severity
    predicate: str
    applies_to: list[str] | Literal["all"]
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    test_procedure: str
    remediation: str
    other_references: list[str] = Field(default_factory=list)

    def procedure_text(self, params: dict[str, Any]) -> str:
        """The test procedure with the thresholds actually used filled in."""
        return self.test_procedure.format(**{k: _number(v) for k, v in params.items()})


class Requirement(_Strict):
    """One requirement of a framework, the controls that test it and the strictest thresholds it allows."""

    id: str
    title: str
    controls: Annotated[list[str], Field(min_length=1)]
    thresholds: dict[str, dict[str, float | int]] = Field(default_factory=dict)


class Framework(_Strict):
    """A compliance framework (CIS, SOC 2, ISO 27001, NIST 800-53, PCI DSS) mapped onto controls."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_.]+$")]
    name: str
    short_name: str
    requirements: Annotated[list[Requirement], Field(min_length=1)]


class Catalog(BaseModel):
    """All controls and frameworks, cross-checked."""

    model_config = ConfigDict(frozen=True)

    controls: dict[str, Control]
    frameworks: dict[str, Framework]

    def references(self, control_id: str) -> list[str]:
        """`CIS AWS 3.0 1.14`-style references of a control, derived from the framework maps."""
        refs = [
            f"{fw.short_name} {req.id}"
            for fw in self.frameworks.values()
            for req in fw.requirements
            if control_id in req.controls
        ]
        return refs + list(self.controls[control_id].other_references)


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ControlDefinitionError(f"{path.name}: cannot be read: {exc}") from None


def _load_model(path: Path, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(_load_yaml(path))
    except ValidationError as exc:
        raise ControlDefinitionError(f"{path.name}: {describe_validation_error(exc)}") from None


def load_catalog(controls_dir: Path = CONTROLS_DIR, frameworks_dir: Path = FRAMEWORKS_DIR) -> Catalog:
    """Load and cross-check every control and framework file."""
    from pataudit.checks.predicates import PREDICATES

    controls: dict[str, Control] = {}
    for path in sorted(controls_dir.glob("*.yaml")):
        control: Control = _load_model(path, Control)
        if path.stem != control.id:
            raise ControlDefinitionError(f"{path.name}: id {control.id!r} does not match the file name")
        if control.predicate not in PREDICATES:
            raise ControlDefinitionError(f"{path.name}: predicate {control.predicate!r} is not registered")
        try:
            control.procedure_text({k: p.default for k, p in control.parameters.items()})
        except (KeyError, IndexError, ValueError) as exc:
            raise ControlDefinitionError(f"{path.name}: test_procedure names unknown parameter {exc}") from None
        controls[control.id] = control
    frameworks: dict[str, Framework] = {}
    for path in sorted(frameworks_dir.glob("*.yaml")):
        framework: Framework = _load_model(path, Framework)
        for req in framework.requirements:
            for control_id in req.controls:
                if control_id not in controls:
                    raise ControlDefinitionError(f"{path.name}: {req.id} names unknown control {control_id!r}")
            for control_id, limits in req.thresholds.items():
                unknown = set(limits) - set(controls[control_id].parameters) if control_id in controls else {"?"}
                if control_id not in req.controls or unknown:
                    raise ControlDefinitionError(f"{path.name}: {req.id} threshold for {control_id} is invalid")
        frameworks[framework.id] = framework
    return Catalog(controls=controls, frameworks=frameworks)


@cache
def default_catalog() -> Catalog:
    """The catalog shipped with pataudit (loaded once)."""
    return load_catalog()


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value
