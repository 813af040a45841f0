"""The deployment command (`make deploy`) run for a test, on a fresh database.

One PostgreSQL database per test holds the Dagster instance (schema `public`) and the warehouse
(schema `thinkific`); the deployment talks to a simulator the test started, so the test can read
its counters and ground truth. `open_instance` opens the same instance in the test process.
"""

import os
import socket
import subprocess
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

from pipelines.commands.demo_site import demo_environment
from pipelines.commands.deploy_probes import webserver_is_answering
from resources.warehouse import WarehouseResource
from simulator import SimulatorServer
from tests.process_tree import ctrl_c_unless_exited, make

ROOT = Path(__file__).resolve().parents[2]
WAREHOUSE_SCHEMA = "thinkific"
STARTUP_TIMEOUT_SECONDS = 90
STOPPED = "Deployment stopped"
"""What the command prints once a Ctrl-C or a SIGTERM has stopped everything it started."""
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def instance_database_env(database_url: str) -> dict[str, str]:
    """The DAGSTER_PG_* variables `deploy/dagster.yaml` reads, for the database of the URL."""
    url = sa.make_url(database_url)
    return {
        "DAGSTER_PG_HOST": url.host or "127.0.0.1",
        "DAGSTER_PG_PORT": str(url.port or 5432),
        "DAGSTER_PG_USER": url.username or "postgres",
        "DAGSTER_PG_PASSWORD": url.password or "",
        "DAGSTER_PG_DB": url.database or "",
    }


@dataclass
class Deployment:
    process: subprocess.Popen[str]
    home: Path
    log: Path
    webserver_port: int
    code_server_port: int
    database_url: str

    @property
    def webserver_url(self) -> str:
        return f"http://127.0.0.1:{self.webserver_port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def warehouse(self) -> WarehouseResource:
        return WarehouseResource(url=self.database_url, schema_name=WAREHOUSE_SCHEMA)


@contextmanager
def running_deployment(
    tmp_path: Path, database_url: str, site: SimulatorServer, **settings: str
) -> Iterator[Deployment]:
    """Starts `make deploy` against `site`, in a session of its own, and waits until its UI
    answers; when the block ends, stops it with a Ctrl-C unless the test did, and checks that
    the command stopped cleanly. `settings` are extra environment variables."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("THINKIFIC_", "DAGSTER_", "WAREHOUSE_"))
    }
    environment |= demo_environment(site) | instance_database_env(database_url) | settings
    environment |= {"WAREHOUSE_URL": database_url, "WAREHOUSE_SCHEMA": WAREHOUSE_SCHEMA}
    port, code_server_port = free_port(), free_port()
    home, log = tmp_path / "dagster_home", tmp_path / "deployment.log"
    arguments = f"--home {home} --port {port} --code-server-port {code_server_port}"
    with log.open("w") as output:
        process = subprocess.Popen(
            make("deploy", arguments),
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    deployment = Deployment(process, home, log, port, code_server_port, database_url)
    try:
        _wait_until(
            lambda: webserver_is_answering(deployment.webserver_url),
            STARTUP_TIMEOUT_SECONDS,
            deployment,
        )
        yield deployment
    finally:
        ctrl_c_unless_exited(process)
    # make exits by the signal it got whatever the command's status; the command's own last words
    # say whether it stopped as asked.
    assert STOPPED in deployment.output().splitlines(), (
        f"the deployment did not stop cleanly:\n{deployment.output()[-4000:]}"
    )


@contextmanager
def open_instance(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DagsterInstance]:
    """The deployment's Dagster instance, opened from its home in this process."""
    for name, value in instance_database_env(deployment.database_url).items():
        monkeypatch.setenv(name, value)
    with DagsterInstance.from_config(str(deployment.home)) as instance:
        yield instance


def wait_for_runs(
    instance: DagsterInstance,
    runs: RunsFilter,
    count: int,
    timeout: float,
    deployment: Deployment,
    statuses: Collection[DagsterRunStatus] = FINISHED,
) -> list[DagsterRun]:
    """The first `count` runs matching the filter, once each of them is in one of `statuses`
    (by default, once all of them have finished)."""

    def reached() -> list[DagsterRun]:
        matching = instance.get_runs(filters=runs, ascending=True)[:count]
        return (
            matching
            if len(matching) == count and all(run.status in statuses for run in matching)
            else []
        )

    _wait_until(lambda: bool(reached()), timeout, deployment)
    return reached()


def _wait_until(condition: Callable[[], bool], timeout: float, deployment: Deployment) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if deployment.process.poll() is not None:
            pytest.fail(f"the deployment exited early:\n{deployment.output()[-4000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s:\n{deployment.output()[-4000:]}")
        time.sleep(1)
