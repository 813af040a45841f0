"""A local Thinkific: the REST Admin API v1 over real HTTP, with its rate limit and its faults.

with SimulatorServer(SimulatorConfig(users=1203)) as sim:
    requests.get(sim.base_url + "/users", headers=sim.auth_headers)

GraphQL (certificates, quiz results, with its cost budget) is served at `sim.graphql_url`;
`simulator.webhooks` sends signed webhook events (`python -m simulator.webhooks --help`).
"""

from simulator.config import SimulatorConfig
from simulator.faults import Fault
from simulator.server import SimulatorServer

__all__ = ["Fault", "SimulatorConfig", "SimulatorServer"]
