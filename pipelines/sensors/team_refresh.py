"""Seat usage and the Teams tab follow each team action and seat allocation upload without a
manual step.

A run-status sensor watches the runs of the code location; after each successful team action
run, or run of the `uploads/seat_allocations` asset (an asset run of the implicit asset job,
recognised by its asset selection, whoever launched it), that changed something it requests
`recalculate_seats` (seat usage, its check, the Teams tab), keyed by that run's id, so one
action never triggers two refreshes whatever happens to the cursor. What changed is what the
run's audit row says: refused runs, repeats and validate-only uploads changed nothing and
request nothing, and other runs are skipped without a look at the warehouse.
"""

from dagster import (
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunStatusSensorContext,
    SkipReason,
    run_status_sensor,
)

from assets.uploads.files import upload_key
from pipelines.jobs.teams import team_jobs
from pipelines.jobs.tools import recalculate_seats
from resources.dashboard.audit_log import rows_affected
from resources.dashboard.store import DashboardStore
from resources.warehouse import WarehouseResource
from schemas.uploads import SEAT_ALLOCATIONS

TEAM_JOBS = frozenset(job.name for job in team_jobs)
SEAT_UPLOAD = upload_key(SEAT_ALLOCATIONS)


def changes_seats(run: DagsterRun) -> bool:
    """Whether the run may change teams or seats: a team action, or a seat allocation upload."""
    return run.job_name in TEAM_JOBS or SEAT_UPLOAD in (run.asset_selection or ())


@run_status_sensor(
    name="seats_after_team_action",
    run_status=DagsterRunStatus.SUCCESS,
    request_job=recalculate_seats,
    default_status=DefaultSensorStatus.RUNNING,
    description="After a Teams-tab action or a seat allocation upload that changed something, "
    "recalculates seat usage and the Teams tab (job recalculate_seats), once per run.",
)
def seats_after_team_action(
    context: RunStatusSensorContext, warehouse: WarehouseResource
) -> RunRequest | SkipReason:
    run = context.dagster_run
    if not changes_seats(run):
        return SkipReason(f"run {run.run_id} ({run.job_name}) changes no teams or seats")
    if not rows_affected(DashboardStore(warehouse), run.run_id):
        return SkipReason(f"run {run.run_id} changed nothing: seat usage is already current")
    return RunRequest(run_key=run.run_id, tags={"team_action_run": run.run_id})
