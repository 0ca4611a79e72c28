"""Charts drawn as inline SVG by our own code: nothing is fetched, and the PDF stays self-contained."""

from __future__ import annotations

from typing import Any


def trend_svg(points: list[dict[str, Any]], width: int = 520, height: int = 160) -> str:
    """An inline SVG line chart of overall scores (0–100) per run; drawn here, so nothing is fetched."""
    scored = [(i, p) for i, p in enumerate(points) if p["score"] is not None]
    left, right, top, bottom = 40, 30, 16, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def xy(index: int, score: float) -> tuple[float, float]:
        return left + index * step, top + plot_h * (1 - score / 100)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' font-family="DejaVu Sans, sans-serif" font-size="9" fill="#333">'
    ]
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dddddd" stroke-width="0.5"/>'
        )
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    if len(scored) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, p["score"]) for i, p in scored))
        parts.append(f'<polyline points="{path}" fill="none" stroke="#12355b" stroke-width="2"/>')
    for i, point in enumerate(points):
        x = left + i * step
        label = _escape(str(point["period"]))
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{label}</text>')
        if point["score"] is not None:
            cx, cy = xy(i, point["score"])
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="#12355b"/>')
            parts.append(f'<text x="{cx:.1f}" y="{cy - 8:.1f}" text-anchor="middle">{point["score"]:.1f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
