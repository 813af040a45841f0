"""Tables from a table registry: `define_table` is the one way the project defines a table.

Every column comes from the table's spec (`schemas.tables.TableSpec.table_columns`: its pandera
model's, and the warehouse's own, `deleted_at`, where it soft-deletes), typed by its kind
(`COLUMN_TYPES`), with the spec's primary key and its indexes (`TableSpec.indexes`: plain ones
named `ix_<table>_<columns>`, and expression, partial and dialect-specific ones,
`schemas.tables.IndexSpec`). The warehouse's working tables (a snapshot's staging table, an
upsert's temporary table) and its bookkeeping tables (watermarks and checkpoints, the site it
holds) are defined here too. Defining is not creating: `resources.warehouse.migrate` creates.
"""

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from resources.warehouse.engine import insert
from resources.warehouse.expressions import normalised
from schemas.tables import SOFT_DELETE_COLUMN, ColumnKind, IndexSpec, TableSpec

DELETED_AT = SOFT_DELETE_COLUMN.name
SYNC_STATE_TABLE = "warehouse_sync_state"
SITE_TABLE = "warehouse_site"

COLUMN_TYPES: dict[ColumnKind, Callable[[], sa.types.TypeEngine[Any]]] = {
    # The SQL type of each schema column kind, for every table the project defines.
    "integer": sa.BigInteger,
    "number": sa.Double,
    "flag": sa.Boolean,
    "text": sa.Text,
    "json": sa.Text,
    "timestamp": lambda: sa.DateTime(timezone=True),
}


def define_table(metadata: sa.MetaData, spec: TableSpec, *, name: str | None = None) -> sa.Table:
    """The table of `spec` in `metadata`: its columns (`TableSpec.table_columns`: the model's,
    `deleted_at` where the spec soft-deletes, a leading numbering column where it numbers its
    rows), its key, and its indexes.

    `name` defines a working copy instead (a staging table): the model's columns and the spec's
    key only, no indexes.
    """
    copy = name is not None
    table_columns = spec.columns if copy else spec.table_columns
    # autoincrement=False: Thinkific assigns the ids, PostgreSQL must not make them serial.
    columns = [
        sa.Column(
            column.name, COLUMN_TYPES[column.kind](), nullable=column.nullable, autoincrement=False
        )
        for column in table_columns
    ]
    keys: list[Any] = [sa.PrimaryKeyConstraint(*(spec.primary_key if copy else spec.row_key))]
    if spec.numbered_by is not None and not copy:
        keys.append(sa.UniqueConstraint(*spec.primary_key))
    table = sa.Table(name or spec.name, metadata, *columns, *keys)
    if not copy:
        for index in spec.index_specs:
            _define_index(table, index)
    return table


def _define_index(table: sa.Table, index: IndexSpec) -> sa.Index:
    """The index on `table`; `info["dialects"]` names the only databases it is made on (none:
    every one), which `resources.warehouse.migrate` heeds."""
    elements = [
        normalised(table.c[name]) if name in index.normalised else table.c[name]
        for name in index.columns
    ]
    where = (
        {}
        if index.where_not_null is None
        else {
            f"{dialect}_where": table.c[index.where_not_null].is_not(None)
            for dialect in ("sqlite", "postgresql")
        }
    )
    return sa.Index(
        index.name_in(table.name),
        *elements,
        _table=table,
        info={"dialects": index.dialects},
        **where,
    )


def index_is_for(index: sa.Index, dialect: str) -> bool:
    """Whether the index is made on that database (`IndexSpec.dialects`)."""
    dialects = index.info.get("dialects") or ()
    return not dialects or dialect in dialects


def staging_table(metadata: sa.MetaData, spec: TableSpec) -> sa.Table:
    """A uniquely named table with the target's columns and key, for one snapshot."""
    return define_table(metadata, spec, name=f"{spec.name}__staging_{uuid.uuid4().hex[:12]}")


def resume_table(metadata: sa.MetaData, spec: TableSpec) -> sa.Table:
    """The one staging table of a resumable load: it outlives a crash so a rerun continues."""
    return define_table(metadata, spec, name=f"{spec.name}__resume")


def upsert_staging_table(spec: TableSpec) -> sa.Table:
    """A uniquely named temporary table with the target's columns and no key, for one upsert on
    PostgreSQL: its rows are already one per key (`merge.rows`) and stay within its transaction,
    so it needs no key to maintain, nor WAL; it is dropped at the end of the transaction,
    whatever happens."""
    return sa.Table(
        f"{spec.name}__upsert_{uuid.uuid4().hex[:12]}",
        sa.MetaData(),
        *(sa.Column(column.name, COLUMN_TYPES[column.kind]()) for column in spec.columns),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def sync_state_table(metadata: sa.MetaData) -> sa.Table:
    """Per table: its watermark, when its last complete read began (`complete_read_at`: every
    change made before then is in the table, which is what tells a late webhook event from a
    new one), and the checkpoint of a resumable load in progress.

    Written in the same transaction as the rows each covers, so none ever runs ahead of the
    data: a checkpoint with the page it records, a watermark and a read's start with the merge
    they summarise. `activity_mark`: for a table read by following activity, the latest
    enrollment change its last read covers (`resources.extraction.activity`). A table an
    earlier version made without `complete_read_at` and `activity_mark` gains them
    (`resources.warehouse.migrate.create_tables`).
    """
    return sa.Table(
        SYNC_STATE_TABLE,
        metadata,
        sa.Column("table_name", sa.Text, primary_key=True),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checkpoint", sa.Text, nullable=True),
        sa.Column("checkpointed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("complete_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activity_mark", sa.DateTime(timezone=True), nullable=True),
    )


def site_table(metadata: sa.MetaData) -> sa.Table:
    """One row: the site whose rows the warehouse holds, and since when
    (`resources.warehouse.site_identity`)."""
    return sa.Table(
        SITE_TABLE,
        metadata,
        sa.Column("slot", sa.Integer, primary_key=True),
        sa.Column("subdomain", sa.Text, nullable=False),
        sa.Column("base_url", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def save_state(connection: sa.Connection, state: sa.Table, table_name: str, **values: Any) -> None:
    """Sets the named columns of a table's row of sync state (its watermark, its checkpoint)."""
    upsert = insert(connection, state).values(table_name=table_name, **values)
    connection.execute(upsert.on_conflict_do_update(index_elements=["table_name"], set_=values))
