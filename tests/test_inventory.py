"""The inventory contract: rows are typed on the way in and every breach is reported."""

from datetime import UTC, datetime

import pandas as pd
import pytest

from pataudit.inventory import make_row, to_frame, validate

NOW = datetime(2026, 6, 30, tzinfo=UTC)


def row(native: str, **values) -> dict:
    return make_row(
        token_id=f"aws:1:aws_access_key:{native}",
        source="aws",
        scope="1",
        kind="aws_access_key",
        collected_at=NOW,
        **values,
    )


def test_rows_become_utc_timestamps_and_categories():
    frame = to_frame([row("a", created_at="2026-01-01T10:00:00-05:00"), row("b", expires_at=None)])
    assert validate(frame) == []
    assert frame.loc[0, "created_at"] == pd.Timestamp("2026-01-01T15:00:00Z")
    assert pd.isna(frame.loc[1, "expires_at"])
    assert str(frame["created_at"].dtype) == "datetime64[us, UTC]"


def test_every_breach_is_reported():
    frame = to_frame([row("a"), row("a"), row("b")])
    frame["status"] = frame["status"].cat.add_categories(["paused"])
    frame.loc[2, "status"] = "paused"
    frame["expires_at"] = frame["expires_at"].dt.tz_localize(None)
    problems = validate(frame)
    assert "token_id not unique: aws:1:aws_access_key:a" in problems
    assert any(p.startswith("status holds values outside") and "paused" in p for p in problems)
    assert any(p.startswith("expires_at must be tz-aware UTC") for p in problems)


def test_unknown_columns_are_refused():
    with pytest.raises(KeyError, match="not inventory columns"):
        make_row(token_id="x", colour="blue")
