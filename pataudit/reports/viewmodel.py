"""Plain view-models for the report templates: dicts and lists, no live objects."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pandas as pd

from pataudit import __version__
from pataudit.checks.scoring import SEVERITY_WEIGHTS
from pataudit.checks.scoring import __doc__ as SCORING_METHOD
from pataudit.run_result import RunResult

EXCEPTIONS_PER_CONTROL = 100
SEVERITY_ORDER = {name: -weight for name, weight in SEVERITY_WEIGHTS.items()}
STATUS_ORDER = {"FAIL": 0, "ERROR": 1, "WAIVED": 2}


def build(result: RunResult, generated_at: datetime) -> dict[str, Any]:
    """The whole report as plain data."""
    config = result.config
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
        },
        "trend": history,
        "trend_chart": trend_svg(history),
        "sources": [_source(record) for record in result.records],
        "population": _population(result.inventory),
        "controls": [_control(result, row, failing) for row in result.scores.to_dict("records")],
        "waivers": _waivers(result),
        "scoring_method": SCORING_METHOD.strip(),
    }


def _failing(result: RunResult) -> pd.DataFrame:
    bad = result.findings[result.findings["status"].isin(["FAIL", "WAIVED", "ERROR"])]
    columns = ["token_id", "name", "owner", "kind", "created_at"]
    joined = bad.merge(result.inventory[columns], on="token_id", how="left")
    joined["severity_rank"] = joined["severity"].astype(str).map(SEVERITY_ORDER)
    joined["status_rank"] = joined["status"].astype(str).map(STATUS_ORDER)
    order = ["status_rank", "severity_rank", "created_at", "token_id"]
    return joined.sort_values(order, na_position="last")


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


def _source(record: Any) -> dict[str, Any]:
    data = record.to_dict()
    data["errors"] = [f"{e['scope']}: {e['message']}" for e in data["errors"]]
    return data


def _population(inventory: pd.DataFrame) -> list[dict[str, Any]]:
    counts = inventory.groupby(["source", "kind"], observed=True).size().reset_index(name="tokens")
    return counts.to_dict("records")


def _control(result: RunResult, row: dict[str, Any], failing: pd.DataFrame) -> dict[str, Any]:
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
        "exceptions": _rows(exceptions.head(EXCEPTIONS_PER_CONTROL)),
        "exceptions_more": max(0, len(exceptions) - EXCEPTIONS_PER_CONTROL),
        "waived_rows": _rows(waived.head(EXCEPTIONS_PER_CONTROL)),
        "waived_more": max(0, len(waived) - EXCEPTIONS_PER_CONTROL),
    }


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for item in frame.to_dict("records"):
        created = item.get("created_at")
        rows.append(
            {
                "token_id": item["token_id"],
                "name": item.get("name") or "",
                "owner": item.get("owner") or "",
                "status": str(item["status"]),
                "reason": str(item["reason"]),
                "waiver_id": item["waiver_id"],
                "created": "" if created is None or pd.isna(created) else created.strftime("%Y-%m-%d"),
            }
        )
    return rows


def _waivers(result: RunResult) -> list[dict[str, Any]]:
    findings = result.findings
    rows = []
    for waiver in result.config.waivers:
        covered = int((findings["waiver_id"] == waiver.id).sum())
        expired = waiver.expires < result.as_of.date()
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
            }
        )
    return rows


def trend_svg(points: list[dict[str, Any]], width: int = 520, height: int = 160) -> str:
    """An inline SVG line chart of overall scores (0–100) per run; drawn here, so nothing is fetched."""
    scored = [(i, p) for i, p in enumerate(points) if p["score"] is not None]
    left, right, top, bottom = 40, 30, 16, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def xy(index: int, score: float) -> tuple[float, float]:
        return left + index * step, top + plot_h * (1 - score / 100)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' font-family="DejaVu Sans, sans-serif" font-size="9" fill="#333">'
    ]
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dddddd" stroke-width="0.5"/>'
        )
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    if len(scored) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, p["score"]) for i, p in scored))
        parts.append(f'<polyline points="{path}" fill="none" stroke="#12355b" stroke-width="2"/>')
    for i, point in enumerate(points):
        x = left + i * step
        label = _escape(str(point["period"]))
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{label}</text>')
        if point["score"] is not None:
            cx, cy = xy(i, point["score"])
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="#12355b"/>')
            parts.append(f'<text x="{cx:.1f}" y="{cy - 8:.1f}" text-anchor="middle">{point["score"]:.1f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
