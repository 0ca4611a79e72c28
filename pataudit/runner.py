"""One audit run: collect → check → report → store, writing the run's output folder atomically."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pataudit import __version__, inventory
from pataudit.checks.catalog import default_catalog
from pataudit.checks.engine import EngineInput, evaluate, mark_stale_sources
from pataudit.checks.params import ResolvedParams, resolve_params
from pataudit.checks.scoring import control_scores, overall_score
from pataudit.collecting import (
    Progress,
    check_payload_files,
    collect_all,
    evidence_collections,
    staged,
    write_evidence,
)
from pataudit.collectors import Collection
from pataudit.config import LoadedConfig
from pataudit.errors import ConfigError, PatauditError
from pataudit.history.lifecycle import OPEN_STATUSES
from pataudit.history.metrics import remediation
from pataudit.history.record import read_run_output, unread_scopes
from pataudit.history.store import Store, default_url
from pataudit.manifest import data_digest, file_entries, sign_manifest, write_manifest
from pataudit.reports import render, tables, viewmodel
from pataudit.reports.pdf import EmbeddedFile
from pataudit.reports.xlsx import write_findings_xlsx
from pataudit.run_result import RunResult


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


def new_run_id(started: datetime) -> str:
    """A run id: its start time to the second, then random hex so two runs in one second differ."""
    return f"{started:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def inventory_frame(collections: list[Collection]) -> pd.DataFrame:
    """The inventory of all collections as one frame, checked against its contract."""
    frame = inventory.to_frame(row for c in collections for row in c.rows)
    problems = inventory.validate(frame)
    if problems:
        raise PatauditError("inventory does not match its contract: " + "; ".join(problems))
    return frame


def seal(loaded: LoadedConfig, folder: Path, metadata: dict) -> str:
    """Write the folder's manifest, signed when the config names a key; returns the manifest's SHA-256."""
    manifest_sha = write_manifest(folder, metadata)
    if loaded.config.report.signing_key:
        sign_manifest(folder, loaded.resolve(loaded.config.report.signing_key))
    return manifest_sha


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
    frame = inventory_frame(collections)
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
        run_id=new_run_id(started),
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
            result, datetime.now(UTC), entries, data_digest(entries), signed=bool(loaded.config.report.signing_key),
            attachments=[a.name for a in attachments],
        )  # fmt: skip
        html = render.render_html(view)
        (staging / "report.html").write_text(html, encoding="utf-8")
        render.render_pdf(html, staging / "report.pdf", attachments)
        finished = datetime.now(UTC)
        manifest_sha = seal(loaded, staging, run_metadata(result, finished))
    return WrittenRun(out_dir=out_dir, manifest_sha256=manifest_sha, finished_at=finished)


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
    frame = inventory_frame(collections)
    records = [c.record for c in collections]
    with staged(out_dir, new_run_id(started)) as staging:
        write_evidence(collections, staging)
        tables.write_inventory_csv(frame, staging / "inventory.csv")
        tables.write_sources_json(records, staging / "sources.json")
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
        seal(loaded, staging, metadata)
    return CollectedEvidence(collections=collections, out_dir=out_dir)


def write_tables(result: RunResult, folder: Path, *, full: bool = True) -> None:
    """findings.csv/.json, inventory.csv, controls.csv; with `full`, also findings.xlsx and sources.json."""
    table = tables.findings_table(result)
    tables.write_findings_csv(table, folder / "findings.csv")
    tables.write_findings_json(result, table, folder / "findings.json")
    tables.write_inventory_csv(result.inventory, folder / "inventory.csv")
    tables.write_controls_csv(result, folder / "controls.csv")
    if full:
        write_findings_xlsx(result, table, folder / "findings.xlsx")
        tables.write_sources_json(result.records, folder / "sources.json")


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


def reperform(loaded: LoadedConfig, evidence: Path, out_dir: Path, as_of: datetime, progress: Progress) -> RunResult:
    """Re-derive a run's findings from its evidence folder; writes the tables (no report, nothing stored)."""
    collections = evidence_collections(loaded, evidence, progress)
    result = judge(loaded, collections, as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_tables(result, out_dir, full=False)
    return result
