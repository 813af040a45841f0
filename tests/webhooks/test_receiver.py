"""The receiver over real HTTP (uvicorn): only signed, well-formed events land, and once each."""

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from simulator.webhooks import deliveries, sign
from tests.contract_examples import EXAMPLES
from tests.webhooks.conftest import MAX_BODY_BYTES, SECRET, envelope


def _body(event: dict) -> bytes:
    return json.dumps(event).encode()


def test_a_signed_event_is_stored_once_with_the_ids_it_names(receiver, events):
    event = events.event("quiz.attempted")
    response = receiver.post_signed(_body(event))
    assert response.status_code == 200
    assert response.json() == {"status": "stored", "id": event["id"]}
    (stored,) = receiver.stored()
    assert (stored.sequence_number, stored.id, stored.topic) == (1, event["id"], "quiz.attempted")
    assert (stored.user_id, stored.user_email) == (
        event["payload"]["user"]["id"],
        event["payload"]["user"]["email"],
    )


def test_a_body_changed_after_signing_is_refused_and_not_stored(receiver, events):
    body = _body(events.event("enrollment.completed"))
    tampered = body.replace(b'"completed_at"', b'"completed_at" ', 1)
    response = receiver.post(tampered, sign(body, SECRET))
    assert response.status_code == 401
    assert receiver.stored() == []


@pytest.mark.parametrize(
    "signature",
    [None, "", "not-hex-at-all", sign(b"another body", SECRET), "é" * 64],
    ids=["missing", "empty", "garbage", "another-bodys", "non-ascii"],
)
def test_an_unsigned_or_wrongly_signed_body_is_refused(receiver, events, signature):
    response = receiver.post(_body(events.event("user.signup")), signature)
    assert response.status_code == 401
    assert receiver.stored() == []


def test_a_body_signed_with_another_key_is_refused(receiver, events):
    body = _body(events.event("user.signup"))
    assert receiver.post(body, sign(body, "some-other-site-key")).status_code == 401
    assert receiver.stored() == []


def test_the_signature_is_accepted_in_upper_case_hex(receiver, events):
    body = _body(events.event("user.updated"))
    assert receiver.post(body, sign(body, SECRET).upper()).json()["status"] == "stored"


def test_a_replayed_delivery_is_acknowledged_but_stored_once(receiver, events):
    body = _body(events.event("enrollment.created"))
    first, replay = receiver.post_signed(body), receiver.post_signed(body)
    assert (first.json()["status"], replay.json()["status"]) == ("stored", "duplicate")
    assert replay.status_code == 200  # so Thinkific stops redelivering
    assert len(receiver.stored()) == 1


def test_duplicated_reordered_and_tampered_deliveries_store_every_event_exactly_once(
    receiver, events
):
    sent = events.sample(30)
    outgoing = deliveries(sent, SECRET, duplicates=12, reorder=True, tamper=5, seed=3)
    statuses = {}
    for delivery in outgoing:
        response = receiver.post(delivery.body, delivery.signature)
        statuses.setdefault(delivery.tampered, []).append(response.status_code)
    assert set(statuses[True]) == {401}
    assert set(statuses[False]) == {200}
    stored = receiver.stored()
    assert sorted(event.id for event in stored) == sorted(event["id"] for event in sent)
    assert [event.sequence_number for event in stored] == list(range(1, 31))
    assert [d.event_id for d in outgoing if not d.tampered][:3] != [e["id"] for e in sent][:3]


def test_concurrent_deliveries_are_each_stored_once_with_distinct_numbers(receiver, events):
    sent = events.sample(40)
    outgoing = deliveries(sent, SECRET, duplicates=20, seed=5)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(lambda d: receiver.post(d.body, d.signature).status_code, outgoing)
        )
    assert set(statuses) == {200}
    stored = receiver.stored()
    assert sorted(event.id for event in stored) == sorted(event["id"] for event in sent)
    assert [event.sequence_number for event in stored] == list(range(1, 41))


def test_an_event_the_warehouse_cannot_store_gets_503_and_is_stored_when_sent_again(
    receiver, events, monkeypatch
):
    body = _body(events.event("quiz.attempted"))
    add_many = receiver.store.add_many

    def fail_once(batch):
        monkeypatch.setattr(receiver.store, "add_many", add_many)
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(receiver.store, "add_many", fail_once)
    assert receiver.post_signed(body).status_code == 503
    assert receiver.stored() == []
    assert receiver.post_signed(body).json()["status"] == "stored"


def test_an_oversized_body_is_refused_with_413_even_when_signed(receiver):
    event = envelope(payload={"padding": "x" * MAX_BODY_BYTES})
    response = receiver.post_signed(_body(event))
    assert response.status_code == 413
    assert receiver.stored() == []


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        _body({k: v for k, v in envelope().items() if k != "resource"}),
        _body(envelope(id="")),
        _body(envelope(payload=["not", "an", "object"])),
        _body(envelope(payload={"user": {"id": "not-a-number"}})),
        _body(envelope(created_at="yesterday")),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "no-resource",
        "empty-id",
        "payload-not-object",
        "user-id-not-integer",
        "created-at-not-a-time",
    ],
)
def test_a_signed_but_malformed_body_is_refused_with_400(receiver, body):
    response = receiver.post_signed(body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert receiver.stored() == []


@pytest.mark.parametrize(
    "path",
    [
        EXAMPLES / "webhook_order_created.json",
        EXAMPLES / "webhook_order_created_support_article.json",
        EXAMPLES / "webhook_user_signin.json",
        EXAMPLES / "webhook_lesson_completed.json",
    ],
    ids=lambda path: path.stem,
)
def test_contract_examples_of_topics_not_kept_are_acknowledged_and_not_stored(receiver, path):
    response = receiver.post_signed(path.read_bytes())
    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    assert receiver.stored() == []


@pytest.mark.parametrize(
    ("path", "user_id"),
    [
        (EXAMPLES / "webhook_quiz_attempted.json", 124567),
        (EXAMPLES / "webhook_enrollment_created.json", 123456),
        (EXAMPLES / "webhook_enrollment_created_gist_variant.json", 94),
        (EXAMPLES / "webhook_enrollment_progress.json", 95),
        (EXAMPLES / "webhook_user_signup.json", 123456),
    ],
    ids=lambda value: value.stem if isinstance(value, Path) else str(value),
)
def test_contract_example_events_are_stored_with_their_user(receiver, path, user_id):
    response = receiver.post_signed(path.read_bytes())
    assert response.json()["status"] == "stored"
    (stored,) = receiver.stored()
    assert stored.user_id == user_id


def test_only_post_is_answered(receiver):
    assert requests.get(receiver.url, timeout=10).status_code == 405
