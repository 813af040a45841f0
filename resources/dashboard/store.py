"""The dashboard's tables in the warehouse database: their transactions, and the admin's writes.

Tables are derived from the pandera models in `schemas.dashboard` as `resources.warehouse.resource`
derives the Thinkific ones (one column per model field, the spec's primary key), on the same
engine and in the same PostgreSQL schema, so dashboard SQL joins `thinkific_*` tables directly.
The warehouse's own helpers (`table`, `ensure_tables`) only know the Thinkific registry and add
`deleted_at`, which the dashboard's tables do not have: they are used here for the Thinkific
tables only. The tables, and their indexes (the dashboard's own, and those on the Thinkific
tables it reads, declared with them in `schemas.thinkific.streams`), are created by
`resources.warehouse.migrate`, before the store first uses them.

Write transactions ask the warehouse engine's begin hook for `BEGIN IMMEDIATE` on SQLite, so
the write lock is taken (waiting on the busy timeout) before anything is read: a transaction
that read first could not upgrade while another writer holds the lock.

The derivations (team mapping, seat usage, overview), imports and enrollment claims live in
`resources.dashboard` modules that take a `DashboardStore`.
"""

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa

from resources.dashboard.sql import upsert
from resources.warehouse import WarehouseResource
from resources.warehouse.ddl import define_table

# The option is the warehouse's own name for its write transactions; imported rather than
# spelled again so that a rename breaks loudly here.
from resources.warehouse.engine import WRITE_OPTION
from resources.warehouse.migrate import ensure_tables
from schemas.dashboard import DASHBOARD_TABLES, normalised
from schemas.tables import records_to_frame

THINKIFIC_INPUTS = (
    "thinkific_users",
    "thinkific_groups",
    "thinkific_group_memberships",
    "thinkific_group_analysts",
    "thinkific_products",
    "thinkific_bundle_courses",
    "thinkific_enrollments",
)
"""The Thinkific tables dashboard SQL reads; created empty when no sync has run yet."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DashboardStore:
    """The dashboard tables on a warehouse's engine; create one per run from the resource."""

    def __init__(self, warehouse: WarehouseResource) -> None:
        self._warehouse = warehouse
        self.engine = warehouse.engine
        self.schema = warehouse.schema
        metadata = sa.MetaData(schema=self.schema)
        self._tables = {
            name: define_table(metadata, spec) for name, spec in DASHBOARD_TABLES.items()
        }
        self._ensured = False

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def table(self, name: str) -> sa.Table:
        """A dashboard table (`dashboard_*`) or a Thinkific one (`thinkific_*`)."""
        self.ensure_tables()
        if name in self._tables:
            return self._tables[name]
        return self._warehouse.table(name)

    def ensure_tables(self) -> None:
        """Creates the dashboard tables and the Thinkific tables they read, with their indexes,
        where missing (`resources.warehouse.migrate`)."""
        if self._ensured:
            return
        self._warehouse.ensure_tables(*THINKIFIC_INPUTS)
        tables = list(self._tables.values())
        ensure_tables(self.engine, tables, upgrade=tables)
        self._ensured = True

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One write transaction, committed on success (BEGIN IMMEDIATE on SQLite)."""
        self.ensure_tables()
        with self.engine.connect() as connection:
            # preserve_rowcount: SQLAlchemy only keeps UPDATE and DELETE counts otherwise, and
            # the INSERT ... SELECT counts are what the assets report.
            connection.execution_options(**{WRITE_OPTION: True}, preserve_rowcount=True)
            with connection.begin():
                yield connection

    def read(self, name: str, where: sa.ColumnElement[bool] | None = None) -> pd.DataFrame:
        """A dashboard table (or the rows matching `where`) as a frame of its model, by key."""
        spec = DASHBOARD_TABLES[name]
        table = self.table(name)
        query = sa.select(table).order_by(*(table.c[key] for key in spec.primary_key))
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(query)]
        return records_to_frame(spec, rows)

    def write(
        self, name: str, records: Sequence[Mapping[str, Any]], *, update: bool = True
    ) -> None:
        """Validates records against the table's model and upserts them by primary key; with
        `update=False` a key that exists keeps its row."""
        spec = DASHBOARD_TABLES[name]
        frame = records_to_frame(spec, records)
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        if not rows:
            return
        with self.transaction() as connection:
            insert = upsert(connection, self.table(name), list(spec.primary_key), update=update)
            connection.execute(insert, rows)

    # The admin's writes: what the dashboard's forms and uploads call.

    def create_teams(self, *names: str) -> None:
        """Teams by name; a name that exists already (trimmed, any case) is left as it is."""
        stamp = utc_now()
        records = [
            {"team": normalised(name), "name": name.strip(), "created_at": stamp} for name in names
        ]
        self.write("dashboard_teams", records, update=False)

    def add_users(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Dashboard users by email (normalised); existing users keep their row."""
        stamp = utc_now()
        users = [
            {**record, "email": normalised(record["email"]), "created_at": stamp}
            for record in records
        ]
        self.write("dashboard_users", users, update=False)

    def add_members(self, team: str, emails: Sequence[str], role: str, source: str) -> None:
        stamp = utc_now()
        self.write(
            "dashboard_team_members",
            [
                {
                    "team": normalised(team),
                    "email": normalised(email),
                    "role": role,
                    "source": source,
                    "joined_at": stamp,
                }
                for email in emails
            ],
        )

    def map_group(self, group_id: int, team: str, role: str = "member") -> None:
        """Group matching: the group's members belong to the team (see `team_members`)."""
        self.write(
            "dashboard_group_mappings",
            [{"group_id": group_id, "team": normalised(team), "role": role}],
        )

    def allocate_seats(
        self, team: str, product_id: int, seats: int, purchased_at: dt.datetime
    ) -> None:
        self.write(
            "dashboard_seat_allocations",
            [
                {
                    "team": normalised(team),
                    "product_id": product_id,
                    "purchased_at": purchased_at,
                    "seats": seats,
                }
            ],
        )

    def assign_seats(self, team: str, emails: Sequence[str], product_id: int) -> None:
        stamp = utc_now()
        self.write(
            "dashboard_seat_assignments",
            [
                {
                    "team": normalised(team),
                    "email": normalised(email),
                    "product_id": product_id,
                    "source": "dashboard",
                    "assigned_at": stamp,
                }
                for email in emails
            ],
        )

    def team_names(self) -> dict[str, str]:
        """Every team: normalised name -> name as entered."""
        teams = self.table("dashboard_teams")
        with self.engine.connect() as connection:
            return {
                team: name
                for team, name in connection.execute(sa.select(teams.c.team, teams.c.name))
            }
