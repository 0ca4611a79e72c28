"""What every collector returns: inventory rows, redacted raw payloads and a collection record."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

COLLECTION_NOTE = "collection.json"


@dataclass
class ScopeError:
    """One part of a source that could not be read, and why."""

    scope: str
    message: str


@dataclass
class SourceRecord:
    """How a source was read: scope, method, time, freshness, API calls, permissions and errors."""

    label: str
    type: str
    scope: str
    method: str
    started_at: datetime
    finished_at: datetime | None = None
    data_as_of: datetime | None = None
    errors: list[ScopeError] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    permissions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    token_count: int = 0
    evidence_files: list[str] = field(default_factory=list)
    stale_hours: float | None = None
    scopes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when every part of the source was read and its data is fresh enough."""
        return not self.errors and self.stale_hours is None

    def problems(self) -> list[str]:
        """Why the source is not complete, as sentences (empty when it is)."""
        found = [f"{e.scope}: {e.message}" for e in self.errors]
        if self.stale_hours is not None:
            found.append(f"data is stale: {self.stale_hours:.0f} hours old at the as-of time")
        return found

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view of the record."""
        return {
            "label": self.label,
            "type": self.type,
            "scope": self.scope,
            "scopes": self.scopes,
            "method": self.method,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "data_as_of": _iso(self.data_as_of),
            "complete": self.complete,
            "stale_hours": None if self.stale_hours is None else round(self.stale_hours, 1),
            "errors": [{"scope": e.scope, "message": e.message} for e in self.errors],
            "api_calls": dict(sorted(self.api_calls.items())),
            "permissions": self.permissions,
            "notes": self.notes,
            "token_count": self.token_count,
            "evidence_files": self.evidence_files,
        }


@dataclass
class Collection:
    """The result of one source: rows for the inventory, payloads for evidence, and the record.

    `payloads` maps each evidence file's path in the run output (see `evidence_path`) to its bytes,
    secrets already dropped.
    """

    record: SourceRecord
    rows: list[dict[str, Any]] = field(default_factory=list)
    payloads: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def begin(
        cls,
        *,
        label: str,
        type: str,
        scope: str,
        method: str,
        started_at: datetime,
        permissions: tuple[str, ...],
        data_as_of: datetime | None,
        note: bool = True,
    ) -> Collection:
        """A new collection, its record filled in; with `note`, the scope's `collection.json` is kept too
        (a source spanning several scopes keeps one per scope it reads instead)."""
        record = SourceRecord(
            label=label,
            type=type,
            scope=scope,
            method=method,
            started_at=started_at,
            permissions=list(permissions),
            data_as_of=data_as_of,
        )
        collection = cls(record=record)
        if note:
            collection.keep_note(scope, data_as_of)
        return collection

    def keep(self, scope: str, name: str, data: bytes) -> str:
        """Keep a payload as evidence of `scope`; returns its path in the run output."""
        path = evidence_path(self.record.type, scope, name)
        self.payloads[path] = data
        return path

    def keep_note(self, scope: str, data_as_of: datetime | None) -> None:
        """Keep `collection.json` for a scope: what re-performing the run offline needs besides the payloads."""
        note = {"label": self.record.label, "type": self.record.type, "scope": scope, "data_as_of": _iso(data_as_of)}
        self.keep(scope, COLLECTION_NOTE, (json.dumps(note, sort_keys=True) + "\n").encode())


def evidence_path(source: str, scope: str, name: str) -> str:
    """Where a payload is kept in a run's output: `evidence/<source>/<scope>/<name>.gz`."""
    safe_scope = re.sub(r"[^A-Za-z0-9._-]", "_", scope)
    return f"evidence/{source}/{safe_scope}/{name}.gz"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
