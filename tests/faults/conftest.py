"""Fixtures of the fault matrix: a small simulated site, and a warehouse already synced from it."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator import SimulatorServer
from tests.faults.harness import FAULT_SITE, command_environment, run_sync, site_environment


@pytest.fixture
def fault_site() -> Iterator[SimulatorServer]:
    """A fresh simulated site for one test (its faults and counters are its own)."""
    with SimulatorServer(FAULT_SITE, host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture(scope="session")
def synced_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite warehouse after one clean sync of `FAULT_SITE` (the same data on every start)."""
    base = tmp_path_factory.mktemp("synced")
    database = base / "warehouse.db"
    with SimulatorServer(FAULT_SITE, host="127.0.0.1", port=0) as server:
        env = command_environment(base / "home", f"sqlite:///{database}", site_environment(server))
        outcome = run_sync(env)
    assert outcome.returncode == 0, outcome.output[-3000:]
    return database


@pytest.fixture
def synced_warehouse(synced_template: Path, tmp_path: Path) -> Path:
    """A copy of the synced warehouse for one test to change."""
    database = tmp_path / "warehouse.db"
    for suffix in ("", "-wal", "-shm"):
        source = synced_template.with_name(synced_template.name + suffix)
        if source.exists():
            shutil.copyfile(source, database.with_name(database.name + suffix))
    return database
