"""The audit log of team actions and the dashboard/audit_log asset."""

import json

import pytest
from dagster import Definitions, materialize

from assets.conventions import OWNER
from assets.dashboard.audit import AUDIT_LOG_KEY, audit_log
from assets.dashboard.teams import TEAMS_KEY
from resources.dashboard.store import DashboardStore
from tests.dashboard.team_setup import (
    PRODUCT,
    act,
    audit,
    seats_bought,
    seed_teams,
    team_definitions,
)
from tests.dashboard.test_seat_usage import COURSE
from tests.pipelines.sync_harness import failure_messages

ADD_THREE = {"team": "Red", "product": PRODUCT, "seats": 3, "mode": "add"}


@pytest.fixture
def store(sqlite_warehouse) -> DashboardStore:
    store = DashboardStore(sqlite_warehouse)
    seed_teams(store)
    return store


def latest_actions(metadata) -> list[dict]:
    return [record.data for record in metadata["latest_actions"].value.records]


def test_an_action_run_records_run_id_time_action_config_and_rows_affected(store, instance):
    result = act(store, instance, "allocate_seats", ADD_THREE)

    (row,) = store.read("dashboard_audit_log").itertuples()
    assert (row.run_id, row.root_run_id) == (result.run_id, result.run_id)
    assert (row.action, row.team, row.status, row.rows_affected) == (
        "allocate_seats",
        "red",
        "applied",
        1,
    )
    assert json.loads(row.config) == {**ADD_THREE, "expires_at": None}
    assert row.recorded_at is not None


def test_a_re_execution_of_an_applied_run_applies_nothing_again(store, instance):
    first = act(store, instance, "allocate_seats", ADD_THREE)

    again = (
        team_definitions(store)
        .resolve_job_def("allocate_seats")
        .execute_in_process(
            run_config=ADD_THREE, instance=instance, tags={"dagster/root_run_id": first.run_id}
        )
    )

    assert again.success, failure_messages(again)
    assert seats_bought(store)[("red", COURSE)] == 5 + 3
    (detail,) = store.read("dashboard_audit_log")["detail"].dropna()
    assert detail.startswith(f"already applied by run {first.run_id}")
    assert audit(store) == [("allocate_seats", "applied", 1), ("allocate_seats", "applied", 0)]


def test_every_action_run_reports_the_audit_log_asset_refusals_too(store, instance):
    applied = act(store, instance, "allocate_seats", ADD_THREE)
    reported = [e.asset_key for e in applied.get_asset_materialization_events()]
    assert reported == [AUDIT_LOG_KEY, TEAMS_KEY]  # the teams too: it changed them

    act(store, instance, "rename_team", {"team": "Red", "new_name": "blue"})

    event = instance.get_latest_materialization_event(AUDIT_LOG_KEY)
    newest, older = latest_actions(event.asset_materialization.metadata)
    assert (newest["action"], newest["status"], newest["rows affected"]) == (
        "rename_team",
        "refused",
        0,
    )
    assert "exists already" in newest["detail"]
    assert older["action"] == "allocate_seats"


def test_the_audit_log_asset_shows_the_latest_actions(store, instance):
    act(store, instance, "archive_team", {"team": "Blue"})

    result = materialize([audit_log], resources={"warehouse": store._warehouse})

    metadata = result.asset_materializations_for_node("dashboard__audit_log")[0].metadata
    assert metadata["dagster/row_count"].value == 1
    ((action),) = latest_actions(metadata)
    assert (action["action"], action["team"], action["status"]) == (
        "archive_team",
        "blue",
        "applied",
    )


def test_the_audit_log_asset_follows_the_dashboard_conventions():
    spec = next(iter(audit_log.specs))

    assert spec.description and spec.kinds
    assert (spec.group_name, list(spec.owners)) == ("dashboard", [OWNER])


def test_the_team_jobs_load_with_the_refreshed_assets_and_the_audit_log(store):
    Definitions.validate_loadable(team_definitions(store))
