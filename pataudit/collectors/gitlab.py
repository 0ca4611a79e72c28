"""GitLab tokens from REST payloads: personal, project and group access tokens, with their users.
Parse side; no API calls here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pataudit.collectors.base import Collection, SourceRecord
from pataudit.collectors.payload_files import canonical_json, read_json_list
from pataudit.errors import CollectionError
from pataudit.inventory import make_row, token_id
from pataudit.timeparse import parse_timestamp

KINDS = ("gitlab_pat", "gitlab_project_token", "gitlab_group_token")

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
    """(kind, owner_type) from the owning user: project/group access tokens belong to bot users."""
    if not user:
        return "gitlab_pat", "unknown"
    username = str(user.get("username", ""))
    if user.get("bot"):
        if username.startswith("project_"):
            return "gitlab_project_token", "bot"
        if username.startswith("group_"):
            return "gitlab_group_token", "bot"
        return "gitlab_pat", "bot"
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


def collect_from_files(
    *,
    label: str,
    instance: str,
    personal_access_tokens: Path,
    users: Path | None,
    collected_at: datetime | None,
    started_at: datetime,
) -> Collection:
    """Read saved GitLab payloads into a Collection."""
    record = SourceRecord(
        label=label,
        type="gitlab",
        scope=instance,
        method="saved payloads (GitLab REST API)",
        started_at=started_at,
        permissions=["read_api (administrator, for all users' tokens)"],
    )
    collection = Collection(record=record)
    data_time = collected_at
    record.data_as_of = data_time
    collection.keep_note(instance, data_time)
    tokens = read_json_list(personal_access_tokens)
    evidence = collection.keep(instance, "personal_access_tokens.json", canonical_json(tokens))
    user_items = None
    if users:
        user_items = read_json_list(users)
        collection.keep(instance, "users.json", canonical_json(user_items))
    else:
        record.notes.append("users not given: owner_active is unknown and bot tokens cannot be told apart")
    collection.rows = parse_personal_access_tokens(
        tokens,
        user_items,
        instance=instance,
        collected_at=data_time or started_at,
        evidence=evidence,
    )
    return collection
