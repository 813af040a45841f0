"""The stream registry and its tables: keys, incremental reads and array columns as the
warehouse relies on them."""

import pytest

from schemas.thinkific import STREAMS, TABLES, get_table
from schemas.thinkific.streams import Incremental

ARRAY_FIELDS = {
    "thinkific_users": {"roles", "administered_course_ids", "custom_profile_fields"},
    "thinkific_products": {"collection_ids", "related_product_ids", "product_prices"},
    "thinkific_courses": {"administrator_user_ids", "chapter_ids"},
    "thinkific_bundles": {"course_ids"},
    "thinkific_orders": {"items"},
}


@pytest.mark.parametrize("table_name", sorted(TABLES))
def test_primary_key_columns_exist_and_are_not_nullable(table_name):
    spec = TABLES[table_name]

    assert [column.name for column in spec.key_columns] == list(spec.primary_key)
    assert not any(column.nullable for column in spec.key_columns)


@pytest.mark.parametrize("table_name", sorted(TABLES))
def test_array_fields_are_marked_as_json(table_name):
    spec = TABLES[table_name]

    json_columns = {column.name for column in spec.columns if column.kind == "json"}
    assert json_columns == ARRAY_FIELDS.get(table_name, set())


def test_enrollments_load_incrementally_and_the_other_tables_by_snapshot():
    incremental = {stream.table: stream.incremental for stream in STREAMS if stream.incremental}

    assert incremental == {
        "thinkific_enrollments": Incremental(
            cursor="updated_at", query_filter="query[updated_on_or_after]"
        )
    }
    assert set(TABLES) == {stream.table for stream in STREAMS}


def test_an_unknown_table_name_is_refused_with_the_known_names():
    with pytest.raises(KeyError, match="thinkific_users"):
        get_table("thinkific_user")
