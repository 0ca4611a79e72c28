"""GitHub organisation credentials from REST payloads: fine-grained PATs, SSO-authorised classic PATs
and SSH keys, and members (for owner_active). Parse side; no API calls here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pataudit.collectors.base import Collection
from pataudit.collectors.payload_files import canonical_json, read_json_list
from pataudit.config import GITHUB_PAYLOAD_KEYS
from pataudit.errors import CollectionError
from pataudit.inventory import make_row, token_id
from pataudit.timeparse import parse_timestamp

KINDS = (
    "github_fine_grained_pat",
    "github_classic_pat",
    "github_ssh_key",
    "github_oauth_token",
    "github_actions_secret",
    "github_deploy_key",
    "github_app_installation",
)

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


def parse_token_requests(
    requests_: list[dict[str, Any]], *, org: str, members: set[str] | None, collected_at: datetime, evidence: str
) -> list[dict[str, Any]]:
    """Pending fine-grained PAT requests (`/personal-access-token-requests`): not yet usable, so inactive."""
    rows = parse_fine_grained_pats(
        [{**r, "token_id": f"request-{r['id']}", "access_granted_at": r.get("created_at")} for r in requests_],
        org=org,
        members=members,
        collected_at=collected_at,
        evidence=evidence,
    )
    for row in rows:
        row["status"] = "inactive"
    return rows


def parse_actions_secrets(items: list[dict[str, Any]], *, org: str, collected_at: datetime, evidence: str) -> list:
    """GitHub Actions secrets (org level, or with a `repository`): `updated_at` is the last rotation.

    An org secret visible to `all` or to every `private` repository reaches all (private) repositories;
    only `selected` visibility narrows it.
    """
    rows = []
    for item in items:
        try:
            repository = item.get("repository")
            created = parse_timestamp(item.get("created_at"))
            org_wide = repository is None and item.get("visibility") in (None, "all", "private")
            rows.append(
                make_row(
                    token_id=token_id("github", org, "github_actions_secret", f"{repository or 'org'}/{item['name']}"),
                    source="github",
                    scope=org,
                    kind="github_actions_secret",
                    name=f"{repository or org}: {item['name']}",
                    owner=repository or org,
                    owner_type="service",
                    owner_active="true",
                    created_at=created,
                    last_rotated_at=parse_timestamp(item.get("updated_at")) or created,
                    usage_tracked=False,
                    resource_scope="all" if org_wide else "selected",
                    collected_at=collected_at,
                    evidence=evidence,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CollectionError(f"actions secret {item.get('name', '?')}: {_problem(exc)}") from None
    return rows


def parse_deploy_keys(items: list[dict[str, Any]], *, org: str, collected_at: datetime, evidence: str) -> list:
    """Repository deploy keys (`/repos/{owner}/{repo}/keys`, with a `repository` added)."""
    rows = []
    for item in items:
        try:
            rows.append(
                make_row(
                    token_id=token_id("github", org, "github_deploy_key", item["id"]),
                    source="github",
                    scope=org,
                    kind="github_deploy_key",
                    name=f"{item.get('repository', '?')}: {item.get('title') or ''}",
                    owner=item.get("repository") or org,
                    owner_type="service",
                    owner_active="true",
                    created_at=parse_timestamp(item.get("created_at")),
                    last_used_at=parse_timestamp(item.get("last_used")),
                    usage_tracked="last_used" in item,
                    privilege="read" if item.get("read_only", True) else "write",
                    resource_scope="selected",
                    collected_at=collected_at,
                    evidence=evidence,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CollectionError(f"deploy key {item.get('id', '?')}: {_problem(exc)}") from None
    return rows


INSTALLATION_ADMIN = frozenset(
    {
        "administration",
        "organization_administration",
        "members",
        "secrets",
        "organization_secrets",
        "organization_user_blocking",
    }
)


def parse_installations(items: list[dict[str, Any]], *, org: str, collected_at: datetime, evidence: str) -> list:
    """GitHub App installations on the org (`/orgs/{org}/installations`): permissions and repository selection."""
    rows = []
    for item in items:
        try:
            permissions = item.get("permissions") or {}
            writes = {name for name, level in permissions.items() if str(level) in WRITE_LEVELS}
            privilege = "admin" if writes & INSTALLATION_ADMIN else ("write" if writes else "read")
            rows.append(
                make_row(
                    token_id=token_id("github", org, "github_app_installation", item["id"]),
                    source="github",
                    scope=org,
                    kind="github_app_installation",
                    name=str(item.get("app_slug") or item.get("app_id") or ""),
                    owner=str(item.get("app_slug") or ""),
                    owner_type="bot",
                    owner_active="false" if item.get("suspended_at") else "true",
                    created_at=parse_timestamp(item.get("created_at")),
                    usage_tracked=False,
                    status="inactive" if item.get("suspended_at") else "active",
                    scopes=" ".join(f"{k}:{v}" for k, v in sorted(permissions.items())),
                    privilege=privilege,
                    resource_scope="all" if item.get("repository_selection") == "all" else "selected",
                    collected_at=collected_at,
                    evidence=evidence,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CollectionError(f"app installation {item.get('id', '?')}: {_problem(exc)}") from None
    return rows


def _membership(login: str, members: set[str] | None) -> str:
    if members is None:
        return "unknown"
    return "true" if login.lower() in members else "false"


def _problem(exc: Exception) -> str:
    return f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)


PAYLOADS = GITHUB_PAYLOAD_KEYS
# Responses that wrap their list in an object: {"total_count": N, "secrets": [...]}.
WRAPPED_LISTS = {"actions_secrets": "secrets", "installations": "installations"}
EXTRA_SECRETS = frozenset({"value", "encrypted_value"})  # secret values never come back, but never keep them
PERMISSIONS = (
    "GitHub App installation with organization_personal_access_tokens: read and "
    "organization_personal_access_token_requests: read (fine-grained PATs)",
    "an organisation owner's token with read:org, admin:org (credential authorizations, members, installations)",
    "repo and admin:repo_hook read for Actions secrets and deploy keys",
)


@dataclass
class GithubPayloads:
    """What is read from a GitHub organisation, live or from saved files (None: not read)."""

    members: list[dict[str, Any]] | None = None
    outside_collaborators: list[dict[str, Any]] | None = None
    personal_access_tokens: list[dict[str, Any]] | None = None
    personal_access_token_requests: list[dict[str, Any]] | None = None
    credential_authorizations: list[dict[str, Any]] | None = None
    actions_secrets: list[dict[str, Any]] | None = None
    deploy_keys: list[dict[str, Any]] | None = None
    installations: list[dict[str, Any]] | None = None


PARSERS = {
    "personal_access_tokens": parse_fine_grained_pats,
    "personal_access_token_requests": parse_token_requests,
    "credential_authorizations": parse_credential_authorizations,
}
UNOWNED_PARSERS = {
    "actions_secrets": parse_actions_secrets,
    "deploy_keys": parse_deploy_keys,
    "installations": parse_installations,
}
MISSING_NOTES = {
    "members": "members not given: owner_active is unknown for every token",
    "personal_access_tokens": "fine-grained personal access tokens not read",
    "credential_authorizations": "credential authorizations not read: classic PATs and SSH keys are not visible",
}


def collect_payloads(payloads: GithubPayloads, collection: Collection, org: str, collected_at: datetime) -> list:
    """Keep every payload read as evidence and parse it into rows."""
    members = None
    if payloads.members is not None:
        people = payloads.members + (payloads.outside_collaborators or [])
        members = {str(m["login"]).lower() for m in people if "login" in m}
    rows: list[dict[str, Any]] = []
    for name in PAYLOADS:
        items = getattr(payloads, name)
        if items is None:
            if name in MISSING_NOTES:
                collection.record.notes.append(MISSING_NOTES[name])
            continue
        evidence = collection.keep(org, f"{name}.json", canonical_json(items))
        if name in PARSERS:
            rows += PARSERS[name](items, org=org, members=members, collected_at=collected_at, evidence=evidence)
        elif name in UNOWNED_PARSERS:
            rows += UNOWNED_PARSERS[name](items, org=org, collected_at=collected_at, evidence=evidence)
    return rows


def collect_from_files(
    *, label: str, org: str, files: dict[str, Path | None], collected_at: datetime | None, started_at: datetime
) -> Collection:
    """Read saved GitHub org payloads (`files`: payload name -> path) into a Collection."""
    collection = Collection.begin(
        label=label,
        type="github",
        scope=org,
        method="saved payloads (GitHub REST API)",
        started_at=started_at,
        permissions=PERMISSIONS,
        data_as_of=collected_at,
    )
    payloads = GithubPayloads(
        **{
            name: read_json_list(path, key=WRAPPED_LISTS.get(name), extra=EXTRA_SECRETS)
            for name, path in files.items()
            if path
        }
    )
    collection.rows = collect_payloads(payloads, collection, org, collected_at or started_at)
    return collection
