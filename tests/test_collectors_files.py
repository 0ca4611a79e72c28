"""The parse side of the AWS, GitHub and GitLab collectors, on payloads shaped as the platforms document."""

import json
from datetime import UTC, datetime

import pytest
from conftest import ACCOUNT, GITHUB_AUTHORIZATIONS, GITHUB_PATS, GITLAB_TOKENS, credential_report, report_row

from pataudit.collectors.aws import parse_credential_report
from pataudit.collectors.github import (
    classic_privilege,
    fine_grained_privilege,
    parse_credential_authorizations,
    parse_fine_grained_pats,
)
from pataudit.collectors.gitlab import gitlab_privilege, parse_personal_access_tokens
from pataudit.collectors.payload_files import read_json_list
from pataudit.errors import CollectionError

NOW = datetime(2026, 6, 30, tzinfo=UTC)


def parse(rows, **kwargs):
    return parse_credential_report(credential_report(rows).encode(), account_id=ACCOUNT, collected_at=NOW, **kwargs)


def test_credential_report_rows_per_key_with_root_and_markers():
    rows = parse(
        [
            report_row("<root_account>", key1={"active": "false", "last_rotated": "2020-01-01T00:00:00+00:00"}),
            report_row(
                "alice",
                console=True,
                key1={
                    "active": "true",
                    "last_rotated": "2026-01-01T00:00:00+00:00",
                    "last_used_date": "2026-06-01T10:00:00+00:00",
                },
                key2={"active": "true", "last_rotated": "2026-02-01T00:00:00+00:00"},
            ),
            report_row("nokeys"),
        ]
    )
    assert [r["token_id"] for r in rows] == [
        f"aws:{ACCOUNT}:aws_access_key:<root_account>/key1",
        f"aws:{ACCOUNT}:aws_access_key:alice/key1",
        f"aws:{ACCOUNT}:aws_access_key:alice/key2",
    ]
    root, first, second = rows
    assert (root["owner_type"], root["status"], root["privilege"]) == ("root", "inactive", "admin")
    assert first["owner_type"] == "human" and first["last_used_at"] == datetime(2026, 6, 1, 10, tzinfo=UTC)
    assert second["last_used_at"] is None and second["usage_tracked"] is True
    assert second["created_at"] == datetime(2026, 2, 1, tzinfo=UTC)


def test_access_keys_json_names_keys_by_id():
    keys = [
        {
            "AccessKeyMetadata": [
                {
                    "UserName": "alice",
                    "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
                    "Status": "Active",
                    "CreateDate": "2026-01-01T00:00:00Z",
                }
            ]
        }
    ]
    rows = parse(
        [report_row("alice", key1={"active": "true", "last_rotated": "2026-01-01T00:00:00+00:00"})], access_keys=keys
    )
    assert rows[0]["token_id"] == f"aws:{ACCOUNT}:aws_access_key:AKIAIOSFODNN7EXAMPLE"


def test_malformed_row_names_the_line():
    text = credential_report([report_row("alice")]) + "bob,arn:aws:iam::1:user/bob,2024\n"
    with pytest.raises(CollectionError, match="credential report line 3: expected 22 columns, found 3"):
        parse_credential_report(text.encode(), account_id=ACCOUNT, collected_at=NOW)


def test_bad_flag_and_bad_date_name_the_line():
    bad_flag = report_row("alice", key1={"active": "maybe", "last_rotated": "2026-01-01T00:00:00+00:00"})
    with pytest.raises(CollectionError, match="line 2: access_key_1_active must be true or false, found 'maybe'"):
        parse([bad_flag])
    bad_date = report_row("alice", key1={"active": "true", "last_rotated": "last tuesday"})
    with pytest.raises(CollectionError, match="line 2: not an ISO 8601 timestamp: 'last tuesday'"):
        parse([bad_date])


def test_missing_header_columns():
    with pytest.raises(CollectionError, match=r"header lacks columns: .*access_key_2_active"):
        parse_credential_report(b"user,arn\nalice,x\n", account_id=ACCOUNT, collected_at=NOW)


def test_fine_grained_pats_with_offsets_and_membership():
    rows = parse_fine_grained_pats(GITHUB_PATS, org="example", members={"octocat"}, collected_at=NOW, evidence="")
    deploy, reader = rows
    assert deploy["token_id"] == "github:example:github_fine_grained_pat:901"
    assert deploy["created_at"] == datetime(2026, 1, 16, 15, 47, 9, tzinfo=UTC)
    assert deploy["expires_at"] is None
    assert (deploy["privilege"], deploy["resource_scope"], deploy["owner_active"]) == ("admin", "all", "true")
    assert reader["expires_at"] == datetime(2026, 8, 31, 22, tzinfo=UTC)
    assert (reader["privilege"], reader["resource_scope"], reader["owner_active"]) == ("read", "selected", "false")


def test_credential_authorizations_classic_pat():
    (row,) = parse_credential_authorizations(
        GITHUB_AUTHORIZATIONS, org="example", members=None, collected_at=NOW, evidence=""
    )
    assert row["kind"] == "github_classic_pat" and row["privilege"] == "admin"
    assert row["owner_active"] == "unknown" and row["scopes"] == "repo admin:org"
    assert row["last_used_at"] == datetime(2026, 6, 26, 19, 6, 43, tzinfo=UTC)


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        (["admin:org"], "admin"),
        (["delete_repo"], "admin"),
        (["admin:enterprise"], "admin"),
        (["repo"], "write"),
        (["workflow"], "write"),
        (["read:org", "read:user"], "read"),
        ([], "read"),
    ],
)
def test_classic_scope_mapping(scopes, expected):
    assert classic_privilege(scopes) == expected


@pytest.mark.parametrize(
    ("permissions", "expected"),
    [
        ({"repository": {"administration": "write"}}, "admin"),
        ({"organization": {"organization_administration": "write"}}, "admin"),
        ({"organization": {"members": "write"}}, "admin"),
        ({"organization": {"members": "read"}}, "read"),
        ({"repository": {"contents": "write"}}, "write"),
        ({"repository": {"metadata": "read"}}, "read"),
    ],
)
def test_fine_grained_permission_mapping(permissions, expected):
    assert fine_grained_privilege(permissions) == expected


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        (["api"], "admin"),
        (["sudo"], "admin"),
        (["admin_mode"], "admin"),
        (["write_repository"], "write"),
        (["write_registry"], "write"),
        (["read_api", "read_repository"], "read"),
    ],
)
def test_gitlab_scope_mapping(scopes, expected):
    assert gitlab_privilege(scopes) == expected


def test_gitlab_tokens_owner_state_bots_and_revoked():
    users = [
        {"id": 3, "username": "blocked.user", "state": "blocked", "bot": False},
        {"id": 9, "username": "project_42_bot_ab12", "state": "active", "bot": True},
    ]
    tokens = [*GITLAB_TOKENS, {**GITLAB_TOKENS[0], "id": 6, "user_id": 9, "scopes": ["read_repository"]}]
    rows = parse_personal_access_tokens(tokens, users, instance="gl", collected_at=NOW, evidence="")
    api, revoked, bot = rows
    assert (api["owner_active"], api["privilege"], api["status"]) == ("false", "admin", "active")
    assert api["expires_at"] == datetime(2026, 12, 1, tzinfo=UTC)
    assert revoked["status"] == "revoked"
    assert (bot["kind"], bot["owner_type"], bot["resource_scope"]) == ("gitlab_project_token", "service", "selected")


def test_payload_reader_drops_secrets_and_accepts_pages(tmp_path):
    path = tmp_path / "pages.json"
    path.write_text(
        json.dumps([[{"id": 1, "token": "glptt-SECRET"}], [{"id": 2, "nested": {"token_last_eight": "x"}}]])
    )
    assert read_json_list(path) == [{"id": 1}, {"id": 2, "nested": {}}]


def test_payload_reader_rejects_non_lists(tmp_path):
    path = tmp_path / "obj.json"
    path.write_text('{"message": "Bad credentials"}')
    with pytest.raises(CollectionError, match=r"obj.json: expected a JSON array of objects"):
        read_json_list(path)


def test_other_sso_credentials_are_kept_not_dropped():
    oauth = {**GITHUB_AUTHORIZATIONS[0], "credential_id": 5, "credential_type": "OAuth app token", "scopes": ["repo"]}
    ssh = {
        "login": "octocat",
        "credential_id": 6,
        "credential_type": "SSH key",
        "credential_authorized_at": None,
        "fingerprint": "jklmnop12345678",
        "authorized_credential_title": "laptop",
    }
    rows = parse_credential_authorizations([oauth, ssh], org="o", members={"octocat"}, collected_at=NOW, evidence="")
    assert [(r["kind"], r["privilege"]) for r in rows] == [("github_oauth_token", "write"), ("github_ssh_key", "write")]
    assert rows[1]["name"] == "laptop" and rows[1]["created_at"] is None


def test_gcp_project_saved_as_the_rest_api_sends_it(tmp_path):
    """`keys.list` and `serviceAccounts.list` responses as documented: wrapped lists, camelCase fields."""
    from pataudit.collectors.gcp import collect_from_files

    account = "builder@acme-prod.iam.gserviceaccount.com"
    base = f"projects/acme-prod/serviceAccounts/{account}/keys/"
    keys = {
        "keys": [
            {
                "name": base + "1a2b3c4d5e6f",
                "validAfterTime": "2025-01-10T08:00:00Z",
                "validBeforeTime": "9999-12-31T23:59:59Z",
                "keyAlgorithm": "KEY_ALG_RSA_2048",
                "keyOrigin": "GOOGLE_PROVIDED",
                "keyType": "USER_MANAGED",
                "privateKeyData": "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlCQUFTCg==",
            },
            {
                "name": base + "9f8e7d6c5b4a",
                "validAfterTime": "2026-11-01T08:00:00Z",
                "validBeforeTime": "2026-11-03T08:00:00Z",
                "keyType": "SYSTEM_MANAGED",
            },
        ]
    }
    accounts = {"accounts": [{"name": f"projects/acme-prod/serviceAccounts/{account}", "email": account}]}
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    (tmp_path / "service_accounts.json").write_text(json.dumps(accounts))
    (tmp_path / "iam_policy.json").write_text(
        json.dumps(
            {
                "version": 1,
                "etag": "BwW",
                "bindings": [{"role": "roles/editor", "members": [f"serviceAccount:{account}"]}],
            }
        )
    )
    now = datetime(2026, 12, 1, tzinfo=UTC)
    collection = collect_from_files(label="gcp", project="acme-prod", folder=tmp_path, collected_at=now, started_at=now)
    [row] = collection.rows
    assert (row["created_at"], row["expires_at"], row["owner_active"], row["privilege"]) == (
        datetime(2025, 1, 10, 8, tzinfo=UTC),
        None,
        "true",
        "admin",
    )
    assert "1 Google-managed key(s) not inventoried" in " ".join(collection.record.notes)
    assert b"LS0tLS1CRUdJTi" not in b"".join(collection.payloads.values())


def test_github_wrapped_listings_read_as_sent(tmp_path):
    """`/orgs/{org}/actions/secrets` and `/orgs/{org}/installations` wrap their lists with a total_count."""
    from pataudit.collectors.github import collect_from_files

    secrets = {
        "total_count": 1,
        "secrets": [
            {
                "name": "GIST_ID",
                "created_at": "2019-08-10T14:59:22Z",
                "updated_at": "2020-01-10T14:59:22Z",
                "visibility": "private",
            }
        ],
    }
    installations = {
        "total_count": 1,
        "installations": [
            {
                "id": 25381,
                "account": {"login": "octo-org"},
                "app_id": 2,
                "app_slug": "octoapp",
                "repository_selection": "all",
                "permissions": {"deployments": "write", "metadata": "read", "administration": "write"},
                "created_at": "2017-07-08T16:18:44-04:00",
                "suspended_at": None,
            }
        ],
    }
    (tmp_path / "s.json").write_text(json.dumps(secrets))
    (tmp_path / "i.json").write_text(json.dumps(installations))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    files = {"actions_secrets": tmp_path / "s.json", "installations": tmp_path / "i.json"}
    rows = collect_from_files(label="g", org="octo-org", files=files, collected_at=now, started_at=now).rows
    by_kind = {row["kind"]: row for row in rows}
    assert by_kind["github_actions_secret"]["last_rotated_at"] == datetime(2020, 1, 10, 14, 59, 22, tzinfo=UTC)
    assert by_kind["github_actions_secret"]["resource_scope"] == "all"
    assert by_kind["github_app_installation"]["created_at"] == datetime(2017, 7, 8, 20, 18, 44, tzinfo=UTC)
    assert by_kind["github_app_installation"]["privilege"] == "admin"


def test_aws_cli_outputs_saved_as_printed(tmp_path):
    """`aws iam get-credential-report` (base64 Content + GeneratedTime) and a merged
    `get-account-authorization-details` object, as the CLI prints them."""
    import base64

    from conftest import credential_report, report_row

    from pataudit.collectors.aws import collect_from_files

    csv_text = credential_report(
        [report_row("alice", key1={"active": "true", "last_rotated": "2026-01-01T00:00:00+00:00"})]
    )
    response = {
        "Content": base64.b64encode(csv_text.encode()).decode(),
        "ReportFormat": "text/csv",
        "GeneratedTime": "2026-06-29T22:15:03.000-07:00",
    }
    details = {
        "UserDetailList": [
            {
                "UserName": "alice",
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
                "GroupList": [],
                "AttachedManagedPolicies": [
                    {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
                ],
                "UserPolicyList": [],
            }
        ],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
        "IsTruncated": False,
    }
    (tmp_path / "report.json").write_text(json.dumps(response))
    (tmp_path / "details.json").write_text(json.dumps(details))
    collection = collect_from_files(
        label="aws",
        account_id=ACCOUNT,
        credential_report=tmp_path / "report.json",
        generated_at=None,
        access_keys=None,
        authorization_details=tmp_path / "details.json",
        account_summary=None,
        owner_tag=None,
        started_at=datetime(2026, 7, 1, tzinfo=UTC),
    )
    [row] = collection.rows
    assert collection.record.data_as_of == datetime(2026, 6, 30, 5, 15, 3, tzinfo=UTC)
    assert (row["privilege"], row["created_at"]) == ("admin", datetime(2026, 1, 1, tzinfo=UTC))
    assert collection.payloads[f"evidence/aws/{ACCOUNT}/credential_report.csv.gz"] == csv_text.encode()


def test_aws_credential_report_json_without_content_is_an_error(tmp_path):
    from pataudit.collectors.aws import read_credential_report

    (tmp_path / "r.json").write_text('{"ReportFormat": "text/csv"}')
    with pytest.raises(CollectionError, match="neither a credential report CSV nor a GetCredentialReport response"):
        read_credential_report(tmp_path / "r.json", None)
