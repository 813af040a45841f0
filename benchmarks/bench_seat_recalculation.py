"""Seat recalculation: the teams that changed against every team, and what the change log costs.

The warehouse of `bench_seat_usage` (100,000 users, 5,000 teams, 1,000,000 enrollments) is
loaded into SQLite and into PostgreSQL. On each, in the same run:

- full: `recalculate(..., full=True)` of seat usage, then of the Teams tab (the first one also
  installs the change log's triggers);
- incremental: a membership added to 1, 50 and 200 teams (`MAX_INCREMENTAL_TEAMS`), then the
  same recalculations, which take the change log and rewrite those teams' rows only (checked
  `incremental`, with the number of teams expected); the median of `REPEATS`;
- the change log's cost to writers: 5,000 and 100,000 enrollments changed through
  `WarehouseResource.upsert` (the sync's merge) before and after the triggers exist.

    ./scripts/uv run --frozen python -m benchmarks seat_recalculation
"""

import datetime as dt
import os
import statistics
import time
from typing import Any

import pandas as pd

from benchmarks.bench_seat_usage import NOW, TEAMS, _databases, _load, synthetic_tables
from resources.dashboard.change_log import (
    OVERVIEW,
    SEATS,
    STATEMENT_SUBJECTS,
    install_triggers,
)
from resources.dashboard.recalculation import MAX_INCREMENTAL_TEAMS, recalculate
from resources.dashboard.store import DashboardStore
from resources.warehouse import WarehouseResource

CHANGED_TEAMS = (1, 50, MAX_INCREMENTAL_TEAMS)
REPEATS = 3
CHANGED_ENROLLMENTS = (5_000, 100_000)


def _timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def _changed_enrollments(frames: dict[str, pd.DataFrame], count: int, round_: int) -> pd.DataFrame:
    """The first `count` enrollments, each with a new expiry date."""
    changed = frames["thinkific_enrollments"].head(count).copy()
    changed["expiry_date"] = pd.Timestamp(NOW + dt.timedelta(days=30 + round_))
    return changed


def _join_teams(store: DashboardStore, count: int, round_: int) -> None:
    """One new member in each of `count` teams (a different user each round)."""
    for team in range(count):
        user = 1 + (round_ * 1_000 + team) % 100_000
        store.add_members(f"team {team}", [f"user{user}@example.com"], "member", "csv_import")


def measure(url: str, frames: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    warehouse = WarehouseResource(url=url)
    store = DashboardStore(warehouse)
    try:
        _load(store, frames)

        def upserts(round_: int) -> list[float]:
            """Each size once, every row with an expiry date no earlier upsert gave it."""
            first = round_ * len(CHANGED_ENROLLMENTS)
            return [
                _timed(
                    lambda n=count, r=first + i: warehouse.upsert(
                        "thinkific_enrollments", _changed_enrollments(frames, n, r)
                    )
                )[1]
                for i, count in enumerate(CHANGED_ENROLLMENTS)
            ]

        plain = upserts(0)
        with store.transaction() as connection:
            install_triggers(connection, store)
        logged = upserts(1)
        rows = [
            {
                "recalculation": f"upsert of {count:,} changed enrollments",
                "seat usage seconds": "",
                "Teams tab seconds": "",
                "full ÷ this": "",
                "note": f"{before:.2f} s without triggers, {after:.2f} s with",
            }
            for count, before, after in zip(CHANGED_ENROLLMENTS, plain, logged, strict=True)
        ]
        full = {}
        for consumer in (SEATS, OVERVIEW):
            done, full[consumer] = _timed(lambda c=consumer: recalculate(store, c, NOW, full=True))
            assert done.mode == "full" and done.teams == TEAMS, done
        rows.append(_row(f"full ({TEAMS:,} teams)", full, full))
        for count in CHANGED_TEAMS:
            seconds: dict[str, list[float]] = {SEATS: [], OVERVIEW: []}
            for round_ in range(REPEATS):
                _join_teams(store, count, round_)
                for consumer in (SEATS, OVERVIEW):
                    done, took = _timed(lambda c=consumer: recalculate(store, c, NOW))
                    assert (done.mode, done.teams) == ("incremental", count), done
                    seconds[consumer].append(took)
            medians = {c: statistics.median(s) for c, s in seconds.items()}
            rows.append(_row(f"incremental, {count} team(s)", medians, full))
    finally:
        warehouse.dispose()
    return rows


def _row(label: str, seconds: dict[str, float], full: dict[str, float]) -> dict[str, Any]:
    ratio = (full[SEATS] + full[OVERVIEW]) / (seconds[SEATS] + seconds[OVERVIEW])
    return {
        "recalculation": label,
        "seat usage seconds": round(seconds[SEATS], 3),
        "Teams tab seconds": round(seconds[OVERVIEW], 3),
        "full ÷ this": f"{ratio:.1f}x",
        "note": "",
    }


def main() -> dict[str, Any]:
    load = os.getloadavg()[0]
    frames = synthetic_tables()
    rows = []
    with _databases() as databases:
        for name, url in databases:
            if url is None:
                rows.append({"recalculation": f"{name}: skipped, no server"})
                continue
            print(f"seat recalculation on {name} ...", flush=True)
            rows += [{"database": name, **row} for row in measure(url, frames)]
    return {
        "title": "Seat recalculation: the teams that changed against every team",
        "rows": rows,
        "notes": (
            f"The warehouse of the seat usage benchmark ({TEAMS:,} teams, 1,000,000 "
            "enrollments). Full: `recalculate(store, consumer, at, full=True)`; incremental: a "
            "membership added to that many teams, then the recalculation that takes the change "
            f"log (median of {REPEATS}; checked incremental and of that many teams). The upsert "
            "rows are the change log's cost to the sync: the same merge of changed enrollments "
            "before and after the triggers exist (on PostgreSQL a statement of more than "
            f"{STATEMENT_SUBJECTS:,} subjects logs `everything` instead of each user; SQLite logs "
            "each changed row). Above MAX_INCREMENTAL_TEAMS "
            f"({MAX_INCREMENTAL_TEAMS}) changed teams the recalculation is full. Load average "
            f"when it started: {load:.1f} on a machine shared with other work."
        ),
    }
