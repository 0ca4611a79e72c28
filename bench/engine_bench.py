"""Time the rules engine over synthetic inventories of 10k, 100k and 1M tokens (time and peak memory).

Usage: python bench/engine_bench.py [SIZE ...]
Each size runs in its own process so its peak memory (max RSS) is its own.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from pataudit import inventory
from pataudit.checks.catalog import default_catalog
from pataudit.checks.engine import EngineInput, evaluate
from pataudit.checks.params import resolve_params
from pataudit.checks.scoring import control_scores, overall_score
from pataudit.config import Policy, Waiver

AS_OF = datetime(2026, 6, 30, tzinfo=UTC)
KINDS = np.array(
    [
        "aws_access_key",
        "gcp_sa_key",
        "github_fine_grained_pat",
        "github_classic_pat",
        "gitlab_pat",
        "gitlab_project_token",
        "github_actions_secret",
        "azure_devops_pat",
    ]
)


def synthetic_inventory(size: int, seed: int = 7) -> pd.DataFrame:
    """A contract-typed inventory of `size` tokens with realistic mixes of every attribute."""
    rng = np.random.default_rng(seed)
    kinds = KINDS[rng.integers(0, len(KINDS), size)]
    as_of = pd.Timestamp(AS_OF)

    def days_before(low: int, high: int, missing: float) -> pd.Series:
        values = as_of - pd.to_timedelta(rng.integers(low * 86400, high * 86400, size), unit="s")
        return pd.Series(values).where(rng.random(size) >= missing)

    owners = np.char.add("user", rng.integers(0, size // 3 + 1, size).astype(str))
    frame = pd.DataFrame(
        {
            "token_id": np.char.add(np.char.add(kinds, ":"), np.arange(size).astype(str)),
            "source": np.char.partition(kinds, "_")[:, 0],
            "scope": np.char.add("scope", rng.integers(0, 50, size).astype(str)),
            "kind": kinds,
            "name": np.char.add("token ", np.arange(size).astype(str)),
            "owner": owners,
            "owner_type": rng.choice(
                ["human", "service", "bot", "root", "unknown"], size, p=[0.6, 0.25, 0.1, 0.001, 0.049]
            ),
            "owner_active": rng.choice(["true", "false", "unknown"], size, p=[0.85, 0.1, 0.05]),
            "created_at": days_before(1, 900, 0.01),
            "expires_at": days_before(-400, 60, 0.3),
            "last_used_at": days_before(0, 300, 0.2),
            "last_rotated_at": days_before(1, 600, 0.5),
            "usage_tracked": rng.random(size) > 0.1,
            "status": rng.choice(["active", "inactive", "revoked", "expired"], size, p=[0.8, 0.1, 0.05, 0.05]),
            "scopes": "repo",
            "privilege": rng.choice(["admin", "write", "read", "unknown"], size, p=[0.1, 0.5, 0.3, 0.1]),
            "resource_scope": rng.choice(["all", "selected", "unknown"], size, p=[0.3, 0.6, 0.1]),
            "collected_at": as_of,
            "evidence": "evidence/synthetic.json.gz",
        }
    )
    return inventory.normalise(frame)


def measure(size: int) -> None:
    """Build the inventory, then time the whole catalog over it; prints one line."""
    frame = synthetic_inventory(size)
    assert not inventory.validate(frame)
    catalog = default_catalog()
    params = resolve_params(catalog, Policy())
    waiver = Waiver.model_validate(
        {
            "id": "W1",
            "control": "no_admin_privilege",
            "selector": {"owner": "user1*"},
            "reason": "bench",
            "approver": "a",
            "ticket": "T",
            "expires": "2027-01-01",
        }
    )
    started = time.perf_counter()
    findings = evaluate(
        EngineInput(
            inventory=frame,
            records=[],
            catalog=catalog,
            params=params,
            waivers=[waiver],
            as_of=AS_OF,
            max_evidence_age_hours=48,
        )
    )
    scores = control_scores(findings, catalog, list(catalog.controls))
    overall = overall_score(scores)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{size:>9,} tokens  {len(findings):>11,} findings  engine {elapsed:6.2f} s  "
        f"peak RSS {peak_mb:7.0f} MB  overall score {overall}",
        flush=True,
    )


def main(argv: list[str]) -> None:
    """Run each size in a child process (isolated peak memory)."""
    if argv and argv[0] == "--one":
        measure(int(argv[1]))
        return
    sizes = [int(a) for a in argv] or [10_000, 100_000, 1_000_000]
    print(f"pataudit engine benchmark, {len(default_catalog().controls)} controls, pandas {pd.__version__}")
    for size in sizes:
        subprocess.run([sys.executable, __file__, "--one", str(size)], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
