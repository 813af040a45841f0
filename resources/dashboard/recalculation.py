"""Seat usage and the Teams tab, recalculated for the teams that changed, or in full.

A recalculation takes its pending changes (`resources.dashboard.change_log`) and turns their
subjects into teams: a team itself; the teams of the members with a changed email; of the
members who are a changed Thinkific user (linked, or matched by that user's email); the teams
that bought a changed product or a product of a changed bundle. To those it adds the teams
where something expired since the last calculation (`resources.dashboard.seat_expiries`),
which changes usage with no write to log. Then it rewrites those teams' rows only, in the same
transaction; a team's rows depend only on the team, so the table ends as a full recalculation
would leave it (`tests/dashboard/test_incremental_recalculation.py` checks that on random
changes).

It recalculates in full when asked (the nightly sync, the Recalculate Seats tool), when the
changes are unknown (no calculation yet, triggers just installed), when more than
`MAX_INCREMENTAL_SUBJECTS` users changed, and when more than `MAX_INCREMENTAL_TEAMS` teams did.
The incremental recalculation's lead over the full one shrinks as more teams changed, and is
smaller on PostgreSQL than on SQLite (benchmarks/RESULTS.md, "Seat recalculation", has the
times), so the threshold stays on the cheap side. PostgreSQL's incremental time is mostly a
hash join of all enrollments: an index of `thinkific_enrollments.user_id` would make one team
quick, but its planner then searches that index once per member in the full recalculation
too, which it slows down, so there is none.
"""

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

from resources.dashboard.change_log import (
    BUNDLE,
    EMAIL,
    OVERVIEW,
    PRODUCT,
    SEATS,
    TEAM,
    USER,
    Changes,
    take_changes,
)
from resources.dashboard.overview import replace_overview
from resources.dashboard.seat_expiries import expired_between
from resources.dashboard.seats import replace_seat_usage
from resources.dashboard.sql import normalised as sql_normalised
from resources.dashboard.store import DashboardStore
from schemas.dashboard import normalised

MAX_INCREMENTAL_TEAMS = 200
"""Above this many changed teams a full recalculation is cheaper (see the module docstring)."""
MAX_INCREMENTAL_SUBJECTS = 5_000
"""Above this many changed users and emails the recalculation is full without looking for their
teams: so many rarely belong to few teams, and each is a bound parameter (SQLite takes at most
32,766 in a statement)."""

Replace = Callable[[sa.Connection, DashboardStore, dt.datetime, Collection[str] | None], int]
TABLES: dict[str, tuple[str, Replace]] = {
    SEATS: ("dashboard_seat_usage", replace_seat_usage),
    OVERVIEW: ("dashboard_teams_overview", replace_overview),
}


@dataclass(frozen=True)
class Recalculated:
    mode: Literal["incremental", "full"]
    teams: int
    """Teams whose rows were recalculated (every team with rows, in full)."""
    rows: int
    """Rows written."""


def _teams_of(
    connection: sa.Connection, store: DashboardStore, changes: Changes, users: set[int]
) -> set[str]:
    """The teams whose rows the changed subjects (and the users given) may change."""
    members, dashboard_users = (
        store.table("dashboard_team_members"),
        store.table("dashboard_users"),
    )
    thinkific, allocations = (
        store.table("thinkific_users"),
        store.table("dashboard_seat_allocations"),
    )
    products = store.table("thinkific_products")
    user_ids = users | {int(subject) for subject in changes.of(USER)}
    emails = {normalised(email) for email in changes.of(EMAIL)}
    linked = sa.select(dashboard_users.c.email).where(
        dashboard_users.c.thinkific_user_id.in_(user_ids)
    )
    # Members matched by email: every member with the email of a changed user (a few more
    # than those matched when another user has the same email; recalculating them is harmless).
    matched = sa.select(sql_normalised(thinkific.c.email)).where(thinkific.c.id.in_(user_ids))
    of_users = sa.select(members.c.team).where(
        sa.or_(
            members.c.email.in_(emails), members.c.email.in_(linked), members.c.email.in_(matched)
        )
    )
    bundled = sa.select(products.c.id).where(
        products.c.productable_type == "Bundle",
        products.c.productable_id.in_([int(b) for b in changes.of(BUNDLE)]),
    )
    of_products = sa.select(allocations.c.team).where(
        sa.or_(
            allocations.c.product_id.in_([int(p) for p in changes.of(PRODUCT)]),
            allocations.c.product_id.in_(bundled),
        )
    )
    found = set(changes.of(TEAM))
    if user_ids or emails:
        found |= set(connection.execute(of_users.distinct()).scalars())
    if changes.of(PRODUCT) or changes.of(BUNDLE):
        found |= set(connection.execute(of_products.distinct()).scalars())
    return found


def _last_calculated(connection: sa.Connection, table: sa.Table) -> dt.datetime | None:
    return connection.execute(sa.select(sa.func.max(table.c.calculated_at))).scalar()


def recalculate(
    store: DashboardStore, consumer: str, at: dt.datetime, *, full: bool = False
) -> Recalculated:
    """Recalculates the consumer's table (`seat_usage` or `teams_overview`) as of `at`: the
    teams changed since its last calculation, or every team (`full`, or see the module
    docstring); one transaction."""
    name, replace = TABLES[consumer]
    table = store.table(name)
    with store.transaction() as connection:
        changes = take_changes(connection, store, consumer)
        since = _last_calculated(connection, table)
        teams: set[str] | None = None
        if not (full or changes.everything or since is None):
            expired = expired_between(connection, store, since, at)
            people = len(expired.users) + len(changes.of(USER)) + len(changes.of(EMAIL))
            if people <= MAX_INCREMENTAL_SUBJECTS:
                teams = expired.teams | _teams_of(connection, store, changes, expired.users)
        if teams is not None and len(teams) <= MAX_INCREMENTAL_TEAMS:
            return Recalculated("incremental", len(teams), replace(connection, store, at, teams))
        rows = replace(connection, store, at, None)
        recalculated = connection.execute(sa.select(sa.func.count(table.c.team.distinct())))
        return Recalculated("full", recalculated.scalar_one(), rows)
