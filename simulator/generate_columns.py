"""The random columns every generator of the site draws: ascending ids, sorted creation times,
picks from pools, subsets; and the fixed instant all generated times lie before.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np

from simulator.table import object_array
from simulator.timestamps import DAY_MS, NULL_MS, to_ms

GENERATION_ANCHOR_MS = to_ms(datetime(2026, 1, 1, tzinfo=UTC))
YEAR_MS = 365 * DAY_MS
WHOLE_SECOND_SHARE = 0.3
"""Share of timestamps with zero milliseconds: Thinkific renders those without the fraction."""


def slugify(name: str, fallback: str) -> str:
    """An ASCII URL slug; names in other scripts fall back to `fallback`."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or fallback


def ascending_ids(rng: np.random.Generator, count: int) -> np.ndarray:
    """Strictly ascending ids with gaps, starting high enough to leave room below them.

    Real ids are neither dense nor small; the room below lets the page-drift fault insert
    records at the front of a list.
    """
    start = int(rng.integers(1_000, 10_000))
    return start + np.cumsum(rng.integers(1, 4, size=count, dtype=np.int64))


def sorted_times(rng: np.random.Generator, count: int, start_ms: int, end_ms: int) -> np.ndarray:
    """Ascending creation times (creation order = id order), some on whole seconds."""
    return some_whole_seconds(rng, np.sort(rng.integers(start_ms, end_ms, size=count)))


def some_whole_seconds(rng: np.random.Generator, ms: np.ndarray) -> np.ndarray:
    """Drops the milliseconds of a share of the (non-null) values; flooring keeps their order."""
    whole = (rng.random(len(ms)) < WHOLE_SECOND_SHARE) & (ms != NULL_MS)
    return np.where(whole, ms - ms % 1000, ms)


def pick(rng: np.random.Generator, pool: tuple, count: int, null_share: float) -> np.ndarray:
    """Values drawn from `pool` (shared objects, one pointer per row), None for `null_share`."""
    choices = object_array([*pool, None])
    picks = rng.integers(len(pool), size=count)
    picks[rng.random(count) < null_share] = len(pool)
    return choices[picks]


def subset(rng: np.random.Generator, count: int, share: float, minimum: int) -> np.ndarray:
    """A sorted random subset of `range(count)` of about `share`, with at least `minimum`."""
    size = min(count, max(minimum, round(share * count)))
    return np.sort(rng.choice(count, size=size, replace=False))


def fill(count: int, rows: np.ndarray, values: list) -> np.ndarray:
    """An object column of None with `values` placed at `rows`."""
    column = np.full(count, None, dtype=object)
    column[rows] = object_array(values)
    return column
