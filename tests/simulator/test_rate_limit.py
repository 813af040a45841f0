"""The per-site limit: 120 requests in any 60 s of the simulated clock, and 10 in flight."""

from datetime import datetime

import pytest
import requests

from simulator import Fault
from tests.simulator.helpers import get_concurrently, session_for


def _arrival(entry: dict) -> float:
    """Epoch seconds of a request-log entry."""
    return datetime.fromisoformat(entry["time"]).timestamp()


def _use_up_the_window(session: requests.Session, url: str, count: int) -> None:
    for _ in range(count):
        assert session.get(url).status_code == 200


@pytest.mark.parametrize(
    ("reset_format", "expected_seconds"),
    [
        ("epoch-seconds", lambda frees_at, refused_at, value: value - frees_at),
        ("epoch-milliseconds", lambda frees_at, refused_at, value: value / 1000 - frees_at),
        (
            "milliseconds-until-reset",
            lambda frees_at, refused_at, value: value / 1000 - (frees_at - refused_at),
        ),
    ],
)
def test_121st_request_in_a_minute_gets_429_whose_reset_points_at_when_the_window_frees(
    start_simulator, reset_format, expected_seconds
):
    sim = start_simulator(reset_format=reset_format)
    session = session_for(sim)
    _use_up_the_window(session, f"{sim.base_url}/groups", 120)
    refused = session.get(f"{sim.base_url}/groups")
    assert refused.status_code == 429
    assert "error" in refused.json()
    log = sim.stats.snapshot()["requests"]
    frees_at = _arrival(log[0]) + 60
    error = expected_seconds(frees_at, _arrival(log[-1]), int(refused.headers["RateLimit-Reset"]))
    tolerance = 1.0 if reset_format == "epoch-seconds" else 0.01
    assert -0.01 <= error <= tolerance
    assert "Retry-After" not in refused.headers


def test_absent_reset_format_sends_429_without_ratelimit_reset(start_simulator):
    sim = start_simulator(reset_format="absent", requests_per_minute=2)
    session = session_for(sim)
    _use_up_the_window(session, f"{sim.base_url}/groups", 2)
    refused = session.get(f"{sim.base_url}/groups")
    assert refused.status_code == 429
    assert "RateLimit-Reset" not in refused.headers


def test_retrying_just_before_the_reset_is_refused_and_just_after_is_served(start_simulator):
    sim = start_simulator(reset_format="epoch-milliseconds", requests_per_minute=3)
    session = session_for(sim)
    url = f"{sim.base_url}/groups"
    _use_up_the_window(session, url, 3)
    reset_at = int(session.get(url).headers["RateLimit-Reset"]) / 1000
    sim.clock.advance(reset_at - sim.clock.timestamp() - 0.5)
    assert session.get(url).status_code == 429
    sim.clock.advance(1.0)
    assert session.get(url).status_code == 200


def test_html_429_body_when_rate_limit_html(start_simulator):
    sim = start_simulator(rate_limit_html=True, requests_per_minute=2)
    session = session_for(sim)
    _use_up_the_window(session, f"{sim.base_url}/users", 2)
    refused = session.get(f"{sim.base_url}/users")
    assert refused.status_code == 429
    assert refused.headers["Content-Type"].startswith("text/html")
    assert refused.text.startswith("<html>")
    assert "RateLimit-Reset" in refused.headers


def test_advancing_the_clock_a_minute_frees_the_window(start_simulator):
    sim = start_simulator(requests_per_minute=3)
    session = session_for(sim)
    url = f"{sim.base_url}/users"
    _use_up_the_window(session, url, 3)
    assert session.get(url).status_code == 429
    sim.clock.advance(60)
    assert session.get(url).status_code == 200


def test_window_slides_and_refused_requests_do_not_count(start_simulator):
    sim = start_simulator(requests_per_minute=3)
    session = session_for(sim)
    url = f"{sim.base_url}/users"
    _use_up_the_window(session, url, 1)
    sim.clock.advance(30)
    _use_up_the_window(session, url, 2)
    for _ in range(5):
        assert session.get(url).status_code == 429
    sim.clock.advance(31)  # the first request leaves the window; the refused ones never entered
    assert session.get(url).status_code == 200
    assert session.get(url).status_code == 429


def test_more_than_max_in_flight_concurrent_requests_get_429(start_simulator):
    sim = start_simulator(max_in_flight=10)
    sim.faults.add(Fault(kind="latency", latency_ms=1000))
    statuses = get_concurrently(sim, f"{sim.base_url}/groups", 15)
    assert sorted(statuses) == [200] * 10 + [429] * 5


def test_stats_count_served_and_refused_requests_by_endpoint_and_status(start_simulator):
    sim = start_simulator(requests_per_minute=3)
    session = session_for(sim)
    session.get(f"{sim.base_url}/users")
    session.get(f"{sim.base_url}/groups", params={"page": 2})
    session.get(f"{sim.base_url}/groups/0")
    session.get(f"{sim.base_url}/groups")
    stats = sim.stats.snapshot()
    assert stats["served"] == 3
    assert stats["refused"] == 1
    assert stats["by_endpoint"] == {"users": 1, "groups": 2}
    assert stats["by_status"] == {"200": 2, "404": 1, "429": 1}
    assert stats["max_requests_in_60s"] == 4
    assert [(r["method"], r["path"], r["query"], r["status"]) for r in stats["requests"]] == [
        ("GET", "/api/public/v1/users", "", 200),
        ("GET", "/api/public/v1/groups", "page=2", 200),
        ("GET", "/api/public/v1/groups/0", "", 404),
        ("GET", "/api/public/v1/groups", "", 429),
    ]
    sim.stats.reset()
    assert sim.stats.snapshot()["served"] == 0


def test_max_requests_in_60s_counts_the_busiest_minute_of_the_simulated_clock(start_simulator):
    sim = start_simulator()
    session = session_for(sim)
    _use_up_the_window(session, f"{sim.base_url}/groups", 3)
    sim.clock.advance(61)
    _use_up_the_window(session, f"{sim.base_url}/groups", 2)
    assert sim.stats.snapshot()["max_requests_in_60s"] == 3
