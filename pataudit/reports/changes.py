"""Changes since the previous run: new, resolved and persisting failures, with how long each has been open."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from pataudit.run_result import RunResult

KEY = ["control_id", "token_id"]


def _aware(value: Any) -> datetime:
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)).to_pydatetime()


def previous_run(result: RunResult) -> dict[str, Any] | None:
    """The stored run just before this one (same organisation, earlier as-of), if any."""
    if result.history.empty:
        return None
    earlier = result.history[[_aware(a) < result.as_of for a in result.history["as_of"]]]
    if earlier.empty:
        return None
    row = earlier.iloc[-1]
    return {"run_id": row["run_id"], "period": row["period"], "as_of": _aware(row["as_of"]).strftime("%Y-%m-%d")}


def changes(result: RunResult, limit: int) -> dict[str, Any]:
    """New, resolved and persisting FAIL findings against the previous run (capped lists, full counts)."""
    previous = previous_run(result)
    current = result.findings[result.findings["status"] == "FAIL"][KEY].astype(str)
    if previous is None or result.previous_open.empty:
        before = pd.DataFrame(columns=[*KEY, "reason"])
    else:
        before = result.previous_open[result.previous_open["status"] == "FAIL"][[*KEY, "reason"]].astype(str)
    merged = current.merge(before[KEY], on=KEY, how="outer", indicator=True)
    new = merged[merged["_merge"] == "left_only"][KEY]
    resolved = merged[merged["_merge"] == "right_only"][KEY].merge(before, on=KEY, how="left")
    persisting = merged[merged["_merge"] == "both"][KEY]
    if not result.first_failed.empty:
        first = result.first_failed.astype({"control_id": str, "token_id": str})
        persisting = persisting.merge(first, on=KEY, how="left")
        persisting["open_days"] = [
            (result.as_of - _aware(f)).days if pd.notna(f) else None for f in persisting["first_seen"]
        ]
        persisting = persisting.sort_values("open_days", ascending=False)
    else:
        persisting = persisting.assign(open_days=None)
    return {
        "previous": previous,
        "counts": {"new": len(new), "resolved": len(resolved), "persisting": len(persisting)},
        "new": new.sort_values(KEY).head(limit).to_dict("records"),
        "resolved": resolved.sort_values(KEY).head(limit).to_dict("records"),
        "persisting": persisting.head(limit)[[*KEY, "open_days"]].to_dict("records"),
        "limit": limit,
    }
