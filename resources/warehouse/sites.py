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
union of the sites' tables with a `site` column (`refresh_cross_site_views`).

A warehouse synced before sites existed holds its tables in the base place (the PostgreSQL
schema, or the SQLite file itself). `adopt_single_site_warehouse` moves them, once, to the
site that now owns them: on PostgreSQL `ALTER TABLE ... SET SCHEMA` in one transaction (the
change log's trigger functions are dropped with it and recreated in the site's schema on next
use, which makes the next seat calculation a full one); on SQLite the file is renamed after its
write-ahead log is folded in.
"""

import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from resources.sites.model import SITE_NAME_PATTERN
from resources.warehouse.engine import (
    WarehouseError,
    create_engine,
    serialise_ddl,
    transaction,
    warehouse_url_from_env,
)
from resources.warehouse.resource import WarehouseResource

PROJECT_TABLE_PREFIXES = ("thinkific_", "dashboard_", "warehouse_")
"""Every table the project creates starts with one of these (staging tables included)."""

CHANGE_LOG_FUNCTION_PREFIX = "dashboard_pending_changes__"
"""PostgreSQL trigger functions of `resources.dashboard.change_log`; they name tables
unqualified in the schema they were made for, so they cannot move with them."""

WAREHOUSE_SCHEMA_ENV = "WAREHOUSE_SCHEMA"
CROSS_SITE_SCHEMA = "all_sites"
SQLITE_SIDE_FILES = ("-wal", "-shm")


def _checked(site: str) -> str:
    """A site's name as the sites file allows it: it goes into schema, file and view names."""
    if not SITE_NAME_PATTERN.fullmatch(site):
        raise ValueError(f"not a site name: {site!r}")
    return site


def site_schema(base_schema: str | None, site: str) -> str:
    """The PostgreSQL schema of a site's tables."""
    site = _checked(site)
    return f"{base_schema}_{site}" if base_schema else f"site_{site}"


def cross_site_schema(base_schema: str | None) -> str:
    """The PostgreSQL schema of the views over every site's tables."""
    return f"{base_schema}_{CROSS_SITE_SCHEMA}" if base_schema else CROSS_SITE_SCHEMA


def _sqlite_file(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise WarehouseError("sites need a warehouse file: set WAREHOUSE_URL to sqlite:///path")
    return Path(url.database)


def site_location(url: str, base_schema: str | None, site: str) -> tuple[str, str | None]:
    """The warehouse URL and PostgreSQL schema (None on SQLite) of a site's tables."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return url, site_schema(base_schema, site)
    site = _checked(site)
    path = _sqlite_file(parsed)
    site_file = path.with_name(f"{path.stem}.{site}{path.suffix or '.db'}")
    return parsed.set(database=str(site_file)).render_as_string(hide_password=False), None


def site_warehouse(site: str) -> WarehouseResource:
    """A site's warehouse as the environment places it (WAREHOUSE_URL, WAREHOUSE_SCHEMA)."""
    url, schema = site_location(
        warehouse_url_from_env(), os.environ.get(WAREHOUSE_SCHEMA_ENV), site
    )
    return WarehouseResource(url=url, schema_name=schema)


def _project_tables(connection: sa.Connection, schema: str | None) -> list[str]:
    names = sa.inspect(connection).get_table_names(schema=schema)
    return sorted(name for name in names if name.startswith(PROJECT_TABLE_PREFIXES))


def single_site_tables(url: str, base_schema: str | None) -> list[str]:
    """The project's tables in the base place: a warehouse synced before the sites file."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and not _sqlite_file(parsed).exists():
        return []
    engine = create_engine(parsed)
    try:
        with transaction(engine, write=False) as connection:
            if base_schema and not sa.inspect(connection).has_schema(base_schema):
                return []
            return _project_tables(connection, base_schema)
    finally:
        engine.dispose()


def adopt_single_site_warehouse(url: str, base_schema: str | None, site: str) -> list[str]:
    """Moves the project's tables from the base place to the site's, if the base place has any;
    returns the names moved (none: nothing to adopt). Refuses, changing nothing, when both
    places hold tables: which of them is the site's is the user's call."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _adopt_sqlite(parsed, sa.make_url(site_location(url, base_schema, site)[0]), site)
    return _adopt_postgresql(parsed, base_schema, site)


def _conflict(site: str, base: str, target: str) -> WarehouseError:
    return WarehouseError(
        f"site '{site}': the single-site warehouse in {base} and the site's own tables in "
        f"{target} both exist; keep one (drop or rename the other) and start again"
    )


def _adopt_postgresql(url: sa.URL, base_schema: str | None, site: str) -> list[str]:
    target = site_schema(base_schema, site)
    engine = create_engine(url)
    try:
        with transaction(engine, write=True) as connection:
            serialise_ddl(connection)
            base = base_schema or connection.execute(sa.text("SELECT current_schema()")).scalar()
            moving = _project_tables(connection, base)
            if not moving:
                return []
            inspector = sa.inspect(connection)
            if inspector.has_schema(target) and _project_tables(connection, target):
                raise _conflict(site, f"schema {base}", f"schema {target}")
            preparer = connection.dialect.identifier_preparer
            connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {preparer.quote(target)}")
            _drop_change_log_functions(connection, base)
            for name in moving:
                connection.exec_driver_sql(
                    f"ALTER TABLE {preparer.quote(base)}.{preparer.quote(name)} "
                    f"SET SCHEMA {preparer.quote(target)}"
                )
            return moving
    finally:
        engine.dispose()


def _drop_change_log_functions(connection: sa.Connection, schema: str) -> None:
    functions = connection.execute(
        sa.text(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = :schema AND p.proname LIKE :prefix"
        ),
        {"schema": schema, "prefix": f"{CHANGE_LOG_FUNCTION_PREFIX}%"},
    ).scalars()
    preparer = connection.dialect.identifier_preparer
    for name in list(functions):
        connection.exec_driver_sql(
            f"DROP FUNCTION {preparer.quote(schema)}.{preparer.quote(name)}() CASCADE"
        )


def _adopt_sqlite(base_url: sa.URL, site_url: sa.URL, site: str) -> list[str]:
    base, target = _sqlite_file(base_url), _sqlite_file(site_url)
    if not base.exists():
        return []
    engine = create_engine(base_url)
    try:
        with transaction(engine, write=False) as connection:
            moving = _project_tables(connection, None)
        if not moving:
            return []
        if target.exists():
            raise _conflict(site, str(base), str(target))
    finally:
        engine.dispose()
    # Fold the write-ahead log into the file and stop using one, so that the file alone holds
    # every committed transaction when it is renamed (outside any transaction: sqlite3's own
    # autocommit connection, not the warehouse engine's).
    connection = sqlite3.connect(base, isolation_level=None)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.OperationalError:
        raise WarehouseError(
            f"site '{site}': cannot move {base} to {target} while another process has it open "
            "(the UI, the daemon or the webhook receiver): stop them and start again"
        ) from None
    finally:
        connection.close()
    os.replace(base, target)
    for suffix in SQLITE_SIDE_FILES:
        Path(f"{base}{suffix}").unlink(missing_ok=True)
    return moving


def refresh_cross_site_views(url: str, base_schema: str | None, sites: list[str]) -> list[str]:
    """On PostgreSQL, (re)creates a view per project table in the cross-site schema: the union
    of every site's table that exists, with the site's name as column `site` first; returns
    the views made. Columns are taken by name from the first site's table, so a site whose
    table lacks one of them (an older column set) is left out of that view until its next sync
    adds it. SQLite cannot keep a view over several files: nothing is made there."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return []
    engine = create_engine(parsed)
    try:
        with transaction(engine, write=True) as connection:
            serialise_ddl(connection)
            return _create_views(connection, base_schema, sites)
    finally:
        engine.dispose()


def _create_views(
    connection: sa.Connection, base_schema: str | None, sites: list[str]
) -> list[str]:
    inspector = sa.inspect(connection)
    quote = connection.dialect.identifier_preparer.quote
    columns_of: dict[str, dict[str, list[str]]] = {}
    for site in sites:
        schema = site_schema(base_schema, site)
        if not inspector.has_schema(schema):
            continue
        for table in _project_tables(connection, schema):
            if "__" in table:  # staging and resume tables of a load in progress
                continue
            names = [column["name"] for column in inspector.get_columns(table, schema=schema)]
            columns_of.setdefault(table, {})[site] = names
    views = cross_site_schema(base_schema)
    connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quote(views)}")
    for table, by_site in sorted(columns_of.items()):
        columns = next(iter(by_site.values()))
        selects = [
            # A site's name is checked (`_checked`) and every identifier quoted.
            f"SELECT '{_checked(site)}'::text AS site, {', '.join(quote(c) for c in columns)} "  # noqa: S608
            f"FROM {quote(site_schema(base_schema, site))}.{quote(table)}"
            for site, present in by_site.items()
            if set(columns) <= set(present)
        ]
        connection.exec_driver_sql(f"DROP VIEW IF EXISTS {quote(views)}.{quote(table)}")
        connection.exec_driver_sql(
            f"CREATE VIEW {quote(views)}.{quote(table)} AS " + " UNION ALL ".join(selects)
        )
    return sorted(columns_of)
