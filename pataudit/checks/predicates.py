"""Vectorised predicates, registered by name: `(population, params, as_of) -> Outcome`.

Each works on whole columns at once; ages are whole days (floored) measured to the run's as-of time.
`population` carries the inventory columns plus `effective_status` (expired once `expires_at` passed).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from pataudit.checks.outcome import ERROR, FAIL, NOT_APPLICABLE, PASS, Case, Outcome, decide
from pataudit.checks.params import ResolvedParams

Predicate = Callable[[pd.DataFrame, ResolvedParams, pd.Timestamp], Outcome]
PREDICATES: dict[str, Predicate] = {}


def predicate(function: Predicate) -> Predicate:
    """Register a predicate under its function name."""
    PREDICATES[function.__name__] = function
    return function


def days_between(earlier: pd.Series, later: pd.Series | pd.Timestamp) -> np.ndarray:
    """Whole days from `earlier` to `later` (NaN where either is missing)."""
    seconds = (later - earlier).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)
    return np.floor(seconds / 86400.0)


def _status(pop: pd.DataFrame) -> pd.Series:
    return pop["effective_status"]


def _gone(pop: pd.DataFrame) -> pd.Series:
    return _status(pop).isin(("revoked", "expired"))


@predicate
def token_expires(pop: pd.DataFrame, p: ResolvedParams, as_of: pd.Timestamp) -> Outcome:
    """A token that can expire must have an expiry date."""
    return decide(
        [
            Case(_status(pop) != "active", NOT_APPLICABLE, "token is not active"),
            Case(pop["expires_at"].isna(), FAIL, "token never expires"),
        ],
        Case(None, PASS, "token expires in {value} days"),
        value=days_between(pd.Series(as_of, index=pop.index), pop["expires_at"]),
        size=len(pop),
    )


@predicate
def token_lifetime_within_max(pop: pd.DataFrame, p: ResolvedParams, as_of: pd.Timestamp) -> Outcome:
    """Expiry minus creation must not exceed the maximum lifetime."""
    lifetime = days_between(pop["created_at"], pop["expires_at"])
    limit = p.per_row("max_lifetime_days", pop["kind"])
    return decide(
        [
            Case(_status(pop) != "active", NOT_APPLICABLE, "token is not active"),
            Case(pop["expires_at"].isna(), FAIL, "token never expires: its lifetime is unlimited (max {limit} days)"),
            Case(pop["created_at"].isna(), ERROR, "creation date missing from the source data"),
            Case(lifetime > limit, FAIL, "lifetime {value} days exceeds {limit}"),
        ],
        Case(None, PASS, "lifetime {value} days within {limit}"),
        value=lifetime,
        limit=limit,
        size=len(pop),
    )


@predicate
def key_rotated_within_max_age(pop: pd.DataFrame, p: ResolvedParams, as_of: pd.Timestamp) -> Outcome:
    """A long-lived key or secret must have been created or rotated within the maximum age."""
    rotated = pop["last_rotated_at"].fillna(pop["created_at"])
    age = days_between(rotated, as_of)
    limit = p.per_row("max_age_days", pop["kind"])
    return decide(
        [
            Case(_status(pop) != "active", NOT_APPLICABLE, "key is not active"),
            Case(rotated.isna(), ERROR, "creation and rotation dates missing from the source data"),
            Case(age > limit, FAIL, "key age {value} days exceeds {limit}"),
        ],
        Case(None, PASS, "key age {value} days within {limit}"),
        value=age,
        limit=limit,
        size=len(pop),
    )


@predicate
def credential_recently_used(pop: pd.DataFrame, p: ResolvedParams, as_of: pd.Timestamp) -> Outcome:
    """An active credential must have been used recently; a never-used one only within its grace period."""
    unused = days_between(pop["last_used_at"], as_of)
    created_age = days_between(pop["created_at"], as_of)
    max_unused = p.per_row("max_unused_days", pop["kind"])
    grace = p.per_row("never_used_grace_days", pop["kind"])
    never = pop["last_used_at"].isna()
    value = np.where(never, created_age, unused)
    limit = np.where(never, grace, max_unused)
    return decide(
        [
            Case(_gone(pop), NOT_APPLICABLE, "token is no longer valid"),
            Case(_status(pop) == "inactive", PASS, "credential is already disabled"),
            Case(~pop["usage_tracked"], NOT_APPLICABLE, "the platform does not record last use for this kind"),
            Case(never & pop["created_at"].isna(), ERROR, "never used and creation date missing"),
            Case(never & (created_age > grace), FAIL, "never used since creation {value} days ago (grace {limit})"),
            Case(never, PASS, "never used; created {value} days ago, within the {limit}-day grace period"),
            Case(unused > max_unused, FAIL, "last used {value} days ago, more than {limit}"),
        ],
        Case(None, PASS, "last used {value} days ago, within {limit}"),
        value=value,
        limit=limit,
        size=len(pop),
    )


@predicate
def one_active_key_per_principal(pop: pd.DataFrame, p: ResolvedParams, as_of: pd.Timestamp) -> Outcome:
    """A principal may hold at most the allowed number of active keys."""
    active = (_status(pop) == "active").to_numpy()
    keys = pd.Series(active.astype(int), index=pop.index)
    counts = keys.groupby([pop["source"], pop["scope"], pop["owner"]], observed=True, sort=False).transform("sum")
    limit = p.per_row("max_active_keys", pop["kind"])
    counts = counts.to_numpy(dtype=float)
    return decide(
        [
            Case(~active, NOT_APPLICABLE, "key is not active"),
            Case(counts > limit, FAIL, "principal has {value} active keys (max {limit})"),
        ],
        Case(None, PASS, "principal has {value} active key (max {limit})"),
        value=counts,
        limit=limit,
        size=len(pop),
    )


@predicate
def no_root_access_keys(pop: pd.DataFrame, p: ResolvedParams, as_of: pd.Timestamp) -> Outcome:
    """The AWS root user must have no access keys, active or not."""
    root = (pop["owner_type"] == "root").to_numpy()
    return decide(
        [
            Case(root & (_status(pop) == "active").to_numpy(), FAIL, "active access key on the root user"),
            Case(root, FAIL, "the root user still has an access key (not active); delete it"),
        ],
        Case(None, PASS, "key belongs to an IAM user, not the root user"),
        size=len(pop),
    )


@predicate
def no_admin_privilege(pop: pd.DataFrame, p: ResolvedParams, as_of: pd.Timestamp) -> Outcome:
    """A token, or the principal behind it, must not carry administrative rights."""
    privilege = pop["privilege"]
    return decide(
        [
            Case(_status(pop) != "active", NOT_APPLICABLE, "token is not active"),
            Case(privilege == "unknown", NOT_APPLICABLE, "privilege could not be determined from the source data"),
            Case(privilege == "admin", FAIL, "token carries administrative privilege"),
            Case(privilege == "write", PASS, "token privilege is write, below admin"),
        ],
        Case(None, PASS, "token privilege is read-only"),
        size=len(pop),
    )


@predicate
def least_resource_scope(pop: pd.DataFrame, p: ResolvedParams, as_of: pd.Timestamp) -> Outcome:
    """A token must reach only selected resources, not everything its owner can."""
    scope = pop["resource_scope"]
    return decide(
        [
            Case(_status(pop) != "active", NOT_APPLICABLE, "token is not active"),
            Case(scope == "unknown", NOT_APPLICABLE, "resource scope not reported by the platform"),
            Case(scope == "all", FAIL, "token reaches all repositories, projects or accounts of its owner"),
        ],
        Case(None, PASS, "token is limited to selected resources"),
        size=len(pop),
    )


@predicate
def owner_active(pop: pd.DataFrame, p: ResolvedParams, as_of: pd.Timestamp) -> Outcome:
    """The owner of an active token must still be an active member or identity."""
    state = pop["owner_active"]
    return decide(
        [
            Case(_status(pop) != "active", NOT_APPLICABLE, "token is not active"),
            Case(state == "false", FAIL, "owner is no longer an active member or identity"),
            Case(state == "unknown", NOT_APPLICABLE, "owner's membership could not be determined"),
        ],
        Case(None, PASS, "owner is an active member"),
        size=len(pop),
    )


@predicate
def no_user_managed_sa_keys(pop: pd.DataFrame, p: ResolvedParams, as_of: pd.Timestamp) -> Outcome:
    """GCP service accounts must use only Google-managed keys."""
    return decide(
        [
            Case(_gone(pop), NOT_APPLICABLE, "key is expired or deleted"),
            Case(_status(pop) == "inactive", FAIL, "user-managed key still exists (disabled); delete it"),
        ],
        Case(None, FAIL, "user-managed service-account key"),
        size=len(pop),
    )


@predicate
def no_classic_pats(pop: pd.DataFrame, p: ResolvedParams, as_of: pd.Timestamp) -> Outcome:
    """GitHub classic PATs must be replaced by fine-grained PATs."""
    return decide(
        [
            Case(_gone(pop), NOT_APPLICABLE, "token is no longer valid"),
            Case(pop["kind"] == "github_classic_pat", FAIL, "classic PAT; replace it with a fine-grained PAT"),
        ],
        Case(None, PASS, "fine-grained PAT"),
        size=len(pop),
    )


@predicate
def stale_tokens_removed(pop: pd.DataFrame, p: ResolvedParams, as_of: pd.Timestamp) -> Outcome:
    """Expired and revoked tokens must be removed from the platform within the clean-up window."""
    since = days_between(pop["expires_at"], as_of)
    limit = p.per_row("max_days_listed", pop["kind"])
    expired = _status(pop) == "expired"
    return decide(
        [
            Case(_status(pop) == "revoked", FAIL, "token is revoked but still listed"),
            Case(expired & pop["expires_at"].isna(), FAIL, "token is expired but still listed"),
            Case(expired & (since > limit), FAIL, "expired {value} days ago and still listed (max {limit})"),
            Case(expired, PASS, "expired {value} days ago, within the {limit}-day clean-up window"),
        ],
        Case(None, PASS, "token is current"),
        value=since,
        limit=limit,
        size=len(pop),
    )
