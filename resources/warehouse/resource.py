"""The warehouse resource: the tables of a table registry in SQLite or PostgreSQL, loaded by
upsert or snapshot.

Its tables are the registry's (`schemas.tables.TableSpec`s; by default the Thinkific streams'
tables, `schemas.thinkific.TABLES`; another with `with_tables`), each defined by
`resources.warehouse.ddl.define_table` with `deleted_at`: set on rows missing from a complete
snapshot, cleared when they come back. The parts: `engine` (URL, engines, transactions), `ddl`,
`merge` (staging writes and the merge statement) and `snapshot` (`SnapshotLoader`).

- `upsert`, in one transaction (`merge.upsert_rows`): on PostgreSQL the frame is COPYed into a
  temporary staging table and merged from there; on SQLite, which has no COPY, its rows are
  bound straight into the merging INSERT by executemany: a staging table would only add a
  second write of every row.
- `snapshot`: a `SnapshotLoader`, page by page, applied in one transaction on commit.
"""

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

import dagster as dg
import pandas as pd
import sqlalchemy as sa
from pydantic import Field, PrivateAttr

from resources.warehouse.ddl import (
    DELETED_AT,
    SYNC_STATE_TABLE,
    define_table,
    sync_state_table,
)
from resources.warehouse.engine import (
    WAREHOUSE_URL_ENV,
    WarehouseError,
    aware,
    create_engine,
    default_warehouse_url,
    transaction,
)
from resources.warehouse.merge import LoadResult, rows_of, upsert_rows
from resources.warehouse.migrate import ensure_tables
from resources.warehouse.site_identity import SiteIdentity, UsersPage, claim_warehouse
from resources.warehouse.snapshot import RESUME_MAX_AGE, SnapshotLoader
from schemas.tables import TableSpec
from schemas.thinkific import TABLES as THINKIFIC_TABLES


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse database: the tables of its registry, upserts, snapshots and reads.

    Tables are created when first used (or up front with `ensure_tables`). Neither `repr` nor
    any error this resource raises shows the URL's password. The registry (`tables`) belongs
    to the class, not to the config: Dagster rebuilds a resource from its class and config, and
    a registry is code, not a setting (`with_tables` makes a warehouse with another).
    """

    tables: ClassVar[Mapping[str, TableSpec]] = THINKIFIC_TABLES

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
    _claimed_by: SiteIdentity | None = PrivateAttr(default=None)

    def claim_for(self, site: SiteIdentity, users_page: UsersPage) -> None:
        """Records `site` as the one whose rows this warehouse holds, or raises
        `WarehouseSiteMismatch` when it holds another's (`resources.warehouse.site_identity`);
        once per resource, which a run's steps share."""
        if self._claimed_by is None or not self._claimed_by.same_site(site):
            claim_warehouse(self.engine, self.schema, site, users_page)
            self._claimed_by = site

    def with_tables(self, tables: Iterable[TableSpec]) -> "WarehouseResource":
        """The same warehouse (URL, schema) with these tables as its registry instead."""
        registry = {spec.name: spec for spec in tables}
        if not all(spec.soft_delete for spec in registry.values()):
            raise ValueError("the warehouse's tables soft-delete: every spec needs soft_delete")
        name = type(self).__name__
        kind = type(name, (type(self),), {"tables": registry, "__module__": __name__})
        return kind(url=self.url, schema_name=self.schema_name)

    def spec(self, table_name: str) -> TableSpec:
        """The registered table of that name; the KeyError lists the known names."""
        try:
            return self.tables[table_name]
        except KeyError:
            known = sorted(self.tables)
            raise KeyError(f"unknown table {table_name!r}; known tables: {known}") from None

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
            self._engine = create_engine(url)
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
        """Every registered table, as `define_table` defines it."""
        if self._metadata is None:
            metadata = sa.MetaData(schema=self.schema)
            for spec in self.tables.values():
                define_table(metadata, spec)
            sync_state_table(metadata)
            self._metadata = metadata
        return self._metadata

    def table(self, table_name: str) -> sa.Table:
        """The SQLAlchemy table of a registered table name."""
        spec = self.spec(table_name)
        qualified = f"{self.schema}.{spec.name}" if self.schema else spec.name
        return self.metadata.tables[qualified]

    def ensure_tables(self, *table_names: str) -> None:
        """Creates the schema and the named tables (all registered tables if none are named),
        with their indexes, where missing (`resources.warehouse.migrate`); safe to repeat."""
        names = table_names or tuple(self.tables)
        tables = [self.table(name) for name in names] + [self.sync_state]
        ensure_tables(self.engine, tables, upgrade=[self.sync_state])
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
        with transaction(self.engine, write=False) as connection:
            value = connection.execute(query).scalar_one_or_none()
        return aware(value)

    def has_checkpoint(self, table_name: str) -> bool:
        """An interrupted load of the table left a checkpoint (the next load may resume it)."""
        self._target(table_name)
        state = self.sync_state
        query = sa.select(state.c.checkpoint).where(state.c.table_name == table_name)
        with transaction(self.engine, write=False) as connection:
            return connection.execute(query).scalar_one_or_none() is not None

    def _target(self, table_name: str) -> sa.Table:
        if table_name not in self._ensured:
            self.ensure_tables(table_name)
        return self.table(table_name)

    def upsert(self, table_name: str, frame: pd.DataFrame) -> LoadResult:
        """Inserts or updates the frame's rows by primary key, in one transaction.

        The frame is read like records by `records_to_frame` (a frame it made passes as is);
        when a key occurs twice the last row wins. An upserted row is live again if it had
        been marked deleted.
        """
        spec = self.spec(table_name)
        target = self._target(table_name)
        rows = rows_of(spec, frame)
        with transaction(self.engine, write=True) as connection:
            return upsert_rows(connection, spec, target, rows)

    def snapshot(
        self,
        table_name: str,
        resumable: bool = False,
        resume_max_age: dt.timedelta = RESUME_MAX_AGE,
    ) -> SnapshotLoader:
        """A loader for one complete snapshot of the table; use it as a context manager:

        with warehouse.snapshot("thinkific_users") as loader:
            for page in pages:
                loader.append(to_frame("thinkific_users", page))
            result = loader.commit()

        A `resumable` loader stages into a table that survives a failure or a crash, with the
        checkpoint given to each `append`; the next resumable loader of the table finds both
        (`checkpoint`) and can continue (unless older than `resume_max_age`), or `restart`.
        """
        spec = self.spec(table_name)
        return SnapshotLoader(
            self,
            spec,
            self._target(table_name),
            resumable=resumable,
            resume_max_age=resume_max_age,
        )

    def read_frame(
        self, table_name: str, include_deleted: bool = False, decode_arrays: bool = False
    ) -> pd.DataFrame:
        """The table as a frame typed by its model, ordered by primary key.

        Array columns are JSON text as stored (the frame can be upserted again as it is), or
        Python lists with `decode_arrays`. Rows marked deleted are left out unless
        `include_deleted`, which also adds the `deleted_at` column.
        """
        spec = self.spec(table_name)
        target = self._target(table_name)
        names = [*spec.column_names, *([DELETED_AT] if include_deleted else [])]
        query = sa.select(*(target.c[name] for name in names)).order_by(
            *(target.c[name] for name in spec.primary_key)
        )
        if not include_deleted:
            query = query.where(target.c[DELETED_AT].is_(None))
        with transaction(self.engine, write=False) as connection:
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
        with transaction(self.engine, write=False) as connection:
            return connection.execute(query).scalar_one()

    def duplicate_keys(self, table_name: str) -> list[tuple[Any, ...]]:
        """Primary keys held by more than one live row. The primary-key constraint of tables
        created here rules that out; this verifies it wherever a table came from."""
        spec = self.spec(table_name)
        target = self._target(table_name)
        keys = [target.c[name] for name in spec.primary_key]
        query = (
            sa.select(*keys)
            .where(target.c[DELETED_AT].is_(None))
            .group_by(*keys)
            .having(sa.func.count() > 1)
            .order_by(*keys)
        )
        with transaction(self.engine, write=False) as connection:
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
        with transaction(self.engine, write=False) as connection:
            return list(connection.execute(query).scalars())
