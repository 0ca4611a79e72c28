"""The one configuration model: a YAML file validated at start, unknown keys rejected."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pataudit.errors import ConfigError

SEVERITIES = ("low", "medium", "high", "critical")
Severity = Literal["low", "medium", "high", "critical"]


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class Strict(BaseModel):
    """Base for every config section: unknown keys are an error.

    A YAML number where text is expected (`account_id: 123456789012`, `period: 2026`) is taken as its text;
    no other value is coerced.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class AwsSource(Strict):
    """AWS IAM access keys: from saved payloads of one account, or live from accounts or a whole organisation.

    Saved payloads: `account_id` and `credential_report` (plus the optional files beside it).
    Live: no `credential_report`; the caller's account by default, or `accounts`, or `organization: true`.
    """

    type: Literal["aws"]
    name: str | None = None
    account_id: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    owner_tag: str | None = None
    # saved payloads
    credential_report: Path | None = None
    credential_report_generated_at: UtcDatetime | None = None
    access_keys: Path | None = None
    authorization_details: Path | None = None
    account_summary: Path | None = None
    # live collection
    accounts: list[Annotated[str, Field(pattern=r"^\d{12}$")]] | None = None
    organization: bool = False
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    role_name: str | None = None
    external_id: str | None = None
    profile: str | None = None
    region: str = "us-east-1"
    max_workers: Annotated[int, Field(ge=1, le=32)] = 4

    @model_validator(mode="after")
    def _one_mode(self) -> AwsSource:
        live_keys = {"accounts", "organization", "include", "exclude", "role_name", "external_id", "profile"}
        if self.credential_report is not None:
            if self.account_id is None:
                raise ValueError("account_id is required with credential_report")
            used = sorted(k for k in live_keys & self.model_fields_set)
            if used:
                raise ValueError(f"live-collection keys cannot be used with credential_report: {', '.join(used)}")
        else:
            file_keys = {"credential_report_generated_at", "access_keys", "authorization_details", "account_summary"}
            used = sorted(file_keys & self.model_fields_set)
            if used:
                raise ValueError(f"saved-payload keys need credential_report: {', '.join(used)}")
            if self.accounts and self.organization:
                raise ValueError("give either accounts or organization: true, not both")
            if (self.accounts or self.organization) and not self.role_name:
                raise ValueError("role_name is required to read other accounts")
        return self

    @property
    def live(self) -> bool:
        """True when the source is read from the AWS APIs rather than saved payloads."""
        return self.credential_report is None


GITHUB_PAYLOAD_KEYS = (
    "members",
    "outside_collaborators",
    "personal_access_tokens",
    "personal_access_token_requests",
    "credential_authorizations",
    "actions_secrets",
    "deploy_keys",
    "installations",
)


class GithubFileSource(Strict):
    """A GitHub organisation: from saved REST API payloads, or live (`token_env`, and a GitHub App for
    fine-grained PATs)."""

    type: Literal["github"]
    name: str | None = None
    org: Annotated[str, Field(min_length=1)]
    members: Path | None = None
    outside_collaborators: Path | None = None
    personal_access_tokens: Path | None = None
    personal_access_token_requests: Path | None = None
    credential_authorizations: Path | None = None
    actions_secrets: Path | None = None
    deploy_keys: Path | None = None
    installations: Path | None = None
    collected_at: UtcDatetime | None = None
    base_url: str = "https://api.github.com"
    token_env: str | None = None
    app_id: str | None = None
    app_installation_id: int | None = None
    app_private_key_env: str | None = None
    rate_limit_wait_seconds: Annotated[float, Field(gt=0, le=3600)] = 60

    @model_validator(mode="after")
    def _something_to_read(self) -> GithubFileSource:
        files = [getattr(self, name) for name in GITHUB_PAYLOAD_KEYS]
        if not self.token_env and not any(files):
            raise ValueError("give saved payload files (personal_access_tokens, members, ...) or token_env (live)")
        return self

    @property
    def live(self) -> bool:
        """True when no saved payload is named: the organisation is read from the API."""
        return self.token_env is not None and not any(getattr(self, name) for name in GITHUB_PAYLOAD_KEYS)


class GitlabFileSource(Strict):
    """A GitLab instance or group: from saved REST API payloads, or live (`url` + `token_env`)."""

    type: Literal["gitlab"]
    name: str | None = None
    instance: Annotated[str, Field(min_length=1)] = "gitlab.com"
    personal_access_tokens: Path | None = None
    users: Path | None = None
    deploy_tokens: Path | None = None
    trigger_tokens: Path | None = None
    collected_at: UtcDatetime | None = None
    url: str | None = None
    token_env: str | None = None
    group: str | None = None

    @model_validator(mode="after")
    def _one_mode(self) -> GitlabFileSource:
        files = (self.personal_access_tokens, self.users, self.deploy_tokens, self.trigger_tokens)
        if any(f is not None for f in files):
            if self.url or self.group:
                raise ValueError("give either saved payload files or url (live), not both")
        elif not (self.url and self.token_env):
            raise ValueError("give saved payload files (personal_access_tokens, ...) or url and token_env (live)")
        return self


class AzureDevOpsSource(Strict):
    """Azure DevOps PATs of an organisation: live (Token Admin + Graph) or from saved payloads."""

    type: Literal["azure_devops"]
    name: str | None = None
    organization: Annotated[str, Field(min_length=1)]
    base_url: str = "https://vssps.dev.azure.com"
    token_env: str | None = None
    bearer_env: str | None = None
    users: Path | None = None
    personal_access_tokens: Path | None = None
    collected_at: UtcDatetime | None = None


class JenkinsSource(Strict):
    """Jenkins API tokens: live (script console), from a JENKINS_HOME copy, or from a saved tokens.json."""

    type: Literal["jenkins"]
    name: str | None = None
    server: Annotated[str, Field(min_length=1)]
    url: str | None = None
    user_env: str | None = None
    token_env: str | None = None
    jenkins_home: Path | None = None
    tokens: Path | None = None
    collected_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _one_way(self) -> JenkinsSource:
        if sum(x is not None for x in (self.url, self.jenkins_home, self.tokens)) != 1:
            raise ValueError("give exactly one of url (live), jenkins_home (offline copy) or tokens (saved payload)")
        return self


class CircleciSource(Strict):
    """CircleCI context environment variables of an organisation."""

    type: Literal["circleci"]
    name: str | None = None
    owner_id: Annotated[str, Field(min_length=1)]
    base_url: str = "https://circleci.com"
    token_env: str | None = None
    contexts: Path | None = None
    collected_at: UtcDatetime | None = None


class TerraformCloudSource(Strict):
    """Terraform Cloud/Enterprise organisation, team and user tokens."""

    type: Literal["terraform_cloud"]
    name: str | None = None
    organization: Annotated[str, Field(min_length=1)]
    base_url: str = "https://app.terraform.io"
    token_env: str | None = None
    tokens: Path | None = None
    collected_at: UtcDatetime | None = None


class GcpSource(Strict):
    """GCP service-account keys: live (an organisation, folders or projects) or one project's saved payloads."""

    type: Literal["gcp"]
    name: str | None = None
    organization: Annotated[str, Field(pattern=r"^\d+$")] | None = None
    folders: list[str] = Field(default_factory=list)
    projects: list[str] = Field(default_factory=list)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    credentials_file: Path | None = None
    anonymous: bool = False
    max_workers: Annotated[int, Field(ge=1, le=32)] = 4
    resource_manager_endpoint: str | None = None
    iam_endpoint: str | None = None
    policy_analyzer_endpoint: str = "https://policyanalyzer.googleapis.com"
    org_policy_endpoint: str = "https://orgpolicy.googleapis.com"
    project_id: str | None = None
    project_payloads: Path | None = None
    collected_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _one_mode(self) -> GcpSource:
        scopes = sum(bool(x) for x in (self.organization, self.folders, self.projects))
        if self.project_payloads is not None:
            if not self.project_id or scopes:
                raise ValueError("project_payloads needs project_id and no organization, folders or projects")
        elif scopes != 1:
            raise ValueError("give exactly one of organization, folders or projects (or project_payloads)")
        return self


SOURCE_TYPES = ("aws", "github", "gitlab", "azure_devops", "jenkins", "circleci", "terraform_cloud", "gcp")
AnySource = (
    AwsSource
    | GithubFileSource
    | GitlabFileSource
    | AzureDevOpsSource
    | JenkinsSource
    | CircleciSource
    | TerraformCloudSource
    | GcpSource
)
Source = Annotated[AnySource, Field(discriminator="type")]


class ControlPolicy(Strict):
    """Per-control settings: enable/disable, parameter values and per-kind overrides."""

    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)


class Policy(Strict):
    """Audit policy: evidence freshness and per-control parameters."""

    max_evidence_age_hours: Annotated[float, Field(gt=0)] = 48
    controls: dict[str, ControlPolicy] = Field(default_factory=dict)
    sla_days: dict[Severity, Annotated[int, Field(ge=0)]] = Field(
        default_factory=lambda: {"critical": 7, "high": 30, "medium": 90, "low": 180}
    )


class Selector(Strict):
    """Which findings a waiver covers; every given field must match (shell-style wildcards)."""

    token_id: str | None = None
    owner: str | None = None
    source: str | None = None
    kind: str | None = None
    scope: str | None = None


class Waiver(Strict):
    """A documented risk acceptance with a required expiry date."""

    id: Annotated[str, Field(min_length=1)]
    control: Annotated[str, Field(min_length=1)]
    selector: Selector
    reason: Annotated[str, Field(min_length=1)]
    approver: Annotated[str, Field(min_length=1)]
    ticket: Annotated[str, Field(min_length=1)]
    expires: date

    @field_validator("selector")
    @classmethod
    def _selector_not_empty(cls, value: Selector) -> Selector:
        if not any(value.model_dump().values()):
            raise ValueError("a waiver selector needs at least one of token_id, owner, source, kind, scope")
        return value


class Signatory(Strict):
    """One line of the report's sign-off page: a role, and optionally who holds it."""

    role: Annotated[str, Field(min_length=1)]
    name: str = ""


DEFAULT_SIGN_OFF = (
    Signatory(role="Prepared by (audit engineer)"),
    Signatory(role="Reviewed by (auditor)"),
    Signatory(role="Accepted by (security lead)"),
)


class ReportSettings(Strict):
    """Title and classification printed on every page of the report; sign-off roles; manifest signing key."""

    title: str = "Personal access token and machine credential audit"
    classification: str = "CONFIDENTIAL"
    signing_key: Path | None = None
    exceptions_per_control: Annotated[int, Field(ge=1, le=10_000)] = 100
    sign_off: Annotated[list[Signatory], Field(max_length=10)] = Field(default_factory=lambda: list(DEFAULT_SIGN_OFF))


class StoreSettings(Strict):
    """Where run history is kept: an SQLAlchemy URL; default a SQLite file in the user data dir."""

    url: str | None = None


class Config(Strict):
    """The whole configuration file."""

    organization: Annotated[str, Field(min_length=1)]
    period: Annotated[str, Field(min_length=1)]
    sources: Annotated[list[Source], Field(min_length=1)]
    policy: Policy = Field(default_factory=Policy)
    waivers: list[Waiver] = Field(default_factory=list)
    report: ReportSettings = Field(default_factory=ReportSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)


class LoadedConfig(BaseModel):
    """A validated config with the file it came from and its SHA-256."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    config: Config
    path: Path
    sha256: str

    def resolve(self, relative: Path) -> Path:
        """A path from the config, taken relative to the config file's folder."""
        return relative if relative.is_absolute() else (self.path.parent / relative)


class TextDatesLoader(yaml.SafeLoader):
    """YAML's safe loader without its timestamp type: `period: 2026-12-31` stays text, and date fields
    (`expires`, `collected_at`) are parsed by the typed model, with its own messages."""


TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_config(path: Path) -> LoadedConfig:
    """Read and validate a config file; raise ConfigError with one line naming file, key and fix."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=TextDatesLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation_error(exc)}") from None
    _check_unique_source_names(path, config)
    return LoadedConfig(config=config, path=path, sha256=hashlib.sha256(raw).hexdigest())


def describe_validation_error(exc: ValidationError) -> str:
    """One line for the first problem pydantic found: `key.path: what is wrong`."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    location = key_path(first["loc"])
    message = _friendly(first)
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{location}: {message}{more}"


def key_path(loc: tuple[Any, ...]) -> str:
    """Render a pydantic location as `sources[0].account_id`, dropping union-tag parts."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in SOURCE_TYPES and parts and parts[-1].endswith("]"):
            continue
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _friendly(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key; remove it or check its spelling"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        return f"unknown source type {error['input'].get('type')!r}; use one of {', '.join(SOURCE_TYPES)}"
    if kind == "union_tag_not_found":
        return f"each source needs a `type` ({', '.join(SOURCE_TYPES)})"
    if kind == "string_pattern_mismatch" and error["loc"][-1] == "account_id":
        return "must be a 12-digit AWS account id, quoted in YAML"
    message = re.sub(r"^Value error, ", "", error["msg"])
    return message[0].lower() + message[1:]


def _check_unique_source_names(path: Path, config: Config) -> None:
    seen: set[str] = set()
    for index, source in enumerate(config.sources):
        label = source_label(source)
        if label in seen:
            raise ConfigError(f"{path}: sources[{index}]: duplicate source {label!r}; give it a distinct `name`")
        seen.add(label)


def source_label(source: AnySource) -> str:
    """A stable, human-readable name for a configured source: `aws:123456789012`, `github:acme`."""
    if source.name:
        return source.name
    if isinstance(source, AwsSource):
        if source.organization:
            return "aws:organization"
        if source.accounts:
            return "aws:" + ",".join(source.accounts)
        return f"aws:{source.account_id or 'caller'}"
    scope = {
        GithubFileSource: lambda s: s.org,
        GitlabFileSource: lambda s: s.instance,
        AzureDevOpsSource: lambda s: s.organization,
        JenkinsSource: lambda s: s.server,
        CircleciSource: lambda s: s.owner_id,
        TerraformCloudSource: lambda s: s.organization,
        GcpSource: lambda s: s.project_id or s.organization or ",".join(s.folders or s.projects),
    }[type(source)](source)
    return f"{source.type}:{scope}"
