"""A static dashboard (no server): score trends overall, per control and per source, open findings by age, and
links to every run's report. Charts are SVG drawn by matplotlib; the page prints as well as it displays."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from pataudit.history.store import Store
from pataudit.history.trend import line_chart, sparkline

AGE_BUCKETS = [
    (0, 30, "0–30 d"),
    (31, 90, "31–90 d"),
    (91, 180, "91–180 d"),
    (181, 365, "181–365 d"),
    (366, 10**6, "> 365 d"),
]
SEVERITY_COLOURS = {"critical": "#7a0010", "high": "#c62828", "medium": "#ef8f00", "low": "#9e9e9e"}


def _labels(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(label=frame["period"].astype(str))


def _age_chart(followed: pd.DataFrame, as_of: datetime, target: Path) -> list[dict[str, Any]]:
    open_now = followed[followed["state"] == "open"]
    ages = (pd.Timestamp(as_of) - pd.to_datetime(open_now["first_seen_as_of"], utc=True)).dt.days
    table = []
    figure, axis = plt.subplots(figsize=(8, 3.2), dpi=110)
    bottoms = [0] * len(AGE_BUCKETS)
    for severity, colour in SEVERITY_COLOURS.items():
        counts = [
            int(((ages >= lo) & (ages <= hi) & (open_now["severity"] == severity)).sum()) for lo, hi, _ in AGE_BUCKETS
        ]
        axis.bar([b[2] for b in AGE_BUCKETS], counts, bottom=bottoms, color=colour, label=severity)
        bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
        table.append({"severity": severity, "counts": counts})
    axis.set_ylabel("open findings")
    axis.set_title("Open findings by age (since first seen)", fontsize=11)
    axis.legend(fontsize=8, frameon=False)
    axis.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    figure.savefig(target, format="svg", metadata={"Date": None})
    plt.close(figure)
    return table


def build_dashboard(store: Store, out: Path, organization: str | None = None) -> Path:
    """Write index.html and its SVG charts into `out`; returns the index path."""
    out.mkdir(parents=True, exist_ok=True)
    runs = store.runs(organization)
    orgs = sorted(runs["organization"].unique()) if len(runs) else []
    sections = []
    for org in orgs:
        slug = "".join(c if c.isalnum() else "-" for c in org.lower())
        mine = _labels(runs[runs["organization"] == org])
        line_chart(
            {"overall": mine.rename(columns={"overall_score": "score"})},
            out / f"{slug}-overall.svg",
            f"{org}: overall score",
        )
        controls = _labels(store.control_trend(organization=org))
        control_rows = []
        for control_id, frame in controls.groupby("control_id", sort=True):
            line_chart({control_id: frame}, out / f"{slug}-control-{control_id}.svg", control_id)
            control_rows.append(
                {
                    "id": control_id,
                    "chart": f"{slug}-control-{control_id}.svg",
                    "spark": sparkline(list(frame["score"])),
                    "last": frame["score"].iloc[-1],
                }
            )
        sources = _labels(store.source_trend(organization=org))
        line_chart({s: f for s, f in sources.groupby("source")}, out / f"{slug}-sources.svg", f"{org}: score by source")
        latest = mine.iloc[-1]
        ages = _age_chart(store.lifecycle(org), latest["as_of"], out / f"{slug}-ages.svg")
        run_rows = []
        for run in mine.to_dict("records"):
            report = Path(run["out_dir"]) / "report.pdf"
            run_rows.append({**run, "report": os.path.relpath(report, out), "exists": report.is_file()})
        sections.append(
            {
                "name": org,
                "slug": slug,
                "runs": run_rows,
                "controls": control_rows,
                "ages": ages,
                "buckets": [b[2] for b in AGE_BUCKETS],
            }
        )
    env = Environment(loader=PackageLoader("pataudit", "templates"), autoescape=select_autoescape(default=True))
    env.filters["score"] = lambda v: "n/a" if v is None or pd.isna(v) else f"{v:.1f}%"
    html = env.get_template("dashboard.html.j2").render(organizations=sections, generated=datetime.now().astimezone())
    index = out / "index.html"
    index.write_text(html, encoding="utf-8")
    return index
