"""API calls and time to collect one AWS account of 2,000 IAM users (half with keys) on a local moto server,
against the naive per-user approach (ListUsers, then ListAccessKeys, GetAccessKeyLastUsed,
ListAttachedUserPolicies, ListUserPolicies and ListGroupsForUser for every user).

Usage: python bench/aws_collect_bench.py [USERS]
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import boto3
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from aws_fakes import free_port

from pataudit.collectors.aws_live import RETRIES, CallCounter, collect_live
from pataudit.config import AwsSource


def populate(users: int) -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_group(GroupName="devs")

    def make(n: int) -> None:
        name = f"user{n:05d}"
        iam.create_user(UserName=name)
        if n % 2 == 0:
            iam.create_access_key(UserName=name)
        if n % 10 == 0:
            iam.add_user_to_group(GroupName="devs", UserName=name)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(make, range(users)))


def naive(counter: CallCounter) -> int:
    iam = counter.attach(boto3.client("iam", region_name="us-east-1", config=RETRIES))
    keys = 0
    for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 100}):
        for user in page["Users"]:
            name = user["UserName"]
            for meta in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
                iam.get_access_key_last_used(AccessKeyId=meta["AccessKeyId"])
                keys += 1
            iam.list_attached_user_policies(UserName=name)
            iam.list_user_policies(UserName=name)
            iam.list_groups_for_user(UserName=name)
    return keys


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    users = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    try:
        started = time.perf_counter()
        populate(users)
        print(
            f"moto account populated with {users} users, {users // 2} with keys ({time.perf_counter() - started:.1f} s)"
        )
        started = time.perf_counter()
        collection = collect_live(AwsSource(type="aws"), "aws:bench", datetime.now(UTC), lambda _: None)
        ours_time = time.perf_counter() - started
        ours = sum(collection.record.api_calls.values())
        counter = CallCounter()
        started = time.perf_counter()
        naive(counter)
        naive_time = time.perf_counter() - started
        theirs = sum(counter.counts.values())
        budget = 5 + math.ceil(users / 100) + users // 2
        print(
            f"pataudit: {ours:>6} calls {ours_time:6.1f} s  {len(collection.rows)} keys  "
            f"{dict(sorted(collection.record.api_calls.items()))}"
        )
        print("(moto answers ListUsers and GetAccountAuthorizationDetails in one page; AWS pages them by 100/1000)")
        print(f"naive:    {theirs:>6} calls {naive_time:6.1f} s  {dict(sorted(counter.counts.items()))}")
        print(
            f"budget 5 + ceil(users/100) + users with keys = {budget}: {'met' if ours <= budget else 'MISSED'}; "
            f"naive / pataudit = {theirs / ours:.1f}x fewer calls (goal >= 3x)"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
