"""Re-performing a run offline: rebuild file-mode sources from a run's `evidence/` folder.

Every collector keeps, per scope, the payloads its parser reads plus `collection.json` (label, type, scope,
data time). Pointing the file-mode parsers at those files, with the run's own config for policy and
waivers, re-derives the same findings.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pataudit.collectors.base import COLLECTION_NOTE, ScopeError, SourceRecord
from pataudit.collectors.github import PAYLOADS as GITHUB_PAYLOADS
from pataudit.config import (
    AnySource,
    AwsSource,
    AzureDevOpsSource,
    CircleciSource,
    Config,
    GcpSource,
    GithubFileSource,
    GitlabFileSource,
    JenkinsSource,
    LoadedConfig,
    TerraformCloudSource,
    source_label,
)
from pataudit.errors import InputError

SourceConfig = AnySource
SOURCE_ERRORS = "evidence/source_errors.json.gz"
# source type -> (config model, key naming its scope, {config key: evidence file}) for the newer sources
SAVED_FORMS: dict[str, tuple[type, str, dict[str, str]]] = {
    "azure_devops": (
        AzureDevOpsSource,
        "organization",
        {"users": "users.json", "personal_access_tokens": "personal_access_tokens.json"},
    ),
    "jenkins": (JenkinsSource, "server", {"tokens": "tokens.json"}),
    "circleci": (CircleciSource, "owner_id", {"contexts": "contexts.json"}),
    "terraform_cloud": (TerraformCloudSource, "organization", {"tokens": "tokens.json"}),
}


def _note(folder: Path) -> dict[str, Any]:
    try:
        return json.loads(gzip.decompress((folder / f"{COLLECTION_NOTE}.gz").read_bytes()))
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder}: no readable {COLLECTION_NOTE}.gz: {exc}") from None


def _present(folder: Path, name: str) -> Path | None:
    path = folder / f"{name}.gz"
    return path if path.is_file() else None


def _aws(folder: Path, note: dict[str, Any], original: AwsSource | None, name: str) -> AwsSource:
    return AwsSource(
        type="aws",
        name=name,
        account_id=note["scope"],
        owner_tag=original.owner_tag if original else None,
        credential_report=folder / "credential_report.csv.gz",
        credential_report_generated_at=note["data_as_of"],
        access_keys=_present(folder, "access_keys.json"),
        authorization_details=_present(folder, "authorization_details.json"),
        account_summary=_present(folder, "account_summary.json"),
    )


def _github(folder: Path, note: dict[str, Any], name: str) -> GithubFileSource:
    files = {key: _present(folder, f"{key}.json") for key in GITHUB_PAYLOADS}
    return GithubFileSource(type="github", name=name, org=note["scope"], collected_at=note["data_as_of"], **files)


def _gitlab(folder: Path, note: dict[str, Any], name: str) -> GitlabFileSource:
    keys = ("personal_access_tokens", "users", "deploy_tokens", "trigger_tokens")
    files = {key: _present(folder, f"{key}.json") for key in keys}
    if not any(files.values()):
        raise InputError(f"{folder}: no GitLab payloads to re-perform")
    return GitlabFileSource(type="gitlab", name=name, instance=note["scope"], collected_at=note["data_as_of"], **files)


def sources_from_evidence(evidence: Path, config: Config) -> list[SourceConfig]:
    """File-mode sources for every scope kept under `evidence/<type>/<scope>/`, in the original order."""
    if not evidence.is_dir():
        raise InputError(f"{evidence}: not an evidence folder")
    notes = [(folder, _note(folder)) for folder in sorted(evidence.glob("*/*")) if folder.is_dir()]
    labels = [n["label"] for _, n in notes]
    by_label = {source_label(s): s for s in config.sources}
    sources: list[SourceConfig] = []
    for folder, note in notes:
        name = note["label"] if labels.count(note["label"]) == 1 else f"{note['label']}/{note['scope']}"
        if note["type"] == "aws":
            original = by_label.get(note["label"])
            sources.append(_aws(folder, note, original if isinstance(original, AwsSource) else None, name))
        elif note["type"] == "github":
            sources.append(_github(folder, note, name))
        elif note["type"] == "gitlab":
            sources.append(_gitlab(folder, note, name))
        elif note["type"] == "gcp":
            sources.append(
                GcpSource(
                    type="gcp",
                    name=name,
                    project_id=note["scope"],
                    project_payloads=folder,
                    collected_at=note["data_as_of"],
                )
            )
        elif note["type"] in SAVED_FORMS:
            model, scope_key, files = SAVED_FORMS[note["type"]]
            paths = {key: _present(folder, file) for key, file in files.items()}
            sources.append(
                model(
                    type=note["type"], name=name, collected_at=note["data_as_of"], **{scope_key: note["scope"]}, **paths
                )
            )
        else:
            raise InputError(f"{folder}: cannot re-perform source type {note['type']!r}")
    return sources


def reperformance_config(loaded: LoadedConfig, evidence: Path) -> LoadedConfig:
    """The run's config with its sources replaced by the evidence kept in `evidence`."""
    config = loaded.config.model_copy(update={"sources": sources_from_evidence(evidence, loaded.config)})
    return LoadedConfig(config=config, path=loaded.path, sha256=loaded.sha256)


def source_errors_json(records: list[SourceRecord]) -> bytes:
    """The records of sources that were not read in full, as kept beside their evidence (see `saved_source_errors`)."""
    kept = [record.to_dict() for record in records]
    return (json.dumps(kept, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def saved_source_errors(evidence: Path) -> list[SourceRecord]:
    """Records of the sources an evidence folder says could not be read (none when the file is absent)."""
    path = evidence.parent / SOURCE_ERRORS
    if not path.is_file():
        return []
    try:
        kept = json.loads(gzip.decompress(path.read_bytes()))
        return [
            SourceRecord(
                label=item["label"],
                type=item["type"],
                scope=item["scope"],
                method=item["method"],
                started_at=datetime.fromisoformat(item["started_at"]),
                errors=[ScopeError(scope=e["scope"], message=e["message"]) for e in item["errors"]],
            )
            for item in kept
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a readable list of source errors: {exc}") from None
