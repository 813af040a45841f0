"""A verified webhook body → the record the events table stores, or why it cannot be one.

Envelope (contract §7): `id` (digits as a string), `resource`, `action`, `tenant_id`,
`created_at`, sometimes `timestamp`, and the `payload` object; the body is strict JSON
(`receiver.strict_json`). The id must be digits (a JSON integer is read as its digits), the
topic `resource.action` two lower-case words. Kept: `KEPT_TOPICS`, the contract's topics the
sensor acts on. Any other well-formed topic is acknowledged and dropped, not refused: Thinkific
sends every topic a webhook is registered for, and documents more than the contract lists (its
examples include `user.signin` and `order.created`): a topic this project does not keep is a
subscription it does not need, not a fault of the sender, and a refusal would only bring the same
event back as a retry. The ids the sensor acts on are read out of the payload: a user's own for
`user.*`, the nested `user` (and the enrollment's course) otherwise. The record's values are
validated against the events table by the store (`WebhookStore.add_many`).
"""

import datetime as dt
import json
import re
from typing import Any

from receiver.strict_json import NotStrictJson, loads

KEPT_TOPICS = (
    "quiz.attempted",
    "enrollment.created",
    "enrollment.progress",
    "enrollment.completed",
    "user.signup",
    "user.updated",
)
EVENT_ID = re.compile(r"[0-9]{1,32}")
"""Thinkific's ids are 23 digits: the time to the millisecond and six more."""
TOPIC_WORD = re.compile(r"[a-z][a-z_]{0,63}")


class MalformedEvent(ValueError):
    """The body is not a webhook envelope this receiver can store; the message says why."""


def _event_id(envelope: dict[str, Any]) -> str:
    value = envelope.get("id")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str) or not EVENT_ID.fullmatch(value):
        raise MalformedEvent("the envelope's `id` must be digits (at most 32)")
    return value


def _topic_word(envelope: dict[str, Any], name: str) -> str:
    value = envelope.get(name)
    if not isinstance(value, str) or not TOPIC_WORD.fullmatch(value):
        raise MalformedEvent(f"the envelope's `{name}` must be a lower-case word")
    return value


def event_record(body: bytes, received_at: dt.datetime) -> dict[str, Any] | None:
    """The events-table record of a body, None for a topic that is not kept."""
    try:
        envelope = loads(body)
    except NotStrictJson as problem:
        raise MalformedEvent(str(problem)) from None
    if not isinstance(envelope, dict):
        raise MalformedEvent("the body is not a JSON object")
    event_id = _event_id(envelope)
    resource, action = _topic_word(envelope, "resource"), _topic_word(envelope, "action")
    topic = f"{resource}.{action}"
    payload = envelope.get("payload")
    if not isinstance(payload, dict):
        raise MalformedEvent("the envelope's `payload` must be an object")
    if topic not in KEPT_TOPICS:
        return None
    subject = payload if resource == "user" else payload.get("user")
    subject = subject if isinstance(subject, dict) else {}
    course = payload.get("course") if isinstance(payload.get("course"), dict) else {}
    return {
        "id": event_id,
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
