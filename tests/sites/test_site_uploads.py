"""CSV uploads with a sites file: a file dropped in a site's own folder (`<UPLOADS_DIR>/<site>/
users/`) becomes a partition naming the site, and its run imports into that site's tables
only, reporting the teams it changed on that site's partition. In a fresh interpreter, as the
code server loads the code location."""

import os
import time

import pytest

from tests.sites.interpreter import json_of_script
from tests.sites.simulated import site_warehouse_at

SITES = """sites:
  - name: acme
    subdomain: acme
    api_key_env: ACME_KEY
  - name: globex
    subdomain: globex
    api_key_env: GLOBEX_KEY
"""
STAFF = "name,email,team\nAda Lovelace,ada@example.com,Analytics\n"

DROP_AND_RUN = """
import json
from dagster import AssetKey, DagsterInstance, build_sensor_context
from pipelines.definitions import defs
from resources.uploads.resource import uploads_resource

repository = defs.get_repository_def()
with DagsterInstance.get() as instance:
    sensor = defs.resolve_sensor_def("upload_files")
    with build_sensor_context(
        instance=instance, resources={"uploads": uploads_resource()}, repository_def=repository
    ) as context:
        result = sensor(context)
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
    (run,) = result.run_requests
    job = repository.get_implicit_job_def_for_assets(run.asset_selection)
    ran = job.execute_in_process(
        asset_selection=run.asset_selection,
        partition_key=run.partition_key,
        tags=run.tags,
        instance=instance,
        raise_on_error=False,
    )
    teams = instance.get_materialized_partitions(AssetKey(["dashboard", "teams"]))
print(json.dumps({
    "key": run.partition_key, "tags": dict(run.tags), "success": ran.success,
    "teams": sorted(teams),
}))
"""


@pytest.fixture(scope="module")
def dropped(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site_uploads")
    (folder / "sites.yaml").write_text(SITES, encoding="utf-8")
    staff = folder / "uploads" / "globex" / "users" / "staff.csv"
    staff.parent.mkdir(parents=True)
    staff.write_text(STAFF, encoding="utf-8")
    settled = time.time() - 60  # written a minute ago: the sensor takes settled files only
    os.utime(staff, (settled, settled))
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "THINKIFIC_SITES_FILE": str(folder / "sites.yaml"),
        "ACME_KEY": "acme-key",
        "GLOBEX_KEY": "globex-key",
        "WAREHOUSE_URL": f"sqlite:///{folder / 'warehouse.db'}",
        "UPLOADS_DIR": str(folder / "uploads"),
        "DAGSTER_HOME": str(folder),
    }
    return json_of_script(DROP_AND_RUN, env), folder


def test_the_partition_of_a_sites_file_names_the_site(dropped):
    ran, _ = dropped
    assert ran["key"].startswith("globex/staff-")
    assert ran["tags"]["thinkific/site"] == "globex"


def test_the_file_is_imported_into_its_sites_tables_only(dropped):
    ran, folder = dropped
    assert ran["success"]
    globex = site_warehouse_at(f"sqlite:///{folder / 'warehouse.db'}", "globex")
    with globex.engine.connect() as connection:
        emails = connection.exec_driver_sql("SELECT email FROM dashboard_users").scalars().all()
    globex.dispose()
    assert emails == ["ada@example.com"]
    assert not (folder / "warehouse.acme.db").exists()


def test_the_teams_it_changed_are_reported_on_its_sites_partition(dropped):
    ran, _ = dropped
    assert ran["teams"] == ["globex"]
