"""A client wired to a running simulator, waiting on the simulator's clock instead of sleeping."""

from typing import Any

from resources.thinkific.resource import ThinkificClient, ThinkificResource
from simulator import SimulatorServer

FAST_SETTINGS: dict[str, Any] = {
    # Far above any simulated limit: these clients meet the server's 429s instead of waiting.
    "requests_per_minute": 100_000,
    "backoff_seconds": 0.001,
    "max_backoff_seconds": 0.01,
    "connect_timeout_seconds": 2.0,
    "timeout_seconds": 5.0,
}


def resource_for(sim: SimulatorServer, **settings: Any) -> ThinkificResource:
    """The simulator's credentials and address with `FAST_SETTINGS`; `settings` override any."""
    site = {
        "api_key": sim.config.api_key,
        "subdomain": sim.config.subdomain,
        "access_token": sim.config.access_token,
        "base_url": sim.base_url,
    }
    return ThinkificResource(**(site | FAST_SETTINGS | settings))


def client_for(sim: SimulatorServer, **settings: Any) -> ThinkificClient:
    """Every wait (rate-limit reset, backoff) advances the simulated clock: no test sleeps."""
    return ThinkificClient(
        resource_for(sim, **settings).client_settings(),
        sleep=sim.clock.advance,
        clock=sim.clock.timestamp,
    )


def requests_seen(sim: SimulatorServer) -> int:
    """API requests that reached the simulator, refused ones included."""
    snapshot = sim.stats.snapshot()
    return snapshot["served"] + snapshot["refused"]
