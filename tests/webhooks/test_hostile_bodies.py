"""Signed but hostile bodies: each gets a 4xx, never a 5xx (which Thinkific would send again
forever), nothing of it is stored, and the receiver goes on storing valid events."""

import json

import pytest

from receiver.strict_json import MAX_DEPTH
from tests.webhooks.conftest import envelope


def _body(event: dict) -> bytes:
    return json.dumps(event).encode()


def _nested(depth: int) -> bytes:
    """An envelope nesting `depth` deep (its payload two levels in holds the arrays), as raw
    JSON."""
    head, tail = _body(envelope(payload={"deep": "HERE"})).split(b'"HERE"')
    return head + b"[" * (depth - 2) + b"]" * (depth - 2) + tail


HOSTILE_BODIES = {
    "nested-10000-deep": _nested(10_000),
    "nested-past-the-depth-limit": _nested(MAX_DEPTH + 1),
    "lone-surrogate-in-a-value": _body(envelope(payload={"user": {"id": 7, "email": "\ud800"}})),
    "lone-surrogate-in-a-key": _body(envelope(payload={"\udc00": 1})),
    "lone-surrogate-in-the-tenant": _body(envelope(tenant_id="\ud800")),
    "infinity": _body(envelope(payload={"grade": float("inf")})),
    "minus-infinity": _body(envelope(payload={"grade": float("-inf")})),
    "nan": _body(envelope(payload={"grade": float("nan")})),
    "a-number-beyond-a-float": _body(envelope(payload={"grade": 1}))[:-2] + b"1e999}}",
    "not-utf-8": _body(envelope(payload={"name": "caf\u00e9"})).replace(b"\\u00e9", b"\xe9"),
    "utf-16": json.dumps(envelope()).encode("utf-16"),
    "user-id-beyond-int64": _body(envelope(payload={"user": {"id": 2**64, "email": "a@b.c"}})),
    "created-at-beyond-timestamps": _body(envelope(created_at="9999-12-31T00:00:00Z")),
    "tenant-an-object": _body(envelope(tenant_id={"a": 1})),
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_hostile_body_is_refused_with_400_and_the_receiver_serves_on(receiver, events, body):
    response = receiver.post_signed(body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert receiver.stored() == []
    assert receiver.stores(events.event("quiz.attempted"))


def test_a_body_nested_up_to_the_depth_limit_is_stored(receiver):
    response = receiver.post_signed(_nested(MAX_DEPTH))
    assert response.json()["status"] == "stored"


@pytest.mark.parametrize(
    "event_id",
    ["", "abc", "12a", "-1", " 12", "12 ", "1.5", "\u0661\u0662", "1" * 33, 1.5, -1, True, None],
    ids=repr,
)
def test_an_event_id_that_is_not_digits_is_refused(receiver, events, event_id):
    response = receiver.post_signed(_body(envelope(id=event_id)))
    assert response.status_code == 400
    assert "`id`" in response.json()["error"]
    assert receiver.stored() == []
    assert receiver.stores(events.event("user.signup"))


def test_an_event_id_sent_as_a_json_integer_is_stored_as_its_digits(receiver):
    response = receiver.post_signed(_body(envelope(id=20191029145629636106318)))
    assert response.json() == {"status": "stored", "id": "20191029145629636106318"}


@pytest.mark.parametrize(
    ("resource", "action"),
    [("Quiz", "attempted"), ("quiz", "attempted; drop"), ("quiz", ""), ("quiz.x", "y"), (1, "a")],
    ids=repr,
)
def test_a_topic_that_is_not_two_lower_case_words_is_refused(receiver, resource, action):
    response = receiver.post_signed(_body(envelope(resource=resource, action=action)))
    assert response.status_code == 400
    assert receiver.stored() == []


@pytest.mark.parametrize(
    "topic",
    ["user.hacked", "user.signin", "enrollment.deleted", "enrollment.expired", "quiz.passed"],
)
def test_a_topic_not_kept_is_acknowledged_but_never_stored(receiver, events, topic):
    resource, action = topic.split(".")
    response = receiver.post_signed(_body(envelope(resource=resource, action=action)))
    assert (response.status_code, response.json()) == (200, {"status": "ignored"})
    assert receiver.stored() == []
    assert receiver.stores(events.event("enrollment.created"))
