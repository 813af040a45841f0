"""The deployment command runs the code location as production does: separate processes on a
PostgreSQL instance, runs launched by the daemon, one Thinkific step at a time across runs."""

import re

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster_graphql import DagsterGraphQLClient

from assets.failures import CAUSE
from pipelines.jobs.schedules import SYNC_JOB_NAME, nightly_thinkific_sync
from schemas.thinkific import STREAMS
from tests.deploy.deployment import open_instance, running_deployment, wait_for_runs
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

GRAPHQL_UNHURRIED = {"graphql_points_per_minute": 100_000}
"""As on the demo site: at Thinkific's GraphQL budget the certificates alone take a minute."""
FAST_SITE = {"requests_per_minute": 6000, "max_in_flight": 10, **GRAPHQL_UNHURRIED}
CODE_LOCATION = "thinkific"
EVERY_MINUTE = {"THINKIFIC_SYNC_CRON": "* * * * *"}
SCHEDULED = RunsFilter(tags={"dagster/schedule_name": nightly_thinkific_sync.name})
WRONG_KEY_RUN_BOUND_SECONDS = 30
"""A refused key is not retried: the run ends once its steps have started and failed (3 s
measured)."""
FIRST_REST_STEPS = len([s for s in STREAMS if not s.graphql and not s.depends_on])
"""The REST steps a sync starts first: those of the streams read from no other stream's table."""
REFUSED = re.compile(r"GET /\w+ was refused \(401, Authentication Error\)")


def test_the_schedule_launches_a_sync_that_loads_tables_equal_to_ground_truth(
    start_simulator, postgresql_url, tmp_path, monkeypatch
):
    site = start_simulator(**FAST_SITE)

    with (
        running_deployment(tmp_path, postgresql_url, site, **EVERY_MINUTE) as deployment,
        open_instance(deployment, monkeypatch) as instance,
    ):
        [run] = wait_for_runs(instance, SCHEDULED, 1, timeout=150, deployment=deployment)

    assert run.status == DagsterRunStatus.SUCCESS
    assert_warehouse_equals_ground_truth(deployment.warehouse(), site.ground_truth())


def _failures(instance: DagsterInstance, run_id: str) -> list[tuple[str, str]]:
    """(cause, message) of each failed step of the run, in step order."""
    failures = instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
    data = [entry.dagster_event.step_failure_data for entry in failures]
    return [(str(d.user_failure_data.metadata[CAUSE].value), d.error.message) for d in data]


def test_a_scheduled_sync_with_a_wrong_key_fails_on_the_401_and_the_next_tick_runs_again(
    start_simulator, postgresql_url, tmp_path, monkeypatch
):
    site = start_simulator(**FAST_SITE)
    wrong_key = EVERY_MINUTE | {"THINKIFIC_API_KEY": "not-the-key"}

    with (
        running_deployment(tmp_path, postgresql_url, site, **wrong_key) as deployment,
        open_instance(deployment, monkeypatch) as instance,
    ):
        [first] = wait_for_runs(instance, SCHEDULED, 1, timeout=150, deployment=deployment)
        wait_for_runs(instance, SCHEDULED, 2, 90, deployment, statuses=set(DagsterRunStatus))
        daemons = instance.get_daemon_statuses()
        failures = _failures(instance, first.run_id)
        record = instance.get_run_record_by_id(first.run_id)

    assert first.status == DagsterRunStatus.FAILURE
    # Every REST step fails on the credentials; the first 401 ends the run's REST requests.
    assert [cause for cause, _ in failures] == ["thinkific_credentials"] * FIRST_REST_STEPS
    assert all(REFUSED.search(message) for _, message in failures)
    assert record.end_time - record.start_time < WRONG_KEY_RUN_BOUND_SECONDS
    assert {name: status.healthy for name, status in daemons.items()} == dict.fromkeys(
        daemons, True
    )


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
        runs = wait_for_runs(
            instance, RunsFilter(job_name=SYNC_JOB_NAME), 2, timeout=150, deployment=deployment
        )

    stats = site.stats.snapshot()
    assert [run.status for run in runs] == [DagsterRunStatus.SUCCESS] * 2
    assert stats["served"] > RATE_LIMIT, "the two syncs must need more than one minute's limit"
    assert stats["refused"] == 0
    assert stats["max_requests_in_60s"] <= RATE_LIMIT
