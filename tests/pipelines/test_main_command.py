"""The README's main command on a fresh checkout with the default settings: with no key it syncs
the demo site into a warehouse of its own, `.data/demo.db`; then a real site, once its key is set,
lands in `.data/warehouse.db` from empty tables, and the demo's rows stay where they were."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.commands.demo_site import DEMO_SITE
from resources.warehouse import WarehouseResource
from simulator import SimulatorConfig, SimulatorServer
from tests.faults.harness import site_environment, table_contents
from tests.pipelines.ground_truth import assert_warehouse_equals_ground_truth

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NOT_THE_PROJECT = (".git", ".venv", ".tools", ".data", ".dagster_home", "tests", "benchmarks")
REAL_SITE = SimulatorConfig(
    seed=11, subdomain="acme", api_key="acme-key", users=40, enrollments=120, courses=5
)


def fresh_checkout(folder: Path) -> Path:
    """The project's code in `folder`, as a clone has it: no warehouse, no Dagster home."""
    shutil.copytree(
        ROOT, folder, ignore=shutil.ignore_patterns(*NOT_THE_PROJECT, "__pycache__", "*.db*")
    )
    return folder


def main_command(project: Path, settings: dict[str, str]) -> subprocess.CompletedProcess:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("THINKIFIC_", "WAREHOUSE_", "DAGSTER_"))
    }
    env |= {"DAGSTER_HOME": str(project / ".dagster_home"), **settings}
    return subprocess.run(
        [sys.executable, "-m", "pipelines"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_demo_then_a_real_site_each_land_in_a_warehouse_of_their_own(tmp_path):
    project = fresh_checkout(tmp_path / "project")
    # As `set -a; . ./.env` leaves a copied .env.example: the key blank, a subdomain typed in.
    demo = main_command(project, {"THINKIFIC_API_KEY": "", "THINKIFIC_SUBDOMAIN": "acme"})

    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "local simulator's demo site" in demo.stdout
    assert "THINKIFIC_API_KEY is empty: treated as not set" in demo.stderr
    assert "Ignored while the demo site runs: THINKIFIC_SUBDOMAIN" in demo.stderr
    assert "Sync succeeded" in demo.stdout
    # Not a terminal: one line per asset and the summary, not Dagster's event log.
    assert len((demo.stdout + demo.stderr).splitlines()) < 60
    demo_db = project / ".data" / "demo.db"
    with SimulatorServer(DEMO_SITE, host="127.0.0.1", port=0) as server:
        assert_warehouse_equals_ground_truth(
            WarehouseResource(url=f"sqlite:///{demo_db}"), server.ground_truth()
        )
    demo_rows = table_contents(demo_db)

    with SimulatorServer(REAL_SITE, host="127.0.0.1", port=0) as real:
        synced = main_command(project, site_environment(real))
        truth = real.ground_truth()

    assert synced.returncode == 0, synced.stdout[-3000:] + synced.stderr[-3000:]
    assert "Thinkific site 'acme'" in synced.stdout
    warehouse = WarehouseResource(url=f"sqlite:///{project / '.data' / 'warehouse.db'}")
    assert_warehouse_equals_ground_truth(warehouse, truth)
    assert table_contents(demo_db) == demo_rows
