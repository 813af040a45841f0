"""Choosing sites of the sites file: a site by name, and which site a single-site warehouse
left from before the file belongs to (it is moved to that site's place on first start); and
preparing a deployment's warehouse for its sites (`prepare_sites_warehouse`)."""

import os
from collections.abc import Sequence

from pipelines.resources import REAL_THINKIFIC_BASE_URL
from resources.sites import Site, SitesFileError, sites_from_env
from resources.warehouse.engine import warehouse_url_from_env
from resources.warehouse.migrate import (
    adopt_single_site_warehouse,
    create_site_schemas,
    refresh_cross_site_views,
)
from resources.warehouse.site_identity import SiteIdentity, recorded_site_at
from resources.warehouse.sites import WAREHOUSE_SCHEMA_ENV, single_site_tables

SUBDOMAIN_ENV = "THINKIFIC_SUBDOMAIN"
"""The single-site setting that, kept beside a sites file, says whose a single-site warehouse is."""


def site_named(sites: Sequence[Site], name: str) -> Site:
    for site in sites:
        if site.name == name:
            return site
    known = ", ".join(site.name for site in sites)
    raise SitesFileError(f"--site {name}: no site of that name in the sites file (it has: {known})")


def owner_of_single_site_warehouse(sites: Sequence[Site], previous: str | None) -> Site | None:
    """The site that a warehouse synced before the sites file existed belongs to: the one whose
    subdomain the single-site setting `THINKIFIC_SUBDOMAIN` (`previous`) names, or else the
    only site."""
    if previous:
        owners = [site for site in sites if site.subdomain == previous]
        if len(owners) > 1:
            names = ", ".join(site.name for site in owners)
            raise SitesFileError(
                f"THINKIFIC_SUBDOMAIN={previous} names several sites ({names}): unset it, or "
                "keep it only while the one that owns the single-site warehouse is in the file"
            )
        return owners[0] if owners else None
    return sites[0] if len(sites) == 1 else None


def adopt_single_site_warehouse_if_any(
    sites: Sequence[Site], previous: str | None, base_url: str, base_schema: str | None
) -> tuple[Site, list[str]] | None:
    """Moves a single-site warehouse into its owner's place; the owner and the tables moved.
    One whose owner cannot be told stops the command with the fix, rather than be left where
    no site reads it while every site starts from empty tables."""
    owner = owner_of_single_site_warehouse(sites, previous)
    if owner is None:
        if single_site_tables(base_url, base_schema):
            subdomains = ", ".join(site.subdomain for site in sites)
            raise SitesFileError(
                "the warehouse holds the tables of a sync from before the sites file, and no "
                "site says it is theirs: set THINKIFIC_SUBDOMAIN to the subdomain they were "
                f"synced from ({subdomains}) to move them to that site"
            )
        return None
    _refuse_another_sites_warehouse(owner, base_url, base_schema)
    moved = adopt_single_site_warehouse(base_url, base_schema, owner.name)
    return (owner, moved) if moved else None


def prepare_sites_warehouse(
    sites: Sequence[Site], previous: str | None, base_url: str, base_schema: str | None
) -> tuple[Site, list[str]] | None:
    """What a deployment with a sites file does before its runs (the UI and deployment commands
    at start, the one-off job `prepare_site_warehouses`): a single-site warehouse moved to its
    site (`adopt_single_site_warehouse_if_any`, whose result this returns), every site's tables
    created, and the cross-site views made over them."""
    adopted = adopt_single_site_warehouse_if_any(sites, previous, base_url, base_schema)
    names = [site.name for site in sites]
    create_site_schemas(base_url, base_schema, names)
    refresh_cross_site_views(base_url, base_schema, names)
    return adopted


def prepare_sites_warehouse_from_env() -> str | None:
    """`prepare_sites_warehouse` for the sites file and warehouse the environment names, if it
    names a sites file; the line that says a single-site warehouse was moved, if one was."""
    sites = sites_from_env()
    if not sites:
        return None
    adopted = prepare_sites_warehouse(
        sites,
        os.environ.get(SUBDOMAIN_ENV),
        warehouse_url_from_env(),
        os.environ.get(WAREHOUSE_SCHEMA_ENV),
    )
    if adopted is None:
        return None
    owner, moved = adopted
    return f"Moved the single-site warehouse ({len(moved)} tables) to site '{owner.name}'."


def _refuse_another_sites_warehouse(owner: Site, base_url: str, base_schema: str | None) -> None:
    """A single-site warehouse that records another site than its owner's stays where it is."""
    recorded = recorded_site_at(base_url, base_schema)
    site = SiteIdentity(owner.subdomain, owner.base_url or REAL_THINKIFIC_BASE_URL)
    if recorded is not None and not recorded.same_site(site):
        raise SitesFileError(
            f"the single-site warehouse holds {recorded.describe()}, not site '{owner.name}' "
            f"({site.describe()}), so it was not moved to that site: set THINKIFIC_SUBDOMAIN "
            "to the site it holds, or move the warehouse away to start that site from empty"
        )
