"""Jenkins API tokens of every user: name, creation date, last use, use count, legacy flag.

Live: a fixed, read-only Groovy script run through the script console (python-jenkins `run_script`) prints
the tokens as JSON. Offline: a copy of `$JENKINS_HOME` (`users/*/config.xml` and `users/*/apiTokenStats.xml`).
Both give the same `tokens.json`; token hashes are skipped while parsing and never kept.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any

import jenkins

from pataudit.collectors.base import Collection
from pataudit.collectors.http_json import secret_from_env
from pataudit.collectors.payload_files import canonical_json, read_json_list
from pataudit.errors import CollectionError
from pataudit.inventory import make_row, token_id
from pataudit.timeparse import parse_timestamp

KINDS = ("jenkins_api_token",)
PERMISSIONS = ("Overall/Administer (the script console runs only for administrators)",)
STORE_TAG = "jenkins.security.apitoken.ApiTokenStore_-HashedToken"
STATS_TAG = "jenkins.security.apitoken.ApiTokenStats_-SingleTokenStats"

# Read-only: it lists users and their token metadata and prints JSON; it changes nothing and prints no hash.
LIST_TOKENS_SCRIPT = """
import groovy.json.JsonOutput
import jenkins.security.ApiTokenProperty
def out = []
hudson.model.User.getAll().each { u ->
  def p = u.getProperty(ApiTokenProperty.class)
  if (p == null) { return }
  def tokens = p.getTokenList().collect { t -> [
    uuid: t.uuid, name: t.name, creationDate: t.creationDate?.format("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
    useCounter: t.useCounter, lastUseDate: t.lastUseDate?.format("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"), legacy: t.isLegacy
  ] }
  out << [user: u.id, fullName: u.fullName, tokens: tokens]
}
println(JsonOutput.toJson(out))
"""


def parse_tokens(users: list[dict[str, Any]], *, server: str, collected_at: datetime, evidence: str) -> list[dict]:
    """One row per API token of every user."""
    rows = []
    for user in users:
        for token in user.get("tokens") or []:
            try:
                legacy = bool(token.get("legacy"))
                rows.append(
                    make_row(
                        token_id=token_id("jenkins", server, "jenkins_api_token", f"{user['user']}/{token['uuid']}"),
                        source="jenkins",
                        scope=server,
                        kind="jenkins_api_token",
                        name=(token.get("name") or "") + (" (legacy)" if legacy else ""),
                        owner=user["user"],
                        owner_type="human",
                        created_at=parse_timestamp(token.get("creationDate")),
                        last_used_at=parse_timestamp(token.get("lastUseDate")),
                        scopes=f"uses={int(token.get('useCounter') or 0)}" + (" legacy" if legacy else ""),
                        privilege="unknown",
                        resource_scope="all",
                        collected_at=collected_at,
                        evidence=evidence,
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise CollectionError(f"Jenkins user {user.get('user', '?')}: bad token entry: {exc}") from None
    return rows


def _text(element: ET.Element | None, path: str) -> str | None:
    found = element.find(path) if element is not None else None
    return found.text.strip() if found is not None and found.text else None


def read_jenkins_home(home: Path) -> list[dict[str, Any]]:
    """Token metadata from a `$JENKINS_HOME` copy (no hash is kept)."""
    users_dir = home / "users"
    if not users_dir.is_dir():
        raise CollectionError(f"{home}: no users/ folder: not a JENKINS_HOME copy")
    users = []
    for config in sorted(users_dir.glob("*/config.xml")):
        try:
            root = ET.parse(config).getroot()
            stats_file = config.parent / "apiTokenStats.xml"
            stats_root = ET.parse(stats_file).getroot() if stats_file.is_file() else None
        except ET.ParseError as exc:
            raise CollectionError(f"{config.relative_to(home)}: not valid XML: {exc}") from None
        stats = {_text(s, "tokenUuid"): s for s in (stats_root.iter(STATS_TAG) if stats_root is not None else [])}
        tokens = []
        for item in root.iter(STORE_TAG):
            uuid = _text(item, "uuid")
            stat = stats.get(uuid)
            tokens.append(
                {
                    "uuid": uuid,
                    "name": _text(item, "name"),
                    "creationDate": _text(item, "creationDate"),
                    "useCounter": int(_text(stat, "useCounter") or 0),
                    "lastUseDate": _text(stat, "lastUseDate"),
                    "legacy": False,
                }
            )
        if root.find(".//jenkins.security.ApiTokenProperty/apiToken") is not None:
            tokens.append(
                {
                    "uuid": "legacy",
                    "name": "legacy API token",
                    "creationDate": None,
                    "useCounter": 0,
                    "lastUseDate": None,
                    "legacy": True,
                }
            )
        users.append(
            {"user": _text(root, "id") or config.parent.name, "fullName": _text(root, "fullName"), "tokens": tokens}
        )
    return users


def fetch(url: str, user_env: str | None, token_env: str | None) -> list[dict[str, Any]]:
    """Run the read-only script through the script console and decode its JSON."""
    server = jenkins.Jenkins(
        url,
        username=secret_from_env(user_env, "Jenkins user"),
        password=secret_from_env(token_env, "Jenkins API token"),
        timeout=60,
    )
    try:
        output = server.run_script(LIST_TOKENS_SCRIPT)
    except (jenkins.JenkinsException, OSError) as exc:
        raise CollectionError(f"script console: {exc}".splitlines()[0]) from None
    try:
        users = json.loads(output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise CollectionError("script console: the token listing did not print JSON") from None
    return users


def collect(
    *,
    label: str,
    server: str,
    url: str | None,
    user_env: str | None,
    token_env: str | None,
    jenkins_home: Path | None,
    tokens_file: Path | None,
    collected_at: datetime | None,
    started_at: datetime,
) -> Collection:
    """Live (script console), from a JENKINS_HOME copy, or from a saved tokens.json, into a Collection."""
    if tokens_file:
        method, users, data_time = "saved payloads (tokens.json)", read_json_list(tokens_file), collected_at
    elif jenkins_home:
        method, users, data_time = "offline ($JENKINS_HOME copy)", read_jenkins_home(jenkins_home), collected_at
    else:
        method, users, data_time = (
            "live (script console, read-only script)",
            fetch(url or "", user_env, token_env),
            started_at,
        )
    collection = Collection.begin(
        label=label,
        type="jenkins",
        scope=server,
        method=method,
        started_at=started_at,
        permissions=PERMISSIONS,
        data_as_of=data_time,
    )
    if method.startswith("live"):
        collection.record.api_calls = {"scriptText": 1}
    evidence = collection.keep(server, "tokens.json", canonical_json(users))
    collection.rows = parse_tokens(users, server=server, collected_at=data_time or started_at, evidence=evidence)
    return collection
