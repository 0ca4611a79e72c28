"""HTML to PDF with WeasyPrint, never fetching anything: token names come from outside."""

from __future__ import annotations

from pathlib import Path

from weasyprint import HTML
from weasyprint.urls import URLFetcher


class RefusingFetcher(URLFetcher):
    """A URL fetcher that serves only inline `data:` URLs and refuses files and the network."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",))
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None):
        """Fetch `data:` URLs; record and refuse everything else."""
        if not url.startswith("data:"):
            self.refused.append(url)
            raise ValueError(f"pataudit reports fetch no external resources: {url[:80]}")
        return super().fetch(url, headers)


def write_pdf(html: str, target: Path, fetcher: RefusingFetcher | None = None) -> RefusingFetcher:
    """Render `html` to a PDF file at `target`; returns the fetcher so callers can see what was refused."""
    fetcher = fetcher or RefusingFetcher()
    HTML(string=html, base_url="about:blank", url_fetcher=fetcher).write_pdf(target)
    return fetcher
