"""Waivers (risk acceptances): matching them to findings, and expiring them."""

from __future__ import annotations

import re
from datetime import date
from fnmatch import translate

import numpy as np
import pandas as pd

from pataudit.config import Waiver


def selector_mask(inventory: pd.DataFrame, waiver: Waiver) -> np.ndarray:
    """Rows of the inventory the waiver's selector covers (every given field must match)."""
    mask = np.ones(len(inventory), dtype=bool)
    for column, pattern in waiver.selector.model_dump().items():
        if pattern is None:
            continue
        regex = re.compile(translate(pattern), re.IGNORECASE)
        mask &= inventory[column].astype(str).str.match(regex).to_numpy(dtype=bool, na_value=False)
    return mask


def is_expired(waiver: Waiver, as_of: date) -> bool:
    """A waiver is in force up to and including its expiry date."""
    return waiver.expires < as_of
