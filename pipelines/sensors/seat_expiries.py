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
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from pipelines.jobs.tools import recalculate_seats
from resources.dashboard.seat_expiries import due
from resources.dashboard.store import DashboardStore, utc_now
from resources.sites import Site
from resources.warehouse import WarehouseResource
from resources.warehouse.sites import site_warehouse

TICK_SECONDS = 60
NOTHING_EXPIRED = "Nothing has expired since seat usage was last calculated."
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
    request = _expiry_request(context, warehouse, site=None)
    return request or SkipReason(NOTHING_EXPIRED)


def _expiry_request(
    context: SensorEvaluationContext, warehouse: WarehouseResource, site: str | None
) -> RunRequest | None:
    """The recalculation an expiry calls for (of one site's partition, with a sites file)."""
    moment = due(DashboardStore(warehouse), utc_now())
    if moment is None:
        return None
    where = f"site {site}: " if site else ""
    context.log.info(f"{where}a seat purchase or enrollment expired at {moment.isoformat()}")
    return RunRequest(
        run_key=f"seat-expiry-{site + '-' if site else ''}{moment.isoformat()}",
        tags={EXPIRY_TAG: moment.isoformat()},
        partition_key=site,
    )


def seat_expiries_of_sites(sites: tuple[Site, ...]) -> SensorDefinition:
    """With a sites file: the same, for each site's place in the warehouse and its partition."""

    @sensor(
        name=seat_expiries.name,
        description=seat_expiries.description,
        job=recalculate_seats,
        minimum_interval_seconds=TICK_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def _every_site(context: SensorEvaluationContext) -> list[RunRequest] | SkipReason:
        requests = []
        for site in sites:
            warehouse = site_warehouse(site.name)
            try:
                request = _expiry_request(context, warehouse, site.name)
            finally:
                warehouse.dispose()
            if request is not None:
                requests.append(request)
        return requests or SkipReason(NOTHING_EXPIRED)

    return _every_site
