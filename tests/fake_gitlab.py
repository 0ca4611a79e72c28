"""A local GitLab REST API v4 (the endpoints pataudit reads), with Link-header paging, one 429 with Retry-After,
one transient 500, PRIVATE-TOKEN auth and planted secret values."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from fake_http import JsonHandler, serving

NOW = datetime.now(UTC)
ADMIN_TOKEN = "glpat-admin-xyz"
PLANTED = ["glptt-PLANTEDtriggerSECRET01", "PLANTED-deploy-token-value-02"]


def stamp(days: float) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


USERS = [
    {"id": 1, "username": "root", "name": "Admin", "state": "active", "bot": False, "is_admin": True},
    {"id": 2, "username": "leaver", "name": "Left", "state": "blocked", "bot": False},
    {"id": 3, "username": "project_7_bot_abc123", "name": "bot", "state": "active", "bot": True},
]
PATS = [
    {
        "id": n,
        "name": f"pat-{n}",
        "revoked": False,
        "created_at": stamp(100 + n),
        "description": None,
        "scopes": ["api"] if n % 2 else ["read_api"],
        "user_id": 1 + n % 3,
        "last_used_at": stamp(n % 60),
        "active": True,
        "expires_at": (NOW + timedelta(days=30)).date().isoformat() if n % 4 else None,
    }
    for n in range(1, 251)
]
DEPLOY = [
    {
        "id": 1,
        "name": "registry-pull",
        "username": "gitlab+deploy-token-1",
        "expires_at": None,
        "revoked": False,
        "expired": False,
        "scopes": ["read_registry"],
        "token": PLANTED[1],
    }
]
PROJECTS = [
    {"id": 7, "name": "api", "path_with_namespace": "acme/api"},
    {"id": 8, "name": "web", "path_with_namespace": "acme/web"},
]
GROUP_TOKEN = {
    "id": 501,
    "name": "group-ci",
    "revoked": False,
    "created_at": stamp(50),
    "scopes": ["read_api"],
    "user_id": 601,
    "last_used_at": stamp(3),
    "active": True,
    "expires_at": None,
    "access_level": 30,
}
PROJECT_TOKEN = {**GROUP_TOKEN, "id": 502, "name": "project-deploy", "user_id": 602, "scopes": ["write_repository"]}
TRIGGERS = {
    7: [
        {
            "id": 10,
            "description": "nightly",
            "created_at": stamp(400),
            "last_used": stamp(2),
            "token": PLANTED[0],
            "updated_at": stamp(400),
            "owner": {"id": 2, "username": "leaver"},
        }
    ],
    8: [],
}


class Handler(JsonHandler):
    server: FakeGitlab

    def _page(self, items: list, query: dict[str, str], path: str) -> None:
        size = int(query.get("per_page", 20))
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * size : page * size]
        headers = {"X-Page": str(page), "X-Per-Page": str(size), "X-Total": str(len(items))}
        if page * size < len(items):
            link = f"http://{self.headers['Host']}{path}?{urlencode({**query, 'page': page + 1})}"
            headers |= {"Link": f'<{link}>; rel="next"', "X-Next-Page": str(page + 1)}
        self._send(200, chunk, headers)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        self.server.requests.append(path)
        if self.headers.get("PRIVATE-TOKEN") != ADMIN_TOKEN:
            return self._send(401, {"message": "401 Unauthorized"})
        if path == "/api/v4/users" and not self.server.throttled:
            self.server.throttled = True
            return self._send(429, {"message": "Retry later"}, {"Retry-After": "1"})
        if path == "/api/v4/deploy_tokens" and not self.server.failed:
            self.server.failed = True
            return self._send(502, {"message": "502 Bad Gateway"})
        routes = {
            "/api/v4/personal_access_tokens": PATS,
            "/api/v4/users": USERS,
            "/api/v4/deploy_tokens": DEPLOY,
            "/api/v4/projects": PROJECTS,
        }
        if path in routes:
            return self._page(routes[path], query, path)
        group_routes = {
            "/api/v4/groups/acme": {"id": 5, "name": "acme", "full_path": "acme"},
            "/api/v4/groups/5/descendant_groups": [],
            "/api/v4/groups/5/members/all": USERS[:2],
            "/api/v4/groups/5/access_tokens": [GROUP_TOKEN],
            "/api/v4/groups/5/deploy_tokens": [],
            "/api/v4/groups/5/projects": PROJECTS,
            "/api/v4/projects/7/access_tokens": [PROJECT_TOKEN],
            "/api/v4/projects/7/deploy_tokens": [],
            "/api/v4/projects/8/deploy_tokens": [],
        }
        if path == "/api/v4/projects/8/access_tokens":
            return self._send(403, {"message": "403 Forbidden"})
        if path in group_routes:
            body = group_routes[path]
            return self._page(body, query, path) if isinstance(body, list) else self._send(200, body)
        if path.startswith("/api/v4/projects/") and path.endswith("/triggers"):
            return self._page(TRIGGERS[int(path.split("/")[4])], query, path)
        return self._send(404, {"message": "404 Not Found"})


class FakeGitlab(ThreadingHTTPServer):
    requests: list[str]
    throttled: bool
    failed: bool


@contextmanager
def fake_gitlab():
    server = FakeGitlab(("127.0.0.1", 0), Handler)
    server.requests, server.throttled, server.failed = [], False, False
    with serving(server):
        yield server
