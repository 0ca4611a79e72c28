"""GCP user-managed service-account keys of one project, with their service account's roles and last use.

Parse side (pure): the payloads of one project as the live collector saves them — `service_accounts.json`,
`keys.json` (each key as ListServiceAccountKeys returns it), `iam_policy.json`, `key_activity.json` (Policy
Analyzer `serviceAccountKeyLastAuthentication` activities, or absent when not readable) and `org_policies.json`
(effective policies of the key constraints).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from pataudit.collectors.base import Collection
from pataudit.collectors.payload_files import canonical_json, read_json_list, read_json_object
from pataudit.errors import CollectionError
from pataudit.inventory import make_row, token_id
from pataudit.timeparse import parse_timestamp

KINDS = ("gcp_sa_key",)
NEVER_YEAR = 9999
KEY_CONSTRAINTS = ("iam.disableServiceAccountKeyCreation", "iam.serviceAccountKeyExpiryHours")
PERMISSIONS = (
    "roles/browser (folders and projects)",
    "roles/iam.securityReviewer (service accounts, keys, IAM policies)",
    "roles/policyanalyzer.activityAnalysisViewer (key last authentication)",
    "roles/orgpolicy.policyViewer (key constraints)",
)
PAYLOAD_FILES = ("service_accounts", "keys", "iam_policy", "key_activity", "org_policies")
REST_LIST_KEYS = {"service_accounts": "accounts", "keys": "keys", "key_activity": "activities"}


def role_privilege(roles: set[str]) -> str:
    """Owner, editor and any *Admin role are admin; editor/writer/developer-like roles write; the rest read."""
    lowered = {r.lower() for r in roles}
    if {"roles/owner", "roles/editor"} & lowered or any(r.rsplit(".", 1)[-1].endswith("admin") for r in lowered):
        return "admin"
    if any(word in r for r in lowered for word in ("editor", "writer", "developer", "creator", "user", "invoker")):
        return "write"
    return "read"


def _roles_by_member(policy: dict[str, Any]) -> tuple[dict[str, set[str]], set[str]]:
    roles: dict[str, set[str]] = {}
    conditional: set[str] = set()
    inherited = [b for level in policy.get("inherited") or [] for b in level.get("bindings") or []]
    for binding in (policy.get("bindings") or []) + inherited:
        for member in binding.get("members") or []:
            roles.setdefault(member, set()).add(binding["role"])
            if binding.get("condition"):
                conditional.add(member)
    return roles, conditional


def _expiry(value: object) -> datetime | None:
    moment = parse_timestamp(value)
    return None if moment is None or moment.year >= NEVER_YEAR else moment


def _last_use(activities: list[dict[str, Any]] | None) -> dict[str, datetime]:
    found = {}
    for item in activities or []:
        name = str(item.get("fullResourceName", "")).rsplit("/keys/", 1)[-1]
        when = parse_timestamp((item.get("activity") or {}).get("lastAuthenticatedTime"))
        if name and when:
            found[name] = when
    return found


def _constraint_dates(org_policies: dict[str, Any] | None) -> dict[str, datetime | None]:
    """Constraints in force (enforced, or with allowed values) and when they were last set, if known."""
    dates: dict[str, datetime | None] = {}
    for constraint, policy in (org_policies or {}).items():
        spec = (policy or {}).get("spec") or {}
        rules = spec.get("rules") or []
        if any(r.get("enforce") or (r.get("values") or {}).get("allowedValues") for r in rules):
            dates[constraint] = parse_timestamp(spec.get("updateTime"))
    return dates


def parse_project(
    project: str, payloads: dict[str, Any], *, collected_at: datetime, evidence: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows for the project's user-managed keys, and notes (system keys, conditional roles, constraints)."""
    accounts = {a["email"]: a for a in payloads.get("service_accounts") or []}
    roles, conditional = _roles_by_member(payloads.get("iam_policy") or {})
    activity = payloads.get("key_activity")
    used = _last_use(activity)
    constraints = _constraint_dates(payloads.get("org_policies"))
    rows, notes, system_keys = [], [], 0
    for key in payloads.get("keys") or []:
        try:
            if str(key.get("key_type", "USER_MANAGED")) == "SYSTEM_MANAGED":
                system_keys += 1
                continue
            email = key["name"].split("/serviceAccounts/")[1].split("/keys/")[0]
            key_id = key["name"].rsplit("/", 1)[-1]
            account = accounts.get(email) or {}
            created = parse_timestamp(key.get("valid_after_time"))
            predates = [c for c, set_at in constraints.items() if set_at and created and created < set_at]
            member_roles = roles.get(f"serviceAccount:{email}", set())
            privilege = role_privilege(member_roles)
            rows.append(
                make_row(
                    token_id=token_id("gcp", project, "gcp_sa_key", key_id),
                    source="gcp",
                    scope=project,
                    kind="gcp_sa_key",
                    name=f"{email} key {key_id[:12]}" + (f" (predates {', '.join(predates)})" if predates else ""),
                    owner=email,
                    owner_type="service",
                    owner_active="false" if account.get("disabled") or not account else "true",
                    created_at=created,
                    last_rotated_at=created,
                    expires_at=_expiry(key.get("valid_before_time")),
                    last_used_at=used.get(key_id),
                    usage_tracked=activity is not None,
                    status="inactive" if key.get("disabled") else "active",
                    scopes=f"origin={key.get('key_origin', 'unknown')} "
                    + " ".join(sorted(member_roles))
                    + (" (conditional)" if f"serviceAccount:{email}" in conditional else ""),
                    privilege=privilege,
                    resource_scope="all" if privilege == "admin" else "unknown",
                    collected_at=collected_at,
                    evidence=evidence,
                )
            )
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise CollectionError(f"{project}: key {key.get('name', '?')}: {exc}") from None
    unreadable = (payloads.get("iam_policy") or {}).get("unreadable_ancestors") or []
    if unreadable:
        notes.append(f"{project}: IAM policies of {', '.join(unreadable)} not readable: inherited roles may be missing")
    if system_keys:
        notes.append(f"{project}: {system_keys} Google-managed key(s) not inventoried (they rotate automatically)")
    if activity is None:
        notes.append(f"{project}: key last-use (Policy Analyzer) not readable: usage controls are not applicable")
    for constraint in constraints:
        notes.append(f"{project}: organisation policy {constraint} is in force")
    return rows, notes


def keep_project(collection: Collection, project: str, payloads: dict[str, Any]) -> str:
    """Keep one project's payloads as evidence; returns the keys' evidence path."""
    for name in PAYLOAD_FILES:
        if payloads.get(name) is not None:
            collection.keep(project, f"{name}.json", canonical_json(payloads[name]))
    return f"evidence/gcp/{project}/keys.json.gz"


def read_project_folder(folder: Path) -> dict[str, Any]:
    """One project's saved payloads (a folder of `<name>.json` or `<name>.json.gz`).

    Lists may also be saved as the REST API (or `gcloud … --format=json`) sends them: `{"keys": [...]}`,
    `{"accounts": [...]}`, `{"activities": [...]}`, with camelCase key fields (`validAfterTime`, `keyType`).
    """
    payloads: dict[str, Any] = {}
    for name in PAYLOAD_FILES:
        for candidate in (folder / f"{name}.json", folder / f"{name}.json.gz"):
            if candidate.is_file():
                if name in ("iam_policy", "org_policies"):
                    payloads[name] = read_json_object(candidate)
                else:
                    payloads[name] = read_json_list(candidate, key=REST_LIST_KEYS[name])
    if "keys" not in payloads:
        raise CollectionError(f"{folder}: no keys.json: not a saved GCP project")
    payloads["keys"] = [{_snake_case(field): value for field, value in key.items()} for key in payloads["keys"]]
    return payloads


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def collect_from_files(
    *, label: str, project: str, folder: Path, collected_at: datetime | None, started_at: datetime
) -> Collection:
    """One project's saved payloads into a Collection."""
    collection = Collection.begin(
        label=label,
        type="gcp",
        scope=project,
        method="saved payloads (GCP APIs)",
        started_at=started_at,
        permissions=PERMISSIONS,
        data_as_of=collected_at,
    )
    payloads = read_project_folder(folder)
    evidence = keep_project(collection, project, payloads)
    collection.rows, notes = parse_project(
        project, payloads, collected_at=collected_at or started_at, evidence=evidence
    )
    collection.record.notes += notes
    collection.record.scopes.append(project)
    return collection
