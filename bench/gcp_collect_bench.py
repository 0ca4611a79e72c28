"""Requests and time to collect a GCP organisation of 500 projects with 10 service accounts each (3 keys per
account, one Google-managed) from the local REST and gRPC fakes.

Usage: python bench/gcp_collect_bench.py [PROJECTS] [ACCOUNTS]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from fake_gcp import ORG, World, fake_gcp

from pataudit.collectors.gcp_live import collect_live
from pataudit.config import GcpSource


def main() -> None:
    projects = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    accounts = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    world = World(projects=projects, accounts=accounts)
    world.quota_failures.clear()
    with fake_gcp(world) as (_, rest, target):
        source = GcpSource(
            type="gcp",
            organization=ORG,
            anonymous=True,
            resource_manager_endpoint=rest,
            iam_endpoint=target,
            policy_analyzer_endpoint=rest,
            org_policy_endpoint=rest,
        )
        started = time.perf_counter()
        collection = collect_live(source, "gcp:bench", datetime.now(UTC), lambda _: None)
        elapsed = time.perf_counter() - started
    kinds = Counter(
        call.split(" ")[0] + " " + call.split(" ")[1].split("/")[1]
        if call.startswith(("GET", "POST"))
        else " ".join(call.split(" ")[:2])
        for call in world.calls
    )
    print(
        f"{projects} projects x {accounts} service accounts: {len(collection.rows)} user-managed keys, "
        f"{len(collection.record.errors)} project(s) ERROR (one is denied on purpose)"
    )
    print(f"requests: {len(world.calls)} in {elapsed:.1f} s ({len(world.calls) / elapsed:.0f}/s, 4 projects at once)")
    print(f"by API: {dict(sorted(kinds.items()))}")
    print(f"by operation (collector's count): {dict(sorted(collection.record.api_calls.items()))}")


if __name__ == "__main__":
    main()
