"""The edge cases DESIGN §3 says peers get wrong, each with its own test."""

from datetime import UTC, datetime, timedelta

from rules_helpers import AS_OF, days_ago, judge, outcome, token

from pataudit.checks.engine import mark_stale_sources
from pataudit.collectors.base import ScopeError, SourceRecord


def test_never_used_key_on_api_only_user_fails_after_grace():
    row = token("api", owner_type="service", created_at=days_ago(171), last_used_at=None)
    assert outcome(judge([row]), "credential_recently_used", "api") == (
        "FAIL",
        "never used since creation 171 days ago (grace 14)",
    )


def test_key_created_yesterday_is_inside_the_grace_period():
    row = token("new", created_at=days_ago(1), last_used_at=None)
    assert outcome(judge([row]), "credential_recently_used", "new") == (
        "PASS",
        "never used; created 1 days ago, within the 14-day grace period",
    )


def test_user_with_two_keys_only_the_second_breaks_rotation():
    first = token("k1", owner="two-keys", created_at=days_ago(60), last_used_at=days_ago(1))
    second = token("k2", owner="two-keys", created_at=days_ago(241), last_used_at=days_ago(2))
    findings = judge([first, second])
    assert outcome(findings, "key_rotated_within_max_age", "k1") == ("PASS", "key age 60 days within 90")
    assert outcome(findings, "key_rotated_within_max_age", "k2") == ("FAIL", "key age 241 days exceeds 90")
    assert outcome(findings, "credential_recently_used", "k1")[0] == "PASS"
    assert outcome(findings, "credential_recently_used", "k2")[0] == "PASS"


def test_stale_credential_report_makes_its_rows_error():
    record = SourceRecord(
        label="aws:s", type="aws", scope="s", method="file", started_at=AS_OF, data_as_of=AS_OF - timedelta(hours=72)
    )
    mark_stale_sources([record], AS_OF, 48)
    assert record.stale_hours == 72 and not record.complete
    findings = judge([token("k", created_at=days_ago(10), last_used_at=days_ago(1))], records=[record])
    status, reason = outcome(findings, "key_rotated_within_max_age", "k")
    assert status == "ERROR"
    assert reason == "source data is 72 hours old at the as-of time (max 48); evidence is stale"


def test_fresh_report_is_not_stale():
    record = SourceRecord(
        label="aws:s",
        type="aws",
        scope="s",
        method="file",
        started_at=AS_OF,
        data_as_of=datetime(2026, 6, 30, 1, tzinfo=UTC),
    )
    mark_stale_sources([record], AS_OF, 48)
    assert record.complete


def test_usage_not_tracked_is_not_called_unused():
    row = token("sec", "github_actions_secret", created_at=days_ago(400), usage_tracked=False)
    assert outcome(judge([row]), "credential_recently_used", "sec") == (
        "NOT_APPLICABLE",
        "the platform does not record last use for this kind",
    )


def test_failed_source_is_error_not_no_tokens():
    record = SourceRecord(
        label="github:acme",
        type="github",
        scope="acme",
        method="file",
        started_at=AS_OF,
        errors=[ScopeError("acme", "401 Bad credentials")],
    )
    findings = judge([], records=[record])
    errors = findings[findings["token_id"] == "github:acme:*"]
    assert set(errors["status"].astype(str)) == {"ERROR"}
    assert "no_classic_pats" in set(errors["control_id"].astype(str))
    assert "no_root_access_keys" not in set(errors["control_id"].astype(str))
    assert errors.iloc[0]["reason"] == ("source github:acme was not fully collected (acme): 401 Bad credentials")


def test_several_failures_of_one_scope_are_one_error_finding_per_control():
    record = SourceRecord(
        label="github:acme",
        type="github",
        scope="acme",
        method="live",
        started_at=AS_OF,
        errors=[ScopeError("acme", "members: HTTP 401"), ScopeError("acme", "repositories: HTTP 401")],
    )
    findings = judge([], records=[record])
    rows = findings[(findings["token_id"] == "github:acme:*") & (findings["control_id"] == "owner_active")]
    assert len(rows) == 1
    assert rows.iloc[0]["reason"] == (
        "source github:acme was not fully collected (acme): members: HTTP 401; repositories: HTTP 401"
    )
