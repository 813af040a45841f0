"""Answers a retry cannot fix: one request, then an error that says what to do."""

import pytest

from resources.thinkific.resource import (
    ThinkificAuthenticationError,
    ThinkificBadRequestError,
    ThinkificForbiddenError,
    ThinkificNotFoundError,
    ThinkificRedirectError,
    ThinkificValidationError,
)
from simulator import Fault
from tests.client.simulated import client_for, requests_seen


@pytest.mark.parametrize("wrong", ["api_key", "subdomain"])
def test_401_fails_fast_naming_key_subdomain_and_plan(simulator, wrong):
    client = client_for(simulator, **{wrong: "wrong-value"})
    with pytest.raises(ThinkificAuthenticationError) as raised:
        client.get("/users")
    for hint in ("GET /users", "401", "THINKIFIC_API_KEY", "THINKIFIC_SUBDOMAIN", "plan"):
        assert hint in str(raised.value)
    assert requests_seen(simulator) == 1


def test_403_fails_fast_naming_plan_and_scope(simulator):
    simulator.faults.add(Fault("users", "status", status=403))
    with pytest.raises(ThinkificForbiddenError) as raised:
        client_for(simulator).get("/users")
    assert "not available on your plan" in str(raised.value) and "scope" in str(raised.value)
    assert requests_seen(simulator) == 1


def test_a_redirect_is_refused_not_followed(simulator):
    simulator.faults.add(Fault("users", "redirect"))
    with pytest.raises(ThinkificRedirectError) as raised:
        client_for(simulator).get("/users")
    message = str(raised.value)
    assert "302" in message and "login.thinkific-elsewhere.invalid" in message
    assert "THINKIFIC_BASE_URL" in message
    assert requests_seen(simulator) == 1


def test_404_is_a_not_found_error(simulator):
    with pytest.raises(ThinkificNotFoundError, match=r"GET /users/987654 .*Record not found\."):
        client_for(simulator).get("/users/987654")


def test_400_carries_the_apis_message(simulator):
    simulator.faults.add(Fault("users", "status", status=400))
    with pytest.raises(ThinkificBadRequestError, match=r"Parameter ID is required\."):
        client_for(simulator).get("/users")


def test_422_field_to_messages_is_readable(simulator):
    email = simulator.ground_truth()["users"][0]["email"]
    with pytest.raises(ThinkificValidationError) as raised:
        client_for(simulator).post("/users", {"first_name": "A", "last_name": "B", "email": email})
    assert str(raised.value) == "POST /users rejected (422): email: has already been taken"


def test_422_list_of_messages_is_readable(simulator):
    user_id = simulator.ground_truth()["users"][0]["id"]
    with pytest.raises(ThinkificValidationError) as raised:
        client_for(simulator).post(
            "/group_users", {"user_id": user_id, "group_names": ["No Such Group"]}
        )
    assert str(raised.value) == "POST /group_users rejected (422): Invalid group_names"


def test_422_field_to_message_is_readable(simulator):
    group_id = simulator.ground_truth()["groups"][0]["id"]
    path = f"/groups/{group_id}/analysts"
    with pytest.raises(ThinkificValidationError) as raised:
        client_for(simulator).post(path, {"user_ids": [987654]})
    assert str(raised.value) == f"POST {path} rejected (422): user_id: Invalid user IDs: 987654"
