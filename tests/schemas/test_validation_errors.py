"""A page that does not fit its table fails with every bad value named, all at once."""

import pytest

from schemas.tables import RecordValidationError
from schemas.thinkific import to_frame


def validation_error(table_name: str, records: list[dict]) -> RecordValidationError:
    with pytest.raises(RecordValidationError) as caught:
        to_frame(table_name, records)
    return caught.value


def test_error_names_table_record_id_column_check_and_value():
    error = validation_error("thinkific_users", [{"id": 17, "email": None}])

    assert str(error) == "thinkific_users: record id=17, column email: not nullable (value None)"


def test_every_failing_value_of_the_page_is_reported():
    error = validation_error(
        "thinkific_users",
        [
            {"id": 1, "email": None},
            {"id": 2, "email": "ok@example.com"},
            {"id": 3, "email": "c@example.com", "roles": {"not": "an array"}},
            {"id": 4, "email": "d@example.com", "created_at": "yesterday"},
        ],
    )

    assert [(f.record, f.column, f.check) for f in error.failures] == [
        ("id=1", "email", "not nullable"),
        ("id=3", "roles", "not an array"),
        ("id=4", "created_at", "not a timestamp"),
    ]


def test_an_id_that_is_not_an_integer_is_shown_as_received():
    error = validation_error("thinkific_groups", [{"id": 18.5, "name": "g"}])

    assert str(error) == "thinkific_groups: record id=18.5, column id: not an integer (value 18.5)"


def test_a_record_without_id_is_named_by_its_position_in_the_page():
    error = validation_error("thinkific_groups", [{"id": 1, "name": "a"}, {"name": "b"}])

    assert (
        str(error) == "thinkific_groups: record at position 1, column id: not nullable (value None)"
    )


def test_link_table_records_need_both_keys():
    error = validation_error("thinkific_group_memberships", [{"group_id": 7}])

    assert str(error) == (
        "thinkific_group_memberships: record group_id=7, user_id=None, column user_id: "
        "not nullable (value None)"
    )


def test_enrollment_progress_above_one_fails_its_range_check():
    error = validation_error(
        "thinkific_enrollments",
        [{"id": 5, "user_id": 1, "course_id": 1, "percentage_completed": 1.5}],
    )

    assert str(error) == (
        "thinkific_enrollments: record id=5, column percentage_completed: "
        "in_range(0, 1) (value 1.5)"
    )


@pytest.mark.parametrize(
    ("column", "value", "check"),
    [
        ("private", "yes", "not a boolean"),
        ("price", "ten", "not a number"),
        ("position", 1.5, "not an integer"),
        ("position", "--5", "not an integer"),
        ("name", ["a"], "not text"),
    ],
)
def test_a_value_of_the_wrong_kind_is_reported_with_the_kind_expected(column, value, check):
    error = validation_error("thinkific_products", [{"id": 6, column: value}])

    assert [(f.column, f.check, f.value) for f in error.failures] == [(column, check, value)]


def test_a_long_list_of_failures_is_cut_short_in_the_message_but_kept_whole():
    error = validation_error("thinkific_groups", [{"id": n, "name": None} for n in range(30)])

    assert len(error.failures) == 30
    assert len(str(error).splitlines()) == RecordValidationError.MAX_LISTED + 1
    assert str(error).endswith("... and 10 more failures")
