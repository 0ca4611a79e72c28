"""One local HTTP server speaking the documented JSON of Azure DevOps, CircleCI and Terraform Cloud, and the
Jenkins script console, with paging, auth checks and planted secret values."""

from __future__ import annotations

import base64
import json
import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from fake_http import JsonHandler, serving

NOW = datetime.now(UTC)
PLANTED = [
    "PLANTED-ADO-TOKEN-0001",
    "PLANTED-ADO-ALT-0002",
    "PLANTED-CIRCLE-VALUE-0003",
    "PLANTED-TFC-ORG-0004",
    "PLANTED-TFC-TEAM-0005",
    "PLANTED-TFC-USER-0006",
    "PLANTED-JENKINS-HASH-0007",
]
ADO_PAT, CIRCLE_TOKEN, TFC_TOKEN = "ado-pat-xyz", "circle-token-xyz", "tfc-token-xyz"
JENKINS_USER, JENKINS_TOKEN = "auditor", "jenkins-token-xyz"


def iso(days_ago: float, offset: str = "Z") -> str:
    text = (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return text + offset


ADO_USERS = [
    [
        {
            "subjectKind": "user",
            "principalName": "alice@contoso.com",
            "displayName": "Alice",
            "origin": "aad",
            "descriptor": "aad.YWxpY2U",
        },
        {
            "subjectKind": "user",
            "principalName": "bob@contoso.com",
            "displayName": "Bob",
            "origin": "aad",
            "descriptor": "aad.Ym9i",
        },
    ],
    [
        {
            "subjectKind": "user",
            "principalName": "carol@contoso.com",
            "displayName": "Carol",
            "origin": "aad",
            "descriptor": "aad.Y2Fyb2w",
            "isDeletedInOrigin": True,
        }
    ],
]


def ado_pat(auth_id: str, name: str, scope: str, valid_from: float, valid_to: float, targets, valid=True) -> dict:
    return {
        "clientId": "00000000-0000-0000-0000-000000000000",
        "accessId": auth_id,
        "authorizationId": auth_id,
        "hostAuthorizationId": None,
        "userId": "u",
        "validFrom": iso(valid_from, "+00:00"),
        "validTo": iso(valid_to, "-07:00"),
        "displayName": name,
        "scope": scope,
        "targetAccounts": targets,
        "token": PLANTED[0],
        "alternateToken": PLANTED[1],
        "isValid": valid,
        "isPublic": False,
        "publicData": None,
        "source": None,
        "claims": None,
    }


ADO_PATS = {
    "aad.YWxpY2U": [
        [ado_pat("a1", "full access forever", "app_token", 200, -600, None)],
        [ado_pat("a2", "build reader", "vso.build vso.code", 10, -20, ["org-guid-1"])],
    ],
    "aad.Ym9i": [[ado_pat("b1", "old deploy", "vso.code_write", 400, -30, ["org-guid-1"], valid=False)]],
    "aad.Y2Fyb2w": [[ado_pat("c1", "carol's token", "vso.packaging_manage", 30, -60, ["org-guid-1"])]],
}

CIRCLE_CONTEXTS = [
    [{"id": "ctx-1", "name": "aws-prod", "created_at": iso(800)}],
    [{"id": "ctx-2", "name": "npm", "created_at": iso(100)}],
]
CIRCLE_VARS = {
    "ctx-1": [
        {
            "variable": "AWS_SECRET_ACCESS_KEY",
            "context_id": "ctx-1",
            "created_at": iso(700),
            "updated_at": iso(400),
            "value": PLANTED[2],
        }
    ],
    "ctx-2": [{"variable": "NPM_TOKEN", "context_id": "ctx-2", "created_at": iso(30), "updated_at": iso(20)}],
}


def tfc_token(token_id: str, days: float, used: float | None, expires: float | None, secret: str, team=None) -> dict:
    item = {
        "id": token_id,
        "type": "authentication-tokens",
        "attributes": {
            "created-at": iso(days),
            "last-used-at": iso(used) if used is not None else None,
            "description": None,
            "token": secret,
            "expired-at": iso(expires) if expires is not None else None,
        },
    }
    if team:
        item["relationships"] = {"team": {"data": {"id": team, "type": "teams"}}}
    return item


TFC_TEAM_PAGES = [
    [tfc_token("at-team1", 300, 2, None, PLANTED[4], "team-ops")],
    [tfc_token("at-team2", 20, 1, -100, PLANTED[4], "team-dev")],
]
JENKINS_USERS = [
    {
        "user": "alice",
        "fullName": "Alice",
        "tokens": [
            {
                "uuid": "u-1",
                "name": "ci",
                "creationDate": iso(500, "+00:00"),
                "useCounter": 0,
                "lastUseDate": None,
                "legacy": False,
            },
            {
                "uuid": "u-2",
                "name": "fresh",
                "creationDate": iso(3, "+00:00"),
                "useCounter": 4,
                "lastUseDate": iso(1, "+00:00"),
                "legacy": False,
            },
        ],
    },
    {
        "user": "bob",
        "fullName": "Bob",
        "tokens": [
            {
                "uuid": "legacy",
                "name": "legacy API token",
                "creationDate": None,
                "useCounter": 0,
                "lastUseDate": None,
                "legacy": True,
            }
        ],
    },
]


class Handler(JsonHandler):
    server: FakeServer

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        self.server.requests.append(path)
        if path.startswith("/contoso/_apis/"):
            return self._ado(path, query)
        if path.startswith("/api/v2/context"):
            return self._circle(path, query)
        if path.startswith("/api/v2/"):
            return self._tfc(path, query)
        if path == "/crumbIssuer/api/json":
            return self._send(404, {"message": "no crumb issuer"})
        return self._send(404, {"message": f"no route {path}"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = parse_qs(self.rfile.read(length).decode())
        self.server.requests.append(self.path)
        expected = "Basic " + base64.b64encode(f"{JENKINS_USER}:{JENKINS_TOKEN}".encode()).decode()
        if self.path.rstrip("/") != "/scriptText":
            return self._send(404, {"message": "no route"})
        if self.headers.get("Authorization") != expected:
            return self._send(401, b"Unauthorized")
        script = body.get("script", [""])[0]
        self.server.scripts.append(script)
        # The console prints what the script prints: our JSON line, then whatever a trailing print("…") adds
        # (python-jenkins appends one as an end marker).
        trailer = re.findall(r'print\("([^"]*)"\)\s*$', script)
        self.send_response(200)
        text = (json.dumps(JENKINS_USERS) + "\n" + (trailer[0] if trailer else "")).encode()
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def _ado(self, path: str, query: dict[str, str]) -> None:
        expected = "Basic " + base64.b64encode(f":{ADO_PAT}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            return self._send(401, {"message": "TF400813: The user is not authorized to access this resource."})
        page = int(query.get("continuationToken", "0"))
        if path == "/contoso/_apis/graph/users":
            headers = {"X-MS-ContinuationToken": str(page + 1)} if page + 1 < len(ADO_USERS) else {}
            return self._send(200, {"count": len(ADO_USERS[page]), "value": ADO_USERS[page]}, headers)
        descriptor = path.rsplit("/", 1)[-1]
        pages = ADO_PATS.get(descriptor)
        if pages is None:
            return self._send(404, {"message": "user not found"})
        body = {"value": pages[page]}
        if page + 1 < len(pages):
            body["continuationToken"] = str(page + 1)
        return self._send(200, body)

    def _circle(self, path: str, query: dict[str, str]) -> None:
        if self.headers.get("Circle-Token") != CIRCLE_TOKEN:
            return self._send(401, {"message": "You must log in first."})
        page = int(query.get("page-token", "0"))
        if path == "/api/v2/context":
            nxt = str(page + 1) if page + 1 < len(CIRCLE_CONTEXTS) else None
            return self._send(200, {"items": CIRCLE_CONTEXTS[page], "next_page_token": nxt})
        context = path.split("/")[4]
        return self._send(200, {"items": CIRCLE_VARS[context], "next_page_token": None})

    def _tfc(self, path: str, query: dict[str, str]) -> None:
        if self.headers.get("Authorization") != f"Bearer {TFC_TOKEN}":
            return self._send(401, {"errors": [{"status": "401", "title": "unauthorized"}]})
        page = int(query.get("page[number]", "1"))
        if path == "/api/v2/organizations/hashicorp/authentication-token":
            return self._send(200, {"data": tfc_token("at-org", 900, 400, None, PLANTED[3])})
        if path == "/api/v2/organizations/hashicorp/team-tokens":
            nxt = page + 1 if page < len(TFC_TEAM_PAGES) else None
            return self._send(
                200,
                {
                    "data": TFC_TEAM_PAGES[page - 1],
                    "meta": {
                        "pagination": {"current-page": page, "next-page": nxt, "total-pages": len(TFC_TEAM_PAGES)}
                    },
                },
            )
        if path == "/api/v2/account/details":
            return self._send(200, {"data": {"id": "user-1", "type": "users", "attributes": {"username": "ops-admin"}}})
        if path == "/api/v2/users/user-1/authentication-tokens":
            return self._send(
                200,
                {"data": [tfc_token("at-user", 50, 3, -300, PLANTED[5])], "meta": {"pagination": {"next-page": None}}},
            )
        return self._send(404, {"errors": [{"status": "404"}]})


class FakeServer(ThreadingHTTPServer):
    requests: list[str]
    scripts: list[str]


@contextmanager
def fake_platforms():
    """Start the server; yields it (its `.url`, and the `.requests` and `.scripts` it received)."""
    server = FakeServer(("127.0.0.1", 0), Handler)
    server.requests, server.scripts = [], []
    with serving(server):
        yield server
