"""The sensor that turns landed webhook events into runs applying them as changes.

Each tick reads the events stored after its cursor (the last `sequence_number` it processed) and
requests one run of `apply_webhook_events` for all of them (`pipelines.jobs.webhook_events`),
which applies each event from its payload (`resources.webhooks.apply`):

| events | change | API calls |
|---|---|---|
| `enrollment.created`, `.progress`, `.completed` | upsert the enrollment | none |
| `user.signup`, `user.updated` | upsert the user | none |
| `quiz.attempted` | upsert the quiz result | none |
| older than the row it is about, or a replay | none | none |
| lacking what its row needs | upsert the record as read | `GET /enrollments/{id}`, `/users/{id}` |
| `quiz.attempted` lacking it (or its quiz unknown) | upsert the user's quiz results | GraphQL |
| about a user or course not stored | also upsert that record | `GET /users/{id}`, `/courses/{id}` |

The run materializes the `thinkific/*` assets whose tables changed. The run key names the
events' range, so a tick evaluated twice still requests one run; the cursor moves only with a
tick's result. Stopped by default: turn it on where the receiver runs. With a sites file each
site's events are read from its own table and applied by a run of their own, tagged with the
site.
"""

import json
from typing import Any

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from assets.conventions import SITE_TAG
from pipelines.jobs.webhook_events import apply_webhook_events, run_config
from resources.sites import Site
from resources.warehouse import WarehouseResource
from resources.warehouse.sites import site_warehouse
from resources.webhooks.store import WebhookStore

EVENTS_PER_TICK = 1000
TICK_SECONDS = 20
"""How often stored events are looked for: most of an event's way to the Teams tab is the wait
for this tick, so it is kept well inside the 90 s p95 aimed at, leaving room for the rest of
the way (`benchmarks/bench_webhook_freshness.py`; its results are in benchmarks/RESULTS.md)."""


SENSOR: dict[str, Any] = {
    "name": "thinkific_webhook_events",
    "description": "Applies new Thinkific webhook events as changes to the Thinkific tables "
    "(enrollments, users, quiz results), reading a record only when an event is not enough.",
    "job": apply_webhook_events,
    "minimum_interval_seconds": TICK_SECONDS,
    "default_status": DefaultSensorStatus.STOPPED,
}


def _request(
    warehouse: WarehouseResource, after: int, site: str | None = None
) -> RunRequest | None:
    """The run applying the events stored after `after` (of a site, with a sites file)."""
    events = WebhookStore(warehouse).after(after, EVENTS_PER_TICK)
    if not events:
        return None
    first, last = events[0].sequence_number, events[-1].sequence_number
    tags = {"thinkific/webhook_events": f"{first}-{last}"}
    return RunRequest(
        run_key=f"webhook-events-{site + '-' if site else ''}{first}-{last}",
        run_config=run_config(after, last),
        tags=tags | ({SITE_TAG: site} if site else {}),
    )


@sensor(**SENSOR)
def thinkific_webhook_events(
    context: SensorEvaluationContext, warehouse: WarehouseResource
) -> SensorResult | SkipReason:
    after = int(context.cursor or 0)
    request = _request(warehouse, after)
    if request is None:
        return SkipReason(f"No webhook events stored after #{after}.")
    return SensorResult(run_requests=[request], cursor=str(request.run_config["through"]))


def webhook_events_of_sites(sites: tuple[Site, ...]) -> SensorDefinition:
    """With a sites file: the same for every site's events, a run per site with new ones; the
    cursor remembers the last event applied of each site."""

    @sensor(**SENSOR)
    def every_sites_events(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        cursor: dict[str, int] = json.loads(context.cursor or "{}")
        requests = []
        for site in sites:
            warehouse = site_warehouse(site.name)
            try:
                request = _request(warehouse, cursor.get(site.name, 0), site.name)
            finally:
                warehouse.dispose()
            if request is not None:
                requests.append(request)
                cursor[site.name] = request.run_config["through"]
        if not requests:
            return SkipReason("No webhook events stored since the last ones applied.")
        return SensorResult(run_requests=requests, cursor=json.dumps(cursor, sort_keys=True))

    return every_sites_events
