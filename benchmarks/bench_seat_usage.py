"""Seat usage at scale: the set-based SQL of `dashboard/seat_usage` against plain pandas.

A synthetic warehouse of 100,000 users, 5,000 teams (a tenth of the users in two teams), 70
products (60 courses, 10 bundles of 3-5 courses), three purchases per team and 1,000,000
enrollments (some expired, some free trials) is loaded into SQLite and into PostgreSQL. On each,
in the same run:

- SQL: `recalculate_seat_usage` (one INSERT ... SELECT of joins, in the database);
- the baseline, a straightforward pandas implementation of the same rule: read the five tables
  into frames, merge, de-duplicate, group.

Both results are compared row for row before any time is reported.

    ./scripts/uv run --frozen python -m benchmarks seat_usage
"""

import datetime as dt
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from resources.dashboard.seats import recalculate_seat_usage
from resources.dashboard.store import DashboardStore
from resources.warehouse import WarehouseResource

USERS, TEAMS, ENROLLMENTS = 100_000, 5_000, 1_000_000
COURSES, BUNDLES, PURCHASES_PER_TEAM = 60, 10, 3
SEED = 11
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def synthetic_tables() -> dict[str, pd.DataFrame]:
    """Every table seat usage reads, as frames (deterministic from SEED)."""
    rng = np.random.default_rng(SEED)
    user_ids = np.arange(1, USERS + 1)
    emails = [f"user{i}@example.com" for i in user_ids]
    course_ids = np.arange(1, COURSES + 1)
    bundle_courses = [
        (bundle, int(course))
        for bundle in range(1, BUNDLES + 1)
        for course in rng.choice(course_ids, size=rng.integers(3, 6), replace=False)
    ]
    products = pd.DataFrame(
        {
            "id": np.arange(1, COURSES + BUNDLES + 1),
            "productable_type": ["Course"] * COURSES + ["Bundle"] * BUNDLES,
            "productable_id": np.concatenate([course_ids, np.arange(1, BUNDLES + 1)]),
            "collection_ids": "[]",
            "related_product_ids": "[]",
            "product_prices": "[]",
        }
    )
    teams = [f"team {i}" for i in range(TEAMS)]
    first_team = rng.integers(0, TEAMS, USERS)
    second = rng.random(USERS) < 0.1
    members = pd.DataFrame(
        {
            "team": [teams[t] for t in first_team]
            + [teams[t] for t in rng.integers(0, TEAMS, second.sum())],
            "email": emails + [e for e, s in zip(emails, second, strict=True) if s],
        }
    ).drop_duplicates()
    allocations = pd.DataFrame(
        [
            (team, int(product), int(rng.integers(5, 40)))
            for team in teams
            for product in rng.choice(products["id"], PURCHASES_PER_TEAM, replace=False)
        ],
        columns=["team", "product_id", "seats"],
    )
    pairs = rng.integers(0, USERS * COURSES, int(ENROLLMENTS * 1.2))
    pairs = np.unique(pairs)[:ENROLLMENTS]
    rng.shuffle(pairs)
    count = len(pairs)
    expiry = np.where(rng.random(count) < 0.1, NOW - dt.timedelta(days=5), pd.NaT)
    enrollments = pd.DataFrame(
        {
            "id": np.arange(1, count + 1),
            "user_id": pairs // COURSES + 1,
            "course_id": pairs % COURSES + 1,
            "expired": rng.random(count) < 0.05,
            "is_free_trial": rng.random(count) < 0.05,
            "expiry_date": pd.to_datetime(expiry, utc=True),
        }
    )
    return {
        "thinkific_users": pd.DataFrame({"id": user_ids, "email": emails}).assign(
            roles="[]", administered_course_ids="[]", custom_profile_fields="[]"
        ),
        "thinkific_products": products,
        "thinkific_bundle_courses": pd.DataFrame(
            bundle_courses, columns=["bundle_id", "course_id"]
        ),
        "thinkific_enrollments": enrollments,
        "dashboard_users": pd.DataFrame(
            {"email": emails, "thinkific_user_id": user_ids, "created_at": NOW}
        ),
        "dashboard_teams": pd.DataFrame({"team": teams, "name": teams, "created_at": NOW}),
        "dashboard_team_members": members.assign(role="member", source="csv_import", joined_at=NOW),
        "dashboard_seat_allocations": allocations.assign(purchased_at=NOW),
    }


def _load(store: DashboardStore, frames: dict[str, pd.DataFrame]) -> None:
    """Bulk-loads the frames: COPY on PostgreSQL, executemany on SQLite."""
    store.ensure_tables()
    for name, frame in frames.items():
        table = store.table(name)
        rows = frame.astype(object).where(frame.notna(), None)
        if store.dialect == "postgresql":
            columns = ", ".join(f'"{c}"' for c in rows.columns)
            qualified = f"{table.schema}.{table.name}" if table.schema else table.name
            raw = store.engine.raw_connection()
            statement = f"COPY {qualified} ({columns}) FROM STDIN"
            try:
                with raw.cursor() as cursor, cursor.copy(statement) as copy:
                    for row in rows.itertuples(index=False, name=None):
                        copy.write_row(row)
                raw.commit()
            finally:
                raw.close()
        else:
            with store.engine.begin() as connection:
                connection.execute(table.insert(), rows.to_dict("records"))
    with store.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")  # planner statistics, as a maintained database has


def _read(store: DashboardStore, name: str, *columns: str) -> pd.DataFrame:
    table = store.table(name)
    query = sa.select(*(table.c[c] for c in columns))
    if "deleted_at" in table.c:
        query = query.where(table.c.deleted_at.is_(None))
    with store.engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=list(columns))


def pandas_seat_usage(store: DashboardStore) -> tuple[pd.DataFrame, float]:
    """The baseline: the rule written plainly with pandas; returns it and the compute seconds
    (the reading is timed by the caller)."""
    members = _read(store, "dashboard_team_members", "team", "email")
    users = _read(store, "dashboard_users", "email", "thinkific_user_id")
    enrollments = _read(
        store,
        "thinkific_enrollments",
        "user_id",
        "course_id",
        "expired",
        "is_free_trial",
        "expiry_date",
    )
    products = _read(store, "thinkific_products", "id", "productable_type", "productable_id")
    bundle_courses = _read(store, "thinkific_bundle_courses", "bundle_id", "course_id")
    allocations = _read(store, "dashboard_seat_allocations", "team", "product_id", "seats")
    started = time.perf_counter()
    expiry = pd.to_datetime(enrollments["expiry_date"], utc=True)
    active = enrollments[
        ~enrollments["expired"].fillna(False).astype(bool)
        & ~enrollments["is_free_trial"].fillna(False).astype(bool)
        & (expiry.isna() | (expiry > NOW))
    ]
    courses = products[products["productable_type"] == "Course"]
    in_bundles = products[products["productable_type"] == "Bundle"].merge(
        bundle_courses, left_on="productable_id", right_on="bundle_id"
    )
    product_courses = pd.concat(
        [
            courses.rename(columns={"id": "product_id", "productable_id": "course_id"})[
                ["product_id", "course_id"]
            ],
            in_bundles.rename(columns={"id": "product_id"})[["product_id", "course_id"]],
        ]
    ).drop_duplicates()
    purchased = allocations.groupby(["team", "product_id"], as_index=False)["seats"].sum()
    holders = (
        members.merge(users, on="email")
        .merge(active, left_on="thinkific_user_id", right_on="user_id")
        .merge(product_courses, on="course_id")
        .merge(purchased[["team", "product_id"]], on=["team", "product_id"])
        .drop_duplicates(["team", "product_id", "email"])
    )
    used = holders.groupby(["team", "product_id"]).size().rename("used").reset_index()
    usage = purchased.merge(used, on=["team", "product_id"], how="left").fillna({"used": 0})
    usage["available"] = usage["seats"] - usage["used"]
    return usage.rename(columns={"seats": "purchased"}), time.perf_counter() - started


def _same(sql: pd.DataFrame, baseline: pd.DataFrame) -> bool:
    key = ["team", "product_id"]
    columns = [*key, "purchased", "used", "available"]
    types = {"team": str, **{c: "int64" for c in columns[1:]}}
    left = sql[columns].astype(types).sort_values(key)
    right = baseline[columns].astype(types).sort_values(key)
    return left.reset_index(drop=True).equals(right.reset_index(drop=True))


@contextmanager
def _databases() -> Iterator[tuple[str, str | None]]:
    """(name, URL) of each database to measure; PostgreSQL's URL is None when unreachable."""
    with tempfile.TemporaryDirectory() as folder:
        databases: list[tuple[str, str | None]] = [
            ("sqlite", f"sqlite:///{Path(folder) / 'bench.db'}")
        ]
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        name = f"bench_seat_usage_{uuid.uuid4().hex[:8]}"
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            databases.append(
                ("postgresql", admin.url.set(database=name).render_as_string(hide_password=False))
            )
        except sa.exc.OperationalError:
            databases.append(("postgresql", None))
        try:
            yield databases
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


def measure(url: str, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    warehouse = WarehouseResource(url=url)
    store = DashboardStore(warehouse)
    try:
        started = time.perf_counter()
        _load(store, frames)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        rows = recalculate_seat_usage(store, NOW)
        sql_seconds = time.perf_counter() - started
        started = time.perf_counter()
        baseline, compute_seconds = pandas_seat_usage(store)
        pandas_seconds = time.perf_counter() - started
        if not _same(store.read("dashboard_seat_usage"), baseline):
            raise AssertionError("SQL and pandas seat usage differ")
    finally:
        warehouse.dispose()
    return {
        "load seconds": round(loaded, 1),
        "usage rows": rows,
        "SQL seconds": round(sql_seconds, 2),
        "pandas seconds (read + compute)": round(pandas_seconds, 2),
        "pandas compute only": round(compute_seconds, 2),
        "pandas ÷ SQL": round(pandas_seconds / sql_seconds, 2),
    }


def main() -> dict[str, Any]:
    frames = synthetic_tables()
    rows = []
    with _databases() as databases:
        for name, url in databases:
            if url is None:
                rows.append({"database": name, "SQL seconds": "skipped: no server"})
                continue
            print(f"seat usage on {name} ...", flush=True)
            rows.append({"database": name, **measure(url, frames)})
    enrollments = len(frames["thinkific_enrollments"])
    memberships = len(frames["dashboard_team_members"])
    return {
        "title": "Seat usage: set-based SQL vs pandas",
        "rows": rows,
        "notes": (
            f"{USERS:,} users, {TEAMS:,} teams, {memberships:,} memberships, {enrollments:,} "
            f"enrollments, {COURSES} courses and {BUNDLES} bundles, {PURCHASES_PER_TEAM} "
            "purchases per team. SQL is `recalculate_seat_usage` (replaces dashboard_seat_usage "
            "in one transaction); the baseline reads the same tables into pandas and applies the "
            "same rule. Both results are checked equal before timing is reported. A ratio above 1 "
            "means the SQL is faster."
        ),
    }
