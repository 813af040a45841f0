"""Simulated sites named in a sites file, for the tests of the many-sites paths: each site's key
in a variable `<NAME>_KEY` (its GraphQL token in `<NAME>_TOKEN`), as a user's file names them."""

import dataclasses
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from resources.warehouse import WarehouseResource
from resources.warehouse.sites import site_location
from simulator import SimulatorConfig, SimulatorServer
from tests.faults.harness import FAULT_SITE, command_environment, run_sync

WRONG_KEY = "not-the-key"


@contextmanager
def simulated_sites(
    names: Collection[str], config: SimulatorConfig = FAULT_SITE, **overrides: object
) -> Iterator[dict[str, SimulatorServer]]:
    """One running simulator per name, each with its own data (seed), subdomain and key."""
    servers = {
        name: SimulatorServer(
            dataclasses.replace(
                config, seed=seed, subdomain=name, api_key=f"{name}-key-{seed}", **overrides
            ),
            host="127.0.0.1",
            port=0,
        ).start()
        for seed, name in enumerate(names, start=1)
    }
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def write_sites_file(
    path: Path, servers: Mapping[str, SimulatorServer], with_tokens: bool = False
) -> Path:
    """The sites file naming every server: its subdomain, URLs, limit and key variables."""
    path.write_text(
        "sites:\n"
        + "".join(
            f"  - name: {name}\n"
            f"    subdomain: {server.config.subdomain}\n"
            f"    api_key_env: {name.upper()}_KEY\n"
            + (f"    access_token_env: {name.upper()}_TOKEN\n" if with_tokens else "")
            + f"    base_url: {server.base_url}\n"
            f"    graphql_url: {server.graphql_url}\n"
            f"    requests_per_minute: {server.config.requests_per_minute}\n"
            for name, server in servers.items()
        ),
        encoding="utf-8",
    )
    return path


def site_keys(
    servers: Mapping[str, SimulatorServer], wrong: Collection[str] = ()
) -> dict[str, str]:
    """The variables the sites file names: each site's key (a wrong one for the sites in
    `wrong`) and GraphQL token."""
    keys = {}
    for name, server in servers.items():
        keys[f"{name.upper()}_KEY"] = WRONG_KEY if name in wrong else server.config.api_key
        keys[f"{name.upper()}_TOKEN"] = server.config.access_token
    return keys


def sites_environment(
    folder: Path, servers: Mapping[str, SimulatorServer], **settings: str
) -> dict[str, str]:
    """`settings`, the sites file (written in `folder`) and its keys."""
    sites = write_sites_file(folder / "sites.yaml", servers)
    return {"THINKIFIC_SITES_FILE": str(sites), **site_keys(servers), **settings}


def site_warehouse_at(warehouse_url: str, name: str) -> WarehouseResource:
    """The warehouse of one site of a deployment whose WAREHOUSE_URL is `warehouse_url`."""
    url, schema = site_location(warehouse_url, None, name)
    return WarehouseResource(url=url, schema_name=schema)


def users_per_site(database_url: str, views: str) -> dict[str, int]:
    """Rows of the cross-site view of thinkific_users in schema `views`, per site."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            f"SELECT site, count(*) FROM {views}.thinkific_users GROUP BY site"  # noqa: S608
        ).all()
    engine.dispose()
    return dict(rows)


@contextmanager
def synced_sites(
    folder: Path, names: Collection[str], **settings: str
) -> Iterator[tuple[dict[str, SimulatorServer], dict[str, str]]]:
    """Simulated sites synced once by the main command into a warehouse in `folder`: the
    servers, and the command's environment (with `settings`) for what the test runs next."""
    with simulated_sites(names) as servers:
        env = command_environment(
            folder / "home",
            f"sqlite:///{folder / 'warehouse.db'}",
            sites_environment(folder, servers, **settings),
        )
        synced = run_sync(env, timeout=240)
        assert synced.returncode == 0, synced.output[-3000:]
        yield servers, env
