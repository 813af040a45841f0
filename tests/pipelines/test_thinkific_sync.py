"""The extraction assets, run as the nightly job runs them, against the simulator over HTTP."""

import pytest

from simulator import Fault
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth
from tests.pipelines.sync_harness import failure_messages, run_sync

FAST_SITE = {"requests_per_minute": 6000, "max_in_flight": 10}
FULL_REFRESH = {"ops": {"thinkific__enrollments": {"config": {"full_refresh": True}}}}


def test_sync_loads_every_table_equal_to_ground_truth(start_simulator, warehouse):
    sim = start_simulator(users=600, groups=6, courses=12, bundles=3, enrollments=2500, **FAST_SITE)
    result = run_sync(sim, warehouse)
    assert result.success, failure_messages(result)
    assert_warehouse_equals_ground_truth(warehouse, sim.ground_truth())


def test_sync_passes_every_asset_check(start_simulator, warehouse):
    sim = start_simulator(**FAST_SITE)
    result = run_sync(sim, warehouse)
    evaluations = result.get_asset_check_evaluations()
    assert evaluations
    failed = [e.check_name for e in evaluations if not e.passed]
    assert not failed


def test_sync_reports_rows_pages_and_requests_as_metadata(start_simulator, warehouse):
    sim = start_simulator(users=300, enrollments=1000, **FAST_SITE)
    result = run_sync(sim, warehouse)
    by_table = {
        e.materialization.metadata["dagster/table_name"].value: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    users = by_table["thinkific_users"]
    assert users["dagster/row_count"].value == 300
    assert users["pages"].value == 2
    assert users["requests"].value == 2
    assert users["rows_inserted"].value == 300
    assert "dagster/column_schema" in users


def test_second_sync_soft_deletes_a_removed_user_and_full_refresh_its_enrollments(
    start_simulator, warehouse
):
    sim = start_simulator(users=200, enrollments=600, **FAST_SITE)
    assert run_sync(sim, warehouse).success
    removed = sim.ground_truth()["enrollments"][0]["user_id"]
    sim.site.delete("users", removed)

    assert run_sync(sim, warehouse).success
    users = warehouse.read_frame("thinkific_users", include_deleted=True)
    assert users.loc[users["id"] == removed, "deleted_at"].notna().all()
    # The incremental enrollment read cannot see deletions; the full refresh (weekly) does.
    enrollments = warehouse.read_frame("thinkific_enrollments")
    assert (enrollments["user_id"] == removed).any()

    result = run_sync(sim, warehouse, run_config=FULL_REFRESH)
    assert result.success, failure_messages(result)
    assert_warehouse_equals_ground_truth(warehouse, sim.ground_truth())


def test_sync_fails_naming_the_cause_when_the_key_is_wrong(start_simulator, warehouse):
    sim = start_simulator(**FAST_SITE)
    result = run_sync(sim, warehouse, api_key="not-the-key")
    assert not result.success
    assert "401" in failure_messages(result)
    assert "THINKIFIC_API_KEY" in failure_messages(result)


PERMANENT_FAULTS = {
    "forbidden_403": (
        {"kind": "status", "status": 403, "body": '{"error": "Apps not available"}'},
        "403",
    ),
    "redirect_302": ({"kind": "redirect"}, "redirect"),
    "bad_request_400": (
        {"kind": "status", "status": 400, "body": '{"error": "Bad request"}'},
        "400",
    ),
}


@pytest.mark.parametrize("fault", sorted(PERMANENT_FAULTS))
def test_sync_fails_fast_naming_a_permanent_fault(start_simulator, sqlite_warehouse, fault):
    settings, named = PERMANENT_FAULTS[fault]
    sim = start_simulator(**FAST_SITE)
    sim.faults.add(Fault(endpoint="courses", **settings))
    result = run_sync(sim, sqlite_warehouse)
    assert not result.success
    assert named in failure_messages(result).lower()
    courses_requests = sim.stats.snapshot()["by_endpoint"]["courses"]
    assert courses_requests == 1, "a permanent fault is neither retried by the client nor the step"


TRANSIENT_FAULTS = {
    "server_error_503": {"kind": "status", "status": 503},
    "cloudflare_524": {"kind": "status", "status": 524},
    "cloudflare_530": {"kind": "status", "status": 530},
    "connection_reset": {"kind": "reset"},
    "truncated_json": {"kind": "truncate"},
    "legacy_403_rate_limit": {"kind": "status", "status": 403, "body": "Rate Limit Exceeded"},
}


@pytest.mark.parametrize("fault", sorted(TRANSIENT_FAULTS))
def test_sync_rides_out_transient_faults(start_simulator, sqlite_warehouse, fault):
    sim = start_simulator(users=300, enrollments=800, **FAST_SITE)
    sim.faults.add(Fault(endpoint="*", rate=0.25, times=5, **TRANSIENT_FAULTS[fault]))
    result = run_sync(sim, sqlite_warehouse, backoff_seconds=0.01, max_rate_limit_wait_seconds=0.5)
    assert result.success, failure_messages(result)
    assert_warehouse_equals_ground_truth(sqlite_warehouse, sim.ground_truth())
