"""Remediation metrics from the followed findings: time to resolve by severity, and open findings past an SLA."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

SEVERITIES = ("critical", "high", "medium", "low")


def remediation(followed: pd.DataFrame, sla_days: dict[str, int], as_of: datetime) -> dict[str, Any]:
    """Mean and 90th-percentile days to resolve per severity, and open findings older than their SLA at `as_of`."""
    rows = []
    past_sla = []
    for severity in SEVERITIES:
        mine = followed[followed["severity"] == severity]
        resolved = mine[mine["state"] == "resolved"]
        days = (
            pd.to_datetime(resolved["resolved_as_of"], utc=True)
            - pd.to_datetime(resolved["first_seen_as_of"], utc=True)
        ).dt.days.to_numpy(dtype=float)
        still_open = mine[mine["state"] == "open"]
        ages = (pd.Timestamp(as_of) - pd.to_datetime(still_open["first_seen_as_of"], utc=True)).dt.days
        limit = sla_days.get(severity)
        late = still_open[ages.to_numpy() > limit] if limit is not None else still_open.iloc[0:0]
        rows.append(
            {
                "severity": severity,
                "resolved": len(resolved),
                "mean_days": round(float(days.mean()), 1) if len(days) else None,
                "p90_days": round(float(np.percentile(days, 90)), 1) if len(days) else None,
                "open": len(still_open),
                "sla_days": limit,
                "past_sla": len(late),
            }
        )
        for item in late.assign(age=ages[ages.to_numpy() > limit] if limit is not None else []).to_dict("records"):
            past_sla.append(
                {
                    "severity": severity,
                    "control_id": item["control_id"],
                    "token_id": item["token_id"],
                    "age_days": int(item["age"]),
                    "sla_days": limit,
                }
            )
    past_sla.sort(key=lambda r: (-r["age_days"], r["token_id"]))
    return {"by_severity": rows, "past_sla": past_sla}
