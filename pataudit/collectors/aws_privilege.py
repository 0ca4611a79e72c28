"""Effective privilege of IAM users from GetAccountAuthorizationDetails (documented in docs/privilege-mapping.md).

- admin: the user can do `*` on `*` — AdministratorAccess attached, or any Allow statement whose Action
  is `*` and whose Resource is `*`, directly, inline or through a group.
- write: any allowed action that changes state (a service wildcard such as `s3:*`, or an action whose
  name starts with a mutating verb such as Put, Create, Delete, Update, Attach, PassRole), or an AWS
  managed policy named *FullAccess or PowerUserAccess.
- read: only non-mutating actions (Get, List, Describe, …), or no permissions at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

ADMIN_POLICY_ARNS = frozenset({"arn:aws:iam::aws:policy/AdministratorAccess"})
WRITE_VERBS = (
    "Put", "Create", "Delete", "Update", "Attach", "Detach", "Modify", "Add", "Remove", "Set", "Tag", "Untag",
    "Start", "Stop", "Run", "Invoke", "Send", "Publish", "Write", "Upload", "Copy", "Restore", "Reset", "Change",
    "Enable", "Disable", "Associate", "Disassociate", "Register", "Deregister", "Replace", "Terminate", "Reboot",
    "Import", "Pass", "Execute", "Batch", "Revoke", "Authorize", "Cancel", "Purge", "Rotate", "Assume",
)  # fmt: skip
RANK = {"read": 0, "write": 1, "admin": 2}


def _document(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        raw = json.loads(unquote(raw))
    return raw or {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def document_privilege(raw: Any) -> str:
    """Privilege granted by one policy document."""
    level = "read"
    for statement in _as_list(_document(raw).get("Statement", [])):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow" or "Action" not in statement:
            continue
        actions = [str(a) for a in _as_list(statement["Action"])]
        resources = [str(r) for r in _as_list(statement.get("Resource", []))]
        if "*" in actions and "*" in resources:
            return "admin"
        if any(_mutates(action) for action in actions):
            level = "write"
    return level


def _mutates(action: str) -> bool:
    if action == "*" or action.endswith(":*"):
        return True
    name = action.split(":", 1)[-1]
    return name.startswith(WRITE_VERBS) or (name.endswith("*") and not name.startswith(("Get", "List", "Describe")))


def _managed_privilege(arn: str, local_documents: dict[str, Any]) -> str:
    if arn in ADMIN_POLICY_ARNS:
        return "admin"
    if arn in local_documents:
        return document_privilege(local_documents[arn])
    name = arn.rsplit("/", 1)[-1]
    if name.endswith("FullAccess") or name == "PowerUserAccess":
        return "write"
    return "read"


def _highest(levels: Iterable[str]) -> str:
    return max(levels, key=RANK.__getitem__, default="read")


def user_privileges(pages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per user name: privilege, the policies that grant it, and the user's tags."""
    users = [u for page in pages for u in page.get("UserDetailList", [])]
    groups = {g["GroupName"]: g for page in pages for g in page.get("GroupDetailList", [])}
    local = {}
    for page in pages:
        for policy in page.get("Policies", []):
            default = next((v for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), None)
            if default is not None:
                local[policy["Arn"]] = default.get("Document")
    result = {}
    for user in users:
        levels = [document_privilege(p.get("PolicyDocument")) for p in user.get("UserPolicyList", [])]
        levels += [_managed_privilege(p["PolicyArn"], local) for p in user.get("AttachedManagedPolicies", [])]
        for group_name in user.get("GroupList", []):
            group = groups.get(group_name, {})
            levels += [document_privilege(p.get("PolicyDocument")) for p in group.get("GroupPolicyList", [])]
            levels += [_managed_privilege(p["PolicyArn"], local) for p in group.get("AttachedManagedPolicies", [])]
        result[user["UserName"]] = {
            "privilege": _highest(levels),
            "tags": {t["Key"]: t["Value"] for t in user.get("Tags", [])},
        }
    return result
