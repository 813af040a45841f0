"""A Dagster command stopped while a sync runs: the sync launched through its webserver as the
Launchpad does, then the command stopped as a user stops it."""

import time

from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient

from pipelines.jobs.schedules import SYNC_JOB_NAME
from tests.process_tree import Stop, stop_and_wait

POLL_SECONDS = 0.5
SYNC_START_TIMEOUT_SECONDS = 60
RUN_WORKER = "multiprocessing.spawn"
"""In the command line of a run worker: the code server starts each run as a process of Python's
multiprocessing."""


def stop_during_a_sync(command: int, webserver_port: int, code_location: str, stop: Stop) -> str:
    """Launches the sync, and once its run worker reports it started, stops the command and waits
    until every process it had started is gone (`stop_and_wait`); returns their command lines."""
    client = DagsterGraphQLClient("127.0.0.1", port_number=webserver_port)
    run_id = client.submit_job_execution(SYNC_JOB_NAME, repository_location_name=code_location)
    deadline = time.monotonic() + SYNC_START_TIMEOUT_SECONDS
    while (status := client.get_run_status(run_id)) != DagsterRunStatus.STARTED:
        assert status in {DagsterRunStatus.QUEUED, DagsterRunStatus.STARTING}, (
            f"the sync is {status.value} before it could be seen running"
        )
        assert time.monotonic() < deadline, "the sync did not start in time"
        time.sleep(POLL_SECONDS)
    return "\n".join(stop_and_wait(command, stop))
