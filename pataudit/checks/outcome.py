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
        key = _pack(self.template, _whole(self.value), _whole(self.limit))
        codes, uniques = pd.factorize(key)
        templates, values, limits = _unpack(uniques)
        texts = [
            self.templates[t].format(value=_show(v), limit=_show(lim))
            for t, v, lim in zip(templates, values, limits, strict=True)
        ]
        categories, text_codes = np.unique(np.array(texts, dtype=object), return_inverse=True)
        return pd.Categorical.from_codes(text_codes[codes] if len(codes) else codes, categories=categories)


# Reasons are keyed by one int64 per row: template (15 bits), value and limit (24 bits each, offset so
# negatives fit; NaN gets the top code). Whole days within ±8 million fit, far beyond any credential's age.
_SPAN = 1 << 24
_OFFSET = _SPAN // 2
_NAN = _SPAN - 1


def _pack(template: np.ndarray, value: np.ndarray, limit: np.ndarray) -> np.ndarray:
    def code(numbers: np.ndarray) -> np.ndarray:
        clipped = np.clip(np.nan_to_num(numbers, nan=0), -_OFFSET, _OFFSET - 2).astype(np.int64) + _OFFSET
        return np.where(np.isnan(numbers), _NAN, clipped)

    return (template.astype(np.int64) * _SPAN + code(value)) * _SPAN + code(limit)


def _unpack(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    def number(codes: np.ndarray) -> np.ndarray:
        return np.where(codes == _NAN, np.nan, (codes - _OFFSET).astype(float))

    return keys // (_SPAN * _SPAN), number((keys // _SPAN) % _SPAN), number(keys % _SPAN)


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
