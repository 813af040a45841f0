"""Seat usage that stays true as time passes: the `seat_expiries` sensor, evaluated with
`build_sensor_context` on an ephemeral instance over a real warehouse (SQLite and PostgreSQL),
requests a recalculation when a purchase or an enrollment has expired since the last one."""

import datetime as dt

import sqlalchemy as sa
from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context, materialize

from assets.dashboard.derived import seat_usage, seats_not_over_allocated, teams_overview
from pipelines.jobs.tools import recalculate_seats
from pipelines.sensors.seat_expiries import seat_expiries
from resources.dashboard.seat_expiries import next_seat_change
from resources.dashboard.seats import recalculate_seat_usage
from resources.dashboard.store import DashboardStore, utc_now
from tests.dashboard.seed import DAY, NOW, enrollment, put
from tests.dashboard.test_seat_usage import BUNDLE, COURSE, COURSE_ID, seed

HOUR = dt.timedelta(hours=1)


def tick(instance: DagsterInstance, store: DashboardStore) -> RunRequest | SkipReason:
    with build_sensor_context(
        instance=instance, resources={"warehouse": store._warehouse}
    ) as context:
        return seat_expiries(context)


def run(instance: DagsterInstance, store: DashboardStore, request: RunRequest):
    """The run the request asks for: recalculate_seats' assets and check, with its tags."""
    return materialize(
        [seat_usage, teams_overview, seats_not_over_allocated],
        instance=instance,
        resources={"warehouse": store._warehouse},
        tags={**recalculate_seats.tags, **request.tags},
    )


def expire_purchase(store: DashboardStore, team: str, product_id: int, at: dt.datetime) -> None:
    """The team's purchase of the product (made at NOW by `seed`) expires at `at`."""
    allocations = store.table("dashboard_seat_allocations")
    with store.transaction() as connection:
        connection.execute(
            sa.update(allocations)
            .where(allocations.c.team == team, allocations.c.product_id == product_id)
            .values(expires_at=at)
        )


def usage(store: DashboardStore) -> dict[tuple[str, int], tuple[int, int, int]]:
    frame = store.read("dashboard_seat_usage")
    return {
        (row.team, row.product_id): (row.purchased, row.used, row.available)
        for row in frame.itertuples()
    }


def test_a_purchase_expired_since_the_last_calculation_requests_one_recalculation(store, instance):
    seed(store, (1, "a@x.com", ("red",)))
    put(store._warehouse, "enrollments", [enrollment(1, 1, COURSE_ID)])
    expiry = utc_now() - HOUR
    expire_purchase(store, "red", COURSE, expiry)
    recalculate_seat_usage(store, expiry - HOUR)

    request = tick(instance, store)

    assert isinstance(request, RunRequest)
    assert request.run_key == f"seat-expiry-{expiry.isoformat()}"


def test_the_run_a_purchase_expiry_requests_keeps_the_row_and_flags_the_over_allocation(
    store, instance
):
    seed(store, (1, "a@x.com", ("red",)))
    put(store._warehouse, "enrollments", [enrollment(1, 1, COURSE_ID)])
    expiry = utc_now() - HOUR
    expire_purchase(store, "red", COURSE, expiry)
    recalculate_seat_usage(store, expiry - HOUR)
    assert usage(store)[("red", COURSE)] == (5, 1, 4)

    result = run(instance, store, tick(instance, store))

    assert usage(store)[("red", COURSE)] == (0, 1, -1)
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert check.metadata["teams"].value == "red"


def test_an_enrollment_expired_since_the_last_calculation_frees_its_seat_in_the_run(
    store, instance
):
    seed(store, (1, "a@x.com", ("red",)))
    expiry = utc_now() - HOUR
    put(store._warehouse, "enrollments", [enrollment(1, 1, COURSE_ID, expiry_date=expiry)])
    recalculate_seat_usage(store, expiry - HOUR)
    assert usage(store)[("red", COURSE)] == (5, 1, 4)

    request = tick(instance, store)
    run(instance, store, request)

    assert request.run_key == f"seat-expiry-{expiry.isoformat()}"
    assert usage(store)[("red", COURSE)] == (5, 0, 5)


def test_after_the_recalculation_the_same_expiry_requests_nothing(store, instance):
    seed(store, (1, "a@x.com", ("red",)))
    expiry = utc_now() - HOUR
    put(store._warehouse, "enrollments", [enrollment(1, 1, COURSE_ID, expiry_date=expiry)])
    recalculate_seat_usage(store, expiry - HOUR)
    run(instance, store, tick(instance, store))

    assert isinstance(tick(instance, store), SkipReason)


def test_an_expiry_still_to_come_requests_nothing(store, instance):
    seed(store, (1, "a@x.com", ("red",)))
    put(
        store._warehouse,
        "enrollments",
        [enrollment(1, 1, COURSE_ID, expiry_date=utc_now() + DAY)],
    )
    expire_purchase(store, "red", BUNDLE, utc_now() + DAY)
    recalculate_seat_usage(store, utc_now())

    assert isinstance(tick(instance, store), SkipReason)


def test_nothing_is_requested_before_seat_usage_was_ever_calculated(store, instance):
    seed(store, (1, "a@x.com", ("red",)))
    expire_purchase(store, "red", COURSE, utc_now() - HOUR)

    assert isinstance(tick(instance, store), SkipReason)


def test_the_next_change_is_the_earliest_purchase_or_seat_holding_enrollment_expiry(store):
    seed(store, (1, "a@x.com", ("red",)), (2, "b@x.com", ("blue",)), (3, "c@x.com", ()))
    put(
        store._warehouse,
        "enrollments",
        [
            enrollment(1, 1, COURSE_ID, expiry_date=NOW + 3 * DAY),
            # A free trial, an enrollment flagged expired and a non-member's hold no seat.
            enrollment(2, 2, COURSE_ID, expiry_date=NOW + DAY, is_free_trial=True),
            enrollment(3, 2, COURSE_ID, expiry_date=NOW + DAY, expired=True),
            enrollment(4, 3, COURSE_ID, expiry_date=NOW + DAY),
        ],
    )
    expire_purchase(store, "blue", COURSE, NOW + 2 * DAY)

    assert next_seat_change(store, NOW) == NOW + 2 * DAY
    assert next_seat_change(store, NOW + 2 * DAY) == NOW + 3 * DAY
    assert next_seat_change(store, NOW + 3 * DAY) is None
