"""A local GitHub REST API (the endpoints pataudit reads) with Link paging, a secondary rate limit, a 502,
GitHub App installation tokens and planted secret values."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from fake_http import JsonHandler, serving

NOW = datetime.now(UTC)
OWNER_TOKEN = "ghp_OWNERtokenFORtests000000000000000001"
INSTALLATION_TOKEN = "ghs_PLANTEDinstallationTOKEN0000000000002"
PLANTED = ["9f3ab7c1", INSTALLATION_TOKEN, "PLANTED-secret-value-0003"]


def stamp(days: float, offset: str = "Z") -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S") + offset


def user(login: str, n: int) -> dict:
    return {"login": login, "id": n, "type": "User", "site_admin": False}


MEMBERS = [user(f"member{n}", n) for n in range(150)]
COLLABORATORS = [user("contractor", 900)]
PATS = [
    {
        "id": n,
        "owner": user("member1" if n % 3 else "departed", 1),
        "repository_selection": "all" if n % 2 else "subset",
        "permissions": {"repository": {"contents": "write", "metadata": "read"}},
        "access_granted_at": stamp(30, "-07:00"),
        "token_id": 5000 + n,
        "token_name": f"pat {n}",
        "token_expired": False,
        "token_expires_at": stamp(-60),
        "token_last_used_at": stamp(1),
    }
    for n in range(1, 131)
]
REQUESTS = [
    {
        "id": 77,
        "reason": "need it",
        "owner": user("contractor", 900),
        "repository_selection": "subset",
        "permissions": {"repository": {"contents": "read"}},
        "created_at": stamp(2),
        "token_id": 6001,
        "token_name": "pending",
        "token_expired": False,
        "token_expires_at": stamp(-30),
        "token_last_used_at": None,
    }
]
AUTHORIZATIONS = [
    {
        "login": "member2",
        "credential_id": 1001,
        "credential_type": "personal access token",
        "token_last_eight": PLANTED[0],
        "credential_authorized_at": stamp(300),
        "credential_accessed_at": stamp(5),
        "authorized_credential_expires_at": None,
        "scopes": ["repo", "admin:org"],
        "authorized_credential_note": "ops laptop",
    }
]
INSTALLATIONS = {
    "total_count": 1,
    "installations": [
        {
            "id": 42,
            "app_id": 7,
            "app_slug": "deploy-bot",
            "repository_selection": "all",
            "created_at": stamp(500),
            "permissions": {"administration": "write", "contents": "write", "metadata": "read"},
            "suspended_at": None,
        }
    ],
}
ORG_SECRETS = {
    "total_count": 1,
    "secrets": [
        {
            "name": "NPM_TOKEN",
            "created_at": stamp(400),
            "updated_at": stamp(200),
            "visibility": "all",
            "value": PLANTED[2],
        }
    ],
}
REPOS = [{"id": 1, "name": "api", "full_name": "acme/api"}, {"id": 2, "name": "web", "full_name": "acme/web"}]
REPO_SECRETS = {
    "acme/api": {
        "total_count": 1,
        "secrets": [{"name": "DEPLOY_KEY", "created_at": stamp(20), "updated_at": stamp(10)}],
    },
    "acme/web": {"total_count": 0, "secrets": []},
}
DEPLOY_KEYS = {
    "acme/api": [
        {
            "id": 31,
            "key": "ssh-ed25519 AAAA",
            "title": "ci",
            "verified": True,
            "created_at": stamp(120),
            "read_only": False,
            "last_used": stamp(100),
        }
    ],
    "acme/web": [],
}


class Handler(JsonHandler):
    server: FakeGithub

    def _page(self, items: list, query: dict[str, str], path: str) -> None:
        size, page = int(query.get("per_page", 30)), int(query.get("page", 1))
        headers = {}
        if page * size < len(items):
            headers["Link"] = f'<{self.server.url}{path}?per_page={size}&page={page + 1}>; rel="next"'
        self._send(200, items[(page - 1) * size : page * size], headers)

    def do_POST(self) -> None:
        self.server.requests.append(self.path)
        if self.path == "/app/installations/42/access_tokens" and self.headers.get("Authorization", "").startswith(
            "Bearer "
        ):
            return self._send(201, {"token": INSTALLATION_TOKEN, "expires_at": stamp(-1), "permissions": {}})
        return self._send(401, {"message": "Bad credentials"})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        self.server.requests.append(path)
        auth = self.headers.get("Authorization", "")
        app_only = path in ("/orgs/acme/personal-access-tokens", "/orgs/acme/personal-access-token-requests")
        if auth != f"token {INSTALLATION_TOKEN if app_only else OWNER_TOKEN}" and auth != (
            f"Bearer {INSTALLATION_TOKEN if app_only else OWNER_TOKEN}"
        ):
            return self._send(401 if not app_only else 403, {"message": "Resource not accessible by integration"})
        if path == "/orgs/acme/members" and not self.server.limited:
            self.server.limited = True
            return self._send(
                403, {"message": "You have exceeded a secondary rate limit. Please wait."}, {"Retry-After": "1"}
            )
        if path == "/orgs/acme/repos" and not self.server.failed:
            self.server.failed = True
            return self._send(502, {"message": "Server Error"})
        lists = {
            "/orgs/acme/members": MEMBERS,
            "/orgs/acme/outside_collaborators": COLLABORATORS,
            "/orgs/acme/personal-access-tokens": PATS,
            "/orgs/acme/personal-access-token-requests": REQUESTS,
            "/orgs/acme/credential-authorizations": AUTHORIZATIONS,
            "/orgs/acme/repos": REPOS,
        }
        if path in lists:
            return self._page(lists[path], query, path)
        if path == "/orgs/acme/installations":
            return self._send(200, INSTALLATIONS)
        if path == "/orgs/acme/actions/secrets":
            return self._send(200, ORG_SECRETS)
        for repo in REPO_SECRETS:
            if path == f"/repos/{repo}/actions/secrets":
                return self._send(200, REPO_SECRETS[repo])
            if path == f"/repos/{repo}/keys":
                return self._send(200, DEPLOY_KEYS[repo])
        return self._send(404, {"message": "Not Found"})


class FakeGithub(ThreadingHTTPServer):
    requests: list[str]
    limited: bool
    failed: bool


@contextmanager
def fake_github():
    server = FakeGithub(("127.0.0.1", 0), Handler)
    server.requests, server.limited, server.failed = [], False, False
    with serving(server):
        yield server
