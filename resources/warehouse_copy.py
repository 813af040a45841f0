"""PostgreSQL bulk loads: rows go in through COPY, on the SQLAlchemy connection's own transaction.

COPY cannot resolve a key conflict, and a snapshot stages page after page into one staging table
where a key may come back (pages shift while paging). So each batch is copied into a temporary
table without a key, which the caller then merges into the staging table with one
INSERT ... ON CONFLICT. The temporary table is dropped at the end of the transaction.
"""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.schema import CreateTable


def _temporary_table(like: sa.Table) -> sa.Table:
    """A uniquely named temporary table with the columns of `like` and no key."""
    return sa.Table(
        f"{like.name}__batch_{uuid.uuid4().hex[:12]}",
        sa.MetaData(),
        *(sa.Column(column.name, column.type) for column in like.columns),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def copy_into_temporary_table(
    connection: sa.Connection, like: sa.Table, rows: Iterable[Sequence[Any]]
) -> sa.Table:
    """Creates a temporary table with the columns of `like` and COPYs the rows into it.

    Each row holds one value per column of `like`, in column order; None is NULL. The COPY runs
    through psycopg's `cursor.copy` on the connection's driver connection, so it belongs to the
    transaction the connection is in, and psycopg adapts each value as it would a query parameter.
    """
    batch = _temporary_table(like)
    connection.execute(CreateTable(batch))
    statement = sql.SQL("COPY {table} ({columns}) FROM STDIN").format(
        table=sql.Identifier(batch.name),
        columns=sql.SQL(", ").join(sql.Identifier(column.name) for column in batch.columns),
    )
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
    return batch
