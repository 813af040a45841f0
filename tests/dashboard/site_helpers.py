"""A simulated site synced into the warehouse, and who on it lacks which enrollment."""

from typing import Any

from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from resources.warehouse import WarehouseResource
from simulator import SimulatorServer
from tests.pipelines.sync_harness import failure_messages, run_sync


def synced(site: SimulatorServer, warehouse: WarehouseResource) -> dict[str, list]:
    """Extracts the whole site into the warehouse; returns its ground truth."""
    result = run_sync(site, warehouse, requests_per_minute=6000)
    assert result.success, failure_messages(result)
    return site.ground_truth()


def launch(
    defs: Definitions,
    job: str,
    run_config: dict[str, Any] | None = None,
    instance: DagsterInstance | None = None,
) -> ExecuteInProcessResult:
    """Launches a job of the code location from run config, as the Launchpad does."""
    return defs.resolve_job_def(job).execute_in_process(
        run_config=run_config or {}, instance=instance, raise_on_error=False
    )


def materialized(result: ExecuteInProcessResult) -> set[str]:
    """The keys of the assets a run materialised."""
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def product_of(truth: dict[str, list], kind: str, productable_id: int) -> dict[str, Any]:
    return next(
        p
        for p in truth["products"]
        if p["productable_type"] == kind and p["productable_id"] == productable_id
    )


def users_without(truth: dict[str, list], course_ids: list[int], count: int) -> list[dict]:
    """The first `count` users (by id) enrolled in none of the courses."""
    enrolled = {e["user_id"] for e in truth["enrollments"] if e["course_id"] in course_ids}
    free = [u for u in sorted(truth["users"], key=lambda u: u["id"]) if u["id"] not in enrolled]
    assert len(free) >= count, "the test site is too small"
    return free[:count]


def enrollment_pairs(site: SimulatorServer) -> list[tuple[int, int]]:
    """(user_id, course_id) of every enrollment Thinkific has now."""
    return [(e["user_id"], e["course_id"]) for e in site.ground_truth()["enrollments"]]
