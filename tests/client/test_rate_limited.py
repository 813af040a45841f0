"""Answers that mean "slow down": 429 in every RateLimit-Reset format, HTML 429, legacy 403."""

import logging

import pytest

from resources.thinkific.resource import ThinkificUnavailableError
from simulator import Fault
from tests.client.simulated import client_for

LIMIT = 4
CALLS = 10  # more than two windows' worth, so the client must wait for the limit twice


def call_repeatedly(client, calls: int = CALLS) -> None:
    for _ in range(calls):
        client.get("/courses")


@pytest.mark.parametrize(
    ("reset_format", "reading"),
    [
        ("epoch-seconds", "epoch seconds"),
        ("epoch-milliseconds", "epoch milliseconds"),
        ("milliseconds-until-reset", "milliseconds until reset"),
        ("absent", "absent"),
    ],
)
def test_each_reset_format_is_read_and_waited_out(start_simulator, caplog, reset_format, reading):
    sim = start_simulator(requests_per_minute=LIMIT, reset_format=reset_format)
    client = client_for(sim)
    with caplog.at_level(logging.WARNING, logger="resources"):
        call_repeatedly(client)
    statuses = [request["status"] for request in sim.stats.snapshot()["requests"]]
    assert statuses.count(200) == CALLS
    # Each wait lasted until the window reopened: no request was refused twice in a row. (How
    # many refusals there are depends on how far apart the window's requests were: a precise
    # reset frees one slot at a time, a rounded or absent one frees them all.)
    assert "429,429" not in ",".join(map(str, statuses))
    assert client.stats.rate_limited == statuses.count(429) >= 2
    readings = sum(f"RateLimit-Reset read as {reading}" in m for m in caplog.messages)
    assert readings == client.stats.rate_limited


@pytest.mark.parametrize("reset_format", ["epoch-seconds", "milliseconds-until-reset"])
def test_the_wait_is_the_time_left_until_reset(start_simulator, reset_format):
    sim = start_simulator(requests_per_minute=LIMIT, reset_format=reset_format)
    client = client_for(sim)
    call_repeatedly(client, LIMIT + 1)
    # The window reopens 60 s after the first request; epoch seconds round up by under 1 s.
    assert 59 <= client.stats.rate_limit_wait_seconds <= 61


def test_the_wait_is_capped(start_simulator, caplog):
    sim = start_simulator(requests_per_minute=LIMIT, reset_format="milliseconds-until-reset")
    client = client_for(sim, max_rate_limit_wait_seconds=5)
    with caplog.at_level(logging.WARNING, logger="resources"):
        call_repeatedly(client, LIMIT + 1)
    waits = [float(m.split("waiting ")[1].split(" s")[0]) for m in caplog.messages]
    # A 60 s reset waited out in capped steps: 5 s each, the last one what was left.
    assert max(waits) == 5.0
    assert len(waits) == client.stats.rate_limited == 12


def test_an_html_429_is_waited_out_like_any_429(start_simulator):
    sim = start_simulator(requests_per_minute=LIMIT, rate_limit_html=True)
    client = client_for(sim)
    call_repeatedly(client)
    assert client.stats.rate_limited == sim.stats.snapshot()["refused"] == 2


def test_the_legacy_403_rate_limit_is_waited_out_like_a_429(simulator):
    simulator.faults.add(
        Fault("courses", "status", status=403, body="Rate Limit Exceeded", nth=1, times=1)
    )
    client = client_for(simulator)
    assert client.get("/courses")["items"]
    assert client.stats.rate_limited == 1
    assert client.stats.status_counts == {200: 1, 403: 1}


def test_endless_429s_give_up_with_advice(simulator):
    simulator.faults.add(Fault("courses", "status", status=429))
    client = client_for(simulator, max_rate_limit_retries=3)
    with pytest.raises(ThinkificUnavailableError) as raised:
        client.get("/courses")
    assert "GET /courses" in str(raised.value) and "THINKIFIC_REQUESTS_PER_MINUTE" in str(
        raised.value
    )
    assert client.stats.requests == 4
