"""Which collector reads which configured source; failures become ERROR records, never exceptions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pataudit.collectors import (
    aws,
    aws_live,
    azure_devops,
    circleci,
    gcp,
    gcp_live,
    github,
    github_live,
    gitlab,
    gitlab_live,
    jenkins,
    terraform_cloud,
)
from pataudit.collectors.base import Collection, ScopeError, SourceRecord
from pataudit.config import (
    AnySource,
    AwsSource,
    AzureDevOpsSource,
    CircleciSource,
    GcpSource,
    GithubFileSource,
    GitlabFileSource,
    JenkinsSource,
    LoadedConfig,
    TerraformCloudSource,
    source_label,
)
from pataudit.errors import CollectionError

Progress = Callable[[str], None]
SourceConfig = AnySource
KINDS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "aws": aws.KINDS,
    "github": github.KINDS,
    "gitlab": gitlab.KINDS,
    "azure_devops": azure_devops.KINDS,
    "jenkins": jenkins.KINDS,
    "circleci": circleci.KINDS,
    "terraform_cloud": terraform_cloud.KINDS,
    "gcp": gcp.KINDS,
}


def kinds_for(source_type: str) -> tuple[str, ...]:
    """The credential kinds a source type can produce."""
    return KINDS_BY_TYPE[source_type]


def _collect_aws(source: AwsSource, loaded: LoadedConfig, label: str, now: datetime, progress: Progress) -> Collection:
    if source.live:
        return aws_live.collect_live(source, label, now, progress)
    assert source.credential_report is not None and source.account_id is not None
    return aws.collect_from_files(
        label=label,
        account_id=source.account_id,
        credential_report=loaded.resolve(source.credential_report),
        generated_at=source.credential_report_generated_at,
        access_keys=_optional(loaded, source.access_keys),
        authorization_details=_optional(loaded, source.authorization_details),
        account_summary=_optional(loaded, source.account_summary),
        owner_tag=source.owner_tag,
        started_at=now,
    )


def _optional(loaded: LoadedConfig, relative: Path | None) -> Path | None:
    return loaded.resolve(relative) if relative else None


def _collect_github(
    source: GithubFileSource, loaded: LoadedConfig, label: str, now: datetime, progress: Progress
) -> Collection:
    if source.live:
        return github_live.collect_live(source, label, now, progress)
    files = {name: _optional(loaded, getattr(source, name)) for name in github.PAYLOADS}
    return github.collect_from_files(
        label=label, org=source.org, files=files, collected_at=source.collected_at, started_at=now
    )


def _collect_gitlab(
    source: GitlabFileSource, loaded: LoadedConfig, label: str, now: datetime, progress: Progress
) -> Collection:
    if source.url:
        return gitlab_live.collect_live(
            label=label,
            instance=source.instance,
            url=source.url,
            token_env=source.token_env,
            group=source.group,
            started_at=now,
            progress=progress,
        )
    return gitlab.collect_from_files(
        label=label,
        instance=source.instance,
        personal_access_tokens=_optional(loaded, source.personal_access_tokens),
        users=_optional(loaded, source.users),
        deploy_tokens=_optional(loaded, source.deploy_tokens),
        trigger_tokens=_optional(loaded, source.trigger_tokens),
        collected_at=source.collected_at,
        started_at=now,
    )


def _collect_azure_devops(
    source: AzureDevOpsSource, loaded: LoadedConfig, label: str, now: datetime, progress: Progress
) -> Collection:
    return azure_devops.collect(
        label=label,
        organization=source.organization,
        base_url=source.base_url,
        token_env=source.token_env,
        bearer_env=source.bearer_env,
        users_file=_optional(loaded, source.users),
        tokens_file=_optional(loaded, source.personal_access_tokens),
        collected_at=source.collected_at,
        started_at=now,
        progress=progress,
    )


def _collect_jenkins(
    source: JenkinsSource, loaded: LoadedConfig, label: str, now: datetime, progress: Progress
) -> Collection:
    return jenkins.collect(
        label=label,
        server=source.server,
        url=source.url,
        user_env=source.user_env,
        token_env=source.token_env,
        jenkins_home=_optional(loaded, source.jenkins_home),
        tokens_file=_optional(loaded, source.tokens),
        collected_at=source.collected_at,
        started_at=now,
    )


def _collect_circleci(
    source: CircleciSource, loaded: LoadedConfig, label: str, now: datetime, progress: Progress
) -> Collection:
    return circleci.collect(
        label=label,
        owner_id=source.owner_id,
        base_url=source.base_url,
        token_env=source.token_env,
        contexts_file=_optional(loaded, source.contexts),
        collected_at=source.collected_at,
        started_at=now,
    )


def _collect_terraform_cloud(
    source: TerraformCloudSource, loaded: LoadedConfig, label: str, now: datetime, progress: Progress
) -> Collection:
    return terraform_cloud.collect(
        label=label,
        organization=source.organization,
        base_url=source.base_url,
        token_env=source.token_env,
        tokens_file=_optional(loaded, source.tokens),
        collected_at=source.collected_at,
        started_at=now,
    )


def _collect_gcp(source: GcpSource, loaded: LoadedConfig, label: str, now: datetime, progress: Progress) -> Collection:
    if source.project_payloads is None:
        return gcp_live.collect_live(source, label, now, progress)
    return gcp.collect_from_files(
        label=label,
        project=source.project_id or "",
        folder=loaded.resolve(source.project_payloads),
        collected_at=source.collected_at,
        started_at=now,
    )


COLLECTORS: dict[str, Callable[..., Collection]] = {
    "aws": _collect_aws,
    "github": _collect_github,
    "gitlab": _collect_gitlab,
    "azure_devops": _collect_azure_devops,
    "jenkins": _collect_jenkins,
    "circleci": _collect_circleci,
    "terraform_cloud": _collect_terraform_cloud,
    "gcp": _collect_gcp,
}


def collect_source(source: SourceConfig, loaded: LoadedConfig, progress: Progress = lambda _: None) -> Collection:
    """Collect one configured source; a CollectionError becomes an ERROR record with no rows."""
    label = source_label(source)
    now = datetime.now(UTC)
    try:
        collection = COLLECTORS[source.type](source, loaded, label, now, progress)
    except CollectionError as exc:
        record = SourceRecord(
            label=label, type=source.type, scope=label.split(":", 1)[-1], method="saved payloads", started_at=now
        )
        record.errors.append(ScopeError(scope=record.scope, message=str(exc)))
        collection = Collection(record=record)
    collection.record.finished_at = datetime.now(UTC)
    collection.record.token_count = len(collection.rows)
    return collection
