"""One audit run: collect → check → report → store, writing the run's output folder atomically."""

from __future__ import annotations

import gzip
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pataudit import __version__, inventory
from pataudit.checks.catalog import default_catalog
from pataudit.checks.engine import EngineInput, evaluate, mark_stale_sources
from pataudit.checks.params import ResolvedParams, resolve_params
from pataudit.checks.scoring import control_scores, overall_score
from pataudit.collectors import Collection, collect_source
from pataudit.config import LoadedConfig
from pataudit.errors import ConfigError, PatauditError
from pataudit.history.lifecycle import OPEN_STATUSES
from pataudit.history.metrics import remediation
from pataudit.history.record import read_run_output, unread_scopes
from pataudit.history.store import Store, default_url
from pataudit.manifest import data_digest, file_entries, sign_manifest, write_manifest
from pataudit.reperform import SOURCE_ERRORS, reperformance_config, saved_source_errors, source_errors_json
from pataudit.reports import render, tables, viewmodel
from pataudit.reports.pdf import EmbeddedFile
from pataudit.reports.xlsx import write_findings_xlsx
from pataudit.run_result import RunResult

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


def validate_policy(loaded: LoadedConfig) -> dict[str, ResolvedParams]:
    """Check the policy and waivers against the catalog before anything is collected or written."""
    catalog = default_catalog()
    try:
        params = resolve_params(catalog, loaded.config.policy)
    except ConfigError as exc:
        raise ConfigError(f"{loaded.path}: {exc}") from None
    for index, waiver in enumerate(loaded.config.waivers):
        if waiver.control not in catalog.controls:
            raise ConfigError(
                f"{loaded.path}: waivers[{index}].control: unknown control {waiver.control!r}; "
                "`pataudit controls` lists the valid ids"
            )
    return params


def judge(
    loaded: LoadedConfig, collections: list[Collection], as_of: datetime, history: pd.DataFrame | None = None
) -> RunResult:
    """Build the inventory from the collections and run the catalog over it."""
    started = datetime.now(UTC)
    config = loaded.config
    catalog = default_catalog()
    params = validate_policy(loaded)
    settings = config.policy.controls
    enabled = [c for c in catalog.controls if c not in settings or settings[c].enabled]
    frame = inventory.to_frame(row for c in collections for row in c.rows)
    problems = inventory.validate(frame)
    if problems:
        raise PatauditError("inventory does not match its contract: " + "; ".join(problems))
    records = [c.record for c in collections]
    mark_stale_sources(records, as_of, config.policy.max_evidence_age_hours)
    findings = evaluate(
        EngineInput(
            inventory=frame,
            records=records,
            catalog=catalog,
            params=params,
            waivers=config.waivers,
            as_of=as_of,
            max_evidence_age_hours=config.policy.max_evidence_age_hours,
            enabled=enabled,
        )
    )
    scores = control_scores(findings, catalog, enabled)
    return RunResult(
        run_id=f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}",
        config=config,
        config_sha256=loaded.sha256,
        as_of=as_of,
        started_at=started,
        catalog=catalog,
        params=params,
        enabled_controls=enabled,
        records=records,
        inventory=frame,
        findings=findings,
        scores=scores,
        overall_score=overall_score(scores),
        history=history if history is not None else pd.DataFrame(),
    )


@dataclass
class WrittenRun:
    """Where a run's output went and the manifest that seals it."""

    out_dir: Path
    manifest_sha256: str
    finished_at: datetime


def write_run(loaded: LoadedConfig, result: RunResult, collections: list[Collection], out_dir: Path) -> WrittenRun:
    """Write every output into a staging folder, then swap it into place (an old run is kept until then).

    Order: evidence and data files, then the report (which shows the data digest of those files and
    carries findings.csv and inventory.csv as attachments), then the manifest of everything, then its
    signature when a signing key is configured.
    """
    signing_key = loaded.config.report.signing_key
    with staged(out_dir, result.run_id) as staging:
        write_evidence(collections, staging)
        write_tables(result, staging)
        (staging / "config.yaml").write_bytes(loaded.path.read_bytes())
        entries = file_entries(staging)
        attachments = [
            EmbeddedFile.of(staging / "findings.csv", "Every finding of the run (control x token)", result.started_at),
            EmbeddedFile.of(staging / "inventory.csv", "Every credential in scope", result.started_at),
        ]
        view = viewmodel.build(
            result, datetime.now(UTC), entries, data_digest(entries), signed=bool(signing_key),
            attachments=[a.name for a in attachments],
        )  # fmt: skip
        html = render.render_html(view)
        (staging / "report.html").write_text(html, encoding="utf-8")
        render.render_pdf(html, staging / "report.pdf", attachments)
        finished = datetime.now(UTC)
        manifest_sha = write_manifest(staging, run_metadata(result, finished))
        if signing_key:
            sign_manifest(staging, loaded.resolve(signing_key))
    return WrittenRun(out_dir=out_dir, manifest_sha256=manifest_sha, finished_at=finished)


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


@dataclass
class CollectedEvidence:
    """What `pataudit collect` kept: the collections and the folder holding their evidence."""

    collections: list[Collection]
    out_dir: Path

    @property
    def complete(self) -> bool:
        """True when every source was read in full."""
        return all(c.record.complete for c in self.collections)


def collect_evidence(loaded: LoadedConfig, out_dir: Path, progress: Progress) -> CollectedEvidence:
    """Read every source and keep what was read, without judging it (judge later with `run --evidence`).

    Writes `evidence/`, `config.yaml`, `inventory.csv`, `sources.json` and a `manifest.json` sealing them.
    """
    check_payload_files(loaded)
    validate_policy(loaded)
    started = datetime.now(UTC)
    collections = collect_all(loaded, progress)
    frame = inventory.to_frame(row for c in collections for row in c.rows)
    problems = inventory.validate(frame)
    if problems:
        raise PatauditError("inventory does not match its contract: " + "; ".join(problems))
    records = [c.record for c in collections]
    with staged(out_dir, f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}") as staging:
        write_evidence(collections, staging)
        tables.write_inventory_csv(frame, staging / "inventory.csv")
        tables.write_source_records(records, staging / "sources.json")
        (staging / "config.yaml").write_bytes(loaded.path.read_bytes())
        metadata = {
            "kind": "collection",
            "tool": "pataudit",
            "tool_version": __version__,
            "organization": loaded.config.organization,
            "period": loaded.config.period,
            "started_at": started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "config_sha256": loaded.sha256,
            "complete": all(r.complete for r in records),
            "token_count": len(frame),
        }
        write_manifest(staging, metadata)
        if loaded.config.report.signing_key:
            sign_manifest(staging, loaded.resolve(loaded.config.report.signing_key))
    return CollectedEvidence(collections=collections, out_dir=out_dir)


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


def write_tables(result: RunResult, folder: Path, *, full: bool = True) -> None:
    """findings.csv/.json, inventory.csv, controls.csv; with `full`, also findings.xlsx and sources.json."""
    table = tables.findings_table(result)
    tables.write_findings_csv(table, folder / "findings.csv")
    tables.write_findings_json(result, table, folder / "findings.json")
    tables.write_inventory_csv(result.inventory, folder / "inventory.csv")
    tables.write_controls_csv(result, folder / "controls.csv")
    if full:
        write_findings_xlsx(result, table, folder / "findings.xlsx")
        tables.write_sources_json(result, folder / "sources.json")


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    previous = None
    if out_dir.exists():
        previous = out_dir.parent / f".{out_dir.name}.previous-{staging.name.rsplit('-', 1)[-1]}"
        out_dir.rename(previous)
    staging.rename(out_dir)
    if previous is not None:
        shutil.rmtree(previous)


def run_metadata(result: RunResult, finished: datetime) -> dict:
    """The run's metadata as recorded in the manifest and the store."""
    return {
        "run_id": result.run_id,
        "tool": "pataudit",
        "tool_version": __version__,
        "organization": result.config.organization,
        "period": result.config.period,
        "as_of": result.as_of.isoformat(),
        "started_at": result.started_at.isoformat(),
        "finished_at": finished.isoformat(),
        "config_sha256": result.config_sha256,
        "complete": result.complete,
        "overall_score": result.overall_score,
        "token_count": len(result.inventory),
        "controls": result.enabled_controls,
    }


def open_store(loaded: LoadedConfig, override: str | None = None) -> Store:
    """The history store named on the command line, in the config, or the default SQLite file."""
    return Store(override or loaded.config.store.url or default_url())


@dataclass
class RunOutcome:
    """What `pataudit run` reports back: the result and where it was written."""

    result: RunResult
    written: WrittenRun


def execute(
    loaded: LoadedConfig,
    out_dir: Path,
    as_of: datetime,
    progress: Progress,
    store_url: str | None = None,
    evidence: Path | None = None,
) -> RunOutcome:
    """The whole run: collect, check, write the output folder, then record it in the history store.

    With `evidence` (the `evidence/` folder of `pataudit collect` or of an earlier run) nothing is read
    from the platforms: the sources are that evidence, judged with this config's policy and waivers.
    """
    if evidence is None:
        check_payload_files(loaded)
    validate_policy(loaded)
    store = open_store(loaded, store_url)
    collections = evidence_collections(loaded, evidence, progress) if evidence else collect_all(loaded, progress)
    history = store.runs(loaded.config.organization)
    result = judge(loaded, collections, as_of, history)
    earlier = history[history["as_of"] < as_of] if len(history) else history
    if len(earlier):
        result.previous_open = store.open_findings(earlier.iloc[-1]["run_id"])
    opened = result.findings[result.findings["status"].isin(OPEN_STATUSES)]
    opened = opened[["control_id", "token_id", "severity"]].astype(str)
    unread = [f"{r.type}:{scope}:" for r in result.records if not r.complete for scope in unread_scopes(r)]
    followed = store.lifecycle_with(loaded.config.organization, result.run_id, as_of, opened, unread)
    result.first_failed = followed.rename(columns={"first_seen_as_of": "first_seen"})[
        ["control_id", "token_id", "first_seen"]
    ]
    result.remediation = remediation(followed, loaded.config.policy.sla_days, as_of)
    progress(f"checked {len(result.inventory)} tokens against {len(result.enabled_controls)} controls")
    written = write_run(loaded, result, collections, out_dir)
    store.record(read_run_output(out_dir))
    return RunOutcome(result=result, written=written)


def evidence_collections(loaded: LoadedConfig, evidence: Path, progress: Progress) -> list[Collection]:
    """The collections an evidence folder holds: its payloads read again, and the sources that had failed."""
    evidence = evidence.resolve()  # source paths must not be taken as relative to the config's folder
    collections = collect_all(reperformance_config(loaded, evidence), progress)
    return collections + [Collection(record=record) for record in saved_source_errors(evidence)]


def reperform(loaded: LoadedConfig, evidence: Path, out_dir: Path, as_of: datetime, progress: Progress) -> RunResult:
    """Re-derive a run's findings from its evidence folder; writes the tables (no report, nothing stored)."""
    collections = evidence_collections(loaded, evidence, progress)
    result = judge(loaded, collections, as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_tables(result, out_dir, full=False)
    return result
