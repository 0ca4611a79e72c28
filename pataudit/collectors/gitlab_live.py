"""Live GitLab collection with python-gitlab: every token of an instance (as an administrator) or of a group
(as its owner), saved in the same form the file mode reads.

Administrator: `GET /personal_access_tokens` (which also lists project and group access tokens, through their
bot users), `GET /users`, `GET /deploy_tokens`, and each project's pipeline triggers. Group owner: the group's
and its projects' access tokens (normalised to the personal-access-token shape with their bot users), deploy
tokens and triggers, and the group's members. Pagination, 429 (Retry-After) and transient 5xx retries are
python-gitlab's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

import gitlab
from requests.adapters import HTTPAdapter

from pataudit.collectors.base import Collection, ScopeError, SourceRecord
from pataudit.collectors.gitlab import PERMISSIONS, GitlabPayloads, collect_payloads
from pataudit.collectors.http_json import secret_from_env
from pataudit.collectors.redact import drop_secrets
from pataudit.errors import CollectionError

Progress = Callable[[str], None]


class CountingAdapter(HTTPAdapter):
    """Counts every HTTP request python-gitlab sends (retries included), by path family."""

    def __init__(self, counter: Counter) -> None:
        super().__init__()
        self.counter = counter

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        path = request.path_url.split("?")[0].split("/api/v4/", 1)[-1]
        family = "/".join(part if not part.isdigit() else ":id" for part in path.split("/"))
        self.counter[f"GET {family}"] += 1
        return super().send(request, *args, **kwargs)


def _attributes(objects: Any) -> list[dict[str, Any]]:
    return drop_secrets([dict(o.attributes) for o in objects])


class Parts:
    """Reads each part of the collection on its own: a failing endpoint is an ERROR scope, the rest goes on."""

    def __init__(self, instance: str) -> None:
        self.instance = instance
        self.errors: list[ScopeError] = []

    def read(self, what: str, fetch: Callable[[], Any], scope: str | None = None) -> list[dict[str, Any]] | None:
        """`fetch()`'s objects as JSON-ready dicts, or None (and an error recorded) when the API refused."""
        try:
            return _attributes(fetch())
        except gitlab.GitlabError as exc:
            code = getattr(exc, "response_code", None)
            message = f"{what}: HTTP {code}: {getattr(exc, 'error_message', exc)}" if code else f"{what}: {exc}"
            self.errors.append(ScopeError(scope=scope or self.instance, message=message))
            return None


def _admin(gl: gitlab.Gitlab, parts: Parts, progress: Progress, label: str) -> GitlabPayloads:
    tokens = parts.read("personal access tokens", lambda: gl.personal_access_tokens.list(iterator=True))
    users = parts.read("users", lambda: gl.users.list(iterator=True))
    deploy = parts.read("deploy tokens", lambda: gl.deploytokens.list(iterator=True))
    triggers: list[dict[str, Any]] = []
    projects = parts.read("projects", lambda: gl.projects.list(iterator=True, simple=True)) or []
    for number, project in enumerate(projects, start=1):
        path = project["path_with_namespace"]
        listed = parts.read(
            "triggers", lambda p=project: gl.projects.get(p["id"], lazy=True).triggers.list(iterator=True), path
        )
        triggers += [{**t, "project": path} for t in listed or []]
        if number % 100 == 0 or number == len(projects):
            progress(f"  {label}: triggers of {number}/{len(projects)} projects")
    return GitlabPayloads(tokens, users, deploy, triggers)


def _holder_tokens(parts: Parts, kind: str, holder: Any, path: str) -> tuple[list, list, list]:
    """Access tokens (with a bot user standing for each) and deploy tokens of one group or project."""
    tokens = parts.read(f"{kind} access tokens", lambda: holder.access_tokens.list(iterator=True), path) or []
    deploy = parts.read(f"{kind} deploy tokens", lambda: holder.deploytokens.list(iterator=True), path) or []
    bots = [
        {"id": t["user_id"], "username": f"{kind}_{t['user_id']}_bot", "bot": True, "state": "active"}
        for t in tokens
        if t.get("user_id") is not None
    ]
    return tokens, [{**d, "holder": path} for d in deploy], bots


def _group(gl: gitlab.Gitlab, parts: Parts, path: str, progress: Progress, label: str) -> GitlabPayloads:
    group = gl.groups.get(path)
    subgroups = parts.read("subgroups", lambda: group.descendant_groups.list(iterator=True), path) or []
    users = parts.read("members", lambda: group.members_all.list(iterator=True), path)
    tokens, deploy, bots, triggers = [], [], [], []
    holders = [(group, path)] + [(gl.groups.get(g["id"], lazy=True), g["full_path"]) for g in subgroups]
    for holder, holder_path in holders:
        found = _holder_tokens(parts, "group", holder, holder_path)
        tokens, deploy, bots = tokens + found[0], deploy + found[1], bots + found[2]
    projects = (
        parts.read("projects", lambda: group.projects.list(iterator=True, include_subgroups=True, simple=True), path)
        or []
    )
    for number, listed in enumerate(projects, start=1):
        project_path = listed["path_with_namespace"]
        project = gl.projects.get(listed["id"], lazy=True)
        found = _holder_tokens(parts, "project", project, project_path)
        tokens, deploy, bots = tokens + found[0], deploy + found[1], bots + found[2]
        listed_triggers = parts.read("triggers", lambda p=project: p.triggers.list(iterator=True), project_path)
        triggers += [{**t, "project": project_path} for t in listed_triggers or []]
        if number % 100 == 0 or number == len(projects):
            progress(f"  {label}: {number}/{len(projects)} projects")
    return GitlabPayloads(tokens, None if users is None else users + bots, deploy, triggers)


def collect_live(
    *,
    label: str,
    instance: str,
    url: str,
    token_env: str | None,
    group: str | None,
    started_at: datetime,
    progress: Progress,
) -> Collection:
    """Read the instance (or group) live; an API failure makes the source ERROR with what was read so far."""
    calls: Counter = Counter()
    record = SourceRecord(
        label=label,
        type="gitlab",
        scope=instance,
        started_at=started_at,
        permissions=list(PERMISSIONS),
        method=f"live (GitLab REST API via python-gitlab, {'group ' + group if group else 'administrator'})",
        data_as_of=started_at,
    )
    collection = Collection(record=record)
    collection.keep_note(instance, started_at)
    try:
        gl = gitlab.Gitlab(
            url,
            private_token=secret_from_env(token_env, "GitLab token"),
            per_page=100,
            retry_transient_errors=True,
            timeout=60,
        )
        gl.session.mount("http://", CountingAdapter(calls))
        gl.session.mount("https://", CountingAdapter(calls))
        parts = Parts(instance)
        payloads = _group(gl, parts, group, progress, label) if group else _admin(gl, parts, progress, label)
    except (gitlab.GitlabError, CollectionError, OSError) as exc:
        code = getattr(exc, "response_code", None)
        message = f"HTTP {code}: {getattr(exc, 'error_message', exc)}" if code else str(exc)
        record.errors.append(ScopeError(scope=instance, message=message))
        record.api_calls = dict(calls)
        return collection
    record.api_calls = dict(calls)
    record.errors.extend(parts.errors)
    collection.rows = collect_payloads(payloads, collection, instance, started_at)
    return collection
