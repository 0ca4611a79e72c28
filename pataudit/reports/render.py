"""Rendering the report view-model to HTML (Jinja, autoescaped) and PDF (WeasyPrint)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pataudit.reports.pdf import EmbeddedFile, RefusingFetcher, write_pdf

TEMPLATE = "report.html.j2"


def environment() -> Environment:
    """The Jinja environment for pataudit templates: autoescape on, undefined names are errors."""
    env = Environment(
        loader=PackageLoader("pataudit", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["score"] = lambda value: "n/a" if value is None else f"{value:.1f}%"
    env.filters["signed"] = lambda value: "" if value is None else f"{value:+.1f}"
    env.tests["endingwith"] = lambda value, suffix: str(value).endswith(suffix)
    return env


def render_html(view: dict[str, Any]) -> str:
    """The report as one self-contained HTML document (CSS inline, charts as inline SVG)."""
    env = environment()
    css = (Path(__file__).parent.parent / "templates" / "report.css").read_text(encoding="utf-8")
    view = {**view, "trend_chart": Markup(view["trend_chart"])}
    return env.get_template(TEMPLATE).render(css=Markup(css), **view)


def render_pdf(html: str, target: Path, attachments: list[EmbeddedFile] | None = None) -> RefusingFetcher:
    """Print the HTML report to a PDF/A-3b file with the given files attached."""
    return write_pdf(html, target, attachments)
