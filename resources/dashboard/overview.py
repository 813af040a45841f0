"""The Teams tab: one row per team, recalculated in one INSERT ... SELECT of grouped joins.

Certificates and quiz results come from `thinkific_certificates` and `thinkific_quiz_results`,
which the GraphQL extraction creates. Until a table exists (with a `user_id` column, and for
quizzes `correct_count` and `incorrect_count`) its column stays null, shown as n/a; once it
exists a team without any shows 0.
"""

import datetime as dt

import sqlalchemy as sa

from resources.dashboard.sql import DELETED_AT, insert_from, live
from resources.dashboard.store import DashboardStore

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


def _member_users(store: DashboardStore) -> sa.Subquery:
    """(team, email, role, thinkific_user_id) of every membership."""
    members, users = store.table("dashboard_team_members"), store.table("dashboard_users")
    return (
        sa.select(members.c.team, members.c.email, members.c.role, users.c.thinkific_user_id)
        .outerjoin(users, users.c.email == members.c.email)
        .subquery("member_users")
    )


def _per_team(member_users: sa.Subquery, table: sa.Table, *values: sa.Label) -> sa.Subquery:
    """Aggregates over the rows of `table` that belong to a team's members."""
    return (
        sa.select(member_users.c.team, *values)
        .join(table, table.c.user_id == member_users.c.thinkific_user_id)
        .where(_not_deleted(table))
        .group_by(member_users.c.team)
        .subquery(f"{table.name}_per_team")
    )


def _flag(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def recalculate_overview(store: DashboardStore, at: dt.datetime) -> int:
    """Replaces `dashboard_teams_overview` (archived teams left out); returns the number of
    teams."""
    teams, usage = store.table("dashboard_teams"), store.table("dashboard_seat_usage")
    overview, enrollments = (
        store.table("dashboard_teams_overview"),
        store.table("thinkific_enrollments"),
    )
    member_users = _member_users(store)
    with store.transaction() as connection:
        connection.execute(sa.delete(overview))
        people = (
            sa.select(
                member_users.c.team,
                sa.func.count().label("members"),
                _flag(member_users.c.role == "manager").label("managers"),
            )
            .group_by(member_users.c.team)
            .subquery("people")
        )
        seats = (
            sa.select(
                usage.c.team,
                sa.func.sum(usage.c.purchased).label("purchased"),
                sa.func.sum(usage.c.used).label("used"),
                sa.func.sum(usage.c.available).label("available"),
            )
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
                member_users.c.team,
                sa.func.count().label("enrollments"),
                _flag(not_expired).label("active"),
                _flag(e.completed.is_(True)).label("completed"),
            )
            .join(enrollments, e.user_id == member_users.c.thinkific_user_id)
            .where(live(enrollments), sa.func.coalesce(e.is_free_trial, sa.false()).is_(sa.false()))
            .group_by(member_users.c.team)
            .subquery("learning")
        )
        columns = {
            "team": teams.c.team,
            "name": teams.c.name,
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
            teams.outerjoin(people, people.c.team == teams.c.team)
            .outerjoin(seats, seats.c.team == teams.c.team)
            .outerjoin(learning, learning.c.team == teams.c.team)
        )
        certificates = _optional_table(connection, store, CERTIFICATES, "user_id")
        if certificates is not None:
            earned = _per_team(member_users, certificates, sa.func.count().label("earned"))
            joined = joined.outerjoin(earned, earned.c.team == teams.c.team)
            columns["certificates"] = sa.func.coalesce(earned.c.earned, 0)
        quizzes = _optional_table(
            connection, store, QUIZ_RESULTS, "user_id", "correct_count", "incorrect_count"
        )
        if quizzes is not None:
            answered = quizzes.c.correct_count + quizzes.c.incorrect_count
            grade = sa.cast(quizzes.c.correct_count, sa.Double) / sa.func.nullif(answered, 0)
            grades = _per_team(member_users, quizzes, sa.func.avg(grade).label("grade"))
            joined = joined.outerjoin(grades, grades.c.team == teams.c.team)
            columns["average_quiz_grade"] = grades.c.grade
        rows = (
            sa.select(*(value.label(name) for name, value in columns.items()))
            .select_from(joined)
            .where(teams.c.archived_at.is_(None))
        )
        return connection.execute(insert_from(connection, overview, rows)).rowcount
