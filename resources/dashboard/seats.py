"""Seats: who holds one, usage per team and product, over-allocations, and adopted assignments.

The rule (DESIGN.md, domain rules): seats used by a team in a product = distinct members of
the team holding an active enrollment (live, not expired, not a free trial) in the product; for
a bundle, in any of its courses, counted once. Enrollments made before the seats were bought
count, and a user in two teams uses a seat in each team that bought the product. Available =
purchased - used. A seat the admin released (unassigned, `dashboard_seat_releases`) is not used
even while the enrollment lasts; expired purchases and archived teams count nothing. Each is
one set-based statement over the warehouse.
"""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from resources.dashboard.sql import active_enrollment, insert_from, live, product_courses
from resources.dashboard.store import DashboardStore, utc_now

TIMESTAMP = sa.DateTime(timezone=True)


def purchased(store: DashboardStore, at: dt.datetime | None = None) -> sa.Subquery:
    """(team, product_id, purchased): the seats each existing, unarchived team bought, all
    purchases not expired at `at` (default: now)."""
    allocations, teams = store.table("dashboard_seat_allocations"), store.table("dashboard_teams")
    at = at or utc_now()
    return (
        sa.select(
            allocations.c.team,
            allocations.c.product_id,
            sa.func.sum(allocations.c.seats).label("purchased"),
        )
        .join(teams, teams.c.team == allocations.c.team)
        .where(
            teams.c.archived_at.is_(None),
            sa.or_(allocations.c.expires_at.is_(None), allocations.c.expires_at > at),
        )
        .group_by(allocations.c.team, allocations.c.product_id)
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


def _enrolled_members(store: DashboardStore, at: dt.datetime) -> sa.CTE:
    """(team, product_id, email, thinkific_user_id): every membership whose user holds an active
    enrollment in the product, bought or not.

    Materialised on PostgreSQL: left free, its planner may join every enrollment to every team
    that bought the course first (hundreds of millions of rows; 145 s instead of 2 s on the
    seat usage benchmark), because it underestimates the (team, product) purchases."""
    members, users = store.table("dashboard_team_members"), store.table("dashboard_users")
    enrollments = store.table("thinkific_enrollments")
    courses = product_courses(
        store.table("thinkific_products"), store.table("thinkific_bundle_courses")
    )
    return (
        sa.select(members.c.team, courses.c.product_id, members.c.email, users.c.thinkific_user_id)
        .join(users, users.c.email == members.c.email)
        .join(enrollments, enrollments.c.user_id == users.c.thinkific_user_id)
        .join(courses, courses.c.course_id == enrollments.c.course_id)
        .where(active_enrollment(enrollments, at))
        # Nested: rendered in the SELECT that uses it, so that an INSERT ... SELECT over it
        # still starts with INSERT (sqlite3 reports no rowcount for a statement led by WITH).
        .cte("enrolled_members", nesting=True)
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )


def seat_holders(store: DashboardStore, at: dt.datetime) -> sa.Select:
    """Distinct (team, product_id, email, thinkific_user_id): members holding an active
    enrollment in a product their team bought, unless their seat was released (unassigned)."""
    enrolled = _enrolled_members(store, at)
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
    members, users = store.table("dashboard_team_members"), store.table("dashboard_users")
    claims = store.table("dashboard_enrollment_claims")
    return (
        sa.select(members.c.team, claims.c.product_id, members.c.email, users.c.thinkific_user_id)
        .join(users, users.c.email == members.c.email)
        .join(claims, claims.c.thinkific_user_id == users.c.thinkific_user_id)
        .where(
            claims.c.status == "claimed",
            claims.c.claimed_at >= stale_before,
            _bought(store, members.c.team, claims.c.product_id),
        )
        .distinct()
    )


def recalculate_seat_usage(store: DashboardStore, at: dt.datetime) -> int:
    """Replaces `dashboard_seat_usage` with the usage as of `at`, in one transaction; returns
    the number of (team, product) rows."""
    usage = store.table("dashboard_seat_usage")
    bought = purchased(store, at)
    holders = seat_holders(store, at).subquery("holders")
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
    with store.transaction() as connection:
        connection.execute(sa.delete(usage))
        return connection.execute(insert_from(connection, usage, rows)).rowcount


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
