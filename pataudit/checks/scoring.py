"""Scores: per control, the share of tested tokens that comply; overall, a severity-weighted mean.

Method (also printed in the report):
- control score = (PASS + WAIVED) / (PASS + FAIL + WAIVED) × 100, rounded to one decimal;
  ERROR and NOT_APPLICABLE findings are outside the denominator. A control with nothing tested has
  no score, and a control with any ERROR is marked incomplete.
- overall score = mean of the control scores weighted by severity (low 1, medium 2, high 3,
  critical 4), over controls that have a score.
"""

from __future__ import annotations

import pandas as pd

from pataudit.checks.catalog import Catalog
from pataudit.checks.outcome import STATUSES

SEVERITY_WEIGHTS = {"low": 1, "medium": 2, "high": 3, "critical": 4}
COUNT_COLUMNS = ("pass", "fail", "waived", "error", "not_applicable")


def control_scores(findings: pd.DataFrame, catalog: Catalog, control_ids: list[str]) -> pd.DataFrame:
    """One row per control: population, counts by status, score and severity."""
    counts = (
        findings.groupby(["control_id", "status"], observed=False).size().unstack(fill_value=0)
        if len(findings)
        else pd.DataFrame(0, index=pd.Index([], name="control_id"), columns=list(STATUSES))
    )
    counts = counts.reindex(index=control_ids, columns=list(STATUSES), fill_value=0)
    counts.columns = list(COUNT_COLUMNS)
    table = counts.reset_index(names="control_id")
    tested = table["pass"] + table["fail"] + table["waived"]
    table["population"] = table[list(COUNT_COLUMNS)].sum(axis=1)
    table["score"] = ((table["pass"] + table["waived"]) / tested.where(tested > 0) * 100).round(1)
    table["severity"] = [catalog.controls[c].severity for c in control_ids]
    table["title"] = [catalog.controls[c].title for c in control_ids]
    table["complete"] = table["error"] == 0
    columns = ["control_id", "title", "severity", "population", *COUNT_COLUMNS, "score", "complete"]
    return table[columns]


def overall_score(scores: pd.DataFrame) -> float | None:
    """The severity-weighted mean of the control scores, or None when no control has a score."""
    scored = scores.dropna(subset=["score"])
    if scored.empty:
        return None
    weights = scored["severity"].map(SEVERITY_WEIGHTS)
    return round(float((scored["score"] * weights).sum() / weights.sum()), 1)
