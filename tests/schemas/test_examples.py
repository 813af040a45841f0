"""Every documented Thinkific payload of a warehouse table validates against its schema."""

import json
from typing import Any

import pandas as pd
import pytest

from schemas.thinkific import get_table, to_frame
from tests.contract_examples import EXAMPLES

TABLE_OF_EXAMPLE = {
    "rest_users_list.json": "thinkific_users",
    "rest_users_get.json": "thinkific_users",
    "rest_users_create_response.json": "thinkific_users",
    "webhook_user_signup.json": "thinkific_users",
    "webhook_user_signin.json": "thinkific_users",
    "rest_groups_list.json": "thinkific_groups",
    "rest_groups_get.json": "thinkific_groups",
    "rest_products_list.json": "thinkific_products",
    "rest_products_get.json": "thinkific_products",
    "rest_courses_list.json": "thinkific_courses",
    "rest_courses_get.json": "thinkific_courses",
    "rest_bundles_get.json": "thinkific_bundles",
    "rest_enrollments_list.json": "thinkific_enrollments",
    "rest_enrollments_get.json": "thinkific_enrollments",
    "rest_enrollments_create_response.json": "thinkific_enrollments",
    "webhook_enrollment_created.json": "thinkific_enrollments",
    "webhook_enrollment_created_gist_variant.json": "thinkific_enrollments",
    "webhook_enrollment_progress.json": "thinkific_enrollments",
    "rest_orders_list.json": "thinkific_orders",
    "webhook_order_created.json": "thinkific_orders",
    "webhook_order_created_support_article.json": "thinkific_orders",
}


def records_of(file_name: str) -> list[dict[str, Any]]:
    """The records a payload carries: a list's items, a webhook's payload, or a get's body."""
    body = json.loads((EXAMPLES / file_name).read_text())
    if "items" in body and "meta" in body:
        return body["items"]
    if "payload" in body:
        return [body["payload"]]
    return [body]


NO_TABLE_OF_THEIR_OWN = {
    "rest_group_analysts_list.json",  # bare user ids; rows are built per group by the asset
    "rest_custom_profile_field_definitions_list.json",  # not extracted
    "webhook_lesson_completed.json",  # webhook events are stored whole (tests/webhooks)
    "webhook_quiz_attempted.json",
}


def test_every_example_of_a_warehouse_record_is_checked():
    records = {
        path.name
        for path in EXAMPLES.glob("*.json")
        if not path.name.startswith("rest_error_") and not path.name.endswith("_request.json")
    }
    assert records - NO_TABLE_OF_THEIR_OWN == set(TABLE_OF_EXAMPLE)


@pytest.mark.parametrize("file_name", sorted(TABLE_OF_EXAMPLE))
def test_example_payload_validates_with_every_given_field_kept(file_name):
    table = get_table(TABLE_OF_EXAMPLE[file_name])
    records = records_of(file_name)

    frame = to_frame(table.name, records)

    assert [int(record["id"]) for record in records] == list(frame["id"])
    for position, record in enumerate(records):
        given = [name for name in table.column_names if record.get(name) is not None]
        assert given, f"{file_name}: no column of {table.name} found in the record"
        lost = [name for name in given if pd.isna(frame.at[position, name])]
        assert not lost, f"{file_name}: values given but stored as null: {lost}"
