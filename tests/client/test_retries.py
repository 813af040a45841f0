"""Transient failures retried to success; a capped budget; writes never repeated blindly."""

import pytest

from resources.thinkific.resource import ThinkificServerError, ThinkificUnavailableError
from resources.thinkific.retry import TRANSIENT_STATUSES
from simulator import Fault
from tests.client.simulated import client_for, requests_seen


def all_users(client) -> list[dict]:
    return [user for page in client.iter_pages("/users", stream="users") for user in page.items]


@pytest.mark.parametrize("status", sorted(TRANSIENT_STATUSES))
def test_each_transient_status_is_retried_to_success(simulator, status):
    simulator.faults.add(Fault("users", "status", status=status, nth=1, times=1))
    client = client_for(simulator)
    assert len(all_users(client)) == len(simulator.ground_truth()["users"])
    assert client.stats.retries == 1
    assert client.stats.status_counts == {status: 1, 200: 1}


def test_the_transient_statuses_are_those_of_the_contract():
    assert sorted(TRANSIENT_STATUSES) == [500, 502, 503, 504, *range(520, 528), 530]


def test_a_connection_reset_is_retried_to_success(simulator):
    simulator.faults.add(Fault("users", "reset", nth=1, times=1))
    client = client_for(simulator)
    assert len(all_users(client)) == len(simulator.ground_truth()["users"])
    assert (client.stats.retries, client.stats.connection_errors) == (1, 1)


def test_a_truncated_body_is_retried_to_success(simulator):
    simulator.faults.add(Fault("users", "truncate", nth=1, times=1))
    client = client_for(simulator)
    assert len(all_users(client)) == len(simulator.ground_truth()["users"])
    assert client.stats.retries == 1
    assert requests_seen(simulator) == 2


def test_a_read_timeout_is_retried_to_success(simulator):
    simulator.faults.add(Fault("users", "latency", latency_ms=1500, nth=1, times=1))
    client = client_for(simulator, timeout_seconds=0.3)
    assert len(all_users(client)) == len(simulator.ground_truth()["users"])
    assert (client.stats.retries, client.stats.connection_errors) == (1, 1)


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        (Fault("users", "status", status=503), "status 503"),
        (Fault("users", "reset"), "Error"),
        (Fault("users", "truncate"), "not valid JSON"),
    ],
)
def test_retries_stop_after_max_attempts_with_advice(simulator, fault, cause):
    simulator.faults.add(fault)
    client = client_for(simulator, max_attempts=3)
    with pytest.raises(ThinkificUnavailableError) as raised:
        all_users(client)
    message = str(raised.value)
    assert message.startswith("GET /users still failing after 3 attempts")
    assert cause in message and "run again later" in message
    assert requests_seen(simulator) == client.stats.requests == 3


def test_a_failed_post_is_not_repeated(simulator):
    simulator.faults.add(Fault("users", "status", status=503, nth=1, times=1))
    client = client_for(simulator)
    with pytest.raises(ThinkificServerError, match="may already have been applied"):
        client.post("/users", {"first_name": "A", "last_name": "B", "email": "ab@example.com"})
    assert requests_seen(simulator) == 1


def test_a_put_is_repeated_because_it_is_idempotent(simulator):
    enrollment_id = simulator.ground_truth()["enrollments"][0]["id"]
    simulator.faults.add(Fault("enrollments", "status", status=502, nth=1, times=1))
    client = client_for(simulator)
    client.put(f"/enrollments/{enrollment_id}", {"expiry_date": "2031-01-01T00:00:00Z"})
    assert client.stats.retries == 1
