"""Live GitHub collection with PyGithub (raw REST through its requester where it has no method).

An owner's token (`token_env`) reads members and outside collaborators, SAML credential authorizations,
Actions secrets (org and every repository), deploy keys and app installations; a GitHub App installation
(`app_id`, `app_installation_id`, `app_private_key_env`) reads fine-grained PATs and pending requests, which
accept only that. Pagination follows Link headers; PyGithub's GithubRetry waits out primary and secondary
rate limits (bounded by `rate_limit_wait_seconds`) and retries 5xx. GitHub Enterprise Server: `base_url`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from github import Auth, Github, GithubException, GithubRetry

from pataudit.collectors.base import Collection, ScopeError, SourceRecord
from pataudit.collectors.github import EXTRA_SECRETS, PERMISSIONS, GithubPayloads, collect_payloads
from pataudit.collectors.http_json import secret_from_env
from pataudit.collectors.redact import drop_secrets
from pataudit.config import GithubFileSource
from pataudit.errors import CollectionError

Progress = Callable[[str], None]
NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')


class Reader:
    """Paged GETs through one PyGithub requester, counted per endpoint family."""

    def __init__(self, gh: Github, calls: Counter) -> None:
        self.requester = gh.requester
        self.calls = calls

    def pages(self, path: str, key: str | None = None) -> list[dict[str, Any]]:
        """Every item of a listing, following Link rel="next" (100 per page)."""
        items: list[dict[str, Any]] = []
        url: str | None = path
        parameters: dict[str, Any] | None = {"per_page": 100}
        while url:
            self.calls[re.sub(r"/repos/[^/]+/[^/]+/", "/repos/{repo}/", path.split("?")[0])] += 1
            headers, data = self.requester.requestJsonAndCheck("GET", url, parameters=parameters)
            items += (data or {}).get(key, []) if key else (data or [])
            match = NEXT_LINK.search(headers.get("link", ""))
            url, parameters = (match.group(1), None) if match else (None, None)
        return drop_secrets(items, EXTRA_SECRETS)


def _github(source: GithubFileSource, auth: Any) -> Github:
    retry = GithubRetry(total=6, secondary_rate_wait=source.rate_limit_wait_seconds)
    return Github(
        auth=auth,
        base_url=source.base_url,
        per_page=100,
        retry=retry,
        timeout=60,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def _app_reader(source: GithubFileSource, calls: Counter) -> Reader | None:
    if not (source.app_id and source.app_installation_id and source.app_private_key_env):
        return None
    key = secret_from_env(source.app_private_key_env, "GitHub App private key")
    app = Auth.AppAuth(source.app_id, key).get_installation_auth(source.app_installation_id)
    return Reader(_github(source, app), calls)


def _optional(errors: list[ScopeError], org: str, what: str, read: Callable[[], list]) -> list | None:
    try:
        return read()
    except GithubException as exc:
        errors.append(ScopeError(scope=org, message=f"{what}: HTTP {exc.status} {_message(exc)}"))
        return None


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message", "")).strip()


def fetch(source: GithubFileSource, record: SourceRecord, progress: Progress) -> GithubPayloads:
    """Every payload; a failing part is a ScopeError on the record and the rest is still read."""
    calls: Counter = Counter()
    org, errors, label = source.org, record.errors, record.label
    owner = Reader(_github(source, Auth.Token(secret_from_env(source.token_env, "GitHub token"))), calls)
    payloads = GithubPayloads()
    payloads.members = _optional(errors, org, "members", lambda: owner.pages(f"/orgs/{org}/members"))
    payloads.outside_collaborators = _optional(
        errors, org, "outside collaborators", lambda: owner.pages(f"/orgs/{org}/outside_collaborators")
    )
    try:
        payloads.credential_authorizations = owner.pages(f"/orgs/{org}/credential-authorizations")
    except GithubException as exc:
        if exc.status != 404:
            errors.append(ScopeError(org, f"credential authorizations: HTTP {exc.status} {_message(exc)}"))
        else:
            record.notes.append("the organisation does not use SAML SSO: classic PATs and SSH keys are invisible")
    app = _app_reader(source, calls)
    if app is None:
        errors.append(
            ScopeError(
                org,
                "fine-grained PATs need a GitHub App installation (app_id, "
                "app_installation_id, app_private_key_env); they were not read",
            )
        )
    else:
        payloads.personal_access_tokens = _optional(
            errors, org, "fine-grained PATs", lambda: app.pages(f"/orgs/{org}/personal-access-tokens")
        )
        payloads.personal_access_token_requests = _optional(
            errors, org, "fine-grained PAT requests", lambda: app.pages(f"/orgs/{org}/personal-access-token-requests")
        )
    payloads.installations = _optional(
        errors, org, "app installations", lambda: owner.pages(f"/orgs/{org}/installations", "installations")
    )
    secrets = _optional(
        errors, org, "org Actions secrets", lambda: owner.pages(f"/orgs/{org}/actions/secrets", "secrets")
    )
    repos = _optional(errors, org, "repositories", lambda: owner.pages(f"/orgs/{org}/repos")) or []
    keys: list[dict[str, Any]] = []
    for number, repo in enumerate(repos, start=1):
        name = repo["full_name"]
        repo_secrets = _optional(
            errors, name, "Actions secrets", lambda n=name: owner.pages(f"/repos/{n}/actions/secrets", "secrets")
        )
        repo_keys = _optional(errors, name, "deploy keys", lambda n=name: owner.pages(f"/repos/{n}/keys"))
        if secrets is not None:
            secrets += [{**s, "repository": name} for s in repo_secrets or []]
        keys += [{**k, "repository": name} for k in repo_keys or []]
        if number % 100 == 0 or number == len(repos):
            progress(f"  {label}: {number}/{len(repos)} repositories")
    payloads.actions_secrets, payloads.deploy_keys = secrets, keys
    record.notes.append(
        "GitHub's REST API does not expose the organisation's personal access token policy (allowed token types, "
        "maximum lifetime, approval): record it from the organisation settings beside this report"
    )
    record.api_calls = dict(calls)
    return payloads


def collect_live(source: GithubFileSource, label: str, started_at: datetime, progress: Progress) -> Collection:
    """Read the organisation live into a Collection (failed parts are ERROR scopes)."""
    record = SourceRecord(
        label=label,
        type="github",
        scope=source.org,
        started_at=started_at,
        permissions=list(PERMISSIONS),
        method=f"live (GitHub REST API via PyGithub, {source.base_url})",
        data_as_of=started_at,
    )
    collection = Collection(record=record)
    collection.keep_note(source.org, started_at)
    try:
        payloads = fetch(source, record, progress)
    except (CollectionError, GithubException, OSError) as exc:
        message = f"HTTP {exc.status} {_message(exc)}" if isinstance(exc, GithubException) else str(exc)
        record.errors.append(ScopeError(scope=source.org, message=message))
        return collection
    collection.rows = collect_payloads(payloads, collection, source.org, started_at)
    return collection
