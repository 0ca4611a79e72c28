"""Score trends: terminal sparklines and matplotlib charts (PNG or SVG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

BARS = "▁▂▃▄▅▆▇█"


def sparkline(scores: list[float | None]) -> str:
    """Scores as one line of block characters scaled between their minimum and maximum (a space: no score)."""
    known = [s for s in scores if s is not None and not pd.isna(s)]
    low, high = (min(known), max(known)) if known else (0.0, 100.0)
    span = high - low

    def bar(score: float) -> str:
        if span < 0.05:
            return BARS[len(BARS) // 2]
        return BARS[min(int((score - low) / span * len(BARS)), len(BARS) - 1)]

    return "".join(" " if s is None or pd.isna(s) else bar(s) for s in scores)


def line_chart(series: dict[str, pd.DataFrame], target: Path, title: str) -> None:
    """One line per series (columns `label`, `score`), 0–100 axis, written as PNG or SVG by the file's suffix."""
    figure, axis = plt.subplots(figsize=(8, 3.6), dpi=110)
    for name, frame in series.items():
        axis.plot(frame["label"], frame["score"], marker="o", linewidth=2, label=name)
        for x, y in zip(frame["label"], frame["score"], strict=True):
            if pd.notna(y):
                axis.annotate(f"{y:.1f}", (x, y), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=8)
    axis.set_ylim(0, 105)
    axis.set_ylabel("score (%)")
    axis.set_title(title, fontsize=11)
    axis.grid(axis="y", color="#dddddd")
    axis.spines[["top", "right"]].set_visible(False)
    if len(series) > 1:
        axis.legend(fontsize=8, frameon=False, loc="lower right")
    figure.tight_layout()
    figure.savefig(target, format=target.suffix.lstrip(".").lower() or "svg", metadata=_metadata(target))
    plt.close(figure)


def _metadata(target: Path) -> dict[str, str | None]:
    return {"Date": None} if target.suffix.lower() == ".svg" else {}
