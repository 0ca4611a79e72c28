"""GitLab tokens from REST payloads: personal, project and group access tokens, with their users.
Parse side; no API calls here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pataudit.collectors.base import Collection
from pataudit.collectors.payload_files import canonical_json, read_json_list
from pataudit.errors import CollectionError
from pataudit.inventory import make_row, token_id
from pataudit.timeparse import parse_timestamp

KINDS = ("gitlab_pat", "gitlab_project_token", "gitlab_group_token", "gitlab_deploy_token", "gitlab_trigger_token")
PERMISSIONS = (
    "read_api as an administrator (every user's tokens, users, deploy tokens); "
    "or Owner of the group (its projects' triggers and deploy tokens)",
)

# Scope mapping (documented in docs/privilege-mapping.md).
ADMIN_SCOPES = frozenset({"api", "sudo", "admin_mode"})
WRITE_SCOPES = frozenset(
    {
        "write_repository",
        "write_registry",
        "write_package_registry",
        "create_runner",
        "manage_runner",
        "k8s_proxy",
        "write_virtual_registry",
        "self_rotate",
        "ai_features",
    }
)
INACTIVE_STATES = frozenset({"blocked", "deactivated", "banned", "ldap_blocked", "blocked_pending_approval"})


def gitlab_privilege(scopes: list[str]) -> str:
    """Normalised privilege of a GitLab token from its scopes."""
    if ADMIN_SCOPES.intersection(scopes):
        return "admin"
    if WRITE_SCOPES.intersection(scopes):
        return "write"
    return "read"


def _token_kind(user: dict[str, Any] | None) -> tuple[str, str]:
    """(kind, owner_type) from the owning user: project and group access tokens belong to bot users (service owners)."""
    if not user:
        return "gitlab_pat", "unknown"
    username = str(user.get("username", ""))
    if user.get("bot"):
        if username.startswith("project_"):
            return "gitlab_project_token", "service"
        if username.startswith("group_"):
            return "gitlab_group_token", "service"
        return "gitlab_pat", "service"
    return "gitlab_pat", "human"


def _owner_active(user: dict[str, Any] | None, users_known: bool) -> str:
    if not users_known or user is None:
        return "unknown"
    state = str(user.get("state", "")).lower()
    if state == "active":
        return "true"
    return "false" if state in INACTIVE_STATES else "unknown"


def parse_personal_access_tokens(
    tokens: list[dict[str, Any]],
    users: list[dict[str, Any]] | None,
    *,
    instance: str,
    collected_at: datetime,
    evidence: str,
) -> list[dict[str, Any]]:
    """Rows for `GET /personal_access_tokens` joined to `GET /users` by `user_id`."""
    by_id = {u["id"]: u for u in users or [] if "id" in u}
    rows = []
    for index, item in enumerate(tokens):
        try:
            user = by_id.get(item["user_id"])
            kind, owner_type = _token_kind(user)
            scopes = list(item.get("scopes") or [])
            revoked = bool(item.get("revoked"))
            active = item.get("active", True)
            status = "revoked" if revoked else ("active" if active else "expired")
            rows.append(
                make_row(
                    token_id=token_id("gitlab", instance, kind, item["id"]),
                    source="gitlab",
                    scope=instance,
                    kind=kind,
                    name=item.get("name") or "",
                    owner=str(user.get("username")) if user else f"user:{item['user_id']}",
                    owner_type=owner_type,
                    owner_active=_owner_active(user, users is not None),
                    created_at=parse_timestamp(item.get("created_at")),
                    expires_at=parse_timestamp(item.get("expires_at")),
                    last_used_at=parse_timestamp(item.get("last_used_at")),
                    status=status,
                    scopes=" ".join(scopes),
                    privilege=gitlab_privilege(scopes),
                    resource_scope="all" if kind == "gitlab_pat" else "selected",
                    collected_at=collected_at,
                    evidence=evidence,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            problem = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise CollectionError(f"personal_access_tokens item {index}: {problem}") from None
    return rows


def parse_deploy_tokens(items: list[dict[str, Any]], *, instance: str, collected_at: datetime, evidence: str) -> list:
    """Rows for deploy tokens (`GET /deploy_tokens`, or per project/group with a `holder` path added)."""
    rows = []
    for item in items:
        try:
            holder = item.get("holder") or "instance"
            status = "revoked" if item.get("revoked") else ("expired" if item.get("expired") else "active")
            scopes = list(item.get("scopes") or [])
            rows.append(
                make_row(
                    token_id=token_id("gitlab", instance, "gitlab_deploy_token", item["id"]),
                    source="gitlab",
                    scope=instance,
                    kind="gitlab_deploy_token",
                    name=f"{holder}: {item.get('name') or ''}",
                    owner=item.get("username") or holder,
                    owner_type="service",
                    owner_active="true",
                    expires_at=parse_timestamp(item.get("expires_at")),
                    usage_tracked=False,
                    status=status,
                    scopes=" ".join(scopes),
                    privilege=gitlab_privilege(scopes),
                    resource_scope="selected",
                    collected_at=collected_at,
                    evidence=evidence,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CollectionError(f"deploy token {item.get('id', '?')}: {exc}") from None
    return rows


def parse_trigger_tokens(items: list[dict[str, Any]], *, instance: str, collected_at: datetime, evidence: str) -> list:
    """Rows for pipeline trigger tokens (`GET /projects/:id/triggers`, with a `project` path added)."""
    rows = []
    for item in items:
        try:
            owner = (item.get("owner") or {}).get("username") or "unknown"
            created = parse_timestamp(item.get("created_at"))
            rows.append(
                make_row(
                    token_id=token_id("gitlab", instance, "gitlab_trigger_token", item["id"]),
                    source="gitlab",
                    scope=instance,
                    kind="gitlab_trigger_token",
                    name=f"{item.get('project', '?')}: {item.get('description') or ''}",
                    owner=owner,
                    owner_type="human" if item.get("owner") else "unknown",
                    created_at=created,
                    last_rotated_at=created,
                    last_used_at=parse_timestamp(item.get("last_used")),
                    expires_at=parse_timestamp(item.get("expires_at")),
                    privilege="write",
                    resource_scope="selected",
                    collected_at=collected_at,
                    evidence=evidence,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CollectionError(f"trigger token {item.get('id', '?')}: {exc}") from None
    return rows


def mark_owner_activity(rows: list[dict[str, Any]], users: list[dict[str, Any]] | None) -> None:
    """Trigger tokens belong to the user who created them: set owner_active from the users list."""
    if users is None:
        return
    states = {str(u.get("username")): u for u in users}
    for row in rows:
        if row["kind"] == "gitlab_trigger_token" and row["owner"] in states:
            row["owner_active"] = _owner_active(states[row["owner"]], True)


@dataclass
class GitlabPayloads:
    """What is read from a GitLab instance or group, live or from saved files."""

    personal_access_tokens: list[dict[str, Any]] | None = None
    users: list[dict[str, Any]] | None = None
    deploy_tokens: list[dict[str, Any]] | None = None
    trigger_tokens: list[dict[str, Any]] | None = None


def collect_payloads(
    payloads: GitlabPayloads, collection: Collection, instance: str, collected_at: datetime
) -> list[dict[str, Any]]:
    """Keep every payload as evidence and parse it into rows."""
    rows: list[dict[str, Any]] = []
    if payloads.users is not None:
        collection.keep(instance, "users.json", canonical_json(payloads.users))
    else:
        collection.record.notes.append("users not given: owner_active is unknown and bot tokens cannot be told apart")
    if payloads.personal_access_tokens is not None:
        evidence = collection.keep(
            instance, "personal_access_tokens.json", canonical_json(payloads.personal_access_tokens)
        )
        rows += parse_personal_access_tokens(
            payloads.personal_access_tokens,
            payloads.users,
            instance=instance,
            collected_at=collected_at,
            evidence=evidence,
        )
    if payloads.deploy_tokens is not None:
        evidence = collection.keep(instance, "deploy_tokens.json", canonical_json(payloads.deploy_tokens))
        rows += parse_deploy_tokens(
            payloads.deploy_tokens, instance=instance, collected_at=collected_at, evidence=evidence
        )
    if payloads.trigger_tokens is not None:
        evidence = collection.keep(instance, "trigger_tokens.json", canonical_json(payloads.trigger_tokens))
        rows += parse_trigger_tokens(
            payloads.trigger_tokens, instance=instance, collected_at=collected_at, evidence=evidence
        )
    mark_owner_activity(rows, payloads.users)
    return rows


def collect_from_files(
    *,
    label: str,
    instance: str,
    personal_access_tokens: Path | None,
    users: Path | None,
    deploy_tokens: Path | None,
    trigger_tokens: Path | None,
    collected_at: datetime | None,
    started_at: datetime,
) -> Collection:
    """Read saved GitLab payloads into a Collection."""
    collection = Collection.begin(
        label=label,
        type="gitlab",
        scope=instance,
        method="saved payloads (GitLab REST API)",
        started_at=started_at,
        permissions=PERMISSIONS,
        data_as_of=collected_at,
    )

    def read(path: Path | None) -> list[dict[str, Any]] | None:
        return read_json_list(path) if path else None

    payloads = GitlabPayloads(read(personal_access_tokens), read(users), read(deploy_tokens), read(trigger_tokens))
    collection.rows = collect_payloads(payloads, collection, instance, collected_at or started_at)
    return collection
