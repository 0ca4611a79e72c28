"""AWS IAM access keys from the credential report (and ListAccessKeys), parsed without API calls."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

from pataudit.collectors.base import Collection, SourceRecord, evidence_path
from pataudit.collectors.payload_files import canonical_json, read_bytes, read_json_list
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
PERMISSIONS_FILE_MODE = ("iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:ListAccessKeys")


def parse_credential_report(
    content: bytes,
    *,
    account_id: str,
    collected_at: datetime,
    access_keys: list[dict[str, Any]] | None = None,
    evidence: str = "",
) -> list[dict[str, Any]]:
    """Inventory rows for every access key in an IAM credential report (CSV bytes as AWS returns them)."""
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
            rows.extend(_user_keys(record, account_id, collected_at, key_ids, evidence))
        except ValueError as exc:
            raise CollectionError(f"credential report line {line_number}: {exc}") from None
    return rows


def _user_keys(
    record: dict[str, str],
    account_id: str,
    collected_at: datetime,
    key_ids: dict[str, list[dict[str, Any]]],
    evidence: str,
) -> list[dict[str, Any]]:
    user = record["user"]
    is_root = user == ROOT_USER
    console = record["password_enabled"].strip().lower() == "true"
    owner_type = "root" if is_root else ("human" if console else "service")
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
                name=f"{user} access key {slot}",
                owner=record["arn"] or user,
                owner_type=owner_type,
                owner_active="true",
                created_at=rotated,
                last_rotated_at=rotated,
                last_used_at=last_used,
                usage_tracked=True,
                status="active" if active else "inactive",
                privilege="admin" if is_root else "unknown",
                resource_scope="all" if is_root else "unknown",
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


def collect_from_files(
    *,
    label: str,
    account_id: str,
    credential_report: Path,
    generated_at: datetime | None,
    access_keys: Path | None,
    started_at: datetime,
) -> Collection:
    """Read a saved credential report (and ListAccessKeys JSON) into a Collection."""
    record = SourceRecord(
        label=label,
        type="aws",
        scope=account_id,
        method="saved payloads (IAM credential report)",
        started_at=started_at,
        permissions=list(PERMISSIONS_FILE_MODE),
    )
    collection = Collection(record=record)
    content = read_bytes(credential_report)
    collection.payloads["credential_report.csv"] = content
    keys = read_json_list(access_keys, key="AccessKeyMetadata") if access_keys else None
    if keys is not None:
        collection.payloads["access_keys.json"] = canonical_json(keys)
    report_time = generated_at
    record.data_as_of = report_time
    if report_time is None:
        record.notes.append("credential report generation time not given: its freshness cannot be checked")
    collected_at = report_time or started_at
    collection.rows = parse_credential_report(
        content,
        account_id=account_id,
        collected_at=collected_at,
        access_keys=keys,
        evidence=evidence_path("aws", account_id, "credential_report.csv"),
    )
    return collection
