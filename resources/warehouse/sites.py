"""Where each Thinkific site's tables live in one warehouse, and moving a single-site warehouse
into its site's place.

A site's tables are the single-site tables, in a place of their own: on PostgreSQL the schema
`site_<name>` (`<WAREHOUSE_SCHEMA>_<name>` when that is set), on SQLite the file
`<warehouse>.<name>.db` beside the warehouse file. A place per site, rather than a `site`
column in every key, keeps every query of the sync and the dashboard exactly as it is tested
for one site, so one school's learners cannot reach another's Teams tab through a query that
forgot the column; it lets SQLite sites write at the same time (one file is one writer at a
time) and makes removing a site one `DROP SCHEMA`. Readers who want every site at once get,
on PostgreSQL, the schema `all_sites` (`<WAREHOUSE_SCHEMA>_all_sites`): a view per table, the
union of the sites' tables with a `site` column.

A warehouse synced before sites existed holds its tables in the base place (the PostgreSQL
schema, or the SQLite file itself; `single_site_tables`), which is moved, once, to the site
that now owns it. Making the views and moving the tables are the schema's owner's work:
`resources.warehouse.migrate` (`refresh_cross_site_views`, `adopt_single_site_warehouse`).
"""

import os
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from resources.sites.model import SITE_NAME_PATTERN
from resources.warehouse.engine import (
    WarehouseError,
    create_engine,
    transaction,
    warehouse_url_from_env,
)

if TYPE_CHECKING:
    from resources.warehouse.resource import WarehouseResource

PROJECT_TABLE_PREFIXES = ("thinkific_", "dashboard_", "warehouse_")
"""Every table the project creates starts with one of these (staging tables included)."""

WAREHOUSE_SCHEMA_ENV = "WAREHOUSE_SCHEMA"
CROSS_SITE_SCHEMA = "all_sites"
SQLITE_SIDE_FILES = ("-wal", "-shm")


def checked_site(site: str) -> str:
    """A site's name as the sites file allows it: it goes into schema, file and view names."""
    if not SITE_NAME_PATTERN.fullmatch(site):
        raise ValueError(f"not a site name: {site!r}")
    return site


def site_schema(base_schema: str | None, site: str) -> str:
    """The PostgreSQL schema of a site's tables."""
    site = checked_site(site)
    return f"{base_schema}_{site}" if base_schema else f"site_{site}"


def cross_site_schema(base_schema: str | None) -> str:
    """The PostgreSQL schema of the views over every site's tables."""
    return f"{base_schema}_{CROSS_SITE_SCHEMA}" if base_schema else CROSS_SITE_SCHEMA


def sqlite_file(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise WarehouseError("sites need a warehouse file: set WAREHOUSE_URL to sqlite:///path")
    return Path(url.database)


def site_location(url: str, base_schema: str | None, site: str) -> tuple[str, str | None]:
    """The warehouse URL and PostgreSQL schema (None on SQLite) of a site's tables."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url, site_schema(base_schema, site)
    site = checked_site(site)
    path = sqlite_file(parsed)
    site_file = path.with_name(f"{path.stem}.{site}{path.suffix or '.db'}")
    return parsed.set(database=str(site_file)).render_as_string(hide_password=False), None


def site_warehouse(site: str) -> "WarehouseResource":
    """A site's warehouse as the environment places it (WAREHOUSE_URL, WAREHOUSE_SCHEMA)."""
    # Imported here: the resource creates its tables through `migrate`, which imports this.
    from resources.warehouse.resource import WarehouseResource

    url, schema = site_location(
        warehouse_url_from_env(), os.environ.get(WAREHOUSE_SCHEMA_ENV), site
    )
    return WarehouseResource(url=url, schema_name=schema)


def project_tables(connection: sa.Connection, schema: str | None) -> list[str]:
    names = sa.inspect(connection).get_table_names(schema=schema)
    return sorted(name for name in names if name.startswith(PROJECT_TABLE_PREFIXES))


def single_site_tables(url: str, base_schema: str | None) -> list[str]:
    """The project's tables in the base place: a warehouse synced before the sites file."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and not sqlite_file(parsed).exists():
        return []
    engine = create_engine(parsed)
    try:
        with transaction(engine, write=False) as connection:
            if base_schema and not sa.inspect(connection).has_schema(base_schema):
                return []
            return project_tables(connection, base_schema)
    finally:
        engine.dispose()
