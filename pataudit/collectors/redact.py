"""Dropping secret values at the collector boundary, before anything is parsed, saved or shown."""

from __future__ import annotations

from typing import Any

# Keys whose values are secrets or partial secrets in the APIs we read (GitLab trigger `token`,
# GitHub `token_last_eight`, CircleCI `value`, Azure DevOps `token`, STS credentials, ...).
SECRET_KEYS = frozenset(
    {
        "token",
        "token_last_eight",
        "hashed_token",
        "value",
        "secret",
        "secret_value",
        "password",
        "private_key",
        "private_key_data",
        "privatekeydata",
        "secretaccesskey",
        "sessiontoken",
        "session_token",
        "access_token",
        "refresh_token",
        "client_secret",
        "tokenhash",
        "token_hash",
        "key",
    }
)
REDACTED = "[dropped]"


def drop_secrets(payload: Any) -> Any:
    """Return a copy of a JSON payload with every secret-bearing key removed, at any depth."""
    if isinstance(payload, dict):
        return {k: drop_secrets(v) for k, v in payload.items() if k.lower() not in SECRET_KEYS}
    if isinstance(payload, list):
        return [drop_secrets(item) for item in payload]
    return payload
