"""records_to_rows reads and checks records as records_to_frame does, without a frame: the same
values for the records one accepts, a failure on the same columns for those it refuses."""

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from schemas.tables import RecordValidationError, records_to_frame, records_to_rows
from schemas.thinkific import TABLES
from schemas.webhooks import WEBHOOK_EVENTS

EVENT = {
    "id": "20191029145629636106318",
    "topic": "quiz.attempted",
    "resource": "quiz",
    "action": "attempted",
    "tenant_id": "12345",
    "created_at": "2019-08-27T21:02:50.123+02:00",
    "received_at": dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC),
    "user_id": 7,
    "user_email": "a@b.example",
    "course_id": None,
    "payload": "{}",
}


def _frame_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    frame = records_to_frame(WEBHOOK_EVENTS, records)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [
        {k: v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for k, v in row.items()}
        for row in rows
    ]


def _failing_columns(read: Any, records: list[dict[str, Any]]) -> set[tuple[int | None, str]]:
    with pytest.raises(RecordValidationError) as caught:
        read(records)
    return {(failure.position, failure.column) for failure in caught.value.failures}


ACCEPTED = {
    "as-sent": {},
    "ids-as-strings-and-floats": {"user_id": "7", "course_id": 4.0, "tenant_id": 3},
    "the-largest-int64": {"user_id": 2**63 - 1},
    "timestamps-at-the-range-edges": {
        "created_at": "1677-09-22T00:00:00Z",
        "received_at": "2262-04-10T00:00:00Z",
    },
    "optional-columns-null": {"tenant_id": None, "created_at": None, "user_email": None},
}
REFUSED = {
    "an-id-beyond-int64": {"user_id": 2**63},
    "a-negative-id-beyond-int64": {"course_id": -(2**63) - 1},
    "a-timestamp-after-2262": {"created_at": "2262-04-12T00:00:00Z"},
    "a-timestamp-before-1677": {"received_at": "1677-09-20T00:00:00Z"},
    "a-required-column-null": {"topic": None, "payload": None},
    "unreadable-values": {"user_id": "seven", "created_at": "soon", "tenant_id": {"a": 1}},
}


@pytest.mark.parametrize("changes", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_an_accepted_record_gives_the_values_of_the_validated_frame(changes):
    records = [EVENT, EVENT | changes]
    assert records_to_rows(WEBHOOK_EVENTS, records) == _frame_rows(records)


@pytest.mark.parametrize("changes", REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_record_fails_on_the_same_columns_as_with_the_frame(changes):
    records = [EVENT, EVENT | changes]
    rows = _failing_columns(lambda r: records_to_rows(WEBHOOK_EVENTS, r), records)
    frame = _failing_columns(lambda r: records_to_frame(WEBHOOK_EVENTS, r), records)
    assert rows == frame == {(1, column) for column in changes}


def test_a_table_whose_model_has_checks_is_refused():
    with pytest.raises(TypeError, match="checks that only pandera runs"):
        records_to_rows(TABLES["thinkific_enrollments"], [])
