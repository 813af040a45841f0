"""A SIGKILL anywhere in a sync, then a rerun, leaves the tables as one clean run would.

Each case forks a child that runs the sync with `THINKIFIC_CRASH_AT` set, so the child dies by
SIGKILL at that point: while paging, inside a staging transaction, between staging and the merge,
or inside the merge transaction. The parent then reruns the sync and compares every table with
the simulator's ground truth: no loss, no duplicate key, nothing falsely marked deleted.
"""

import multiprocessing
import os
import random
import signal

import pytest

from resources.crash_points import CRASH_AT_ENV
from resources.warehouse import WarehouseResource
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth, expected_records
from tests.pipelines.sync_harness import failure_messages, run_sync

SMALL_SITE = {
    "users": 300,
    "groups": 3,
    "courses": 5,
    "bundles": 1,
    "enrollments": 900,
    "requests_per_minute": 6000,
}
POINTS = {
    # point: how often a run of SMALL_SITE arrives there (pages, or tables)
    "page_fetched": 15,
    "page_staged": 15,
    "stage_transaction": 22,
    "before_merge": 8,
    "merge_transaction": 9,
}


def _seeded_crash_points(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    chosen: set[str] = set()
    while len(chosen) < count:
        point = rng.choice(sorted(POINTS))
        chosen.add(f"{point}:{rng.randint(1, POINTS[point])}")
    return sorted(chosen)


CRASH_POINTS = _seeded_crash_points(seed=20261125, count=20)


def _sync_killed_at(sim, warehouse_url: str, crash_at: str) -> int:
    """Run the sync in a forked child that dies at `crash_at`; its exit code."""

    def child() -> None:
        os.environ[CRASH_AT_ENV] = crash_at
        result = run_sync(sim, WarehouseResource(url=warehouse_url))
        os._exit(0 if result.success else 1)

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(timeout=120)
    return process.exitcode


@pytest.mark.parametrize("crash_at", CRASH_POINTS)
def test_rerun_after_sigkill_equals_one_clean_run(start_simulator, warehouse_url, crash_at):
    sim = start_simulator(**SMALL_SITE)
    exit_code = _sync_killed_at(sim, warehouse_url, crash_at)
    assert exit_code == -signal.SIGKILL, f"the run was not killed at {crash_at}"

    warehouse = WarehouseResource(url=warehouse_url)
    result = run_sync(sim, warehouse)
    assert result.success, failure_messages(result)

    truth = sim.ground_truth()
    assert_warehouse_equals_ground_truth(warehouse, truth)
    for table in expected_records(truth):
        assert warehouse.duplicate_keys(table) == []
        everything = warehouse.read_frame(table, include_deleted=True)
        assert everything["deleted_at"].isna().all(), f"{table}: rows falsely marked deleted"
    warehouse.dispose()


def test_a_rerun_resumes_a_killed_read_instead_of_starting_over(start_simulator, warehouse_url):
    sim = start_simulator(**{**SMALL_SITE, "courses": 10, "enrollments": 2500})  # 10 pages
    crash_at = "page_staged@thinkific_enrollments:6"
    assert _sync_killed_at(sim, warehouse_url, crash_at) == -signal.SIGKILL
    sim.stats.reset()

    warehouse = WarehouseResource(url=warehouse_url)
    result = run_sync(sim, warehouse)
    assert result.success, failure_messages(result)

    pages = [
        request["query"]
        for request in sim.stats.snapshot()["requests"]
        if request["path"] == "/api/public/v1/enrollments"
    ]
    assert len(pages) == 4, f"the rerun read {pages}; pages 1-6 were staged before the kill"
    assert_warehouse_equals_ground_truth(warehouse, sim.ground_truth())
    warehouse.dispose()
