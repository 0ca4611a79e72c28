"""What each sub-command does; `cli.py` parses arguments and maps errors to exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import yaml

from pataudit import history_commands
from pataudit.checks.catalog import default_catalog
from pataudit.checks.scoring import SEVERITY_WEIGHTS
from pataudit.cli import EXIT_FAILURES, EXIT_INCOMPLETE, EXIT_OK, now
from pataudit.collectors.base import SourceRecord
from pataudit.config import load_config
from pataudit.errors import InputError
from pataudit.manifest import verify
from pataudit.run_result import RunResult
from pataudit.runner import RunOutcome, collect_evidence, execute, reperform
from pataudit.timeparse import parse_as_of


def progress(message: str) -> None:
    """Progress lines go to stderr so stdout stays a clean summary."""
    print(message, file=sys.stderr, flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    """`pataudit run`: one full audit run."""
    loaded = load_config(args.config)
    if args.evidence is not None and not args.evidence.is_dir():
        raise InputError(
            f"{args.evidence}: not an evidence folder (give the evidence/ folder `pataudit collect` wrote)"
        )
    outcome = execute(loaded, args.out, args.as_of or now(), progress, args.store, args.evidence)
    print_summary(outcome)
    return exit_code(outcome.result, args.fail_on)


def cmd_collect(args: argparse.Namespace) -> int:
    """`pataudit collect`: read every source into an evidence folder; judge it later with `run --evidence`."""
    loaded = load_config(args.config)
    kept = collect_evidence(loaded, args.out, progress)
    tokens = sum(c.record.token_count for c in kept.collections)
    print(f"{loaded.config.organization} {loaded.config.period}: collected {tokens} tokens "
          f"from {len(kept.collections)} sources")  # fmt: skip
    print_incomplete([c.record for c in kept.collections])
    print(f"  evidence: {kept.out_dir / 'evidence'}")
    print(f"  judge it: pataudit run --config {args.config} --evidence {kept.out_dir / 'evidence'} --as-of DATE")
    return EXIT_OK if kept.complete else EXIT_INCOMPLETE


def exit_code(result: RunResult, fail_on: str | None) -> int:
    """3 when incomplete, 1 when a failure reaches --fail-on, else 0."""
    if not result.complete:
        return EXIT_INCOMPLETE
    if fail_on:
        floor = SEVERITY_WEIGHTS[fail_on]
        fails = result.findings[result.findings["status"] == "FAIL"]
        if fails["severity"].astype(str).map(SEVERITY_WEIGHTS).ge(floor).any():
            return EXIT_FAILURES
    return EXIT_OK


def print_summary(outcome: RunOutcome) -> None:
    """The short summary printed at the end of a run."""
    result = outcome.result
    counts = result.findings["status"].value_counts()
    previous = [s for s in result.history.get("overall_score", []) if s is not None]
    score = "n/a" if result.overall_score is None else f"{result.overall_score:.1f}%"
    change = ""
    if previous and result.overall_score is not None:
        change = f" ({result.overall_score - previous[-1]:+.1f} since last run)"
    print(f"{result.config.organization} {result.config.period}, as of {result.as_of:%Y-%m-%d}: run {result.run_id}")
    print(f"  {len(result.inventory)} tokens from {len(result.records)} sources; overall score {score}{change}")
    print("  findings: " + ", ".join(f"{s} {int(counts.get(s, 0))}" for s in ("FAIL", "WAIVED", "ERROR", "PASS")))
    print_incomplete(result.records)
    print(f"  report: {outcome.written.out_dir / 'report.pdf'}")


def print_incomplete(records: Sequence[SourceRecord]) -> None:
    """One line per source that was not read in full, saying why."""
    for record in records:
        if not record.complete:
            print(f"  INCOMPLETE: {record.label}: " + "; ".join(record.problems()))


def cmd_check(args: argparse.Namespace) -> int:
    """`pataudit check`: re-perform a run from its evidence; writes findings.csv and friends to --out."""
    config = args.config or args.evidence.parent / "config.yaml"
    result = reperform(load_config(config), args.evidence, args.out, args.as_of, progress)
    counts = result.findings["status"].value_counts()
    print(f"re-performed {len(result.inventory)} tokens from {args.evidence}: "
          + ", ".join(f"{s} {int(counts.get(s, 0))}" for s in ("FAIL", "WAIVED", "ERROR", "PASS")))  # fmt: skip
    print(f"  findings: {args.out / 'findings.csv'}")
    return exit_code(result, None)


def cmd_verify(args: argparse.Namespace) -> int:
    """`pataudit verify`: recompute every hash of a run folder; name what changed, went missing or was added."""
    problems = verify(args.run_dir, args.public_key)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{args.run_dir}: {len(problems)} problem(s); the run output is not as recorded")
        return EXIT_FAILURES
    signed = " and its signature" if args.public_key else ""
    print(f"{args.run_dir}: every file matches manifest.json{signed}")
    return EXIT_OK


def cmd_controls(args: argparse.Namespace) -> int:
    """`pataudit controls`: the catalog with severities, thresholds and references."""
    catalog = default_catalog()
    for control in catalog.controls.values():
        params = ", ".join(f"{name}={p.default:g}" for name, p in control.parameters.items())
        print(f"{control.id}  [{control.severity}]  {control.title}")
        if params:
            print(f"    thresholds: {params}")
        print(f"    references: {', '.join(catalog.references(control.id))}")
    return EXIT_OK


def demo_data_dir() -> Path:
    """examples/demo of the checkout pataudit runs from."""
    return Path(__file__).resolve().parent.parent / "examples" / "demo"


def cmd_demo(args: argparse.Namespace) -> int:
    """`pataudit demo`: audit the demo organisation's quarters in order into a fresh store."""
    data = args.data or demo_data_dir()
    quarters = demo_quarters(data)
    args.out.mkdir(parents=True, exist_ok=True)
    store_path = args.out / "history.sqlite"
    store_path.unlink(missing_ok=True)
    store_url = f"sqlite:///{store_path.resolve()}"
    last = None
    for folder, as_of in quarters:
        progress(f"== {folder.name}, as of {as_of:%Y-%m-%d} ==")
        loaded = load_config(folder / "pataudit.yaml")
        last = execute(loaded, args.out / folder.name, as_of, progress, store_url)
    assert last is not None
    print_summary(last)
    print(f"history: pataudit history --store {store_url}")
    return exit_code(last.result, None)


def demo_quarters(data: Path) -> list[tuple[Path, datetime]]:
    """The demo's quarters in order, from `quarters.yaml` (folder and as-of date of each)."""
    index = data / "quarters.yaml"
    try:
        entries = yaml.safe_load(index.read_text(encoding="utf-8"))["quarters"]
        return [(data / str(e["folder"]), parse_as_of(str(e["as_of"]))) for e in entries]
    except FileNotFoundError:
        raise InputError(f"{index}: demo data not found; pass --data DIR") from None
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise InputError(f"{index}: not a valid quarters list: {exc}") from None


HANDLERS = {
    "run": cmd_run,
    "collect": cmd_collect,
    "check": cmd_check,
    "verify": cmd_verify,
    "controls": cmd_controls,
    "demo": cmd_demo,
    "history": history_commands.cmd_history,
    "trend": history_commands.cmd_trend,
    "diff": history_commands.cmd_diff,
    "remediation": history_commands.cmd_remediation,
    "record": history_commands.cmd_record,
    "dashboard": history_commands.cmd_dashboard,
}
