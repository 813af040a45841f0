"""The deployment command (`make deploy`) refuses to start beside a server already on its ports,
and a SIGTERM or a Ctrl-C stops every process it started, a running sync's included, within
10 s."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.commands.deploy_probes import port_is_free
from tests.deploy.deployment import free_port, running_deployment
from tests.process_tree import STOPS, Stop, unnamed
from tests.stop_during_sync import RUN_WORKER, stop_during_a_sync

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CODE_LOCATION = "thinkific"
SLOW_SITE = {"requests_per_minute": 12}
"""A request every 5 s: the sync is still running when the test stops the deployment."""
PARTS = [
    "make deploy",
    "uv run",
    "-m pipelines.deploy",
    "process_groups.py",  # the supervisor's watchdog
    "dagster api grpc",
    "dagster-daemon",
    "dagster-webserver",
    RUN_WORKER,
]
"""What the command lines of the deployment's processes hold, one part each."""


def test_the_command_refuses_a_port_already_taken_before_touching_anything(tmp_path):
    # A server already there would answer the readiness checks in place of the one starting.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [
            sys.executable, "-m", "pipelines.deploy", "--home", str(tmp_path / "home"),
            "--port", str(port), "--code-server-port", str(free_port()),
        ]  # fmt: skip
        refused = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert refused.returncode != 0
    assert f"port {port} of the webserver is taken" in refused.stderr
    assert not (tmp_path / "home").exists()


@pytest.mark.postgres
@pytest.mark.parametrize("stop", STOPS)
def test_every_process_of_the_deployment_is_gone_within_10_s_of(
    stop: Stop, start_simulator, postgresql_url, tmp_path
):
    site = start_simulator(**SLOW_SITE)

    with running_deployment(tmp_path, postgresql_url, site) as deployment:
        port = deployment.webserver_port
        started = stop_during_a_sync(deployment.process.pid, port, CODE_LOCATION, stop)

    assert unnamed(PARTS, started) == []
    assert port_is_free("127.0.0.1", deployment.webserver_port)
    assert port_is_free("127.0.0.1", deployment.code_server_port)
