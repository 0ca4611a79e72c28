"""The inventory: one normalised row per credential, validated against the contract in DESIGN §2."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

OWNER_TYPES = ("human", "service", "bot", "root", "unknown")
OWNER_ACTIVE = ("true", "false", "unknown")
STATUSES = ("active", "inactive", "revoked", "expired")
PRIVILEGES = ("admin", "write", "read", "unknown")
RESOURCE_SCOPES = ("all", "selected", "unknown")

TIMESTAMP_COLUMNS = ("created_at", "expires_at", "last_used_at", "last_rotated_at", "collected_at")
CATEGORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "owner_type": OWNER_TYPES,
    "owner_active": OWNER_ACTIVE,
    "status": STATUSES,
    "privilege": PRIVILEGES,
    "resource_scope": RESOURCE_SCOPES,
}
TEXT_COLUMNS = ("token_id", "source", "scope", "kind", "name", "owner", "scopes", "evidence")

COLUMNS = (
    "token_id",
    "source",
    "scope",
    "kind",
    "name",
    "owner",
    "owner_type",
    "owner_active",
    "created_at",
    "expires_at",
    "last_used_at",
    "last_rotated_at",
    "usage_tracked",
    "status",
    "scopes",
    "privilege",
    "resource_scope",
    "collected_at",
    "evidence",
)


def token_id(source: str, scope: str, kind: str, native_id: object) -> str:
    """The stable id of a credential: `<source>:<scope>:<kind>:<native id>`."""
    return f"{source}:{scope}:{kind}:{native_id}"


def make_row(**values: Any) -> dict[str, Any]:
    """A full inventory row: defaults for every optional column, unknown columns refused."""
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise KeyError(f"not inventory columns: {sorted(unknown)}")
    row: dict[str, Any] = {
        "name": "",
        "owner": "",
        "owner_type": "unknown",
        "owner_active": "unknown",
        "created_at": None,
        "expires_at": None,
        "last_used_at": None,
        "last_rotated_at": None,
        "usage_tracked": True,
        "status": "active",
        "scopes": "",
        "privilege": "unknown",
        "resource_scope": "unknown",
        "evidence": "",
    }
    row.update(values)
    return row


def to_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a typed inventory DataFrame from rows (see `make_row`)."""
    frame = pd.DataFrame.from_records(list(rows), columns=list(COLUMNS))
    return normalise(frame)


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Cast an inventory-shaped frame to the contract's dtypes (UTC timestamps, categories)."""
    frame = frame.copy()
    for column in TIMESTAMP_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601").astype("datetime64[us, UTC]")
    for column, values in CATEGORY_COLUMNS.items():
        frame[column] = pd.Categorical(frame[column], categories=values)
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].fillna("").astype(str)
    frame["usage_tracked"] = frame["usage_tracked"].astype(bool)
    return frame.reset_index(drop=True)


def validate(frame: pd.DataFrame) -> list[str]:
    """Every way the frame breaks the inventory contract, as sentences; empty when valid."""
    problems: list[str] = []
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        return [f"missing columns: {', '.join(missing)}"]
    for column in TIMESTAMP_COLUMNS:
        dtype = frame[column].dtype
        if not isinstance(dtype, pd.DatetimeTZDtype) or str(dtype.tz) != "UTC":
            problems.append(f"{column} must be tz-aware UTC timestamps, found {dtype}")
    for column, values in CATEGORY_COLUMNS.items():
        bad = set(frame[column].astype(object).dropna()) - set(values)
        if bad or frame[column].isna().any():
            problems.append(f"{column} holds values outside {values}: {sorted(map(str, bad)) or ['<null>']}")
    for column in ("token_id", "source", "scope", "kind"):
        if (frame[column].astype(str) == "").any():
            problems.append(f"{column} must not be empty")
    duplicated = frame["token_id"][frame["token_id"].duplicated()]
    if not duplicated.empty:
        problems.append(f"token_id not unique: {', '.join(duplicated.head(3))}")
    if frame["collected_at"].isna().any():
        problems.append("collected_at must be set on every row")
    return problems
