"""Main commands running at once on one machine: two syncs of one site share its request window
and its in-flight slots, while a sync of another site runs at that site's own full rate. Checked
from each simulator's own log; every command is the real one, in its own process."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest

from resources.warehouse import WarehouseResource
from simulator import SimulatorServer
from tests.faults.harness import command_environment, run_sync, site_environment
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth
from tests.sites.simulated import simulated_sites, site_warehouse_at, sites_environment

SITE = {
    "users": 1000,
    "groups": 10,
    "courses": 6,
    "bundles": 1,
    "enrollments": 2000,
    "requests_per_minute": 600,
    "graphql_points_per_minute": 100_000,
    "latency_ms": 2000,
    "max_in_flight": 10,
}
"""About 40 REST requests a sync, 2 s each: a request phase of 8 s or more, longer than the
commands' start-ups differ, so syncs started together read at the same time (checked)."""

CAP = SITE["max_in_flight"]


def first_listing_arrivals(server: SimulatorServer) -> list[str]:
    """When each sync's first page of the users listing arrived (one per sync; ISO times)."""
    return sorted(
        request["time"]
        for request in server.stats.snapshot()["requests"]
        if request["path"].endswith("/users")
        and "group_id" not in request["query"]
        and "page=1" in request["query"]
    )


@pytest.mark.slow
def test_two_syncs_of_one_site_share_its_slots_while_another_site_runs_at_full_rate(
    start_simulator, tmp_path: Path
):
    shared = start_simulator(**SITE)
    other = start_simulator(**SITE)
    pacing = {"THINKIFIC_PACING_DIR": str(tmp_path / "pacing")}
    runs = {
        name: (server, tmp_path / name)
        for name, server in (("shared-1", shared), ("shared-2", shared), ("other", other))
    }
    environments = [
        command_environment(
            folder / "home", f"sqlite:///{folder}/warehouse.db", site_environment(server)
        )
        | pacing
        for server, folder in runs.values()
    ]
    for _, folder in runs.values():
        folder.mkdir()
    with ThreadPoolExecutor(len(runs)) as pool:
        outcomes = list(pool.map(lambda env: run_sync(env, timeout=120), environments))

    for outcome in outcomes:
        assert outcome.returncode == 0, outcome.output[-3000:]
    second = first_listing_arrivals(shared)[1]
    requests = shared.stats.snapshot()["requests"]
    assert sum(request["time"] < second for request in requests) < len(requests) / 2, (
        "the two syncs of one site did not overlap: the test proves nothing"
    )
    assert shared.stats.max_in_flight() <= CAP
    assert shared.stats.snapshot()["refused"] == 0
    assert other.stats.max_in_flight() == CAP
    for server, folder in runs.values():
        warehouse = WarehouseResource(url=f"sqlite:///{folder}/warehouse.db")
        assert_warehouse_equals_ground_truth(warehouse, server.ground_truth())


WINDOW_SITE = {
    "users": 30,
    "groups": 3,
    "courses": 4,
    "bundles": 1,
    "enrollments": 60,
    "requests_per_minute": 20,
}
"""About 14 REST requests a sync at 20 a minute: two syncs of it together need more than one
window allows, one alone fits in one."""


@pytest.fixture
def window_sites():
    with simulated_sites(("acme", "globex"), **WINDOW_SITE) as servers:
        yield servers


@pytest.mark.slow
def test_two_syncs_of_one_site_of_the_sites_file_stay_under_its_limit_together(
    window_sites, tmp_path: Path
):
    servers = window_sites
    shared = sites_environment(tmp_path, servers, THINKIFIC_PACING_DIR=str(tmp_path / "pacing"))
    runs = [("acme", tmp_path / "acme-1"), ("acme", tmp_path / "acme-2"), ("globex", tmp_path)]
    environments = [
        command_environment(folder / "home", f"sqlite:///{folder}/warehouse.db", shared)
        for _, folder in runs
    ]
    with ThreadPoolExecutor(len(runs)) as pool:
        outcomes = list(
            pool.map(
                lambda name, env: run_sync(env, timeout=240, extra_args=["--site", name]),
                [name for name, _ in runs],
                environments,
            )
        )

    for outcome in outcomes:
        assert outcome.returncode == 0, outcome.output[-3000:]
    acme, globex = servers["acme"], servers["globex"]
    assert len(acme.stats.snapshot()["requests"]) > WINDOW_SITE["requests_per_minute"], (
        "two syncs fit in one window: the test proves nothing"
    )
    assert acme.stats.snapshot()["max_requests_in_60s"] <= WINDOW_SITE["requests_per_minute"]
    assert acme.stats.snapshot()["refused"] == 0
    globex_times = [
        datetime.fromisoformat(request["time"]).timestamp()
        for request in globex.stats.snapshot()["requests"]
    ]
    assert max(globex_times) - min(globex_times) < 20, "globex waited for acme's window"
    for name, folder in runs:
        warehouse = site_warehouse_at(f"sqlite:///{folder}/warehouse.db", name)
        assert_warehouse_equals_ground_truth(warehouse, servers[name].ground_truth())
        warehouse.dispose()
