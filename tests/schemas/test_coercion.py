"""to_frame reads each documented variant of a Thinkific field into one typed value."""

import json

import pandas as pd
import pytest

from schemas.thinkific import TABLES, to_frame


def one_row(table_name: str, record: dict) -> pd.Series:
    return to_frame(table_name, [record]).iloc[0]


def test_integers_given_as_strings_are_read():
    assert one_row("thinkific_products", {"id": "6", "position": " 2"})[
        ["id", "position"]
    ].tolist() == [6, 2]


def test_ids_given_as_floats_become_integers():
    frame = to_frame("thinkific_enrollments", [{"id": 1.0, "user_id": 3251643.0, "course_id": 7}])

    assert frame.dtypes["id"] == "Int64"
    assert (frame.at[0, "id"], frame.at[0, "user_id"], frame.at[0, "course_id"]) == (1, 3251643, 7)


@pytest.mark.parametrize("price", [10.99, "10.99", " 10.99"])
def test_price_as_number_or_string_becomes_a_float(price):
    assert one_row("thinkific_products", {"id": 6, "price": price})["price"] == 10.99


def test_affiliate_commission_as_webhook_string_becomes_a_float():
    row = one_row("thinkific_users", {"id": 1, "email": "a@b.c", "affiliate_commission": "15.00"})

    assert row["affiliate_commission"] == 15.0


@pytest.mark.parametrize("value", [0.0, 0.24, 1.0])
def test_percentage_completed_number_is_already_a_fraction(value):
    row = one_row(
        "thinkific_enrollments",
        {"id": 1, "user_id": 1, "course_id": 1, "percentage_completed": value},
    )

    assert row["percentage_completed"] == value


@pytest.mark.parametrize(("percent", "fraction"), [("24.0", 0.24), ("0", 0.0), ("100.0", 1.0)])
def test_percentage_completed_string_is_a_percentage(percent, fraction):
    row = one_row(
        "thinkific_enrollments",
        {"id": 1, "user_id": 1, "course_id": 1, "percentage_completed": percent},
    )

    assert row["percentage_completed"] == pytest.approx(fraction)


def test_orders_created_at_is_read_from_the_spec_key_with_a_space():
    row = one_row("thinkific_orders", {"id": 1, "created at": "2018-01-26T22:23:18.400Z"})

    assert row["created_at"] == pd.Timestamp("2018-01-26T22:23:18.400Z")


def test_webhook_enrollment_fields_fill_the_rest_columns():
    webhook_payload = {
        "id": 97472,
        "free_trial": True,
        "user": {"id": 123456, "email": "ninjas@thinkific.com"},
        "course": {"id": 4, "name": "Introduction to Webhooks"},
    }

    row = one_row("thinkific_enrollments", webhook_payload)

    assert row["is_free_trial"]
    assert (row["user_id"], row["user_email"]) == (123456, "ninjas@thinkific.com")
    assert (row["course_id"], row["course_name"]) == (4, "Introduction to Webhooks")


def test_a_field_own_key_wins_over_its_alternatives():
    row = one_row(
        "thinkific_enrollments",
        {
            "id": 1,
            "user_id": 5,
            "user": {"id": 6},
            "course_id": 1,
            "is_free_trial": False,
            "free_trial": True,
        },
    )

    assert (row["user_id"], row["is_free_trial"]) == (5, False)


@pytest.mark.parametrize(
    "stamp",
    [
        "2024-03-05T10:11:12.123Z",
        "2024-03-05T10:11:12.123+00:00",
        "2024-03-05T12:11:12.123+02:00",
        "2024-03-05T05:11:12.123-05:00",
    ],
)
def test_timestamps_with_z_or_an_offset_become_utc(stamp):
    created_at = one_row("thinkific_groups", {"id": 1, "name": "g", "created_at": stamp})[
        "created_at"
    ]

    assert created_at == pd.Timestamp("2024-03-05T10:11:12.123Z")
    assert str(created_at.tz) == "UTC"


def test_timestamps_without_milliseconds_are_read():
    row = one_row("thinkific_groups", {"id": 1, "name": "g", "created_at": "2019-01-01T01:01:00Z"})

    assert row["created_at"] == pd.Timestamp("2019-01-01T01:01:00Z")


def test_null_arrays_are_stored_as_an_empty_json_array():
    row = one_row(
        "thinkific_users",
        {"id": 1, "email": "a@b.c", "roles": None, "administered_course_ids": None},
    )

    assert (row["roles"], row["administered_course_ids"], row["custom_profile_fields"]) == (
        "[]",
        "[]",
        "[]",
    )


def test_arrays_are_stored_as_json_text_with_float_ids_as_integers():
    fields = [{"id": 1.0, "value": "887 909 9999", "custom_profile_field_definition_id": 1.0}]

    row = one_row("thinkific_users", {"id": 1, "email": "a@b.c", "custom_profile_fields": fields})

    assert json.loads(row["custom_profile_fields"]) == [
        {"id": 1, "value": "887 909 9999", "custom_profile_field_definition_id": 1}
    ]
    assert ".0" not in row["custom_profile_fields"]


def test_missing_optional_keys_become_null():
    row = one_row("thinkific_products", {"id": 6})

    optional = [name for name in TABLES["thinkific_products"].column_names if name != "id"]
    assert all(pd.isna(row[name]) or row[name] == "[]" for name in optional)


def test_unknown_keys_are_ignored():
    frame = to_frame("thinkific_groups", [{"id": 1, "name": "g", "not_a_field": {"x": 1}}])

    assert list(frame.columns) == TABLES["thinkific_groups"].column_names


@pytest.mark.parametrize("table_name", sorted(TABLES))
def test_an_empty_page_gives_an_empty_frame_typed_like_the_schema(table_name):
    frame = to_frame(table_name, [])

    expected = TABLES[table_name].model.to_schema().dtypes
    assert frame.empty
    assert frame.dtypes.to_dict() == {name: dtype.type for name, dtype in expected.items()}


def test_a_frame_read_again_is_unchanged():
    records = [
        {"id": 1.0, "email": "a@b.c", "created_at": "2018-07-12T23:19:00.154Z", "roles": ["x"]},
        {"id": 2, "email": "d@e.f", "affiliate_commission": "15.00", "roles": None},
    ]
    frame = to_frame("thinkific_users", records)
    plain = frame.astype(object).where(frame.notna(), None).to_dict("records")

    pd.testing.assert_frame_equal(to_frame("thinkific_users", plain), frame)
