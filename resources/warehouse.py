"""The warehouse: Thinkific tables in SQLite (default) or PostgreSQL, loaded by upsert or snapshot.

Tables are derived from the pandera models registered in `schemas.thinkific` (SQLAlchemy Core,
no column declared twice), plus one column of the warehouse's own, `deleted_at`: set on rows
missing from a complete snapshot, cleared when they come back. Every load goes through a staging
table with the target's columns and key, then one merge statement:

- `upsert` stages a frame and merges it, all in one transaction.
- `snapshot` stages page after page (each page its own short transaction, so memory stays flat),
  and `commit` merges, stamps `deleted_at` on target rows absent from the snapshot (clearing it
  on rows that came back) and drops the staging table, in one transaction. A snapshot that is not
  committed leaves the target untouched and its staging table dropped.

Counting compares staged rows with the target before the merge (null-safe `IS DISTINCT FROM`), so
an update that changes nothing is reported as unchanged and writes nothing.

`_load_rows` is the only place rows are written: on SQLite by executemany, on PostgreSQL by COPY
into a temporary table (`resources.warehouse_copy`) and one INSERT ... ON CONFLICT from there.
"""

import datetime as dt
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
from resources.warehouse_copy import copy_into_temporary_table
from schemas.tables import VALIDATED_FOR, ColumnKind, TableSpec
from schemas.thinkific import TABLES, get_table, to_frame

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WAREHOUSE_URL_ENV = "WAREHOUSE_URL"
DELETED_AT = "deleted_at"
SYNC_STATE_TABLE = "warehouse_sync_state"
WATERMARK_COLUMN = "updated_at"
RESUME_MAX_AGE = dt.timedelta(hours=6)
"""A checkpoint older than this is not resumed: its staged pages are too stale to merge."""
SQLITE_BUSY_TIMEOUT_MS = 30_000


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
    """A warehouse problem the caller can act on; never carries the URL's password."""


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
    """A uniquely named table with the target's columns and key, for one load."""
    return _define_table(metadata, spec, f"{spec.name}__staging_{uuid.uuid4().hex[:12]}")


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
            f": {redact(str(error.orig))}"
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


def _plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as plain Python values, None for every kind of null."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _rows(spec: TableSpec, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows, read and validated as `to_frame` reads records, last row per key kept.

    Reading again (not just casting) keeps a hand-built frame from storing, say, a Python list
    as its repr instead of JSON; extra columns such as `deleted_at` are ignored. A frame that
    `to_frame` made for this very table (it says so in `attrs`) is not read a second time.
    """
    if frame.attrs.get(VALIDATED_FOR) == spec.name:
        typed = frame
    else:
        typed = to_frame(spec.name, _plain_records(frame))
    return _plain_records(typed.drop_duplicates(list(spec.primary_key), keep="last"))


def _replacing_staged_keys(insert: Any, staging: sa.Table) -> Any:
    """The insert into a staging table, made to replace the row of a key staged before."""
    keys = [column.name for column in staging.primary_key]
    values = {c.name: insert.excluded[c.name] for c in staging.c if not c.primary_key}
    if values:
        return insert.on_conflict_do_update(index_elements=keys, set_=values)
    return insert.on_conflict_do_nothing(index_elements=keys)


def _load_rows(connection: sa.Connection, staging: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Writes rows (one per key, as `_rows` makes them) into a staging table; a key staged again
    (pages shift while paging) wins.

    PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT ... ON CONFLICT. SQLite
    has no COPY: executemany of the INSERT ... ON CONFLICT.
    """
    if not rows:
        return
    insert = _insert(connection, staging)
    if connection.dialect.name == "postgresql":
        names = [column.name for column in staging.columns]
        batch = copy_into_temporary_table(
            connection, staging, (tuple(row[name] for name in names) for row in rows)
        )
        insert = insert.from_select(names, batch.select())
        connection.execute(_replacing_staged_keys(insert, staging))
    else:
        connection.execute(_replacing_staged_keys(insert, staging), rows)


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
    keys = list(spec.primary_key)
    data = [name for name in spec.column_names if name not in keys]
    deleted_at = target.c[DELETED_AT]

    def differs(new: Any) -> sa.ColumnElement[bool]:
        return sa.or_(sa.false(), *(new[name].is_distinct_from(target.c[name]) for name in data))

    matches = sa.and_(*(staging.c[name] == target.c[name] for name in keys))
    present = target.c[keys[0]].is_not(None)
    counts = connection.execute(
        sa.select(
            sa.func.count().label("staged"),
            sa.func.count().filter(~present).label("inserted"),
            sa.func.count().filter(present & deleted_at.is_not(None)).label("restored"),
            sa.func.count()
            .filter(present & deleted_at.is_(None) & differs(staging.c))
            .label("updated"),
        ).select_from(staging.outerjoin(target, matches))
    ).one()

    # WHERE true: SQLite cannot otherwise tell an INSERT ... SELECT's ON CONFLICT from a join's ON.
    columns = [*keys, *data]
    insert = _insert(connection, target).from_select(
        columns, sa.select(*(staging.c[name] for name in columns)).where(sa.true())
    )
    insert = insert.on_conflict_do_update(
        index_elements=keys,
        set_={**{name: insert.excluded[name] for name in data}, DELETED_AT: None},
        where=sa.or_(differs(insert.excluded), deleted_at.is_not(None)),
    )
    connection.execute(insert)

    deleted = 0
    if complete_snapshot:
        absent = ~sa.select(1).where(matches).exists()
        mark = (
            sa.update(target)
            .where(deleted_at.is_(None), absent)
            .values({DELETED_AT: dt.datetime.now(dt.UTC)})
        )
        deleted = connection.execute(mark).rowcount
    return LoadResult(
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.staged - counts.inserted - counts.updated - counts.restored,
        deleted=deleted,
        restored=counts.restored,
    )


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
        staging = _staging_table(sa.MetaData(schema=self.schema), spec)
        with _connection(self.engine, write=True) as connection:
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
