"""The README's main command: with no credentials it syncs the demo site and prints a summary."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.commands.demo_site import DEMO_SITE
from resources.warehouse import WarehouseResource
from simulator import SimulatorServer
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_main_command_syncs_the_demo_site_into_tables_equal_to_ground_truth(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("THINKIFIC_")}
    env["WAREHOUSE_URL"] = f"sqlite:///{tmp_path / 'warehouse.db'}"
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    result = subprocess.run(
        [sys.executable, "-m", "pipelines"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "local simulator's demo site" in result.stdout
    assert "Sync succeeded" in result.stdout
    # Not a terminal: one line per asset and the summary, not Dagster's event log.
    assert len((result.stdout + result.stderr).splitlines()) < 60
    for table in ("thinkific_users", "thinkific_enrollments", "thinkific_group_memberships"):
        assert table in result.stdout, f"summary table lacks {table}"

    with SimulatorServer(DEMO_SITE, host="127.0.0.1", port=0) as demo:
        truth = demo.ground_truth()
    assert_warehouse_equals_ground_truth(WarehouseResource(url=env["WAREHOUSE_URL"]), truth)
