"""After a seat allocation upload imports something, the `seats_after_team_action` sensor asks
for seat usage and the Teams tab, keyed by the upload's run; other upload runs ask nothing."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import (
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    RunRequest,
    SkipReason,
    build_run_status_sensor_context,
)

from assets.dashboard.derived import dashboard_checks, seat_usage, teams_overview
from assets.uploads.files import PARTITIONS, upload_assets, upload_key
from pipelines.jobs.tools import recalculate_seats
from pipelines.sensors.team_refresh import seats_after_team_action
from resources.dashboard.notifications import NotificationResource
from resources.dashboard.store import DashboardStore
from resources.thinkific.resource import ThinkificResource
from resources.uploads.files import partition_key, sha256_of
from resources.uploads.resource import UploadsResource
from schemas.uploads import SEAT_ALLOCATIONS, USER_CSV, UploadFormat
from tests.uploads.helpers import create_teams, drop, rows

SEATS = "team,product,seats\nRed,Intro to Python,7\n"


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


@pytest.fixture
def defs(sqlite_store: DashboardStore, uploads: UploadsResource) -> Definitions:
    """The uploads, the refresh job and the sensor; team Red exists."""
    create_teams(sqlite_store, ["Red"], [])
    return Definitions(
        assets=[*upload_assets, seat_usage, teams_overview],
        asset_checks=dashboard_checks,
        jobs=[recalculate_seats],
        sensors=[seats_after_team_action],
        resources={
            "uploads": uploads,
            "warehouse": sqlite_store._warehouse,
            "thinkific": ThinkificResource(
                api_key="-", subdomain="-", base_url="http://127.0.0.1:9"
            ),
            "notifications": NotificationResource(),
        },
    )


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


def refresh_request(
    defs: Definitions, instance: DagsterInstance, result: ExecuteInProcessResult
) -> RunRequest | SkipReason:
    with build_run_status_sensor_context(
        sensor_name=seats_after_team_action.name,
        dagster_event=result.get_run_success_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"warehouse": defs.resources["warehouse"]},
    ) as context:
        return seats_after_team_action(context)


def test_an_imported_seat_file_refreshes_seat_usage_and_the_teams_tab_once(
    defs, instance, uploads, sqlite_store
):
    path = drop(uploads.root / SEAT_ALLOCATIONS.folder, "march.csv", SEATS)
    upload = materialise(defs, instance, path, SEAT_ALLOCATIONS)

    request = refresh_request(defs, instance, upload)

    assert isinstance(request, RunRequest) and request.run_key == upload.run_id
    refresh = defs.resolve_job_def(seats_after_team_action.job_name)
    assert refresh.execute_in_process(instance=instance, tags=request.tags).success
    assert rows(sqlite_store, "dashboard_teams_overview", "name", "seats_purchased") == {("Red", 7)}


def test_a_validate_only_seat_file_requests_no_refresh(defs, instance, uploads):
    path = drop(uploads.root / SEAT_ALLOCATIONS.folder, "march.validate.csv", SEATS)
    upload = materialise(defs, instance, path, SEAT_ALLOCATIONS)

    assert isinstance(refresh_request(defs, instance, upload), SkipReason)


def test_a_user_upload_requests_no_refresh(defs, instance, uploads):
    path = drop(uploads.root / USER_CSV.folder, "staff.csv", "name,email,team\nA B,a@x.com,Red\n")
    upload = materialise(defs, instance, path, USER_CSV)

    skip = refresh_request(defs, instance, upload)

    assert isinstance(skip, SkipReason) and "changes no teams or seats" in skip.skip_message
