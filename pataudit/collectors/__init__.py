"""Collectors: one module per platform. Each reads payloads, drops secrets and returns inventory rows."""

from pataudit.collectors.base import Collection, SourceRecord
from pataudit.collectors.registry import collect_source, kinds_for

__all__ = ["Collection", "SourceRecord", "collect_source", "kinds_for"]
