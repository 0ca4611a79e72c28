"""Bad configuration gives one clear line naming the key, exit code 2, and no traceback."""

from pathlib import Path

import pytest
import yaml

from pataudit.config import load_config
from pataudit.errors import ConfigError


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


BASE = {
    "organization": "X",
    "period": "Q",
    "sources": [{"type": "aws", "account_id": "123456789012", "credential_report": "r.csv"}],
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "blue"}, "colour: unknown key; remove it or check its spelling"),
        ({"organization": None}, "organization: input should be a valid string"),
        (
            {"sources": [{"type": "aws", "account_id": "12345", "credential_report": "r.csv"}]},
            "sources[0].account_id: must be a 12-digit AWS account id, quoted in YAML",
        ),
        (
            {"sources": [{"type": "bitbucket"}]},
            "sources[0]: unknown source type 'bitbucket'; use one of aws, github, gitlab, azure_devops, jenkins, "
            "circleci, terraform_cloud",
        ),
        ({"sources": [{"type": "github", "org": "acme", "token": "x"}]}, "sources[0].token: unknown key"),
        (
            {"sources": [{"type": "aws", "credential_report": "r.csv"}]},
            "sources[0]: account_id is required with credential_report",
        ),
        (
            {
                "sources": [
                    {"type": "aws", "account_id": "123456789012", "credential_report": "r.csv", "role_name": "x"}
                ]
            },
            "sources[0]: live-collection keys cannot be used with credential_report: role_name",
        ),
        (
            {"sources": [{"type": "aws", "organization": True}]},
            "sources[0]: role_name is required to read other accounts",
        ),
        (
            {
                "waivers": [
                    {
                        "id": "W1",
                        "control": "owner_active",
                        "selector": {"owner": "a"},
                        "reason": "r",
                        "approver": "a",
                        "ticket": "T",
                    }
                ]
            },
            "waivers[0].expires: required key is missing",
        ),
        (
            {
                "waivers": [
                    {
                        "id": "W1",
                        "control": "owner_active",
                        "selector": {},
                        "reason": "r",
                        "approver": "a",
                        "ticket": "T",
                        "expires": "2026-01-01",
                    }
                ]
            },
            "waivers[0].selector: a waiver selector needs at least one of token_id, owner, source, kind, scope",
        ),
    ],
)
def test_invalid_config_names_the_key(tmp_path, change, message):
    path = write(tmp_path, {**BASE, **change})
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)


def test_yaml_syntax_error_gives_the_line(tmp_path):
    path = write(tmp_path, "organization: [unclosed\nperiod: x\n")
    with pytest.raises(ConfigError, match=r"not valid YAML \(line 2\)"):
        load_config(path)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_cli_bad_config_exits_2_with_one_line(tmp_path, cli):
    path = write(tmp_path, {**BASE, "colour": "blue"})
    code, out, err = cli("run", "--config", str(path), "--out", str(tmp_path / "out"))
    assert code == 2
    assert err == f"pataudit: error: {path}: colour: unknown key; remove it or check its spelling\n"
    assert out == ""
    assert not (tmp_path / "out").exists()


def test_cli_unknown_policy_parameter(small_org, cli):
    data = yaml.safe_load(small_org.read_text())
    data["policy"] = {"controls": {"key_rotated_within_max_age": {"params": {"max_age": 30}}}}
    small_org.write_text(yaml.safe_dump(data))
    code, _, err = cli("run", "--config", str(small_org), "--out", str(small_org.parent / "out"))
    assert code == 2
    assert err == (
        f"pataudit: error: {small_org}: policy.controls.key_rotated_within_max_age.params.max_age: unknown parameter; "
        "key_rotated_within_max_age takes max_age_days\n"
    )


def test_cli_override_for_a_kind_the_control_ignores(small_org, cli):
    data = yaml.safe_load(small_org.read_text())
    data["policy"] = {"controls": {"no_root_access_keys": {"overrides": {"gitlab_pat": {}}}}}
    small_org.write_text(yaml.safe_dump(data))
    code, _, err = cli("run", "--config", str(small_org), "--out", str(small_org.parent / "out"))
    assert code == 2
    assert err == (
        f"pataudit: error: {small_org}: policy.controls.no_root_access_keys.overrides.gitlab_pat: "
        "no_root_access_keys does not apply to 'gitlab_pat'; it applies to aws_access_key\n"
    )


def test_cli_missing_payload_file(small_org, cli):
    (small_org.parent / "github" / "pats.json").unlink()
    out_dir = small_org.parent / "out"
    code, _, err = cli("run", "--config", str(small_org), "--out", str(out_dir))
    assert code == 2
    assert err == (
        f"pataudit: error: {small_org}: sources[1].personal_access_tokens: file not found: "
        f"{small_org.parent / 'github' / 'pats.json'}\n"
    )
    assert not out_dir.exists()


def test_cli_waiver_for_unknown_control(small_org, cli):
    data = yaml.safe_load(small_org.read_text())
    data["waivers"] = [
        {
            "id": "W1",
            "control": "no_such",
            "selector": {"owner": "x"},
            "reason": "r",
            "approver": "a",
            "ticket": "T-1",
            "expires": "2027-01-01",
        }
    ]
    small_org.write_text(yaml.safe_dump(data))
    code, _, err = cli("run", "--config", str(small_org), "--out", str(small_org.parent / "out"))
    assert code == 2
    assert err == (
        f"pataudit: error: {small_org}: waivers[0].control: unknown control 'no_such'; "
        "`pataudit controls` lists the valid ids\n"
    )


def test_yaml_numbers_and_dates_where_text_is_expected_are_read_as_text(tmp_path):
    text = (
        "organization: 1999\n"
        "period: 2026-12-31\n"
        "sources:\n"
        "  - {type: aws, account_id: 123456789012, credential_report: r.csv,"
        " credential_report_generated_at: 2026-12-01 06:00:00}\n"
        "waivers:\n"
        "  - {id: 7, control: owner_active, selector: {owner: bob}, reason: r, approver: a, ticket: 42,"
        " expires: 2027-03-31}\n"
    )
    config = load_config(write(tmp_path, text)).config
    assert (config.organization, config.period, config.sources[0].account_id) == ("1999", "2026-12-31", "123456789012")
    assert config.sources[0].credential_report_generated_at.isoformat() == "2026-12-01T06:00:00+00:00"
    assert (config.waivers[0].id, config.waivers[0].ticket, config.waivers[0].expires.isoformat()) == (
        "7",
        "42",
        "2027-03-31",
    )


def test_an_impossible_date_names_its_key(tmp_path):
    text = (
        "organization: X\nperiod: Q\nsources: [{type: aws, account_id: '123456789012', credential_report: r.csv}]\n"
        "waivers: [{id: W, control: owner_active, selector: {owner: b}, reason: r, approver: a, ticket: t,"
        " expires: 2027-02-30}]\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert str(caught.value).startswith(f"{tmp_path / 'cfg.yaml'}: waivers[0].expires: ")
