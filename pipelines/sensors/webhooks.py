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
tick's result. Stopped by default: turn it on where the receiver runs.
"""

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pipelines.jobs.webhook_events import apply_webhook_events, run_config
from resources.warehouse import WarehouseResource
from resources.webhooks.store import WebhookStore

EVENTS_PER_TICK = 1000
TICK_SECONDS = 20
"""How often stored events are looked for: most of an event's way to the Teams tab is the wait
for this tick (`benchmarks/bench_webhook_freshness.py`: at 60 s, the p95 was 97 s in a run on
the busy shared cores, over the 90 s aimed at)."""


@sensor(
    name="thinkific_webhook_events",
    description="Applies new Thinkific webhook events as changes to the Thinkific tables "
    "(enrollments, users, quiz results), reading a record only when an event is not enough.",
    job=apply_webhook_events,
    minimum_interval_seconds=TICK_SECONDS,
    default_status=DefaultSensorStatus.STOPPED,
)
def thinkific_webhook_events(
    context: SensorEvaluationContext, warehouse: WarehouseResource
) -> SensorResult | SkipReason:
    after = int(context.cursor or 0)
    events = WebhookStore(warehouse).after(after, EVENTS_PER_TICK)
    if not events:
        return SkipReason(f"No webhook events stored after #{after}.")
    last = events[-1].sequence_number
    request = RunRequest(
        run_key=f"webhook-events-{events[0].sequence_number}-{last}",
        run_config=run_config(after, last),
        tags={"thinkific/webhook_events": f"{events[0].sequence_number}-{last}"},
    )
    return SensorResult(run_requests=[request], cursor=str(last))
