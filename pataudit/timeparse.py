"""Parsing of the timestamps platforms send: ISO 8601 with offsets, fractions, `Z`, nulls and `N/A`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime

# Values platforms use for "no timestamp": the IAM credential report's N/A, no_information and
# not_supported, empty CSV cells, JSON null.
NULL_MARKERS = frozenset({"", "n/a", "na", "none", "null", "no_information", "not_supported", "-"})
# .NET's DateTime.MinValue, which Azure DevOps and other .NET services send for "never".
DOTNET_MIN_YEAR = 1
# Epoch numbers above this are milliseconds (1e11 seconds is the year 5138).
EPOCH_MS_THRESHOLD = 100_000_000_000


def parse_timestamp(value: object) -> datetime | None:
    """Return a tz-aware UTC datetime, or None for the platforms' null markers.

    Accepts `2023-05-16T08:47:09.000-07:00`, `2020-07-23T14:31:47.729Z`, `2014-10-23T16:55:04+00:00`,
    `2024-06-28 10:53:07.366 UTC`, RFC 2822 dates, plain dates, datetimes and epoch seconds or
    milliseconds. A timestamp without an offset is taken as UTC; .NET's `0001-01-01T00:00:00` is None.
    Raises ValueError for anything else.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return None if parsed.year == DOTNET_MIN_YEAR else parsed
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(value)
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    if text.lower() in NULL_MARKERS:
        return None
    if text.isdigit() and len(text) >= 10:
        return _from_epoch(int(text))
    if text[:1].isalpha():
        return _from_rfc2822(value)
    for suffix in (" UTC", " GMT", "Z", "z"):
        if text.endswith(suffix):
            text = text[: -len(suffix)].rstrip() + "+00:00"
            break
    text = _trim_fraction(text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from None
    return parse_timestamp(parsed)


def _from_epoch(number: float) -> datetime:
    seconds = number / 1000 if abs(number) >= EPOCH_MS_THRESHOLD else number
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"not an epoch timestamp: {number!r}") from None


def _from_rfc2822(value: str) -> datetime:
    """`Mon, 01 Jan 2024 00:00:00 GMT`, as some APIs and HTTP headers send."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _trim_fraction(text: str) -> str:
    """Cut fractional seconds to microseconds (some APIs send nanoseconds, which Python refuses)."""
    dot = text.find(".", 10)
    if dot < 0:
        return text
    end = dot + 1
    while end < len(text) and text[end].isdigit():
        end += 1
    digits = text[dot + 1 : end][:6]
    return text[: dot + 1] + (digits or "0") + text[end:]


def parse_as_of(text: str) -> datetime:
    """Parse a `--as-of` value: a date means the end of that day in UTC; a full timestamp is kept."""
    text = text.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
    parsed = parse_timestamp(text)
    if parsed is None:
        raise ValueError(f"not a date: {text!r}")
    return parsed
