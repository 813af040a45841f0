"""The warehouse creates its tables from the schemas: same columns, types, nulls and keys."""

import pytest
import sqlalchemy as sa

from resources.warehouse import WarehouseResource
from resources.warehouse.ddl import DELETED_AT
from schemas.thinkific import TABLES
from tests.warehouse.frames import table_names, users

TYPE_OF_KIND = {
    "integer": sa.BigInteger,
    "number": sa.Float,
    "flag": sa.Boolean,
    "text": sa.Text,
    "json": sa.Text,
    "timestamp": sa.DateTime,
}


def test_tables_follow_the_schema_names_types_nullability_and_key(warehouse):
    warehouse.ensure_tables()
    inspector = sa.inspect(warehouse.engine)

    for name, spec in TABLES.items():
        reflected = inspector.get_columns(name, schema=warehouse.schema)
        assert [c["name"] for c in reflected] == [*spec.column_names, DELETED_AT], name
        by_name = {c["name"]: c for c in reflected}
        for column in spec.columns:
            found = by_name[column.name]
            assert isinstance(found["type"], TYPE_OF_KIND[column.kind]), (name, column.name)
            assert found["nullable"] == column.nullable, (name, column.name)
        assert isinstance(by_name[DELETED_AT]["type"], sa.DateTime)
        assert by_name[DELETED_AT]["nullable"]
        key = inspector.get_pk_constraint(name, schema=warehouse.schema)["constrained_columns"]
        assert key == list(spec.primary_key), name


def test_ensure_tables_can_run_again_without_touching_the_data(warehouse):
    warehouse.ensure_tables()
    warehouse.upsert("thinkific_users", users({1: "a@x.io"}))

    WarehouseResource(url=warehouse.url).ensure_tables()

    assert table_names(warehouse) == set(TABLES)
    assert warehouse.count("thinkific_users") == 1


@pytest.mark.postgres
def test_postgresql_timestamps_keep_their_time_zone(postgresql_url):
    warehouse = WarehouseResource(url=postgresql_url)
    warehouse.ensure_tables("thinkific_enrollments")

    columns = sa.inspect(warehouse.engine).get_columns("thinkific_enrollments")

    assert all(c["type"].timezone for c in columns if isinstance(c["type"], sa.DateTime))
    warehouse.dispose()


@pytest.mark.postgres
def test_postgresql_tables_go_into_the_configured_schema_created_if_missing(postgresql_url):
    warehouse = WarehouseResource(url=postgresql_url, schema_name="thinkific")

    warehouse.upsert("thinkific_users", users({1: "a@x.io"}))

    inspector = sa.inspect(warehouse.engine)
    assert set(inspector.get_table_names(schema="thinkific")) == {
        "thinkific_users",
        "warehouse_sync_state",
    }
    assert "thinkific_users" not in inspector.get_table_names(schema="public")
    assert warehouse.count("thinkific_users") == 1
    warehouse.dispose()
