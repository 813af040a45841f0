"""Teams, people and seats for the team action tests, and the actions launched as the
Launchpad launches them, followed by the refresh the sensor requests."""

from typing import Any

import pandas as pd
from dagster import (
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    RunRequest,
    SkipReason,
    build_run_status_sensor_context,
)

from assets.dashboard.audit import audit_log
from assets.dashboard.derived import dashboard_checks, seat_usage, teams_overview
from pipelines.jobs.teams import team_jobs
from pipelines.jobs.tools import recalculate_seats
from pipelines.sensors.team_refresh import seats_after_team_action
from resources.dashboard.store import DashboardStore
from tests.dashboard.seed import enrollment, put
from tests.dashboard.site_helpers import launch
from tests.dashboard.test_seat_usage import COURSE_ID, seed

PRODUCT = f"Course {COURSE_ID}"
"""The course product's name; each team starts with 5 seats of it (and of a bundle)."""


def seed_teams(store: DashboardStore) -> None:
    """Red: a (enrolled in the course), b (manager); Blue: b (member), c (enrolled)."""
    seed(
        store, (1, "a@x.com", ("Red",)), (2, "b@x.com", ("Red", "Blue")), (3, "c@x.com", ("Blue",))
    )
    store.add_members("Red", ["b@x.com"], "manager", "csv_import")
    put(store._warehouse, "enrollments", [enrollment(1, 1, COURSE_ID), enrollment(3, 3, COURSE_ID)])


def team_definitions(store: DashboardStore) -> Definitions:
    return Definitions(
        assets=[seat_usage, teams_overview, audit_log],
        asset_checks=dashboard_checks,
        jobs=[*team_jobs, recalculate_seats],
        sensors=[seats_after_team_action],
        resources={"warehouse": store._warehouse},
    )


def act(
    store: DashboardStore, instance: DagsterInstance, job: str, config: dict[str, Any]
) -> ExecuteInProcessResult:
    """Launches the action from run config, as the Launchpad does."""
    return launch(team_definitions(store), job, config, instance)


def refresh_request(
    store: DashboardStore, instance: DagsterInstance, result: ExecuteInProcessResult
) -> RunRequest | SkipReason:
    """What the sensor that watches the team actions does about this run."""
    with build_run_status_sensor_context(
        sensor_name=seats_after_team_action.name,
        dagster_event=result.get_run_success_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"warehouse": store._warehouse},
    ) as context:
        return seats_after_team_action(context)


def overview_after(
    store: DashboardStore, instance: DagsterInstance, result: ExecuteInProcessResult
) -> dict[str, dict[str, Any]]:
    """The Teams tab once the refresh the sensor requests after the action has run."""
    request = refresh_request(store, instance, result)
    assert isinstance(request, RunRequest), request
    defs = team_definitions(store)
    refresh = defs.resolve_job_def(seats_after_team_action.job_name)
    assert refresh.execute_in_process(instance=instance, tags=request.tags).success
    return overview(store)


def overview(store: DashboardStore) -> dict[str, dict[str, Any]]:
    """The Teams tab by team name: members, managers, seats."""
    frame = store.read("dashboard_teams_overview")
    columns = ["members", "managers", "seats_purchased", "seats_used", "seats_available"]
    return {row["name"]: {c: int(row[c]) for c in columns} for _, row in frame.iterrows()}


def audit(store: DashboardStore) -> list[tuple[str, str, int]]:
    """(action, status, rows affected) of each audit row, oldest first."""
    frame = store.read("dashboard_audit_log").sort_values("recorded_at")
    return list(frame[["action", "status", "rows_affected"]].itertuples(index=False, name=None))


def members(store: DashboardStore) -> set[tuple[str, str, str]]:
    frame = store.read("dashboard_team_members")
    return set(frame[["team", "email", "role"]].itertuples(index=False, name=None))


def seats_bought(store: DashboardStore) -> dict[tuple[str, int], int]:
    frame: pd.DataFrame = store.read("dashboard_seat_allocations")
    return frame.groupby(["team", "product_id"])["seats"].sum().astype(int).to_dict()
