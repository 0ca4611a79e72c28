"""Machine-readable outputs of a run: inventory.csv, findings.csv/json, controls.csv, sources.json."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pataudit.collectors.base import SourceRecord
from pataudit.inventory import COLUMNS, TIMESTAMP_COLUMNS
from pataudit.run_result import RunResult

FINDINGS_CSV_COLUMNS = (
    "control_id",
    "token_id",
    "status",
    "reason",
    "severity",
    "waiver_id",
    "source",
    "scope",
    "kind",
    "owner",
    "name",
)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
JSON_CHUNK = 50_000
FINDINGS_SCHEMA = "https://pataudit.dev/schemas/findings-1.json"


def findings_table(result: RunResult) -> pd.DataFrame:
    """Findings joined to the token columns an auditor needs, in catalog then token order."""
    tokens = result.inventory[["token_id", "source", "scope", "kind", "owner", "name"]]
    joined = result.findings.merge(tokens, on="token_id", how="left")
    for column in ("source", "scope", "kind", "owner", "name"):
        joined[column] = joined[column].fillna("")
    joined = joined.sort_values(["control_id", "token_id"], kind="stable")
    return joined[list(FINDINGS_CSV_COLUMNS)]


def write_findings_csv(table: pd.DataFrame, path: Path) -> None:
    """findings.csv: UTF-8, LF line ends, one row per control × token."""
    table.to_csv(path, index=False, lineterminator="\n")


def write_findings_json(result: RunResult, table: pd.DataFrame, path: Path) -> None:
    """findings.json: run metadata and the findings as objects (schema in docs/findings.schema.json).

    The findings array is serialised by pandas in chunks, so large runs never hold it whole in memory.
    """
    head = {
        "$schema": FINDINGS_SCHEMA,
        "run_id": result.run_id,
        "organization": result.config.organization,
        "period": result.config.period,
        "as_of": result.as_of.isoformat(),
        "overall_score": result.overall_score,
        "complete": result.complete,
    }
    with path.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "findings": [')
        for start in range(0, len(table), JSON_CHUNK):
            chunk = table.iloc[start : start + JSON_CHUNK]
            rows = chunk.astype({column: str for column in chunk.columns}).to_json(orient="records", force_ascii=False)
            handle.write(("," if start else "") + rows[1:-1])
        handle.write("]}\n")


def write_inventory_csv(inventory: pd.DataFrame, path: Path) -> None:
    """inventory.csv: the contract's columns, timestamps as ISO 8601 UTC."""
    frame = inventory[list(COLUMNS)].copy()
    for column in TIMESTAMP_COLUMNS:
        frame[column] = frame[column].dt.strftime(TIME_FORMAT).fillna("")
    frame.sort_values("token_id").to_csv(path, index=False, lineterminator="\n")


def write_controls_csv(result: RunResult, path: Path) -> None:
    """controls.csv: one row per control with counts, score and framework references."""
    frame = result.scores.copy()
    frame["references"] = ["; ".join(result.catalog.references(c)) for c in frame["control_id"]]
    frame.to_csv(path, index=False, lineterminator="\n")


def write_sources_json(records: Sequence[SourceRecord], path: Path) -> None:
    """sources.json: how each source was collected, with errors and API permissions."""
    data = [record.to_dict() for record in records]
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
