"""A sync run in progress, launched through a running Dagster webserver as the Launchpad does."""

import time

from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient

from pipelines.schedules import SYNC_JOB_NAME

POLL_SECONDS = 0.5
RUN_WORKER = "multiprocessing.spawn"
"""In the command line of a run worker: the code server starts each run as a process of Python's
multiprocessing."""


def sync_in_progress(webserver_port: int, code_location: str, timeout: float) -> None:
    """Launches the sync job and returns once its run worker reports the run started."""
    client = DagsterGraphQLClient("127.0.0.1", port_number=webserver_port)
    run_id = client.submit_job_execution(SYNC_JOB_NAME, repository_location_name=code_location)
    deadline = time.monotonic() + timeout
    while (status := client.get_run_status(run_id)) != DagsterRunStatus.STARTED:
        assert status in {DagsterRunStatus.QUEUED, DagsterRunStatus.STARTING}, (
            f"the sync is {status.value} before it could be seen running"
        )
        assert time.monotonic() < deadline, f"the sync did not start within {timeout} s"
        time.sleep(POLL_SECONDS)
