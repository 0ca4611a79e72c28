"""Generate the demo organisation "Northwind Labs": four quarterly snapshots of saved API payloads.

Run `python examples/demo/generate.py [OUT]` to rewrite the folders next to this file (or write to OUT). The output is
deterministic (fixed seed). Each token keeps its identity across quarters and its own random draw per
weakness; a weakness shows in a quarter when the draw falls under that quarter's rate, and the rates
fall over the year, so findings persist, get resolved and occasionally appear, as in a real programme.
Secret-looking values (`token_last_eight`, GitLab `token`) are planted on purpose: pataudit must drop them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from pataudit.collectors.aws import REPORT_COLUMNS

HERE = Path(__file__).parent
API = "https://api.github.com"
PURPOSES = ["deploy", "ci", "release", "scripts", "backport", "docs"]
SEED = 20260101
QUARTERS = [
    ("2026-Q1", date(2026, 3, 31)),
    ("2026-Q2", date(2026, 6, 30)),
    ("2026-Q3", date(2026, 9, 30)),
    ("2026-Q4", date(2026, 12, 1)),
]
RATES = [0.45, 0.33, 0.22, 0.12]
CLASSIC_SHARE = [1.0, 0.7, 0.45, 0.25]
ORG = "northwind-labs"
GITLAB = "gitlab.northwind.example"
PROD, DEV = "210987654321", "345678901234"
FIRST = [
    "ada",
    "ben",
    "chloe",
    "dev",
    "elif",
    "farah",
    "gus",
    "hana",
    "ivan",
    "jo",
    "kai",
    "lena",
    "milo",
    "nina",
    "omar",
    "pia",
    "quinn",
    "rosa",
    "sam",
    "tara",
    "uma",
    "vik",
    "wen",
    "xena",
    "yusuf",
    "zoe",
]
LAST = [
    "okafor",
    "lindqvist",
    "moreau",
    "tanaka",
    "silva",
    "novak",
    "reyes",
    "haddad",
    "kowalski",
    "brennan",
    "mehta",
    "fischer",
]
OFFSETS = [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=2)), timezone(timedelta(hours=5, minutes=30))]


@dataclass
class Person:
    login: str
    leaves: int | None  # quarter index the person leaves in, or None


@dataclass
class Token:
    ident: int
    owner: str
    born: int  # first quarter index present (-1 = before Q1)
    draws: dict[str, float] = field(default_factory=dict)

    def bad(self, weakness: str, q: int, scale: float = 1.0) -> bool:
        return self.draws[weakness] < RATES[q] * scale


def iso(moment: datetime, rng: random.Random, *, millis: bool = True) -> str:
    """A timestamp in one of the offsets GitHub sends, with or without fractional seconds."""
    local = moment.astimezone(rng.choice(OFFSETS))
    text = local.isoformat(timespec="milliseconds" if millis else "seconds")
    return text.replace("+00:00", "Z") if rng.random() < 0.5 else text


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def people(rng: random.Random) -> list[Person]:
    crowd, seen = [], set()
    while len(crowd) < 64:
        login = f"{rng.choice(FIRST)}-{rng.choice(LAST)}"
        if login in seen:
            continue
        seen.add(login)
        roll = rng.random()
        crowd.append(Person(login, None if roll > 0.22 else rng.randrange(0, 4)))
    return crowd


def gone(person: Person, q: int) -> bool:
    return person.leaves is not None and person.leaves <= q


def draws(rng: random.Random) -> dict[str, float]:
    names = ("expiry", "lifetime", "scope", "admin", "unused", "rotate", "second", "removed", "classic", "stale")
    return {name: rng.random() for name in names}


def key_id(*parts: object) -> str:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest().upper()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return "AKIA" + "".join(alphabet[int(digest[i : i + 2], 16) % 32] for i in range(0, 32, 2))


# ---------------------------------------------------------------- AWS
AWS_HEADER = list(REPORT_COLUMNS)


def aws_stamp(moment: datetime | None) -> str:
    return "N/A" if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def aws_users(rng: random.Random, account: str, crowd: list[Person], count: int) -> list[tuple[str, bool, Token]]:
    services = ["ci-deploy", "backup-agent", "terraform", "metrics-export", "legacy-export", "s3-sync", "billing-etl"]
    users = [(name, False) for name in services]
    users += [(p.login, True) for p in rng.sample(crowd, count - len(services))]
    return [(name, console, Token(i, name, -1, draws(rng))) for i, (name, console) in enumerate(users)]


def aws_report(account: str, users: list, crowd: dict[str, Person], q: int, as_of: date, rng: random.Random):
    rows, keys = [], []
    now = at(as_of, 6)
    root = {
        "user": "<root_account>",
        "arn": f"arn:aws:iam::{account}:root",
        "user_creation_time": "2019-02-11T09:12:40+00:00",
        "password_enabled": "not_supported",
        "password_last_used": aws_stamp(now - timedelta(days=41)),
        "password_last_changed": "not_supported",
        "password_next_rotation": "not_supported",
        "mfa_active": "true",
    }
    root_key = account == PROD and q < 2
    rows.append(
        root
        | _key_cells(1, root_key, q == 0, at(date(2022, 5, 3)), now - timedelta(days=12), "iam")
        | _key_cells(2, False, False, None, None, None)
        | _certs()
    )
    if root_key:
        keys.append(
            {
                "UserName": "<root_account>",
                "AccessKeyId": key_id(account, "root"),
                "Status": "Active" if q == 0 else "Inactive",
                "CreateDate": aws_stamp(at(date(2022, 5, 3))),
            }
        )
    for name, console, token in users:
        person = crowd.get(name)
        if person and gone(person, q) and token.bad("removed", q, 3.0):
            continue
        has_key = token.draws["scope"] > 0.15
        base = {
            "user": name,
            "arn": f"arn:aws:iam::{account}:user/{name}",
            "user_creation_time": aws_stamp(at(date(2023, 1, 5)) + timedelta(days=token.ident * 9)),
            "password_enabled": "true" if console else "false",
            "password_last_used": (
                aws_stamp(now - timedelta(days=int(token.draws["lifetime"] * 30))) if console else "N/A"
            )
            if token.draws["lifetime"] > 0.1
            else "no_information",
            "password_last_changed": aws_stamp(at(date(2025, 11, 2))) if console else "N/A",
            "password_next_rotation": "N/A",
            "mfa_active": "true" if console and token.draws["admin"] > 0.2 else "false",
        }
        slots = []
        if has_key:
            old = token.bad("rotate", q)
            created = (
                at(date(2025, 1, 10)) + timedelta(days=token.ident * 3)
                if old
                else now - timedelta(days=5 + int(token.draws["expiry"] * 70))
            )
            if name == "legacy-export":
                created, last_used = at(date(2025, 4, 1)), None  # API-only user whose key was never used
            elif token.bad("unused", q):
                last_used = (
                    None if token.draws["unused"] < 0.05 else now - timedelta(days=50 + int(token.draws["stale"] * 150))
                )
                if last_used is not None and last_used < created:
                    last_used = None
            else:
                last_used = now - timedelta(days=int(token.draws["stale"] * 20), hours=3)
            slots.append((True, created, last_used, "generation-%s" % ("old" if old else q)))
            if token.bad("second", q, 0.6) or (q == 0 and name == "terraform"):
                created2 = now - timedelta(days=1) if name == "terraform" else now - timedelta(days=200 + token.ident)
                slots.append((True, created2, None if name == "terraform" else now - timedelta(days=3), f"second-{q}"))
            elif token.draws["second"] > 0.9:
                slots.append((False, now - timedelta(days=400), now - timedelta(days=300), "retired"))
        cells = {}
        for slot in (1, 2):
            if slot <= len(slots):
                active, created, last_used, generation = slots[slot - 1]
                cells |= _key_cells(
                    slot, True, active, created, last_used, rng.choice(["s3", "ec2", "sts", "iam", "dynamodb"])
                )
                keys.append(
                    {
                        "UserName": name,
                        "AccessKeyId": key_id(account, name, slot, generation),
                        "Status": "Active" if active else "Inactive",
                        "CreateDate": aws_stamp(created),
                    }
                )
            else:
                cells |= _key_cells(slot, False, False, None, None, None)
        rows.append(base | cells | _certs())
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=AWS_HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue(), {"AccessKeyMetadata": keys}


def _key_cells(slot: int, exists: bool, active: bool, created, last_used, service) -> dict[str, str]:
    p = f"access_key_{slot}_"
    if not exists:
        return {
            p + "active": "false",
            p + "last_rotated": "N/A",
            p + "last_used_date": "N/A",
            p + "last_used_region": "N/A",
            p + "last_used_service": "N/A",
        }
    used = last_used is not None
    return {
        p + "active": "true" if active else "false",
        p + "last_rotated": aws_stamp(created),
        p + "last_used_date": aws_stamp(last_used),
        p + "last_used_region": "eu-west-1" if used else "N/A",
        p + "last_used_service": service if used else "N/A",
    }


def _certs() -> dict[str, str]:
    return {
        "cert_1_active": "false",
        "cert_1_last_rotated": "N/A",
        "cert_2_active": "false",
        "cert_2_last_rotated": "N/A",
    }


# ---------------------------------------------------------------- GitHub
def gh_user(login: str, ident: int, bot: bool = False) -> dict:
    return {
        "login": login,
        "id": 5000 + ident,
        "node_id": f"MDQ6VXNlcj{5000 + ident}",
        "type": "Bot" if bot else "User",
        "site_admin": False,
        "url": f"https://api.github.com/users/{login}",
    }


def github_payloads(
    rng: random.Random, crowd: list[Person], fg: list[Token], classic: list[Token], q: int, as_of: date
):
    now = at(as_of, 9)
    by_login = {p.login: p for p in crowd}
    members = [gh_user(p.login, i) for i, p in enumerate(crowd) if not gone(p, q)]
    members.append(gh_user("northwind-release-bot", 999, bot=True))
    grants = []
    for t in fg:
        if t.born > q:
            continue
        person = by_login.get(t.owner)
        if person and gone(person, q) and t.bad("removed", q, 2.0):
            continue
        granted = (
            now - timedelta(days=30 + int(t.draws["stale"] * 300))
            if t.born < 0
            else at(QUARTERS[t.born][1]) - timedelta(days=40)
        )
        expired = t.draws["stale"] < 0.08 and q >= 1
        if expired:
            expires = now - timedelta(days=10 + int(t.draws["expiry"] * 90))
        elif t.bad("expiry", q, 0.7):
            expires = None
        elif t.bad("lifetime", q):
            expires = granted + timedelta(days=400 + int(t.draws["lifetime"] * 300))
        else:
            expires = max(granted + timedelta(days=90), now + timedelta(days=20))
            expires = min(expires, granted + timedelta(days=360))
            if expires <= now:
                expires = now + timedelta(days=30)
        admin = t.bad("admin", q, 0.6) or t.owner == "northwind-release-bot"
        perms = {"repository": {"metadata": "read", "contents": "write" if t.draws["scope"] > 0.3 else "read"}}
        if admin:
            perms["repository"]["administration"] = "write"
        if t.draws["scope"] > 0.8:
            perms["organization"] = {"members": "read"}
        last_used = (
            None
            if t.bad("unused", q) and t.draws["unused"] < 0.1
            else (
                now - timedelta(days=60 + int(t.draws["unused"] * 100))
                if t.bad("unused", q)
                else now - timedelta(days=int(t.draws["unused"] * 20))
            )
        )
        grants.append(
            {
                "id": 25000 + t.ident,
                "owner": gh_user(t.owner, t.ident, bot=t.owner.endswith("-bot")),
                "repository_selection": "all" if t.bad("scope", q) else "subset",
                "repositories_url": f"{API}/organizations/652551/personal-access-tokens/{25000 + t.ident}/repositories",
                "permissions": perms,
                "access_granted_at": iso(granted, rng),
                "token_id": 98000 + t.ident,
                "token_name": f"{t.owner.split('-')[0]}'s {rng.choice(PURPOSES)} token",
                "token_expired": expired,
                "token_expires_at": iso(expires, rng) if expires else None,
                "token_last_used_at": iso(last_used, rng) if last_used else None,
            }
        )
    auths = []
    for t in classic:
        if t.draws["classic"] >= CLASSIC_SHARE[q] or t.born > q:
            continue
        person = by_login.get(t.owner)
        is_ssh = t.ident % 4 == 0
        authorized = now - timedelta(days=100 + int(t.draws["stale"] * 500))
        scopes = (
            ["repo", "read:org"]
            + (["admin:org"] if t.bad("admin", q, 0.7) else [])
            + (["workflow"] if t.draws["scope"] > 0.5 else [])
        )
        item = {
            "login": t.owner,
            "credential_id": 161000 + t.ident,
            "credential_type": "SSH key" if is_ssh else "personal access token",
            "credential_authorized_at": iso(authorized, rng, millis=False),
            "credential_accessed_at": iso(now - timedelta(days=int(t.draws["unused"] * 120)), rng, millis=False)
            if t.draws["unused"] > 0.1
            else None,
            "authorized_credential_id": 12000000 + t.ident,
            "authorized_credential_expires_at": None
            if t.bad("expiry", q, 1.5)
            else iso(authorized + timedelta(days=365), rng, millis=False),
        }
        if is_ssh:
            item |= {
                "fingerprint": f"SHA256:{hashlib.sha256(str(t.ident).encode()).hexdigest()[:43]}",
                "authorized_credential_title": f"{t.owner} laptop",
            }
        else:
            item |= {
                "token_last_eight": f"{hashlib.md5(str(t.ident).encode()).hexdigest()[:8]}",
                "scopes": scopes,
                "authorized_credential_note": f"{t.owner} {rng.choice(['cli', 'automation', 'old laptop', 'jenkins'])}",
            }
        if person and gone(person, q) and t.bad("removed", q, 2.0):
            continue
        auths.append(item)
    return grants, auths, members


# ---------------------------------------------------------------- GitLab
def gitlab_payloads(rng: random.Random, crowd: list[Person], tokens: list[Token], q: int, as_of: date):
    now = at(as_of, 11)
    users = []
    for i, p in enumerate(crowd):
        state = "active" if not gone(p, q) else ("blocked" if i % 2 else "deactivated")
        users.append(
            {
                "id": 100 + i,
                "username": p.login.replace("-", "."),
                "name": p.login.replace("-", " ").title(),
                "state": state,
                "locked": False,
                "bot": False,
                "is_admin": i == 0,
                "created_at": "2023-03-01T10:00:00.000Z",
                "web_url": f"https://{GITLAB}/{p.login}",
            }
        )
    bots = [
        {
            "id": 900 + j,
            "username": f"{'project' if j < 6 else 'group'}_{40 + j}_bot_{hashlib.md5(str(j).encode()).hexdigest()[:8]}",  # noqa: E501
            "name": f"{'Project' if j < 6 else 'Group'} access token bot",
            "state": "active",
            "locked": False,
            "bot": True,
            "is_admin": False,
            "created_at": "2024-06-01T10:00:00.000Z",
        }
        for j in range(9)
    ]
    users += bots
    items = []
    for t in tokens:
        if t.born > q:
            continue
        bot = t.ident % 7 == 0
        owner = bots[t.ident % len(bots)] if bot else users[int(t.draws["second"] * len(crowd))]
        person = None if bot else crowd[owner["id"] - 100]
        if person and gone(person, q) and t.bad("removed", q, 2.0):
            continue
        created = now - timedelta(days=20 + int(t.draws["stale"] * 400))
        revoked = t.draws["stale"] < 0.06 and q >= 1
        expiry = (
            None
            if t.bad("expiry", q, 0.8)
            else (created + timedelta(days=500) if t.bad("lifetime", q) else created + timedelta(days=365))
        )
        if expiry and expiry.date() < as_of - timedelta(days=60) and t.draws["removed"] > 0.5:
            continue  # cleaned up after expiring
        scopes = (["api"] if t.bad("admin", q) else ["read_api"]) + (
            ["write_repository"] if t.draws["scope"] > 0.5 else ["read_repository"]
        )
        last_used = (
            None
            if t.bad("unused", q) and t.draws["unused"] < 0.08
            else iso_gl(
                now - timedelta(days=50 + int(t.draws["unused"] * 90))
                if t.bad("unused", q)
                else now - timedelta(days=int(t.draws["unused"] * 30))
            )
        )
        active = not revoked and (expiry is None or expiry.date() > as_of)
        items.append(
            {
                "id": 4000 + t.ident,
                "name": f"{rng.choice(['renovate', 'ci', 'deploy', 'backup', 'cli', 'mirror'])}-{t.ident}",
                "revoked": revoked,
                "created_at": iso_gl(created),
                "description": None,
                "scopes": scopes,
                "user_id": owner["id"],
                "last_used_at": last_used,
                "active": active,
                "expires_at": expiry.date().isoformat() if expiry else None,
                "token": f"glpat-{hashlib.sha1(str(t.ident).encode()).hexdigest()[:20]}" if t.ident % 11 == 0 else None,
            }
        )
    return [{k: v for k, v in i.items() if v is not None or k != "token"} for i in items], users


def iso_gl(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------- Azure DevOps and Jenkins
ADO_SCOPES = ["vso.code", "vso.build_execute", "vso.code_write", "vso.packaging", "vso.work_write"]


def azure_devops_payloads(crowd: list[Person], tokens: list[Token], q: int, as_of: date):
    now = at(as_of, 8)
    users = [
        {
            "subjectKind": "user",
            "principalName": f"{p.login.replace('-', '.')}@northwind.example",
            "displayName": p.login.replace("-", " ").title(),
            "origin": "aad",
            "descriptor": f"aad.{i:04d}",
        }
        for i, p in enumerate(crowd)
        if not gone(p, q)
    ]
    by_descriptor: dict[str, list] = {}
    for t in tokens:
        if t.born > q:
            continue
        owner = int(t.draws["second"] * len(crowd))
        person = crowd[owner]
        if gone(person, q) and t.bad("removed", q, 2.0):
            continue
        created = now - timedelta(days=10 + int(t.draws["stale"] * 300))
        lifetime = 730 if t.bad("lifetime", q) else 90 + int(t.draws["expiry"] * 200)
        full = t.bad("admin", q, 0.7)
        scope = "app_token" if full else " ".join(ADO_SCOPES[: 1 + t.ident % len(ADO_SCOPES)])
        by_descriptor.setdefault(f"aad.{owner:04d}", []).append(
            {
                "authorizationId": f"6d2b{t.ident:04d}-0000-4000-8000-00000000{t.ident:04d}",
                "displayName": f"{person.login.split('-')[0]} {['pipeline', 'cli', 'nuget', 'boards'][t.ident % 4]}",
                "scope": scope,
                "targetAccounts": None if t.bad("scope", q) else ["b7f3c1e2-0000-4000-8000-000000000001"],
                "validFrom": created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "validTo": (created + timedelta(days=lifetime)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "isValid": not (t.draws["stale"] < 0.07 and q >= 1),
                "isPublic": False,
                "token": None,
                "alternateToken": None,
            }
        )
    return users, [{"descriptor": d, "value": v} for d, v in sorted(by_descriptor.items())]


def jenkins_payload(crowd: list[Person], tokens: list[Token], q: int, as_of: date):
    now = at(as_of, 7)
    users: dict[str, list] = {}
    for t in tokens:
        if t.born > q or t.bad("removed", q, 1.2):
            continue
        person = crowd[int(t.draws["second"] * len(crowd))]
        old = t.bad("rotate", q)
        created = now - timedelta(days=200 + t.ident * 3 if old else 5 + int(t.draws["expiry"] * 60))
        used = (
            None
            if t.bad("unused", q) and t.draws["unused"] < 0.1
            else now - timedelta(days=int(t.draws["unused"] * 30))
        )
        users.setdefault(person.login, []).append(
            {
                "uuid": hashlib.md5(f"jenkins-{t.ident}-{old}".encode()).hexdigest()[:8] + f"-{t.ident:04d}",
                "name": ["deploy", "ci", "nightly", "release"][t.ident % 4],
                "creationDate": created.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+00:00",
                "useCounter": 0 if used is None else 1 + t.ident % 50,
                "lastUseDate": None if used is None else used.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+00:00",
                "legacy": t.ident % 13 == 0 and q < 2,
            }
        )
    return [
        {"user": login, "fullName": login.replace("-", " ").title(), "tokens": items}
        for login, items in sorted(users.items())
    ]


# ---------------------------------------------------------------- GCP
GCP_PROJECT = "northwind-prod"
KEY_SHARE = [0.9, 0.7, 0.5, 0.3]
SA_NAMES = ["deploy", "etl", "backup", "ci", "metrics", "export", "ml", "dns"]


def gcp_payloads(accounts: list[Token], q: int, as_of: date) -> dict[str, object]:
    now = at(as_of, 5)
    service_accounts, keys, bindings, activity = [], [], [], []
    for t in accounts:
        email = f"{SA_NAMES[t.ident]}@{GCP_PROJECT}.iam.gserviceaccount.com"
        service_accounts.append(
            {
                "name": f"projects/{GCP_PROJECT}/serviceAccounts/{email}",
                "email": email,
                "project_id": GCP_PROJECT,
                "disabled": t.ident == 7 and q >= 2,
            }
        )
        role = (
            "roles/editor"
            if t.bad("admin", q, 1.2)
            else ["roles/storage.objectViewer", "roles/bigquery.dataEditor"][t.ident % 2]
        )
        bindings.append({"role": role, "members": [f"serviceAccount:{email}"]})
        if t.draws["classic"] >= KEY_SHARE[q]:
            continue
        old = t.bad("rotate", q)
        created = now - timedelta(days=150 + t.ident * 20 if old else 10 + t.ident * 3)
        never = t.bad("expiry", q, 1.3)
        key_id = hashlib.sha1(f"{email}-{old}".encode()).hexdigest()[:40]
        name = f"projects/{GCP_PROJECT}/serviceAccounts/{email}/keys/{key_id}"
        keys.append(
            {
                "name": name,
                "key_type": "USER_MANAGED",
                "key_origin": "GOOGLE_PROVIDED",
                "valid_after_time": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "valid_before_time": "9999-12-31T23:59:59Z"
                if never
                else (created + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "disabled": False,
            }
        )
        used = now - timedelta(days=80 if t.bad("unused", q) else 1 + t.ident)
        activity.append(
            {
                "activityType": "serviceAccountKeyLastAuthentication",
                "fullResourceName": f"//iam.googleapis.com/{name}",
                "activity": {"lastAuthenticatedTime": used.strftime("%Y-%m-%dT%H:%M:%SZ")},
            }
        )
    policies = {
        "iam.disableServiceAccountKeyCreation": {
            "spec": {"updateTime": "2026-05-01T00:00:00Z", "rules": [{"enforce": q >= 1}]}
        }
    }
    return {
        "service_accounts.json": service_accounts,
        "keys.json": keys,
        "iam_policy.json": {"bindings": bindings},
        "key_activity.json": activity,
        "org_policies.json": policies,
    }


# ---------------------------------------------------------------- config
def config_text(period: str, as_of: date, q: int) -> str:
    stale_dev = q == 1
    dev_generated = at(as_of, 6) - timedelta(days=5 if stale_dev else 0)
    return f"""# Northwind Labs — demo audit configuration for {period} (generated by generate.py)
organization: Northwind Labs
period: "{period}"
sources:
  - type: aws
    name: aws-prod
    account_id: "{PROD}"
    credential_report: aws-prod/credential_report.csv
    credential_report_generated_at: {at(as_of, 6).isoformat()}
    access_keys: aws-prod/access_keys.json
  - type: aws
    name: aws-dev
    account_id: "{DEV}"
    credential_report: aws-dev/credential_report.csv
    credential_report_generated_at: {dev_generated.isoformat()}
  - type: github
    org: {ORG}
    personal_access_tokens: github/personal_access_tokens.json
    credential_authorizations: github/credential_authorizations.json
    members: github/members.json
    collected_at: {at(as_of, 9).isoformat()}
  - type: gitlab
    instance: {GITLAB}
    personal_access_tokens: gitlab/personal_access_tokens.json
    users: gitlab/users.json
    collected_at: {at(as_of, 11).isoformat()}
  - type: azure_devops
    organization: northwind
    personal_access_tokens: azure_devops/personal_access_tokens.json
    users: azure_devops/users.json
    collected_at: {at(as_of, 8).isoformat()}
  - type: jenkins
    server: ci.northwind.example
    tokens: jenkins/tokens.json
    collected_at: {at(as_of, 7).isoformat()}
  - type: gcp
    project_id: {GCP_PROJECT}
    project_payloads: gcp/{GCP_PROJECT}
    collected_at: {at(as_of, 5).isoformat()}
policy:
  max_evidence_age_hours: 48
  controls:
    credential_recently_used:
      overrides:
        github_ssh_key: {{max_unused_days: 90}}
    token_lifetime_within_max:
      params: {{max_lifetime_days: 366}}
      overrides:
        gitlab_project_token: {{max_lifetime_days: 365}}
waivers:
  - id: W-2026-001
    control: no_admin_privilege
    selector: {{owner: northwind-release-bot}}
    reason: Release automation needs repository administration until the GitHub App migration lands.
    approver: CISO (M. Haddad)
    ticket: SEC-1412
    expires: 2026-09-30
  - id: W-2026-002
    control: credential_recently_used
    selector: {{token_id: "aws:{PROD}:aws_access_key:*", owner: "*:user/legacy-export"}}
    reason: Break-glass export key kept for the yearly regulator extract; used once a year.
    approver: Head of Platform (S. Novak)
    ticket: SEC-1377
    expires: 2027-03-31
report:
  title: Personal access token and machine credential audit
  classification: CONFIDENTIAL — Northwind Labs internal audit
"""


def main(target: Path = HERE) -> None:
    rng = random.Random(SEED)
    crowd = people(rng)
    by_login = {p.login: p for p in crowd}
    prod_users = aws_users(rng, PROD, crowd, 36)
    dev_users = aws_users(rng, DEV, crowd, 30)
    fg = [Token(i, rng.choice(crowd).login, rng.choice([-1, -1, -1, 0, 1, 2, 3]), draws(rng)) for i in range(92)]
    fg.append(Token(92, "northwind-release-bot", -1, draws(rng)))
    classic = [Token(i, rng.choice(crowd).login, -1, draws(rng)) for i in range(56)]
    gl = [Token(i, "", rng.choice([-1, -1, -1, 0, 1, 2, 3]), draws(rng)) for i in range(104)]
    ado = [Token(i, "", rng.choice([-1, -1, 0, 1, 2, 3]), draws(rng)) for i in range(40)]
    jk = [Token(i, "", rng.choice([-1, -1, 0, 1, 2]), draws(rng)) for i in range(30)]
    gsa = [Token(i, "", -1, draws(rng)) for i in range(8)]
    index = []
    for q, (period, as_of) in enumerate(QUARTERS):
        folder = target / period
        local = random.Random(SEED + q)
        prod_csv, prod_keys = aws_report(PROD, prod_users, by_login, q, as_of, local)
        dev_csv, _ = aws_report(DEV, dev_users, by_login, q, as_of, local)
        grants, auths, members = github_payloads(local, crowd, fg, classic, q, as_of)
        tokens, users = gitlab_payloads(local, crowd, gl, q, as_of)
        ado_users, ado_tokens = azure_devops_payloads(crowd, ado, q, as_of)
        files = {
            "aws-prod/credential_report.csv": prod_csv,
            "aws-prod/access_keys.json": _json(prod_keys),
            "aws-dev/credential_report.csv": dev_csv,
            "github/personal_access_tokens.json": _json(grants),
            "github/credential_authorizations.json": _json(auths),
            "github/members.json": _json(members),
            "gitlab/personal_access_tokens.json": _json(tokens),
            "gitlab/users.json": _json(users),
            "azure_devops/users.json": _json(ado_users),
            "azure_devops/personal_access_tokens.json": _json(ado_tokens),
            "jenkins/tokens.json": _json(jenkins_payload(crowd, jk, q, as_of)),
            **{f"gcp/{GCP_PROJECT}/{name}": _json(payload) for name, payload in gcp_payloads(gsa, q, as_of).items()},
            "pataudit.yaml": config_text(period, as_of, q),
        }
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        index.append(f"  - {{folder: {period}, as_of: {as_of.isoformat()}}}")
    (target / "quarters.yaml").write_text(
        "# The demo's quarterly snapshots, audited in this order.\nquarters:\n" + "\n".join(index) + "\n",
        encoding="utf-8",
    )


def _json(payload: object) -> str:
    return json.dumps(payload, indent=1) + "\n"


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
