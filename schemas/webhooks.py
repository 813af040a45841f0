"""The webhook tables: every signed Thinkific event the receiver accepted, once each, and how
new each row the events changed is.

Kept apart from `schemas.thinkific.TABLES` (the tables the extraction assets load by snapshot or
upsert): the receiver appends to the events table one event at a time, and the table has a
column of its own that no event carries, `sequence_number`, the order events were stored in (see
`resources.webhooks.store`); the versions table is the bookkeeping of applying events as changes
(see `resources.webhooks.versions`).
"""

from schemas.tables import ColumnSpec, TableSpec, key, optional, required
from schemas.thinkific.models import Integer, Text, ThinkificModel, Timestamp

SEQUENCE_NUMBER = ColumnSpec(
    "sequence_number",
    "integer",
    nullable=False,
    description="1, 2, 3 ... in the order the events were stored: the webhook sensor's cursor.",
)


class WebhookEvent(ThinkificModel):
    """One event envelope (contract §7) with the ids the sensor acts on read out of its payload."""

    id: Text = key(
        "The event's Thinkific id (digits, as text): an event delivered twice is stored once."
    )
    topic: Text = required("resource.action, e.g. enrollment.completed or user.signup.")
    resource: Text = required("What the event is about: enrollment, user, quiz, order, ...")
    action: Text = required("What happened to it: created, progress, completed, signup, ...")
    tenant_id: Text = optional("The Thinkific site the event came from, as the envelope names it.")
    created_at: Timestamp = optional("When the event happened, by Thinkific's clock (UTC).")
    received_at: Timestamp = required("When the receiver accepted the event (UTC).")
    user_id: Integer = optional(
        "The Thinkific user the event is about (thinkific_users.id): the payload's user, or the "
        "payload itself for a user event; null when it names none."
    )
    user_email: Text = optional("That user's email address, as the payload gives it.")
    course_id: Integer = optional(
        "The course the event is about (thinkific_courses.id); null when it names none."
    )
    payload: Text = required("The event's payload object, as JSON text.")


WEBHOOK_EVENTS = TableSpec(
    "thinkific_webhook_events",
    WebhookEvent,
    ("id",),
    soft_delete=False,
    numbered_by=SEQUENCE_NUMBER,
)


class RecordVersion(ThinkificModel):
    """How new one row of a Thinkific table is, as far as events and targeted reads know."""

    table_name: Text = key("The Thinkific table of the row (thinkific_users, ...).")
    record_id: Integer = key("The row's id in that table.")
    version: Timestamp = required(
        "The row holds every change made up to then (UTC): the version of the event that set it "
        "last (an enrollment's updated_at, else the event's time), or the time of the targeted "
        "read that did."
    )
    event_id: Text = optional(
        "The event whose payload set the row (thinkific_webhook_events.id); null when a "
        "targeted read did."
    )


RECORD_VERSIONS = TableSpec(
    "thinkific_webhook_versions", RecordVersion, ("table_name", "record_id"), soft_delete=False
)
