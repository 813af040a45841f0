"""The Teams tab: one row per team, recalculated in one INSERT ... SELECT of grouped joins.

Certificates and quiz results come from `thinkific_certificates` and `thinkific_quiz_results`,
which the GraphQL extraction creates. Until a table exists (with a `user_id` column, and for
quizzes `correct_count` and `incorrect_count`) its column stays null, shown as n/a; once it
exists a team without any shows 0.

Members are matched to Thinkific users by id, else by email (`team_mapping.member_users`).
Like seat usage, a team's row depends only on the team, so `teams` recalculates some rows.
"""

import datetime as dt
from collections.abc import Collection

import sqlalchemy as sa

from resources.dashboard.sql import DELETED_AT, insert_from, live, of_teams
from resources.dashboard.store import DashboardStore
from resources.dashboard.team_mapping import member_users

CERTIFICATES, QUIZ_RESULTS = "thinkific_certificates", "thinkific_quiz_results"


def _optional_table(
    connection: sa.Connection, store: DashboardStore, name: str, *needed: str
) -> sa.Table | None:
    """The table as it is in the database, if it exists with the columns needed."""
    if not sa.inspect(connection).has_table(name, schema=store.schema):
        return None
    table = sa.Table(name, sa.MetaData(schema=store.schema), autoload_with=connection)
    return table if set(needed) <= set(table.c.keys()) else None


def _not_deleted(table: sa.Table) -> sa.ColumnElement[bool]:
    return live(table) if DELETED_AT in table.c else sa.true()


def _per_team(members: sa.Subquery, table: sa.Table, *values: sa.Label) -> sa.Subquery:
    """Aggregates over the rows of `table` that belong to a team's members."""
    return (
        sa.select(members.c.team, *values)
        .join(table, table.c.user_id == members.c.thinkific_user_id)
        .where(_not_deleted(table))
        .group_by(members.c.team)
        .subquery(f"{table.name}_per_team")
    )


def _flag(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def replace_overview(
    connection: sa.Connection,
    store: DashboardStore,
    at: dt.datetime,
    teams: Collection[str] | None = None,
) -> int:
    """Replaces the rows of `dashboard_teams_overview` of `teams` (default: every row; archived
    teams left out), on the caller's connection; returns the number of rows written."""
    team_rows, usage = store.table("dashboard_teams"), store.table("dashboard_seat_usage")
    overview, enrollments = (
        store.table("dashboard_teams_overview"),
        store.table("thinkific_enrollments"),
    )
    members = member_users(store, teams)
    connection.execute(sa.delete(overview).where(of_teams(overview.c.team, teams)))
    people = (
        sa.select(
            members.c.team,
            sa.func.count().label("members"),
            _flag(members.c.role == "manager").label("managers"),
        )
        .group_by(members.c.team)
        .subquery("people")
    )
    seats = (
        sa.select(
            usage.c.team,
            sa.func.sum(usage.c.purchased).label("purchased"),
            sa.func.sum(usage.c.used).label("used"),
            sa.func.sum(usage.c.available).label("available"),
        )
        .where(of_teams(usage.c.team, teams))
        .group_by(usage.c.team)
        .subquery("seats")
    )
    e = enrollments.c
    not_expired = sa.and_(
        sa.func.coalesce(e.expired, sa.false()).is_(sa.false()),
        sa.or_(e.expiry_date.is_(None), e.expiry_date > at),
    )
    learning = (
        sa.select(
            members.c.team,
            sa.func.count().label("enrollments"),
            _flag(not_expired).label("active"),
            _flag(e.completed.is_(True)).label("completed"),
        )
        .join(enrollments, e.user_id == members.c.thinkific_user_id)
        .where(live(enrollments), sa.func.coalesce(e.is_free_trial, sa.false()).is_(sa.false()))
        .group_by(members.c.team)
        .subquery("learning")
    )
    columns = {
        "team": team_rows.c.team,
        "name": team_rows.c.name,
        "members": sa.func.coalesce(people.c.members, 0),
        "managers": sa.func.coalesce(people.c.managers, 0),
        "seats_purchased": sa.func.coalesce(seats.c.purchased, 0),
        "seats_used": sa.func.coalesce(seats.c.used, 0),
        "seats_available": sa.func.coalesce(seats.c.available, 0),
        "active_enrollments": sa.func.coalesce(learning.c.active, 0),
        "completed_enrollments": sa.func.coalesce(learning.c.completed, 0),
        "completion_rate": sa.cast(learning.c.completed, sa.Double)
        / sa.func.nullif(learning.c.enrollments, 0),
        "certificates": sa.null(),
        "average_quiz_grade": sa.null(),
        "calculated_at": sa.literal(at, sa.DateTime(timezone=True)),
    }
    joined = (
        team_rows.outerjoin(people, people.c.team == team_rows.c.team)
        .outerjoin(seats, seats.c.team == team_rows.c.team)
        .outerjoin(learning, learning.c.team == team_rows.c.team)
    )
    certificates = _optional_table(connection, store, CERTIFICATES, "user_id")
    if certificates is not None:
        earned = _per_team(members, certificates, sa.func.count().label("earned"))
        joined = joined.outerjoin(earned, earned.c.team == team_rows.c.team)
        columns["certificates"] = sa.func.coalesce(earned.c.earned, 0)
    quizzes = _optional_table(
        connection, store, QUIZ_RESULTS, "user_id", "correct_count", "incorrect_count"
    )
    if quizzes is not None:
        answered = quizzes.c.correct_count + quizzes.c.incorrect_count
        grade = sa.cast(quizzes.c.correct_count, sa.Double) / sa.func.nullif(answered, 0)
        grades = _per_team(members, quizzes, sa.func.avg(grade).label("grade"))
        joined = joined.outerjoin(grades, grades.c.team == team_rows.c.team)
        columns["average_quiz_grade"] = grades.c.grade
    rows = (
        sa.select(*(value.label(name) for name, value in columns.items()))
        .select_from(joined)
        .where(team_rows.c.archived_at.is_(None), of_teams(team_rows.c.team, teams))
    )
    return connection.execute(insert_from(connection, overview, rows)).rowcount


def recalculate_overview(
    store: DashboardStore, at: dt.datetime, teams: Collection[str] | None = None
) -> int:
    """Replaces the Teams tab's rows of `teams` (default: all of them) in one transaction;
    returns the number of rows written."""
    with store.transaction() as connection:
        return replace_overview(connection, store, at, teams)
