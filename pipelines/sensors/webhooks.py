"""The sensor that turns landed webhook events into runs refreshing what the events change.

Each tick reads the events stored after its cursor (the last `sequence_number` it processed) and
requests one run for all of them:

| events | refresh |
|---|---|
| `quiz.attempted` | `thinkific/quiz_results` of the users named (GraphQL filters by user) |
| `enrollment.completed` | `thinkific/certificates` of those users (by email; it may issue one) |
| `enrollment.*` | `thinkific/enrollments` (its incremental read) |
| `user.*` | `thinkific/users` (a full read: the API has no other) |

The run key names the events' range, so a tick evaluated twice still requests one run; the
cursor moves only with a tick's result. Stopped by default: turn it on where the receiver runs.
"""

from collections.abc import Sequence

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from assets.conventions import THINKIFIC_GROUP
from assets.thinkific.graphql import CERTIFICATES, QUIZ_RESULTS, refresh_run_config
from resources.warehouse import WarehouseResource
from resources.webhooks.store import StoredEvent, WebhookStore

USERS = AssetKey([THINKIFIC_GROUP, "users"])
ENROLLMENTS = AssetKey([THINKIFIC_GROUP, "enrollments"])
EVENTS_PER_TICK = 1000
TICK_SECONDS = 60


def refresh_request(events: Sequence[StoredEvent]) -> RunRequest | None:
    """The run refreshing what `events` (in stored order) change; None when nothing can be."""
    quiz_users = sorted(
        {e.user_id for e in events if e.topic == "quiz.attempted" and e.user_id is not None}
    )
    certificate_emails = sorted(
        {e.user_email for e in events if e.topic == "enrollment.completed" and e.user_email}
    )
    selection = {
        QUIZ_RESULTS: bool(quiz_users),
        CERTIFICATES: bool(certificate_emails),
        ENROLLMENTS: any(e.topic.startswith("enrollment.") for e in events),
        USERS: any(e.topic.startswith("user.") for e in events),
    }
    keys = sorted((key for key, wanted in selection.items() if wanted), key=AssetKey.to_string)
    if not keys:
        return None
    graphql = selection[QUIZ_RESULTS] or selection[CERTIFICATES]
    first, last = events[0].sequence_number, events[-1].sequence_number
    return RunRequest(
        run_key=f"webhook-events-{first}-{last}",
        asset_selection=keys,
        run_config=refresh_run_config(certificate_emails, quiz_users) if graphql else {},
        tags={"thinkific/webhook_events": f"{first}-{last}"},
    )


@sensor(
    name="thinkific_webhook_events",
    description="Refreshes what new Thinkific webhook events change (quiz results, certificates "
    "and enrollments of the users they name; users).",
    asset_selection=[USERS, ENROLLMENTS, CERTIFICATES, QUIZ_RESULTS],
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
    cursor = str(events[-1].sequence_number)
    request = refresh_request(events)
    if request is None:
        return SensorResult(
            skip_reason=f"Events #{after + 1}-{cursor} name nothing to refresh.", cursor=cursor
        )
    return SensorResult(run_requests=[request], cursor=cursor)
