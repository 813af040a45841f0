"""How a whole sync spends Thinkific's request budget, checked from the simulator's own log:
never more than the limit in any 60-second window, never more in flight than the cap, streams
read side by side, and each asset counting its own requests."""

import itertools
from datetime import datetime

import pytest
from dagster import materialize

from assets.thinkific.graphql import certificates_and_quiz_results
from assets.thinkific.rest import thinkific_assets
from assets.thinkific.run_reads import GRAPHQL_OP_NAME
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth
from tests.pipelines.sync_harness import failure_messages, run_sync, thinkific_for

SMALL_SITE = {"users": 300, "groups": 5, "courses": 6, "bundles": 1, "enrollments": 600}


@pytest.fixture(autouse=True)
def own_window_logs(tmp_path, monkeypatch):
    """Each test's site starts with an empty window (a port may be reused by another test)."""
    monkeypatch.setenv("THINKIFIC_PACING_DIR", str(tmp_path / "pacing"))


@pytest.mark.slow
def test_a_sync_larger_than_one_window_stays_under_the_limit_and_the_cap(
    start_simulator, sqlite_warehouse
):
    warehouse = sqlite_warehouse
    limit, cap = 30, 4  # the site below needs ~40 requests: more than one window holds
    sim = start_simulator(
        users=500,
        groups=12,
        enrollments=1500,
        requests_per_minute=limit,
        max_in_flight=cap,
        latency_ms=20,
    )
    result = run_sync(sim, warehouse, max_in_flight=cap)
    assert result.success, failure_messages(result)
    assert len(sim.stats.snapshot()["requests"]) > limit
    assert sim.stats.max_in_any_window() <= limit
    assert sim.stats.max_in_flight() <= cap
    assert sim.stats.snapshot()["refused"] == 0
    assert_warehouse_equals_ground_truth(warehouse, sim.ground_truth())


def test_streams_are_read_side_by_side(start_simulator, warehouse):
    sim = start_simulator(**SMALL_SITE, requests_per_minute=600, latency_ms=200)
    result = run_sync(sim, warehouse)
    assert result.success, failure_messages(result)
    log = sim.stats.snapshot()["requests"]
    overlapping = {
        path
        for a, b in itertools.combinations(log, 2)
        if a["time"] < b["finished"] and b["time"] < a["finished"]
        for path in (a["path"], b["path"])
    }
    assert len(overlapping) >= 4  # e.g. users, groups, courses, enrollments at once
    assert 1 < sim.stats.max_in_flight() <= 10


def test_each_asset_counts_the_requests_made_for_it(start_simulator, warehouse):
    sim = start_simulator(**SMALL_SITE, requests_per_minute=600)
    result = run_sync(sim, warehouse)
    counted = {
        event.asset_key.path[-1]: event.materialization.metadata["requests"].value
        for event in result.get_asset_materialization_events()
        if "requests" in event.materialization.metadata
    }
    served = sim.stats.snapshot()["by_endpoint"]
    assert counted["users"] + counted["group_memberships"] == served["users"]
    assert counted["groups"] + counted["group_analysts"] == served["groups"]
    assert sum(counted.values()) == sim.stats.snapshot()["served"]


def test_smooth_pacing_keeps_one_request_at_a_time(start_simulator, warehouse):
    sim = start_simulator(users=60, groups=2, requests_per_minute=600)
    result = run_sync(sim, warehouse, pacing="smooth")  # one request every 61 / 540 s
    assert result.success, failure_messages(result)
    arrivals = sorted(_moment(request["time"]) for request in sim.stats.snapshot()["requests"])
    assert sim.stats.max_in_flight() == 1
    # Evenly spaced on average (one request's send may be late on a busy machine, the next not)
    average_gap = (arrivals[-1] - arrivals[0]).total_seconds() / (len(arrivals) - 1)
    assert average_gap >= 0.9 * 61 / 540


def test_the_graphql_step_runs_after_every_rest_step(start_simulator, warehouse):
    """GraphQL is paced by its points (minutes on a big site): run first, its step held up every
    REST step behind it; run last, no REST step waits for it (its full reads still start with
    the first REST step: `tests/graphql/test_assets.py`)."""
    sim = start_simulator(**SMALL_SITE, requests_per_minute=600, latency_ms=100)
    thinkific = thinkific_for(
        sim, graphql_url=sim.graphql_url, access_token=sim.config.access_token
    )
    result = materialize(
        [*thinkific_assets, certificates_and_quiz_results],
        resources={"thinkific": thinkific, "warehouse": warehouse},
        raise_on_error=False,
    )
    assert result.success, failure_messages(result)
    order = [event.step_key for event in result.all_events if event.is_step_start]
    assert order[-1] == GRAPHQL_OP_NAME
    assert len(order) == len(thinkific_assets) + 1


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso)
