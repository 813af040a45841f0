"""The webhook tables: every signed Thinkific event the receiver accepted, once each, and how
new each row the events changed is.

Kept apart from `schemas.thinkific.TABLES` (the tables the extraction assets load by snapshot or
upsert): the receiver appends to the events table one event at a time, and the table has a
column of its own that no event carries, `sequence_number`, the order events were stored in (see
`resources.webhooks.store`); the versions table is the bookkeeping of applying events as changes
(see `resources.webhooks.versions`).
"""

from schemas.tables import TableSpec, key, optional, required
from schemas.thinkific.models import Integer, Text, ThinkificModel, Timestamp


class WebhookEvent(ThinkificModel):
    """One event envelope (contract §7) with the ids the sensor acts on read out of its payload."""

    id: Text = key()
    topic: Text = required()
    resource: Text = required()
    action: Text = required()
    tenant_id: Text = optional()
    created_at: Timestamp = optional()
    received_at: Timestamp = required()
    user_id: Integer = optional()
    user_email: Text = optional()
    course_id: Integer = optional()
    payload: Text = required()


WEBHOOK_EVENTS = TableSpec("thinkific_webhook_events", WebhookEvent, ("id",), soft_delete=False)


class RecordVersion(ThinkificModel):
    """How new one row of a Thinkific table is, as far as events and targeted reads know: it
    holds every change made up to `version`. `event_id` names the event whose payload set it
    (null when a targeted read did)."""

    table_name: Text = key()
    record_id: Integer = key()
    version: Timestamp = required()
    event_id: Text = optional()


RECORD_VERSIONS = TableSpec(
    "thinkific_webhook_versions", RecordVersion, ("table_name", "record_id"), soft_delete=False
)
