"""The history sub-commands: history, trend, diff, remediation, record, dashboard."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pandas as pd

from pataudit.cli import EXIT_OK
from pataudit.config import Policy, load_config
from pataudit.errors import InputError
from pataudit.history.dashboard import build_dashboard
from pataudit.history.metrics import remediation
from pataudit.history.record import read_run_output
from pataudit.history.store import Store, default_url
from pataudit.history.trend import line_chart, sparkline


def open_store(args: argparse.Namespace) -> Store:
    """The store named by --store, by the --config file's store.url, or the default SQLite file."""
    if getattr(args, "store", None):
        return Store(args.store)
    if getattr(args, "config", None):
        return Store(load_config(args.config).config.store.url or default_url())
    return Store(default_url())


def _score(value: object) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(value):.1f}"


def cmd_history(args: argparse.Namespace) -> int:
    """`pataudit history`: runs with overall score, change, counts and completeness."""
    runs = open_store(args).runs()
    if runs.empty:
        print("no runs stored yet")
        return EXIT_OK
    print(
        f"{'run id':<24} {'organization':<20} {'period':<10} {'as of':<10} {'score':>7} {'change':>7} "
        f"{'tokens':>7} {'fails':>6}  complete"
    )
    previous: dict[str, float] = {}
    for run in runs.to_dict("records"):
        score = None if pd.isna(run["overall_score"]) else run["overall_score"]
        last = previous.get(run["organization"])
        change = "" if last is None or score is None else f"{score - last:+.1f}"
        if score is not None:
            previous[run["organization"]] = score
        print(
            f"{run['run_id']:<24} {run['organization'][:20]:<20} {run['period'][:10]:<10} "
            f"{run['as_of']:%Y-%m-%d} {_score(score):>7} {change:>7} {run['token_count']:>7} {run['fail_count']:>6}  "
            f"{'yes' if run['complete'] else 'NO'}"
        )
    return EXIT_OK


def cmd_trend(args: argparse.Namespace) -> int:
    """`pataudit trend`: scores over time (overall, one control or one source) with a sparkline and a chart."""
    store = open_store(args)
    since = datetime.combine(args.since, datetime.min.time(), tzinfo=UTC) if args.since else None
    if args.control:
        frame = store.control_trend(args.control)
        what = f"control {args.control}"
    elif args.source:
        frame = store.source_trend(args.source)
        what = f"source {args.source}"
    else:
        frame = store.runs().rename(columns={"overall_score": "score"})
        what = "overall score"
    if since is not None and len(frame):
        frame = frame[frame["as_of"] >= since]
    if frame.empty:
        raise InputError(f"no stored scores for {what}" + (f" since {args.since}" if args.since else ""))
    print(f"{what}: {sparkline(list(frame['score']))}")
    print(f"{'organization':<20} {'period':<10} {'as of':<10} {'score':>7}  run id")
    for row in frame.to_dict("records"):
        print(
            f"{row['organization'][:20]:<20} {row['period'][:10]:<10} {row['as_of']:%Y-%m-%d} "
            f"{_score(row['score']):>7}  {row['run_id']}"
        )
    for target in (args.png, args.svg):
        if target:
            series = {org: f.assign(label=f["period"].astype(str)) for org, f in frame.groupby("organization")}
            line_chart(series, target, what)
            print(f"chart: {target}")
    return EXIT_OK


def _run_or_fail(store: Store, run_id: str) -> dict:
    run = store.run(run_id)
    if run is None:
        raise InputError(f"no stored run {run_id!r} (or the prefix is ambiguous); `pataudit history` lists them")
    return run


def cmd_diff(args: argparse.Namespace) -> int:
    """`pataudit diff A B`: failing findings new in B, resolved since A, and persisting."""
    store = open_store(args)
    first, second = _run_or_fail(store, args.run_a), _run_or_fail(store, args.run_b)
    key = ["control_id", "token_id"]
    before = store.open_findings(first["run_id"])
    after = store.open_findings(second["run_id"])
    before, after = before[before["status"] == "FAIL"][key], after[after["status"] == "FAIL"][key]
    merged = before.merge(after, on=key, how="outer", indicator=True).sort_values(key)
    groups = {"new": "right_only", "resolved": "left_only", "persisting": "both"}
    print(
        f"{first['run_id']} ({first['period']}) -> {second['run_id']} ({second['period']}): "
        + ", ".join(f"{(merged['_merge'] == v).sum()} {k}" for k, v in groups.items())
    )
    for name, marker in groups.items():
        rows = merged[merged["_merge"] == marker]
        if len(rows) and (name != "persisting" or args.all):
            print(f"\n{name}:")
            for row in rows.itertuples(index=False):
                print(f"  {row.control_id:<30} {row.token_id}")
    return EXIT_OK


def cmd_remediation(args: argparse.Namespace) -> int:
    """`pataudit remediation`: time to resolve by severity, and open findings past their SLA."""
    store = open_store(args)
    policy = load_config(args.config).config.policy if args.config else Policy()
    runs = store.runs()
    if runs.empty:
        print("no runs stored yet")
        return EXIT_OK
    for organization, mine in runs.groupby("organization"):
        as_of = mine["as_of"].iloc[-1]
        metrics = remediation(store.lifecycle(organization), policy.sla_days, as_of)
        print(f"{organization} (as of {as_of:%Y-%m-%d})")
        print(f"  {'severity':<9} {'resolved':>8} {'mean d':>7} {'p90 d':>7} {'open':>6} {'SLA d':>6} {'past SLA':>8}")
        for row in metrics["by_severity"]:
            print(
                f"  {row['severity']:<9} {row['resolved']:>8} {_days(row['mean_days']):>7} {_days(row['p90_days']):>7} "
                f"{row['open']:>6} {_days(row['sla_days']):>6} {row['past_sla']:>8}"
            )
        for item in metrics["past_sla"][: args.limit]:
            print(
                f"  past SLA: {item['severity']:<8} {item['age_days']:>4} d > {item['sla_days']} d  "
                f"{item['control_id']}  {item['token_id']}"
            )
    return EXIT_OK


def _days(value: object) -> str:
    return "-" if value is None else f"{value:g}"


def cmd_record(args: argparse.Namespace) -> int:
    """`pataudit record DIR`: store a finished run's output (again) — idempotent per run id."""
    store = open_store(args)
    record = read_run_output(args.run_dir)
    stored = store.record(record)
    print(f"{record.run['run_id']}: {'recorded' if stored else 'already stored; nothing changed'}")
    return EXIT_OK


def cmd_dashboard(args: argparse.Namespace) -> int:
    """`pataudit dashboard --out DIR`: a static HTML site of the stored history."""
    index = build_dashboard(open_store(args), args.out, args.organization)
    print(f"dashboard: {index}")
    return EXIT_OK
