from datetime import UTC, datetime

import pytest

from pataudit.timeparse import parse_as_of, parse_timestamp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-05-16T08:47:09.000-07:00", datetime(2023, 5, 16, 15, 47, 9, tzinfo=UTC)),
        ("2020-07-23T14:31:47.729Z", datetime(2020, 7, 23, 14, 31, 47, 729000, tzinfo=UTC)),
        ("2014-10-23T16:55:04+00:00", datetime(2014, 10, 23, 16, 55, 4, tzinfo=UTC)),
        ("2024-02-29T23:59:59.123456789+05:30", datetime(2024, 2, 29, 18, 29, 59, 123456, tzinfo=UTC)),
        ("2011-01-26T19:06:43Z", datetime(2011, 1, 26, 19, 6, 43, tzinfo=UTC)),
        ("2021-11-30", datetime(2021, 11, 30, tzinfo=UTC)),
        ("2021-11-30T10:00:00", datetime(2021, 11, 30, 10, tzinfo=UTC)),
        ("2023-05-16T08:47:09-0700", datetime(2023, 5, 16, 15, 47, 9, tzinfo=UTC)),
        ("2023-05-16 08:47:09 UTC", datetime(2023, 5, 16, 8, 47, 9, tzinfo=UTC)),
        ("2023-05-16T08:47:09.5Z", datetime(2023, 5, 16, 8, 47, 9, 500000, tzinfo=UTC)),
        ("2020-12-01T23:46:23.3233333Z", datetime(2020, 12, 1, 23, 46, 23, 323333, tzinfo=UTC)),
        ("2024-06-28 10:53:07.366 UTC", datetime(2024, 6, 28, 10, 53, 7, 366000, tzinfo=UTC)),
        ("Mon, 01 Jan 2024 09:00:00 GMT", datetime(2024, 1, 1, 9, tzinfo=UTC)),
        ("Mon, 01 Jan 2024 09:00:00 -0500", datetime(2024, 1, 1, 14, tzinfo=UTC)),
        ("1700000000", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        ("1700000000000", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (1700000000123, datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)),
    ],
)
def test_platform_timestamps_become_utc(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "marker",
    [
        None,
        "",
        "N/A",
        "n/a",
        "no_information",
        "not_supported",
        "null",
        " N/A ",
        "0001-01-01T00:00:00",
        "0001-01-01T00:00:00Z",
    ],
)
def test_null_markers_are_none(marker):
    assert parse_timestamp(marker) is None


def test_garbage_is_rejected_with_the_value():
    with pytest.raises(ValueError, match="not an ISO 8601 timestamp: 'yesterday'"):
        parse_timestamp("yesterday")
    with pytest.raises(ValueError, match="not an ISO 8601 timestamp: '2024-13-01'"):
        parse_timestamp("2024-13-01")


def test_as_of_date_means_end_of_day_utc():
    assert parse_as_of("2026-06-30") == datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)
    assert parse_as_of("2026-06-30T12:00:00+02:00") == datetime(2026, 6, 30, 10, tzinfo=UTC)
