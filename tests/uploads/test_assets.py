"""The `uploads/*` assets materialised for a file's partition on an ephemeral instance: the
outcome in the metadata, the two checks, the report beside the file, and the quarantine."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetCheckSeverity,
    DagsterInstance,
    ExecuteInProcessResult,
    materialize,
)

from assets.dashboard.audit import AUDIT_LOG_KEY
from assets.uploads.files import PARTITIONS, upload_assets, upload_key
from resources.dashboard.notifications import NotificationResource
from resources.dashboard.store import DashboardStore
from resources.thinkific.resource import ThinkificResource
from resources.uploads.files import partition_key, report_path, sha256_of
from resources.uploads.resource import UploadsResource
from resources.warehouse import WarehouseResource
from schemas.uploads import GROUP_MATCHING, SEAT_ALLOCATIONS, USER_CSV, UploadFormat
from tests.uploads.helpers import count, create_teams, drop, rows

VALID = "name,email,team\nAda Lovelace,ada@example.com,Analytics\n"
UNREACHABLE = ThinkificResource(api_key="unused", subdomain="unused", base_url="http://127.0.0.1:9")


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


@pytest.fixture
def resources(
    uploads: UploadsResource, sqlite_store: DashboardStore, sqlite_warehouse: WarehouseResource
) -> dict[str, Any]:
    """The assets' resources; `sqlite_store` has seeded the warehouse."""
    return {
        "uploads": uploads,
        "warehouse": sqlite_warehouse,
        "thinkific": UNREACHABLE,
        "notifications": NotificationResource(),
    }


def materialise(
    instance: DagsterInstance,
    resources: dict[str, Any],
    path: Path,
    fmt: UploadFormat = USER_CSV,
    config: dict[str, Any] | None = None,
) -> ExecuteInProcessResult:
    key = partition_key(path.name, sha256_of(path))
    instance.add_dynamic_partitions(PARTITIONS[fmt.name].name, [key])
    return materialize(
        upload_assets,
        instance=instance,
        partition_key=key,
        resources=resources,
        selection=[upload_key(fmt)],
        run_config={"ops": {f"uploads__{fmt.name}": {"config": config or {}}}},
        raise_on_error=False,
    )


def metadata(result: ExecuteInProcessResult) -> dict[str, Any]:
    """The upload asset's metadata (an import also reports the teams it changed)."""
    (event,) = [
        event
        for event in result.get_asset_materialization_events()
        if event.asset_key.path[0] == "uploads"
    ]
    return {name: value.value for name, value in event.materialization.metadata.items()}


def checks(result: ExecuteInProcessResult) -> dict[str, tuple[bool, AssetCheckSeverity]]:
    return {e.check_name: (e.passed, e.severity) for e in result.get_asset_check_evaluations()}


def test_a_rejected_file_fails_the_blocking_check_and_is_quarantined_with_its_reason(
    instance, resources, uploads
):
    path = drop(uploads.root / "users", "staff.csv", b"PK\x03\x04 a workbook, really")
    key = partition_key(path.name, sha256_of(path))
    result = materialise(instance, resources, path)
    assert not result.success
    assert checks(result)["file_accepted"] == (False, AssetCheckSeverity.ERROR)
    shown = metadata(result)
    assert (shown["outcome"], shown["rows"]) == ("rejected", 0)
    assert "ZIP archive" in shown["reason"]
    quarantine = uploads.root / "quarantine" / "users"
    assert not path.exists()
    assert (quarantine / f"{key}.csv").read_bytes() == b"PK\x03\x04 a workbook, really"
    reason = (quarantine / f"{key}.reason.txt").read_text()
    assert "'staff.csv'" in reason and "ZIP archive" in reason and result.run_id in reason


def test_a_file_named_validate_shows_what_an_import_would_do_and_writes_nothing(
    instance, resources, uploads, sqlite_store
):
    path = drop(uploads.root / "users", "staff.validate.csv", VALID)
    result = materialise(instance, resources, path)
    assert result.success
    shown = metadata(result)
    assert (shown["mode"], shown["outcome"], shown["users_created"]) == ("validate", "validated", 1)
    assert count(sqlite_store, "dashboard_users") == 0


def test_run_config_imports_a_file_named_for_validation(instance, resources, uploads, sqlite_store):
    path = drop(uploads.root / "users", "staff.validate.csv", VALID)
    result = materialise(instance, resources, path, config={"mode": "import"})
    assert metadata(result)["outcome"] == "imported"
    assert count(sqlite_store, "dashboard_users") == 1


def test_row_problems_show_in_the_metadata_and_the_report_beside_the_file(
    instance, resources, uploads
):
    path = drop(uploads.root / "users", "staff.csv", VALID + "Alan Turing,alan@,Analytics\n")
    result = materialise(instance, resources, path)
    assert result.success
    assert checks(result) == {
        "file_accepted": (True, AssetCheckSeverity.ERROR),
        "rows_valid": (False, AssetCheckSeverity.WARN),
    }
    shown = metadata(result)
    assert (shown["rows"], shown["rows_valid"], shown["rows_invalid"]) == (2, 1, 1)
    (record,) = shown["first_problems"].records
    assert record.data == {
        "row": 3,
        "column": "email",
        "problem": "is not an email address (name@example.com)",
        "value": "alan@",
    }
    assert "| email | is not an email address (name@example.com) | 1 |" in shown["summary"]
    assert shown["report"] == str(report_path(path))
    assert "3,email,is not an email address" in report_path(path).read_text(encoding="utf-8-sig")


def test_the_same_file_materialised_again_imports_nothing_new(instance, resources, uploads):
    path = drop(uploads.root / "users", "staff.csv", VALID)
    first = metadata(materialise(instance, resources, path))
    again = metadata(materialise(instance, resources, path))
    assert (first["users_created"], first["memberships_added"]) == (1, 1)
    assert (again["users_created"], again["memberships_added"], again["users_existing"]) == (
        0,
        0,
        1,
    )


def test_a_partition_whose_file_changed_fails_saying_so(instance, resources, uploads):
    path = drop(uploads.root / "users", "staff.csv", VALID)
    key = partition_key(path.name, sha256_of(path))
    instance.add_dynamic_partitions(PARTITIONS["user_csv"].name, [key])
    path.write_text(VALID + "Alan Turing,alan@example.com,Analytics\n")
    result = materialize(
        upload_assets,
        instance=instance,
        partition_key=key,
        resources=resources,
        selection=[upload_key(USER_CSV)],
        raise_on_error=False,
    )
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert f"has partition key {key}" in failure.step_failure_data.error.message


def test_a_group_matching_file_maps_groups_to_teams(instance, resources, uploads, sqlite_store):
    path = drop(uploads.root / "group_matching", "map.csv", "Group name,Team\nSales,Sales Team\n")
    result = materialise(instance, resources, path, GROUP_MATCHING)
    assert result.success
    assert metadata(result)["mappings_added"] == 1
    assert rows(sqlite_store, "dashboard_group_mappings", "group_id", "team", "role") == {
        (11, "sales team", "member")
    }


def test_a_seat_allocation_import_shows_its_audit_row_on_the_audit_log_asset(
    instance, resources, uploads, sqlite_store
):
    create_teams(sqlite_store, ["Red"], [])
    path = drop(uploads.root / "seat_allocations", "seats.csv", "team,product,seats\nRed,101,10\n")
    result = materialise(instance, resources, path, SEAT_ALLOCATIONS)
    assert result.success
    (audit,) = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key == AUDIT_LOG_KEY
    ]
    (latest,) = audit.metadata["latest_actions"].value.records
    assert (latest.data["action"], latest.data["status"], latest.data["rows affected"]) == (
        "upload_seat_allocations",
        "applied",
        1,
    )


def test_the_run_metadata_shows_the_additional_fields_with_their_values_neutralised(
    instance, resources, uploads
):
    path = drop(
        uploads.root / "users",
        "staff.csv",
        "User name,User email,Team name (optional),Notes\nAda Lovelace,ada@example.com,,=1+1\n",
    )
    shown = metadata(materialise(instance, resources, path))
    assert (shown["additional_fields"], shown["fields_set"], shown["fields_cleared"]) == (
        "notes",
        1,
        0,
    )
    (record,) = shown["field_values"].records
    assert record.data == {"row": 2, "email": "ada@example.com", "field": "notes", "value": "'=1+1"}
    assert [column.name for column in shown["dagster/column_schema"].columns] == [
        "name",
        "email",
        "team",
        "role",
        "products",
        "notes",
    ]
