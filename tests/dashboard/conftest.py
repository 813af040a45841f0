"""Fixtures of the dashboard tests: a store on each warehouse database, and the Tools code
location assembled as `pipelines/definitions.py` assembles it."""

from collections.abc import Callable, Iterator

import pytest
from dagster import DagsterInstance, Definitions

from assets.dashboard.derived import dashboard_assets, dashboard_checks
from assets.thinkific.checks import thinkific_checks
from assets.thinkific.rest import thinkific_assets
from pipelines.jobs.tools import tools_jobs
from pipelines.sensors.notifications import notification_sensors
from resources.dashboard.notifications import NotificationResource
from resources.dashboard.store import DashboardStore
from resources.warehouse import WarehouseResource
from simulator import SimulatorServer
from tests.pipelines.sync_harness import thinkific_for

ADMIN = "admin@example.com"


@pytest.fixture
def store(warehouse: WarehouseResource) -> DashboardStore:
    """The dashboard tables on an empty warehouse, once on SQLite and once on PostgreSQL."""
    return DashboardStore(warehouse)


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


def tools_definitions(
    sim: SimulatorServer,
    warehouse: WarehouseResource,
    notifications: NotificationResource | None = None,
) -> Definitions:
    """Every asset, check, Tools job and sensor, with resources pointing at the simulator."""
    return Definitions(
        assets=[*thinkific_assets, *dashboard_assets],
        asset_checks=[*thinkific_checks, *dashboard_checks],
        jobs=tools_jobs,
        sensors=notification_sensors,
        resources={
            "thinkific": thinkific_for(sim, requests_per_minute=6000),
            "warehouse": warehouse,
            "notifications": notifications or NotificationResource(admin_email=ADMIN),
        },
    )


@pytest.fixture
def site(start_simulator: Callable[..., SimulatorServer]) -> SimulatorServer:
    """A small site with a generous rate limit, so pushes do not wait."""
    return start_simulator(requests_per_minute=6000, users=30, groups=3, enrollments=40)
