"""AWS IAM access keys from the credential report (and ListAccessKeys), parsed without API calls."""

from __future__ import annotations

import base64
import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pataudit.collectors.aws_privilege import user_privileges
from pataudit.collectors.base import Collection, SourceRecord
from pataudit.collectors.payload_files import canonical_json, read_bytes, read_json_list, read_json_object
from pataudit.errors import CollectionError
from pataudit.inventory import make_row, token_id
from pataudit.timeparse import parse_timestamp

KINDS = ("aws_access_key",)
ROOT_USER = "<root_account>"
REPORT_COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)
PERMISSIONS_FILE_MODE = (
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:ListAccessKeys",
    "iam:GetAccountAuthorizationDetails",
    "iam:GetAccountSummary",
)


def parse_credential_report(
    content: bytes,
    *,
    account_id: str,
    collected_at: datetime,
    access_keys: list[dict[str, Any]] | None = None,
    privileges: dict[str, dict[str, Any]] | None = None,
    owner_tag: str | None = None,
    evidence: str = "",
) -> list[dict[str, Any]]:
    """Inventory rows for every access key in an IAM credential report (CSV bytes as AWS returns them).

    `privileges` (from `aws_privilege.user_privileges`) sets each key's privilege from its user's
    effective policies; without it only root keys are known to be admin.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CollectionError(f"credential report is not UTF-8 text: {exc}") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise CollectionError("credential report is empty")
    missing = [c for c in REPORT_COLUMNS if c not in header]
    if missing:
        raise CollectionError(f"credential report header lacks columns: {', '.join(missing)}")
    key_ids = _key_ids_by_user(access_keys or [])
    rows: list[dict[str, Any]] = []
    for line_number, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != len(header):
            raise CollectionError(
                f"credential report line {line_number}: expected {len(header)} columns, found {len(cells)}"
            )
        record = dict(zip(header, cells, strict=True))
        try:
            rows.extend(_user_keys(record, account_id, collected_at, key_ids, evidence, privileges, owner_tag))
        except ValueError as exc:
            raise CollectionError(f"credential report line {line_number}: {exc}") from None
    return rows


def _user_keys(
    record: dict[str, str],
    account_id: str,
    collected_at: datetime,
    key_ids: dict[str, list[dict[str, Any]]],
    evidence: str,
    privileges: dict[str, dict[str, Any]] | None,
    owner_tag: str | None,
) -> list[dict[str, Any]]:
    user = record["user"]
    is_root = user == ROOT_USER
    console = record["password_enabled"].strip().lower() == "true"
    owner_type = "root" if is_root else ("human" if console else "service")
    privilege = "admin" if is_root else "unknown"
    label = user
    if privileges is not None and not is_root:
        details = privileges.get(user)
        privilege = details["privilege"] if details else "unknown"
        tagged = details and owner_tag and details["tags"].get(owner_tag)
        label = f"{user} (owner {tagged})" if tagged else user
    rows = []
    for slot in (1, 2):
        rotated = parse_timestamp(record[f"access_key_{slot}_last_rotated"])
        if rotated is None:
            continue
        active = _flag(record[f"access_key_{slot}_active"], f"access_key_{slot}_active")
        last_used = parse_timestamp(record[f"access_key_{slot}_last_used_date"])
        native = _match_key_id(key_ids.get(user, []), rotated) or f"{user}/key{slot}"
        rows.append(
            make_row(
                token_id=token_id("aws", account_id, "aws_access_key", native),
                source="aws",
                scope=account_id,
                kind="aws_access_key",
                name=f"{label} access key {slot}",
                owner=record["arn"] or user,
                owner_type=owner_type,
                owner_active="true",
                created_at=rotated,
                last_rotated_at=rotated,
                last_used_at=last_used,
                usage_tracked=True,
                status="active" if active else "inactive",
                privilege=privilege,
                resource_scope="all" if privilege == "admin" else "unknown",
                collected_at=collected_at,
                evidence=evidence,
            )
        )
    return rows


def _flag(value: str, column: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"{column} must be true or false, found {value!r}")
    return lowered == "true"


def _key_ids_by_user(responses: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_user: dict[str, list[dict[str, Any]]] = {}
    for item in responses:
        for meta in item.get("AccessKeyMetadata", [item]):
            if "AccessKeyId" in meta:
                by_user.setdefault(meta.get("UserName") or ROOT_USER, []).append(meta)
    return by_user


def _match_key_id(keys: list[dict[str, Any]], rotated: datetime) -> str | None:
    """The AccessKeyId whose CreateDate matches the report's last_rotated (to the second)."""
    for meta in keys:
        created = parse_timestamp(meta.get("CreateDate"))
        if created is not None and abs((created - rotated).total_seconds()) < 1:
            return str(meta["AccessKeyId"])
    return None


@dataclass
class AccountPayloads:
    """What is read from one AWS account, live or from saved files (the same parser takes both)."""

    credential_report: bytes
    generated_at: datetime | None = None
    access_keys: list[dict[str, Any]] | None = None
    authorization_details: list[dict[str, Any]] | None = None
    account_summary: dict[str, Any] | None = None

    def keep(self, collection: Collection, account_id: str) -> str:
        """Keep every payload as evidence of the account; returns the credential report's evidence path."""
        path = collection.keep(account_id, "credential_report.csv", self.credential_report)
        extras = {
            "access_keys.json": self.access_keys,
            "authorization_details.json": self.authorization_details,
            "account_summary.json": self.account_summary,
        }
        for name, payload in extras.items():
            if payload is not None:
                collection.keep(account_id, name, canonical_json(payload))
        return path


def parse_account(
    payloads: AccountPayloads, *, account_id: str, collected_at: datetime, owner_tag: str | None, evidence: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """Inventory rows of one account, and notes about what the payloads could not show."""
    privileges = user_privileges(payloads.authorization_details) if payloads.authorization_details else None
    rows = parse_credential_report(
        payloads.credential_report,
        account_id=account_id,
        collected_at=collected_at,
        access_keys=payloads.access_keys,
        privileges=privileges,
        owner_tag=owner_tag,
        evidence=evidence,
    )
    notes = []
    if privileges is None:
        notes.append(f"{account_id}: no authorization details: IAM users' privilege is unknown")
    summary = (payloads.account_summary or {}).get("SummaryMap", {})
    root_in_report = any(r["owner_type"] == "root" for r in rows)
    if summary.get("AccountAccessKeysPresent") and not root_in_report:
        rows.append(
            make_row(
                token_id=token_id("aws", account_id, "aws_access_key", f"{ROOT_USER}/summary"),
                source="aws", scope=account_id, kind="aws_access_key", name="root user access key (account summary)",
                owner=f"arn:aws:iam::{account_id}:root", owner_type="root", owner_active="true", status="active",
                privilege="admin", resource_scope="all", collected_at=collected_at, evidence=evidence,
            )
        )  # fmt: skip
        notes.append(f"{account_id}: GetAccountSummary reports root access keys the credential report does not list")
    return rows, notes


def read_credential_report(path: Path, generated_at: datetime | None) -> tuple[bytes, datetime | None]:
    """The report's CSV bytes and generation time, from the CSV itself or a saved GetCredentialReport response.

    The response (`aws iam get-credential-report` output) carries the CSV base64-encoded in `Content` and
    its `GeneratedTime`, which is used when the config gives no `credential_report_generated_at`.
    """
    data = read_bytes(path)
    if not data.lstrip().startswith(b"{"):
        return data, generated_at
    try:
        response = json.loads(data)
        content = base64.b64decode(response["Content"], validate=True)
        generated = parse_timestamp(response.get("GeneratedTime"))
    except (ValueError, KeyError, TypeError) as exc:
        raise CollectionError(
            f"{path}: neither a credential report CSV nor a GetCredentialReport response: {exc}"
        ) from None
    return content, generated_at or generated


def collect_from_files(
    *,
    label: str,
    account_id: str,
    credential_report: Path,
    generated_at: datetime | None,
    access_keys: Path | None,
    authorization_details: Path | None,
    account_summary: Path | None,
    owner_tag: str | None,
    started_at: datetime,
) -> Collection:
    """Read one account's saved payloads (credential report, access keys, authorization details) into a Collection."""
    record = SourceRecord(
        label=label,
        type="aws",
        scope=account_id,
        method="saved payloads (IAM credential report)",
        started_at=started_at,
        permissions=list(PERMISSIONS_FILE_MODE),
        scopes=[account_id],
    )
    collection = Collection(record=record)
    report, generated_at = read_credential_report(credential_report, generated_at)
    payloads = AccountPayloads(
        credential_report=report,
        generated_at=generated_at,
        access_keys=read_json_list(access_keys, key="AccessKeyMetadata") if access_keys else None,
        authorization_details=(
            read_json_list(authorization_details, whole_object=True) if authorization_details else None
        ),
        account_summary=read_json_object(account_summary) if account_summary else None,
    )
    evidence = payloads.keep(collection, account_id)
    collection.keep_note(account_id, generated_at)
    record.data_as_of = generated_at
    if generated_at is None:
        record.notes.append("credential report generation time not given: its freshness cannot be checked")
    collection.rows, notes = parse_account(
        payloads, account_id=account_id, collected_at=generated_at or started_at, owner_tag=owner_tag, evidence=evidence
    )
    record.notes.extend(notes)
    return collection
