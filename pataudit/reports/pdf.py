"""HTML to PDF/A-3b with WeasyPrint, never fetching anything: token names come from outside."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher

PDF_VARIANT = "pdf/a-3b"


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


PLAIN_ATTACHMENT_LIMIT = 8 * 1024 * 1024


@dataclass(frozen=True)
class EmbeddedFile:
    """A file attached to the PDF (PDF/A-3 associated file), e.g. findings.csv."""

    name: str
    data: bytes
    description: str
    modified: datetime

    @classmethod
    def of(cls, path: Path, description: str, modified: datetime) -> EmbeddedFile:
        """The file as it is, or gzip-compressed (`.gz`) above 8 MB: the PDF writer's own compression is
        slow on very large streams, and a gzip member opens anywhere."""
        data = path.read_bytes()
        if len(data) > PLAIN_ATTACHMENT_LIMIT:
            return cls(f"{path.name}.gz", gzip.compress(data, 6, mtime=0), f"{description} (gzip)", modified)
        return cls(path.name, data, description, modified)


def write_pdf(
    html: str, target: Path, attachments: list[EmbeddedFile] | None = None, fetcher: RefusingFetcher | None = None
) -> RefusingFetcher:
    """Render `html` to a PDF/A-3b file at `target`, with files attached; returns the fetcher used."""
    fetcher = fetcher or RefusingFetcher()
    embedded = [
        Attachment(
            string=item.data,
            name=item.name,
            description=item.description,
            created=item.modified,
            modified=item.modified,
            relationship="Data",
            url_fetcher=fetcher,
        )
        for item in attachments or []
    ]
    document = HTML(string=html, base_url="about:blank", url_fetcher=fetcher)
    document.write_pdf(target, attachments=embedded, pdf_variant=PDF_VARIANT, pdf_identifier=target.name.encode())
    return fetcher
