"""A small JSON-over-HTTP client for the REST APIs without an official Python client (Azure DevOps,
CircleCI, Terraform Cloud): auth header, bounded retries on 429/5xx honouring Retry-After, call counts."""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

import requests

from pataudit.errors import CollectionError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS = 4
MAX_WAIT_SECONDS = 30.0


def secret_from_env(name: str | None, what: str) -> str:
    """The credential held in environment variable `name` (config names the variable, never the secret)."""
    if not name:
        raise CollectionError(f"no {what}: set the source's *_env key to the name of an environment variable")
    value = os.environ.get(name)
    if not value:
        raise CollectionError(f"environment variable {name} ({what}) is not set")
    return value


class JsonClient:
    """GET JSON from one API with the given headers; every call is counted by `operation`."""

    def __init__(self, base_url: str, headers: dict[str, str], timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "pataudit", **headers})
        self.timeout = timeout
        self.calls: Counter = Counter()

    def get(self, path: str, operation: str, params: dict[str, Any] | None = None) -> requests.Response:
        """One GET, retried on throttling and server errors; other failures raise CollectionError."""
        url = path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.calls[operation] += 1
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except requests.RequestException as exc:
                if attempt == MAX_ATTEMPTS:
                    raise CollectionError(f"{operation}: {type(exc).__name__}: {exc}") from None
                time.sleep(min(2**attempt, MAX_WAIT_SECONDS))
                continue
            if response.status_code in RETRY_STATUSES and attempt < MAX_ATTEMPTS:
                time.sleep(_wait(response, attempt))
                continue
            if response.status_code >= 400:
                raise CollectionError(f"{operation}: HTTP {response.status_code} {_message(response)}".rstrip())
            return response
        raise CollectionError(f"{operation}: gave up after {MAX_ATTEMPTS} attempts")  # pragma: no cover

    def json(self, path: str, operation: str, params: dict[str, Any] | None = None) -> Any:
        """The decoded JSON body of one GET."""
        response = self.get(path, operation, params)
        try:
            return response.json()
        except ValueError:
            raise CollectionError(f"{operation}: response is not JSON") from None


def _wait(response: requests.Response, attempt: int) -> float:
    header = response.headers.get("Retry-After")
    if header and header.isdigit():
        return min(float(header), MAX_WAIT_SECONDS)
    return min(0.5 * 2**attempt, MAX_WAIT_SECONDS)


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    if isinstance(body, dict):
        for key in ("message", "error", "errors"):
            if key in body:
                return str(body[key])[:200]
    return response.reason or ""
