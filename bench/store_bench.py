"""Record 100 runs of a 100k-token organisation into a SQLite history store (100k stored findings per run,
10 M finding rows in all), timing each recording, then time `trend`, `diff` and the remediation query.

Usage: python bench/store_bench.py [RUNS] [FINDINGS_PER_RUN] [STORE_URL]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from pataudit.checks.catalog import default_catalog
from pataudit.history.metrics import remediation
from pataudit.history.record import RunRecord
from pataudit.history.store import Store

SEVERITIES = np.array(["critical", "high", "medium", "low"])


def synthetic_run(number: int, findings: int, rng: np.random.Generator, controls: list[str]) -> RunRecord:
    """Run `number`: open findings drawn from a universe that slowly shifts, so findings persist and resolve."""
    universe = findings * 2
    start = number * findings // 50
    picks = np.unique(rng.integers(start, start + universe, size=int(findings * 1.2)))[:findings]
    control = np.array(controls)[picks % len(controls)]
    token = np.char.add("github:org:github_fine_grained_pat:", (picks // len(controls)).astype(str))
    frame = pd.DataFrame(
        {
            "control_id": control,
            "token_id": token,
            "status": np.where(picks % 17 == 0, "WAIVED", "FAIL"),
            "severity": SEVERITIES[picks % 4],
            "reason": "synthetic finding",
            "waiver_id": "",
        }
    )
    as_of = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=30 * number)
    run = {
        "run_id": f"bench-{number:03d}",
        "organization": "Bench Corp",
        "period": f"P{number:03d}",
        "as_of": as_of,
        "started_at": as_of,
        "finished_at": as_of,
        "tool_version": "bench",
        "config_sha256": "0" * 64,
        "manifest_sha256": "0" * 64,
        "complete": True,
        "overall_score": float(50 + number / 4),
        "token_count": 100_000,
        "fail_count": int((frame["status"] == "FAIL").sum()),
        "out_dir": "/nonexistent",
    }
    scores = pd.DataFrame(
        {
            "control_id": controls,
            "population": 100_000,
            "pass": 60_000,
            "fail": 30_000,
            "waived": 1_000,
            "error": 0,
            "not_applicable": 9_000,
            "score": rng.uniform(40, 99, len(controls)).round(1),
        }
    )
    sources = pd.DataFrame(
        [{"source": "github", "tokens": 100_000, "pass": 1, "fail": 1, "waived": 0, "error": 0, "score": 50.0}]
    )
    coverage = [
        {
            "label": "github:org",
            "type": "github",
            "scope": "org",
            "complete": True,
            "token_count": 100_000,
            "data_as_of": as_of,
            "problems": "",
            "unread_scopes": "",
        }
    ]
    return RunRecord(run, scores, sources, coverage, frame)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    per_run = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    folder = Path(tempfile.mkdtemp())
    url = sys.argv[3] if len(sys.argv) > 3 else f"sqlite:///{folder / 'history.sqlite'}"
    store = Store(url)
    controls = list(default_catalog().controls)
    rng = np.random.default_rng(1)
    times = []
    for number in range(runs):
        record = synthetic_run(number, per_run, rng, controls)
        started = time.perf_counter()
        store.record(record)
        times.append(time.perf_counter() - started)
        if number % 10 == 9 or number == runs - 1:
            print(f"  recorded {number + 1:>3} runs; last {times[-1]:5.2f} s", flush=True)
    timings = {}
    started = time.perf_counter()
    store.runs("Bench Corp")
    timings["trend (overall)"] = time.perf_counter() - started
    started = time.perf_counter()
    store.control_trend("owner_active")
    timings["trend --control"] = time.perf_counter() - started
    started = time.perf_counter()
    a, b = store.open_findings("bench-098"), store.open_findings("bench-099")
    a.merge(b, on=["control_id", "token_id"], how="outer", indicator=True)
    timings["diff (two runs)"] = time.perf_counter() - started
    started = time.perf_counter()
    remediation(
        store.lifecycle("Bench Corp"),
        {"critical": 7, "high": 30, "medium": 90, "low": 180},
        datetime(2030, 1, 1, tzinfo=UTC),
    )
    timings["remediation"] = time.perf_counter() - started
    size = (folder / "history.sqlite").stat().st_size / 1e9 if url.startswith("sqlite") else float("nan")
    print(f"{runs} runs x {per_run:,} stored findings = {runs * per_run:,} finding rows; store {size:.2f} GB")
    print(f"record a run: mean {np.mean(times):.2f} s, max {max(times):.2f} s (goal < 20 s)")
    for name, seconds in timings.items():
        print(f"{name}: {seconds:.3f} s" + ("  (goal < 1 s)" if name.startswith("trend") else ""))


if __name__ == "__main__":
    main()
