"""CircleCI context environment variables: CI secrets whose age is their rotation age (values never stored).

Fetch: `GET /api/v2/context?owner-id=…` and `GET /api/v2/context/{id}/environment-variable`, both paged by
`next_page_token`. Saved form: `contexts.json` = a list of contexts, each with `environment_variables`, or
a saved environment-variable listing as the API sends it (see `saved_contexts`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pataudit.collectors.base import Collection
from pataudit.collectors.http_json import JsonClient, secret_from_env
from pataudit.collectors.payload_files import canonical_json, read_json_list
from pataudit.collectors.redact import drop_secrets
from pataudit.errors import CollectionError
from pataudit.inventory import make_row, token_id
from pataudit.timeparse import parse_timestamp

KINDS = ("circleci_context_secret",)
EXTRA_SECRETS = frozenset({"value"})
PERMISSIONS = ("a personal API token of an organisation member who can view its contexts",)


def parse_contexts(contexts: list[dict[str, Any]], *, owner: str, collected_at: datetime, evidence: str) -> list[dict]:
    """One row per environment variable of every context."""
    rows = []
    for context in contexts:
        for variable in context.get("environment_variables") or []:
            try:
                created = parse_timestamp(variable.get("created_at"))
                rows.append(
                    make_row(
                        token_id=token_id(
                            "circleci", owner, "circleci_context_secret", f"{context['id']}/{variable['variable']}"
                        ),
                        source="circleci",
                        scope=owner,
                        kind="circleci_context_secret",
                        name=f"{context.get('name', context['id'])}/{variable['variable']}",
                        owner=context.get("name", context["id"]),
                        owner_type="service",
                        created_at=created,
                        last_rotated_at=parse_timestamp(variable.get("updated_at")) or created,
                        usage_tracked=False,
                        collected_at=collected_at,
                        evidence=evidence,
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise CollectionError(f"context {context.get('id', '?')}: bad environment variable: {exc}") from None
    return rows


def saved_contexts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Contexts from a saved file: our contexts-with-variables form, or bare variables grouped by `context_id`.

    A bare variable (`{variable, created_at, updated_at, context_id}`, one page of
    `GET /context/{id}/environment-variable`) goes into a context named by its id.
    """
    contexts = [item for item in items if "variable" not in item]
    by_id: dict[str, dict[str, Any]] = {}
    for item in items:
        if "variable" in item:
            context_id = str(item.get("context_id") or "unknown-context")
            by_id.setdefault(context_id, {"id": context_id, "environment_variables": []})
            by_id[context_id]["environment_variables"].append(item)
    return contexts + list(by_id.values())


def _paged(client: JsonClient, path: str, operation: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        body = client.json(path, operation, params)
        items += body.get("items") or []
        if not body.get("next_page_token"):
            return items
        params = {**params, "page-token": body["next_page_token"]}


def fetch(base_url: str, owner_id: str, token_env: str | None) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every context of the owner with its environment variables (names and dates only)."""
    client = JsonClient(base_url, {"Circle-Token": secret_from_env(token_env, "CircleCI API token")})
    contexts = _paged(client, "api/v2/context", "context", {"owner-id": owner_id})
    for context in contexts:
        variables = _paged(client, f"api/v2/context/{context['id']}/environment-variable", "environment-variable", {})
        context["environment_variables"] = drop_secrets(variables, EXTRA_SECRETS)
    return drop_secrets(contexts, EXTRA_SECRETS), dict(client.calls)


def collect(
    *,
    label: str,
    owner_id: str,
    base_url: str,
    token_env: str | None,
    contexts_file: Path | None,
    collected_at: datetime | None,
    started_at: datetime,
) -> Collection:
    """Live or from `contexts.json`, into a Collection."""
    if contexts_file is None:
        contexts, calls = fetch(base_url, owner_id, token_env)
        method, data_time = "live (CircleCI API v2)", started_at
    else:
        contexts = saved_contexts(read_json_list(contexts_file, key="items", extra=EXTRA_SECRETS))
        method, data_time, calls = "saved payloads (CircleCI API v2)", collected_at, {}
    collection = Collection.begin(
        label=label,
        type="circleci",
        scope=owner_id,
        method=method,
        started_at=started_at,
        permissions=PERMISSIONS,
        data_as_of=data_time,
    )
    collection.record.api_calls = calls
    evidence = collection.keep(owner_id, "contexts.json", canonical_json(contexts))
    collection.rows = parse_contexts(contexts, owner=owner_id, collected_at=data_time or started_at, evidence=evidence)
    collection.record.notes.append("CircleCI does not record when a context variable was last used")
    return collection
