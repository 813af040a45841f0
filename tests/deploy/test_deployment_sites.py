"""`make deploy` with a sites file: runs of different sites side by side, the run queue holding
a second run of one site until the first has ended, each site's tables its own."""

import pytest
from dagster import DagsterRunStatus, RunsFilter
from dagster_graphql import DagsterGraphQLClient

from pipelines.jobs.schedules import SYNC_JOB_NAME
from resources.warehouse import WarehouseResource
from tests.deploy.deployment import (
    WAREHOUSE_SCHEMA,
    open_instance,
    running_deployment,
    wait_for_runs,
)
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth
from tests.sites.simulated import simulated_sites, sites_environment

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SITE = {"users": 40, "enrollments": 80, "latency_ms": 700}
"""Small, with real page times: a run reads for several seconds, long enough to overlap."""


@pytest.fixture
def servers():
    with simulated_sites(("acme", "globex"), **SITE) as running:
        yield running


def test_sites_run_side_by_side_and_one_site_runs_once_at_a_time(
    servers, postgresql_url, tmp_path, monkeypatch
):
    settings = sites_environment(tmp_path, servers)
    with (
        running_deployment(tmp_path, postgresql_url, servers["acme"], **settings) as deployment,
        open_instance(deployment, monkeypatch) as instance,
    ):
        client = DagsterGraphQLClient("127.0.0.1", port_number=deployment.webserver_port)
        for site in ("acme", "acme", "globex"):
            client.submit_job_execution(
                SYNC_JOB_NAME,
                repository_location_name="thinkific",
                tags={"dagster/partition": site},
            )
        runs = wait_for_runs(
            instance, RunsFilter(job_name=SYNC_JOB_NAME), 3, timeout=240, deployment=deployment
        )
        records = {run.run_id: instance.get_run_record_by_id(run.run_id) for run in runs}

    statuses = [run.status for run in runs]
    assert statuses == [DagsterRunStatus.SUCCESS] * 3, deployment.output()[-3000:]
    spans = {
        run.run_id: (
            run.tags["dagster/partition"],
            records[run.run_id].start_time,
            records[run.run_id].end_time,
        )
        for run in runs
    }
    acme = sorted((start, end) for site, start, end in spans.values() if site == "acme")
    (globex,) = [(start, end) for site, start, end in spans.values() if site == "globex"]
    assert acme[0][1] <= acme[1][0], "two runs of one site ran at once"
    assert globex[0] < acme[0][1] and acme[0][0] < globex[1], "globex waited for acme"
    for name, server in servers.items():
        warehouse = WarehouseResource(url=postgresql_url, schema_name=f"{WAREHOUSE_SCHEMA}_{name}")
        assert_warehouse_equals_ground_truth(warehouse, server.ground_truth())
        warehouse.dispose()
