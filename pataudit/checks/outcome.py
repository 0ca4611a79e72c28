"""Per-row outcomes of a predicate, kept as arrays; reason sentences are rendered once per distinct value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

STATUSES = ("PASS", "FAIL", "WAIVED", "ERROR", "NOT_APPLICABLE")
PASS, FAIL, WAIVED, ERROR, NOT_APPLICABLE = range(5)


@dataclass(frozen=True)
class Case:
    """One branch of a predicate: rows where `mask` holds get `status` and the reason `template`.

    Templates may use `{value}` and `{limit}` (whole numbers), e.g. "key age {value} days exceeds {limit}".
    """

    mask: np.ndarray | pd.Series | None
    status: int
    template: str


@dataclass
class Outcome:
    """Status code, reason template index, measured value and limit for each row of a population."""

    status: np.ndarray
    template: np.ndarray
    value: np.ndarray
    limit: np.ndarray
    templates: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.status)

    def reasons(self) -> pd.Categorical:
        """The reason sentence of each row, formatted once per distinct (template, value, limit)."""
        value = _whole(self.value)
        limit = _whole(self.limit)
        key = pd.MultiIndex.from_arrays([self.template, value, limit])
        codes, uniques = pd.factorize(key)
        texts = [
            self.templates[t].format(value=_show(v), limit=_show(lim), abs_value=_show(abs(v))) for t, v, lim in uniques
        ]
        categories, text_codes = np.unique(np.array(texts, dtype=object), return_inverse=True)
        return pd.Categorical.from_codes(text_codes[codes] if len(codes) else codes, categories=categories)


def decide(
    cases: Sequence[Case], default: Case, *, value: object = np.nan, limit: object = np.nan, size: int
) -> Outcome:
    """Evaluate cases in order (first match wins, like np.select); rows matching none get `default`."""
    all_cases = [*cases, default]
    conditions = [np.asarray(c.mask, dtype=bool) for c in cases]
    choice = np.select(conditions, np.arange(len(cases)), default=len(cases)) if cases else np.zeros(size, int)
    statuses = np.array([c.status for c in all_cases], dtype=np.int8)
    return Outcome(
        status=statuses[choice],
        template=choice.astype(np.int16),
        value=_broadcast(value, size),
        limit=_broadcast(limit, size),
        templates=tuple(c.template for c in all_cases),
    )


def _broadcast(values: object, size: int) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return np.full(size, array, dtype=float) if array.ndim == 0 else array


def _whole(values: np.ndarray) -> np.ndarray:
    return np.floor(values)


def _show(number: float) -> str:
    return "unknown" if np.isnan(number) else str(int(number))
