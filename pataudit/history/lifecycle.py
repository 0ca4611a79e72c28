"""Following each finding (control × token) of an organisation across runs: first seen, last seen, resolved.

A finding is *open* while it FAILs or is WAIVED. It is *resolved* in the first later run that no longer shows
it — unless that run could not read the token's source scope (ERROR or stale), in which case it stays open:
a source that could not be read proves nothing. A resolved finding that comes back is reopened, keeping its
first-seen run.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from pataudit.history.schema import finding_lifecycle as lifecycle
from pataudit.history.schema import findings, runs, source_coverage

OPEN_STATUSES = ("FAIL", "WAIVED")
SEPARATOR = "|"


def finding_key(control_id: str, token_id: str) -> str:
    """The stable key of a finding across runs."""
    return f"{control_id}{SEPARATOR}{token_id}"


def apply_run(
    db: sa.Connection,
    organization: str,
    run_id: str,
    as_of: datetime,
    open_now: pd.DataFrame,
    unread_prefixes: list[str],
) -> None:
    """Update the lifecycle with one run (the organisation's latest): `open_now` has control_id, token_id, severity."""
    current = open_now.assign(finding_key=open_now["control_id"] + SEPARATOR + open_now["token_id"])
    query = sa.select(lifecycle.c.finding_key, lifecycle.c.state).where(lifecycle.c.organization == organization)
    known = pd.DataFrame(db.execute(query).all(), columns=["finding_key", "state"])
    known_keys = set(known["finding_key"])
    fresh = current[~current["finding_key"].isin(known_keys)]
    if len(fresh):
        db.execute(
            lifecycle.insert(),
            [
                {
                    "organization": organization,
                    "finding_key": row.finding_key,
                    "control_id": row.control_id,
                    "token_id": row.token_id,
                    "severity": row.severity,
                    "state": "open",
                    "first_seen_run": run_id,
                    "first_seen_as_of": as_of,
                    "last_seen_run": run_id,
                    "last_seen_as_of": as_of,
                    "times_seen": 1,
                }
                for row in fresh.itertuples(index=False)
            ],
        )
    seen = current[current["finding_key"].isin(known_keys)]["finding_key"]
    if len(seen):
        db.execute(
            lifecycle.update()
            .where(lifecycle.c.organization == organization, lifecycle.c.finding_key == sa.bindparam("key"))
            .values(
                state="open",
                last_seen_run=run_id,
                last_seen_as_of=as_of,
                resolved_run=None,
                resolved_as_of=None,
                times_seen=lifecycle.c.times_seen + 1,
            ),
            [{"key": key} for key in seen],
        )
    open_before = known[known["state"] == "open"]["finding_key"]
    gone = open_before[~open_before.isin(set(current["finding_key"]))]
    tokens = gone.str.split(SEPARATOR, n=1).str[1]
    unread = tokens.str.startswith(tuple(unread_prefixes)) if unread_prefixes else pd.Series(False, index=gone.index)
    resolved = gone[~unread.to_numpy(dtype=bool)]
    if len(resolved):
        db.execute(
            lifecycle.update()
            .where(lifecycle.c.organization == organization, lifecycle.c.finding_key == sa.bindparam("key"))
            .values(state="resolved", resolved_run=run_id, resolved_as_of=as_of),
            [{"key": key} for key in resolved],
        )


def unread_prefixes_of(db: sa.Connection, run_id: str) -> list[str]:
    """`<type>:<scope>:` prefixes of the scopes a stored run could not read (from its coverage)."""
    query = sa.select(source_coverage.c.type, source_coverage.c.unread_scopes).where(
        source_coverage.c.run_id == run_id, source_coverage.c.complete.is_(False)
    )
    prefixes = []
    for source_type, scopes in db.execute(query).all():
        prefixes += [f"{source_type}:{scope}:" for scope in scopes.split("\n") if scope]
    return prefixes


def rebuild(db: sa.Connection, organization: str) -> None:
    """Recompute an organisation's lifecycle from its stored runs, oldest as-of first."""
    db.execute(lifecycle.delete().where(lifecycle.c.organization == organization))
    query = sa.select(runs.c.run_id, runs.c.as_of).where(runs.c.organization == organization)
    for run_id, as_of in db.execute(query.order_by(runs.c.as_of, runs.c.started_at)).all():
        rows = db.execute(
            sa.select(findings.c.control_id, findings.c.token_id, findings.c.severity).where(
                findings.c.run_id == run_id, findings.c.status.in_(OPEN_STATUSES)
            )
        ).all()
        open_now = pd.DataFrame(rows, columns=["control_id", "token_id", "severity"])
        apply_run(db, organization, run_id, as_of, open_now, unread_prefixes_of(db, run_id))


def rebuild_all(db: sa.Connection) -> None:
    """Recompute the lifecycle of every organisation in the store (used by migration 0002)."""
    for (organization,) in db.execute(sa.select(runs.c.organization).distinct()).all():
        rebuild(db, organization)
