"""The live AWS collector, driving boto3 against a local moto server (endpoint override), end to end."""

import csv
import gzip
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import requests
from aws_fakes import moto_endpoint
from conftest import findings_of, one_source_config
from moto.iam.models import AccessKeyLastUsed, iam_backends
from pypdf import PdfReader

MANAGEMENT = "123456789012"
NOW = datetime.now(UTC)
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
STAR = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def policy(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions),
                                                              "Resource": "*"}]})  # fmt: skip


def backdate(account: str, user: str, index: int, created_days: float, used_days: float | None) -> str:
    key = iam_backends[account]["aws"].users[user].access_keys[index]
    key.create_date = NOW - timedelta(days=created_days)
    if used_days is not None:
        key.last_used = AccessKeyLastUsed(NOW - timedelta(days=used_days), "s3", "us-east-1")
    return key.access_key_id


def iam_in(account: str):
    if account == MANAGEMENT:
        return boto3.client("iam", region_name="us-east-1")
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/PatauditAudit", RoleSessionName="setup"
    )["Credentials"]
    return boto3.client(
        "iam",
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def add_user(iam, name: str, keys: int = 0, console: bool = False, tags: dict | None = None) -> None:
    iam.create_user(UserName=name, Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])
    if console:
        iam.create_login_profile(UserName=name, Password="Correct-Horse-1")
    for _ in range(keys):
        iam.create_access_key(UserName=name)


@pytest.fixture
def aws(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    refused: set[str] = set()
    options: dict = {}
    with moto_endpoint(refused, options) as (url, calls):
        requests.post(f"{url}/moto-api/reset", timeout=10)
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        yield refused, calls, options


@pytest.fixture
def organisation(aws):
    """Management account with every scenario, one readable member account and one that refuses the role."""
    refused, _, _ = aws
    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="prod", Email="prod@example.com")["CreateAccountStatus"]["AccountId"]
    locked = org.create_account(AccountName="locked", Email="lock@example.com")["CreateAccountStatus"]["AccountId"]
    refused.add(locked)

    iam = iam_in(MANAGEMENT)
    add_user(iam, "nokeys", console=True)
    add_user(iam, "alice", keys=1, console=True)
    add_user(iam, "two-keys", keys=2)
    add_user(iam, "api-only", keys=1)
    add_user(iam, "newbie", keys=1, console=True)
    add_user(iam, "grouped-admin", keys=1)
    add_user(iam, "inline-star", keys=1)
    add_user(iam, "reader", keys=1)
    add_user(iam, "writer", keys=1)
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=ADMIN_ARN)
    iam.add_user_to_group(GroupName="admins", UserName="grouped-admin")
    iam.put_user_policy(UserName="inline-star", PolicyName="everything", PolicyDocument=STAR)
    read_arn = iam.create_policy(PolicyName="s3-read", PolicyDocument=policy("s3:GetObject", "s3:ListBucket"))
    iam.attach_user_policy(UserName="reader", PolicyArn=read_arn["Policy"]["Arn"])
    iam.put_user_policy(UserName="writer", PolicyName="put", PolicyDocument=policy("s3:PutObject"))
    ids = {
        "alice": backdate(MANAGEMENT, "alice", 0, 200, 2),
        "two-keys/1": backdate(MANAGEMENT, "two-keys", 0, 30, 1),
        "two-keys/2": backdate(MANAGEMENT, "two-keys", 1, 200, 100),
        "api-only": backdate(MANAGEMENT, "api-only", 0, 120, None),
        "newbie": backdate(MANAGEMENT, "newbie", 0, 1, None),
        "grouped-admin": backdate(MANAGEMENT, "grouped-admin", 0, 10, 1),
        "inline-star": backdate(MANAGEMENT, "inline-star", 0, 10, 1),
        "reader": backdate(MANAGEMENT, "reader", 0, 10, 1),
        "writer": backdate(MANAGEMENT, "writer", 0, 10, 1),
    }
    iam_backends[MANAGEMENT]["aws"].account_summary._account_access_keys_present = 1

    member_iam = iam_in(member)
    add_user(member_iam, "deployer", keys=1, tags={"owner": "jane@example.com"})
    ids["deployer"] = backdate(member, "deployer", 0, 100, 3)
    return member, locked, ids


def test_live_organisation_run_gives_the_expected_findings(organisation, tmp_path, cli):
    member, locked, ids = organisation
    config = one_source_config(tmp_path, {"type": "aws", "name": "aws-org", "organization": True,
                                     "role_name": "PatauditAudit", "owner_tag": "owner"})  # fmt: skip
    out = tmp_path / "out"
    code, stdout, stderr = cli("run", "--config", str(config), "--out", str(out))
    assert code == 3, stderr
    assert f"account 3/3 {locked}: ERROR: AssumeRole: AccessDenied" in stderr or f"{locked}: ERROR" in stderr
    assert f"INCOMPLETE: aws-org: {locked}: AssumeRole: AccessDenied: User: " in stdout
    found = findings_of(out)

    def status(control: str, key: str, account: str = MANAGEMENT) -> tuple[str, str]:
        row = found[(control, f"aws:{account}:aws_access_key:{key}")]
        return row["status"], row["reason"]

    assert status("key_rotated_within_max_age", ids["alice"]) == ("FAIL", "key age 200 days exceeds 90")
    assert status("key_rotated_within_max_age", ids["two-keys/1"]) == ("PASS", "key age 30 days within 90")
    assert status("key_rotated_within_max_age", ids["two-keys/2"]) == ("FAIL", "key age 200 days exceeds 90")
    assert status("credential_recently_used", ids["two-keys/1"])[0] == "PASS"
    assert status("credential_recently_used", ids["two-keys/2"]) == ("FAIL", "last used 100 days ago, more than 45")
    assert status("one_active_key_per_principal", ids["two-keys/2"]) == ("FAIL", "principal has 2 active keys (max 1)")
    assert status("credential_recently_used", ids["api-only"]) == (
        "FAIL",
        "never used since creation 120 days ago (grace 14)",
    )
    assert status("credential_recently_used", ids["newbie"]) == (
        "PASS",
        "never used; created 1 days ago, within the 14-day grace period",
    )
    for admin in ("grouped-admin", "inline-star"):
        assert status("no_admin_privilege", ids[admin]) == ("FAIL", "token carries administrative privilege")
    assert status("no_admin_privilege", ids["reader"]) == ("PASS", "token privilege is read-only")
    assert status("no_admin_privilege", ids["writer"]) == ("PASS", "token privilege is write, below admin")
    assert status("no_root_access_keys", "<root_account>/summary") == ("FAIL", "active access key on the root user")
    assert status("key_rotated_within_max_age", ids["deployer"], member) == ("FAIL", "key age 100 days exceeds 90")
    errors = [r for (c, t), r in found.items() if t == f"aws:{locked}:*"]
    assert errors and {r["status"] for r in errors} == {"ERROR"}

    with (out / "inventory.csv").open() as handle:
        names = {r["token_id"]: r["name"] for r in csv.DictReader(handle)}
    assert names[f"aws:{member}:aws_access_key:{ids['deployer']}"] == "deployer (owner jane@example.com) access key 1"
    sources = json.loads((out / "sources.json").read_text())[0]
    assert sorted(sources["scopes"]) == sorted([MANAGEMENT, member])
    assert sources["api_calls"]["iam:ListAccessKeys"] == 9  # eight users with keys here, one in the member
    assert "AccessKeyId" not in (out / "sources.json").read_text()
    assert (out / f"evidence/aws/{member}/credential_report.csv.gz").is_file()
    text = " ".join(p.extract_text() for p in PdfReader(out / "report.pdf").pages)
    assert "INCOMPLETE" in text and "AccessDenied" in text


def test_no_temporary_credentials_are_written(organisation, tmp_path, cli):
    config = one_source_config(tmp_path, {"type": "aws", "organization": True, "role_name": "PatauditAudit"})
    out = tmp_path / "out"
    cli("run", "--config", str(config), "--out", str(out))
    sts = boto3.client("sts", region_name="us-east-1")
    probe = sts.assume_role(RoleArn=f"arn:aws:iam::{organisation[0]}:role/PatauditAudit", RoleSessionName="probe")
    secret_prefix = probe["Credentials"]["SecretAccessKey"][:6]
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            text = (gzip.decompress(data) if path.suffix == ".gz" else data).decode("latin-1")
            assert "SessionToken" not in text and "SecretAccessKey" not in text
            assert "FQoGZXIvYXdzE" not in text  # moto's session-token prefix
    assert secret_prefix  # the probe itself worked, so the run had credentials to leak


def test_single_account_costs_no_per_user_calls_for_users_without_keys(aws, tmp_path, cli):
    _, calls, _ = aws
    iam = iam_in(MANAGEMENT)
    for n in range(30):
        add_user(iam, f"nokey{n}")
    for n in range(5):
        add_user(iam, f"key{n}", keys=1)
    calls.clear()
    config = one_source_config(tmp_path, {"type": "aws"})
    code, _, err = cli("run", "--config", str(config), "--out", str(tmp_path / "out"))
    assert code == 0, err
    counted = json.loads((tmp_path / "out" / "sources.json").read_text())[0]["api_calls"]
    assert counted["iam:ListAccessKeys"] == 5
    assert sum(counted.values()) <= 5 + 1 + 5
    assert sum(counted.values()) == len(calls)


def test_offline_reperformance_from_live_evidence_gives_the_same_findings(organisation, tmp_path, cli):
    member, _, _ = organisation
    live = one_source_config(tmp_path, {"type": "aws", "accounts": [member], "role_name": "PatauditAudit"})
    out = tmp_path / "live-out"
    as_of = (NOW + timedelta(hours=1)).isoformat()
    assert cli("run", "--config", str(live), "--out", str(out), "--as-of", as_of)[0] == 0
    evidence = out / "evidence" / "aws" / member
    generated = json.loads(gzip.decompress((evidence / "collection.json.gz").read_bytes()))
    offline = tmp_path / "offline"
    offline.mkdir()
    config = one_source_config(offline, {
        "type": "aws", "name": f"aws:{member}", "account_id": member,
        "credential_report": str(evidence / "credential_report.csv.gz"),
        "credential_report_generated_at": generated["data_as_of"],
        "access_keys": str(evidence / "access_keys.json.gz"),
        "authorization_details": str(evidence / "authorization_details.json.gz"),
        "account_summary": str(evidence / "account_summary.json.gz"),
    })  # fmt: skip
    assert cli("run", "--config", str(config), "--out", str(offline / "out"), "--as-of", as_of)[0] == 0
    assert (offline / "out" / "findings.csv").read_bytes() == (out / "findings.csv").read_bytes()


def test_stale_credential_report_from_the_api_is_error(aws, tmp_path, cli):
    _, _, options = aws
    add_user(iam_in(MANAGEMENT), "alice", keys=1)
    options["report_time"] = NOW - timedelta(hours=60)
    config = one_source_config(tmp_path, {"type": "aws"})
    code, stdout, _ = cli("run", "--config", str(config), "--out", str(tmp_path / "out"))
    assert code == 3
    assert "INCOMPLETE: aws:caller: data is stale: 60 hours old at the as-of time" in stdout
    statuses = {r["status"] for r in findings_of(tmp_path / "out").values()}
    assert statuses == {"ERROR"}
