"""Runs of the code location with a sites file, as the Launchpad launches them: a job without
partitions (a Tools card) acts on the site its `thinkific/site` tag names, reports its change
to that site's partition, and refuses to start without a site."""

import json

import pytest

from tests.faults.harness import FAULT_SITE, command_environment, run_sync
from tests.sites.interpreter import json_of_script
from tests.sites.simulated import simulated_sites, site_warehouse_at, sites_environment

LAUNCH = """
import json, sys
from dagster import AssetKey, DagsterInstance
from pipelines.definitions import defs

tags = json.loads(sys.argv[1])
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
print(json.dumps({"success": result.success, "failures": failures, "teams": sorted(teams)}))
"""


@pytest.fixture(scope="module")
def two_synced_sites(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("site_runs")
    with simulated_sites(("acme", "globex")) as servers:
        env = command_environment(
            tmp_path / "home",
            f"sqlite:///{tmp_path / 'warehouse.db'}",
            sites_environment(tmp_path, servers),
        )
        synced = run_sync(env, timeout=240)
        assert synced.returncode == 0, synced.output[-3000:]
        yield env, tmp_path


def _launch(env: dict[str, str], tags: dict[str, str]) -> dict:
    return json_of_script(LAUNCH, env, json.dumps(tags))


def _dashboard_users(folder, site: str) -> int:
    warehouse = site_warehouse_at(f"sqlite:///{folder / 'warehouse.db'}", site)
    with warehouse.engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM dashboard_users").scalar_one()
    warehouse.dispose()
    return count


def test_a_tools_job_acts_on_the_site_its_tag_names_only(two_synced_sites):
    env, folder = two_synced_sites
    before = _dashboard_users(folder, "acme")

    launched = _launch(env, {"thinkific/site": "globex"})

    assert launched["success"], launched["failures"]
    assert _dashboard_users(folder, "globex") == FAULT_SITE.users
    assert _dashboard_users(folder, "acme") == before
    assert launched["teams"] == ["globex"]


def test_a_tools_job_without_a_site_fails_saying_how_to_name_one(two_synced_sites):
    env, _ = two_synced_sites
    launched = _launch(env, {})
    assert not launched["success"]
    assert any("thinkific/site=<site>" in failure for failure in launched["failures"]), launched
