"""PostgreSQL bulk loads: rows go in through COPY, on the SQLAlchemy connection's own transaction.

COPY cannot resolve a key conflict. An upsert's rows are one per key and go straight into its
temporary staging table. A snapshot stages page after page into one keyed staging table where a
key may come back (pages shift while paging), so each of its batches is copied into a temporary
table without a key (`temporary_table_like`), which the caller then merges into the staging
table with one INSERT ... ON CONFLICT. Temporary tables are dropped at the end of the
transaction.

The COPY runs through psycopg's `cursor.copy` on the connection's driver connection, so it
belongs to the transaction the connection is in. Rows go in as text already in COPY's format
(`copy_text`, see `resources.warehouse.rows.copy_text`): a fraction of the cost of values psycopg
would adapt one by one as query parameters (`Copy.write_row`).

psycopg is imported on the first COPY, not with this module: a warehouse on SQLite (the main
command's default) never needs it, and importing it would lengthen every start-up.
"""

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa

from resources.warehouse.migrate import create_working_table

if TYPE_CHECKING:
    import psycopg


def temporary_table_like(connection: sa.Connection, like: sa.Table) -> sa.Table:
    """Creates a uniquely named temporary table with the columns of `like` and no key."""
    batch = sa.Table(
        f"{like.name}__batch_{uuid.uuid4().hex[:12]}",
        sa.MetaData(),
        *(sa.Column(column.name, column.type) for column in like.columns),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    create_working_table(connection, batch)
    return batch


@contextmanager
def _copy(connection: sa.Connection, table: sa.Table) -> Iterator["psycopg.Copy"]:
    """A COPY ... FROM STDIN into every column of the table, in column order."""
    from psycopg import sql

    name = sql.Identifier(*([table.schema] if table.schema else []), table.name)
    statement = sql.SQL("COPY {table} ({columns}) FROM STDIN").format(
        table=name,
        columns=sql.SQL(", ").join(sql.Identifier(column.name) for column in table.columns),
    )
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        yield copy


def copy_text(connection: sa.Connection, table: sa.Table, chunks: Iterable[str]) -> None:
    """COPYs rows given as text in COPY's format (whole lines, columns in the table's order)."""
    with _copy(connection, table) as copy:
        for chunk in chunks:
            copy.write(chunk)
