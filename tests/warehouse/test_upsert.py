"""upsert: bulk insert-or-update by primary key, counted, in one transaction."""

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from resources.warehouse.merge import LoadResult
from resources.warehouse.rows import plain_records
from schemas.thinkific import to_frame
from tests.warehouse.frames import emails, table_names, users

PRODUCT = {
    "id": 6.0,
    "created_at": "2018-01-01T01:01:00.250Z",
    "productable_id": 6.0,
    "productable_type": "Course",
    "price": "10.99",
    "position": 1.0,
    "private": False,
    "days_until_expiry": 365.0,
    "collection_ids": [2, 3, 5],
    "product_prices": [{"id": 4.0, "price": "10.0", "currency": "usd"}],
}


def test_upsert_inserts_then_updates_then_reports_unchanged(warehouse):
    first = warehouse.upsert("thinkific_users", users({1: "a@x.io", 2: "b@x.io"}))
    second = warehouse.upsert("thinkific_users", users({1: "a@x.io", 2: "new@x.io", 3: "c@x.io"}))
    third = warehouse.upsert("thinkific_users", users({1: "a@x.io", 2: "new@x.io", 3: "c@x.io"}))

    assert first == LoadResult(inserted=2)
    assert second == LoadResult(inserted=1, updated=1, unchanged=1)
    assert third == LoadResult(unchanged=3)
    assert emails(warehouse) == {1: "a@x.io", 2: "new@x.io", 3: "c@x.io"}


def test_upsert_is_one_transaction_so_a_failing_batch_leaves_nothing(warehouse):
    warehouse.upsert("thinkific_users", users({1: "a@x.io"}))
    with warehouse.engine.begin() as connection:  # makes the batch below fail in its merge
        connection.exec_driver_sql("CREATE UNIQUE INDEX unique_email ON thinkific_users (email)")

    with pytest.raises(sa.exc.IntegrityError):
        warehouse.upsert("thinkific_users", users({1: "changed@x.io", 2: "b@x.io", 3: "b@x.io"}))

    assert emails(warehouse) == {1: "a@x.io"}
    assert table_names(warehouse) == {"thinkific_users"}


def test_upsert_keeps_the_last_row_of_a_key_given_twice(warehouse):
    frame = pd.concat([users({1: "first@x.io"}), users({1: "last@x.io"})], ignore_index=True)

    result = warehouse.upsert("thinkific_users", frame)

    assert result == LoadResult(inserted=1)
    assert emails(warehouse) == {1: "last@x.io"}


def test_read_frame_returns_the_loaded_rows_typed_like_the_schema(warehouse):
    loaded = to_frame("thinkific_products", [PRODUCT, {"id": 7, "price": 5}])
    warehouse.upsert("thinkific_products", loaded)

    pd.testing.assert_frame_equal(warehouse.read_frame("thinkific_products"), loaded)


def test_read_frame_decodes_arrays_on_request(warehouse):
    warehouse.upsert("thinkific_products", to_frame("thinkific_products", [PRODUCT]))

    row = warehouse.read_frame("thinkific_products", decode_arrays=True).iloc[0]

    assert row["collection_ids"] == [2, 3, 5]
    assert row["related_product_ids"] == []
    assert row["product_prices"] == [{"id": 4, "price": "10.0", "currency": "usd"}]


def test_a_frame_read_back_and_upserted_again_changes_nothing(warehouse):
    warehouse.upsert("thinkific_products", to_frame("thinkific_products", [PRODUCT]))

    result = warehouse.upsert("thinkific_products", warehouse.read_frame("thinkific_products"))

    assert result == LoadResult(unchanged=1)


def test_upsert_reads_a_hand_built_frame_like_records(warehouse):
    frame = pd.DataFrame([{"id": 1.0, "email": "a@x.io", "roles": ["site_admin"]}])

    warehouse.upsert("thinkific_users", frame)

    assert json.loads(warehouse.read_frame("thinkific_users").at[0, "roles"]) == ["site_admin"]


def test_one_upsert_counts_inserted_updated_unchanged_and_restored_rows(warehouse):
    warehouse.upsert("thinkific_users", users({1: "a@x.io", 2: "b@x.io", 3: "c@x.io", 4: "d@x.io"}))
    with warehouse.snapshot("thinkific_users") as loader:  # 3 and 4 leave
        loader.append(users({1: "a@x.io", 2: "b@x.io"}))
        loader.commit()

    result = warehouse.upsert(
        "thinkific_users",
        users({1: "a@x.io", 2: "new@x.io", 3: "c@x.io", 4: "new-d@x.io", 5: "e@x.io"}),
    )

    assert result == LoadResult(inserted=1, updated=1, unchanged=1, restored=2)
    assert emails(warehouse, include_deleted=True) == {
        1: "a@x.io",
        2: "new@x.io",
        3: "c@x.io",
        4: "new-d@x.io",
        5: "e@x.io",
    }
    assert warehouse.count("thinkific_users") == 5


def test_rows_written_through_sqlalchemy_types_compare_equal_to_upserted_ones(warehouse):
    record = {"id": 1, "email": "a@x.io", "created_at": "2024-03-01T10:20:30.123456Z"}
    frame = to_frame("thinkific_users", [record])
    # The loader binds values as stored (SQLite: its own timestamp text); SQLAlchemy's types
    # must have stored the very same, or every row written before would count as changed.
    warehouse.ensure_tables("thinkific_users")
    with warehouse.engine.begin() as connection:
        connection.execute(sa.insert(warehouse.table("thinkific_users")), plain_records(frame))

    result = warehouse.upsert("thinkific_users", frame)

    assert result == LoadResult(updated=0, unchanged=1)
    assert warehouse.read_frame("thinkific_users").at[0, "created_at"] == pd.Timestamp(
        "2024-03-01T10:20:30.123456Z"
    )


def test_upsert_leaves_no_temporary_table_in_the_pooled_connection(warehouse):
    warehouse.upsert("thinkific_users", users({1: "a@x.io"}))

    with warehouse.engine.connect() as connection:
        assert sa.inspect(connection).get_temp_table_names() == []
    assert table_names(warehouse) == {"thinkific_users"}


def test_upsert_counts_the_rows_of_a_table_keyed_by_two_columns(warehouse):
    def memberships(*pairs):
        return to_frame(
            "thinkific_group_memberships", [{"group_id": g, "user_id": u} for g, u in pairs]
        )

    warehouse.upsert("thinkific_group_memberships", memberships((1, 1), (1, 2), (2, 1)))
    with warehouse.snapshot("thinkific_group_memberships") as loader:  # (1, 2) leaves
        loader.append(memberships((1, 1), (2, 1)))
        loader.commit()

    result = warehouse.upsert("thinkific_group_memberships", memberships((1, 2), (2, 1), (2, 2)))

    assert result == LoadResult(inserted=1, unchanged=1, restored=1)
    assert warehouse.count("thinkific_group_memberships") == 4
