"""The README's UI command (`make ui`) serves the asset graph, and a SIGTERM or a Ctrl-C stops
every process it started, a running sync's included, within 10 s."""

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from pipelines.commands.deploy_probes import port_is_free
from pipelines.definitions import defs
from tests.process_tree import STOPS, Stop, ctrl_c_unless_exited, make, unnamed
from tests.stop_during_sync import RUN_WORKER, stop_during_a_sync

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ASSET_KEYS_QUERY = "{ assetNodes { assetKey { path } groupName } }"
STARTUP_TIMEOUT_SECONDS = 120
CODE_LOCATION = "pipelines.definitions"
"""The location `workspace.yaml` names after its module."""
PARTS = [
    "make ui",
    "uv run",
    "-m pipelines.ui",
    "process_groups.py",  # the supervisor's watchdog
    "dagster dev",
    "dagster code-server",
    "dagster api grpc",
    "dagster._daemon",
    "dagster_webserver",
    RUN_WORKER,
]
"""What the command lines of the UI command's processes hold, one part each."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class UI:
    process: subprocess.Popen[bytes]
    port: int
    asset_nodes: list[dict]


def _asset_nodes(url: str, deadline: float) -> list[dict]:
    while time.monotonic() < deadline:
        try:
            answer = requests.post(url, json={"query": ASSET_KEYS_QUERY}, timeout=5)
            nodes = answer.json().get("data", {}).get("assetNodes")
            if nodes:
                return nodes
        except (requests.ConnectionError, requests.Timeout, ValueError):
            pass
        time.sleep(1)
    raise AssertionError("the Dagster UI did not serve the asset graph in time")


@contextmanager
def running_ui(tmp_path: Path) -> Iterator[UI]:
    """`make ui` on a free port, on the demo simulator (no THINKIFIC_* set), with DAGSTER_HOME
    and the warehouse in tmp_path, in a session of its own; yields once the asset graph is
    served, and stops it with a Ctrl-C unless the test did."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("THINKIFIC_")}
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    env["WAREHOUSE_URL"] = f"sqlite:///{tmp_path / 'warehouse.db'}"
    ui = subprocess.Popen(
        make("ui", f"-h 127.0.0.1 -p {port}"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        yield UI(ui, port, _asset_nodes(f"http://127.0.0.1:{port}/graphql", deadline))
    finally:
        ctrl_c_unless_exited(ui)


def test_ui_command_serves_every_asset_of_the_code_location(tmp_path):
    with running_ui(tmp_path) as ui:
        served = {"/".join(node["assetKey"]["path"]) for node in ui.asset_nodes}

    expected = {node.key.to_user_string() for node in defs.resolve_asset_graph().asset_nodes}
    assert served == expected
    assert {node["groupName"] for node in ui.asset_nodes} >= {"thinkific"}


@pytest.mark.parametrize("stop", STOPS)
def test_every_process_of_the_ui_command_is_gone_within_10_s_of(stop: Stop, tmp_path):
    with running_ui(tmp_path) as ui:
        started = stop_during_a_sync(ui.process.pid, ui.port, CODE_LOCATION, stop)

    assert unnamed(PARTS, started) == []
    assert port_is_free("127.0.0.1", ui.port)
