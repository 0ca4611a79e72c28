"""Live GCP collection: projects under an organisation or folders (Resource Manager v3, walked recursively) or
a list, each project's service accounts and keys (IAM Admin v1), its IAM policy, key last use (Policy
Analyzer) and key constraints (Org Policy v2). Projects are read concurrently; quota errors are retried with
backoff; a project that cannot be read is an ERROR scope and the rest go on. Private key material is never
requested (ListServiceAccountKeys returns none, and `private_key_data` is dropped regardless)."""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from threading import RLock
from typing import Any

import google.auth
import grpc
import requests
from google.api_core import exceptions as api_exceptions
from google.api_core.client_options import ClientOptions
from google.api_core.retry import Retry, if_exception_type
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.transport.requests import AuthorizedSession
from google.cloud import resourcemanager_v3
from google.cloud.iam_admin_v1 import IAMClient, types
from google.cloud.iam_admin_v1.services.iam.transports.grpc import IAMGrpcTransport
from google.oauth2 import service_account

from pataudit.collectors.base import Collection, ScopeError
from pataudit.collectors.gcp import KEY_CONSTRAINTS, PERMISSIONS, keep_project, parse_project
from pataudit.collectors.redact import drop_secrets
from pataudit.config import GcpSource

Progress = Callable[[str], None]
QUOTA_RETRY = Retry(
    predicate=if_exception_type(api_exceptions.ResourceExhausted, api_exceptions.ServiceUnavailable),
    initial=0.2,
    maximum=5.0,
    multiplier=2.0,
    timeout=120.0,
)
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


class Clients:
    """The API clients of one collection, built once (clients are thread-safe) and counting calls."""

    def __init__(self, source: GcpSource, credentials: Credentials) -> None:
        options = (
            ClientOptions(api_endpoint=source.resource_manager_endpoint) if source.resource_manager_endpoint else None
        )
        self.projects = resourcemanager_v3.ProjectsClient(
            credentials=credentials, transport="rest", client_options=options
        )
        self.folders = resourcemanager_v3.FoldersClient(
            credentials=credentials, transport="rest", client_options=options
        )
        if source.iam_endpoint:
            channel = grpc.insecure_channel(source.iam_endpoint)
            self.iam = IAMClient(transport=IAMGrpcTransport(channel=channel, credentials=credentials))
        else:
            self.iam = IAMClient(credentials=credentials)
        self.http = (
            requests.Session() if isinstance(credentials, AnonymousCredentials) else AuthorizedSession(credentials)
        )
        self.source = source
        self.calls: Counter = Counter()
        self.lock = RLock()
        self.organizations = resourcemanager_v3.OrganizationsClient(
            credentials=credentials, transport="rest", client_options=options
        )
        self.parents: dict[str, str] = {}
        self.inherited: dict[str, list[dict[str, Any]] | None] = {}

    def count(self, operation: str) -> None:
        with self.lock:
            self.calls[operation] += 1


def credentials_for(source: GcpSource) -> Credentials:
    """Anonymous (emulators and tests), a key file named in config, or Application Default Credentials."""
    if source.anonymous:
        return AnonymousCredentials()
    if source.credentials_file:
        return service_account.Credentials.from_service_account_file(str(source.credentials_file), scopes=SCOPES)
    credentials, _ = google.auth.default(scopes=SCOPES)
    return credentials


def _pages(clients: Clients, operation: str, pager: Any, field: str) -> list[Any]:
    """Every item of a pager, counting each page fetched as one call."""
    items: list[Any] = []
    for page in pager.pages:
        clients.count(operation)
        items += list(getattr(page, field))
    return items


def _walk(clients: Clients, parent: str) -> list[dict[str, Any]]:
    projects = _pages(
        clients, "projects.list", clients.projects.list_projects(parent=parent, retry=QUOTA_RETRY), "projects"
    )
    found = [{"project_id": p.project_id, "labels": dict(p.labels), "state": p.state.name} for p in projects]
    for project in projects:
        clients.parents[f"projects/{project.project_id}"] = parent
    for folder in _pages(
        clients, "folders.list", clients.folders.list_folders(parent=parent, retry=QUOTA_RETRY), "folders"
    ):
        clients.parents[folder.name] = parent
        found += _walk(clients, folder.name)
    return found


def target_projects(clients: Clients, source: GcpSource) -> list[str]:
    """ACTIVE projects in scope, after include/exclude (id patterns) and label filters."""
    if source.projects:
        listed = [{"project_id": p, "labels": {}, "state": "ACTIVE"} for p in source.projects]
    else:
        parents = [f"organizations/{source.organization}"] if source.organization else list(source.folders)
        listed = [p for parent in parents for p in _walk(clients, parent)]
    chosen = []
    for project in listed:
        pid, labels = project["project_id"], project["labels"]
        if project["state"] != "ACTIVE":
            continue
        if source.include and not any(fnmatch.fnmatch(pid, pattern) for pattern in source.include):
            continue
        if any(fnmatch.fnmatch(pid, pattern) for pattern in source.exclude):
            continue
        if any(labels.get(k) != v for k, v in source.labels.items()):
            continue
        chosen.append(pid)
    return sorted(set(chosen))


def _bindings(policy: Any) -> list[dict[str, Any]]:
    return [
        {
            "role": b.role,
            "members": list(b.members),
            **({"condition": {"title": b.condition.title}} if b.condition.expression else {}),
        }
        for b in policy.bindings
    ]


def inherited_policies(clients: Clients, project: str) -> tuple[list[dict[str, Any]], list[str]]:
    """IAM bindings of the folders and organisation above a project (each read once), and those unreadable."""
    inherited, unreadable = [], []
    resource = clients.parents.get(f"projects/{project}")
    while resource:
        with clients.lock:  # each ancestor is read once, whichever project's thread gets there first
            if resource not in clients.inherited:
                client = clients.folders if resource.startswith("folders/") else clients.organizations
                try:
                    clients.count("ancestors.getIamPolicy")
                    found = _bindings(client.get_iam_policy(resource=resource, retry=QUOTA_RETRY))
                except api_exceptions.GoogleAPICallError:
                    found = None
                clients.inherited[resource] = found
        bindings = clients.inherited[resource]
        if bindings is None:
            unreadable.append(resource)
        else:
            inherited.append({"resource": resource, "bindings": bindings})
        resource = clients.parents.get(resource)
    return inherited, unreadable


def _rest(clients: Clients, url: str, operation: str) -> dict[str, Any] | None:
    """GET a REST resource; None when the API is disabled or not permitted (404/403)."""
    items: dict[str, Any] = {}
    token = None
    while True:
        clients.count(operation)
        response = clients.http.get(url, params={"pageToken": token} if token else None, timeout=60)
        if response.status_code in (403, 404):
            return None
        response.raise_for_status()
        body = response.json()
        for key, value in body.items():
            items[key] = items.get(key, []) + value if isinstance(value, list) else value
        token = body.get("nextPageToken")
        if not token:
            return items


def read_project(clients: Clients, project: str) -> dict[str, Any]:
    """Every payload of one project (raises on a refused IAM call: the project is then ERROR)."""
    source = clients.source
    pager = clients.iam.list_service_accounts(name=f"projects/{project}", retry=QUOTA_RETRY)
    accounts = _pages(clients, "serviceAccounts.list", pager, "accounts")
    keys = []
    for account in accounts:
        clients.count("serviceAccountKeys.list")
        response = clients.iam.list_service_account_keys(
            request=types.ListServiceAccountKeysRequest(name=account.name), retry=QUOTA_RETRY
        )
        keys += [
            types.ServiceAccountKey.to_dict(k, preserving_proto_field_name=True, use_integers_for_enums=False)
            for k in response.keys
        ]
    clients.count("projects.getIamPolicy")
    policy = clients.projects.get_iam_policy(resource=f"projects/{project}", retry=QUOTA_RETRY)
    inherited, unreadable = inherited_policies(clients, project)
    bindings = [
        {
            "role": b.role,
            "members": list(b.members),
            **({"condition": {"title": b.condition.title}} if b.condition.expression else {}),
        }
        for b in policy.bindings
    ]
    activity = _rest(
        clients,
        f"{source.policy_analyzer_endpoint}/v1/projects/{project}/locations/global/activityTypes/"
        "serviceAccountKeyLastAuthentication/activities:query",
        "activities.query",
    )
    org_policies = {}
    for constraint in KEY_CONSTRAINTS:
        found = _rest(
            clients,
            f"{source.org_policy_endpoint}/v2/projects/{project}/policies/{constraint}:getEffectivePolicy",
            "policies.getEffectivePolicy",
        )
        if found is not None:
            org_policies[constraint] = found
    return drop_secrets(
        {
            "service_accounts": [
                types.ServiceAccount.to_dict(a, preserving_proto_field_name=True, use_integers_for_enums=False)
                for a in accounts
            ],
            "keys": keys,
            "iam_policy": {"bindings": bindings, "inherited": inherited, "unreadable_ancestors": unreadable},
            "key_activity": None if activity is None else activity.get("activities", []),
            "org_policies": org_policies,
        }
    )


def _describe(exc: Exception) -> str:
    if isinstance(exc, api_exceptions.GoogleAPICallError):
        return f"{type(exc).__name__}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def collect_live(source: GcpSource, label: str, started_at: datetime, progress: Progress) -> Collection:
    """Read every project in scope concurrently into a Collection."""
    scope = source.organization or ",".join(source.folders) or "projects"
    collection = Collection.begin(
        label=label,
        type="gcp",
        scope=scope,
        method="live (Resource Manager v3, IAM Admin v1, Policy Analyzer, Org Policy v2)",
        started_at=started_at,
        permissions=PERMISSIONS,
        data_as_of=started_at,
        note=False,
    )
    record = collection.record
    try:
        clients = Clients(source, credentials_for(source))
        projects = target_projects(clients, source)
    except (api_exceptions.GoogleAPIError, google.auth.exceptions.GoogleAuthError, OSError) as exc:
        record.errors.append(ScopeError(scope=scope, message=_describe(exc)))
        return collection

    def read(project: str) -> tuple[str, dict[str, Any] | None, str | None]:
        try:
            return project, read_project(clients, project), None
        except (api_exceptions.GoogleAPIError, requests.RequestException) as exc:
            return project, None, _describe(exc)

    with ThreadPoolExecutor(max_workers=source.max_workers) as pool:
        for number, (project, payloads, error) in enumerate(pool.map(read, projects), start=1):
            if payloads is None:
                record.errors.append(ScopeError(scope=project, message=error or "not read"))
            else:
                evidence = keep_project(collection, project, payloads)
                collection.keep_note(project, started_at)
                rows, notes = parse_project(project, payloads, collected_at=started_at, evidence=evidence)
                collection.rows += rows
                record.notes += notes
                record.scopes.append(project)
            if number % 50 == 0 or number == len(projects):
                progress(f"  {label}: {number}/{len(projects)} projects")
    record.api_calls = dict(clients.calls)
    return collection
