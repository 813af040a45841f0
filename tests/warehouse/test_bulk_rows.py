"""Bulk loads hand the drivers values converted column by column (`resources.warehouse.rows`):
every kind of value, and every kind of null, comes back as it went in, on either database."""

import pandas as pd
import pytest

from resources.warehouse.merge import LoadResult
from resources.warehouse.rows import batches, copy_text, copy_text_of_lists
from schemas.thinkific import to_frame

ENROLLMENTS = [
    {
        "id": 1,
        "user_id": 2**62,
        "course_id": 1,
        "user_email": "a@x.io",
        "percentage_completed": 0.1 + 0.2,  # 0.30000000000000004: every digit must survive
        "expired": True,
        "is_free_trial": False,
        "started_at": "2024-02-29T23:59:59.999999Z",
        "completed_at": "1999-12-31T23:00:00-05:00",
    },
    {
        "id": 2,
        "user_id": 3,
        "course_id": 2,
        "user_name": "",
        "percentage_completed": 5e-324,
        "completed": None,
        "created_at": "2024-01-01T00:00:00Z",
    },
    {"id": 3, "user_id": 4, "course_id": 3, "percentage_completed": None, "course_name": "\\N"},
]


def test_every_kind_of_value_and_null_comes_back_as_loaded(warehouse):
    frame = to_frame("thinkific_enrollments", ENROLLMENTS)

    warehouse.upsert("thinkific_enrollments", frame)

    pd.testing.assert_frame_equal(warehouse.read_frame("thinkific_enrollments"), frame)
    assert warehouse.upsert("thinkific_enrollments", frame) == LoadResult(unchanged=3)


def test_a_snapshot_stages_the_same_values(warehouse):
    frame = to_frame("thinkific_enrollments", ENROLLMENTS)

    with warehouse.snapshot("thinkific_enrollments") as loader:
        loader.append(frame.iloc[:2])
        loader.append(frame.iloc[1:])
        result = loader.commit()

    assert result == LoadResult(inserted=3)
    pd.testing.assert_frame_equal(warehouse.read_frame("thinkific_enrollments"), frame)


def test_loads_larger_than_a_batch_arrive_whole(warehouse, monkeypatch):
    monkeypatch.setattr("resources.warehouse.merge.LOAD_BATCH_ROWS", 7)
    frame = to_frame(
        "thinkific_enrollments",
        [{"id": n, "user_id": n, "course_id": 1, "user_email": f"{n}@x.io"} for n in range(50)],
    )

    assert warehouse.upsert("thinkific_enrollments", frame) == LoadResult(inserted=50)
    pd.testing.assert_frame_equal(warehouse.read_frame("thinkific_enrollments"), frame)


def test_copy_text_escapes_text_and_spells_nulls():
    frame = to_frame(
        "thinkific_users",
        [{"id": 1, "email": "tab\there\\", "first_name": None}, {"id": 2, "email": "\r\n"}],
    )

    lines = copy_text(frame, ["id", "email", "first_name"]).split("\n")

    assert lines == ["1\ttab\\there\\\\\t\\N", "2\t\\r\\n\t\\N", ""]


def test_copy_text_of_lists_escapes_text_spells_nulls_and_writes_other_values_by_str():
    columns = [[1, 2], ["tab\there\\", "\\N"], [True, None]]

    assert copy_text_of_lists(columns).split("\n") == [
        "1\ttab\\there\\\\\tTrue",
        "2\t\\\\N\t\\N",
        "",
    ]


def test_copy_text_refuses_the_nul_character_postgresql_cannot_store():
    frame = to_frame("thinkific_users", [{"id": 1, "email": "a\x00b"}, {"id": 2, "email": "c"}])

    with pytest.raises(ValueError, match="NUL"):
        copy_text(frame, ["id", "email"])


def test_batches_cover_the_frame_in_order():
    frame = pd.DataFrame({"n": range(10)})

    assert [list(batch["n"]) for batch in batches(frame, 4)] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
    ]
