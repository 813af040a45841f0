"""The deployment command runs the code location as production does: separate processes on a
PostgreSQL instance, runs launched by the daemon, one Thinkific step at a time across runs."""

import pytest
from dagster import DagsterRunStatus, RunsFilter
from dagster_graphql import DagsterGraphQLClient

from pipelines.schedules import SYNC_JOB_NAME, nightly_thinkific_sync
from tests.deploy.deployment import open_instance, running_deployment, wait_for_finished_runs
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth

pytestmark = pytest.mark.postgres

GRAPHQL_UNHURRIED = {"graphql_points_per_minute": 100_000}
"""As on the demo site: at Thinkific's GraphQL budget the certificates alone take a minute."""
FAST_SITE = {"requests_per_minute": 6000, "max_in_flight": 10, **GRAPHQL_UNHURRIED}
CODE_LOCATION = "thinkific"


def test_the_schedule_launches_a_sync_that_loads_tables_equal_to_ground_truth(
    start_simulator, postgresql_url, tmp_path, monkeypatch
):
    site = start_simulator(**FAST_SITE)
    every_minute = {"THINKIFIC_SYNC_CRON": "* * * * *"}

    with (
        running_deployment(tmp_path, postgresql_url, site, **every_minute) as deployment,
        open_instance(deployment, monkeypatch) as instance,
    ):
        scheduled = RunsFilter(tags={"dagster/schedule_name": nightly_thinkific_sync.name})
        [run] = wait_for_finished_runs(instance, scheduled, 1, timeout=150, deployment=deployment)

    assert run.status == DagsterRunStatus.SUCCESS
    assert_warehouse_equals_ground_truth(deployment.warehouse(), site.ground_truth())


RATE_LIMIT = 120
BUSY_SITE = {"requests_per_minute": RATE_LIMIT, "groups": 30, **GRAPHQL_UNHURRIED}
"""Each sync makes 7 + 2 x groups requests: two syncs together need more than a minute's limit."""


def test_two_syncs_at_once_stay_together_under_the_site_rate_limit(
    start_simulator, postgresql_url, tmp_path, monkeypatch
):
    site = start_simulator(**BUSY_SITE)

    with (
        running_deployment(tmp_path, postgresql_url, site) as deployment,
        open_instance(deployment, monkeypatch) as instance,
    ):
        client = DagsterGraphQLClient("127.0.0.1", port_number=deployment.webserver_port)
        for _ in range(2):
            client.submit_job_execution(SYNC_JOB_NAME, repository_location_name=CODE_LOCATION)
        runs = wait_for_finished_runs(
            instance, RunsFilter(job_name=SYNC_JOB_NAME), 2, timeout=150, deployment=deployment
        )

    stats = site.stats.snapshot()
    assert [run.status for run in runs] == [DagsterRunStatus.SUCCESS] * 2
    assert stats["served"] > RATE_LIMIT, "the two syncs must need more than one minute's limit"
    assert stats["refused"] == 0
    assert stats["max_requests_in_60s"] <= RATE_LIMIT
