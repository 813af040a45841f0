"""Moving a team's rows to another team, for renames, merges and moved members.

A table keyed by team and something else (an email, a product, a purchase) can already hold
the same key in the target team: the two rows collapse into the target's, with the rule of
the table (a manager stays a manager, two purchases at the same instant add up, otherwise the
target's row is kept), then the source rows left are re-keyed. Set-based, one statement each.
"""

import sqlalchemy as sa

from resources.dashboard.store import DashboardStore
from schemas.dashboard import DASHBOARD_TABLES

MEMBERS = "dashboard_team_members"
TEAM_TABLES = (
    MEMBERS,
    "dashboard_group_mappings",
    "dashboard_seat_allocations",
    "dashboard_seat_assignments",
    "dashboard_seat_releases",
)
"""The tables whose rows belong to a team; seat usage and the overview are derived from them."""


def _twin(table: sa.Table, team: str) -> tuple[sa.Alias, sa.ColumnElement[bool]]:
    """The row of `team` with the same key (but for the team) as the table's current row: an
    alias of the table, and the condition that finds it."""
    twin = table.alias("twin")
    keys = [k for k in DASHBOARD_TABLES[table.name].primary_key if k != "team"]
    return twin, sa.and_(twin.c.team == team, *(twin.c[k] == table.c[k] for k in keys))


def _same_key_in(table: sa.Table, team: str) -> sa.Exists:
    _, same = _twin(table, team)
    return sa.select(1).where(same).exists()


def _twin_value(table: sa.Table, team: str, column: str) -> sa.ScalarSelect:
    twin, same = _twin(table, team)
    return sa.select(twin.c[column]).where(same).scalar_subquery()


def _collapse(
    connection: sa.Connection,
    table: sa.Table,
    source: str,
    target: str,
    only: sa.ColumnElement[bool],
) -> int:
    """Folds the source rows that have a twin in the target into that twin."""
    in_target = sa.and_(table.c.team == target, only, _same_key_in(table, source))
    if table.name == MEMBERS:
        manager = _twin_value(table, source, "role") == "manager"
        change = sa.update(table).where(in_target, table.c.role != "manager", manager)
        return connection.execute(change.values(role="manager")).rowcount
    if table.name == "dashboard_seat_allocations":
        seats = table.c.seats + _twin_value(table, source, "seats")
        return connection.execute(sa.update(table).where(in_target).values(seats=seats)).rowcount
    return 0


def move_rows(
    connection: sa.Connection,
    table: sa.Table,
    source: str,
    target: str,
    only: sa.ColumnElement[bool] | None = None,
) -> int:
    """Moves the source team's rows of the table (those matching `only`, a condition on key
    columns other than the team) to the target; returns the rows changed."""
    only = sa.true() if only is None else only
    from_source = sa.and_(table.c.team == source, only)
    changed = _collapse(connection, table, source, target, only)
    duplicates = sa.delete(table).where(from_source, _same_key_in(table, target))
    changed += connection.execute(duplicates).rowcount
    moved = sa.update(table).where(from_source).values(team=target)
    return changed + connection.execute(moved).rowcount


def move_team(connection: sa.Connection, store: DashboardStore, source: str, target: str) -> int:
    """Every row of the source team moves to the target; an assignment wins over a release of
    the same seat, and claims and merged teams follow. Returns the rows changed."""
    changed = sum(move_rows(connection, store.table(name), source, target) for name in TEAM_TABLES)
    releases = store.table("dashboard_seat_releases")
    assignments = store.table("dashboard_seat_assignments")
    assigned = (
        sa.select(1)
        .where(
            assignments.c.team == releases.c.team,
            assignments.c.email == releases.c.email,
            assignments.c.product_id == releases.c.product_id,
        )
        .exists()
    )
    clash = sa.delete(releases).where(releases.c.team == target, assigned)
    changed += connection.execute(clash).rowcount
    claims, teams = store.table("dashboard_enrollment_claims"), store.table("dashboard_teams")
    for table, column in ((claims, claims.c.team), (teams, teams.c.merged_into)):
        update = sa.update(table).where(column == source).values({column.name: target})
        changed += connection.execute(update).rowcount
    return changed
