"""Which Thinkific site a command talks to: the real one when credentials are set, else the demo.

With no `THINKIFIC_API_KEY` in the environment the commands start the local simulator's demo site
(the embedded default) and point the resources at it through the same environment variables a
real deployment sets, so nothing downstream knows the difference.
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from pipelines.resources import (
    DEFAULT_REQUESTS_PER_MINUTE,
    REAL_THINKIFIC_BASE_URL,
    REAL_THINKIFIC_GRAPHQL_URL,
)
from resources.sites import SITES_FILE_ENV, Site
from resources.warehouse.engine import WAREHOUSE_URL_ENV, demo_warehouse_url
from simulator import SimulatorConfig, SimulatorServer

DEMO_GRAPHQL_POINTS_PER_MINUTE = 100_000
DEMO_SITE = SimulatorConfig(graphql_points_per_minute=DEMO_GRAPHQL_POINTS_PER_MINUTE)
"""The demo site, with a raised GraphQL budget, which the command says: at Thinkific's 2,000
points a minute its certificates and quiz results alone take about three minutes (measured in
benchmarks/RESULTS.md; the client's pacing at the real budget is tested on the simulated
clock)."""


API_KEY_ENV = "THINKIFIC_API_KEY"
REAL_SITE_ONLY = {
    "THINKIFIC_SUBDOMAIN": None,
    "THINKIFIC_BASE_URL": REAL_THINKIFIC_BASE_URL,
    "THINKIFIC_GRAPHQL_URL": REAL_THINKIFIC_GRAPHQL_URL,
    "THINKIFIC_ACCESS_TOKEN": None,
    "THINKIFIC_REQUESTS_PER_MINUTE": str(DEFAULT_REQUESTS_PER_MINUTE),
}
"""Settings of a real site that the demo replaces with its own, with the value that says
nothing (their default): set to anything else while the demo runs, they are ignored."""


@dataclass(frozen=True)
class SiteInUse:
    description: str
    is_demo: bool
    notices: tuple[str, ...] = ()
    """Lines for the user before anything starts: what the demo ignores, an empty key."""


def api_key_set(environ: Mapping[str, str]) -> bool:
    """A key of blanks is no key: a `.env` with `THINKIFIC_API_KEY=` means the demo."""
    return bool(environ.get(API_KEY_ENV, "").strip())


def runs_the_demo(environ: Mapping[str, str]) -> bool:
    """Neither a sites file nor a key: the commands start the demo site."""
    return not environ.get(SITES_FILE_ENV) and not api_key_set(environ)


def demo_notices(environ: Mapping[str, str]) -> tuple[str, ...]:
    """What the user set that the demo site does not use, said once each way."""
    notices = []
    if API_KEY_ENV in environ and not api_key_set(environ):
        notices.append(f"{API_KEY_ENV} is empty: treated as not set, so the demo site is synced.")
    ignored = [
        name
        for name, default in REAL_SITE_ONLY.items()
        if environ.get(name, "").strip() and environ[name].strip() != default
    ]
    if ignored:
        notices.append(
            f"Ignored while the demo site runs: {', '.join(ignored)} (they apply to a real "
            f"site, which {API_KEY_ENV} selects)."
        )
    return tuple(notices)


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
    if not runs_the_demo(os.environ):
        subdomain = os.environ.get("THINKIFIC_SUBDOMAIN", "<THINKIFIC_SUBDOMAIN not set>")
        yield SiteInUse(f"Thinkific site '{subdomain}'", is_demo=False)
        return
    notices = demo_notices(os.environ)
    with SimulatorServer(DEMO_SITE, host="127.0.0.1", port=0) as server:
        environment = demo_environment(server)
        if not os.environ.get(WAREHOUSE_URL_ENV):
            environment[WAREHOUSE_URL_ENV] = demo_warehouse_url()
        previous = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)
        try:
            yield SiteInUse(
                f"the local simulator's demo site at {server.base_url} "
                "(no THINKIFIC_API_KEY set; see the README to connect a real site). Its GraphQL "
                f"limit is raised to {DEMO_GRAPHQL_POINTS_PER_MINUTE:,} points a minute "
                "(Thinkific's: 2,000), so certificates and quiz results take seconds, not "
                "minutes; REST runs at Thinkific's 120 requests a minute",
                is_demo=True,
                notices=notices,
            )
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
