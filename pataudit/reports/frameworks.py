"""Framework views: each requirement's status from its controls, and thresholds weaker than it allows."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pataudit.run_result import RunResult


def requirement_status(rows: pd.DataFrame) -> str:
    """FAIL if any mapped control fails, else ERROR if any errored, else PASS if anything was tested."""
    if rows.empty:
        return "NOT TESTED"
    if rows["fail"].sum():
        return "FAIL"
    if rows["error"].sum():
        return "ERROR"
    return "PASS" if (rows["pass"].sum() + rows["waived"].sum()) else "NOT TESTED"


def weaker_thresholds(result: RunResult, limits: dict[str, dict[str, float]]) -> list[str]:
    """Sentences for every configured threshold (or per-kind override) weaker than the requirement's."""
    found = []
    for control_id, params in limits.items():
        control = result.catalog.controls[control_id]
        resolved = result.params[control_id]
        for name, required in params.items():
            stricter_is_lower = control.parameters[name].stricter == "lower"
            settings = [("", resolved.values[name])] + [
                (f" for {kind}", values[name]) for kind, values in resolved.overrides.items() if name in values
            ]
            for where, value in settings:
                weaker = value > required if stricter_is_lower else value < required
                if weaker:
                    found.append(f"{control_id}.{name}{where} = {value:g}, weaker than the required {required:g}")
    return found


def framework_views(result: RunResult) -> list[dict[str, Any]]:
    """For every framework, each requirement with its controls, status and any weaker thresholds."""
    scores = result.scores.set_index("control_id")
    views = []
    for framework in result.catalog.frameworks.values():
        requirements = []
        for req in framework.requirements:
            mapped = [c for c in req.controls if c in scores.index]
            rows = scores.loc[mapped]
            requirements.append({
                "id": req.id, "title": req.title, "controls": req.controls,
                "status": requirement_status(rows),
                "fail": int(rows["fail"].sum()) if mapped else 0,
                "weaker": weaker_thresholds(result, req.thresholds),
            })  # fmt: skip
        views.append({"id": framework.id, "name": framework.name, "short_name": framework.short_name,
                      "requirements": requirements})  # fmt: skip
    return views
