"""The live GCP source: Resource Manager (REST), IAM Admin (gRPC) and the REST APIs against local fakes."""

import csv
import gzip
import json

from conftest import findings_of, one_source_config
from fake_gcp import ORG, PLANTED, fake_gcp


def run(tmp_path, cli, rest, grpc_target, **extra):
    source = {
        "type": "gcp",
        "organization": ORG,
        "anonymous": True,
        "resource_manager_endpoint": rest,
        "iam_endpoint": grpc_target,
        "policy_analyzer_endpoint": rest,
        "org_policy_endpoint": rest,
        **extra,
    }
    config = one_source_config(tmp_path, source)
    return cli("run", "--config", str(config), "--out", str(tmp_path / "out"))


def test_organisation_walk_keys_roles_last_use_and_errors(tmp_path, cli):
    with fake_gcp() as (world, rest, target):
        code, stdout, stderr = run(tmp_path, cli, rest, target)
    assert code == 3, stdout + stderr
    assert (
        "INCOMPLETE: gcp:123456789: denied-proj: PermissionDenied: Permission 'iam.serviceAccounts.list' denied"
        in stdout
    )
    out = tmp_path / "out"
    found = findings_of(out)
    key = "gcp:prod-app:gcp_sa_key:"

    def status(control: str, native: str) -> tuple[str, str]:
        return found[(control, key + native)]["status"], found[(control, key + native)]["reason"]

    assert status("no_user_managed_sa_keys", "k0old") == ("FAIL", "user-managed service-account key")
    assert status("key_rotated_within_max_age", "k1old") == ("FAIL", "key age 201 days exceeds 90")
    assert status("key_rotated_within_max_age", "k0new")[0] == "PASS"
    assert status("credential_recently_used", "k1new") == ("FAIL", "last used 100 days ago, more than 45")
    assert status("credential_recently_used", "k0old")[0] == "PASS"
    assert status("no_admin_privilege", "k0old") == ("FAIL", "token carries administrative privilege")  # roles/owner
    assert status("no_admin_privilege", "k1old")[0] == "PASS"  # objectViewer
    assert status("no_admin_privilege", "k2old")[0] == "FAIL"  # *Admin role, conditional
    assert status("token_expires", "k0old") == ("FAIL", "token never expires")
    assert status("token_expires", "k0new")[0] == "PASS"
    assert status("owner_active", "k1old")[0] == "FAIL", "disabled service account"
    assert not any(t.endswith("sys") for (_, t) in found), "Google-managed keys are not inventoried"
    assert not any(":old-proj:" in t for (_, t) in found), "only ACTIVE projects"
    assert found[("credential_recently_used", "gcp:team-0:gcp_sa_key:k0old")]["status"] == "NOT_APPLICABLE"
    assert found[("owner_active", "gcp:denied-proj:*")]["status"] == "ERROR"
    with (out / "inventory.csv").open() as handle:
        rows = {r["token_id"]: r for r in csv.DictReader(handle)}
    assert "predates iam.disableServiceAccountKeyCreation" in rows[key + "k0old"]["name"]
    assert "(conditional)" in rows[key + "k2old"]["scopes"]
    assert found[("no_admin_privilege", "gcp:team-0:gcp_sa_key:k1old")]["status"] == "FAIL", "editor on folders/200"
    assert any(
        "organizations/123456789 not readable" in n for n in json.loads((out / "sources.json").read_text())[0]["notes"]
    )
    sources = json.loads((out / "sources.json").read_text())[0]
    assert any("Policy Analyzer" in n and "team-0" in n for n in sources["notes"])
    assert sum(1 for c in world.calls if c == "grpc ListServiceAccountKeys sa0@prod-app.iam.gserviceaccount.com") == 2
    assert sum(c == "grpc ListServiceAccounts prod-app" for c in world.calls) == 2, "two pages of accounts"
    assert sources["api_calls"]["serviceAccounts.list"] == 4  # prod-app 2 pages, team-0 2 pages (denied: refused)
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PLANTED not in (gzip.decompress(data) if path.suffix == ".gz" else data).decode("latin-1")


def test_projects_list_with_filters_and_offline_reperformance(tmp_path, cli):
    with fake_gcp() as (_, rest, target):
        code, _, err = run(
            tmp_path, cli, rest, target, organization=None, projects=["prod-app", "team-0"], exclude=["team-*"]
        )
    assert code == 0, err
    out = tmp_path / "out"
    with (out / "inventory.csv").open() as handle:
        scopes = {r["scope"] for r in csv.DictReader(handle)}
    assert scopes == {"prod-app"}
    as_of = json.loads((out / "manifest.json").read_text())["run"]["as_of"]
    assert cli("check", "--evidence", str(out / "evidence"), "--as-of", as_of, "--out", str(tmp_path / "c"))[0] == 0
    assert (tmp_path / "c" / "findings.csv").read_bytes() == (out / "findings.csv").read_bytes()
