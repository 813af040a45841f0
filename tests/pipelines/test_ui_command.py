"""The README's UI command serves the asset graph (the webserver answers with every asset)."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from pipelines.definitions import defs

ROOT = Path(__file__).resolve().parents[2]
ASSET_KEYS_QUERY = "{ assetNodes { assetKey { path } groupName } }"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def test_ui_command_serves_every_asset_of_the_code_location(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("THINKIFIC_")}
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    env["WAREHOUSE_URL"] = f"sqlite:///{tmp_path / 'warehouse.db'}"
    ui = subprocess.Popen(
        [sys.executable, "-m", "pipelines.ui", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        nodes = _asset_nodes(f"http://127.0.0.1:{port}/graphql", time.monotonic() + 120)
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        ui.wait(timeout=30)
    served = {"/".join(node["assetKey"]["path"]) for node in nodes}
    expected = {node.key.to_user_string() for node in defs.resolve_asset_graph().asset_nodes}
    assert served == expected
    assert {node["groupName"] for node in nodes} >= {"thinkific"}
