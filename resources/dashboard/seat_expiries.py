"""When seat usage changes by time alone: a purchase's `expires_at`, or the `expiry_date` of an
enrollment that holds a seat, passes. Nothing in the warehouse changes then, so no change is
logged (`resources.dashboard.change_log`): a recalculation looks for the moments passed since
the last one (`expired_between`), and the `seat_expiries` sensor asks for one when such a
moment has come (`next_seat_change`).
"""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from resources.dashboard.sql import live, normalised
from resources.dashboard.store import DashboardStore


def _purchase_expiries(store: DashboardStore) -> sa.Select:
    """(team, moment): when each purchase of an unarchived team expires."""
    allocations, teams = store.table("dashboard_seat_allocations"), store.table("dashboard_teams")
    return (
        sa.select(allocations.c.team, allocations.c.expires_at.label("moment"))
        .join(teams, teams.c.team == allocations.c.team)
        .where(teams.c.archived_at.is_(None), allocations.c.expires_at.is_not(None))
    )


def _enrollment_expiries(store: DashboardStore) -> sa.Select:
    """(user_id, moment): when each enrollment that counts until a date (live, not a free trial,
    not flagged expired) reaches it; a range of the partial index of expiry dates."""
    enrollments = store.table("thinkific_enrollments")
    e = enrollments.c
    return sa.select(e.user_id, e.expiry_date.label("moment")).where(
        live(enrollments),
        sa.func.coalesce(e.is_free_trial, sa.false()).is_(sa.false()),
        sa.func.coalesce(e.expired, sa.false()).is_(sa.false()),
        e.expiry_date.is_not(None),
    )


def _held_by_member(store: DashboardStore, user_id: sa.ColumnElement[int]) -> sa.ColumnElement:
    """The Thinkific user is a team member's: linked to a member's dashboard user, or a live
    user with a member's email. Two index searches, so that the next expiry is found walking
    the expiry dates in order, not by joining every member first."""
    members, users = store.table("dashboard_team_members"), store.table("dashboard_users")
    thinkific = store.table("thinkific_users")
    linked = (
        sa.select(1)
        .select_from(users.join(members, members.c.email == users.c.email))
        .where(users.c.thinkific_user_id == user_id)
        .exists()
    )
    by_email = (
        sa.select(1)
        .select_from(thinkific.join(members, members.c.email == normalised(thinkific.c.email)))
        .where(thinkific.c.id == user_id, live(thinkific))
        .exists()
    )
    return sa.or_(linked, by_email)


def next_seat_change(store: DashboardStore, after: dt.datetime) -> dt.datetime | None:
    """The first moment after `after` at which a purchase or an enrollment held by a team
    member expires; None when none is to come."""
    purchases = _purchase_expiries(store).subquery("purchases")
    enrollments = _enrollment_expiries(store).subquery("enrollments")
    first_purchase = sa.select(sa.func.min(purchases.c.moment)).where(purchases.c.moment > after)
    first_enrollment = (
        sa.select(enrollments.c.moment)
        .where(enrollments.c.moment > after, _held_by_member(store, enrollments.c.user_id))
        .order_by(enrollments.c.moment)
        .limit(1)
    )
    with store.engine.connect() as connection:
        moments = [
            connection.execute(query).scalar() for query in (first_purchase, first_enrollment)
        ]
    return min((_aware(m) for m in moments if m is not None), default=None)


def last_calculation(store: DashboardStore) -> dt.datetime | None:
    """When seat usage was last calculated (its latest `calculated_at`); None before the first."""
    usage = store.table("dashboard_seat_usage")
    with store.engine.connect() as connection:
        return _aware(connection.execute(sa.select(sa.func.max(usage.c.calculated_at))).scalar())


def due(store: DashboardStore, now: dt.datetime) -> dt.datetime | None:
    """The first moment seat usage changed by time alone since its last calculation, if that
    moment has come by `now`; None otherwise (or before the first calculation)."""
    since = last_calculation(store)
    moment = None if since is None else next_seat_change(store, since)
    return moment if moment is not None and moment <= now else None


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns the UTC timestamps it stores without their zone."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Expired:
    """What expired in a window: the teams whose purchases did, the users whose enrollments did."""

    teams: set[str]
    users: set[int]


def expired_between(
    connection: sa.Connection, store: DashboardStore, since: dt.datetime, until: dt.datetime
) -> Expired:
    """Purchases and enrollments whose expiry falls in (since, until]; the enrollments' users,
    members or not (`resources.dashboard.recalculation` finds their teams, if any)."""
    purchases = _purchase_expiries(store).subquery("purchases")
    enrollments = _enrollment_expiries(store).subquery("enrollments")

    def within(moment: sa.ColumnElement[dt.datetime]) -> sa.ColumnElement[bool]:
        return sa.and_(moment > since, moment <= until)

    teams = sa.select(purchases.c.team).where(within(purchases.c.moment)).distinct()
    users = sa.select(enrollments.c.user_id).where(within(enrollments.c.moment)).distinct()
    return Expired(
        teams=set(connection.execute(teams).scalars()),
        users=set(connection.execute(users).scalars()),
    )
