"""Dropping secret values at the collector boundary, before anything is parsed, saved or shown."""

from __future__ import annotations

from typing import Any

# Keys whose values are secrets or partial secrets in the APIs we read (GitLab trigger `token`,
# GitHub `token_last_eight`, Azure DevOps `token`, STS credentials, ...), compared case-insensitively.
# Generic names such as `value` are secrets only on some platforms (CircleCI's variable `value`); those
# collectors pass them as `extra`, so that AWS tags (`Key`/`Value`) survive everywhere else.
SECRET_KEYS = frozenset(
    {
        "token",
        "token_last_eight",
        "hashed_token",
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
    }
)


def drop_secrets(payload: Any, extra: frozenset[str] = frozenset()) -> Any:
    """Return a copy of a JSON payload with every secret-bearing key removed, at any depth."""
    secret = SECRET_KEYS | extra
    if isinstance(payload, dict):
        return {k: drop_secrets(v, extra) for k, v in payload.items() if k.lower() not in secret}
    if isinstance(payload, list):
        return [drop_secrets(item, extra) for item in payload]
    return payload
