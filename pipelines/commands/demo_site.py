"""Which Thinkific site a command talks to: the real one when credentials are set, else the demo.

With no `THINKIFIC_API_KEY` in the environment the commands start the local simulator's demo site
(the embedded default) and point the resources at it through the same environment variables a
real deployment sets, so nothing downstream knows the difference.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from resources.sites import SITES_FILE_ENV, Site
from resources.warehouse.engine import WAREHOUSE_URL_ENV, demo_warehouse_url
from simulator import SimulatorConfig, SimulatorServer

DEMO_SITE = SimulatorConfig(graphql_points_per_minute=100_000)
"""The demo site, with a raised GraphQL budget: at Thinkific's 2,000 points a minute its
certificates and quiz results alone would take about four minutes (the client's pacing at the
real budget is tested on the simulated clock)."""


@dataclass(frozen=True)
class SiteInUse:
    description: str
    is_demo: bool


def site_in_use(site: Site) -> SiteInUse:
    """A site of the sites file: its partition is synced, with its own resources."""
    return SiteInUse(f"site '{site.name}' (Thinkific site '{site.subdomain}')", is_demo=False)


def demo_environment(server: SimulatorServer) -> dict[str, str]:
    """The environment that points the resources at a running simulator."""
    return {
        "THINKIFIC_API_KEY": server.config.api_key,
        "THINKIFIC_SUBDOMAIN": server.config.subdomain,
        "THINKIFIC_BASE_URL": server.base_url,
        "THINKIFIC_REQUESTS_PER_MINUTE": str(server.config.requests_per_minute),
        "THINKIFIC_ACCESS_TOKEN": server.config.access_token,
        "THINKIFIC_GRAPHQL_URL": server.graphql_url,
    }


@contextmanager
def thinkific_site() -> Iterator[SiteInUse]:
    """Yield the site in use; a demo simulator runs for the duration of the block (neither with
    a sites file nor with credentials)."""
    if os.environ.get(SITES_FILE_ENV):
        yield SiteInUse(f"the sites named in {os.environ[SITES_FILE_ENV]}", is_demo=False)
        return
    if os.environ.get("THINKIFIC_API_KEY"):
        subdomain = os.environ.get("THINKIFIC_SUBDOMAIN", "<THINKIFIC_SUBDOMAIN not set>")
        yield SiteInUse(f"Thinkific site '{subdomain}'", is_demo=False)
        return
    with SimulatorServer(DEMO_SITE, host="127.0.0.1", port=0) as server:
        environment = demo_environment(server)
        if not os.environ.get(WAREHOUSE_URL_ENV):
            environment[WAREHOUSE_URL_ENV] = demo_warehouse_url()
        previous = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)
        try:
            yield SiteInUse(
                f"the local simulator's demo site at {server.base_url} "
                "(no THINKIFIC_API_KEY set; see the README to connect a real site)",
                is_demo=True,
            )
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
