"""Running the catalog over an inventory: findings per control and token, waivers, source errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from pataudit.checks.catalog import Catalog
from pataudit.checks.outcome import ERROR, FAIL, STATUSES, WAIVED
from pataudit.checks.params import ResolvedParams
from pataudit.checks.predicates import PREDICATES
from pataudit.checks.waivers import is_expired, selector_mask
from pataudit.collectors.base import SourceRecord
from pataudit.collectors.registry import kinds_for
from pataudit.config import SEVERITIES, Waiver

FINDING_COLUMNS = ("control_id", "token_id", "status", "reason", "severity", "waiver_id")


@dataclass(frozen=True)
class EngineInput:
    """Everything the engine judges: the inventory, how it was collected, and the policy."""

    inventory: pd.DataFrame
    records: Sequence[SourceRecord]
    catalog: Catalog
    params: dict[str, ResolvedParams]
    waivers: Sequence[Waiver]
    as_of: datetime
    max_evidence_age_hours: float
    enabled: Sequence[str] | None = None


def effective_status(inventory: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """The platform's status, with tokens whose expiry has passed at the as-of time counted as expired."""
    status = inventory["status"].astype(str)
    lapsed = (inventory["expires_at"] <= as_of).fillna(False).to_numpy(dtype=bool) & (status != "revoked")
    return status.where(~lapsed, "expired")


def mark_stale_sources(records: Sequence[SourceRecord], as_of: datetime, max_age_hours: float) -> None:
    """Set `stale_hours` on every record whose data is older than allowed at the as-of time."""
    for record in records:
        record.stale_hours = None
        if record.data_as_of is not None:
            age = (as_of - record.data_as_of).total_seconds() / 3600
            if age > max_age_hours:
                record.stale_hours = age
                record.notes.append(f"data is {age:.0f} hours old at the as-of time (max {max_age_hours:g})")


def evaluate(data: EngineInput) -> pd.DataFrame:
    """All findings of the enabled controls: one row per control and token in its population.

    Rows of a source marked stale (see `mark_stale_sources`) are ERROR; a source's failed scopes add one
    ERROR finding per dependent control.
    """
    as_of = pd.Timestamp(data.as_of)
    inventory = data.inventory.assign(effective_status=effective_status(data.inventory, as_of))
    stale = {
        (record.type, scope): record.stale_hours
        for record in data.records
        if record.stale_hours is not None
        for scope in record.scopes or [record.scope]
    }
    stale_mask, stale_reason = _stale_rows(inventory, stale, data.max_evidence_age_hours)
    control_ids = list(data.enabled or data.catalog.controls)
    dtypes = {
        "control_id": pd.CategoricalDtype(control_ids),
        "status": pd.CategoricalDtype(STATUSES),
        "severity": pd.CategoricalDtype(SEVERITIES),
    }
    token_ids = inventory["token_id"].to_numpy(dtype=object)
    parts = []
    for control_id in control_ids:
        control = data.catalog.controls[control_id]
        population = inventory if control.applies_to == "all" else inventory[inventory["kind"].isin(control.applies_to)]
        outcome = PREDICATES[control.predicate](population, data.params[control_id], as_of)
        status = outcome.status.copy()
        reasons = outcome.reasons()
        waiver_ids = np.full(len(population), "", dtype=object)
        rows = population.index.to_numpy()
        if stale_mask.any():
            reasons, status = _mark_stale(reasons, status, stale_mask[rows], stale_reason[rows])
        for waiver in data.waivers:
            if waiver.control == control_id:
                reasons = _apply_waiver(waiver, population, status, waiver_ids, reasons, data.as_of)
        parts.append(
            pd.DataFrame(
                {
                    "control_id": _constant(control_id, len(population), dtypes["control_id"]),
                    "token_id": token_ids[rows],
                    "status": pd.Categorical.from_codes(status, dtype=dtypes["status"]),
                    "reason": reasons,
                    "severity": _constant(control.severity, len(population), dtypes["severity"]),
                    "waiver_id": waiver_ids,
                }
            )
        )
        errors = _source_errors(control_id, control.severity, control.applies_to, data.records)
        parts.append(errors.astype(dtypes))
    return _concat(parts)


def _constant(value: str, size: int, dtype: pd.CategoricalDtype) -> pd.Categorical:
    return pd.Categorical.from_codes(np.full(size, dtype.categories.get_loc(value), dtype=np.int16), dtype=dtype)


def _stale_rows(inventory: pd.DataFrame, stale: dict[tuple, float], max_age: float) -> tuple[np.ndarray, np.ndarray]:
    mask = np.zeros(len(inventory), dtype=bool)
    reason = np.full(len(inventory), "", dtype=object)
    for (source_type, scope), age in stale.items():
        rows = ((inventory["source"] == source_type) & (inventory["scope"] == scope)).to_numpy()
        mask |= rows
        reason[rows] = f"source data is {age:.0f} hours old at the as-of time (max {max_age:g}); evidence is stale"
    return mask, reason


def _mark_stale(
    reasons: pd.Categorical, status: np.ndarray, rows: np.ndarray, texts: np.ndarray
) -> tuple[pd.Categorical, np.ndarray]:
    status[rows] = ERROR
    merged = np.asarray(reasons, dtype=object)
    merged[rows] = texts[rows]
    return pd.Categorical(merged), status


def _apply_waiver(
    waiver: Waiver,
    population: pd.DataFrame,
    status: np.ndarray,
    waiver_ids: np.ndarray,
    reasons: pd.Categorical,
    as_of: datetime,
) -> pd.Categorical:
    covered = selector_mask(population, waiver) & (status == FAIL)
    if not covered.any():
        return reasons
    if is_expired(waiver, as_of.date()):
        merged = np.asarray(reasons, dtype=object)
        merged[covered] = [f"{text}; waiver {waiver.id} expired on {waiver.expires}" for text in merged[covered]]
        return pd.Categorical(merged)
    status[covered] = WAIVED
    waiver_ids[covered] = waiver.id
    return reasons


def _source_errors(
    control_id: str, severity: str, applies_to: list[str] | str, records: Sequence[SourceRecord]
) -> pd.DataFrame:
    rows = []
    for record in records:
        relevant = applies_to == "all" or bool(set(kinds_for(record.type)) & set(applies_to))
        by_scope: dict[str, list[str]] = {}
        for error in record.errors if relevant else ():
            by_scope.setdefault(error.scope, []).append(error.message)
        for scope, messages in by_scope.items():
            rows.append(
                {
                    "control_id": control_id,
                    "token_id": f"{record.type}:{scope}:*",
                    "status": "ERROR",
                    "reason": f"source {record.label} was not fully collected ({scope}): {'; '.join(messages)}",
                    "severity": severity,
                    "waiver_id": "",
                }
            )
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS))


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_findings()
    reasons = union_categoricals([pd.Categorical(p["reason"]) for p in parts], ignore_order=True)
    findings = pd.concat([p.drop(columns="reason") for p in parts], ignore_index=True)
    findings["reason"] = reasons
    return findings[list(FINDING_COLUMNS)]


def empty_findings() -> pd.DataFrame:
    """A findings frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS})
