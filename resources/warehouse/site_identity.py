"""Which Thinkific site a warehouse holds, so that a sync of another site never mixes into it.

The first sync into a warehouse records its site (subdomain and API base URL) in the one-row
table `warehouse_site`. From then on, a sync of another site into it is refused before it reads
or writes anything (`WarehouseSiteMismatch`): it would merge two schools' learners into one
table, and apply one site's enrollment watermark to the other's (rows updated before it would
never be read). Until the warehouse holds Thinkific rows the record is only provisional: a sync
that failed at its first request (a mistyped subdomain, say) must not lock the warehouse to the
typo, so a warehouse without rows is claimed again by whichever site syncs into it.

A warehouse from before the record (rows, no record) is adopted by the first site that syncs
into it only when its rows are that site's: the site's first page of users, read once, must
meet stored users with the same id and email, and no stored user with its id and another email
(`users_match`). Anything else is refused with the reason: it is never guessed.

A site is its subdomain and its API's address. On a loopback host the port is not part of it:
the local simulator starts on a free port each time, and the same seed on another port is the
same site.
"""

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from resources.warehouse.ddl import SITE_TABLE, site_table
from resources.warehouse.engine import (
    WarehouseError,
    create_engine,
    insert,
    serialise_ddl,
    transaction,
)
from resources.warehouse.migrate import create_tables

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
THINKIFIC_TABLE_PREFIX = "thinkific_"
USERS_TABLE = "thinkific_users"

UsersPage = Callable[[], Sequence[Mapping[str, Any]]]
"""Reads the site's first page of users (one request), for adopting an unrecorded warehouse."""


@dataclass(frozen=True)
class SiteIdentity:
    """A Thinkific site as a warehouse records it."""

    subdomain: str
    base_url: str

    @property
    def address(self) -> str:
        """The API's address as compared: scheme and host (with the port unless on loopback)
        and path, lower-case, without a trailing slash."""
        parts = urlsplit(self.base_url.strip())
        host = (parts.hostname or "").lower()
        netloc = host if host in LOOPBACK_HOSTS or parts.port is None else f"{host}:{parts.port}"
        return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"

    @property
    def is_local(self) -> bool:
        return (urlsplit(self.base_url.strip()).hostname or "") in LOOPBACK_HOSTS

    def same_site(self, other: "SiteIdentity") -> bool:
        return (
            self.subdomain.strip().lower() == other.subdomain.strip().lower()
            and self.address == other.address
        )

    def describe(self) -> str:
        if self.is_local:
            return f"the local simulator's site '{self.subdomain}' ({self.address})"
        return f"Thinkific site '{self.subdomain}' ({self.address})"


class WarehouseSiteMismatch(WarehouseError):
    """The warehouse holds another site's rows; the message names both sites and the fix."""


def claim_warehouse(
    engine: sa.Engine, schema: str | None, site: SiteIdentity, users_page: UsersPage
) -> str:
    """Records `site` as the warehouse's, or raises `WarehouseSiteMismatch` when it holds
    another site's rows. Returns what was decided: `recorded`, `adopted` or `same site`.

    `users_page` is called only for a warehouse with rows and no record (see module doc)."""
    recorded = recorded_site(engine, schema)
    if recorded is not None and recorded.same_site(site):
        return "same site"  # read only: a read-only warehouse fails where the run writes
    table = site_table(sa.MetaData(schema=schema))
    with transaction(engine, write=True) as connection:
        serialise_ddl(connection)
        create_tables(connection, [table])
        recorded = _recorded(connection, table)
        if recorded is not None and recorded.same_site(site):
            return "same site"
        holds_rows = _holds_thinkific_rows(connection, schema)
        if recorded is not None and holds_rows:
            raise WarehouseSiteMismatch(_mismatch(engine, schema, recorded, site))
        if recorded is None and holds_rows:
            outcome = users_match(connection, schema, users_page())
            if outcome is not None:
                raise WarehouseSiteMismatch(_unrecorded(engine, schema, site, outcome))
        _record(connection, table, site)
    return "adopted" if holds_rows else "recorded"


def recorded_site(engine: sa.Engine, schema: str | None) -> SiteIdentity | None:
    """The site the warehouse records, if any."""
    table = site_table(sa.MetaData(schema=schema))
    with transaction(engine, write=False) as connection:
        if not sa.inspect(connection).has_table(SITE_TABLE, schema=schema):
            return None
        return _recorded(connection, table)


def recorded_site_at(url: str, schema: str | None) -> SiteIdentity | None:
    """The site recorded in the warehouse at `url` (None where there is no warehouse yet)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return None
    engine = create_engine(parsed)
    try:
        return recorded_site(engine, schema)
    finally:
        engine.dispose()


def users_match(
    connection: sa.Connection, schema: str | None, page: Sequence[Mapping[str, Any]]
) -> str | None:
    """None when the site's first page of users is the stored users' (at least one stored
    with the same id and email, none stored with the same id and another email); else why not."""
    inspector = sa.inspect(connection)
    if not inspector.has_table(USERS_TABLE, schema=schema):
        return "it holds no users to compare with the site's"
    users = sa.Table(USERS_TABLE, sa.MetaData(schema=schema), autoload_with=connection)
    ids = [user.get("id") for user in page if user.get("id") is not None]
    if not ids:
        return "the site answered no users to compare with the stored ones"
    stored = dict(
        connection.execute(sa.select(users.c.id, users.c.email).where(users.c.id.in_(ids))).all()
    )
    matching = [user for user in page if stored.get(user.get("id")) == user.get("email")]
    differing = [user for user in page if user.get("id") in stored and user not in matching]
    if differing:
        return f"its user {differing[0]['id']} has another email than the site's"
    if not matching:
        return "none of the site's first users is among its users"
    return None


def _recorded(connection: sa.Connection, table: sa.Table) -> SiteIdentity | None:
    row = connection.execute(sa.select(table.c.subdomain, table.c.base_url)).first()
    return None if row is None else SiteIdentity(row.subdomain, row.base_url)


def _record(connection: sa.Connection, table: sa.Table, site: SiteIdentity) -> None:
    values = {
        "subdomain": site.subdomain,
        "base_url": site.base_url,
        "recorded_at": dt.datetime.now(dt.UTC),
    }
    upsert = insert(connection, table).values(slot=1, **values)
    connection.execute(upsert.on_conflict_do_update(index_elements=["slot"], set_=values))


def _holds_thinkific_rows(connection: sa.Connection, schema: str | None) -> bool:
    """Any Thinkific table (staged pages included) with a row."""
    names = sa.inspect(connection).get_table_names(schema=schema)
    for name in names:
        if name.startswith(THINKIFIC_TABLE_PREFIX):
            any_row = sa.select(sa.literal(1)).select_from(sa.table(name, schema=schema))
            if connection.execute(any_row.limit(1)).first():
                return True
    return False


def _where(engine: sa.Engine, schema: str | None) -> str:
    url = engine.url.render_as_string(hide_password=True)
    return f"{url} (schema {schema})" if schema else url


def _fix(engine: sa.Engine, schema: str | None) -> str:
    if engine.dialect.name == "sqlite":
        start_over = f"delete {engine.url.database} to start over"
    elif schema:
        start_over = f"drop the schema {schema} to start over"
    else:
        start_over = "drop its thinkific_*, dashboard_* and warehouse_* tables to start over"
    return (
        "point WAREHOUSE_URL (or WAREHOUSE_SCHEMA) at a warehouse of its own for the new site, "
        f"or {start_over} (its rows are lost)"
    )


def _mismatch(
    engine: sa.Engine, schema: str | None, recorded: SiteIdentity, site: SiteIdentity
) -> str:
    return (
        f"the warehouse at {_where(engine, schema)} holds {recorded.describe()}, not "
        f"{site.describe()}, which was asked for; nothing was read or written. "
        f"To sync the new site, {_fix(engine, schema)}"
    )


def _unrecorded(engine: sa.Engine, schema: str | None, site: SiteIdentity, why: str) -> str:
    return (
        f"the warehouse at {_where(engine, schema)} holds rows from before it recorded its site, "
        f"and they are not {site.describe()}'s: {why}; nothing was written. "
        f"To sync this site, {_fix(engine, schema)}"
    )
