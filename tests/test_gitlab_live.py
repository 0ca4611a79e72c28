"""The live GitLab source: python-gitlab against a local server speaking the documented JSON."""

import csv
import gzip
import json

from conftest import findings_of, one_source_config
from fake_gitlab import ADMIN_TOKEN, PLANTED, fake_gitlab


def run(tmp_path, cli, monkeypatch, token=ADMIN_TOKEN, **extra):
    monkeypatch.setenv("GITLAB_TOKEN", token)
    with fake_gitlab() as server:
        source = {"type": "gitlab", "instance": "gitlab.acme.test", "url": server.url, "token_env": "GITLAB_TOKEN"}
        config = one_source_config(tmp_path, {**source, **extra}, organization="Acme")
        result = cli("run", "--config", str(config), "--out", str(tmp_path / "out"))
        return result, server


def test_admin_collection_pages_retries_and_findings(tmp_path, cli, monkeypatch):
    (code, stdout, stderr), _ = run(tmp_path, cli, monkeypatch)
    assert code == 0, stdout + stderr
    out = tmp_path / "out"
    found = findings_of(out)
    prefix = "gitlab:gitlab.acme.test:"
    assert found[("owner_active", prefix + "gitlab_pat:1")]["status"] == "FAIL", "blocked owner"
    assert found[("no_admin_privilege", prefix + "gitlab_pat:1")]["status"] == "FAIL", "api scope"
    assert found[("token_expires", prefix + "gitlab_pat:4")]["reason"] == "token never expires"
    assert found[("owner_active", prefix + "gitlab_project_token:2")]["status"] == "PASS"
    assert found[("key_rotated_within_max_age", prefix + "gitlab_trigger_token:10")]["reason"] == (
        "key age 400 days exceeds 90"
    )
    assert found[("owner_active", prefix + "gitlab_trigger_token:10")]["status"] == "FAIL"
    assert found[("token_expires", prefix + "gitlab_deploy_token:1")]["status"] == "FAIL"
    with (out / "inventory.csv").open() as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == 250 + 1 + 1
    calls = json.loads((out / "sources.json").read_text())[0]["api_calls"]
    assert calls["GET personal_access_tokens"] == 3, "250 tokens in pages of 100"
    assert calls["GET users"] == 2 and calls["GET deploy_tokens"] == 2, "429 and 502 were retried"
    assert calls["GET projects/:id/triggers"] == 2
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            text = (gzip.decompress(data) if path.suffix == ".gz" else data).decode("latin-1")
            assert all(secret not in text for secret in [*PLANTED, ADMIN_TOKEN]), path


def test_bad_token_is_an_error_not_an_empty_instance(tmp_path, cli, monkeypatch):
    (code, stdout, _), _ = run(tmp_path, cli, monkeypatch, token="wrong")
    assert code == 3
    assert (
        "INCOMPLETE: gitlab:gitlab.acme.test: gitlab.acme.test: personal access tokens: HTTP 401: 401 Unauthorized;"
        in stdout
    )


def test_live_evidence_reperforms_offline(tmp_path, cli, monkeypatch):
    assert run(tmp_path, cli, monkeypatch)[0][0] == 0
    out = tmp_path / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    as_of = manifest["run"]["as_of"]
    assert cli("check", "--evidence", str(out / "evidence"), "--as-of", as_of, "--out", str(tmp_path / "c"))[0] == 0
    assert (tmp_path / "c" / "findings.csv").read_bytes() == (out / "findings.csv").read_bytes()


def test_group_owner_mode_reads_group_and_project_tokens(tmp_path, cli, monkeypatch):
    (code, stdout, stderr), _ = run(tmp_path, cli, monkeypatch, group="acme")
    assert code == 3, stdout + stderr
    assert "acme/web: project access tokens: HTTP 403: 403 Forbidden" in stdout, "one refused project is ERROR"
    out = tmp_path / "out"
    with (out / "inventory.csv").open() as handle:
        rows = {r["token_id"]: r for r in csv.DictReader(handle)}
    assert rows["gitlab:gitlab.acme.test:gitlab_group_token:501"]["owner_type"] == "service"
    assert rows["gitlab:gitlab.acme.test:gitlab_project_token:502"]["resource_scope"] == "selected"
    assert "gitlab:gitlab.acme.test:gitlab_trigger_token:10" in rows
    found = findings_of(out)
    assert found[("owner_active", "gitlab:gitlab.acme.test:gitlab_trigger_token:10")]["status"] == "FAIL"
