"""Incremental enrollments, deletion detection and page drift, against the simulator over HTTP."""

import math
from datetime import datetime

import pytest

from simulator import Fault
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth
from tests.pipelines.sync_harness import failure_messages, run_sync

FAST_SITE = {"requests_per_minute": 6000, "max_in_flight": 10}
ENROLLMENTS_PATH = "/api/public/v1/enrollments"


def _enrollment_requests(sim) -> int:
    return sum(r["path"] == ENROLLMENTS_PATH for r in sim.stats.snapshot()["requests"])


def _day(timestamp: str) -> str:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).date().isoformat()


def test_second_run_after_one_percent_churn_reads_only_changed_and_boundary_day_pages(
    start_simulator, warehouse
):
    sim = start_simulator(users=800, courses=20, enrollments=6000, **FAST_SITE)
    assert run_sync(sim, warehouse).success
    watermark_day = warehouse.watermark("thinkific_enrollments").date().isoformat()
    boundary_rows = sum(
        _day(e["updated_at"]) == watermark_day for e in sim.ground_truth()["enrollments"]
    )

    changed = sim.ground_truth()["enrollments"][::100]  # 1% churn
    for enrollment in changed:
        sim.site.update("enrollments", enrollment["id"], {"percentage_completed": 0.5})
    sim.stats.reset()
    result = run_sync(sim, warehouse)

    assert result.success, failure_messages(result)
    allowed = math.ceil(len(changed) / 250) + math.ceil(boundary_rows / 250)
    assert _enrollment_requests(sim) <= allowed
    assert_warehouse_equals_ground_truth(warehouse, sim.ground_truth())


def test_watermark_is_the_highest_committed_updated_at(start_simulator, warehouse):
    sim = start_simulator(**FAST_SITE)
    assert run_sync(sim, warehouse).success
    highest = max(e["updated_at"] for e in sim.ground_truth()["enrollments"])
    expected = datetime.fromisoformat(highest.replace("Z", "+00:00"))
    assert warehouse.watermark("thinkific_enrollments") == expected


def test_a_user_deleted_in_thinkific_is_soft_deleted_exactly_once(start_simulator, warehouse):
    sim = start_simulator(**FAST_SITE)
    assert run_sync(sim, warehouse).success
    removed = sim.ground_truth()["users"][5]["id"]
    sim.site.delete("users", removed)

    assert run_sync(sim, warehouse).success
    first = warehouse.read_frame("thinkific_users", include_deleted=True).set_index("id")
    assert run_sync(sim, warehouse).success
    second = warehouse.read_frame("thinkific_users", include_deleted=True).set_index("id")

    assert first["deleted_at"].notna().sum() == 1
    assert first.loc[removed, "deleted_at"] == second.loc[removed, "deleted_at"]


def test_a_failed_snapshot_marks_nothing_deleted(start_simulator, warehouse):
    # No groups: memberships are read from `/users?query[group_id]=` too, and a fault counting
    # requests to `/users` could otherwise hit one of them instead of the users listing.
    sim = start_simulator(users=600, groups=0, **FAST_SITE)
    assert run_sync(sim, warehouse).success
    sim.site.delete("users", sim.ground_truth()["users"][0]["id"])
    sim.faults.add(Fault(endpoint="users", kind="status", status=401, nth=2))

    result = run_sync(sim, warehouse)

    failed = {event.step_key for event in result.get_step_failure_events()}
    assert "thinkific__users" in failed
    users = warehouse.read_frame("thinkific_users", include_deleted=True)
    assert users["deleted_at"].isna().all()
    assert len(users) == 600


@pytest.mark.parametrize("drift", ["insert_rows", "delete_rows"])
def test_page_drift_while_paging_converges_by_the_next_run(start_simulator, warehouse, drift):
    sim = start_simulator(users=900, enrollments=2000, **FAST_SITE)
    sim.faults.add(Fault(endpoint="users", kind=drift, rows=3, times=1))
    sim.faults.add(Fault(endpoint="enrollments", kind=drift, rows=3, times=1))
    first = run_sync(sim, warehouse)
    assert first.success, failure_messages(first)
    users = first.get_asset_materialization_events()
    complete = {
        e.materialization.metadata["dagster/table_name"].value: e.materialization.metadata[
            "complete_read"
        ].value
        for e in users
        if "complete_read" in e.materialization.metadata
    }
    assert complete["thinkific_users"] is False, "a drifted read must not count as complete"

    second = run_sync(sim, warehouse)
    assert second.success, failure_messages(second)
    assert_warehouse_equals_ground_truth(warehouse, sim.ground_truth())
    deleted = warehouse.read_frame("thinkific_users", include_deleted=True)
    live_ids = {user["id"] for user in sim.ground_truth()["users"]}
    assert set(deleted.loc[deleted["deleted_at"].isna(), "id"]) == live_ids
