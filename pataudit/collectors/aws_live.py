"""Live AWS collection with boto3: every IAM access key in one account, a list of accounts or an organisation.

Per account: GenerateCredentialReport (+ polls) and GetCredentialReport, GetAccountSummary,
GetAccountAuthorizationDetails (paged, users, groups and local policies together), and ListAccessKeys only
for users that have keys. Last use comes from the credential report, so no per-key calls are needed.
Other accounts are entered with sts:AssumeRole; the temporary credentials live only in memory.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from threading import Lock
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from pataudit.collectors.aws import ROOT_USER, AccountPayloads, parse_account
from pataudit.collectors.base import Collection, ScopeError, SourceRecord
from pataudit.collectors.redact import drop_secrets
from pataudit.config import AwsSource

PERMISSIONS = (
    "sts:GetCallerIdentity",
    "sts:AssumeRole (on the member-account role)",
    "organizations:ListAccounts (organization mode)",
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:GetAccountSummary",
    "iam:GetAccountAuthorizationDetails",
    "iam:ListAccessKeys",
)
RETRIES = BotoConfig(retries={"mode": "adaptive", "max_attempts": 10})
REPORT_POLL_SECONDS = 2.0
REPORT_POLL_LIMIT = 30
SessionFactory = Callable[..., boto3.session.Session]
Progress = Callable[[str], None]


@dataclass
class CallCounter:
    """Counts API calls per `service:Operation`, across threads."""

    counts: Counter = field(default_factory=Counter)
    lock: Lock = field(default_factory=Lock)

    def attach(self, client: Any) -> Any:
        """Count every call the client makes (retries included, as botocore sends them)."""
        service = client.meta.service_model.service_name

        def count(model: Any, **_: Any) -> None:
            with self.lock:
                self.counts[f"{service}:{model.name}"] += 1

        client.meta.events.register("before-call", count)
        return client


@dataclass
class AccountResult:
    """One account's payloads, or the reason it could not be read."""

    account_id: str
    payloads: AccountPayloads | None = None
    error: str | None = None


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        operation = getattr(exc, "operation_name", "call")
        return f"{operation}: {error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


def read_account(session: boto3.session.Session, counter: CallCounter, region: str) -> AccountPayloads:
    """All payloads of one account, through the session's credentials."""
    iam = counter.attach(session.client("iam", region_name=region, config=RETRIES))
    report = credential_report(iam)
    content = report["Content"]
    summary = {"SummaryMap": iam.get_account_summary()["SummaryMap"]}
    pages = []
    for page in iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Group", "LocalManagedPolicy"], PaginationConfig={"PageSize": 1000}
    ):
        pages.append({k: page[k] for k in ("UserDetailList", "GroupDetailList", "Policies") if k in page})
    keys = []
    for user in users_with_keys(content):
        for page in iam.get_paginator("list_access_keys").paginate(UserName=user):
            keys.append({"AccessKeyMetadata": page["AccessKeyMetadata"]})
    return AccountPayloads(
        credential_report=content,
        generated_at=_utc(report.get("GeneratedTime")),
        access_keys=drop_secrets(_jsonable(keys)),
        authorization_details=drop_secrets(_jsonable(pages)),
        account_summary=summary,
    )


def credential_report(iam: Any) -> dict[str, Any]:
    """Generate the credential report (or reuse a recent one) and fetch it, polling while it is in progress."""
    for _ in range(REPORT_POLL_LIMIT):
        iam.generate_credential_report()
        try:
            return iam.get_credential_report()
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("ReportInProgress", "ReportNotPresent", "ReportExpired"):
                raise
        time.sleep(REPORT_POLL_SECONDS)
    raise TimeoutError(f"credential report not ready after {REPORT_POLL_LIMIT} polls")


def users_with_keys(content: bytes) -> list[str]:
    """IAM users (not root) whose credential report row shows an access key."""
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    users = []
    for row in reader:
        has_key = any(row.get(f"access_key_{n}_last_rotated", "N/A") not in ("N/A", "") for n in (1, 2))
        if has_key and row.get("user") != ROOT_USER:
            users.append(row["user"])
    return users


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    return value


def target_accounts(source: AwsSource, base: boto3.session.Session, caller: str, counter: CallCounter) -> list[str]:
    """The accounts to read: the caller's, the configured list, or the organisation's active accounts."""
    if source.organization:
        org = counter.attach(base.client("organizations", region_name=source.region, config=RETRIES))
        accounts = [
            a["Id"] for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]
            if a.get("Status", "ACTIVE") == "ACTIVE"
        ]  # fmt: skip
    else:
        accounts = list(source.accounts or [source.account_id or caller])
    if source.include:
        accounts = [a for a in accounts if any(fnmatch.fnmatch(a, p) for p in source.include)]
    return sorted(a for a in accounts if not any(fnmatch.fnmatch(a, p) for p in source.exclude))


def account_session(
    source: AwsSource, base: boto3.session.Session, caller: str, account: str, counter: CallCounter
) -> boto3.session.Session:
    """A session in `account`: the base credentials for the caller's own account, else an assumed role."""
    if account == caller:
        return base
    sts = counter.attach(base.client("sts", region_name=source.region, config=RETRIES))
    arguments = {"RoleArn": f"arn:aws:iam::{account}:role/{source.role_name}", "RoleSessionName": "pataudit"}
    if source.external_id:
        arguments["ExternalId"] = source.external_id
    credentials = sts.assume_role(**arguments)["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=source.region,
    )


def collect_live(source: AwsSource, label: str, started_at: datetime, progress: Progress) -> Collection:
    """Read every target account concurrently; a failing account is an ERROR scope, the others go on."""
    counter = CallCounter()
    record = SourceRecord(
        label=label, type="aws", scope="organization" if source.organization else "accounts",
        method="live (AWS IAM API, boto3)", started_at=started_at, permissions=list(PERMISSIONS),
    )  # fmt: skip
    collection = Collection(record=record)
    base = boto3.session.Session(profile_name=source.profile, region_name=source.region)
    try:
        sts = counter.attach(base.client("sts", region_name=source.region, config=RETRIES))
        caller = sts.get_caller_identity()["Account"]
        accounts = target_accounts(source, base, caller, counter)
    except (ClientError, BotoCoreError) as exc:
        record.errors.append(ScopeError(scope=record.scope, message=_describe(exc)))
        record.api_calls = dict(counter.counts)
        return collection
    if not source.organization and not source.accounts:
        record.scope = accounts[0] if accounts else caller

    def read(account: str) -> AccountResult:
        try:
            session = account_session(source, base, caller, account, counter)
            return AccountResult(account, payloads=read_account(session, counter, source.region))
        except (ClientError, BotoCoreError, TimeoutError) as exc:
            return AccountResult(account, error=_describe(exc))

    with ThreadPoolExecutor(max_workers=source.max_workers) as pool:
        for number, result in enumerate(pool.map(read, accounts), start=1):
            _absorb(collection, result, source.owner_tag, started_at)
            state = "ERROR: " + result.error if result.error else "ok"
            progress(f"  {label}: account {number}/{len(accounts)} {result.account_id}: {state}")
    record.api_calls = dict(counter.counts)
    return collection


def _absorb(collection: Collection, result: AccountResult, owner_tag: str | None, started_at: datetime) -> None:
    record = collection.record
    if result.payloads is None:
        record.errors.append(ScopeError(scope=result.account_id, message=result.error or "not read"))
        return
    payloads = result.payloads
    evidence = payloads.keep(collection, result.account_id)
    collection.keep_note(result.account_id, payloads.generated_at)
    rows, notes = parse_account(
        payloads, account_id=result.account_id, collected_at=payloads.generated_at or started_at,
        owner_tag=owner_tag, evidence=evidence,
    )  # fmt: skip
    collection.rows.extend(rows)
    record.notes.extend(notes)
    record.scopes.append(result.account_id)
    if payloads.generated_at and (record.data_as_of is None or payloads.generated_at < record.data_as_of):
        record.data_as_of = payloads.generated_at
