"""What the store keeps of a run, read back from the run's output folder (so any finished run can be recorded,
and recording the same folder twice changes nothing)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pataudit.errors import InputError
from pataudit.manifest import MANIFEST, sha256_file
from pataudit.timeparse import parse_timestamp

STORED_STATUSES = ("FAIL", "WAIVED", "ERROR")
SCORE_COLUMNS = ["control_id", "population", "pass", "fail", "waived", "error", "not_applicable", "score"]


@dataclass
class RunRecord:
    """One run, ready to store: metadata, per-control and per-source scores, coverage and stored findings."""

    run: dict[str, Any]
    control_scores: pd.DataFrame
    source_scores: pd.DataFrame
    coverage: list[dict[str, Any]]
    findings: pd.DataFrame

    @property
    def unread_prefixes(self) -> list[str]:
        """`<type>:<scope>:` of every scope this run could not read."""
        return [
            f"{c['type']}:{s}:" for c in self.coverage if not c["complete"] for s in c["unread_scopes"].split("\n") if s
        ]


def unread_scopes(source: Any) -> list[str]:
    """Scopes of a source (a SourceRecord or its JSON) that this run could not read: errored, or all when stale."""
    data = source if isinstance(source, dict) else source.to_dict()
    scopes = data.get("scopes") or [data["scope"]]
    return [e["scope"] for e in data["errors"]] + (list(scopes) if data.get("stale_hours") is not None else [])


def _time(value: str | None) -> datetime | None:
    return parse_timestamp(value) if value else None


def source_scores(findings: pd.DataFrame) -> pd.DataFrame:
    """Per source platform: tokens seen in findings and the share of compliant tested findings."""
    tested = findings[findings["source"] != ""]
    counts = tested.groupby(["source", "status"]).size().unstack(fill_value=0)
    for status in ("PASS", "FAIL", "WAIVED", "ERROR"):
        if status not in counts:
            counts[status] = 0
    frame = pd.DataFrame(
        {
            "source": counts.index,
            "tokens": tested.groupby("source")["token_id"].nunique().reindex(counts.index).to_numpy(),
            "pass": counts["PASS"].to_numpy(),
            "fail": counts["FAIL"].to_numpy(),
            "waived": counts["WAIVED"].to_numpy(),
            "error": counts["ERROR"].to_numpy(),
        }
    )
    denominator = frame["pass"] + frame["fail"] + frame["waived"]
    frame["score"] = ((frame["pass"] + frame["waived"]) / denominator.where(denominator > 0) * 100).round(1)
    return frame


def read_run_output(folder: Path) -> RunRecord:
    """Build the record of a finished run from its folder (manifest.json, findings.csv, controls.csv, sources.json)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        meta = manifest["run"]
        if meta.get("kind") == "collection":
            raise InputError(
                f"{folder}: collected evidence, not a run; judge it first: "
                f"pataudit run --config CONFIG --evidence {folder / 'evidence'}"
            )
        findings = pd.read_csv(folder / "findings.csv", dtype=str, keep_default_na=False)
        scores = pd.read_csv(folder / "controls.csv")
        sources = json.loads((folder / "sources.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{folder}: not a complete pataudit run output: {exc}") from None
    run = {
        "run_id": meta["run_id"],
        "organization": meta["organization"],
        "period": meta["period"],
        "as_of": _time(meta["as_of"]),
        "started_at": _time(meta["started_at"]),
        "finished_at": _time(meta["finished_at"]),
        "tool_version": meta["tool_version"],
        "config_sha256": meta["config_sha256"],
        "manifest_sha256": sha256_file(folder / MANIFEST),
        "complete": bool(meta["complete"]),
        "overall_score": meta["overall_score"],
        "token_count": int(meta["token_count"]),
        "fail_count": int((findings["status"] == "FAIL").sum()),
        "out_dir": str(folder.resolve()),
    }
    coverage = [
        {
            "label": s["label"],
            "type": s["type"],
            "scope": ",".join(s.get("scopes") or [s["scope"]]),
            "complete": bool(s["complete"]),
            "token_count": int(s["token_count"]),
            "data_as_of": _time(s.get("data_as_of")),
            "problems": "\n".join(e["scope"] + ": " + e["message"] for e in s["errors"])
            + ("\nstale" if s.get("stale_hours") is not None else ""),
            "unread_scopes": "\n".join(unread_scopes(s)),
        }
        for s in sources
    ]
    scores = scores[SCORE_COLUMNS].astype(object).where(scores[SCORE_COLUMNS].notna(), None)
    stored = findings[findings["status"].isin(STORED_STATUSES)]
    columns = ["control_id", "token_id", "status", "severity", "reason", "waiver_id"]
    return RunRecord(run, scores, source_scores(findings), coverage, stored[columns].reset_index(drop=True))
