"""The run's manifest: every output file with its SHA-256 and size, plus run metadata; verify and sign it.

The report cannot hold the hash of a manifest that lists the report, so the report shows the *data digest*:
the SHA-256 of the manifest entries of every file except the report itself (`report.pdf`, `report.html`).
`manifest.json` records the same digest, and `verify` recomputes both.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from pataudit.errors import ConfigError, InputError

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
REPORT_FILES = frozenset({"report.pdf", "report.html"})
UNLISTED = frozenset({MANIFEST, SIGNATURE})


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_entries(folder: Path) -> list[dict[str, Any]]:
    """Every file under `folder` except the manifest and its signature, sorted by path."""
    entries = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative not in UNLISTED:
            entries.append({"path": relative, "sha256": sha256_file(path), "bytes": path.stat().st_size})
    return entries


def data_digest(entries: list[dict[str, Any]]) -> str:
    """SHA-256 of the entries of every file but the report (canonical JSON)."""
    data = [e for e in entries if e["path"] not in REPORT_FILES]
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def write_manifest(folder: Path, run: dict[str, Any]) -> str:
    """Write manifest.json for `folder`; returns the manifest's own SHA-256."""
    entries = file_entries(folder)
    document = {"manifest_version": 1, "run": {**run, "data_digest": data_digest(entries)}, "files": entries}
    data = (json.dumps(document, indent=1, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    (folder / MANIFEST).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def sign_manifest(folder: Path, key_path: Path) -> None:
    """Sign manifest.json with an Ed25519 private key (PEM, unencrypted) into manifest.json.sig (base64)."""
    try:
        key = load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"report.signing_key: cannot load an Ed25519 private key from {key_path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"report.signing_key: {key_path} is not an Ed25519 private key")
    signature = key.sign((folder / MANIFEST).read_bytes())
    (folder / SIGNATURE).write_text(base64.b64encode(signature).decode() + "\n")


def verify(folder: Path, public_key: Path | None = None) -> list[str]:
    """Every way the folder differs from its manifest (changed, missing, added files, digest, signature)."""
    try:
        manifest_bytes = (folder / MANIFEST).read_bytes()
        manifest = json.loads(manifest_bytes)
        listed = {entry["path"]: entry for entry in manifest["files"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{folder / MANIFEST}: not a readable pataudit manifest: {exc}") from None
    problems = []
    present = {e["path"]: e for e in file_entries(folder)}
    for path, entry in sorted(listed.items()):
        if path not in present:
            problems.append(f"missing: {path}")
        elif present[path]["sha256"] != entry["sha256"] or present[path]["bytes"] != entry["bytes"]:
            problems.append(f"changed: {path}")
    problems += [f"added: {path}" for path in sorted(set(present) - set(listed))]
    recorded = manifest.get("run", {}).get("data_digest")
    if recorded != data_digest(list(listed.values())):
        problems.append("changed: data digest in manifest.json does not match its file list")
    if public_key is not None:
        problems += _check_signature(folder, manifest_bytes, public_key)
    return problems


def _check_signature(folder: Path, manifest_bytes: bytes, public_key: Path) -> list[str]:
    try:
        key = load_pem_public_key(public_key.read_bytes())
    except (OSError, ValueError) as exc:
        raise InputError(f"{public_key}: not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{public_key}: not an Ed25519 public key")
    try:
        signature = base64.b64decode((folder / SIGNATURE).read_text().strip(), validate=True)
    except (OSError, ValueError):
        return [f"signature: {SIGNATURE} is missing or unreadable"]
    try:
        key.verify(signature, manifest_bytes)
    except InvalidSignature:
        return ["signature: INVALID for manifest.json"]
    return []
