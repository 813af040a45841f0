"""The GraphQL client against the simulator over HTTP: retries, rate limits, errors, secrecy."""

import logging
import traceback

import pytest

from resources.thinkific.graphql_errors import (
    ThinkificGraphQLQueryError,
    ThinkificPartialAnswerError,
)
from resources.thinkific.resource import ThinkificAuthenticationError, ThinkificError
from simulator import Fault
from tests.graphql.helpers import graphql_client, post

COURSES = "query Courses { site { courses(first: 10) { nodes { id name } } } }"
COSTLY = (
    "query Costly { site { quizSubmissions(first: 600) { nodes { quiz { id } user { id } } } } }"
)
SPENDER = "{ site { quizSubmissions(first: 96) { nodes { user { id } } } } }"
"""Another client of the site: 98 of 100 points, leaving too few for `COURSES` (3)."""
ACCESS_TOKEN = "at/7Q+x==tok"  # characters that URL-encoding changes


def _course_ids(sim) -> list[str]:
    return [str(course["id"]) for course in sim.ground_truth()["courses"]]


def test_a_wrong_token_fails_at_once_naming_the_setting(simulator):
    client = graphql_client(simulator, access_token="not-the-token")
    with pytest.raises(ThinkificAuthenticationError, match="THINKIFIC_ACCESS_TOKEN"):
        client.query("Courses", COURSES)
    assert simulator.stats.snapshot()["graphql"]["requests"] == 1


def test_a_query_thinkific_refuses_is_not_retried(simulator):
    client = graphql_client(simulator)
    with pytest.raises(ThinkificGraphQLQueryError, match="MAX_QUERY_COST_EXCEEDED"):
        client.query("Costly", COSTLY)
    assert client.stats.requests == 1


@pytest.mark.parametrize("status", [200, 429])
def test_rate_limited_answers_are_waited_out_until_reset_at(start_simulator, status):
    sim = start_simulator(graphql_points_per_minute=100, graphql_rate_limit_status=status)
    assert "errors" not in post(sim, SPENDER).json()
    client = graphql_client(sim)
    data = client.query("Courses", COURSES)
    assert [course["id"] for course in data["site"]["courses"]["nodes"]] == _course_ids(sim)
    assert client.stats.rate_limited == 1
    assert 59 <= client.stats.rate_limit_wait_seconds <= 60.5
    assert sim.stats.snapshot()["graphql"]["refused"] == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 503},
        {"kind": "status", "status": 524},
        {"kind": "reset"},
        {"kind": "truncate"},
    ],
    ids=["503", "cloudflare-524", "connection-reset", "truncated-body"],
)
def test_transient_failures_are_retried(simulator, fault):
    simulator.faults.add(Fault(endpoint="graphql", times=2, **fault))
    client = graphql_client(simulator)
    data = client.query("Courses", COURSES)
    assert [course["id"] for course in data["site"]["courses"]["nodes"]] == _course_ids(simulator)
    assert (client.stats.requests, client.stats.retries) == (3, 2)


def test_a_partial_answer_is_retried_and_only_the_complete_one_returned(simulator):
    simulator.graphql.field_faults.add("courses", times=1)
    client = graphql_client(simulator)
    data = client.query("Courses", COURSES)
    assert [course["id"] for course in data["site"]["courses"]["nodes"]] == _course_ids(simulator)
    assert (client.stats.partial_answers, client.stats.retries) == (1, 1)


def test_a_partial_answer_that_persists_fails_naming_the_error_and_its_path(simulator):
    simulator.graphql.field_faults.add("name")
    client = graphql_client(simulator, max_attempts=3)
    with pytest.raises(ThinkificPartialAnswerError) as failure:
        client.query("Courses", COURSES)
    message = str(failure.value)
    assert "INTERNAL_SERVER_ERROR" in message
    assert "site.courses.nodes.0.name" in message
    assert "never loaded" in message
    assert client.stats.requests == 3


def test_the_token_reaches_no_log_error_or_repr(start_simulator, caplog):
    sim = start_simulator(access_token=ACCESS_TOKEN, graphql_points_per_minute=100)
    post(sim, SPENDER)
    texts = []
    with caplog.at_level(logging.DEBUG):
        sim.faults.add(Fault(endpoint="graphql", kind="status", status=503, times=1))
        client = graphql_client(sim)
        client.query("Courses", COURSES)  # a retry and a rate-limit wait, logged
        for failing in (
            lambda: graphql_client(sim, access_token=ACCESS_TOKEN + "x").query("Courses", COURSES),
            lambda: client.query("Costly", COSTLY),
        ):
            try:
                failing()
            except ThinkificError as error:
                texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    assert client.stats.retries >= 2 and len(texts) == 6
    texts += [record.getMessage() for record in caplog.records]
    texts += [caplog.text, repr(client), str(client.stats)]
    assert [text for text in texts if ACCESS_TOKEN in text or "at%2F7Q" in text] == []
