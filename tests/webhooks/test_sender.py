"""The simulator's webhook sender: Thinkific's signature and envelope, and its misbehaviours."""

import hashlib
import hmac
import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.webhook_events import TOPICS
from simulator.webhooks import deliveries, sign
from tests.contract_examples import EXAMPLES
from tests.webhooks.conftest import SECRET

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_OF_TOPIC = {
    "quiz.attempted": EXAMPLES / "webhook_quiz_attempted.json",
    "enrollment.created": EXAMPLES / "webhook_enrollment_created.json",
    "enrollment.progress": EXAMPLES / "webhook_enrollment_progress.json",
    "enrollment.completed": EXAMPLES / "webhook_enrollment_created.json",  # no sample exists
    "user.signup": EXAMPLES / "webhook_user_signup.json",
    "user.updated": EXAMPLES / "webhook_user_signup.json",
}


def test_the_signature_is_hex_hmac_sha256_of_the_raw_body_keyed_with_the_api_key():
    body = b'{"id": "1", "resource": "user"}'
    expected = hmac.new(b"key", body, hashlib.sha256).hexdigest()
    assert sign(body, "key") == expected
    assert sign(body + b" ", "key") != expected


@pytest.mark.parametrize("topic", TOPICS)
def test_events_carry_the_envelope_and_payload_keys_of_thinkifics_samples(events, topic):
    sample = json.loads(EXAMPLE_OF_TOPIC[topic].read_text())
    event = events.event(topic)
    assert {"id", "resource", "action", "tenant_id", "created_at", "payload"} <= set(event)
    assert f"{event['resource']}.{event['action']}" == topic
    assert event["id"].isdigit()
    assert set(sample["payload"]) <= set(event["payload"])
    for name in ("user", "course", "quiz"):
        if isinstance(sample["payload"].get(name), dict):
            assert set(sample["payload"][name]) <= set(event["payload"][name])


def test_a_completion_event_carries_its_certificate_when_one_was_issued(site, events):
    certified = {
        (int(c["user"]["id"]), int(c["course"]["id"])) for c in site.ground_truth()["certificates"]
    }
    completions = [events.event("enrollment.completed")["payload"] for _ in range(40)]
    with_certificate = [p for p in completions if (p["user"]["id"], p["course_id"]) in certified]
    assert with_certificate
    for payload in completions:
        assert ("credential_id" in payload) == (payload in with_certificate)


def test_deliveries_add_exact_duplicates_forged_copies_and_a_new_order(events):
    sent = events.sample(20)
    outgoing = deliveries(sent, SECRET, duplicates=7, reorder=True, tamper=3, seed=2)
    genuine = [d for d in outgoing if not d.tampered]
    forged = [d for d in outgoing if d.tampered]
    assert len(genuine) == 27 and len(forged) == 3
    assert all(sign(d.body, SECRET) == d.signature for d in genuine)
    assert all(sign(d.body, SECRET) != d.signature for d in forged)
    assert {d.event_id for d in genuine} == {e["id"] for e in sent}
    first_deliveries = list(dict.fromkeys(d.event_id for d in genuine))
    assert first_deliveries != [e["id"] for e in sent]  # reordered


def test_the_command_sends_signed_events_that_the_receiver_stores(receiver):
    command = [sys.executable, "-m", "simulator.webhooks", receiver.url, "--secret", SECRET]
    options = ["--count", "12", "--duplicates", "4", "--reorder", "--tamper", "2"]
    result = subprocess.run(
        [*command, *options], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "sent 18 deliveries of 12 events" in result.stdout
    assert len(receiver.stored()) == 12
