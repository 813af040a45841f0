"""Valid upload rows staged in temporary tables, and the transaction an upload runs in.

An upload's rows arrive in chunks; each chunk's valid rows are appended to temporary tables on
the upload's connection, and the dashboard tables change only through set-based statements
from there (`resources.uploads.users`, `resources.uploads.groups`), so the writes cost one bulk
load plus one statement per table (per chunk, for user files), whatever the number of rows.
Rows are bulk-loaded by sqlite3's executemany on SQLite and by COPY on PostgreSQL, as text in
COPY's format (`resources.warehouse.copy_loads`, `resources.warehouse.rows.copy_text_of_lists`). A
batch of rows is prepared (`Batch.of`) apart from its load (`load`), so that a chunk is
prepared while the database is busy with the one before (`resources.uploads.pipeline`).

An import runs in one write transaction: every table it changes, or none. A validation runs
the same statements' counting forms in a transaction that only writes its temporary tables and
is rolled back: on SQLite it takes no write lock, so it never waits for or blocks the sync.
"""

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from resources.dashboard.sql import insert_from
from resources.dashboard.store import DashboardStore
from resources.warehouse.copy_loads import copy_text
from resources.warehouse.migrate import create_working_table
from resources.warehouse.rows import copy_text_of_lists

TIMESTAMP = sa.DateTime(timezone=True)


SQLITE_CACHE_KIB = 256 * 1024
"""SQLite's page cache while an upload runs, for the database and for the temporary tables each
(default 2 MiB): a million keys inserted into the dashboard tables' indexes thrash a small
cache, and a million staged rows spill to a temporary file; this one keeps them in memory."""


@contextmanager
def _large_cache(connection: sa.Connection) -> Iterator[None]:
    """SQLITE_CACHE_KIB of page cache while the block runs (PostgreSQL: nothing). Set on the
    sqlite3 connection itself: a pragma, not part of the transaction."""
    if connection.dialect.name != "sqlite":
        yield
        return
    sqlite = connection.connection.driver_connection
    schemas = ("main", "temp")
    previous = [sqlite.execute(f"PRAGMA {schema}.cache_size").fetchone()[0] for schema in schemas]
    for schema in schemas:
        sqlite.execute(f"PRAGMA {schema}.cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        for schema, size in zip(schemas, previous, strict=True):
            sqlite.execute(f"PRAGMA {schema}.cache_size = {int(size)}")


@contextmanager
def upload_transaction(store: DashboardStore, write: bool) -> Iterator[sa.Connection]:
    """A write transaction committed on success (`write`), or one that is always rolled back."""
    if write:
        with store.transaction() as connection, _large_cache(connection):
            yield connection
        return
    store.ensure_tables()
    with (
        store.engine.connect() as connection,
        connection.begin() as transaction,
        _large_cache(connection),
    ):
        yield connection
        transaction.rollback()


def temporary_table(name: str, *columns: sa.Column[Any]) -> sa.Table:
    """A uniquely named temporary table (dropped by `drop`, or with the PostgreSQL transaction)."""
    return sa.Table(
        f"{name}_{uuid.uuid4().hex[:12]}",
        sa.MetaData(),
        *columns,
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


@dataclass(frozen=True)
class Batch:
    """Rows for a table without keys, prepared for the dialect's bulk load."""

    table: sa.Table
    rows: str | Sequence[list[Any]]
    """COPY text (PostgreSQL), or one list per column of the table (SQLite)."""

    @classmethod
    def of(cls, dialect: str, table: sa.Table, columns: Sequence[list[Any]]) -> "Batch":
        """Rows given as one list per column of `table`, in order; None is NULL."""
        if dialect != "postgresql" or not len(columns[0]):
            return cls(table, columns)
        return cls(table, copy_text_of_lists(columns))


def load(connection: sa.Connection, batch: Batch) -> None:
    """Appends a batch's rows to its table."""
    if isinstance(batch.rows, str):
        copy_text(connection, batch.table, [batch.rows])
    elif len(batch.rows[0]):
        # sqlite3's own executemany, over the tuples as they are zipped: a third of the time
        # of SQLAlchemy's dicts, and no list of a million tuples.
        statement = str(batch.table.insert().compile(dialect=connection.dialect))
        rows = zip(*batch.rows, strict=True)
        connection.connection.driver_connection.executemany(statement, rows)


def append(connection: sa.Connection, table: sa.Table, columns: Sequence[list[Any]]) -> None:
    """Appends rows given as one list per column of `table`, in order; None is NULL."""
    load(connection, Batch.of(connection.dialect.name, table, columns))


def count(connection: sa.Connection, query: sa.Select) -> int:
    """How many rows a query gives."""
    return connection.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()


def absent(table: sa.Table, rows: sa.Select) -> sa.Select:
    """The rows (named as `table`'s columns) whose primary key `table` does not hold yet."""
    selected = rows.selected_columns
    held = sa.and_(*(column == selected[column.name] for column in table.primary_key))
    return rows.where(~sa.select(1).where(held).exists())


def count_missing(connection: sa.Connection, table: sa.Table, rows: sa.Select) -> int:
    """How many rows `insert_missing` would insert (`rows` holding no key twice)."""
    return count(connection, absent(table, rows))


def insert_missing(connection: sa.Connection, table: sa.Table, rows: sa.Select) -> int:
    """Inserts the rows whose key the table does not hold, by INSERT ... SELECT ... ON CONFLICT
    DO NOTHING: the others (and a key another transaction inserted meanwhile) are left as they
    are. Without a NOT EXISTS filter each row's key is looked up once, by the insert itself.
    Returns how many rows were inserted."""
    keys = [column.name for column in table.primary_key]
    insert = insert_from(connection, table, rows).on_conflict_do_nothing(index_elements=keys)
    return connection.execute(insert).rowcount


def lock_for_writing(connection: sa.Connection, *tables: sa.Table) -> None:
    """Keeps every other writer out of the tables until the transaction ends (readers go on):
    PostgreSQL's SHARE ROW EXCLUSIVE lock, taken before anything else. SQLite needs none: its
    write transaction holds the database's only write lock."""
    if connection.dialect.name == "postgresql":
        names = ", ".join(connection.dialect.identifier_preparer.format_table(t) for t in tables)
        connection.exec_driver_sql(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")


def insert_new(connection: sa.Connection, table: sa.Table, rows: sa.Select) -> int:
    """`insert_missing` for a table the transaction holds locked (`lock_for_writing`), so that
    no key can arrive between a check and an insert. PostgreSQL: INSERT ... SELECT ... WHERE
    NOT EXISTS, less server time than ON CONFLICT DO NOTHING, which inserts every row
    speculatively. SQLite: `insert_missing`, its ON CONFLICT adding nothing to the key check
    every insert makes."""
    if connection.dialect.name != "postgresql":
        return insert_missing(connection, table, rows)
    return connection.execute(insert_from(connection, table, absent(table, rows))).rowcount


class StagedTeams:
    """The teams an upload names, once each: key (trimmed, lower case) and first spelling."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.table = temporary_table(
            "upload_teams", sa.Column("team", sa.Text), sa.Column("name", sa.Text)
        )
        create_working_table(connection, self.table)
        self._seen: set[str] = set()

    def new(self, keys: pd.Series, names: pd.Series) -> list[list[str]]:
        """The teams of a chunk (keys, and names as written) not seen before, as the table's
        columns; they count as seen from now on."""
        new = pd.DataFrame({"team": keys, "name": names}).drop_duplicates("team")
        new = new[~new["team"].isin(self._seen)]
        self._seen.update(new["team"])
        return [new["team"].tolist(), new["name"].tolist()]

    def add(self, keys: pd.Series, names: pd.Series) -> pd.Series:
        """Stages the teams of a chunk not seen before (`new`); returns the keys."""
        append(self.connection, self.table, self.new(keys, names))
        return keys

    def _rows(self, at: dt.datetime) -> sa.Select:
        """The staged teams as rows of `dashboard_teams`."""
        s = self.table.c
        return sa.select(s.team, s.name, sa.literal(at, TIMESTAMP).label("created_at"))

    def count_new(self, store: DashboardStore, at: dt.datetime) -> int:
        """How many of the staged teams do not exist yet."""
        return count_missing(self.connection, store.table("dashboard_teams"), self._rows(at))

    def insert_new(self, store: DashboardStore, at: dt.datetime) -> int:
        """Creates the staged teams that do not exist yet; how many."""
        return insert_missing(self.connection, store.table("dashboard_teams"), self._rows(at))

    def drop(self) -> None:
        self.table.drop(self.connection)
