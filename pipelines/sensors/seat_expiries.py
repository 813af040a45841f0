"""Seat usage that stays true as time passes: a recalculation when a purchase or a seat-holding
enrollment has expired since the last one.

The dashboard assets follow upstream changes by declarative automation, but an expiry is no
upstream change: nothing is written when a purchase's `expires_at` or an enrollment's
`expiry_date` passes, yet from then on the seat no longer counts (and a team whose purchases
all expired is over-allocated). So this sensor looks, each minute, for the first such moment
after the last calculation (`resources.dashboard.seat_expiries.due`) and, once it has come,
requests `recalculate_seats`. The run key is the moment: one expiry, one run, however many
ticks see it before the run's calculation moves past it.
"""

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from pipelines.jobs.tools import recalculate_seats
from resources.dashboard.seat_expiries import due
from resources.dashboard.store import DashboardStore, utc_now
from resources.warehouse import WarehouseResource

TICK_SECONDS = 60
EXPIRY_TAG = "dashboard/seat_expiry"


@sensor(
    name="seat_expiries",
    description="Recalculates seat usage and the Teams tab (job recalculate_seats) when a seat "
    "purchase or a seat-holding enrollment has expired since the last calculation: time "
    "changes seats with no upstream change for automation to follow.",
    job=recalculate_seats,
    minimum_interval_seconds=TICK_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
)
def seat_expiries(
    context: SensorEvaluationContext, warehouse: WarehouseResource
) -> RunRequest | SkipReason:
    moment = due(DashboardStore(warehouse), utc_now())
    if moment is None:
        return SkipReason("Nothing has expired since seat usage was last calculated.")
    context.log.info(f"a seat purchase or enrollment expired at {moment.isoformat()}")
    return RunRequest(
        run_key=f"seat-expiry-{moment.isoformat()}", tags={EXPIRY_TAG: moment.isoformat()}
    )
