"""Time the PDF report (view-model, HTML, PDF/A with findings.csv and inventory.csv attached) at 1k, 10k and
100k tokens, and the whole output folder (tables, xlsx, report, manifest). Peak memory per size.

Usage: python bench/report_bench.py [SIZE ...]
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from engine_bench import AS_OF, synthetic_inventory

from pataudit.checks.catalog import default_catalog
from pataudit.checks.engine import EngineInput, evaluate
from pataudit.checks.params import resolve_params
from pataudit.checks.scoring import control_scores, overall_score
from pataudit.collectors.base import SourceRecord
from pataudit.config import Config
from pataudit.manifest import data_digest, file_entries, write_manifest
from pataudit.reports import render, viewmodel
from pataudit.reports.pdf import EmbeddedFile
from pataudit.reports.tables import findings_table
from pataudit.reports.xlsx import write_findings_xlsx
from pataudit.run_result import RunResult
from pataudit.runner import run_metadata, write_tables


def result_for(size: int) -> RunResult:
    inventory = synthetic_inventory(size)
    catalog = default_catalog()
    config = Config.model_validate(
        {
            "organization": "Bench Corp",
            "period": "bench",
            "sources": [{"type": "aws", "account_id": "123456789012", "credential_report": "unused.csv"}],
        }
    )
    params = resolve_params(catalog, config.policy)
    record = SourceRecord(label="synthetic", type="aws", scope="synthetic", method="synthetic", started_at=AS_OF)
    findings = evaluate(
        EngineInput(
            inventory=inventory,
            records=[record],
            catalog=catalog,
            params=params,
            waivers=[],
            as_of=AS_OF,
            max_evidence_age_hours=48,
        )
    )
    scores = control_scores(findings, catalog, list(catalog.controls))
    return RunResult(
        run_id="bench",
        config=config,
        config_sha256="0" * 64,
        as_of=AS_OF,
        started_at=AS_OF,
        catalog=catalog,
        params=params,
        enabled_controls=list(catalog.controls),
        records=[record],
        inventory=inventory,
        findings=findings,
        scores=scores,
        overall_score=overall_score(scores),
    )


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(size: int) -> None:
    result = result_for(size)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        write_tables(result, folder, full=False)
        csv_time = time.perf_counter() - started
        started = time.perf_counter()
        entries = file_entries(folder)
        attachments = [
            EmbeddedFile.of(folder / "findings.csv", "findings", AS_OF),
            EmbeddedFile.of(folder / "inventory.csv", "inventory", AS_OF),
        ]
        view = viewmodel.build(
            result, datetime.now(UTC), entries, data_digest(entries), False, [a.name for a in attachments]
        )
        render.render_pdf(render.render_html(view), folder / "report.pdf", attachments)
        pdf_time = time.perf_counter() - started
        pdf_peak = peak_mb()
        started = time.perf_counter()
        write_findings_xlsx(result, findings_table(result), folder / "findings.xlsx")
        xlsx_time = time.perf_counter() - started
        write_manifest(folder, run_metadata(result, datetime.now(UTC)))
        pdf_size = (folder / "report.pdf").stat().st_size / 1e6
    print(
        f"{size:>8,} tokens {len(result.findings):>9,} findings | PDF {pdf_time:5.1f} s, {pdf_size:5.1f} MB, "
        f"peak RSS {pdf_peak:5.0f} MB | csv+json {csv_time:5.1f} s | xlsx {xlsx_time:5.1f} s | "
        f"peak RSS all {peak_mb():5.0f} MB",
        flush=True,
    )


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--one":
        measure(int(argv[1]))
        return
    for size in [int(a) for a in argv] or [1_000, 10_000, 100_000]:
        subprocess.run([sys.executable, __file__, "--one", str(size)], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
