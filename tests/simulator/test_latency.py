"""`latency_ms` and `latency_jitter_ms`: every API answer takes a real server's page time."""

import time
from collections.abc import Callable
from datetime import datetime

import pytest
import requests

from simulator import SimulatorConfig
from simulator.latency import Latency
from tests.simulator.helpers import get_concurrently, session_for

COURSES = "{ site { courses(first: 1) { nodes { id } } } }"


def _timed(call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_latency_delays_every_rest_answer(start_simulator):
    sim = start_simulator(latency_ms=300)
    with session_for(sim) as session:
        response, seconds = _timed(lambda: session.get(f"{sim.base_url}/users"))
    assert response.status_code == 200
    assert seconds >= 0.3


def test_latency_delays_refused_and_unauthenticated_rest_answers(start_simulator, http):
    sim = start_simulator(latency_ms=300, requests_per_minute=1)
    with session_for(sim) as session:
        session.get(f"{sim.base_url}/users")
        refused, refused_seconds = _timed(lambda: session.get(f"{sim.base_url}/users"))
    unauthenticated, unauthenticated_seconds = _timed(lambda: http.get(f"{sim.base_url}/users"))
    assert (refused.status_code, unauthenticated.status_code) == (429, 401)
    assert min(refused_seconds, unauthenticated_seconds) >= 0.3


def test_latency_delays_every_graphql_answer(start_simulator, http):
    sim = start_simulator(latency_ms=300)
    headers = {"Authorization": f"Bearer {sim.config.access_token}"}
    response, seconds = _timed(
        lambda: http.post(sim.graphql_url, json={"query": COURSES}, headers=headers)
    )
    assert response.status_code == 200
    assert seconds >= 0.3


def test_latency_spares_the_admin_routes(start_simulator, http):
    sim = start_simulator(latency_ms=2000)
    response, seconds = _timed(lambda: http.get(f"{sim.admin_url}/stats"))
    assert response.status_code == 200
    assert seconds < 1


def test_concurrent_requests_wait_their_latency_side_by_side(start_simulator):
    sim = start_simulator(latency_ms=300)
    started = time.monotonic()
    statuses = get_concurrently(sim, f"{sim.base_url}/groups", 5)
    assert statuses == [200] * 5
    assert time.monotonic() - started < 1.2  # one after another would take 1.5 s


def test_a_request_waiting_out_its_latency_holds_its_in_flight_slot(start_simulator):
    sim = start_simulator(latency_ms=1000, max_in_flight=2)
    assert sorted(get_concurrently(sim, f"{sim.base_url}/groups", 3)) == [200, 200, 429]


def test_jitter_stays_within_its_bounds():
    latency = Latency(fixed_ms=100, jitter_ms=50, seed=7)
    draws = [latency.draw_ms() for _ in range(1000)]
    assert all(100 <= draw <= 150 for draw in draws)
    assert min(draws) < 105 and max(draws) > 145  # spread over the whole range


def test_jitter_repeats_with_the_same_seed():
    def draws(seed: int) -> list[float]:
        latency = Latency(fixed_ms=0, jitter_ms=300, seed=seed)
        return [latency.draw_ms() for _ in range(20)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)


def test_request_log_records_when_each_answer_was_ready(start_simulator):
    sim = start_simulator(latency_ms=300)
    with session_for(sim) as session:
        session.get(f"{sim.base_url}/users")
    entry = sim.stats.snapshot()["requests"][0]
    arrived, finished = (datetime.fromisoformat(entry[key]) for key in ("time", "finished"))
    assert (finished - arrived).total_seconds() >= 0.299  # the log rounds to milliseconds


@pytest.mark.parametrize("field", ["latency_ms", "latency_jitter_ms"])
def test_negative_latency_is_rejected(field):
    with pytest.raises(ValueError, match=f"{field} must not be negative"):
        SimulatorConfig(**{field: -1})
