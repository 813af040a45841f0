"""A local Thinkific: the REST Admin API v1 over real HTTP, with its rate limit and its faults.

with SimulatorServer(SimulatorConfig(users=1203)) as sim:
    requests.get(sim.base_url + "/users", headers=sim.auth_headers)
"""

from simulator.config import SimulatorConfig
from simulator.faults import Fault
from simulator.server import SimulatorServer

__all__ = ["Fault", "SimulatorConfig", "SimulatorServer"]
