"""The one retry loop of both APIs: a budget shared by every kind of failure, bounded waits."""

import logging

import pytest

from resources.redaction import RedactingLogger, Redactor
from resources.thinkific.errors import ThinkificError, ThinkificUnavailableError
from resources.thinkific.graphql_stats import GraphQLStatsRecorder
from resources.thinkific.resource import ThinkificResource
from resources.thinkific.retry import (
    Fatal,
    Ok,
    RateLimited,
    Retriable,
    RetryLoop,
    RetryPolicy,
)
from resources.thinkific.stats import StatsRecorder
from simulator import Fault
from tests.client.simulated import client_for, requests_seen
from tests.graphql.helpers import graphql_client

POLICY = RetryPolicy(
    max_attempts=3,
    backoff_seconds=1.0,
    max_backoff_seconds=60.0,
    max_rate_limit_wait_seconds=10.0,
    max_rate_limit_retries=2,
)
COURSES = "query Courses { site { courses(first: 10) { nodes { id name } } } }"


class Script:
    """A `send` that answers the given outcomes in turn, and a loop that runs it."""

    def __init__(self, *outcomes, policy: RetryPolicy = POLICY) -> None:
        self.outcomes = list(outcomes)
        self.sent = 0
        self.slept: list[float] = []
        self.loop = RetryLoop(
            policy,
            RedactingLogger(logging.getLogger("resources.test"), Redactor([])),
            self.slept.append,
            lambda endpoint, last: ThinkificUnavailableError(f"{endpoint} gave up: {last.cause}"),
            lambda endpoint, last, waits: ThinkificUnavailableError(f"{endpoint}: {waits} waits"),
        )

    def send(self):
        self.sent += 1
        return self.outcomes.pop(0)

    def run(self, tally=None):
        return self.loop.run("GET /x", self.send, tally or StatsRecorder())


def test_the_backoff_is_none_then_doubling_with_jitter_and_capped():
    assert POLICY.backoff(1) == 0
    assert 2 <= POLICY.backoff(2) <= 3
    assert 4 <= POLICY.backoff(3) <= 5
    assert POLICY.backoff(20) == 60


def test_every_kind_of_failure_spends_one_budget():
    script = Script(Retriable("status 503"), Retriable("ValueError: broken"), Retriable("reset"))
    with pytest.raises(ThinkificUnavailableError, match="GET /x gave up: reset"):
        script.run()
    assert script.sent == POLICY.max_attempts
    assert len(script.slept) == 1  # no wait before the first retry, then 2 s and jitter


def test_rate_limited_answers_wait_capped_and_spend_no_attempt():
    tally = StatsRecorder()
    script = Script(
        Retriable("status 503"), RateLimited(600.0, "429"), Retriable("status 503"), Ok("done")
    )
    assert script.run(tally) == "done"
    stats = tally.snapshot()
    assert (stats.retries, stats.rate_limited, stats.rate_limit_wait_seconds) == (3, 1, 10.0)
    assert 10.0 in script.slept


def test_rate_limits_give_up_after_the_configured_waits():
    script = Script(*[RateLimited(1.0, "429")] * 3)
    with pytest.raises(ThinkificUnavailableError, match="GET /x: 2 waits"):
        script.run()
    assert script.sent == POLICY.max_rate_limit_retries + 1


def test_a_fatal_outcome_is_raised_at_once_without_context():
    error = ThinkificError("GET /x was refused")
    script = Script(Fatal(error))
    with pytest.raises(ThinkificError) as raised:
        script.run()
    assert raised.value is error and raised.value.__context__ is None
    assert script.sent == 1


def test_both_clients_count_the_same_way():
    rest, graphql = StatsRecorder(), GraphQLStatsRecorder()
    for tally in (rest, graphql):
        Script(Retriable("status 503"), RateLimited(2.0, "429"), Ok(1)).run(tally)
    assert (rest.snapshot().retries, rest.snapshot().rate_limited) == (2, 1)
    assert (graphql.snapshot().retries, graphql.snapshot().rate_limited) == (2, 1)


def test_both_clients_share_one_policy():
    resource = ThinkificResource(
        api_key="k", subdomain="acme", access_token="t", max_attempts=4, backoff_seconds=0.5
    )
    assert resource.client_settings().retry == resource.graphql_settings().retry
    assert resource.client_settings().retry.max_attempts == 4


def test_a_rest_request_meeting_three_kinds_of_failure_gives_up_on_one_budget(simulator):
    for nth, kind in enumerate(["status", "truncate", "reset"], start=1):
        status = 503 if kind == "status" else None
        simulator.faults.add(Fault("users", kind, status=status, nth=nth, times=1))
    client = client_for(simulator, max_attempts=3)
    with pytest.raises(ThinkificUnavailableError, match="still failing after 3 attempts"):
        client.get("/users")
    assert requests_seen(simulator) == client.stats.requests == 3


def test_a_graphql_query_meeting_three_kinds_of_failure_gives_up_on_one_budget(simulator):
    for nth, kind in enumerate(["status", "truncate", "reset"], start=1):
        status = 503 if kind == "status" else None
        simulator.faults.add(Fault("graphql", kind, status=status, nth=nth, times=1))
    client = graphql_client(simulator, max_attempts=3)
    with pytest.raises(ThinkificUnavailableError, match="still failing after 3 attempts"):
        client.query("Courses", COURSES)
    assert (client.stats.requests, client.stats.retries) == (3, 2)
