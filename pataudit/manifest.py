"""The run's manifest: every output file with its SHA-256 and size, plus run metadata."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_entries(folder: Path) -> list[dict[str, Any]]:
    """Every file under `folder` except the manifest itself, sorted by path."""
    entries = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST):
        entries.append(
            {
                "path": path.relative_to(folder).as_posix(),
                "sha256": sha256_file(path),
                "bytes": path.stat().st_size,
            }
        )
    return entries


def write_manifest(folder: Path, run: dict[str, Any]) -> str:
    """Write manifest.json for `folder`; returns the manifest's own SHA-256."""
    document = {"manifest_version": 1, "run": run, "files": file_entries(folder)}
    data = (json.dumps(document, indent=1, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    (folder / MANIFEST).write_bytes(data)
    return hashlib.sha256(data).hexdigest()
