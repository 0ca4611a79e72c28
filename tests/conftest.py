"""Shared fixtures: a small organisation written as real-shaped payload files, and a CLI runner."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pataudit.cli import main

AS_OF = "2026-06-30"
ACCOUNT = "123456789012"
REPORT_HEADER = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
]
NO_KEY = {
    "active": "false",
    "last_rotated": "N/A",
    "last_used_date": "N/A",
    "last_used_region": "N/A",
    "last_used_service": "N/A",
}


def report_row(user: str, *, console: bool = False, key1: dict | None = None, key2: dict | None = None) -> dict:
    """One credential-report row; keys given as {active, last_rotated, last_used_date}."""
    root = user == "<root_account>"
    row = {
        "user": user,
        "arn": f"arn:aws:iam::{ACCOUNT}:root" if root else f"arn:aws:iam::{ACCOUNT}:user/{user}",
        "user_creation_time": "2024-01-02T03:04:05+00:00",
        "password_enabled": "not_supported" if root else ("true" if console else "false"),
        "password_last_used": "no_information" if not console else "2026-06-01T10:00:00+00:00",
        "password_last_changed": "not_supported" if root else "N/A",
        "password_next_rotation": "not_supported" if root else "N/A",
        "mfa_active": "false",
        "cert_1_active": "false",
        "cert_1_last_rotated": "N/A",
        "cert_2_active": "false",
        "cert_2_last_rotated": "N/A",
    }
    for slot, key in ((1, key1), (2, key2)):
        values = {**NO_KEY, **(key or {})}
        if key and values.get("last_used_date", "N/A") != "N/A":
            values.setdefault("last_used_region", "us-east-1")
            values["last_used_service"] = "s3"
        for name, value in values.items():
            row[f"access_key_{slot}_{name}"] = value
    return row


def credential_report(rows: list[dict]) -> str:
    """CSV text exactly as IAM returns it (header, then one line per user)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


SMALL_ORG_REPORT = [
    report_row(
        "<root_account>",
        key1={
            "active": "true",
            "last_rotated": "2025-01-01T00:00:00+00:00",
            "last_used_date": "2026-06-20T00:00:00+00:00",
        },
    ),
    # API-only user whose key was never used, created long ago.
    report_row("api-only", key1={"active": "true", "last_rotated": "2026-01-10T08:00:00+00:00"}),
    # Key created yesterday, not used yet: inside the grace period.
    report_row("newbie", console=True, key1={"active": "true", "last_rotated": "2026-06-29T09:00:00+00:00"}),
    # Two keys: the first is fine, only the second breaks rotation.
    report_row(
        "two-keys",
        key1={
            "active": "true",
            "last_rotated": "2026-05-01T00:00:00+00:00",
            "last_used_date": "2026-06-29T00:00:00+00:00",
        },
        key2={
            "active": "true",
            "last_rotated": "2025-11-01T00:00:00+00:00",
            "last_used_date": "2026-06-28T00:00:00+00:00",
        },
    ),
    report_row("no-keys", console=True),
]

GITHUB_PATS = [
    {
        "id": 1,
        "owner": {"login": "octocat", "id": 1, "type": "User"},
        "repository_selection": "all",
        "permissions": {"repository": {"administration": "write", "metadata": "read"}},
        "access_granted_at": "2026-01-16T08:47:09.000-07:00",
        "token_id": 901,
        "token_name": "deploy",
        "token_expired": False,
        "token_expires_at": None,
        "token_last_used_at": "2026-06-29T10:00:00.123Z",
    },
    {
        "id": 2,
        "owner": {"login": "departed-dev", "id": 2, "type": "User"},
        "repository_selection": "subset",
        "permissions": {"repository": {"contents": "read"}},
        "access_granted_at": "2026-04-01T00:00:00Z",
        "token_id": 902,
        "token_name": "reader",
        "token_expired": False,
        "token_expires_at": "2026-09-01T00:00:00+02:00",
        "token_last_used_at": None,
    },
]
GITHUB_AUTHORIZATIONS = [
    {
        "login": "octocat",
        "credential_id": 161195,
        "credential_type": "personal access token",
        "token_last_eight": "71c3fc11",
        "credential_authorized_at": "2025-01-26T19:06:43Z",
        "credential_accessed_at": "2026-06-26T19:06:43Z",
        "authorized_credential_expires_at": None,
        "scopes": ["repo", "admin:org"],
        "authorized_credential_id": 12345678,
        "authorized_credential_note": "cli",
    },
]
GITHUB_MEMBERS = [{"login": "octocat", "id": 1, "type": "User", "site_admin": False}]
GITLAB_TOKENS = [
    {
        "id": 4,
        "name": "Test Token",
        "revoked": False,
        "created_at": "2026-03-23T14:31:47.729Z",
        "description": None,
        "scopes": ["api"],
        "user_id": 3,
        "last_used_at": "2026-06-06T17:58:37.550Z",
        "active": True,
        "expires_at": "2026-12-01",
    },
    {
        "id": 5,
        "name": "old",
        "revoked": True,
        "created_at": "2025-07-23T14:31:47.729Z",
        "scopes": ["read_api"],
        "user_id": 3,
        "last_used_at": None,
        "active": False,
        "expires_at": None,
    },
]
GITLAB_USERS = [{"id": 3, "username": "blocked.user", "name": "Blocked", "state": "blocked", "bot": False}]


def write_small_org(folder: Path, **overrides: object) -> Path:
    """Payload files and a config for a small organisation with known findings; returns the config path."""
    files = {
        "aws/credential_report.csv": credential_report(SMALL_ORG_REPORT),
        "github/pats.json": json.dumps(GITHUB_PATS),
        "github/auth.json": json.dumps(GITHUB_AUTHORIZATIONS),
        "github/members.json": json.dumps(GITHUB_MEMBERS),
        "gitlab/tokens.json": json.dumps(GITLAB_TOKENS),
        "gitlab/users.json": json.dumps(GITLAB_USERS),
    }
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    config = {
        "organization": "Example Corp",
        "period": "2026-Q2",
        "sources": [
            {
                "type": "aws",
                "account_id": ACCOUNT,
                "credential_report": "aws/credential_report.csv",
                "credential_report_generated_at": "2026-06-30T20:00:00Z",
            },
            {
                "type": "github",
                "org": "example",
                "personal_access_tokens": "github/pats.json",
                "credential_authorizations": "github/auth.json",
                "members": "github/members.json",
            },
            {
                "type": "gitlab",
                "instance": "gitlab.example.com",
                "personal_access_tokens": "gitlab/tokens.json",
                "users": "gitlab/users.json",
            },
        ],
        "store": {"url": f"sqlite:///{folder / 'history.sqlite'}"},
        **overrides,
    }
    path = folder / "pataudit.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def one_source_config(folder: Path, source: dict, organization: str = "Example") -> Path:
    """A config auditing one source into a store in `folder`; returns its path."""
    config = {"organization": organization, "period": "p", "sources": [source],
              "store": {"url": f"sqlite:///{folder / 'h.sqlite'}"}}  # fmt: skip
    path = folder / "one-source.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def findings_of(out: Path) -> dict[tuple[str, str], dict]:
    """A run's findings.csv keyed by (control_id, token_id)."""
    with (out / "findings.csv").open(encoding="utf-8") as handle:
        return {(r["control_id"], r["token_id"]): r for r in csv.DictReader(handle)}


@pytest.fixture
def small_org(tmp_path: Path) -> Path:
    """Config path of the small organisation."""
    return write_small_org(tmp_path)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo organisation's four quarters, audited once per test session: (completed process, out folder)."""
    out = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [sys.executable, "-m", "pataudit", "demo", "--out", str(out)],
        capture_output=True, text=True, check=False, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    return result, out
