"""The code location loaded with a sites file, in a fresh interpreter as a code server loads it:
every Thinkific and dashboard asset partitioned by site, schedules per site in its timezone,
the Thinkific steps out of the one-step pool, every sensor there."""

import pytest

from tests.sites.interpreter import json_of_script

SITES = """sites:
  - name: acme
    subdomain: acme
    api_key_env: ACME_KEY
    timezone: Europe/Berlin
  - name: globex
    subdomain: globex
    api_key_env: GLOBEX_KEY
    timezone: America/New_York
"""

DESCRIBE = """
import json
from dagster import build_schedule_context, build_sensor_context, DagsterInstance
from dagster._core.remote_representation.external_data import RepositorySnap
from pipelines.definitions import defs

graph = defs.resolve_asset_graph()
repository = defs.get_repository_def()
snapshot = RepositorySnap.from_def(repository)  # what a code server sends the UI
schedules = {}
for schedule in defs.schedules:
    context = build_schedule_context(repository_def=repository)
    (request,) = schedule.evaluate_tick(context).run_requests
    schedules[schedule.name] = {
        "timezone": schedule.execution_timezone,
        "cron": schedule.cron_schedule,
        "partition": request.partition_key,
        "tags": dict(request.tags),
    }
expiries = defs.resolve_sensor_def("seat_expiries")
with DagsterInstance.ephemeral() as instance:
    context = build_sensor_context(instance=instance, repository_def=repository)
    tick = expiries.evaluate_tick(context)
print(json.dumps({
    "partitions": {
        key.to_user_string(): graph.get(key).partitions_def.get_partition_keys()
        for key in graph.get_all_asset_keys()
        if key.path[0] in ("thinkific", "dashboard")
    },
    "pools": {
        key.to_user_string(): graph.get(key).pools
        for key in graph.get_all_asset_keys() if key.path[0] == "thinkific"
    },
    "schedules": schedules,
    "sensors": sorted(sensor.name for sensor in defs.sensors),
    "jobs": sorted(j.name for j in repository.get_all_jobs() if not j.name.startswith("__")),
    "expiry_requests": len(tick.run_requests or []),
    "expiry_skip": tick.skip_message,
    "snapshot_jobs": sorted(j.name for j in snapshot.job_datas if not j.name.startswith("__")),
}, default=sorted))
"""


@pytest.fixture(scope="module")
def described(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site_definitions")
    (folder / "sites.yaml").write_text(SITES, encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "THINKIFIC_SITES_FILE": str(folder / "sites.yaml"),
        "WAREHOUSE_URL": f"sqlite:///{folder / 'warehouse.db'}",
        "DAGSTER_HOME": str(folder),
    }
    return json_of_script(DESCRIBE, env)


def test_every_thinkific_and_dashboard_asset_is_partitioned_by_site(described):
    partitions = described["partitions"]
    assert len(partitions) == 18
    assert all(keys == ["acme", "globex"] for keys in partitions.values())


def test_each_site_has_its_nightly_sync_and_reconciliation_in_its_own_timezone(described):
    schedules = described["schedules"]
    assert set(schedules) == {
        f"{kind}__{site}"
        for kind in ("nightly_thinkific_sync", "weekly_thinkific_reconciliation")
        for site in ("acme", "globex")
    }
    assert schedules["nightly_thinkific_sync__acme"]["timezone"] == "Europe/Berlin"
    assert schedules["nightly_thinkific_sync__globex"]["timezone"] == "America/New_York"
    assert schedules["nightly_thinkific_sync__globex"]["cron"] == "0 2 * * *"
    for name, schedule in schedules.items():
        assert schedule["partition"] == name.rsplit("__", 1)[1]
    assert schedules["weekly_thinkific_reconciliation__acme"]["tags"]["thinkific/full_refresh"]
    assert "thinkific/full_refresh" not in schedules["nightly_thinkific_sync__acme"]["tags"]


def test_no_thinkific_step_is_held_in_the_one_step_pool(described):
    assert all(not pools for pools in described["pools"].values())


def test_every_sensor_of_the_single_site_code_location_is_there(described):
    assert described["sensors"] == [
        "dashboard_follows_upstream",
        "import_complete_notice",
        "import_failed_notice",
        "seat_expiries",
        "thinkific_webhook_events",
        "upload_files",
    ]


def test_the_seat_expiry_sensor_looks_at_every_sites_warehouse(described):
    assert described["expiry_requests"] == 0
    assert described["expiry_skip"] == "Nothing has expired since seat usage was last calculated."


def test_the_code_location_serves_every_job_to_the_ui(described):
    assert described["snapshot_jobs"] == described["jobs"]
