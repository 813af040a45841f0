"""What the dashboard assets share: keys, the asset decorator, and metadata helpers."""

import time
from collections.abc import Callable, Sequence
from typing import Any

from dagster import AssetKey, MetadataValue, TableColumn, TableRecord, TableSchema, asset

from assets.conventions import (
    DASHBOARD_GROUP,
    NIGHTLY_FRESHNESS,
    OWNER,
    SITE_PARTITIONS,
    THINKIFIC_GROUP,
)
from assets.failures import with_known_failures
from resources.extraction.metadata import COLUMN_SCHEMA, column_schema
from schemas.dashboard import DASHBOARD_TABLES

KINDS = {"python", "sql"}
MAX_ROWS_SHOWN = 200
"""Rows a metadata table shows; the whole table is in the warehouse."""


def thinkific_key(stream: str) -> AssetKey:
    return AssetKey([THINKIFIC_GROUP, stream])


def dashboard_key(entity: str) -> AssetKey:
    return AssetKey([DASHBOARD_GROUP, entity])


def dashboard_asset(
    name: str, description: str, deps: Sequence[AssetKey], **options: Any
) -> Callable[..., Any]:
    """The decorator dashboard assets share: key prefix, group, owner, kinds, freshness, the
    column schema of its table (`definition_metadata`), and failures that name their cause
    (`assets.failures`)."""
    decorate = asset(
        name=name,
        key_prefix=[DASHBOARD_GROUP],
        group_name=DASHBOARD_GROUP,
        description=description,
        deps=deps,
        owners=[OWNER],
        freshness_policy=NIGHTLY_FRESHNESS,
        partitions_def=SITE_PARTITIONS,
        metadata=definition_metadata(name),
        **{"kinds": KINDS, **options},
    )
    return lambda compute: decorate(with_known_failures(compute))


def definition_metadata(entity: str) -> dict[str, Any]:
    """What the page of `dashboard/<entity>` shows before any run: the columns of its table,
    `dashboard_<entity>`."""
    return {COLUMN_SCHEMA: column_schema(DASHBOARD_TABLES[f"{DASHBOARD_GROUP}_{entity}"])}


def table_metadata(table: str, rows: int, started: float) -> dict[str, Any]:
    return {
        "dagster/row_count": rows,
        "dagster/table_name": table,
        COLUMN_SCHEMA: column_schema(DASHBOARD_TABLES[table]),
        "duration_seconds": MetadataValue.float(round(time.monotonic() - started, 2)),
    }


def metadata_table(rows: Sequence[dict[str, Any]], columns: dict[str, str]) -> MetadataValue:
    """Rows as a table in the UI (the first MAX_ROWS_SHOWN); `columns` maps name to type."""
    return MetadataValue.table(
        records=[TableRecord(row) for row in rows[:MAX_ROWS_SHOWN]],
        schema=TableSchema(columns=[TableColumn(name, kind) for name, kind in columns.items()]),
    )
