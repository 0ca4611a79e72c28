from datetime import date

from rules_helpers import judge, outcome, token

from pataudit.config import Waiver


def waiver(expires: date, **selector) -> Waiver:
    return Waiver.model_validate(
        {
            "id": "W-1",
            "control": "no_admin_privilege",
            "selector": selector,
            "reason": "needed",
            "approver": "CISO",
            "ticket": "SEC-1",
            "expires": expires,
        }
    )


def test_waiver_in_force_marks_failures_waived():
    findings = judge(
        [
            token("bot", "github_fine_grained_pat", privilege="admin", owner="release-bot"),
            token("dev", "github_fine_grained_pat", privilege="admin", owner="dev"),
        ],
        waivers=[waiver(date(2026, 6, 30), owner="release-*")],
    )
    assert outcome(findings, "no_admin_privilege", "bot") == ("WAIVED", "token carries administrative privilege")
    assert (
        findings.loc[
            findings["token_id"].str.endswith(":bot") & (findings["control_id"] == "no_admin_privilege"), "waiver_id"
        ].item()
        == "W-1"
    )
    assert outcome(findings, "no_admin_privilege", "dev")[0] == "FAIL"


def test_expired_waiver_turns_back_into_fail_and_says_so():
    findings = judge(
        [token("bot", "github_fine_grained_pat", privilege="admin", owner="release-bot")],
        waivers=[waiver(date(2026, 6, 29), owner="release-bot")],
    )
    assert outcome(findings, "no_admin_privilege", "bot") == (
        "FAIL",
        "token carries administrative privilege; waiver W-1 expired on 2026-06-29",
    )


def test_waiver_never_hides_a_pass_or_other_controls():
    findings = judge(
        [token("bot", "github_fine_grained_pat", privilege="read", owner="bot", resource_scope="all")],
        waivers=[waiver(date(2027, 1, 1), owner="bot")],
    )
    assert outcome(findings, "no_admin_privilege", "bot")[0] == "PASS"
    assert outcome(findings, "least_resource_scope", "bot")[0] == "FAIL"
