"""Timestamps as the store keeps them (int64 epoch milliseconds) and as the API writes them."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import numpy as np

NULL_MS = np.iinfo(np.int64).min
"""The null sentinel of millisecond columns (no real timestamp is that far in the past)."""

DAY_MS = 86_400_000


def format_ms(ms: int | None) -> str | None:
    """ISO 8601 UTC with `Z`, with milliseconds only when they are not zero, as Thinkific writes."""
    if ms is None or ms == NULL_MS:
        return None
    seconds, millis = divmod(int(ms), 1000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{base}.{millis:03d}Z" if millis else f"{base}Z"


def to_ms(value: str | datetime | date | int | None) -> int:
    """Epoch milliseconds (NULL_MS for None) from an ISO string, a datetime, a date or ms.

    Naive values are taken as UTC; a bare date means its midnight UTC.
    """
    if value is None:
        return NULL_MS
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = parse_iso(value)
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return round(value.timestamp() * 1000)


def parse_iso(text: str) -> datetime | date:
    """A datetime (with or without offset or `Z`) or a bare date, as clients send them."""
    text = text.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text)


def day_start_ms(value: str) -> int:
    """The UTC midnight starting the day of `value`: date filters are day-granular."""
    ms = to_ms(value)
    return ms - ms % DAY_MS
