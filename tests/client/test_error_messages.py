"""Thinkific's error bodies, every documented shape, turned into one readable message."""

import json

import pytest

from resources.thinkific.errors import (
    ThinkificAuthenticationError,
    ThinkificBadRequestError,
    ThinkificForbiddenError,
    ThinkificNotFoundError,
    ThinkificRedirectError,
    ThinkificServerError,
    ThinkificValidationError,
    error_for_response,
)
from tests.contract_examples import EXAMPLES

VALIDATION_MESSAGES = {
    "rest_error_422_fields.json": ("POST /users", "first_name: can't be blank"),
    "rest_error_422_groups_create.json": ("POST /groups", "name: can't be blank"),
    "rest_error_422_enrollments_create.json": (
        "POST /enrollments",
        "Course could not be found.; User could not be found.",
    ),
    "rest_error_422_group_users_create.json": ("POST /group_users", "Invalid group_names"),
    "rest_error_422_group_analysts_list.json": (
        "GET /groups/1/analysts",
        "user_ids: Invalid user IDs: 1",
    ),
    "rest_error_422_group_analysts_assign.json": (
        "POST /groups/1/analysts",
        "group_analysts: User IDs missing group_analysts role:: 1, 2; "
        "user_id: Invalid user IDs: 3, 4; group_id: Invalid group ID: 1",
    ),
    "rest_error_422_product_publish_request_approve.json": (
        "POST /product_publish_requests/1/approve",
        "user_id: not found",
    ),
    "rest_error_422_site_scripts_missing_input.json": (
        "POST /site_scripts",
        "must provide one of: src or content",
    ),
}

NOT_FOUND_MESSAGES = {
    "rest_error_404_not_found.json": "Record not found.",
    "rest_error_404_groups_get.json": "Record not found.",
    "rest_error_404_group_analysts_list.json": "group_id: Could not find group with ID 1.",
    "rest_error_404_group_analysts_delete.json": (
        "user_id: Could not find user with ID 1.; group_id: Could not find group with ID 1."
    ),
    "rest_error_404_group_analyst_groups_add.json": "user_id: Could not find user with ID 1.",
}


def example(name: str) -> str:
    return (EXAMPLES / name).read_text()


def test_every_422_example_has_an_expected_message():
    assert {path.name for path in EXAMPLES.glob("rest_error_422_*.json")} == set(
        VALIDATION_MESSAGES
    )


@pytest.mark.parametrize("name", sorted(VALIDATION_MESSAGES))
def test_each_422_shape_becomes_one_readable_message(name):
    endpoint, messages = VALIDATION_MESSAGES[name]
    error = error_for_response(endpoint, 422, example(name))
    assert isinstance(error, ThinkificValidationError)
    assert str(error) == f"{endpoint} rejected (422): {messages}"
    assert "; ".join(error.problems) == messages
    assert (error.endpoint, error.status) == (endpoint, 422)


def test_the_email_taken_example_reads_as_field_and_message():
    body = json.dumps({"errors": {"email": ["has already been taken"]}})
    error = error_for_response("POST /users", 422, body)
    assert str(error) == "POST /users rejected (422): email: has already been taken"


def test_nested_field_errors_name_the_whole_path():
    body = json.dumps({"errors": {"custom_profile_fields": {"0": {"value": ["is invalid"]}}}})
    error = error_for_response("POST /users", 422, body)
    assert error.problems == ["custom_profile_fields.0.value: is invalid"]


def test_every_404_example_has_an_expected_message():
    assert {path.name for path in EXAMPLES.glob("rest_error_404_*.json")} == set(NOT_FOUND_MESSAGES)


@pytest.mark.parametrize("name", sorted(NOT_FOUND_MESSAGES))
def test_each_404_shape_is_a_not_found_error_with_its_message(name):
    error = error_for_response("GET /groups/1", 404, example(name))
    assert isinstance(error, ThinkificNotFoundError)
    assert str(error) == f"GET /groups/1 found nothing (404): {NOT_FOUND_MESSAGES[name]}"


def test_400_carries_the_apis_message():
    error = error_for_response("GET /users/x", 400, example("rest_error_400_bad_request.json"))
    assert isinstance(error, ThinkificBadRequestError)
    assert "Parameter ID is required." in str(error)


def test_401_names_the_key_the_subdomain_and_the_plan():
    error = error_for_response("GET /users", 401, '{"error": "Authentication Error"}')
    assert isinstance(error, ThinkificAuthenticationError)
    for hint in ("THINKIFIC_API_KEY", "THINKIFIC_SUBDOMAIN", "plan", "Authentication Error"):
        assert hint in str(error)


@pytest.mark.parametrize(
    "name", ["rest_error_403_apps_not_available.json", "rest_error_403_insufficient_scope.json"]
)
def test_403_names_plan_and_scope_and_quotes_the_api(name):
    error = error_for_response("GET /users", 403, example(name))
    assert isinstance(error, ThinkificForbiddenError)
    assert "plan" in str(error) and "scope" in str(error)
    assert json.loads(example(name))["error"] in str(error)


def test_a_redirect_names_the_status_the_host_and_the_base_url():
    error = error_for_response(
        "GET /users", 301, "", location="https://admin:hunter2@www.example.com/login?key=k1"
    )
    assert isinstance(error, ThinkificRedirectError)
    text = str(error)
    assert "301" in text and "www.example.com" in text and "THINKIFIC_BASE_URL" in text
    assert "hunter2" not in text and "admin" not in text and "k1" not in text


def test_an_html_body_is_shown_as_a_short_excerpt():
    html = "<html><body><h1>Oops</h1>" + "x" * 5000 + "</body></html>"
    error = error_for_response("GET /users", 418, html)
    assert "<h1>Oops</h1>" in str(error)
    assert len(str(error)) < 300


def test_an_empty_body_says_so():
    assert "no explanation" in str(error_for_response("GET /users", 400, ""))


def test_a_failed_write_warns_it_may_have_been_applied():
    error = error_for_response("POST /users", 503, "", write_may_have_applied=True)
    assert isinstance(error, ThinkificServerError)
    assert "may already have been applied" in str(error)


def test_a_failed_read_does_not_warn_about_writes():
    error = error_for_response("GET /users", 501, "")
    assert isinstance(error, ThinkificServerError)
    assert "applied" not in str(error)
