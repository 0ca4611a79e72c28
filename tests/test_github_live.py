"""The live GitHub source: PyGithub against a local server speaking the documented JSON."""

import csv
import gzip
import json

import pytest
from conftest import findings_of, one_source_config
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from fake_github import OWNER_TOKEN, PLANTED, fake_github


@pytest.fixture
def github(monkeypatch):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    monkeypatch.setenv("GH_APP_KEY", key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode())
    monkeypatch.setenv("GH_TOKEN", OWNER_TOKEN)
    with fake_github() as server:
        yield server


def run(tmp_path, cli, url, **extra):
    source = {
        "type": "github",
        "org": "acme",
        "base_url": url,
        "token_env": "GH_TOKEN",
        "app_id": "7",
        "app_installation_id": 42,
        "app_private_key_env": "GH_APP_KEY",
        "rate_limit_wait_seconds": 1,
        **extra,
    }
    config = one_source_config(tmp_path, source, organization="Acme")
    return cli("run", "--config", str(config), "--out", str(tmp_path / "out"))


def test_org_collection_gives_the_expected_findings(github, tmp_path, cli):
    code, stdout, stderr = run(tmp_path, cli, github.url)
    assert code == 0, stdout + stderr
    out = tmp_path / "out"
    found = findings_of(out)
    p = "github:acme:"
    assert found[("owner_active", p + "github_fine_grained_pat:5003")]["status"] == "FAIL", "departed owner"
    assert found[("owner_active", p + "github_fine_grained_pat:5001")]["status"] == "PASS"
    assert found[("least_resource_scope", p + "github_fine_grained_pat:5001")]["status"] == "FAIL", "all repos"
    assert found[("least_resource_scope", p + "github_fine_grained_pat:5002")]["status"] == "PASS"
    assert found[("token_expires", p + "github_classic_pat:1001")]["reason"] == "token never expires"
    assert found[("no_classic_pats", p + "github_classic_pat:1001")]["status"] == "FAIL"
    assert found[("key_rotated_within_max_age", p + "github_actions_secret:org/NPM_TOKEN")]["reason"] == (
        "key age 200 days exceeds 90"
    )
    assert found[("key_rotated_within_max_age", p + "github_actions_secret:acme/api/DEPLOY_KEY")]["status"] == "PASS"
    assert found[("no_admin_privilege", p + "github_app_installation:42")]["status"] == "FAIL"
    assert found[("key_rotated_within_max_age", p + "github_deploy_key:31")]["reason"] == "key age 120 days exceeds 90"
    assert found[("credential_recently_used", p + "github_deploy_key:31")]["status"] == "FAIL"
    assert found[("owner_active", p + "github_fine_grained_pat:request-77")]["status"] == "NOT_APPLICABLE"
    calls = json.loads((out / "sources.json").read_text())[0]["api_calls"]
    assert calls["/orgs/acme/personal-access-tokens"] == 2, "130 PATs in pages of 100"
    assert calls["/orgs/acme/members"] == 2 and calls["/repos/{repo}/keys"] == 2
    assert github.requests.count("/orgs/acme/members") == 3, "the rate-limited request was retried"
    assert github.requests.count("/orgs/acme/repos") == 2, "the 502 was retried"
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            text = (gzip.decompress(data) if path.suffix == ".gz" else data).decode("latin-1")
            assert all(secret not in text for secret in [*PLANTED, OWNER_TOKEN]), path


def test_missing_app_credentials_is_an_honest_error(github, tmp_path, cli):
    code, stdout, _ = run(tmp_path, cli, github.url, app_id=None)
    assert code == 3
    assert "fine-grained PATs need a GitHub App installation" in stdout
    with (tmp_path / "out" / "inventory.csv").open() as handle:
        kinds = {r["kind"] for r in csv.DictReader(handle)}
    assert "github_classic_pat" in kinds and "github_fine_grained_pat" not in kinds


def test_bad_owner_token_is_error_not_an_empty_org(github, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("GH_TOKEN", "ghp_wrong")
    code, stdout, _ = run(tmp_path, cli, github.url)
    assert code == 3 and "members: HTTP 401" in stdout


def test_live_evidence_reperforms_offline(github, tmp_path, cli):
    assert run(tmp_path, cli, github.url)[0] == 0
    out = tmp_path / "out"
    as_of = json.loads((out / "manifest.json").read_text())["run"]["as_of"]
    assert cli("check", "--evidence", str(out / "evidence"), "--as-of", as_of, "--out", str(tmp_path / "c"))[0] == 0
    assert (tmp_path / "c" / "findings.csv").read_bytes() == (out / "findings.csv").read_bytes()
