"""SQL building blocks the dashboard's statements share, for SQLite and PostgreSQL alike."""

import datetime as dt
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

# Defined with the warehouse's DDL, whose index of normalised emails it must match.
from resources.warehouse.expressions import normalised as normalised

DELETED_AT = "deleted_at"


def live(table: sa.Table) -> sa.ColumnElement[bool]:
    """A Thinkific row that has not been deleted in Thinkific."""
    return table.c[DELETED_AT].is_(None)


def of_teams(team: sa.ColumnElement[str], teams: Collection[str] | None) -> sa.ColumnElement[bool]:
    """Rows of the given teams; every row when `teams` is None (a full recalculation)."""
    return sa.true() if teams is None else team.in_(teams)


def active_enrollment(enrollments: sa.Table, at: dt.datetime) -> sa.ColumnElement[bool]:
    """An enrollment that holds a seat: live, not a free trial, not expired.

    Expired is read both ways: the flag, and an expiry date already past (Thinkific flips
    `expired` without touching `updated_at`, so an incremental sync can miss the flag).
    """
    e = enrollments.c
    return sa.and_(
        live(enrollments),
        sa.func.coalesce(e.is_free_trial, sa.false()).is_(sa.false()),
        sa.func.coalesce(e.expired, sa.false()).is_(sa.false()),
        sa.or_(e.expiry_date.is_(None), e.expiry_date > at),
    )


def product_courses(products: sa.Table, bundle_courses: sa.Table) -> sa.Subquery:
    """(product_id, course_id) for every live product: a course product's own course, and each
    course of a bundle product. An enrollment in the course is an enrollment in the product."""
    p, bc = products.c, bundle_courses.c
    courses = sa.select(p.id.label("product_id"), p.productable_id.label("course_id")).where(
        live(products), p.productable_type == "Course"
    )
    in_bundles = (
        sa.select(p.id.label("product_id"), bc.course_id.label("course_id"))
        .join(bundle_courses, bc.bundle_id == p.productable_id)
        .where(live(products), live(bundle_courses), p.productable_type == "Bundle")
    )
    return sa.union(courses, in_bundles).subquery("product_courses")


def dialect_insert(connection: sa.Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which has ON CONFLICT."""
    dialects = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
    return dialects[connection.dialect.name](table)


def upsert(
    connection: sa.Connection, table: sa.Table, keys: list[str], *, update: bool = True
) -> Any:
    """INSERT ... ON CONFLICT (keys): update the other columns, or (`update=False`) keep the
    existing row."""
    insert = dialect_insert(connection, table)
    values = {c.name: insert.excluded[c.name] for c in table.c if c.name not in keys}
    if update and values:
        return insert.on_conflict_do_update(index_elements=keys, set_=values)
    return insert.on_conflict_do_nothing(index_elements=keys)


def insert_from(connection: sa.Connection, table: sa.Table, query: sa.Select[Any]) -> Any:
    """INSERT INTO table (query's column names) SELECT ...; `WHERE true` lets SQLite tell the
    ON CONFLICT of an INSERT ... SELECT from a join's ON."""
    names = [column.name for column in query.selected_columns]
    return dialect_insert(connection, table).from_select(names, query.where(sa.true()))
