"""Reading saved API payloads from disk, with one-line errors that name the file and the problem."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from pataudit.collectors.redact import drop_secrets
from pataudit.errors import CollectionError


def read_bytes(path: Path) -> bytes:
    """The file's bytes, transparently un-gzipped when it ends in .gz."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CollectionError(f"{path}: cannot read payload file: {exc.strerror}") from None
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise CollectionError(f"{path}: not a valid gzip file: {exc}") from None
    return data


def read_json_list(
    path: Path, *, key: str | None = None, extra: frozenset[str] = frozenset(), whole_object: bool = False
) -> list[dict[str, Any]]:
    """A saved JSON payload as a list of objects, secrets dropped.

    Accepts a JSON array, one object wrapping the array under `key`, or a list of pages (arrays),
    which is how a paginated API response is saved. With `whole_object`, a single object (one response
    page, as the AWS CLI prints a merged paginated response) is a list of one.
    """
    try:
        payload = json.loads(read_bytes(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CollectionError(f"{path}: not valid JSON: {exc}") from None
    if key and isinstance(payload, dict) and key in payload:
        payload = payload[key]
    elif whole_object and isinstance(payload, dict):
        payload = [payload]
    if isinstance(payload, list) and payload and all(isinstance(page, list) for page in payload):
        payload = [item for page in payload for item in page]
    if not isinstance(payload, list) or not all(isinstance(item, dict) for item in payload):
        expected = f"a JSON array of objects (or an object with {key!r})" if key else "a JSON array of objects"
        raise CollectionError(f"{path}: expected {expected}")
    return drop_secrets(payload, extra)


def read_json_object(path: Path) -> dict[str, Any]:
    """A saved JSON object (a single API response), secrets dropped."""
    try:
        payload = json.loads(read_bytes(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CollectionError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise CollectionError(f"{path}: expected a JSON object")
    return drop_secrets(payload)


def canonical_json(payload: Any) -> bytes:
    """Stable JSON bytes for evidence files: sorted keys, UTF-8, newline-terminated."""
    return (json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str) + "\n").encode("utf-8")
