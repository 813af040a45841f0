"""GraphQL requests and clients wired to a running simulator."""

from typing import Any

import requests

from resources.thinkific.resource import ThinkificGraphQLClient, ThinkificResource
from simulator import SimulatorServer

REQUEST_TIMEOUT_SECONDS = 10
FAST_SETTINGS: dict[str, Any] = {
    "backoff_seconds": 0.001,
    "max_backoff_seconds": 0.01,
    "connect_timeout_seconds": 2.0,
    "timeout_seconds": 5.0,
}
LEARNING_SITE: dict[str, Any] = {"users": 80, "enrollments": 400}
"""Big enough that some course has more certificates than fit its first page."""


def post(
    sim: SimulatorServer,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """One GraphQL POST with the site's access token (or the given headers)."""
    return requests.post(
        sim.graphql_url,
        json={"query": query, "variables": variables or {}},
        headers=headers if headers is not None else bearer(sim.config.access_token),
        timeout=REQUEST_TIMEOUT_SECONDS,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def graphql_resource(sim: SimulatorServer, **settings: Any) -> ThinkificResource:
    site = {
        "api_key": sim.config.api_key,
        "subdomain": sim.config.subdomain,
        "base_url": sim.base_url,
        "access_token": sim.config.access_token,
        "graphql_url": sim.graphql_url,
    }
    return ThinkificResource(**(site | FAST_SETTINGS | settings))


def graphql_client(sim: SimulatorServer, **settings: Any) -> ThinkificGraphQLClient:
    """Every wait (budget, resetAt, backoff) advances the simulated clock: no test sleeps."""
    return ThinkificGraphQLClient(
        graphql_resource(sim, **settings).graphql_settings(),
        sleep=sim.clock.advance,
        clock=sim.clock.timestamp,
    )
