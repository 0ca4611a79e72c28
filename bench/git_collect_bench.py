"""Requests and time to collect a GitHub organisation of 5,000 members, 20,000 fine-grained PATs and
2,000 repositories from the local fake API, against the minimum the paging allows (100 per page).

Usage: python bench/git_collect_bench.py
"""

from __future__ import annotations

import math
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
import fake_github

from pataudit.collectors.github_live import collect_live
from pataudit.config import GithubFileSource

MEMBERS, TOKENS, REPOS = 5_000, 20_000, 2_000


def scale() -> None:
    fake_github.MEMBERS[:] = [fake_github.user(f"member{n}", n) for n in range(MEMBERS)]
    template = fake_github.PATS[0]
    fake_github.PATS[:] = [{**template, "id": n, "token_id": 10_000 + n} for n in range(TOKENS)]
    fake_github.REPOS[:] = [{"id": n, "name": f"r{n}", "full_name": f"acme/r{n}"} for n in range(REPOS)]
    for repo in fake_github.REPOS:
        fake_github.REPO_SECRETS[repo["full_name"]] = {"total_count": 0, "secrets": []}
        fake_github.DEPLOY_KEYS[repo["full_name"]] = []


def main() -> None:
    scale()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    os.environ["GH_APP_KEY"] = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    os.environ["GH_TOKEN"] = fake_github.OWNER_TOKEN
    with fake_github.fake_github() as server:
        server.limited = server.failed = True  # measure the paging, not the injected faults
        source = GithubFileSource(
            type="github",
            org="acme",
            base_url=server.url,
            token_env="GH_TOKEN",
            app_id="7",
            app_installation_id=42,
            app_private_key_env="GH_APP_KEY",
        )
        started = time.perf_counter()
        collection = collect_live(source, "github:acme", datetime.now(UTC), lambda _: None)
        elapsed = time.perf_counter() - started
        sent = len(server.requests)
    pages = lambda n: max(1, math.ceil(n / 100))  # noqa: E731
    minimum = pages(MEMBERS) + 1 + 1 + pages(TOKENS) + 1 + 1 + 1 + pages(REPOS) + 2 * REPOS + 1
    print(f"{MEMBERS} members, {TOKENS} fine-grained PATs, {REPOS} repositories: {len(collection.rows)} tokens")
    print(
        f"requests: {sent} (minimum the paging allows: {minimum}; +{(sent - minimum) / minimum:.1%}); "
        f"time {elapsed:.1f} s"
    )
    print(f"errors: {[e.message for e in collection.record.errors] or 'none'}")


if __name__ == "__main__":
    main()
