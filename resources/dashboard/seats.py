"""Seats: who holds one, usage per team and product, over-allocations, and adopted assignments.

The rule (`dashboard_seat_usage` in docs/data-dictionary.md): seats used by a team in a product =
distinct members of the team holding an active enrollment (live, not expired, not a free trial) in
the product; for a bundle, in any of its courses, counted once. Enrollments made before the seats
were bought count, and a user in two teams uses a seat in each team that bought the product.
Available = purchased - used. A seat the admin released (unassigned, `dashboard_seat_releases`) is
not used even while the enrollment lasts; expired purchases and archived teams count nothing. Each
is one set-based statement over the warehouse.

A team keeps its row of a product once every purchase of it has expired: 0 purchased, the seats
still in use, available below zero, so the over-allocation check still sees them. A member is
the Thinkific user linked to it, else the one with its email (`team_mapping.member_users`).

`recalculate_seat_usage` rewrites every row, or only the rows of the teams given: a team's
usage depends on nothing outside the team (its members, their enrollments, its purchases and
releases), so recalculating some teams leaves the others' rows as a full recalculation would.
"""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa

from resources.dashboard.sql import (
    active_enrollment,
    insert_from,
    live,
    of_teams,
    product_courses,
)
from resources.dashboard.store import DashboardStore, utc_now
from resources.dashboard.team_mapping import member_users

TIMESTAMP = sa.DateTime(timezone=True)


def _purchases(store: DashboardStore, at: dt.datetime) -> sa.Select:
    """(team, product_id, purchased) for every product an existing, unarchived team ever
    bought: the seats of its purchases not expired at `at` (0 once all have expired)."""
    allocations, teams = store.table("dashboard_seat_allocations"), store.table("dashboard_teams")
    return (
        sa.select(
            allocations.c.team,
            allocations.c.product_id,
            sa.func.sum(sa.case((_current(allocations, at), allocations.c.seats), else_=0)).label(
                "purchased"
            ),
        )
        .join(teams, teams.c.team == allocations.c.team)
        .where(teams.c.archived_at.is_(None))
        .group_by(allocations.c.team, allocations.c.product_id)
    )


def _current(allocations: sa.Table, at: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.or_(allocations.c.expires_at.is_(None), allocations.c.expires_at > at)


def purchased(store: DashboardStore, at: dt.datetime | None = None) -> sa.Subquery:
    """(team, product_id, purchased): the seats each existing, unarchived team bought, all
    purchases not expired at `at` (default: now); only products with such a purchase."""
    allocations = store.table("dashboard_seat_allocations")
    at = at or utc_now()
    return (
        _purchases(store, at)
        .having(sa.func.sum(sa.case((_current(allocations, at), 1), else_=0)) > 0)
        .subquery("purchased")
    )


def _bought(store: DashboardStore, team: sa.ColumnElement[str], product_id: sa.ColumnElement[int]):
    allocations = store.table("dashboard_seat_allocations")
    return (
        sa.select(1)
        .where(allocations.c.team == team, allocations.c.product_id == product_id)
        .exists()
    )


def _released(
    store: DashboardStore,
    team: sa.ColumnElement[str],
    email: sa.ColumnElement[str],
    product_id: sa.ColumnElement[int],
):
    releases = store.table("dashboard_seat_releases")
    return (
        sa.select(1)
        .where(
            releases.c.team == team,
            releases.c.email == email,
            releases.c.product_id == product_id,
        )
        .exists()
    )


def _enrolled_members(
    store: DashboardStore, at: dt.datetime, teams: Collection[str] | None = None
) -> sa.CTE:
    """(team, product_id, email, thinkific_user_id): every membership (of `teams`, default
    all) whose user holds an active enrollment in the product, bought or not.

    Materialised on PostgreSQL: left free, its planner may join every enrollment to every team
    that bought the course first (hundreds of millions of rows at the seat usage benchmark's
    size), because it underestimates the (team, product) purchases."""
    members = member_users(store, teams)
    enrollments = store.table("thinkific_enrollments")
    courses = product_courses(
        store.table("thinkific_products"), store.table("thinkific_bundle_courses")
    )
    return (
        sa.select(
            members.c.team, courses.c.product_id, members.c.email, members.c.thinkific_user_id
        )
        .join(enrollments, enrollments.c.user_id == members.c.thinkific_user_id)
        .join(courses, courses.c.course_id == enrollments.c.course_id)
        .where(active_enrollment(enrollments, at))
        # Nested: rendered in the SELECT that uses it, so that an INSERT ... SELECT over it
        # still starts with INSERT (sqlite3 reports no rowcount for a statement led by WITH).
        .cte("enrolled_members", nesting=True)
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )


def seat_holders(
    store: DashboardStore, at: dt.datetime, teams: Collection[str] | None = None
) -> sa.Select:
    """Distinct (team, product_id, email, thinkific_user_id): members (of `teams`, default all)
    holding an active enrollment in a product their team bought, unless their seat was
    released (unassigned)."""
    enrolled = _enrolled_members(store, at, teams)
    return (
        sa.select(enrolled)
        .where(
            _bought(store, enrolled.c.team, enrolled.c.product_id),
            ~_released(store, enrolled.c.team, enrolled.c.email, enrolled.c.product_id),
        )
        .distinct()
    )


def seat_claimers(store: DashboardStore, stale_before: dt.datetime) -> sa.Select:
    """Distinct (team, product_id, email, thinkific_user_id): members with a push in flight
    (a live claim) for a product their team bought; each will take a seat in every such team."""
    members = member_users(store)
    claims = store.table("dashboard_enrollment_claims")
    return (
        sa.select(members.c.team, claims.c.product_id, members.c.email, members.c.thinkific_user_id)
        .join(claims, claims.c.thinkific_user_id == members.c.thinkific_user_id)
        .where(
            claims.c.status == "claimed",
            claims.c.claimed_at >= stale_before,
            _bought(store, members.c.team, claims.c.product_id),
        )
        .distinct()
    )


def replace_seat_usage(
    connection: sa.Connection,
    store: DashboardStore,
    at: dt.datetime,
    teams: Collection[str] | None = None,
) -> int:
    """Replaces the rows of `dashboard_seat_usage` of `teams` (default: every row) with the
    usage as of `at`, on the caller's connection; returns the number of rows written."""
    usage = store.table("dashboard_seat_usage")
    allocations = store.table("dashboard_seat_allocations")
    bought = _purchases(store, at).where(of_teams(allocations.c.team, teams)).subquery("bought")
    holders = seat_holders(store, at, teams).subquery("holders")
    used = (
        sa.select(holders.c.team, holders.c.product_id, sa.func.count().label("used"))
        .group_by(holders.c.team, holders.c.product_id)
        .subquery("used")
    )
    seats_used = sa.func.coalesce(used.c.used, 0)
    rows = sa.select(
        bought.c.team,
        bought.c.product_id,
        bought.c.purchased,
        seats_used.label("used"),
        (bought.c.purchased - seats_used).label("available"),
        sa.literal(at, TIMESTAMP).label("calculated_at"),
    ).outerjoin(
        used, sa.and_(used.c.team == bought.c.team, used.c.product_id == bought.c.product_id)
    )
    connection.execute(sa.delete(usage).where(of_teams(usage.c.team, teams)))
    return connection.execute(insert_from(connection, usage, rows)).rowcount


def recalculate_seat_usage(
    store: DashboardStore, at: dt.datetime, teams: Collection[str] | None = None
) -> int:
    """Replaces the seat usage of `teams` (default: all of it) with the usage as of `at`, in
    one transaction; returns the number of (team, product) rows written."""
    with store.transaction() as connection:
        return replace_seat_usage(connection, store, at, teams)


@dataclass(frozen=True)
class SeatRow:
    team: str
    product: str
    purchased: int
    used: int
    available: int


def seat_rows(store: DashboardStore, *, over_allocated_only: bool = False) -> list[SeatRow]:
    """Seat usage by team and product names; over-allocations come worst first."""
    usage, teams = store.table("dashboard_seat_usage"), store.table("dashboard_teams")
    products = store.table("thinkific_products")
    query = (
        sa.select(
            teams.c.name,
            sa.func.coalesce(products.c.name, sa.cast(usage.c.product_id, sa.Text)),
            usage.c.purchased,
            usage.c.used,
            usage.c.available,
        )
        .join(teams, teams.c.team == usage.c.team)
        .outerjoin(products, sa.and_(products.c.id == usage.c.product_id, live(products)))
    )
    if over_allocated_only:
        query = query.where(usage.c.available < 0).order_by(usage.c.available)
    query = query.order_by(teams.c.name, usage.c.product_id)
    with store.engine.connect() as connection:
        return [SeatRow(*row) for row in connection.execute(query)]


def _adoptable(store: DashboardStore, at: dt.datetime) -> sa.Select:
    assignments = store.table("dashboard_seat_assignments")
    holders = seat_holders(store, at).subquery("holders")
    assigned = (
        sa.select(1)
        .where(
            assignments.c.team == holders.c.team,
            assignments.c.email == holders.c.email,
            assignments.c.product_id == holders.c.product_id,
        )
        .exists()
    )
    return sa.select(holders.c.team, holders.c.email, holders.c.product_id).where(~assigned)


def count_adoptable(store: DashboardStore, at: dt.datetime) -> int:
    """How many seats held through Thinkific enrollments have no assignment yet."""
    query = sa.select(sa.func.count()).select_from(_adoptable(store, at).subquery())
    with store.engine.connect() as connection:
        return connection.execute(query).scalar_one()


def adopt_enrollments(store: DashboardStore, at: dt.datetime) -> int:
    """Sync direction pull: every seat held through an enrollment made in Thinkific becomes a
    seat assignment (source `thinkific`); returns how many were new."""
    assignments = store.table("dashboard_seat_assignments")
    adoptable = _adoptable(store, at).subquery("adoptable")
    rows = sa.select(
        adoptable,
        sa.literal("thinkific").label("source"),
        sa.literal(at, TIMESTAMP).label("assigned_at"),
    )
    with store.transaction() as connection:
        return connection.execute(insert_from(connection, assignments, rows)).rowcount
