"""HTTP sessions for the simulator tests: authenticated on the default site, or anonymous."""

from collections.abc import Iterator

import pytest
import requests

from simulator import SimulatorServer
from tests.simulator.helpers import TimeoutSession, session_for


@pytest.fixture
def api(simulator: SimulatorServer) -> Iterator[requests.Session]:
    with session_for(simulator) as session:
        yield session


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A session without credentials (admin routes, authentication failures)."""
    with TimeoutSession() as session:
        yield session
