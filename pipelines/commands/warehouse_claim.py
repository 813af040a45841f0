"""Before the main command's run starts: the warehouse must hold the site being synced, or
nothing (`resources.warehouse.site_identity`), so that a sync of another site stops before it
reads or writes anything, with exit status 2."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from pipelines.resources import SettingError, site_thinkific_resource, thinkific_resource
from pipelines.resources import warehouse_resource as single_site_warehouse
from resources.extraction.site_claim import claim_the_warehouse
from resources.sites import Site
from resources.thinkific import ThinkificResource
from resources.thinkific.resource import ThinkificError
from resources.warehouse import WarehouseResource
from resources.warehouse.engine import WarehouseError
from resources.warehouse.site_identity import WarehouseSiteMismatch
from resources.warehouse.sites import site_warehouse

SUBDOMAIN_ENV = "THINKIFIC_SUBDOMAIN"


@contextmanager
def _thinkific(site: Site | None) -> Iterator[ThinkificResource]:
    if site is not None:
        yield site_thinkific_resource(site, os.environ)
        return
    if not os.environ.get(SUBDOMAIN_ENV, "").strip():
        raise SettingError(
            f"{SUBDOMAIN_ENV} is not set: set it to the site's subdomain (the 'yourschool' of "
            "yourschool.thinkific.com), or unset THINKIFIC_API_KEY to sync the demo site"
        )
    # The code location's resources read secrets through EnvVar; this resolves them.
    with thinkific_resource().process_config_and_initialize_cm() as thinkific:
        yield thinkific


@contextmanager
def _warehouse(site: Site | None) -> Iterator[WarehouseResource]:
    if site is not None:
        warehouse = site_warehouse(site.name)
        try:
            yield warehouse
        finally:
            warehouse.dispose()
        return
    with single_site_warehouse().process_config_and_initialize_cm() as warehouse:
        yield warehouse


def claim_before_the_run(site: Site | None) -> None:
    """Raises `WarehouseSiteMismatch` when the warehouse holds another site's rows. A warehouse
    or site that cannot be reached is left to the run, which reports it with its cause and fix
    as it reports any step's failure."""
    with _thinkific(site) as thinkific, _warehouse(site) as warehouse:
        try:
            claim_the_warehouse(thinkific, warehouse)
        except WarehouseSiteMismatch:
            raise
        except (ThinkificError, WarehouseError, sa.exc.DBAPIError):
            pass  # met again by the run's first step, which names it with its fix
