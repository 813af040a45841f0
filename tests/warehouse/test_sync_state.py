"""The sync state a committed read leaves: its watermark, and when a complete read began."""

import datetime as dt

import sqlalchemy as sa

from resources.warehouse import WarehouseResource
from resources.warehouse.ddl import SYNC_STATE_TABLE
from schemas.thinkific import to_frame

ENROLLMENTS = "thinkific_enrollments"
BEGAN = dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC)


def enrollments(*updated: str):
    """One enrollment per `updated_at`, ids from 1."""
    return to_frame(
        ENROLLMENTS,
        [
            {"id": n, "user_id": 1, "course_id": 1, "updated_at": at}
            for n, at in enumerate(updated, start=1)
        ],
    )


def commit(warehouse, frame, **options):
    with warehouse.snapshot(ENROLLMENTS) as loader:
        loader.append(frame)
        return loader.commit(**options)


def complete_read_at(warehouse: WarehouseResource) -> dt.datetime | None:
    state = warehouse.sync_state
    query = sa.select(state.c.complete_read_at).where(state.c.table_name == ENROLLMENTS)
    with warehouse.engine.connect() as connection:
        value = connection.execute(query).scalar_one()
    return value.replace(tzinfo=dt.UTC) if value and value.tzinfo is None else value


def test_the_watermark_is_the_highest_updated_at_the_read_staged_not_one_written_beside_it(
    warehouse,
):
    commit(warehouse, enrollments("2026-04-01T00:00:00Z"))
    beside_the_read = to_frame(
        ENROLLMENTS, [{"id": 9, "user_id": 1, "course_id": 1, "updated_at": "2026-04-30T00:00:00Z"}]
    )
    warehouse.upsert(ENROLLMENTS, beside_the_read)  # as a webhook event writes one

    commit(warehouse, enrollments("2026-04-10T00:00:00Z"), complete_snapshot=False)

    assert warehouse.watermark(ENROLLMENTS) == dt.datetime(2026, 4, 10, tzinfo=dt.UTC)


def test_the_watermark_never_goes_back(warehouse):
    commit(warehouse, enrollments("2026-04-10T00:00:00Z"))

    commit(warehouse, enrollments("2026-04-01T00:00:00Z"))

    assert warehouse.watermark(ENROLLMENTS) == dt.datetime(2026, 4, 10, tzinfo=dt.UTC)


def test_a_complete_read_records_when_it_began_and_an_incomplete_one_leaves_it(warehouse):
    commit(warehouse, enrollments("2026-04-01T00:00:00Z"), read_started_at=BEGAN)
    later = BEGAN + dt.timedelta(days=1)

    commit(warehouse, enrollments(), advance=False, read_started_at=later)

    assert complete_read_at(warehouse) == BEGAN


def test_a_sync_state_table_from_before_complete_read_at_gains_the_column(warehouse):
    with warehouse.engine.begin() as connection:
        connection.exec_driver_sql(
            f"CREATE TABLE {SYNC_STATE_TABLE} (table_name TEXT PRIMARY KEY, "
            "watermark TIMESTAMP WITH TIME ZONE, checkpoint TEXT, "
            "checkpointed_at TIMESTAMP WITH TIME ZONE)"
        )

    commit(warehouse, enrollments("2026-04-01T00:00:00Z"), read_started_at=BEGAN)

    assert complete_read_at(warehouse) == BEGAN
    assert warehouse.watermark(ENROLLMENTS) == dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
