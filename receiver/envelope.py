"""A verified webhook body → the record the events table stores, or why it cannot be one.

Envelope (contract §7): `id` (digits as a string), `resource`, `action`, `tenant_id`,
`created_at`, sometimes `timestamp`, and the `payload` object. Kept: `quiz.attempted`,
`enrollment.*` and `user.*`; other topics are acknowledged and dropped. The ids the sensor acts
on are read out of the payload: a user's own for `user.*`, the nested `user` (and the enrollment's
course) otherwise.
"""

import datetime as dt
import json
from typing import Any

from schemas.tables import RecordValidationError, records_to_frame
from schemas.webhooks import WEBHOOK_EVENTS

KEPT_RESOURCES = ("enrollment", "user")
KEPT_TOPICS = ("quiz.attempted",)


class MalformedEvent(ValueError):
    """The body is not a webhook envelope this receiver can store; the message says why."""


def is_kept(topic: str) -> bool:
    return topic in KEPT_TOPICS or topic.split(".")[0] in KEPT_RESOURCES


def _text(envelope: dict[str, Any], name: str) -> str:
    value = envelope.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise MalformedEvent(f"the envelope's `{name}` must be a non-empty string")
    return value.strip()


def event_record(body: bytes, received_at: dt.datetime) -> dict[str, Any] | None:
    """The events-table record of a body, None for a topic that is not kept."""
    try:
        envelope = json.loads(body)
    except ValueError:
        raise MalformedEvent("the body is not JSON") from None
    if not isinstance(envelope, dict):
        raise MalformedEvent("the body is not a JSON object")
    resource, action = _text(envelope, "resource"), _text(envelope, "action")
    topic = f"{resource}.{action}"
    payload = envelope.get("payload")
    if not isinstance(payload, dict):
        raise MalformedEvent("the envelope's `payload` must be an object")
    if not is_kept(topic):
        return None
    subject = payload if resource == "user" else payload.get("user")
    subject = subject if isinstance(subject, dict) else {}
    course = payload.get("course") if isinstance(payload.get("course"), dict) else {}
    record = {
        "id": _text(envelope, "id"),
        "topic": topic,
        "resource": resource,
        "action": action,
        "tenant_id": envelope.get("tenant_id"),
        "created_at": envelope.get("created_at"),
        "received_at": received_at,
        "user_id": subject.get("id"),
        "user_email": subject.get("email"),
        "course_id": payload.get("course_id", course.get("id")),
        "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
    }
    try:
        records_to_frame(WEBHOOK_EVENTS, [record])
    except RecordValidationError as problem:
        raise MalformedEvent(f"the envelope does not fit the events table: {problem}") from None
    return record
