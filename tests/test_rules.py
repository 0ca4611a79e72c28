"""Every control, as tables of small inventories: (rows, control, token) -> (status, reason)."""

import pytest
from rules_helpers import days_ago, judge, outcome, token

FG = "github_fine_grained_pat"

CASES = [
    # token_expires
    ("token_expires", token("a", FG, expires_at=None), "FAIL", "token never expires"),
    ("token_expires", token("a", FG, expires_at=days_ago(-30)), "PASS", "token expires in 30 days"),
    ("token_expires", token("a", FG, status="revoked"), "NOT_APPLICABLE", "token is not active"),
    ("token_expires", token("a", FG, expires_at=days_ago(3)), "NOT_APPLICABLE", "token is not active"),
    # token_lifetime_within_max
    (
        "token_lifetime_within_max",
        token("a", FG, created_at=days_ago(10), expires_at=days_ago(-400)),
        "FAIL",
        "lifetime 410 days exceeds 366",
    ),
    (
        "token_lifetime_within_max",
        token("a", FG, created_at=days_ago(10), expires_at=days_ago(-80)),
        "PASS",
        "lifetime 90 days within 366",
    ),
    (
        "token_lifetime_within_max",
        token("a", FG, created_at=None, expires_at=days_ago(-80)),
        "ERROR",
        "creation date missing from the source data",
    ),
    (
        "token_lifetime_within_max",
        token("a", FG, created_at=days_ago(10)),
        "FAIL",
        "token never expires: its lifetime is unlimited (max 366 days)",
    ),
    # key_rotated_within_max_age
    ("key_rotated_within_max_age", token("k", created_at=days_ago(142)), "FAIL", "key age 142 days exceeds 90"),
    ("key_rotated_within_max_age", token("k", created_at=days_ago(90.5)), "PASS", "key age 90 days within 90"),
    (
        "key_rotated_within_max_age",
        token("k", created_at=days_ago(200), last_rotated_at=days_ago(3)),
        "PASS",
        "key age 3 days within 90",
    ),
    (
        "key_rotated_within_max_age",
        token("k", created_at=days_ago(200), status="inactive"),
        "NOT_APPLICABLE",
        "key is not active",
    ),
    ("key_rotated_within_max_age", token("k"), "ERROR", "creation and rotation dates missing from the source data"),
    # credential_recently_used
    (
        "credential_recently_used",
        token("k", created_at=days_ago(300), last_used_at=days_ago(46)),
        "FAIL",
        "last used 46 days ago, more than 45",
    ),
    (
        "credential_recently_used",
        token("k", created_at=days_ago(300), last_used_at=days_ago(45)),
        "PASS",
        "last used 45 days ago, within 45",
    ),
    (
        "credential_recently_used",
        token("k", created_at=days_ago(300), status="inactive"),
        "PASS",
        "credential is already disabled",
    ),
    (
        "credential_recently_used",
        token("s", "github_actions_secret", created_at=days_ago(300), usage_tracked=False),
        "NOT_APPLICABLE",
        "the platform does not record last use for this kind",
    ),
    ("credential_recently_used", token("k", created_at=None), "ERROR", "never used and creation date missing"),
    # one_active_key_per_principal
    (
        "one_active_key_per_principal",
        token("k1", owner="bob", created_at=days_ago(1)),
        "PASS",
        "principal has 1 active key (max 1)",
    ),
    # no_root_access_keys
    (
        "no_root_access_keys",
        token("r", owner_type="root", created_at=days_ago(1)),
        "FAIL",
        "active access key on the root user",
    ),
    (
        "no_root_access_keys",
        token("r", owner_type="root", status="inactive"),
        "FAIL",
        "the root user still has an access key (not active); delete it",
    ),
    ("no_root_access_keys", token("u", owner_type="human"), "PASS", "key belongs to an IAM user, not the root user"),
    # no_admin_privilege
    ("no_admin_privilege", token("t", FG, privilege="admin"), "FAIL", "token carries administrative privilege"),
    ("no_admin_privilege", token("t", FG, privilege="write"), "PASS", "token privilege is write, below admin"),
    ("no_admin_privilege", token("t", FG, privilege="read"), "PASS", "token privilege is read-only"),
    (
        "no_admin_privilege",
        token("t", privilege="unknown"),
        "NOT_APPLICABLE",
        "privilege could not be determined from the source data",
    ),
    # least_resource_scope
    (
        "least_resource_scope",
        token("t", FG, resource_scope="all"),
        "FAIL",
        "token reaches all repositories, projects or accounts of its owner",
    ),
    (
        "least_resource_scope",
        token("t", FG, resource_scope="selected"),
        "PASS",
        "token is limited to selected resources",
    ),
    (
        "least_resource_scope",
        token("t", resource_scope="unknown"),
        "NOT_APPLICABLE",
        "resource scope not reported by the platform",
    ),
    # owner_active
    ("owner_active", token("t", FG, owner_active="false"), "FAIL", "owner is no longer an active member or identity"),
    ("owner_active", token("t", FG, owner_active="true"), "PASS", "owner is an active member"),
    (
        "owner_active",
        token("t", FG, owner_active="unknown"),
        "NOT_APPLICABLE",
        "owner's membership could not be determined",
    ),
    # no_user_managed_sa_keys
    ("no_user_managed_sa_keys", token("g", "gcp_sa_key"), "FAIL", "user-managed service-account key"),
    (
        "no_user_managed_sa_keys",
        token("g", "gcp_sa_key", status="inactive"),
        "FAIL",
        "user-managed key still exists (disabled); delete it",
    ),
    (
        "no_user_managed_sa_keys",
        token("g", "gcp_sa_key", status="expired"),
        "NOT_APPLICABLE",
        "key is expired or deleted",
    ),
    # no_classic_pats
    ("no_classic_pats", token("c", "github_classic_pat"), "FAIL", "classic PAT; replace it with a fine-grained PAT"),
    ("no_classic_pats", token("f", FG), "PASS", "fine-grained PAT"),
    # stale_tokens_removed
    ("stale_tokens_removed", token("t", FG, status="revoked"), "FAIL", "token is revoked but still listed"),
    (
        "stale_tokens_removed",
        token("t", FG, expires_at=days_ago(40)),
        "FAIL",
        "expired 40 days ago and still listed (max 30)",
    ),
    (
        "stale_tokens_removed",
        token("t", FG, expires_at=days_ago(5)),
        "PASS",
        "expired 5 days ago, within the 30-day clean-up window",
    ),
    ("stale_tokens_removed", token("t", FG, status="expired"), "FAIL", "token is expired but still listed"),
    ("stale_tokens_removed", token("t", FG), "PASS", "token is current"),
]


@pytest.mark.parametrize(
    ("control", "row", "status", "reason"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule_table(control, row, status, reason):
    native = row["token_id"].rsplit(":", 1)[-1]
    assert outcome(judge([row]), control, native) == (status, reason)


def test_controls_skip_kinds_outside_their_population():
    findings = judge([token("x", "gitlab_pat", created_at=days_ago(500))])
    assert set(findings["control_id"].astype(str)) >= {"owner_active", "credential_recently_used"}
    for control in ("no_root_access_keys", "key_rotated_within_max_age", "no_user_managed_sa_keys", "no_classic_pats"):
        assert not (findings["control_id"] == control).any()


def test_per_kind_override_changes_only_that_kind():
    from pataudit.config import Policy

    policy = Policy.model_validate(
        {
            "controls": {
                "key_rotated_within_max_age": {
                    "params": {"max_age_days": 60},
                    "overrides": {"gcp_sa_key": {"max_age_days": 200}},
                }
            }
        }
    )
    findings = judge(
        [token("aws", created_at=days_ago(100)), token("gcp", "gcp_sa_key", created_at=days_ago(100))], policy=policy
    )
    assert outcome(findings, "key_rotated_within_max_age", "aws") == ("FAIL", "key age 100 days exceeds 60")
    assert outcome(findings, "key_rotated_within_max_age", "gcp") == ("PASS", "key age 100 days within 200")


def test_one_active_key_per_principal_fails_every_key_of_a_principal_with_two():
    findings = judge(
        [
            token("k1", owner="bob", created_at=days_ago(1)),
            token("k2", owner="bob", created_at=days_ago(2)),
            token("k3", owner="bob", status="inactive"),
            token("k4", owner="eve", created_at=days_ago(2)),
        ]
    )
    assert outcome(findings, "one_active_key_per_principal", "k1") == ("FAIL", "principal has 2 active keys (max 1)")
    assert outcome(findings, "one_active_key_per_principal", "k2")[0] == "FAIL"
    assert outcome(findings, "one_active_key_per_principal", "k3") == ("NOT_APPLICABLE", "key is not active")
    assert outcome(findings, "one_active_key_per_principal", "k4")[0] == "PASS"
