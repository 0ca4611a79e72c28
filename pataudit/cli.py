"""The `pataudit` command line.

Exit codes: 0 run complete and no failure at or above --fail-on; 1 failures at or above --fail-on
(for `verify`: the folder does not match its manifest); 2 usage, configuration or input error;
3 incomplete collection (a source or part of one is ERROR).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pataudit import __version__
from pataudit.config import SEVERITIES, load_config
from pataudit.errors import ConfigError, InputError, PatauditError
from pataudit.timeparse import parse_as_of

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


def _as_of(text: str) -> datetime:
    try:
        return parse_as_of(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD) or ISO 8601 timestamp: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="pataudit",
        description="Audit personal access tokens and machine credentials against one policy.",
        epilog="Exit codes: 0 clean, 1 failures at or above --fail-on, 2 usage or config error, "
        "3 incomplete collection.",
    )
    parser.add_argument("--version", action="version", version=f"pataudit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="collect, check, report and store one audit run")
    run.add_argument("--config", required=True, type=Path, help="the YAML config file")
    run.add_argument("--out", type=Path, default=Path("pataudit-out"), help="output folder (default: pataudit-out)")
    run.add_argument("--as-of", type=_as_of, help="fix 'now' (YYYY-MM-DD = end of that day, UTC)")
    run.add_argument("--fail-on", choices=SEVERITIES, help="exit 1 when a finding of this severity or above fails")
    run.add_argument("--store", help="history database URL (overrides the config's store.url)")
    run.add_argument(
        "--evidence", type=Path, help="judge this evidence/ folder (from `pataudit collect`) instead of reading sources"
    )

    collect = commands.add_parser("collect", help="read every source and keep the evidence, without judging it")
    collect.add_argument("--config", required=True, type=Path, help="the YAML config file")
    collect.add_argument(
        "--out", type=Path, default=Path("pataudit-evidence"), help="output folder (default: pataudit-evidence)"
    )

    check = commands.add_parser("check", help="re-derive a run's findings offline from its evidence folder")
    check.add_argument("--evidence", required=True, type=Path, help="a run's evidence/ folder")
    check.add_argument(
        "--config", type=Path, help="config for policy and waivers (default: config.yaml beside evidence/)"
    )
    check.add_argument("--as-of", required=True, type=_as_of, help="the as-of time of the run being re-performed")
    check.add_argument("--out", type=Path, default=Path("pataudit-check"), help="where to write the findings")

    verify = commands.add_parser("verify", help="check a run folder against its manifest (and signature)")
    verify.add_argument("run_dir", type=Path, metavar="DIR", help="the run's output folder")
    verify.add_argument("--public-key", type=Path, help="Ed25519 public key (PEM) to check manifest.json.sig")

    commands.add_parser("controls", help="list the control catalog with framework references")

    def store_options(command: argparse.ArgumentParser) -> argparse.ArgumentParser:
        command.add_argument("--config", type=Path, help="config whose store.url (and SLAs) to use")
        command.add_argument("--store", help="history database URL (default: a SQLite file in the user data dir)")
        return command

    store_options(commands.add_parser("history", help="stored runs with score, change, counts and completeness"))
    trend = store_options(commands.add_parser("trend", help="scores over time with a sparkline; --png/--svg chart"))
    trend.add_argument("--control", help="one control's score")
    trend.add_argument("--source", help="one source platform's score (aws, github, gitlab, ...)")
    trend.add_argument("--since", type=lambda t: _as_of(t).date(), help="only runs as of this date or later")
    trend.add_argument("--png", type=Path, help="also draw the trend into this PNG file")
    trend.add_argument("--svg", type=Path, help="also draw the trend into this SVG file")
    diff = store_options(commands.add_parser("diff", help="new, resolved and persisting failures between two runs"))
    diff.add_argument("run_a", metavar="RUN_A", help="the earlier run id (a unique prefix is enough)")
    diff.add_argument("run_b", metavar="RUN_B", help="the later run id")
    diff.add_argument("--all", action="store_true", help="also list the persisting findings")
    remediation = store_options(commands.add_parser("remediation", help="time to resolve and findings past SLA"))
    remediation.add_argument("--limit", type=int, default=20, help="how many past-SLA findings to list")
    record = store_options(commands.add_parser("record", help="store a finished run's output folder (idempotent)"))
    record.add_argument("run_dir", type=Path, metavar="DIR")
    dashboard = store_options(commands.add_parser("dashboard", help="write a static HTML dashboard of the history"))
    dashboard.add_argument("--out", type=Path, default=Path("pataudit-dashboard"), help="output folder")
    dashboard.add_argument("--organization", help="only this organisation")

    demo = commands.add_parser("demo", help="audit the bundled demo organisation's four quarters")
    demo.add_argument("--out", type=Path, default=Path("build/demo"), help="output folder (default: build/demo)")
    demo.add_argument("--data", type=Path, help="demo data folder (default: examples/demo of this checkout)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    from pataudit import commands

    try:
        return commands.HANDLERS[args.command](args)
    except (ConfigError, InputError) as exc:
        print(f"pataudit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PatauditError as exc:
        print(f"pataudit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`); nothing more to say
        return EXIT_OK
    except KeyboardInterrupt:
        print("pataudit: interrupted; nothing was recorded", file=sys.stderr)
        return 130


def now() -> datetime:
    """The current time in UTC (the default as-of)."""
    return datetime.now(UTC)


__all__ = ["EXIT_FAILURES", "EXIT_INCOMPLETE", "EXIT_OK", "EXIT_USAGE", "load_config", "main", "now"]
