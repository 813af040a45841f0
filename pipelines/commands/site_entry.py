"""One site of the sites file, entered: this process's settings become that site's.

`python -m pipelines --site NAME` (and each site's process the main command starts) runs the
single-site sync unchanged, once the environment says which site it is: the site's Thinkific
variables (`resources.sites.site_environment`: its key and token read from the variables the
file names) and its place in the warehouse (`resources.warehouse.sites`: its PostgreSQL schema
or SQLite file). Single-site variables left in the environment from before are dropped first,
so that no site ever talks to another's Thinkific with another's key or token.
"""

import os
from collections.abc import MutableMapping, Sequence

from resources.sites import Site, SitesFileError, check_environment, site_environment
from resources.warehouse.engine import WAREHOUSE_URL_ENV, warehouse_url_from_env
from resources.warehouse.sites import adopt_single_site_warehouse, site_location

WAREHOUSE_SCHEMA_ENV = "WAREHOUSE_SCHEMA"
SINGLE_SITE_VARIABLES = (
    "THINKIFIC_SITE",
    "THINKIFIC_SUBDOMAIN",
    "THINKIFIC_API_KEY",
    "THINKIFIC_ACCESS_TOKEN",
    "THINKIFIC_BASE_URL",
    "THINKIFIC_GRAPHQL_URL",
    "THINKIFIC_REQUESTS_PER_MINUTE",
    "THINKIFIC_TIMEZONE",
)


def site_named(sites: Sequence[Site], name: str) -> Site:
    for site in sites:
        if site.name == name:
            return site
    known = ", ".join(site.name for site in sites)
    raise SitesFileError(f"--site {name}: no site of that name in the sites file (it has: {known})")


def owner_of_single_site_warehouse(
    sites: Sequence[Site], environ: MutableMapping[str, str]
) -> Site | None:
    """The site that a warehouse synced before the sites file existed belongs to: the one whose
    subdomain the single-site setting `THINKIFIC_SUBDOMAIN` names, or else the only site."""
    previous = environ.get("THINKIFIC_SUBDOMAIN")
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
    sites: Sequence[Site], environ: MutableMapping[str, str]
) -> tuple[Site, list[str]] | None:
    """Moves a single-site warehouse into its owner's place; the owner and the tables moved."""
    owner = owner_of_single_site_warehouse(sites, environ)
    if owner is None:
        return None
    base_url = environ.get(WAREHOUSE_URL_ENV) or warehouse_url_from_env()
    moved = adopt_single_site_warehouse(base_url, environ.get(WAREHOUSE_SCHEMA_ENV), owner.name)
    return (owner, moved) if moved else None


def enter_site(site: Site, environ: MutableMapping[str, str] = os.environ) -> None:
    """Makes `environ` the single-site settings of `site`, in the warehouse's place for it."""
    check_environment([site], environ)
    settings = site_environment(site, environ)
    base_url = environ.get(WAREHOUSE_URL_ENV) or warehouse_url_from_env()
    url, schema = site_location(base_url, environ.get(WAREHOUSE_SCHEMA_ENV), site.name)
    for name in SINGLE_SITE_VARIABLES:
        environ.pop(name, None)
    environ.update(settings)
    environ[WAREHOUSE_URL_ENV] = url
    if schema is None:
        environ.pop(WAREHOUSE_SCHEMA_ENV, None)
    else:
        environ[WAREHOUSE_SCHEMA_ENV] = schema
