"""Reading the configured sources: payload-file checks, collection with progress, evidence written and read back."""

from __future__ import annotations

import gzip
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pataudit.collectors import Collection, collect_source
from pataudit.collectors.base import COLLECTION_NOTE
from pataudit.config import LoadedConfig
from pataudit.errors import ConfigError, InputError
from pataudit.reperform import SOURCE_ERRORS, reperformance_config, saved_source_errors, source_errors_json

Progress = Callable[[str], None]
PAYLOAD_FIELDS = (
    "credential_report",
    "access_keys",
    "authorization_details",
    "account_summary",
    "personal_access_tokens",
    "credential_authorizations",
    "members",
    "users",
    "tokens",
    "contexts",
    "deploy_tokens",
    "trigger_tokens",
    "outside_collaborators",
    "personal_access_token_requests",
    "actions_secrets",
    "deploy_keys",
    "installations",
)


def check_payload_files(loaded: LoadedConfig) -> None:
    """Fail fast, before anything is written, when a configured payload file does not exist."""
    for index, source in enumerate(loaded.config.sources):
        for field in PAYLOAD_FIELDS:
            relative = getattr(source, field, None)
            if relative is not None and not loaded.resolve(relative).is_file():
                raise ConfigError(
                    f"{loaded.path}: sources[{index}].{field}: file not found: {loaded.resolve(relative)}"
                )
        for folder_key in ("jenkins_home", "project_payloads"):
            folder = getattr(source, folder_key, None)
            if folder is not None and not loaded.resolve(folder).is_dir():
                raise ConfigError(
                    f"{loaded.path}: sources[{index}].{folder_key}: folder not found: {loaded.resolve(folder)}"
                )


def collect_all(loaded: LoadedConfig, progress: Progress) -> list[Collection]:
    """Collect every configured source in turn, reporting progress."""
    collections = []
    total = len(loaded.config.sources)
    for number, source in enumerate(loaded.config.sources, start=1):
        started = time.perf_counter()
        collection = collect_source(source, loaded, progress)
        record = collection.record
        state = "ok" if record.complete else "ERROR: " + "; ".join(e.message for e in record.errors)
        progress(
            f"[{number}/{total}] {record.label}: {record.token_count} tokens "
            f"({time.perf_counter() - started:.1f} s) {state}"
        )
        collections.append(collection)
    return collections


@contextmanager
def staged(out_dir: Path, tag: str) -> Iterator[Path]:
    """A staging folder beside `out_dir`, swapped into its place on success and removed on any failure."""
    staging = out_dir.parent / f".{out_dir.name}.staging-{tag}"
    staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_into_place(staging, out_dir)


def write_evidence(collections: list[Collection], folder: Path) -> None:
    """Every kept payload, gzipped without timestamps so the same payload gives the same bytes.

    Sources that could not be read in full leave their errors in `evidence/source_errors.json.gz`, so that
    judging the evidence later shows them as ERROR again instead of dropping them.
    """
    for collection in collections:
        for relative, data in sorted(collection.payloads.items()):
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(gzip.compress(data, mtime=0))
            collection.record.evidence_files.append(relative)
    failed = [c.record for c in collections if c.record.errors]
    if failed:
        (folder / "evidence").mkdir(parents=True, exist_ok=True)
        (folder / SOURCE_ERRORS).write_bytes(gzip.compress(source_errors_json(failed), mtime=0))


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    previous = None
    if out_dir.exists():
        previous = out_dir.parent / f".{out_dir.name}.previous-{staging.name.rsplit('-', 1)[-1]}"
        out_dir.rename(previous)
    staging.rename(out_dir)
    if previous is not None:
        shutil.rmtree(previous)


def evidence_collections(loaded: LoadedConfig, evidence: Path, progress: Progress) -> list[Collection]:
    """The collections an evidence folder holds: its payloads read again, and the sources that had failed."""
    evidence = evidence.resolve()  # source paths must not be taken as relative to the config's folder
    collections = collect_all(reperformance_config(loaded, evidence), progress)
    collections += [Collection(record=record) for record in saved_source_errors(evidence)]
    if not collections:
        raise InputError(f"{evidence}: holds no collected source (no <source>/<scope>/{COLLECTION_NOTE}.gz)")
    return collections
