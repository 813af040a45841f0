"""The `upload_files` sensor, evaluated with `build_sensor_context` on an ephemeral instance:
each new or changed file becomes a partition and a run, and the cursor remembers the rest."""

import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import (
    AddDynamicPartitionsRequest,
    AssetKey,
    DagsterInstance,
    SensorResult,
    build_sensor_context,
)

from assets.uploads.files import PARTITIONS
from pipelines.sensors import uploads as sensor_module
from pipelines.sensors.uploads import DAY_SECONDS, upload_sensor
from resources.uploads.resource import UploadsResource
from tests.uploads.helpers import drop

USERS = PARTITIONS["user_csv"].name
GROUPS = PARTITIONS["group_matching"].name
SEATS = PARTITIONS["seat_allocations"].name
CONTENT = "name,email,team\nAda Lovelace,ada@example.com,Analytics\n"


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


def tick(instance: DagsterInstance, uploads: UploadsResource, cursor: str | None) -> SensorResult:
    """One evaluation; its partition requests applied to the instance, as the daemon does."""
    with build_sensor_context(
        instance=instance, cursor=cursor, resources={"uploads": uploads}
    ) as context:
        result = upload_sensor(context)
    for request in result.dynamic_partitions_requests or []:
        if isinstance(request, AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)
    return result


def users_folder(uploads: UploadsResource) -> Path:
    return uploads.root / "users"


def test_new_files_become_partitions_each_with_a_run(instance, uploads):
    drop(users_folder(uploads), "staff.csv", CONTENT)
    drop(uploads.root / "group_matching", "map.csv", "group,team\nSales,Sales\n")
    result = tick(instance, uploads, None)
    (user_key,) = instance.get_dynamic_partitions(USERS)
    (group_key,) = instance.get_dynamic_partitions(GROUPS)
    assert user_key.startswith("staff-") and group_key.startswith("map-")
    assert sorted(
        (r.partition_key, r.asset_selection[0].to_user_string()) for r in result.run_requests
    ) == sorted([(user_key, "uploads/user_csv"), (group_key, "uploads/group_matching")])
    assert all(request.run_key for request in result.run_requests)


def test_a_file_in_seat_allocations_becomes_a_partition_and_a_run_of_its_asset(instance, uploads):
    drop(uploads.root / "seat_allocations", "march.csv", "team,product,seats\nRed,101,5\n")
    (request,) = tick(instance, uploads, None).run_requests
    (key,) = instance.get_dynamic_partitions(SEATS)
    assert (request.partition_key, request.asset_selection) == (
        key,
        [AssetKey(["uploads", "seat_allocations"])],
    )
    assert request.tags["uploads/file"] == "seat_allocations/march.csv"


def test_an_unchanged_file_is_never_requested_again(instance, uploads):
    drop(users_folder(uploads), "staff.csv", CONTENT)
    first = tick(instance, uploads, None)
    second = tick(instance, uploads, first.cursor)
    third = tick(instance, uploads, second.cursor)
    assert (len(first.run_requests), second.run_requests, third.run_requests) == (1, [], [])
    assert third.cursor == first.cursor


def test_a_changed_file_gets_a_new_partition_and_run(instance, uploads):
    path = drop(users_folder(uploads), "staff.csv", CONTENT)
    first = tick(instance, uploads, None)
    path.write_text(CONTENT + "Alan Turing,alan@example.com,Analytics\n")
    second = tick(instance, uploads, first.cursor)
    (request,) = second.run_requests
    assert request.partition_key != first.run_requests[0].partition_key
    assert set(instance.get_dynamic_partitions(USERS)) == {
        first.run_requests[0].partition_key,
        request.partition_key,
    }


def test_the_cursor_keeps_each_file_name_and_sha256(instance, uploads):
    drop(users_folder(uploads), "staff.csv", CONTENT)
    cursor = json.loads(tick(instance, uploads, None).cursor)
    assert (
        cursor["files"]["users/staff.csv"]["sha256"] == hashlib.sha256(CONTENT.encode()).hexdigest()
    )


def test_a_file_still_being_written_waits_for_a_later_tick(instance, uploads):
    path = drop(users_folder(uploads), "staff.csv", CONTENT)
    waiting = UploadsResource(folder=uploads.folder, settle_seconds=3600)
    assert tick(instance, waiting, None).run_requests == []
    old = time.time() - 7200
    os.utime(path, (old, old))
    assert len(tick(instance, waiting, None).run_requests) == 1


def test_reports_hidden_and_partial_files_are_not_uploads(instance, uploads):
    folder = users_folder(uploads)
    for name in ("staff.report.csv", ".staff.csv", "staff.csv.part", "staff.csv.crdownload", "x~"):
        drop(folder, name, CONTENT)
    assert tick(instance, uploads, None).run_requests == []


def test_links_fifos_and_folders_are_never_opened(instance, uploads, tmp_path):
    folder = users_folder(uploads)
    folder.mkdir(parents=True)
    (folder / "link.csv").symlink_to(drop(tmp_path, "target.csv", CONTENT))
    os.mkfifo(folder / "pipe.csv")
    (folder / "sub.csv").mkdir()
    assert tick(instance, uploads, None).run_requests == []


def test_a_removed_file_is_forgotten_and_dropped_again_runs_again(instance, uploads):
    path = drop(users_folder(uploads), "staff.csv", CONTENT)
    first = tick(instance, uploads, None)
    dropped_at = path.stat().st_mtime_ns
    path.unlink()
    gone = tick(instance, uploads, first.cursor)
    assert json.loads(gone.cursor)["files"] == {}
    drop(users_folder(uploads), "staff.csv", CONTENT)
    os.utime(path, ns=(dropped_at - 10**9, dropped_at - 10**9))
    (again,) = tick(instance, uploads, gone.cursor).run_requests
    assert again.partition_key == first.run_requests[0].partition_key
    assert again.run_key != first.run_requests[0].run_key


def test_an_unchanged_file_is_not_read_again(instance, uploads, monkeypatch):
    drop(users_folder(uploads), "staff.csv", CONTENT)
    cursor = tick(instance, uploads, None).cursor
    hashed = []
    monkeypatch.setattr(sensor_module, "sha256_of", lambda path: hashed.append(path))
    tick(instance, uploads, cursor)
    assert hashed == []


def test_partitions_past_retention_are_deleted(instance, uploads):
    drop(users_folder(uploads), "staff.csv", CONTENT)
    first = tick(instance, uploads, None)
    state = json.loads(first.cursor)
    for key in state["partitions"]:
        state["partitions"][key] -= (uploads.retention_days + 1) * DAY_SECONDS
    result = tick(instance, uploads, json.dumps(state))
    assert instance.get_dynamic_partitions(USERS) == []
    assert json.loads(result.cursor)["partitions"] == {}
    assert result.run_requests == []
