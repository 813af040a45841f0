"""The data dictionary: every column of every table and of every asset's column schema is
described, each asset's column schema lists exactly its table's columns, and
docs/data-dictionary.md is what the models say."""

import pandera.pandas as pa
import pytest
import sqlalchemy as sa
from dagster import AssetKey, TableSchema

from pipelines.definitions import defs
from resources.extraction.metadata import COLUMN_SCHEMA, column_schema
from resources.warehouse.ddl import define_table
from schemas.dictionary import PATH, REGENERATE, WAREHOUSE_TABLES, data_dictionary
from schemas.tables import TableSpec, key
from schemas.thinkific.models import Integer, Text, ThinkificModel
from schemas.uploads import UPLOAD_FORMATS

ASSETS = {node.key: node for node in defs.resolve_asset_graph().asset_nodes}
UPLOADS = "uploads"


def _schema_of(key: AssetKey) -> TableSchema:
    return ASSETS[key].metadata[COLUMN_SCHEMA]


def _undescribed(schema: TableSchema) -> list[str]:
    return [column.name for column in schema.columns if not (column.description or "").strip()]


def _warehouse_columns(table: str) -> list[str]:
    return list(define_table(sa.MetaData(), WAREHOUSE_TABLES[table]).columns.keys())


@pytest.mark.parametrize("key", sorted(ASSETS), ids=AssetKey.to_user_string)
def test_every_column_of_an_assets_column_schema_has_a_description(key):
    assert _undescribed(_schema_of(key)) == []


@pytest.mark.parametrize("table", sorted(WAREHOUSE_TABLES))
def test_every_column_of_every_warehouse_table_has_a_description(table):
    assert _undescribed(column_schema(WAREHOUSE_TABLES[table])) == []


class _PartlyDescribed(ThinkificModel):
    id: Integer = key("Described.")
    label: Text = pa.Field(nullable=True)


def test_a_column_left_without_a_description_is_reported():
    spec = TableSpec("partly_described", _PartlyDescribed, ("id",))

    assert _undescribed(column_schema(spec)) == ["label"]


@pytest.mark.parametrize(
    "key", sorted(key for key in ASSETS if key.path[0] != UPLOADS), ids=AssetKey.to_user_string
)
def test_a_tables_column_schema_lists_exactly_the_warehouse_tables_columns(key):
    """`thinkific/users` is `thinkific_users`, `dashboard/teams` is `dashboard_teams`."""
    shown = [column.name for column in _schema_of(key).columns]

    assert shown == _warehouse_columns("_".join(key.path))


@pytest.mark.parametrize("fmt", sorted(UPLOAD_FORMATS))
def test_an_uploads_column_schema_lists_exactly_its_formats_columns(fmt):
    shown = [column.name for column in _schema_of(AssetKey([UPLOADS, fmt])).columns]

    assert shown == UPLOAD_FORMATS[fmt].columns


def test_the_checked_in_data_dictionary_is_what_the_models_say():
    assert PATH.read_text() == data_dictionary(), f"regenerate it: {REGENERATE}"
