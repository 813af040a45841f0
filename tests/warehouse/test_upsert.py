"""upsert: bulk insert-or-update by primary key, counted, in one transaction."""

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from resources.warehouse import LoadResult
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
