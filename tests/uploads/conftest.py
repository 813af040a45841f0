"""Fixtures of the upload tests: dashboard stores on a seeded warehouse, an uploads folder."""

from pathlib import Path

import pytest

from resources.dashboard.store import DashboardStore
from resources.uploads.resource import UploadsResource
from resources.warehouse import WarehouseResource
from tests.uploads.seed import seed_thinkific


@pytest.fixture
def store(warehouse: WarehouseResource) -> DashboardStore:
    """The dashboard tables on a seeded warehouse, once on SQLite and once on PostgreSQL."""
    seed_thinkific(warehouse)
    return DashboardStore(warehouse)


@pytest.fixture
def sqlite_store(sqlite_warehouse: WarehouseResource) -> DashboardStore:
    """The dashboard tables on a seeded SQLite warehouse."""
    seed_thinkific(sqlite_warehouse)
    return DashboardStore(sqlite_warehouse)


@pytest.fixture
def uploads(tmp_path: Path) -> UploadsResource:
    """An uploads folder in the test's directory; files count as written at once."""
    return UploadsResource(folder=str(tmp_path / "uploads"), settle_seconds=0)
