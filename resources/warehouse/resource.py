"""The warehouse: Thinkific tables in SQLite (default) or PostgreSQL, loaded by upsert or snapshot.

Tables are derived from the pandera models registered in `schemas.thinkific` (SQLAlchemy Core,
no column declared twice), plus one column of the warehouse's own, `deleted_at`: set on rows
missing from a complete snapshot, cleared when they come back. Rows reach the target through one
merging INSERT ... ON CONFLICT DO UPDATE (`_merging_insert`), which updates a row only where a
value differs (null-safe `IS DISTINCT FROM`) or the row was marked deleted:

- `upsert`, in one transaction: on PostgreSQL the frame is COPYed into a temporary staging table
  and merged from there; on SQLite, which has no COPY, its rows are bound straight into the
  merging INSERT by executemany (`_upsert_sqlite`): a staging table would only add a second
  write of every row.
- `snapshot` stages page after page into a staging table with the target's columns and key (each
  page its own short transaction, so memory stays flat), and `commit` merges, stamps
  `deleted_at` on target rows absent from the snapshot (clearing it on rows that came back) and
  drops the staging table, in one transaction. A snapshot that is not committed leaves the
  target untouched and its staging table dropped.

Counting looks the loaded keys up in the target before the merge (present, and of those marked
deleted); the merge's own row count then tells the updated rows from the unchanged ones, so an
update that changes nothing is reported as unchanged and writes nothing.

Rows are converted for the drivers a batch at a time, column by column
(`resources.warehouse.rows`): executemany on SQLite, COPY on PostgreSQL
(`resources.warehouse.copy_loads`).
"""

import datetime as dt
import itertools
import json
import os
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import dagster as dg
import pandas as pd
import sqlalchemy as sa
from pydantic import Field, PrivateAttr
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateSchema, CreateTable, DropTable

from resources.crash_points import crash_point
from resources.redaction import Redactor
from resources.warehouse.copy_loads import copy_text as copy_text_into
from resources.warehouse.copy_loads import temporary_table_like
from resources.warehouse.errors import WarehouseProblem, warehouse_problem
from resources.warehouse.rows import batches, copy_text, plain_records, sqlite_rows, sqlite_values
from schemas.tables import VALIDATED_FOR, ColumnKind, TableSpec
from schemas.thinkific import TABLES, get_table, to_frame

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WAREHOUSE_URL_ENV = "WAREHOUSE_URL"
DELETED_AT = "deleted_at"
SYNC_STATE_TABLE = "warehouse_sync_state"
WATERMARK_COLUMN = "updated_at"
RESUME_MAX_AGE = dt.timedelta(hours=6)
"""A checkpoint older than this is not resumed: its staged pages are too stale to merge."""
SQLITE_BUSY_TIMEOUT_MS = 30_000
LOAD_BATCH_ROWS = 50_000
"""Rows converted for the driver at a time (column by column; on PostgreSQL one COPY write):
memory stays bounded, the calls few."""
SQLITE_EXECUTEMANY_ROWS = 500
"""Rows per executemany call on SQLite. SQLAlchemy takes a list, not an iterator; a list of a
whole batch binds about a third slower than an iterator (every tuple allocated and kept), a
list this short as fast (zip reuses each tuple once bound, and it stays in the CPU cache)."""


def default_warehouse_url() -> str:
    """The SQLite file `.data/warehouse.db` under the project root."""
    return f"sqlite:///{PROJECT_ROOT / '.data' / 'warehouse.db'}"


def warehouse_url_from_env() -> str:
    """WAREHOUSE_URL, or the default SQLite file when it is unset or empty."""
    return os.environ.get(WAREHOUSE_URL_ENV) or default_warehouse_url()


@dataclass(frozen=True)
class LoadResult:
    """Rows a load inserted, changed, found unchanged, marked deleted, and brought back."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    restored: int = 0

    @property
    def total(self) -> int:
        """Rows the load carried (distinct keys); after a snapshot, the table's live rows."""
        return self.inserted + self.updated + self.unchanged + self.restored


class WarehouseError(RuntimeError):
    """A warehouse problem the caller can act on; never carries the URL's password.

    `problem` is the recognised cause of the database error behind it, if any (the driver's
    error itself is not kept: its text may carry connection details).
    """

    def __init__(self, message: str, problem: WarehouseProblem | None = None) -> None:
        super().__init__(message)
        self.problem = problem


# ---------------------------------------------------------------------------------------------
# Tables derived from the schemas

COLUMN_TYPES: dict[ColumnKind, Callable[[], sa.types.TypeEngine[Any]]] = {
    # The SQL type of each schema column kind, for every table the project defines.
    "integer": sa.BigInteger,
    "number": sa.Double,
    "flag": sa.Boolean,
    "text": sa.Text,
    "json": sa.Text,
    "timestamp": lambda: sa.DateTime(timezone=True),
}


def _define_table(
    metadata: sa.MetaData, spec: TableSpec, name: str, *extra: sa.Column[Any]
) -> sa.Table:
    columns = [
        sa.Column(column.name, COLUMN_TYPES[column.kind](), nullable=column.nullable)
        for column in spec.columns
    ]
    # autoincrement=False: Thinkific assigns the ids, PostgreSQL must not make them serial.
    for column in columns:
        column.autoincrement = False
    return sa.Table(name, metadata, *columns, *extra, sa.PrimaryKeyConstraint(*spec.primary_key))


def _target_table(metadata: sa.MetaData, spec: TableSpec) -> sa.Table:
    deleted_at = sa.Column(DELETED_AT, sa.DateTime(timezone=True), nullable=True)
    return _define_table(metadata, spec, spec.name, deleted_at)


def _staging_table(metadata: sa.MetaData, spec: TableSpec) -> sa.Table:
    """A uniquely named table with the target's columns and key, for one snapshot."""
    return _define_table(metadata, spec, f"{spec.name}__staging_{uuid.uuid4().hex[:12]}")


def _upsert_staging_table(spec: TableSpec) -> sa.Table:
    """A uniquely named temporary table with the target's columns and no key, for one upsert on
    PostgreSQL: its rows are already one per key (`_rows`) and stay within its transaction, so
    it needs no key to maintain, nor WAL; it is dropped at the end of the transaction, whatever
    happens."""
    return sa.Table(
        f"{spec.name}__upsert_{uuid.uuid4().hex[:12]}",
        sa.MetaData(),
        *(sa.Column(column.name, COLUMN_TYPES[column.kind]()) for column in spec.columns),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def _resume_table(metadata: sa.MetaData, spec: TableSpec) -> sa.Table:
    """The one staging table of a resumable load: it outlives a crash so a rerun continues."""
    return _define_table(metadata, spec, f"{spec.name}__resume")


def _sync_state_table(metadata: sa.MetaData) -> sa.Table:
    """Per table: its watermark, and the checkpoint of a resumable load in progress.

    Written in the same transaction as the rows each covers, so neither ever runs ahead of the
    data: a checkpoint with the page it records, a watermark with the merge it summarises.
    """
    return sa.Table(
        SYNC_STATE_TABLE,
        metadata,
        sa.Column("table_name", sa.Text, primary_key=True),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checkpoint", sa.Text, nullable=True),
        sa.Column("checkpointed_at", sa.DateTime(timezone=True), nullable=True),
    )


def _save_state(connection: sa.Connection, state: sa.Table, table_name: str, **values: Any) -> None:
    insert = _insert(connection, state).values(table_name=table_name, **values)
    connection.execute(insert.on_conflict_do_update(index_elements=["table_name"], set_=values))


# ---------------------------------------------------------------------------------------------
# Engines and transactions

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


def _create_engine(url: sa.URL) -> sa.Engine:
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
def _connection(engine: sa.Engine, *, write: bool) -> Iterator[sa.Connection]:
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


def _keep_for_resume(engine: sa.Engine, table: sa.Table) -> None:
    """The cleanup of a resumable load: none, its staging table waits for the next run."""


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands timestamps back naive; they were stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _drop_table(engine: sa.Engine, table: sa.Table) -> None:
    with _connection(engine, write=True) as connection:
        connection.execute(DropTable(table, if_exists=True))


# ---------------------------------------------------------------------------------------------
# Loading and merging


def _insert(connection: sa.Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which has ON CONFLICT."""
    dialects = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
    return dialects[connection.dialect.name](table)


def _rows(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's rows, read and validated as `to_frame` reads records, last row per key kept.

    Reading again (not just casting) keeps a hand-built frame from storing, say, a Python list
    as its repr instead of JSON; extra columns such as `deleted_at` are ignored. A frame that
    `to_frame` made for this very table (it says so in `attrs`) is not read a second time.
    """
    if frame.attrs.get(VALIDATED_FOR) == spec.name:
        typed = frame
    else:
        typed = to_frame(spec.name, plain_records(frame))
    return typed.drop_duplicates(list(spec.primary_key), keep="last")


def _replacing_staged_keys(insert: Any, staging: sa.Table) -> Any:
    """The insert into a staging table, made to replace the row of a key staged before."""
    keys = [column.name for column in staging.primary_key]
    values = {c.name: insert.excluded[c.name] for c in staging.c if not c.primary_key}
    if values:
        return insert.on_conflict_do_update(index_elements=keys, set_=values)
    return insert.on_conflict_do_nothing(index_elements=keys)


def _load_rows(connection: sa.Connection, staging: sa.Table, rows: pd.DataFrame) -> None:
    """Writes rows (one per key, as `_rows` makes them) into a staging table; into a keyed one
    (a snapshot's, staged page by page), a key staged again (pages shift while paging) wins.

    PostgreSQL: COPY, straight into a table without a key (an upsert's), else into a temporary
    table and then one INSERT ... SELECT ... ON CONFLICT. SQLite has no COPY: executemany of
    the INSERT (... ON CONFLICT) with values as SQLite stores them. Either way the rows are
    converted a batch at a time (`resources.warehouse.rows`).
    """
    if rows.empty:
        return
    names = [column.name for column in staging.columns]
    keyed = len(staging.primary_key.columns) > 0
    if connection.dialect.name == "postgresql":
        texts = (copy_text(batch, names) for batch in batches(rows, LOAD_BATCH_ROWS))
        if not keyed:
            copy_text_into(connection, staging, texts)
            return
        batch_table = temporary_table_like(connection, staging)
        copy_text_into(connection, batch_table, texts)
        insert = _insert(connection, staging).from_select(names, batch_table.select())
        connection.execute(_replacing_staged_keys(insert, staging))
        return
    insert = _insert(connection, staging).values({name: sa.bindparam(name) for name in names})
    compiled = (_replacing_staged_keys(insert, staging) if keyed else insert).compile(
        dialect=connection.dialect
    )
    _executemany(connection, compiled, rows)


def _executemany(connection: sa.Connection, compiled: sa.Compiled, rows: pd.DataFrame) -> int:
    """Runs a compiled SQLite statement whose parameters are columns of the rows once per row,
    with values as SQLite stores them (`sqlite_rows`); returns the rows it inserted or changed.
    Through SQLAlchemy (its events, its exceptions) but with the DBAPI's tuples: none of its
    per-value type processing, which cost more than the writes."""
    statement = str(compiled)
    order = compiled.positiontup or []
    written = 0
    for batch in batches(rows, LOAD_BATCH_ROWS):
        values = sqlite_rows(batch, order)
        while chunk := list(itertools.islice(values, SQLITE_EXECUTEMANY_ROWS)):
            result = connection.exec_driver_sql(
                statement, chunk, execution_options={"preserve_rowcount": True}
            )
            written += result.rowcount
    return written


def _merging_insert(
    connection: sa.Connection, spec: TableSpec, target: sa.Table, rows: sa.Select | None
) -> Any:
    """The INSERT ... ON CONFLICT DO UPDATE of rows into the target: of `rows` (a select of the
    spec's columns), or without it of one bound parameter per column (for executemany). A row
    whose key the target holds replaces it where a value differs or it was marked deleted, and
    is live again; otherwise it is left alone, and not counted in the statement's row count."""
    keys = list(spec.primary_key)
    data = [name for name in spec.column_names if name not in keys]
    columns = [*keys, *data]
    insert = _insert(connection, target)
    if rows is None:
        insert = insert.values({name: sa.bindparam(name) for name in columns})
    else:
        insert = insert.from_select(columns, rows)
    differs = sa.or_(
        sa.false(), *(insert.excluded[name].is_distinct_from(target.c[name]) for name in data)
    )
    return insert.on_conflict_do_update(
        index_elements=keys,
        set_={**{name: insert.excluded[name] for name in data}, DELETED_AT: sa.null()},
        where=sa.or_(differs, target.c[DELETED_AT].is_not(None)),
    )


def _key_counts(connection: sa.Connection, target: sa.Table, keys: sa.FromClause) -> Any:
    """Looks keys up in the target before a merge: how many keys there are (`loaded`; a from
    clause with the target's key columns, no key twice), how many the target holds (`present`)
    and how many of those rows are marked deleted (`restored`)."""
    names = [column.name for column in target.primary_key]
    matches = sa.and_(*(keys.c[name] == target.c[name] for name in names))
    return connection.execute(
        sa.select(
            sa.func.count().label("loaded"),
            sa.func.count(target.c[names[0]]).label("present"),
            sa.func.count(target.c[DELETED_AT]).label("restored"),
        ).select_from(keys.outerjoin(target, matches))
    ).one()


def _result(counts: Any, written: int, deleted: int = 0) -> LoadResult:
    """What a merge did, from its `_key_counts` and the rows it inserted or changed."""
    inserted = counts.loaded - counts.present
    updated = written - inserted - counts.restored
    return LoadResult(
        inserted=inserted,
        updated=updated,
        unchanged=counts.present - updated - counts.restored,
        deleted=deleted,
        restored=counts.restored,
    )


def _merge(
    connection: sa.Connection,
    spec: TableSpec,
    target: sa.Table,
    staging: sa.Table,
    *,
    complete_snapshot: bool,
) -> LoadResult:
    """Merges staging into target and counts what it does. Staged rows are live: a changed row
    is updated, a row marked deleted comes back. With `complete_snapshot`, live target rows
    absent from staging are marked deleted."""
    counts = _key_counts(connection, target, staging)
    # WHERE true: SQLite cannot otherwise tell an INSERT ... SELECT's ON CONFLICT from a join's ON.
    rows = sa.select(*(staging.c[name] for name in spec.column_names)).where(sa.true())
    written = connection.execute(
        _merging_insert(connection, spec, target, rows),
        execution_options={"preserve_rowcount": True},
    ).rowcount
    deleted = 0
    if complete_snapshot:
        matches = sa.and_(*(staging.c[name] == target.c[name] for name in spec.primary_key))
        mark = (
            sa.update(target)
            .where(target.c[DELETED_AT].is_(None), ~sa.select(1).where(matches).exists())
            .values({DELETED_AT: dt.datetime.now(dt.UTC)})
        )
        deleted = connection.execute(mark).rowcount
    return _result(counts, written, deleted)


def _upsert_sqlite(
    connection: sa.Connection, spec: TableSpec, target: sa.Table, rows: pd.DataFrame
) -> LoadResult:
    """Upserts rows (one per key, as `_rows` makes them) on SQLite: their keys are counted in
    the target first, passed as one JSON array (`json_each`), then the rows are bound straight
    into the merging INSERT, executemany of a batch at a time with values as SQLite stores them.
    """
    if rows.empty:
        return LoadResult()
    keys = list(spec.primary_key)
    key_values = [sqlite_values(rows[name]) for name in keys]
    array = key_values[0] if len(keys) == 1 else list(zip(*key_values, strict=True))
    each = sa.func.json_each(sa.literal(json.dumps(array), sa.Text)).table_valued("value")
    if len(keys) == 1:
        columns = [each.c.value.label(keys[0])]
    else:
        columns = [
            sa.func.json_extract(each.c.value, f"$[{i}]").label(n) for i, n in enumerate(keys)
        ]
    counts = _key_counts(connection, target, sa.select(*columns).subquery())
    merge = _merging_insert(connection, spec, target, None)
    written = _executemany(connection, merge.compile(dialect=connection.dialect), rows)
    return _result(counts, written)


# ---------------------------------------------------------------------------------------------
# The resource


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse database: DDL derived from `schemas`, upserts, snapshots and reads.

    Tables are created when first used (or up front with `ensure_tables`). Neither `repr` nor
    any error this resource raises shows the URL's password.
    """

    url: str = Field(
        default_factory=default_warehouse_url,
        description=(
            "SQLAlchemy URL of the warehouse: sqlite:///path or postgresql+psycopg://... "
            f"(env {WAREHOUSE_URL_ENV}; default an SQLite file in .data/ under the project)."
        ),
    )
    schema_name: str | None = Field(
        default=None,
        description="PostgreSQL schema of the tables, created if missing; SQLite ignores it.",
    )

    _engine: sa.Engine | None = PrivateAttr(default=None)
    _metadata: sa.MetaData | None = PrivateAttr(default=None)
    _ensured: set[str] = PrivateAttr(default_factory=set)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, self.safe_url if name == "url" else value

    @property
    def safe_url(self) -> str:
        """The URL with its password masked: the only form of it that may be shown."""
        try:
            return sa.make_url(self.url).render_as_string(hide_password=True)
        except sa.exc.ArgumentError:
            return "(unparseable URL)"

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine, created on first use (SQLite: WAL mode and a busy timeout)."""
        if self._engine is None:
            try:
                url = sa.make_url(self.url)
            except sa.exc.ArgumentError:
                raise WarehouseError("the warehouse URL is not a valid SQLAlchemy URL") from None
            self._engine = _create_engine(url)
        return self._engine

    def dispose(self) -> None:
        """Closes the engine's pooled connections."""
        if self._engine is not None:
            self._engine.dispose()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.dispose()

    @property
    def schema(self) -> str | None:
        """The schema the tables live in: `schema_name` on PostgreSQL, None on SQLite."""
        return self.schema_name if self.engine.dialect.name == "postgresql" else None

    @property
    def metadata(self) -> sa.MetaData:
        """Every registered table, as derived from the schemas."""
        if self._metadata is None:
            metadata = sa.MetaData(schema=self.schema)
            for spec in TABLES.values():
                _target_table(metadata, spec)
            _sync_state_table(metadata)
            self._metadata = metadata
        return self._metadata

    def table(self, table_name: str) -> sa.Table:
        """The SQLAlchemy table of a registered table name."""
        spec = get_table(table_name)
        qualified = f"{self.schema}.{spec.name}" if self.schema else spec.name
        return self.metadata.tables[qualified]

    def ensure_tables(self, *table_names: str) -> None:
        """Creates the schema and the named tables (all registered tables if none are named)
        where missing; safe to repeat."""
        names = table_names or tuple(TABLES)
        tables = [self.table(name) for name in names] + [self.sync_state]
        with _connection(self.engine, write=True) as connection:
            if self.schema:
                connection.execute(CreateSchema(self.schema, if_not_exists=True))
            for table in tables:
                connection.execute(CreateTable(table, if_not_exists=True))
        self._ensured.update(names)

    @property
    def sync_state(self) -> sa.Table:
        """The table of watermarks and checkpoints."""
        qualified = f"{self.schema}.{SYNC_STATE_TABLE}" if self.schema else SYNC_STATE_TABLE
        return self.metadata.tables[qualified]

    def watermark(self, table_name: str) -> dt.datetime | None:
        """The highest `updated_at` a complete read of the table committed, if any."""
        self._target(table_name)
        state = self.sync_state
        query = sa.select(state.c.watermark).where(state.c.table_name == table_name)
        with _connection(self.engine, write=False) as connection:
            value = connection.execute(query).scalar_one_or_none()
        return _aware(value)

    def _target(self, table_name: str) -> sa.Table:
        if table_name not in self._ensured:
            self.ensure_tables(table_name)
        return self.table(table_name)

    def upsert(self, table_name: str, frame: pd.DataFrame) -> LoadResult:
        """Inserts or updates the frame's rows by primary key, in one transaction.

        The frame is read like records by `to_frame` (a frame `to_frame` made passes as is);
        when a key occurs twice the last row wins. An upserted row is live again if it had
        been marked deleted.
        """
        spec = get_table(table_name)
        target = self._target(table_name)
        rows = _rows(spec, frame)
        with _connection(self.engine, write=True) as connection:
            if connection.dialect.name == "sqlite":
                return _upsert_sqlite(connection, spec, target, rows)
            staging = _upsert_staging_table(spec)
            connection.execute(CreateTable(staging))
            _load_rows(connection, staging, rows)
            result = _merge(connection, spec, target, staging, complete_snapshot=False)
            connection.execute(DropTable(staging))
        return result

    def snapshot(self, table_name: str, resumable: bool = False) -> "SnapshotLoader":
        """A loader for one complete snapshot of the table; use it as a context manager:

        with warehouse.snapshot("thinkific_users") as loader:
            for page in pages:
                loader.append(to_frame("thinkific_users", page))
            result = loader.commit()

        A `resumable` loader stages into a table that survives a failure or a crash, with the
        checkpoint given to each `append`; the next resumable loader of the table finds both
        (`checkpoint`) and can continue, or `restart`.
        """
        spec = get_table(table_name)
        return SnapshotLoader(self, spec, self._target(table_name), resumable=resumable)

    def read_frame(
        self, table_name: str, include_deleted: bool = False, decode_arrays: bool = False
    ) -> pd.DataFrame:
        """The table as a frame typed by its model, ordered by primary key.

        Array columns are JSON text as stored (the frame can be upserted again as it is), or
        Python lists with `decode_arrays`. Rows marked deleted are left out unless
        `include_deleted`, which also adds the `deleted_at` column.
        """
        spec = get_table(table_name)
        target = self._target(table_name)
        names = [*spec.column_names, *([DELETED_AT] if include_deleted else [])]
        query = sa.select(*(target.c[name] for name in names)).order_by(
            *(target.c[name] for name in spec.primary_key)
        )
        if not include_deleted:
            query = query.where(target.c[DELETED_AT].is_(None))
        with _connection(self.engine, write=False) as connection:
            raw = pd.DataFrame(connection.execute(query).all(), columns=names, dtype=object)
        frame = spec.model.validate(raw[spec.column_names])
        if include_deleted:
            frame[DELETED_AT] = pd.to_datetime(raw[DELETED_AT], utc=True)
        if decode_arrays:
            for column in spec.columns:
                if column.kind == "json":
                    frame[column.name] = frame[column.name].map(json.loads).astype(object)
        return frame

    def count(self, table_name: str, include_deleted: bool = False) -> int:
        """Rows in the table, not counting rows marked deleted unless `include_deleted`."""
        target = self._target(table_name)
        query = sa.select(sa.func.count()).select_from(target)
        if not include_deleted:
            query = query.where(target.c[DELETED_AT].is_(None))
        with _connection(self.engine, write=False) as connection:
            return connection.execute(query).scalar_one()

    def duplicate_keys(self, table_name: str) -> list[tuple[Any, ...]]:
        """Primary keys held by more than one live row. The primary-key constraint of tables
        created here rules that out; this verifies it wherever a table came from."""
        spec = get_table(table_name)
        target = self._target(table_name)
        keys = [target.c[name] for name in spec.primary_key]
        query = (
            sa.select(*keys)
            .where(target.c[DELETED_AT].is_(None))
            .group_by(*keys)
            .having(sa.func.count() > 1)
            .order_by(*keys)
        )
        with _connection(self.engine, write=False) as connection:
            return [tuple(row) for row in connection.execute(query)]

    def orphan_values(
        self, table_name: str, column: str, referenced_table: str, referenced_column: str
    ) -> list[Any]:
        """Distinct non-null values of `column` in live rows of the table that no live row of
        the referenced table holds in `referenced_column` (a broken reference)."""
        source = self._target(table_name)
        referenced = self._target(referenced_table)
        known = (
            sa.select(1)
            .where(
                referenced.c[referenced_column] == source.c[column],
                referenced.c[DELETED_AT].is_(None),
            )
            .exists()
        )
        query = (
            sa.select(source.c[column])
            .distinct()
            .where(source.c[column].is_not(None), source.c[DELETED_AT].is_(None), ~known)
            .order_by(source.c[column])
        )
        with _connection(self.engine, write=False) as connection:
            return list(connection.execute(query).scalars())


class SnapshotLoader:
    """Stages one complete snapshot page by page; `commit` applies it, anything else drops it.

    Leaving the `with` block without `commit` (an exception, or simply not committing), calling
    `abort`, or dropping the last reference to an uncommitted loader drops the staging table and
    leaves the target untouched: an incomplete snapshot never marks anything deleted. A
    resumable loader keeps its staging table and checkpoint instead, for the next run.
    """

    def __init__(
        self,
        warehouse: WarehouseResource,
        spec: TableSpec,
        target: sa.Table,
        *,
        resumable: bool = False,
    ) -> None:
        self._engine = warehouse.engine
        self._spec = spec
        self._target = target
        self._state = warehouse.sync_state
        self._resumable = resumable
        metadata = sa.MetaData(schema=warehouse.schema)
        self._staging = (_resume_table if resumable else _staging_table)(metadata, spec)
        with _connection(self._engine, write=True) as connection:
            connection.execute(CreateTable(self._staging, if_not_exists=True))
        self._checkpoint = self._saved_checkpoint() if resumable else None
        if resumable and self._checkpoint is None:
            self.restart()
        cleanup = _keep_for_resume if resumable else _drop_table
        self._drop_staging = weakref.finalize(self, cleanup, self._engine, self._staging)

    @property
    def staging_table_name(self) -> str:
        return self._staging.name

    @property
    def is_open(self) -> bool:
        """True until the snapshot is committed or aborted."""
        return self._drop_staging.alive

    @property
    def checkpoint(self) -> dict[str, Any] | None:
        """The checkpoint of the interrupted load this one resumes (recent enough), if any."""
        return self._checkpoint

    def restart(self) -> None:
        """Forgets staged rows and the checkpoint: the load starts from scratch."""
        with _connection(self._engine, write=True) as connection:
            connection.execute(sa.delete(self._staging))
            _save_state(connection, self._state, self._spec.name, checkpoint=None)
        self._checkpoint = None

    def append(self, frame: pd.DataFrame, checkpoint: dict[str, Any] | None = None) -> None:
        """Stages one page (its own short transaction); rows staged again replace earlier ones.

        `checkpoint` (resumable loads) is saved in the same transaction as the page.
        """
        self._require_open()
        rows = _rows(self._spec, frame)
        with _connection(self._engine, write=True) as connection:
            _load_rows(connection, self._staging, rows)
            if checkpoint is not None:
                _save_state(
                    connection,
                    self._state,
                    self._spec.name,
                    checkpoint=json.dumps(checkpoint),
                    checkpointed_at=dt.datetime.now(dt.UTC),
                )
            crash_point("stage_transaction", self._spec.name)

    def staged_rows(self) -> int:
        """Distinct keys staged so far."""
        with _connection(self._engine, write=False) as connection:
            query = sa.select(sa.func.count()).select_from(self._staging)
            return connection.execute(query).scalar_one()

    def commit(self, complete_snapshot: bool = True, advance: bool = True) -> LoadResult:
        """Applies the snapshot in one transaction: merge; with `complete_snapshot`, mark live
        rows absent from it deleted; with `advance`, raise the table's watermark to its highest
        live `updated_at` (tables that have one); clear the checkpoint; drop staging."""
        self._require_open()
        with _connection(self._engine, write=True) as connection:
            result = _merge(
                connection,
                self._spec,
                self._target,
                self._staging,
                complete_snapshot=complete_snapshot,
            )
            state: dict[str, Any] = {"checkpoint": None}
            if advance and WATERMARK_COLUMN in self._target.c:
                live = self._target.c[DELETED_AT].is_(None)
                highest = sa.select(sa.func.max(self._target.c[WATERMARK_COLUMN])).where(live)
                state["watermark"] = connection.execute(highest).scalar_one()
            _save_state(connection, self._state, self._spec.name, **state)
            connection.execute(DropTable(self._staging))
            crash_point("merge_transaction", self._spec.name)
        self._drop_staging.detach()
        return result

    def abort(self) -> None:
        """Drops the staging table without touching the target; does nothing once closed.
        A resumable load keeps it, with its checkpoint, for the next run."""
        self._drop_staging()

    def _saved_checkpoint(self) -> dict[str, Any] | None:
        state = self._state
        query = sa.select(state.c.checkpoint, state.c.checkpointed_at).where(
            state.c.table_name == self._spec.name
        )
        with _connection(self._engine, write=False) as connection:
            row = connection.execute(query).one_or_none()
        if row is None or row.checkpoint is None:
            return None
        saved_at = _aware(row.checkpointed_at)
        if saved_at is None or dt.datetime.now(dt.UTC) - saved_at > RESUME_MAX_AGE:
            return None
        return json.loads(row.checkpoint)

    def _require_open(self) -> None:
        if not self.is_open:
            raise WarehouseError(f"the snapshot of {self._spec.name} is already closed")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.abort()
