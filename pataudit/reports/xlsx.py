"""findings.xlsx: a summary sheet and one sheet per control, each with filters on its header row.

Written with XlsxWriter in constant-memory mode: rows stream to disk, so a large organisation's workbook
costs little memory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import xlsxwriter

from pataudit.run_result import RunResult

SUMMARY_COLUMNS = (
    "control_id",
    "title",
    "severity",
    "population",
    "pass",
    "fail",
    "waived",
    "error",
    "not_applicable",
    "score",
    "references",
)


def _sheet_title(control_id: str, used: set[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "_", control_id)[:31]
    while title in used:
        title = title[:28] + f"_{len(used)}"
    used.add(title)
    return title


def write_findings_xlsx(result: RunResult, table: pd.DataFrame, path: Path) -> None:
    """Write the workbook: `summary` first, then one sheet per control with findings."""
    book = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_urls": False, "strings_to_formulas": False, "strings_to_numbers": False},
    )
    bold = book.add_format({"bold": True})
    summary = book.add_worksheet("summary")
    summary.write_row(0, 0, SUMMARY_COLUMNS, bold)
    for index, row in enumerate(result.scores.to_dict("records"), start=1):
        references = "; ".join(result.catalog.references(row["control_id"]))
        score = None if pd.isna(row["score"]) else float(row["score"])
        summary.write_row(index, 0, [*(row[c] for c in SUMMARY_COLUMNS[:9]), score, references])
    summary.autofilter(0, 0, len(result.scores), len(SUMMARY_COLUMNS) - 1)
    used = {"summary"}
    columns = [c for c in table.columns if c != "control_id"]
    for control_id, rows in table.groupby("control_id", observed=True, sort=False):
        sheet = book.add_worksheet(_sheet_title(str(control_id), used))
        sheet.write_row(0, 0, columns, bold)
        for index, values in enumerate(rows[columns].astype(str).itertuples(index=False, name=None), start=1):
            sheet.write_row(index, 0, values)
        sheet.autofilter(0, 0, len(rows), len(columns) - 1)
    book.close()
