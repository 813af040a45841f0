"""The resources of a code location with a sites file: each run gets its own site's.

A run belongs to one site: its partition key (every Thinkific and dashboard asset is
partitioned by site, `assets.conventions.SITE_PARTITIONS`) or, for the runs whose partition is
no site (team actions and the Import Users cards have none, an upload's is its file), its tag
`thinkific/site`. Inside the run, these
factories build that site's `ThinkificResource` (the key and token read from the variables the
sites file names, the site's limit) and `WarehouseResource` (the site's schema or file,
`resources.warehouse.sites`). Their own configuration, which the UI shows, is the sites file's
path and the warehouse's URL variable: no key, no token. Building them writes nothing: moving a
single-site warehouse to its site and the cross-site views are the commands' and the one-off
job's (`pipelines.commands.site_entry.prepare_sites_warehouse`).
"""

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from pydantic import Field, PrivateAttr

from assets.conventions import SITE_TAG, site_of_run_tags
from pipelines.resources import site_thinkific_resource
from resources.sites import SITES_FILE_ENV, Site, SitesFileError, load_sites
from resources.thinkific import ThinkificResource
from resources.warehouse import WarehouseResource
from resources.warehouse.engine import WAREHOUSE_URL_ENV, default_warehouse_url
from resources.warehouse.sites import WAREHOUSE_SCHEMA_ENV, site_location


def site_of_run(tags: Mapping[str, str], sites: tuple[Site, ...]) -> Site:
    """The site a run's tags name (`assets.conventions.site_of_run_tags`)."""
    name = site_of_run_tags(tags)
    for site in sites:
        if site.name == name:
            return site
    known = ", ".join(site.name for site in sites)
    if name is None:
        raise SitesFileError(
            f"this run names no site: launch it for one site (a partition: {known}), or give a "
            f"job that has no partitions the tag {SITE_TAG}=<site>"
        )
    raise SitesFileError(f"no site {name!r} in the sites file (it has: {known})")


@cache
def _sites_of(sites_file: str) -> tuple[Site, ...]:
    """The file's sites, read once per process: the code location's partitions were made from
    the same file when it loaded, and a changed file takes a reload either way."""
    return load_sites(Path(sites_file))


def _run_tags(context: InitResourceContext) -> Mapping[str, str]:
    return context.dagster_run.tags if context.dagster_run is not None else {}


class SiteThinkificResource(ConfigurableResource[ThinkificResource]):
    """Thinkific for the run's site (see module doc)."""

    sites_file: str = Field(description=f"The sites file ({SITES_FILE_ENV}).")
    _made: list[ThinkificResource] = PrivateAttr(default_factory=list)

    def create_resource(self, context: InitResourceContext) -> ThinkificResource:
        site = site_of_run(_run_tags(context), _sites_of(self.sites_file))
        thinkific = site_thinkific_resource(site, os.environ)
        self._made.append(thinkific)
        return thinkific

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        """What Dagster does for a `ThinkificResource` it made itself (this one it did not)."""
        for thinkific in self._made:
            thinkific.log_answers_not_taken(context.log)


class SiteWarehouseResource(ConfigurableResource[WarehouseResource]):
    """The warehouse's place of the run's site (see module doc)."""

    sites_file: str = Field(description=f"The sites file ({SITES_FILE_ENV}).")
    url: str = Field(description=f"The warehouse's URL ({WAREHOUSE_URL_ENV}).")
    schema_name: str | None = Field(default=None, description=f"{WAREHOUSE_SCHEMA_ENV}, if set.")
    _made: list[WarehouseResource] = PrivateAttr(default_factory=list)

    def create_resource(self, context: InitResourceContext) -> WarehouseResource:
        sites = _sites_of(self.sites_file)
        site = site_of_run(_run_tags(context), sites)
        url, schema = site_location(self.url, self.schema_name, site.name)
        warehouse = WarehouseResource(url=url, schema_name=schema)
        self._made.append(warehouse)
        return warehouse

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        """Closes the run's connections."""
        for warehouse in self._made:
            warehouse.dispose()


def site_resources(sites_file: str) -> dict[str, object]:
    """The `thinkific` and `warehouse` resources of a code location with a sites file."""
    url = (
        EnvVar(WAREHOUSE_URL_ENV) if os.environ.get(WAREHOUSE_URL_ENV) else default_warehouse_url()
    )
    return {
        "thinkific": SiteThinkificResource(sites_file=sites_file),
        "warehouse": SiteWarehouseResource(
            sites_file=sites_file, url=url, schema_name=os.environ.get(WAREHOUSE_SCHEMA_ENV)
        ),
    }
