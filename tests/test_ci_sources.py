"""Azure DevOps, Jenkins, CircleCI and Terraform Cloud sources over HTTP against local servers."""

import csv
import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from conftest import findings_of, one_source_config
from fake_platforms import ADO_PAT, CIRCLE_TOKEN, JENKINS_TOKEN, JENKINS_USER, PLANTED, TFC_TOKEN, fake_platforms
from pypdf import PdfReader


@pytest.fixture
def platforms(monkeypatch):
    monkeypatch.setenv("ADO_PAT", ADO_PAT)
    monkeypatch.setenv("CIRCLE_TOKEN", CIRCLE_TOKEN)
    monkeypatch.setenv("TFC_TOKEN", TFC_TOKEN)
    monkeypatch.setenv("JENKINS_USER", JENKINS_USER)
    monkeypatch.setenv("JENKINS_TOKEN", JENKINS_TOKEN)
    with fake_platforms() as server:
        yield server


def config_for(folder: Path, url: str, **changes) -> Path:
    sources = [
        {"type": "azure_devops", "organization": "contoso", "base_url": url, "token_env": "ADO_PAT"},
        {
            "type": "jenkins",
            "server": "ci.example.com",
            "url": url,
            "user_env": "JENKINS_USER",
            "token_env": "JENKINS_TOKEN",
        },
        {"type": "circleci", "owner_id": "org-123", "base_url": url, "token_env": "CIRCLE_TOKEN"},
        {"type": "terraform_cloud", "organization": "hashicorp", "base_url": url, "token_env": "TFC_TOKEN"},
    ]
    for index, change in changes.items():
        sources[int(index.removeprefix("s"))].update(change)
    path = folder / "ci.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "organization": "Contoso",
                "period": "now",
                "sources": sources,
                "store": {"url": f"sqlite:///{folder / 'h.sqlite'}"},
            }
        )
    )
    return path


def test_all_four_sources_give_the_expected_findings(platforms, tmp_path, cli):
    out = tmp_path / "out"
    code, stdout, stderr = cli("run", "--config", str(config_for(tmp_path, platforms.url)), "--out", str(out))
    assert code == 0, stdout + stderr
    assert "  azure_devops:contoso: PATs of 3/3 users\n" in stderr
    found = findings_of(out)

    def status(control: str, token: str) -> tuple[str, str]:
        return found[(control, token)]["status"], found[(control, token)]["reason"]

    ado = "azure_devops:contoso:azure_devops_pat:"
    assert status("no_admin_privilege", ado + "a1") == ("FAIL", "token carries administrative privilege")
    assert status("least_resource_scope", ado + "a1")[0] == "FAIL", "all-organisation PAT"
    assert status("token_lifetime_within_max", ado + "a1") == ("FAIL", "lifetime 800 days exceeds 366")
    assert status("least_resource_scope", ado + "a2")[0] == "PASS"
    assert status("no_admin_privilege", ado + "a2") == ("PASS", "token privilege is read-only")
    assert status("stale_tokens_removed", ado + "b1") == ("FAIL", "token is revoked but still listed")
    assert status("owner_active", ado + "c1") == ("FAIL", "owner is no longer an active member or identity")
    assert status("credential_recently_used", ado + "a2")[0] == "NOT_APPLICABLE"
    circle = "circleci:org-123:circleci_context_secret:"
    assert status("key_rotated_within_max_age", circle + "ctx-1/AWS_SECRET_ACCESS_KEY") == (
        "FAIL",
        "key age 400 days exceeds 90",
    )
    assert status("key_rotated_within_max_age", circle + "ctx-2/NPM_TOKEN")[0] == "PASS"
    tfc = "terraform_cloud:hashicorp:terraform_cloud_token:"
    assert status("token_expires", tfc + "at-org") == ("FAIL", "token never expires")
    assert status("no_admin_privilege", tfc + "at-org")[0] == "FAIL"
    assert status("credential_recently_used", tfc + "at-org") == ("FAIL", "last used 400 days ago, more than 45")
    assert status("token_expires", tfc + "at-team2")[0] == "PASS"
    assert status("token_expires", tfc + "at-user")[0] == "PASS"
    jenkins = "jenkins:ci.example.com:jenkins_api_token:"
    assert status("key_rotated_within_max_age", jenkins + "alice/u-1") == ("FAIL", "key age 500 days exceeds 90")
    assert status("credential_recently_used", jenkins + "alice/u-1") == (
        "FAIL",
        "never used since creation 500 days ago (grace 14)",
    )
    assert status("key_rotated_within_max_age", jenkins + "alice/u-2")[0] == "PASS"
    assert status("key_rotated_within_max_age", jenkins + "bob/legacy")[0] == "ERROR"
    sources = {s["label"]: s for s in json.loads((out / "sources.json").read_text())}
    assert sources["azure_devops:contoso"]["api_calls"] == {"graph/users": 2, "tokenadmin": 4}
    assert sources["circleci:org-123"]["api_calls"] == {"context": 2, "environment-variable": 2}
    assert sources["terraform_cloud:hashicorp"]["api_calls"]["team-tokens"] == 2
    text = " ".join(p.extract_text() for p in PdfReader(out / "report.pdf").pages)
    for label in sources:
        assert label in text
    script = platforms.scripts[0]
    assert "ApiTokenProperty" in script and ".save()" not in script and "revoke" not in script.lower()


def test_planted_secrets_appear_in_no_output(platforms, tmp_path, cli):
    out = tmp_path / "out"
    cli("run", "--config", str(config_for(tmp_path, platforms.url)), "--out", str(out))
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            text = (gzip.decompress(data) if path.suffix == ".gz" else data).decode("latin-1")
            for secret in [*PLANTED, ADO_PAT, CIRCLE_TOKEN, TFC_TOKEN, JENKINS_TOKEN]:
                assert secret not in text, (secret, path)
    assert secret not in (tmp_path / "h.sqlite").read_bytes().decode("latin-1")


def test_auth_failure_is_an_error_for_that_source_only(platforms, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("ADO_PAT", "wrong")
    monkeypatch.setenv("JENKINS_TOKEN", "wrong")
    out = tmp_path / "out"
    code, stdout, _ = cli("run", "--config", str(config_for(tmp_path, platforms.url)), "--out", str(out))
    assert code == 3
    assert "INCOMPLETE: azure_devops:contoso: contoso: graph/users: HTTP 401 TF400813" in stdout
    assert "INCOMPLETE: jenkins:ci.example.com: ci.example.com: script console:" in stdout
    found = findings_of(out)
    assert found[("owner_active", "azure_devops:contoso:*")]["status"] == "ERROR"
    assert found[("token_expires", "terraform_cloud:hashicorp:terraform_cloud_token:at-org")]["status"] == "FAIL"


def test_missing_credential_variable_is_a_clear_error(platforms, tmp_path, cli, monkeypatch):
    monkeypatch.delenv("CIRCLE_TOKEN")
    code, stdout, _ = cli("run", "--config", str(config_for(tmp_path, platforms.url)), "--out", str(tmp_path / "o"))
    assert code == 3
    assert (
        "INCOMPLETE: circleci:org-123: org-123: environment variable CIRCLE_TOKEN (CircleCI API token) is not set"
        in stdout
    )


def test_reperformance_covers_the_new_sources(platforms, tmp_path, cli):
    out = tmp_path / "out"
    as_of = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert cli("run", "--config", str(config_for(tmp_path, platforms.url)), "--out", str(out), "--as-of", as_of)[0] == 0
    check = tmp_path / "check"
    code, _, err = cli("check", "--evidence", str(out / "evidence"), "--as-of", as_of, "--out", str(check))
    assert code == 0, err
    assert (check / "findings.csv").read_bytes() == (out / "findings.csv").read_bytes()


CONFIG_XML = """<?xml version='1.1' encoding='UTF-8'?>
<user><version>10</version><id>{user}</id><fullName>{user}</fullName><properties>
<jenkins.security.ApiTokenProperty><tokenStore><tokenList>
<jenkins.security.apitoken.ApiTokenStore_-HashedToken><uuid>{uuid}</uuid><name>deploy</name>
<creationDate>2024-06-28 10:53:07.366 UTC</creationDate><value><version>11</version>
<hash>{hash}</hash></value></jenkins.security.apitoken.ApiTokenStore_-HashedToken>
</tokenList></tokenStore>{legacy}</jenkins.security.ApiTokenProperty></properties></user>"""
STATS_XML = """<?xml version='1.1' encoding='UTF-8'?>
<jenkins.security.apitoken.ApiTokenStats><tokenStats>
<jenkins.security.apitoken.ApiTokenStats_-SingleTokenStats><tokenUuid>{uuid}</tokenUuid><useCounter>7</useCounter>
<lastUseDate>2025-01-02 03:04:05.678 UTC</lastUseDate></jenkins.security.apitoken.ApiTokenStats_-SingleTokenStats>
</tokenStats></jenkins.security.apitoken.ApiTokenStats>"""


def test_offline_jenkins_home_copy(tmp_path, cli):
    home = tmp_path / "jenkins_home"
    for user, legacy in (("alice_123", ""), ("bob_456", "<apiToken>{AQAAABAAAAAw" + PLANTED[6] + "}</apiToken>")):
        folder = home / "users" / user
        folder.mkdir(parents=True)
        uuid = f"uuid-{user}"
        (folder / "config.xml").write_text(
            CONFIG_XML.format(user=user.split("_")[0], uuid=uuid, hash=PLANTED[6], legacy=legacy)
        )
        (folder / "apiTokenStats.xml").write_text(STATS_XML.format(uuid=uuid))
    source = {"type": "jenkins", "server": "ci", "jenkins_home": "jenkins_home", "collected_at": "2025-06-01T00:00:00Z"}
    config = one_source_config(tmp_path, source, organization="X")
    out = tmp_path / "out"
    code, _, err = cli("run", "--config", str(config), "--out", str(out), "--as-of", "2025-06-01")
    assert code == 0, err
    with (out / "inventory.csv").open() as handle:
        rows = {r["token_id"]: r for r in csv.DictReader(handle)}
    alice = rows["jenkins:ci:jenkins_api_token:alice/uuid-alice_123"]
    assert alice["created_at"] == "2024-06-28T10:53:07Z" and alice["last_used_at"] == "2025-01-02T03:04:05Z"
    assert alice["scopes"] == "uses=7"
    assert rows["jenkins:ci:jenkins_api_token:bob/legacy"]["name"] == "legacy API token (legacy)"
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PLANTED[6] not in (gzip.decompress(data) if path.suffix == ".gz" else data).decode("latin-1")


def test_azure_devops_owner_found_by_storage_key_in_descriptor():
    """Token Admin's `userId` is the storage key; Graph gives only the descriptor (documented pair)."""
    from fake_platforms import ado_pat

    from pataudit.collectors.azure_devops import parse_tokens

    user = {
        "subjectKind": "user",
        "principalName": "jamal@fabrikam.com",
        "originId": "e6e3bcbc-0000-4000-8000-000000000000",
        "descriptor": "aad.OWI3MWYyMTYtNGM0Zi03Yjc0LWE5MTEtZWZiMGZhOWM3Nzdm",
    }
    token = {**ado_pat("t1", "build", "vso.code", 10, -50, None), "userId": "9B71F216-4C4F-6B74-A911-EFB0FA9C777F"}
    stranger = {**ado_pat("t2", "other", "vso.code", 10, -50, None), "userId": "9b71f216-4c4f-6b74-a911-efb0fa9c7770"}
    rows = parse_tokens(
        [user], [token, stranger], organization="fabrikam", collected_at=datetime.now(UTC), evidence="e"
    )
    assert [(r["owner"], r["owner_active"]) for r in rows] == [
        ("jamal@fabrikam.com", "true"),
        ("9b71f216-4c4f-6b74-a911-efb0fa9c7770", "false"),
    ]


def test_azure_devops_saved_token_admin_response_as_documented(tmp_path, cli):
    """A Token Admin response saved as the API returns it: {"value": [session tokens], "continuationToken": …}."""
    from fake_platforms import ADO_USERS, ado_pat

    users = {"count": 2, "value": [{**ADO_USERS[0][0], "originId": "11111111-aaaa-4000-8000-000000000001"}]}
    token = {**ado_pat("z9", "from export", "vso.code_write", 10, -50, None), "userId": users["value"][0]["originId"]}
    gone = {**ado_pat("z8", "orphan", "vso.code", 10, -50, ["o"]), "userId": "22222222-bbbb-4000-8000-000000000002"}
    (tmp_path / "users.json").write_text(json.dumps(users))
    (tmp_path / "pats.json").write_text(json.dumps({"value": [token, gone], "continuationToken": None}))
    source = {
        "type": "azure_devops",
        "organization": "contoso",
        "users": "users.json",
        "personal_access_tokens": "pats.json",
    }
    config = one_source_config(tmp_path, source, organization="X")
    out = tmp_path / "out"
    assert cli("run", "--config", str(config), "--out", str(out))[0] == 0
    found = findings_of(out)
    prefix = "azure_devops:contoso:azure_devops_pat:"
    assert found[("owner_active", prefix + "z9")]["status"] == "PASS"
    assert found[("owner_active", prefix + "z8")]["status"] == "FAIL"
    assert found[("least_resource_scope", prefix + "z9")]["status"] == "FAIL"
    assert (
        PLANTED[0]
        not in gzip.decompress(
            (out / "evidence/azure_devops/contoso/personal_access_tokens.json.gz").read_bytes()
        ).decode()
    )


def test_terraform_cloud_saved_raw_responses_sorted_by_relationship(tmp_path):
    """One JSON:API response saved as sent: team tokens by their `team` relation, the rest user tokens."""
    from fake_platforms import tfc_token

    from pataudit.collectors.terraform_cloud import saved_tokens

    listing = {
        "data": [tfc_token("at-t", 10, 1, -30, PLANTED[5], team="team-1"), tfc_token("at-u", 10, None, None, "x")],
        "links": {"next": None},
        "meta": {"pagination": {"current-page": 1, "next-page": None}},
    }
    grouped = saved_tokens(listing, tmp_path / "t.json")
    assert [[item["id"] for item in grouped[kind]] for kind in ("organization", "team", "user")] == [
        [],
        ["at-t"],
        ["at-u"],
    ]
    org_token = saved_tokens({"data": tfc_token("at-org", 10, 1, None, "x")}, tmp_path / "t.json")
    assert [item["id"] for item in org_token["organization"]] == ["at-org"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"teams": []}, "t.json: expected {organization, team, user} token lists or a JSON:API response"),
        ({"team": [], "users": []}, "t.json: unexpected keys ['users']; expected ['organization', 'team', 'user']"),
    ],
)
def test_terraform_cloud_saved_file_of_unknown_shape_is_an_error(tmp_path, payload, message):
    from pataudit.collectors.terraform_cloud import saved_tokens
    from pataudit.errors import CollectionError

    with pytest.raises(CollectionError) as caught:
        saved_tokens(payload, Path("t.json"))
    assert str(caught.value) == message


def test_circleci_saved_variable_listing_as_documented(tmp_path):
    """A page of `GET /context/{id}/environment-variable` saved as sent gives one row per variable."""
    from pataudit.collectors.circleci import collect

    listing = {
        "items": [
            {
                "variable": "AWS_SECRET_ACCESS_KEY",
                "created_at": "2015-09-21T17:29:21.042Z",
                "updated_at": "2025-09-21T17:29:21.042-07:00",
                "context_id": "f31d7249-b7b1-4729-b3a4-ec0ba07b4686",
                "value": PLANTED[4],
            }
        ],
        "next_page_token": None,
    }
    path = tmp_path / "vars.json"
    path.write_text(json.dumps(listing))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    collection = collect(
        label="circleci:o",
        owner_id="o",
        base_url="https://circleci.com",
        token_env=None,
        contexts_file=path,
        collected_at=now,
        started_at=now,
    )
    [row] = collection.rows
    assert (
        row["token_id"]
        == "circleci:o:circleci_context_secret:f31d7249-b7b1-4729-b3a4-ec0ba07b4686/AWS_SECRET_ACCESS_KEY"
    )
    assert row["created_at"] == datetime(2015, 9, 21, 17, 29, 21, 42000, tzinfo=UTC)
    assert row["last_rotated_at"] == datetime(2025, 9, 22, 0, 29, 21, 42000, tzinfo=UTC)
    kept = b"".join(collection.payloads.values()) + json.dumps(collection.rows, default=str).encode()
    assert b"AWS_SECRET_ACCESS_KEY" in kept and PLANTED[4].encode() not in kept


@pytest.mark.parametrize(("payload", "kind"), [({"data": [1]}, "user"), ({"team": {"id": "at-1"}}, "team")])
def test_terraform_cloud_saved_tokens_that_are_not_objects_are_an_error(payload, kind):
    from pataudit.collectors.terraform_cloud import saved_tokens
    from pataudit.errors import CollectionError

    with pytest.raises(CollectionError) as caught:
        saved_tokens(payload, Path("t.json"))
    assert str(caught.value) == f"t.json: {kind} tokens: expected a list of JSON:API token objects"
