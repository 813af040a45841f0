"""The warehouse's database: its URL, engines, transactions and the errors callers can act on.

SQLite (the default, a file under the project's `.data/`) or PostgreSQL through psycopg 3. On
SQLite every connection runs in WAL mode with a busy timeout, and a write transaction takes the
write lock up front (`BEGIN IMMEDIATE`); a connection that cannot be opened raises a
`WarehouseError` that never shows the URL's password.
"""

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import DropTable

from resources.redaction import Redactor
from resources.warehouse.errors import WarehouseProblem, warehouse_problem

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WAREHOUSE_URL_ENV = "WAREHOUSE_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def default_warehouse_url() -> str:
    """The SQLite file `.data/warehouse.db` under the project root."""
    return f"sqlite:///{PROJECT_ROOT / '.data' / 'warehouse.db'}"


def demo_warehouse_url() -> str:
    """The SQLite file `.data/demo.db`: the demo site's own warehouse, so that the first real
    site synced after the demo starts from empty tables in `.data/warehouse.db`."""
    return f"sqlite:///{PROJECT_ROOT / '.data' / 'demo.db'}"


def warehouse_url_from_env(*, demo: bool = False) -> str:
    """WAREHOUSE_URL, or when it is unset or empty the default SQLite file (the demo site's own
    for a command on the `demo` site)."""
    return os.environ.get(WAREHOUSE_URL_ENV) or (
        demo_warehouse_url() if demo else default_warehouse_url()
    )


class WarehouseError(RuntimeError):
    """A warehouse problem the caller can act on; never carries the URL's password.

    `problem` is the recognised cause of the database error behind it, if any (the driver's
    error itself is not kept: its text may carry connection details).
    """

    def __init__(self, message: str, problem: WarehouseProblem | None = None) -> None:
        super().__init__(message)
        self.problem = problem


WRITE_OPTION = "warehouse_write"
"""Execution option of a connection that writes: on SQLite its transactions BEGIN IMMEDIATE."""


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy emits BEGIN itself (see _begin_sqlite_transaction): the sqlite3 module's own
    # transaction handling would start transactions late and leave DDL outside them.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL loses no committed transaction to a process crash, only possibly the
    # last ones to a power cut, and then whole: a page and its checkpoint go or stay together.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _begin_sqlite_transaction(connection: sa.Connection) -> None:
    # A write transaction takes the write lock up front: a deferred one that read first could
    # not upgrade while another writer holds it, and would fail instead of waiting.
    if connection.get_execution_options().get(WRITE_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


DDL_LOCK = 0x7468696E6B  # any constant the project's processes agree on
"""The PostgreSQL advisory lock that serialises this project's schema changes."""


def serialise_ddl(connection: sa.Connection) -> None:
    """Waits, in the connection's transaction, until no other process of the project changes
    the schema. PostgreSQL's `IF NOT EXISTS` is no guard against a concurrent creation of the
    same table, index or trigger (a unique violation in its catalog: seen when two syncs reached
    the dashboard steps of a new warehouse at once); SQLite's write lock already serialises it."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(DDL_LOCK)))


def create_engine(url: sa.URL) -> sa.Engine:
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url)
        sa.event.listen(engine, "connect", _configure_sqlite_connection)
        sa.event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    if backend == "postgresql":
        if url.drivername == "postgresql":  # the bare name would pick psycopg2, not installed
            url = url.set(drivername="postgresql+psycopg")
        return sa.create_engine(url, pool_pre_ping=True)
    raise WarehouseError(
        f"unsupported warehouse database {backend!r} in "
        f"{url.render_as_string(hide_password=True)}: use sqlite or postgresql"
    )


@contextmanager
def transaction(engine: sa.Engine, *, write: bool) -> Iterator[sa.Connection]:
    """A connection in a transaction (committed on success), or a WarehouseError without the
    password when the database cannot be reached."""
    try:
        connection = engine.connect()
    except sa.exc.DBAPIError as error:
        redact = Redactor([engine.url.password])
        raise WarehouseError(
            f"cannot connect to the warehouse at {engine.url.render_as_string(hide_password=True)}"
            f": {redact(str(error.orig))}",
            warehouse_problem(error),
        ) from None
    with connection:
        connection.execution_options(**{WRITE_OPTION: write})
        with connection.begin():
            yield connection


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands timestamps back naive; they were stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def drop_table(engine: sa.Engine, table: sa.Table) -> None:
    with transaction(engine, write=True) as connection:
        connection.execute(DropTable(table, if_exists=True))


def insert(connection: sa.Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which has ON CONFLICT."""
    dialects = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
    return dialects[connection.dialect.name](table)
