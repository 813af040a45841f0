"""Teams, people and seats for the team action tests, and the actions launched as the
Launchpad launches them, followed by the refresh the dashboard's automation requests."""

import datetime as dt
import weakref
from typing import Any

import pandas as pd
from dagster import AssetCheckKey, AssetKey, DagsterInstance, Definitions, ExecuteInProcessResult

from assets.dashboard.audit import audit_log
from assets.dashboard.derived import dashboard_checks, seat_usage, team_members, teams_overview
from assets.dashboard.teams import teams
from pipelines.jobs.teams import team_jobs
from resources.dashboard.store import DashboardStore
from tests.dashboard.automation import LEARNING_RECORD_STAND_INS, REFRESH, Automation
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
        assets=[
            teams,
            team_members,
            seat_usage,
            teams_overview,
            audit_log,
            *LEARNING_RECORD_STAND_INS,
        ],
        asset_checks=dashboard_checks,
        jobs=team_jobs,
        resources={"warehouse": store._warehouse},
    )


_automations: "weakref.WeakKeyDictionary[DagsterInstance, Automation]" = weakref.WeakKeyDictionary()


def automation(store: DashboardStore, instance: DagsterInstance) -> Automation:
    """The instance's automation, started (its first tick) before the test's first action."""
    if instance not in _automations:
        start = dt.datetime.now(dt.UTC)
        _automations[instance] = Automation(team_definitions(store), instance, start)
    return _automations[instance]


def act(
    store: DashboardStore, instance: DagsterInstance, job: str, config: dict[str, Any]
) -> ExecuteInProcessResult:
    """Launches the action from run config, as the Launchpad does."""
    automation(store, instance)
    return launch(team_definitions(store), job, config, instance)


def refresh_requested(
    store: DashboardStore, instance: DagsterInstance
) -> set[AssetKey | AssetCheckKey]:
    """What the dashboard's automation requests once the actions so far have settled."""
    return automation(store, instance).settle()


def overview_after(
    store: DashboardStore, instance: DagsterInstance, result: ExecuteInProcessResult
) -> dict[str, dict[str, Any]]:
    """The Teams tab once the refresh the automation requests after the action has run."""
    assert result.success
    requested = refresh_requested(store, instance)
    assert requested == REFRESH, requested
    automation(store, instance).run(requested)
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
