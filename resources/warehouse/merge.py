"""Rows into the warehouse: staging writes, and the one merge statement that applies them.

Rows reach a target table through one merging INSERT ... ON CONFLICT DO UPDATE
(`_merging_insert`), which updates a row only where a value differs (null-safe `IS DISTINCT
FROM`) or the row was marked deleted. Counting looks the loaded keys up in the target before the
merge (present, and of those marked deleted); the merge's own row count then tells the updated
rows from the unchanged ones, so an update that changes nothing is reported as unchanged and
writes nothing.

Rows are converted for the drivers a batch at a time, column by column
(`resources.warehouse.rows`): executemany on SQLite, COPY on PostgreSQL
(`resources.warehouse.copy_loads`).
"""

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.schema import DropTable

from resources.warehouse.copy_loads import copy_text as copy_text_into
from resources.warehouse.copy_loads import temporary_table_like
from resources.warehouse.ddl import DELETED_AT, upsert_staging_table
from resources.warehouse.engine import insert as _insert
from resources.warehouse.migrate import create_working_table
from resources.warehouse.rows import batches, copy_text, plain_records, sqlite_rows, sqlite_values
from schemas.tables import VALIDATED_FOR, TableSpec, records_to_frame

LOAD_BATCH_ROWS = 50_000
"""Rows converted for the driver at a time (column by column; on PostgreSQL one COPY write):
memory stays bounded, the calls few."""
SQLITE_EXECUTEMANY_ROWS = 500
"""Rows per executemany call on SQLite. SQLAlchemy takes a list, not an iterator; a list of a
whole batch binds slower than an iterator (every tuple allocated and kept), a list this short
as fast (zip reuses each tuple once bound, and it stays in the CPU cache)."""


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


def rows_of(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's rows, read and validated as `records_to_frame` reads records, the last row
    of a key kept.

    Reading again (not just casting) keeps a hand-built frame from storing, say, a Python list
    as its repr instead of JSON; extra columns such as `deleted_at` are ignored. A frame that
    `records_to_frame` made for this very table (it says so in `attrs`) is not read a second time.
    """
    if frame.attrs.get(VALIDATED_FOR) == spec.name:
        typed = frame
    else:
        typed = records_to_frame(spec, plain_records(frame))
    return typed.drop_duplicates(list(spec.primary_key), keep="last")


def _replacing_staged_keys(insert: Any, staging: sa.Table) -> Any:
    """The insert into a staging table, made to replace the row of a key staged before."""
    keys = [column.name for column in staging.primary_key]
    values = {c.name: insert.excluded[c.name] for c in staging.c if not c.primary_key}
    if values:
        return insert.on_conflict_do_update(index_elements=keys, set_=values)
    return insert.on_conflict_do_nothing(index_elements=keys)


def load_rows(connection: sa.Connection, staging: sa.Table, rows: pd.DataFrame) -> None:
    """Writes rows (one per key, as `rows_of` makes them) into a staging table; into a keyed one
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


def merge(
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


def upsert_rows(
    connection: sa.Connection, spec: TableSpec, target: sa.Table, rows: pd.DataFrame
) -> LoadResult:
    """Upserts rows (one per key, as `rows_of` makes them) within the connection's transaction:
    on PostgreSQL COPYed into a temporary staging table and merged from there, on SQLite bound
    straight into the merging INSERT (`upsert_sqlite`)."""
    if connection.dialect.name == "sqlite":
        return upsert_sqlite(connection, spec, target, rows)
    staging = upsert_staging_table(spec)
    create_working_table(connection, staging)
    load_rows(connection, staging, rows)
    result = merge(connection, spec, target, staging, complete_snapshot=False)
    connection.execute(DropTable(staging))
    return result


def upsert_sqlite(
    connection: sa.Connection, spec: TableSpec, target: sa.Table, rows: pd.DataFrame
) -> LoadResult:
    """Upserts rows (one per key, as `rows_of` makes them) on SQLite: their keys are counted in
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
    statement = _merging_insert(connection, spec, target, None)
    written = _executemany(connection, statement.compile(dialect=connection.dialect), rows)
    return _result(counts, written)
