"""Incremental recalculation equals the full one: on a random warehouse (enrollments with and
without expiry dates, memberships, purchases that expire, members linked by id or only by
email), after each of a series of random changes and a random wait, the teams the change log
and the expiries name are recalculated, and both tables must equal a full recalculation at the
same moment (computed in a transaction rolled back, so the log is left as it was). Seeded: a
failure repeats. On SQLite and PostgreSQL."""

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from dagster import materialize

from assets.dashboard.derived import seat_usage
from pipelines.jobs.tools import recalculate_seats
from resources.dashboard import recalculation
from resources.dashboard.change_log import OVERVIEW, SEATS
from resources.dashboard.overview import replace_overview
from resources.dashboard.recalculation import recalculate
from resources.dashboard.seats import replace_seat_usage
from resources.dashboard.store import DashboardStore
from tests.dashboard.seed import DAY, NOW, bundle_product, course_product, enrollment, put, user

HOUR = dt.timedelta(hours=1)
TEAMS = ("red", "blue", "green", "gold")
USERS = range(1, 13)
COURSES = {100: 1, 101: 2, 102: 3}  # course product id -> course id
BUNDLE, BUNDLE_ID = 200, 9
PRODUCTS = (*COURSES, BUNDLE)
ROUNDS = 12


def email(user_id: int) -> str:
    return f"u{user_id}@x.com"


def some_time(rng: random.Random, start: dt.datetime) -> dt.datetime | None:
    """No expiry, a past one, or one within the next ten days."""
    return rng.choice([None, start - DAY, start + rng.randint(1, 240) * HOUR])


def random_enrollment(rng: random.Random, enrollment_id: int, at: dt.datetime) -> dict[str, Any]:
    return enrollment(
        enrollment_id,
        rng.choice(USERS),
        rng.choice([*COURSES.values(), 4]),
        expiry_date=some_time(rng, at),
        expired=rng.random() < 0.1,
        is_free_trial=rng.random() < 0.1,
        completed=rng.random() < 0.3,
    )


def random_purchase(rng: random.Random, at: dt.datetime) -> dict[str, Any]:
    return {
        "team": rng.choice(TEAMS),
        "product_id": rng.choice(PRODUCTS),
        "purchased_at": at - rng.randint(0, 1000) * HOUR,
        "seats": rng.randint(0, 4),
        "expires_at": some_time(rng, at),
    }


def build(store: DashboardStore, rng: random.Random) -> None:
    warehouse = store._warehouse
    put(
        warehouse,
        "products",
        [course_product(p, c) for p, c in COURSES.items()] + [bundle_product(BUNDLE, BUNDLE_ID)],
    )
    put(warehouse, "bundle_courses", [{"bundle_id": BUNDLE_ID, "course_id": c} for c in (2, 3)])
    # Thinkific writes some emails in capitals: members are matched case-insensitively.
    put(warehouse, "users", [user(u, email(u).upper() if u % 3 else email(u)) for u in USERS])
    store.add_users(
        [{"email": email(u), "thinkific_user_id": u if rng.random() < 0.7 else None} for u in USERS]
    )
    store.create_teams(*TEAMS)
    for team in TEAMS:
        store.add_members(team, rng.sample([email(u) for u in USERS], 5), "member", "csv_import")
    store.write("dashboard_seat_allocations", [random_purchase(rng, NOW) for _ in range(8)])
    put(warehouse, "enrollments", [random_enrollment(rng, i, NOW) for i in range(1, 41)])


def update(store: DashboardStore, table: str, where: dict[str, Any], **values: Any) -> None:
    target = store.table(table)
    with store.transaction() as connection:
        connection.execute(
            sa.update(target)
            .where(*(target.c[column] == value for column, value in where.items()))
            .values(**values)
        )


def delete(store: DashboardStore, table: str, **where: Any) -> None:
    target = store.table(table)
    with store.transaction() as connection:
        connection.execute(
            sa.delete(target).where(*(target.c[column] == value for column, value in where.items()))
        )


def changes(store: DashboardStore) -> list[Callable[[random.Random, dt.datetime, int], None]]:
    """Each a random change of one kind, as the sync, webhooks, uploads or the admin make it."""
    warehouse = store._warehouse

    def enrol(rng, at, n):
        put(warehouse, "enrollments", [random_enrollment(rng, 1000 + n, at)])

    def change_enrollment(rng, at, n):
        changed = random_enrollment(rng, rng.randint(1, 40), at)
        put(warehouse, "enrollments", [changed])

    def delete_enrollment(rng, at, n):
        update(store, "thinkific_enrollments", {"id": rng.randint(1, 40)}, deleted_at=at)

    def join(rng, at, n):
        store.add_members(rng.choice(TEAMS), [email(rng.choice(USERS))], "member", "csv_import")

    def leave(rng, at, n):
        delete(
            store, "dashboard_team_members", team=rng.choice(TEAMS), email=email(rng.choice(USERS))
        )

    def buy(rng, at, n):
        store.write("dashboard_seat_allocations", [random_purchase(rng, at)])

    def archive(rng, at, n):
        update(store, "dashboard_teams", {"team": rng.choice(TEAMS)}, archived_at=at)

    def release(rng, at, n):
        store.write(
            "dashboard_seat_releases",
            [
                {
                    "team": rng.choice(TEAMS),
                    "email": email(rng.choice(USERS)),
                    "product_id": rng.choice(PRODUCTS),
                    "released_at": at,
                    "run_id": f"run-{n}",
                }
            ],
        )

    def relink(rng, at, n):
        linked = rng.choice([None, rng.choice(USERS)])
        update(
            store, "dashboard_users", {"email": email(rng.choice(USERS))}, thinkific_user_id=linked
        )

    def rename_in_thinkific(rng, at, n):
        put(warehouse, "users", [user(rng.choice(USERS), email(rng.choice(USERS)).upper())])

    def delete_in_thinkific(rng, at, n):
        update(store, "thinkific_users", {"id": rng.choice(USERS)}, deleted_at=at)

    def rebundle(rng, at, n):
        put(
            warehouse, "bundle_courses", [{"bundle_id": BUNDLE_ID, "course_id": rng.choice([1, 4])}]
        )

    def delete_product(rng, at, n):
        update(store, "thinkific_products", {"id": rng.choice(PRODUCTS)}, deleted_at=at)

    def only_time_passes(rng, at, n):
        pass

    return [
        enrol,
        change_enrollment,
        delete_enrollment,
        join,
        leave,
        buy,
        archive,
        release,
        relink,
        rename_in_thinkific,
        delete_in_thinkific,
        rebundle,
        delete_product,
        only_time_passes,
    ]


def rows(connection: sa.Connection, store: DashboardStore) -> dict[str, set[tuple]]:
    """Both tables' rows, without `calculated_at` (incremental leaves other teams' as they were)."""
    found = {}
    for name in ("dashboard_seat_usage", "dashboard_teams_overview"):
        table = store.table(name)
        columns = [c for c in table.c if c.name != "calculated_at"]
        found[name] = {tuple(row) for row in connection.execute(sa.select(*columns))}
    return found


def full_at(store: DashboardStore, at: dt.datetime) -> dict[str, set[tuple]]:
    """What a full recalculation at `at` would leave, computed and rolled back."""
    with store.engine.connect() as connection, connection.begin() as transaction:
        replace_seat_usage(connection, store, at)
        replace_overview(connection, store, at)
        expected = rows(connection, store)
        transaction.rollback()
    return expected


@pytest.mark.parametrize("seed", range(4))
def test_incremental_recalculation_equals_the_full_one_after_random_changes(store, seed):
    rng = random.Random(seed)
    build(store, rng)
    at = NOW
    assert recalculate(store, SEATS, at).mode == "full"  # nothing calculated yet
    assert recalculate(store, OVERVIEW, at).mode == "full"
    kinds = changes(store)

    for n in range(ROUNDS):
        change = rng.choice(kinds)
        change(rng, at, n)
        at += rng.randint(0, 72) * HOUR

        seats, overview = recalculate(store, SEATS, at), recalculate(store, OVERVIEW, at)

        assert (seats.mode, overview.mode) == ("incremental", "incremental")
        with store.engine.connect() as connection:
            assert rows(connection, store) == full_at(store, at), f"after {change.__name__}"


def test_a_change_recalculates_only_the_teams_it_concerns(store):
    build(store, random.Random(0))
    recalculate(store, SEATS, NOW)
    store.add_members("red", [email(1)], "member", "csv_import")

    done = recalculate(store, SEATS, NOW)

    assert (done.mode, done.teams) == ("incremental", 1)


def test_a_full_recalculation_is_made_when_asked_even_with_nothing_changed(store):
    build(store, random.Random(0))
    recalculate(store, SEATS, NOW)

    done = recalculate(store, SEATS, NOW, full=True)

    assert (done.mode, done.teams) == ("full", len(TEAMS))


def test_a_recalculation_with_nothing_changed_and_nothing_expired_touches_no_team(store):
    build(store, random.Random(0))
    recalculate(store, SEATS, NOW)

    done = recalculate(store, SEATS, NOW)

    assert (done.mode, done.teams, done.rows) == ("incremental", 0, 0)


def materialized_metadata(store: DashboardStore, **tags: str) -> dict[str, Any]:
    result = materialize([seat_usage], resources={"warehouse": store._warehouse}, tags=tags)
    (materialization,) = result.asset_materializations_for_node("dashboard__seat_usage")
    return {name: value.value for name, value in materialization.metadata.items()}


def test_the_seat_usage_asset_says_it_recalculated_only_the_team_that_changed(store):
    build(store, random.Random(0))
    materialized_metadata(store)
    store.add_members("blue", [email(2)], "member", "csv_import")

    metadata = materialized_metadata(store)

    assert (metadata["mode"], metadata["teams_recalculated"]) == ("incremental", 1)


def test_the_recalculate_seats_tool_recalculates_every_team(store):
    build(store, random.Random(0))
    materialized_metadata(store)

    metadata = materialized_metadata(store, **recalculate_seats.tags)

    assert (metadata["mode"], metadata["teams_recalculated"]) == ("full", len(TEAMS))


def test_more_changed_teams_than_the_threshold_recalculate_in_full(store, monkeypatch):
    build(store, random.Random(0))
    recalculate(store, SEATS, NOW)
    monkeypatch.setattr(recalculation, "MAX_INCREMENTAL_TEAMS", 2)
    for team in TEAMS[:3]:
        store.add_members(team, [email(1)], "member", "csv_import")

    assert recalculate(store, SEATS, NOW).mode == "full"


def test_more_changed_users_than_the_threshold_recalculate_in_full(store, monkeypatch):
    build(store, random.Random(0))
    recalculate(store, SEATS, NOW)
    monkeypatch.setattr(recalculation, "MAX_INCREMENTAL_SUBJECTS", 2)
    put(store._warehouse, "enrollments", [enrollment(500 + u, u, 1) for u in (1, 2, 3)])

    assert recalculate(store, SEATS, NOW).mode == "full"
