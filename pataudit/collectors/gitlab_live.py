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


def _admin(gl: gitlab.Gitlab, progress: Progress, label: str) -> GitlabPayloads:
    tokens = _attributes(gl.personal_access_tokens.list(iterator=True))
    users = _attributes(gl.users.list(iterator=True))
    deploy = _attributes(gl.deploytokens.list(iterator=True))
    triggers = []
    projects = list(gl.projects.list(iterator=True, simple=True))
    for number, project in enumerate(projects, start=1):
        for trigger in _attributes(gl.projects.get(project.id, lazy=True).triggers.list(iterator=True)):
            triggers.append({**trigger, "project": project.path_with_namespace})
        if number % 100 == 0 or number == len(projects):
            progress(f"  {label}: triggers of {number}/{len(projects)} projects")
    return GitlabPayloads(tokens, users, deploy, triggers)


def _group(gl: gitlab.Gitlab, path: str, progress: Progress, label: str) -> GitlabPayloads:
    group = gl.groups.get(path)
    groups = [group, *(gl.groups.get(g.id, lazy=True) for g in group.descendant_groups.list(iterator=True))]
    users = _attributes(group.members_all.list(iterator=True))
    tokens, deploy, triggers = [], [], []
    for holder in groups:
        for token in _attributes(holder.access_tokens.list(iterator=True)):
            tokens.append({**token, "user_id": token.get("user_id")})
        deploy += [
            {**d, "holder": getattr(holder, "full_path", path)}
            for d in _attributes(holder.deploytokens.list(iterator=True))
        ]
    projects = list(group.projects.list(iterator=True, include_subgroups=True, simple=True))
    for number, listed in enumerate(projects, start=1):
        project = gl.projects.get(listed.id, lazy=True)
        tokens += _attributes(project.access_tokens.list(iterator=True))
        deploy += [
            {**d, "holder": listed.path_with_namespace} for d in _attributes(project.deploytokens.list(iterator=True))
        ]
        triggers += [
            {**t, "project": listed.path_with_namespace} for t in _attributes(project.triggers.list(iterator=True))
        ]
        if number % 100 == 0 or number == len(projects):
            progress(f"  {label}: {number}/{len(projects)} projects")
    bots = [
        {"id": t["user_id"], "username": f"project_{t['user_id']}_bot", "bot": True, "state": "active"}
        for t in tokens
        if t.get("user_id") is not None
    ]
    return GitlabPayloads(tokens, users + bots, deploy, triggers)


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
        payloads = _group(gl, group, progress, label) if group else _admin(gl, progress, label)
    except (gitlab.GitlabError, CollectionError, OSError) as exc:
        code = getattr(exc, "response_code", None)
        message = f"HTTP {code}: {getattr(exc, 'error_message', exc)}" if code else str(exc)
        record.errors.append(ScopeError(scope=instance, message=message))
        record.api_calls = dict(calls)
        return collection
    record.api_calls = dict(calls)
    collection.rows = collect_payloads(payloads, collection, instance, started_at)
    return collection
