"""The webhook events table: every signed Thinkific event the receiver accepted, once each.

Kept apart from `schemas.thinkific.TABLES` (the tables the extraction assets load by snapshot or
upsert): the receiver appends to it one event at a time, and the table has a column of its own
that no event carries, `sequence_number`, the order events were stored in (see
`resources.webhooks.store`).
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
