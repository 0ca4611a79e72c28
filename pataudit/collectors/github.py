"""GitHub organisation credentials from REST payloads: fine-grained PATs, SSO-authorised classic PATs
and SSH keys, and members (for owner_active). Parse side; no API calls here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pataudit.collectors.base import Collection, SourceRecord
from pataudit.collectors.payload_files import canonical_json, read_json_list
from pataudit.errors import CollectionError
from pataudit.inventory import make_row, token_id
from pataudit.timeparse import parse_timestamp

KINDS = ("github_fine_grained_pat", "github_classic_pat", "github_ssh_key", "github_oauth_token")

# Privilege mapping (documented in docs/privilege-mapping.md).
CLASSIC_ADMIN_SCOPES = frozenset(
    {
        "admin:org",
        "admin:enterprise",
        "delete_repo",
        "admin:repo_hook",
        "admin:org_hook",
        "site_admin",
        "admin:public_key",
        "admin:gpg_key",
        "admin:ssh_signing_key",
        "delete:packages",
    }
)
CLASSIC_WRITE_SCOPES = frozenset(
    {
        "repo",
        "public_repo",
        "workflow",
        "write:org",
        "write:packages",
        "write:discussion",
        "repo_deployment",
        "write:repo_hook",
        "write:public_key",
        "write:gpg_key",
        "codespace",
        "project",
        "gist",
        "user",
        "manage_runners:org",
        "manage_billing:enterprise",
        "manage_runners:enterprise",
        "audit_log",
    }
)
FINE_GRAINED_ADMIN = frozenset(
    {
        ("repository", "administration"),
        ("organization", "organization_administration"),
        ("organization", "members"),
        ("organization", "administration"),
        ("repository", "secrets"),
        ("organization", "secrets"),
        ("organization", "custom_roles"),
    }
)
WRITE_LEVELS = frozenset({"write", "admin"})


def classic_privilege(scopes: list[str]) -> str:
    """Normalised privilege of a classic PAT from its OAuth scopes."""
    if CLASSIC_ADMIN_SCOPES.intersection(scopes):
        return "admin"
    if CLASSIC_WRITE_SCOPES.intersection(scopes):
        return "write"
    return "read"


def fine_grained_privilege(permissions: dict[str, dict[str, str]]) -> str:
    """Normalised privilege of a fine-grained PAT from its permission map."""
    writes = {
        (group, name)
        for group, grants in (permissions or {}).items()
        for name, level in (grants or {}).items()
        if str(level).lower() in WRITE_LEVELS
    }
    if writes & FINE_GRAINED_ADMIN:
        return "admin"
    return "write" if writes else "read"


def flatten_permissions(permissions: dict[str, dict[str, str]]) -> str:
    """`repository:contents:write organization:members:read` — the permission map as one string."""
    return " ".join(
        f"{group}:{name}:{level}"
        for group, grants in sorted((permissions or {}).items())
        for name, level in sorted((grants or {}).items())
    )


def parse_fine_grained_pats(
    grants: list[dict[str, Any]], *, org: str, members: set[str] | None, collected_at: datetime, evidence: str
) -> list[dict[str, Any]]:
    """Rows for `GET /orgs/{org}/personal-access-tokens` (one grant per token)."""
    rows = []
    for index, grant in enumerate(grants):
        try:
            owner = grant["owner"]["login"]
            native = grant.get("token_id", grant["id"])
            permissions = grant.get("permissions") or {}
            expired = bool(grant.get("token_expired"))
            rows.append(
                make_row(
                    token_id=token_id("github", org, "github_fine_grained_pat", native),
                    source="github",
                    scope=org,
                    kind="github_fine_grained_pat",
                    name=grant.get("token_name") or "",
                    owner=owner,
                    owner_type="bot" if grant["owner"].get("type") == "Bot" else "human",
                    owner_active=_membership(owner, members),
                    created_at=parse_timestamp(grant.get("access_granted_at")),
                    expires_at=parse_timestamp(grant.get("token_expires_at")),
                    last_used_at=parse_timestamp(grant.get("token_last_used_at")),
                    status="expired" if expired else "active",
                    scopes=flatten_permissions(permissions),
                    privilege=fine_grained_privilege(permissions),
                    resource_scope="all" if grant.get("repository_selection") == "all" else "selected",
                    collected_at=collected_at,
                    evidence=evidence,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CollectionError(f"personal-access-tokens item {index}: {_problem(exc)}") from None
    return rows


CREDENTIAL_KINDS = {"personal access token": "github_classic_pat", "ssh key": "github_ssh_key"}
OTHER_CREDENTIAL = "github_oauth_token"  # OAuth app and other SSO-authorised credentials


def parse_credential_authorizations(
    items: list[dict[str, Any]], *, org: str, members: set[str] | None, collected_at: datetime, evidence: str
) -> list[dict[str, Any]]:
    """Rows for `GET /orgs/{org}/credential-authorizations` (classic PATs and SSH keys under SAML SSO)."""
    rows = []
    for index, item in enumerate(items):
        try:
            kind = CREDENTIAL_KINDS.get(str(item["credential_type"]).lower(), OTHER_CREDENTIAL)
            scopes = list(item.get("scopes") or [])
            owner = item["login"]
            rows.append(
                make_row(
                    token_id=token_id("github", org, kind, item["credential_id"]),
                    source="github",
                    scope=org,
                    kind=kind,
                    name=item.get("authorized_credential_note") or item.get("authorized_credential_title") or "",
                    owner=owner,
                    owner_type="human",
                    owner_active=_membership(owner, members),
                    created_at=parse_timestamp(item.get("credential_authorized_at")),
                    expires_at=parse_timestamp(item.get("authorized_credential_expires_at")),
                    last_used_at=parse_timestamp(item.get("credential_accessed_at")),
                    scopes=" ".join(scopes),
                    privilege=classic_privilege(scopes) if kind != "github_ssh_key" else "write",
                    resource_scope="all",
                    collected_at=collected_at,
                    evidence=evidence,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CollectionError(f"credential-authorizations item {index}: {_problem(exc)}") from None
    return rows


def _membership(login: str, members: set[str] | None) -> str:
    if members is None:
        return "unknown"
    return "true" if login.lower() in members else "false"


def _problem(exc: Exception) -> str:
    return f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)


def collect_from_files(
    *,
    label: str,
    org: str,
    personal_access_tokens: Path | None,
    credential_authorizations: Path | None,
    members: Path | None,
    collected_at: datetime | None,
    started_at: datetime,
) -> Collection:
    """Read saved GitHub org payloads into a Collection."""
    record = SourceRecord(
        label=label,
        type="github",
        scope=org,
        method="saved payloads (GitHub REST API)",
        started_at=started_at,
        permissions=["organization_personal_access_tokens: read (GitHub App)", "read:org (SAML SSO owner)"],
    )
    collection = Collection(record=record)
    data_time = collected_at
    record.data_as_of = data_time
    collection.keep_note(org, data_time)
    when = data_time or started_at
    member_set = None
    if members:
        member_items = read_json_list(members)
        collection.keep(org, "members.json", canonical_json(member_items))
        member_set = {str(m["login"]).lower() for m in member_items if "login" in m}
    else:
        record.notes.append("members not given: owner_active is unknown for every token")
    if personal_access_tokens:
        grants = read_json_list(personal_access_tokens)
        evidence = collection.keep(org, "personal_access_tokens.json", canonical_json(grants))
        collection.rows += parse_fine_grained_pats(
            grants,
            org=org,
            members=member_set,
            collected_at=when,
            evidence=evidence,
        )
    else:
        record.notes.append("fine-grained personal access tokens not given")
    if credential_authorizations:
        items = read_json_list(credential_authorizations)
        evidence = collection.keep(org, "credential_authorizations.json", canonical_json(items))
        collection.rows += parse_credential_authorizations(
            items,
            org=org,
            members=member_set,
            collected_at=when,
            evidence=evidence,
        )
    else:
        record.notes.append("credential authorizations not given: classic PATs and SSH keys are not visible")
    return collection
