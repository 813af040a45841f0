"""Uploads that change teams set the dashboard's refresh in motion by declarative automation:
an import that changed something reports `dashboard/teams`, and team members, seat usage with
its check and the Teams tab are requested; a validation, a rejection or a repeat reports nothing
and requests nothing. No list of jobs is kept anywhere."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from assets.dashboard.derived import dashboard_checks, seat_usage, team_members, teams_overview
from assets.dashboard.teams import TEAMS_KEY, teams
from assets.uploads.files import PARTITIONS, upload_assets, upload_key
from resources.dashboard.notifications import NotificationResource
from resources.dashboard.store import DashboardStore
from resources.thinkific.resource import ThinkificResource
from resources.uploads.files import partition_key, sha256_of
from resources.uploads.resource import UploadsResource
from schemas.uploads import GROUP_MATCHING, SEAT_ALLOCATIONS, USER_CSV, UploadFormat
from tests.dashboard.automation import LEARNING_RECORD_STAND_INS, REFRESH, Automation
from tests.uploads.helpers import create_teams, drop, rows

SEATS = "team,product,seats\nRed,Intro to Python,7\n"
STAFF = "name,email,team\nAda Lovelace,ada@example.com,Red\n"
MAPPING = "Group name,Team\nSales,Sales Team\n"


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


@pytest.fixture
def defs(sqlite_store: DashboardStore, uploads: UploadsResource) -> Definitions:
    """The uploads and the dashboard assets they feed; team Red exists."""
    create_teams(sqlite_store, ["Red"], [])
    return Definitions(
        assets=[
            *upload_assets,
            teams,
            team_members,
            seat_usage,
            teams_overview,
            *LEARNING_RECORD_STAND_INS,
        ],
        asset_checks=dashboard_checks,
        resources={
            "uploads": uploads,
            "warehouse": sqlite_store._warehouse,
            "thinkific": ThinkificResource(
                api_key="-", subdomain="-", base_url="http://127.0.0.1:9"
            ),
            "notifications": NotificationResource(),
        },
    )


@pytest.fixture
def automation(defs: Definitions, instance: DagsterInstance) -> Automation:
    return Automation(defs, instance, dt.datetime.now(dt.UTC))


def materialise(
    defs: Definitions, instance: DagsterInstance, path: Path, fmt: UploadFormat
) -> ExecuteInProcessResult:
    """The file's partition materialised by the implicit asset job, as the sensor's run is."""
    key = partition_key(path.name, sha256_of(path))
    instance.add_dynamic_partitions(PARTITIONS[fmt.name].name, [key])
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance, partition_key=key, asset_selection=[upload_key(fmt)]
    )
    assert result.success
    return result


def teams_reported(result: ExecuteInProcessResult) -> list[dict]:
    """The metadata of each `dashboard/teams` materialization the run reported."""
    return [
        {name: value.value for name, value in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
        if event.asset_key == TEAMS_KEY
    ]


def test_an_imported_seat_file_refreshes_seat_usage_and_the_teams_tab(
    defs, instance, automation, uploads, sqlite_store
):
    path = drop(uploads.root / SEAT_ALLOCATIONS.folder, "march.csv", SEATS)
    upload = materialise(defs, instance, path, SEAT_ALLOCATIONS)

    requested = automation.settle()

    assert [report["allocations_changed"] for report in teams_reported(upload)] == [1]
    assert requested == REFRESH
    automation.run(requested)
    assert rows(sqlite_store, "dashboard_teams_overview", "name", "seats_purchased") == {("Red", 7)}


def test_an_imported_user_file_refreshes_the_dashboard(defs, instance, automation, uploads):
    path = drop(uploads.root / USER_CSV.folder, "staff.csv", STAFF)
    upload = materialise(defs, instance, path, USER_CSV)

    assert [report["memberships_added"] for report in teams_reported(upload)] == [1]
    assert automation.settle() == REFRESH


def test_an_imported_group_matching_file_refreshes_the_dashboard(
    defs, instance, automation, uploads
):
    path = drop(uploads.root / GROUP_MATCHING.folder, "map.csv", MAPPING)
    upload = materialise(defs, instance, path, GROUP_MATCHING)

    assert [report["mappings_added"] for report in teams_reported(upload)] == [1]
    assert automation.settle() == REFRESH


def test_a_validate_only_file_requests_no_refresh(defs, instance, automation, uploads):
    path = drop(uploads.root / SEAT_ALLOCATIONS.folder, "march.validate.csv", SEATS)
    upload = materialise(defs, instance, path, SEAT_ALLOCATIONS)

    assert teams_reported(upload) == []
    assert automation.settle() == set()


def test_a_file_that_imports_nothing_new_requests_no_refresh(defs, instance, uploads):
    path = drop(uploads.root / USER_CSV.folder, "staff.csv", STAFF)
    materialise(defs, instance, path, USER_CSV)
    automation = Automation(defs, instance, dt.datetime.now(dt.UTC))
    again = drop(uploads.root / USER_CSV.folder, "staff again.csv", STAFF)

    upload = materialise(defs, instance, again, USER_CSV)

    assert teams_reported(upload) == []
    assert automation.settle() == set()


def test_a_rejected_file_requests_no_refresh(defs, instance, automation, uploads):
    path = drop(uploads.root / USER_CSV.folder, "empty.csv", "")
    key = partition_key(path.name, sha256_of(path))
    instance.add_dynamic_partitions(PARTITIONS[USER_CSV.name].name, [key])
    job = defs.resolve_implicit_global_asset_job_def()
    job.execute_in_process(
        instance=instance,
        partition_key=key,
        asset_selection=[upload_key(USER_CSV)],
        raise_on_error=False,
    )

    assert automation.settle() == set()
