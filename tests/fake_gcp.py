"""Local fakes for GCP: a REST server for Resource Manager v3, Policy Analyzer and Org Policy v2, and a gRPC
server for IAM Admin v1 built from the client library's own message types (the client runs unchanged)."""

from __future__ import annotations

from concurrent import futures
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import grpc
from fake_http import JsonHandler, serving
from google.cloud.iam_admin_v1 import types

NOW = datetime.now(UTC)
ORG = "123456789"
PLANTED = "PLANTED-private-key-material-0001"


def ts(days: float) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class World:
    """The fake organisation: folders, projects, service accounts, keys, policies, activities."""

    def __init__(self, projects: int = 3, accounts: int = 3) -> None:
        self.folders = {f"organizations/{ORG}": ["folders/100"], "folders/100": ["folders/200"], "folders/200": []}
        self.projects = {
            f"organizations/{ORG}": ["prod-app"],
            "folders/100": ["denied-proj"],
            "folders/200": [f"team-{n}" for n in range(projects - 2)] + ["old-proj"],
        }
        self.deleted = {"old-proj"}
        self.accounts: dict[str, list[str]] = {}
        self.keys: dict[str, list[dict]] = {}
        for project in [p for ps in self.projects.values() for p in ps]:
            emails = [f"sa{n}@{project}.iam.gserviceaccount.com" for n in range(accounts)]
            self.accounts[project] = emails
            for n, email in enumerate(emails):
                base = f"projects/{project}/serviceAccounts/{email}/keys/"
                self.keys[email] = [
                    {
                        "name": base + f"k{n}old",
                        "key_type": "USER_MANAGED",
                        "valid_after_time": ts(200 + n),
                        "valid_before_time": "9999-12-31T23:59:59Z",
                        "disabled": False,
                    },
                    {
                        "name": base + f"k{n}new",
                        "key_type": "USER_MANAGED",
                        "valid_after_time": ts(10),
                        "valid_before_time": ts(-80),
                        "disabled": n == 2,
                    },
                    {
                        "name": base + f"k{n}sys",
                        "key_type": "SYSTEM_MANAGED",
                        "valid_after_time": ts(5),
                        "valid_before_time": ts(-700),
                        "disabled": False,
                    },
                ]
        self.calls: list[str] = []
        self.quota_failures = {"prod-app"}


class Rest(JsonHandler):
    server: RestServer

    def do_GET(self) -> None:
        world = self.server.world
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        world.calls.append(f"GET {path}")
        if path == "/v3/projects":
            parent = query["parent"]
            names = world.projects.get(parent, [])
            page = int(query.get("pageToken") or 0)
            chunk = names[page : page + 1]  # one project per page: paging is exercised
            body = {
                "projects": [
                    {
                        "name": f"projects/{n}",
                        "projectId": n,
                        "parent": parent,
                        "labels": {"env": "prod"},
                        "state": "DELETE_REQUESTED" if n in world.deleted else "ACTIVE",
                    }
                    for n in chunk
                ]
            }
            if page + 1 < len(names):
                body["nextPageToken"] = str(page + 1)
            return self._send(200, body)
        if path == "/v3/folders":
            return self._send(
                200, {"folders": [{"name": f, "state": "ACTIVE"} for f in world.folders[query["parent"]]]}
            )
        if "/activityTypes/serviceAccountKeyLastAuthentication/activities:query" in path:
            project = path.split("/")[3]
            if project == "team-0":
                return self._send(403, {"error": {"code": 403, "message": "Policy Analyzer API has not been used"}})
            acts = [
                {
                    "activityType": "serviceAccountKeyLastAuthentication",
                    "fullResourceName": f"//iam.googleapis.com/{k['name']}",
                    "activity": {"lastAuthenticatedTime": ts(2 if k["name"].endswith("k0old") else 100)},
                }
                for e in world.accounts[project]
                for k in world.keys[e]
                if k["key_type"] == "USER_MANAGED"
            ]
            return self._send(200, {"activities": acts})
        if path.endswith(":getEffectivePolicy"):
            if "disableServiceAccountKeyCreation" in path and path.split("/")[3] == "prod-app":
                return self._send(200, {"name": path, "spec": {"updateTime": ts(50), "rules": [{"enforce": True}]}})
            return self._send(200, {"name": path, "spec": {"rules": []}})
        return self._send(404, {"error": {"code": 404, "message": "not found"}})

    def do_POST(self) -> None:
        world = self.server.world
        path = urlsplit(self.path).path
        world.calls.append(f"POST {path}")
        if path == "/v3/folders/200:getIamPolicy":
            email = world.accounts["team-0"][1]
            return self._send(200, {"bindings": [{"role": "roles/editor", "members": [f"serviceAccount:{email}"]}]})
        if path.startswith(("/v3/organizations/", "/v3/folders/")) and path.endswith(":getIamPolicy"):
            return self._send(
                403, {"error": {"code": 403, "message": "permission denied", "status": "PERMISSION_DENIED"}}
            )
        if path.endswith(":getIamPolicy"):
            project = path.split("/")[3].split(":")[0]
            emails = world.accounts.get(project, [])
            bindings = [
                {"role": "roles/owner", "members": [f"serviceAccount:{emails[0]}"]},
                {"role": "roles/storage.objectViewer", "members": [f"serviceAccount:{emails[1]}"]},
                {
                    "role": "roles/iam.serviceAccountAdmin",
                    "members": [f"serviceAccount:{emails[2]}"],
                    "condition": {"title": "weekdays", "expression": "request.time.getDayOfWeek() < 5"},
                },
            ]
            return self._send(200, {"version": 3, "bindings": bindings, "etag": "BwX"})
        return self._send(404, {"error": {"code": 404, "message": "not found"}})


class RestServer(ThreadingHTTPServer):
    world: World


def iam_handlers(world: World) -> grpc.GenericRpcHandler:
    def list_accounts(request: types.ListServiceAccountsRequest, context: grpc.ServicerContext):
        project = request.name.split("/")[1]
        world.calls.append(f"grpc ListServiceAccounts {project}")
        if project == "denied-proj":
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "Permission 'iam.serviceAccounts.list' denied")
        emails = world.accounts[project]
        start = int(request.page_token or 0)
        chunk = emails[start : start + 2]  # two per page
        accounts = [
            types.ServiceAccount(
                name=f"projects/{project}/serviceAccounts/{e}",
                email=e,
                project_id=project,
                disabled=e.startswith("sa1@"),
            )
            for e in chunk
        ]
        token = str(start + 2) if start + 2 < len(emails) else ""
        return types.ListServiceAccountsResponse(accounts=accounts, next_page_token=token)

    def list_keys(request: types.ListServiceAccountKeysRequest, context: grpc.ServicerContext):
        email = request.name.rsplit("/", 1)[-1]
        project = email.split("@")[1].split(".")[0]
        world.calls.append(f"grpc ListServiceAccountKeys {email}")
        if project in world.quota_failures:
            world.quota_failures.discard(project)
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "Quota exceeded for quota metric 'Read requests'")
        keys = []
        for key in world.keys[email]:
            message = types.ServiceAccountKey(
                name=key["name"], key_type=key["key_type"], disabled=key["disabled"], private_key_data=PLANTED.encode()
            )
            message.valid_after_time = datetime.fromisoformat(key["valid_after_time"].replace("Z", "+00:00"))
            message.valid_before_time = datetime.fromisoformat(key["valid_before_time"].replace("Z", "+00:00"))
            keys.append(message)
        return types.ListServiceAccountKeysResponse(keys=keys)

    def unary(function, request_type, response_type):
        return grpc.unary_unary_rpc_method_handler(
            function, request_deserializer=request_type.deserialize, response_serializer=response_type.serialize
        )

    return grpc.method_handlers_generic_handler(
        "google.iam.admin.v1.IAM",
        {
            "ListServiceAccounts": unary(
                list_accounts, types.ListServiceAccountsRequest, types.ListServiceAccountsResponse
            ),
            "ListServiceAccountKeys": unary(
                list_keys, types.ListServiceAccountKeysRequest, types.ListServiceAccountKeysResponse
            ),
        },
    )


@contextmanager
def fake_gcp(world: World | None = None):
    """Start both fakes; yields (world, REST base URL, gRPC target)."""
    world = world or World()
    rest = RestServer(("127.0.0.1", 0), Rest)
    rest.world = world
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((iam_handlers(world),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with serving(rest):
            yield world, rest.url, f"127.0.0.1:{port}"
    finally:
        server.stop(0)
