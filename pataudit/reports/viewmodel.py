"""Plain view-models for the report templates: dicts and lists, no live objects."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pandas as pd

from pataudit import __version__
from pataudit.checks.scoring import SEVERITY_WEIGHTS
from pataudit.checks.scoring import __doc__ as SCORING_METHOD
from pataudit.collectors.base import SourceRecord
from pataudit.reports.changes import changes
from pataudit.reports.charts import trend_svg
from pataudit.reports.frameworks import framework_views
from pataudit.run_result import RunResult

SEVERITY_ORDER = {name: -weight for name, weight in SEVERITY_WEIGHTS.items()}
STATUS_ORDER = {"FAIL": 0, "ERROR": 1, "WAIVED": 2}
RISKIEST = 10


def build(
    result: RunResult,
    generated_at: datetime,
    evidence: list[dict[str, Any]],
    digest: str,
    signed: bool,
    attachments: list[str] | None = None,
) -> dict[str, Any]:
    """The whole report as plain data; `evidence` and `digest` describe the files written before the report."""
    config = result.config
    limit = config.report.exceptions_per_control
    failing = _failing(result)
    history = _history(result)
    previous = history[-2]["score"] if len(history) > 1 else None
    return {
        "meta": {
            "title": config.report.title,
            "classification": config.report.classification,
            "organization": config.organization,
            "period": config.period,
            "as_of": result.as_of.strftime("%Y-%m-%d %H:%M UTC"),
            "run_id": result.run_id,
            "generated_at": generated_at.strftime("%Y-%m-%d %H:%M UTC"),
            "tool_version": __version__,
            "config_sha256": result.config_sha256,
            "data_digest": digest,
            "signed": signed,
        },
        "summary": {
            "overall_score": result.overall_score,
            "previous_score": previous,
            "change": None
            if previous is None or result.overall_score is None
            else round(result.overall_score - previous, 1),
            "token_count": len(result.inventory),
            "status_counts": _status_counts(result.findings),
            "failing_by_severity": _failing_by_severity(failing),
            "complete": result.complete,
            "riskiest": _riskiest(result, failing),
        },
        "trend": history,
        "trend_chart": trend_svg(history),
        "sources": [_source(record, result) for record in result.records],
        "population": _population(result.inventory),
        "controls": [_control(result, row, failing, limit) for row in result.scores.to_dict("records")],
        "frameworks": framework_views(result),
        "changes": changes(result, limit),
        "remediation": _remediation(result, limit),
        "waivers": _waivers(result),
        "scoring_method": SCORING_METHOD.strip(),
        "evidence": evidence,
        "attachments": attachments or [],
        "sign_off": [{"role": s.role, "name": s.name} for s in config.report.sign_off],
    }


def _failing(result: RunResult) -> pd.DataFrame:
    bad = result.findings[result.findings["status"].isin(["FAIL", "WAIVED", "ERROR"])]
    columns = ["token_id", "name", "owner", "kind", "created_at"]
    joined = bad.merge(result.inventory[columns], on="token_id", how="left")
    joined["severity_rank"] = joined["severity"].astype(str).map(SEVERITY_ORDER)
    joined["status_rank"] = joined["status"].astype(str).map(STATUS_ORDER)
    order = ["status_rank", "severity_rank", "created_at", "token_id"]
    return joined.sort_values(order, na_position="last")


def _riskiest(result: RunResult, failing: pd.DataFrame) -> list[dict[str, Any]]:
    """Tokens ranked by the severity weight of their failures, then by how many, then oldest first."""
    fails = failing[failing["status"] == "FAIL"]
    if fails.empty:
        return []
    weights = fails["severity"].astype(str).map(SEVERITY_WEIGHTS)
    ranked = (
        pd.DataFrame(
            {
                "risk": weights.groupby(fails["token_id"]).sum(),
                "failures": weights.groupby(fails["token_id"]).size(),
                "created": fails.groupby("token_id")["created_at"].first(),
            }
        )
        .sort_values(["risk", "failures", "created"], ascending=[False, False, True])
        .head(RISKIEST)
    )
    top = fails[fails["token_id"].isin(ranked.index)]
    rows = []
    for token, item in ranked.iterrows():
        mine = top[top["token_id"] == token]
        rows.append(
            {
                "token_id": token,
                "risk": int(item["risk"]),
                "failures": int(item["failures"]),
                "controls": ", ".join(map(str, mine["control_id"])),
                "owner": mine["owner"].iloc[0],
                "kind": mine["kind"].iloc[0],
                "name": mine["name"].iloc[0],
                "age": _age(item["created"], result.as_of),
            }
        )
    return rows


def _age(created: Any, as_of: datetime) -> str:
    if created is None or pd.isna(created):
        return ""
    return f"{(pd.Timestamp(as_of) - created).days} d"


def _status_counts(findings: pd.DataFrame) -> dict[str, int]:
    counts = findings["status"].value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def _failing_by_severity(failing: pd.DataFrame) -> list[dict[str, Any]]:
    fails = failing[failing["status"] == "FAIL"]
    rows = []
    for severity in sorted(SEVERITY_WEIGHTS, key=SEVERITY_ORDER.get):
        subset = fails[fails["severity"].astype(str) == severity]
        rows.append({"severity": severity, "findings": len(subset), "tokens": subset["token_id"].nunique()})
    return rows


def _history(result: RunResult) -> list[dict[str, Any]]:
    points = []
    if len(result.history):
        for row in result.history.to_dict("records"):
            if row["run_id"] != result.run_id:
                points.append({"period": row["period"], "run_id": row["run_id"], "score": _score(row["overall_score"])})
    points.append({"period": result.config.period, "run_id": result.run_id, "score": result.overall_score})
    return points


def _score(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "not recorded"


def _source(record: SourceRecord, result: RunResult) -> dict[str, Any]:
    data = record.to_dict()
    age = None if record.data_as_of is None else (result.as_of - record.data_as_of).total_seconds() / 3600
    data.update(
        {
            "problems": record.problems(),
            "started": _stamp(record.started_at),
            "finished": _stamp(record.finished_at),
            "data_as_of": _stamp(record.data_as_of),
            "freshness": "unknown" if age is None else f"{age:.1f} hours before the as-of time",
            "coverage": ", ".join(record.scopes or [record.scope]),
            "calls": ", ".join(f"{op} {n}" for op, n in sorted(record.api_calls.items())) or "none (saved payloads)",
        }
    )
    return data


def _population(inventory: pd.DataFrame) -> list[dict[str, Any]]:
    counts = inventory.groupby(["source", "kind"], observed=True).size().reset_index(name="tokens")
    return counts.to_dict("records")


def _control(result: RunResult, row: dict[str, Any], failing: pd.DataFrame, limit: int) -> dict[str, Any]:
    control = result.catalog.controls[row["control_id"]]
    params = result.params[control.id]
    mine = failing[failing["control_id"].astype(str) == control.id]
    exceptions = mine[mine["status"] != "WAIVED"]
    waived = mine[mine["status"] == "WAIVED"]
    return {
        **row,
        "score": _score(row["score"]),
        "objective": control.objective,
        "procedure": control.procedure_text(params.values),
        "remediation": control.remediation,
        "references": result.catalog.references(control.id),
        "thresholds": [
            {"name": name, "value": value, "unit": control.parameters[name].unit}
            for name, value in params.values.items()
        ],
        "overrides": [
            {"kind": kind, "settings": ", ".join(f"{k} = {v:g}" for k, v in values.items())}
            for kind, values in params.overrides.items()
        ],
        "exceptions": _rows(exceptions.head(limit), result.as_of),
        "exceptions_more": max(0, len(exceptions) - limit),
        "waived_rows": _rows(waived.head(limit), result.as_of),
        "waived_more": max(0, len(waived) - limit),
    }


def _rows(frame: pd.DataFrame, as_of: datetime) -> list[dict[str, Any]]:
    rows = []
    for item in frame.to_dict("records"):
        rows.append(
            {
                "token_id": item["token_id"],
                "name": item.get("name") or "",
                "owner": item.get("owner") or "",
                "status": str(item["status"]),
                "reason": str(item["reason"]),
                "waiver_id": item["waiver_id"],
                "age": _age(item.get("created_at"), as_of),
            }
        )
    return rows


def _count_reasons(reasons: pd.Series, text: str) -> int:
    """Findings whose reason contains `text` (checked once per distinct reason)."""
    categorical = pd.Categorical(reasons)
    hits = [i for i, category in enumerate(categorical.categories) if text in str(category)]
    return int(pd.Series(categorical.codes).isin(hits).sum())


def _waivers(result: RunResult) -> list[dict[str, Any]]:
    findings = result.findings
    rows = []
    for waiver in result.config.waivers:
        covered = int((findings["waiver_id"] == waiver.id).sum())
        expired = waiver.expires < result.as_of.date()
        lapsed = _count_reasons(findings["reason"], f"waiver {waiver.id} expired")
        selector = ", ".join(f"{k} = {v}" for k, v in waiver.selector.model_dump().items() if v)
        rows.append(
            {
                "id": waiver.id,
                "control": waiver.control,
                "selector": selector,
                "reason": waiver.reason,
                "approver": waiver.approver,
                "ticket": waiver.ticket,
                "expires": waiver.expires.isoformat(),
                "expired": expired,
                "covered": covered,
                "lapsed": lapsed,
            }
        )
    return rows


def _remediation(result: RunResult, limit: int) -> dict[str, Any] | None:
    if result.remediation is None:
        return None
    past = result.remediation["past_sla"]
    return {**result.remediation, "past_sla": past[:limit], "past_more": max(0, len(past) - limit)}
