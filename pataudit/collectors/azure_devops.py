"""Azure DevOps personal access tokens of every user of an organisation (Token Admin + Graph APIs).

Fetch: Graph users (`_apis/graph/users`, paged by continuation token), then each user's PATs
(`_apis/tokenadmin/personalaccesstokens/{descriptor}`, paged the same way). Parse: pure, from the saved
payloads (`users.json`, `personal_access_tokens.json` = a list of {descriptor, value: [session tokens]}).
Token values (`token`, `alternateToken`) are dropped as payloads are read.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
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

KINDS = ("azure_devops_pat",)
API_VERSION = "7.1-preview.1"
EXTRA_SECRETS = frozenset({"alternatetoken"})
PERMISSIONS = ("Token Administration (vso.tokenadministration, organisation administrator)", "Graph read (vso.graph)")
FULL_ACCESS = "app_token"


def scope_privilege(scope: str) -> str:
    """Full access (`app_token`) and any `*_manage` scope are admin; write/execute scopes write; the rest read."""
    scopes = scope.split()
    if FULL_ACCESS in scopes or any(s.endswith("_manage") for s in scopes):
        return "admin"
    if any(s.endswith(("_write", "_execute", "_full")) for s in scopes):
        return "write"
    return "read"


def parse_tokens(
    users: list[dict[str, Any]] | None,
    tokens: list[dict[str, Any]],
    *,
    organization: str,
    collected_at: datetime,
    evidence: str,
) -> list[dict[str, Any]]:
    """Rows for every PAT; the owner is active when listed in Graph and not deleted in its identity provider.

    `tokens` holds {descriptor, value: [session tokens]} groups (what the live fetch saves) or bare session
    tokens as one Token Admin response lists them; a bare token's owner is matched by its `userId`.
    """
    by_id = {_id_key(u[key]): u for u in users or [] for key in ("descriptor", "originId", "id") if u.get(key)}
    by_id |= {key: u for u in users or [] if (key := storage_key_of(u.get("descriptor") or ""))}
    groups = [t for t in tokens if "value" in t and "authorizationId" not in t]
    bare = [t for t in tokens if "authorizationId" in t]
    if bare:
        groups.append({"descriptor": "", "value": bare})
    rows = []
    for entry in groups:
        descriptor = entry.get("descriptor", "")
        for index, token in enumerate(entry.get("value") or []):
            owner_key = descriptor or str(token.get("userId") or "")
            user = by_id.get(_id_key(owner_key))
            try:
                valid_to = parse_timestamp(token.get("validTo"))
                valid = token.get("isValid", True)
                expired = valid_to is not None and valid_to <= collected_at
                status = "active" if valid and not expired else ("expired" if expired else "revoked")
                scope = str(token.get("scope") or "")
                targets = token.get("targetAccounts") or []
                rows.append(
                    make_row(
                        token_id=token_id("azure_devops", organization, "azure_devops_pat", token["authorizationId"]),
                        source="azure_devops",
                        scope=organization,
                        kind="azure_devops_pat",
                        name=token.get("displayName") or "",
                        owner=(user or {}).get("principalName") or owner_key,
                        owner_type="human" if (user or {}).get("subjectKind", "user") == "user" else "service",
                        owner_active=_active(user, users is not None),
                        created_at=parse_timestamp(token.get("validFrom")),
                        expires_at=valid_to,
                        usage_tracked=False,
                        status=status,
                        scopes="full access" if scope == FULL_ACCESS else scope,
                        privilege=scope_privilege(scope),
                        resource_scope="selected" if targets else "all",
                        collected_at=collected_at,
                        evidence=evidence,
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                problem = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
                raise CollectionError(f"personal access tokens of {descriptor}, item {index}: {problem}") from None
    return rows


def storage_key_of(descriptor: str) -> str | None:
    """The storage key (VSID) a token's `userId` holds, read from a Graph descriptor, in `_id_key` form.

    A user descriptor is `<origin>.<base64 of a GUID>`; that GUID is the storage key except for its
    version digit (the documented pair: `aad.OWI3MWYy…` decodes to 9b71f216-4c4f-7b74-…, storage key
    9b71f216-4c4f-6b74-…), so the version digit is left out of the comparison.
    """
    _, _, encoded = descriptor.partition(".")
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    return _id_key(decoded) if _is_guid(decoded) else None


def _id_key(value: str) -> str:
    """GUIDs compared case-blind and without their version digit (position 14); anything else as is."""
    if not _is_guid(value):
        return value
    value = value.lower()
    return value[:14] + "_" + value[15:]


def _is_guid(value: str) -> bool:
    parts = value.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(c in "0123456789abcdefABCDEF" for c in "".join(parts))


def _active(user: dict[str, Any] | None, users_known: bool) -> str:
    if not users_known:
        return "unknown"
    if user is None or user.get("isDeletedInOrigin"):
        return "false"
    return "true"


def _client(base_url: str, organization: str, token_env: str | None, bearer_env: str | None) -> JsonClient:
    if bearer_env:
        header = f"Bearer {secret_from_env(bearer_env, 'Entra access token')}"
    else:
        pat = secret_from_env(token_env, "Azure DevOps PAT")
        header = "Basic " + base64.b64encode(f":{pat}".encode()).decode()
    return JsonClient(f"{base_url.rstrip('/')}/{organization}", {"Authorization": header})


def _paged(client: JsonClient, path: str, operation: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"api-version": API_VERSION}
    while True:
        response = client.get(path, operation, params)
        body = response.json()
        items += body.get("value") or []
        token = response.headers.get("X-MS-ContinuationToken") or body.get("continuationToken")
        if not token:
            return items
        params = {"api-version": API_VERSION, "continuationToken": token}


def fetch(
    base_url: str,
    organization: str,
    token_env: str | None,
    bearer_env: str | None,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """Graph users and each user's PATs, secrets dropped; plus API calls per operation."""
    client = _client(base_url, organization, token_env, bearer_env)
    users = drop_secrets(_paged(client, "_apis/graph/users", "graph/users"), EXTRA_SECRETS)
    tokens = []
    for number, user in enumerate(users, start=1):
        path = f"_apis/tokenadmin/personalaccesstokens/{user['descriptor']}"
        tokens.append(
            {"descriptor": user["descriptor"], "value": drop_secrets(_paged(client, path, "tokenadmin"), EXTRA_SECRETS)}
        )
        if number % 100 == 0 or number == len(users):
            progress(f"  azure_devops:{organization}: PATs of {number}/{len(users)} users")
    return users, tokens, dict(client.calls)


def collect(
    *,
    label: str,
    organization: str,
    base_url: str,
    token_env: str | None,
    bearer_env: str | None,
    users_file: Path | None,
    tokens_file: Path | None,
    collected_at: datetime | None,
    started_at: datetime,
    progress: Callable[[str], None] = lambda _: None,
) -> Collection:
    """Live (Graph + Token Admin) or from saved payloads, into a Collection."""
    if tokens_file is None:
        users, tokens, calls = fetch(base_url, organization, token_env, bearer_env, progress)
        method, data_time = "live (Azure DevOps Token Admin and Graph REST APIs)", started_at
    else:
        users = read_json_list(users_file, key="value") if users_file else None
        tokens = [drop_secrets(t, EXTRA_SECRETS) for t in read_json_list(tokens_file, key="value")]
        method, data_time, calls = "saved payloads (Azure DevOps REST)", collected_at, {}
    collection = Collection.begin(
        label=label,
        type="azure_devops",
        scope=organization,
        method=method,
        started_at=started_at,
        permissions=PERMISSIONS,
        data_as_of=data_time,
    )
    collection.record.api_calls = calls
    if users is not None:
        collection.keep(organization, "users.json", canonical_json(users))
    evidence = collection.keep(organization, "personal_access_tokens.json", canonical_json(tokens))
    collection.rows = parse_tokens(
        users, tokens, organization=organization, collected_at=data_time or started_at, evidence=evidence
    )
    collection.record.notes.append(
        "Azure DevOps does not record when a PAT was last used: usage controls are not applicable"
    )
    return collection
