"""Runs of the code location with a sites file, as the Launchpad launches them: a job without
partitions (a Tools card) acts on the site its `thinkific/site` tag names, reports its change
to that site's partition, and refuses to start without a site."""

import json

import pytest

from tests.faults.harness import FAULT_SITE
from tests.sites.interpreter import json_of_script
from tests.sites.simulated import site_warehouse_at, synced_sites

LAUNCH = """
import json, sys
from dagster import AssetKey, DagsterInstance, build_run_status_sensor_context
from pipelines.definitions import defs

tags = json.loads(sys.argv[1])
repository = defs.get_repository_def()
with DagsterInstance.get() as instance:
    result = defs.resolve_job_def("import_users_from_thinkific").execute_in_process(
        run_config={}, tags=tags, instance=instance, raise_on_error=False
    )
    failures = [
        event.event_specific_data.error.message
        for event in result.all_events
        if getattr(event.event_specific_data, "error", None) is not None
    ]
    teams = instance.get_materialized_partitions(AssetKey(["dashboard", "teams"]))
    name = "import_complete_notice" if result.success else "import_failed_notice"
    event = result.get_run_success_event() if result.success else result.get_run_failure_event()
    with build_run_status_sensor_context(
        sensor_name=name,
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"notifications": repository.get_top_level_resources()["notifications"]},
    ) as context:
        sensor = defs.resolve_sensor_def(name)
        notice = sensor(context if result.success else context.for_run_failure())
print(json.dumps({
    "success": result.success, "failures": failures, "teams": sorted(teams),
    "notice_skipped": getattr(notice, "skip_message", None),
}))
"""


@pytest.fixture(scope="module")
def two_synced_sites(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("site_runs")
    admin = {"DASHBOARD_ADMIN_EMAIL": "admin@example.com"}
    with synced_sites(tmp_path, ("acme", "globex"), **admin) as (_, env):
        yield env, tmp_path


def _launch(env: dict[str, str], tags: dict[str, str]) -> dict:
    return json_of_script(LAUNCH, env, json.dumps(tags))


def _rows(folder, site: str, table: str) -> int:
    warehouse = site_warehouse_at(f"sqlite:///{folder / 'warehouse.db'}", site)
    with warehouse.engine.connect() as connection:
        count = connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()  # noqa: S608
    warehouse.dispose()
    return count


def test_a_tools_job_acts_on_the_site_its_tag_names_only(two_synced_sites):
    env, folder = two_synced_sites
    before = _rows(folder, "acme", "dashboard_users")

    launched = _launch(env, {"thinkific/site": "globex"})

    assert launched["success"], launched["failures"]
    assert _rows(folder, "globex", "dashboard_users") == FAULT_SITE.users
    assert _rows(folder, "acme", "dashboard_users") == before
    assert launched["teams"] == ["globex"]
    assert _rows(folder, "globex", "dashboard_notification_outbox") == 1
    assert _rows(folder, "acme", "dashboard_notification_outbox") == 0


def test_a_tools_job_without_a_site_fails_saying_how_to_name_one(two_synced_sites):
    env, _ = two_synced_sites
    launched = _launch(env, {})
    assert not launched["success"]
    assert any("thinkific/site=<site>" in failure for failure in launched["failures"]), launched
    assert "names no site" in launched["notice_skipped"]
