"""Terraform Cloud / Enterprise API tokens: the organisation token, team tokens and the caller's user tokens.

Fetch (JSON:API, paged by `meta.pagination.next-page`): `organizations/{org}/authentication-token`,
`organizations/{org}/team-tokens`, `account/details` and `users/{id}/authentication-tokens` (the API lists
only the caller's own user tokens). Saved form: `tokens.json` = {"organization": [..], "team": [..], "user": [..]},
or one API response as sent ({"data": ...}), whose tokens are sorted by their relationships (see `saved_tokens`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pataudit.collectors.base import Collection
from pataudit.collectors.http_json import JsonClient, secret_from_env
from pataudit.collectors.payload_files import canonical_json, read_json_object
from pataudit.collectors.redact import drop_secrets
from pataudit.errors import CollectionError
from pataudit.inventory import make_row, token_id
from pataudit.timeparse import parse_timestamp

KINDS = ("terraform_cloud_token",)
PERMISSIONS = ("organisation owner token (reads organisation and team tokens)",)
TOKEN_TYPES = ("organization", "team", "user")


def parse_tokens(
    tokens: dict[str, list[dict[str, Any]]], *, organization: str, collected_at: datetime, evidence: str
) -> list[dict[str, Any]]:
    """Rows for every token; organisation tokens are admin over the whole organisation."""
    rows = []
    for token_type in TOKEN_TYPES:
        for item in tokens.get(token_type) or []:
            try:
                attributes = item.get("attributes") or {}
                owner = _owner(token_type, item, organization)
                expires = parse_timestamp(attributes.get("expired-at"))
                rows.append(
                    make_row(
                        token_id=token_id("terraform_cloud", organization, "terraform_cloud_token", item["id"]),
                        source="terraform_cloud",
                        scope=organization,
                        kind="terraform_cloud_token",
                        name=f"{token_type} token"
                        + (f": {attributes['description']}" if attributes.get("description") else ""),
                        owner=owner,
                        owner_type="human" if token_type == "user" else "service",
                        owner_active="true" if token_type != "user" else "unknown",
                        created_at=parse_timestamp(attributes.get("created-at")),
                        expires_at=expires,
                        last_used_at=parse_timestamp(attributes.get("last-used-at")),
                        status="expired" if expires is not None and expires <= collected_at else "active",
                        privilege="admin" if token_type == "organization" else "unknown",
                        resource_scope="all" if token_type == "organization" else "unknown",
                        collected_at=collected_at,
                        evidence=evidence,
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise CollectionError(f"{token_type} tokens: bad item: {exc}") from None
    return rows


def saved_tokens(payload: dict[str, Any], path: Path) -> dict[str, list[dict[str, Any]]]:
    """The saved tokens by type: our {organization, team, user} form, or a raw JSON:API response.

    In a raw response a token related to a `team` is a team token; the single token the organisation
    endpoint returns (`data` is one object, no team) is the organisation token; the rest are user tokens.
    """
    if set(payload) & set(TOKEN_TYPES):
        unknown = sorted(set(payload) - set(TOKEN_TYPES))
        if unknown:
            raise CollectionError(f"{path}: unexpected keys {unknown}; expected {list(TOKEN_TYPES)}")
        grouped = {token_type: payload.get(token_type) or [] for token_type in TOKEN_TYPES}
    elif "data" in payload:
        data = payload["data"]
        grouped = {token_type: [] for token_type in TOKEN_TYPES}
        for item in data if isinstance(data, list) else [data]:
            relations = (item.get("relationships") or {}) if isinstance(item, dict) else {}
            if (relations.get("team") or {}).get("data"):
                grouped["team"].append(item)
            else:
                grouped["user" if isinstance(data, list) else "organization"].append(item)
    else:
        raise CollectionError(f"{path}: expected {{organization, team, user}} token lists or a JSON:API response")
    for token_type, items in grouped.items():
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise CollectionError(f"{path}: {token_type} tokens: expected a list of JSON:API token objects")
    return grouped


def _owner(token_type: str, item: dict[str, Any], organization: str) -> str:
    relation = (item.get("relationships") or {}).get("team" if token_type == "team" else "created-by") or {}
    related = (relation.get("data") or {}).get("id")
    if token_type == "organization":
        return organization
    return str(related or item.get("owner") or "unknown")


def _paged(client: JsonClient, path: str, operation: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.json(path, operation, {"page[number]": page, "page[size]": 100})
        data = body.get("data") or []
        items += data if isinstance(data, list) else [data]
        page = ((body.get("meta") or {}).get("pagination") or {}).get("next-page")
        if not page:
            return items


def fetch(base_url: str, organization: str, token_env: str | None) -> tuple[dict[str, list], dict[str, int]]:
    """The three token lists, token values dropped; an organisation without an org token has none."""
    client = JsonClient(
        base_url,
        {
            "Authorization": f"Bearer {secret_from_env(token_env, 'Terraform Cloud token')}",
            "Accept": "application/vnd.api+json",
        },
    )
    try:
        org_token = [client.json(f"api/v2/organizations/{organization}/authentication-token", "org-token")["data"]]
    except CollectionError as exc:
        if "HTTP 404" not in str(exc):
            raise
        org_token = []
    teams = _paged(client, f"api/v2/organizations/{organization}/team-tokens", "team-tokens")
    account = client.json("api/v2/account/details", "account")["data"]
    users = _paged(client, f"api/v2/users/{account['id']}/authentication-tokens", "user-tokens")
    for item in users:
        item["owner"] = (account.get("attributes") or {}).get("username") or account["id"]
    return drop_secrets({"organization": org_token, "team": teams, "user": users}), dict(client.calls)


def collect(
    *,
    label: str,
    organization: str,
    base_url: str,
    token_env: str | None,
    tokens_file: Path | None,
    collected_at: datetime | None,
    started_at: datetime,
) -> Collection:
    """Live or from `tokens.json`, into a Collection."""
    if tokens_file is None:
        tokens, calls = fetch(base_url, organization, token_env)
        method, data_time = "live (Terraform Cloud API v2)", started_at
    else:
        tokens, calls = saved_tokens(read_json_object(tokens_file), tokens_file), {}
        method, data_time = "saved payloads (Terraform Cloud API v2)", collected_at
    collection = Collection.begin(
        label=label,
        type="terraform_cloud",
        scope=organization,
        method=method,
        started_at=started_at,
        permissions=PERMISSIONS,
        data_as_of=data_time,
    )
    collection.record.api_calls = calls
    evidence = collection.keep(organization, "tokens.json", canonical_json(tokens))
    collection.rows = parse_tokens(
        tokens, organization=organization, collected_at=data_time or started_at, evidence=evidence
    )
    collection.record.notes.append("the Terraform Cloud API lists only the caller's own user tokens")
    return collection
