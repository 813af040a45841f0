"""User uploads into the dashboard: valid rows become users, teams, memberships, seats and fields.

What an import writes, all in the caller's one transaction (`resources.uploads.staging`):

- teams named by the file that do not exist yet (a team is its name, trimmed, any case);
- users whose email is not a dashboard user yet, named from the first row with their email and
  linked to the live Thinkific user with the same email, or to the one this upload created;
  existing users keep their row;
- memberships (source `csv_import`) for every (team, email) of a row that names a team: a row
  without a team makes its user and joins no team. A `csv_import` membership whose role the
  file changes gets the new role; memberships from other sources are left as they are;
- seat assignments (source `dashboard`) for every product a row names, in the row's team;
- the additional fields the first row of each email gives (`resources.uploads.fields`);
- a welcome message per user this run created, when emails are allowed;
- a line in the import log.

Each step inserts only what is missing, so the same file imported again adds nothing, and a
corrected file adds what it corrected. A validation counts what an import would do instead.

The rows are imported (or counted) chunk by chunk, as they are validated. `add` prepares a
chunk in Python: which row is the first of its email (`FirstSeen`, so no statement needs a
sort or a GROUP BY), the names, teams, seats and fields, as bulk-load batches. It hands the
chunk's database work to `resources.uploads.pipeline.InOrder`: load the batches into temporary
tables, merge them into the dashboard tables (or count) with one set-based statement per table,
drop them. On PostgreSQL that runs while the next chunk is read, and an import locks the tables
it fills against other writers first (`LOCKED`), so that plain inserts of the rows not there yet
(`insert_new`) are safe. `finish` writes what needs the whole file: teams, welcome messages, the
import log.
"""

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import sqlalchemy as sa

from resources.dashboard.outbox import OUTBOX, Template, welcome_rows
from resources.dashboard.sql import insert_from, live, normalised, upsert
from resources.dashboard.store import DashboardStore
from resources.uploads.fields import FieldCells, StagedFields
from resources.uploads.pipeline import InOrder
from resources.uploads.staging import (
    TIMESTAMP,
    Batch,
    StagedTeams,
    count,
    count_missing,
    insert_missing,
    insert_new,
    load,
    lock_for_writing,
    temporary_table,
)
from resources.uploads.validation import FirstSeen, hashed
from resources.warehouse.migrate import create_working_table

CSV_IMPORT = "csv_import"
SEAT_SOURCE = "dashboard"
JOB = "uploads/user_csv"
LOCKED = (
    "dashboard_users",
    "dashboard_user_fields",
    "dashboard_team_members",
    "dashboard_seat_assignments",
)
"""The tables an import fills with plain inserts (`insert_new`): no other writer meanwhile."""


@dataclass(frozen=True)
class UserImport:
    """Who runs an import and how: its run, time, email setting and welcome message."""

    run_id: str
    at: dt.datetime
    emails: str = "default"
    welcome: Template | None = None


@dataclass(frozen=True)
class MissingUser:
    """A valid row's user that Thinkific does not have (by email)."""

    row: int
    email: str
    first_name: str
    last_name: str | None


@dataclass(frozen=True)
class _Chunk:
    """A chunk's rows, prepared to be staged."""

    users: Batch
    seats: Batch
    teams: Batch
    fields: FieldCells | None
    memberships: int
    """Rows naming a team."""


def _words(name: str) -> tuple[str, str, str]:
    """`name.partition(" ")`, splitting at any whitespace."""
    words = name.split(None, 1)
    return words[0] if words else "", " ", words[1] if len(words) > 1 else ""


def split_name(names: list[str]) -> tuple[list[str | None], list[str | None]]:
    """First word as first name, the rest as last name (None for none); words are split at any
    whitespace, a no-break space included. A printable name's only whitespace is the space:
    `partition` splits it several times faster than `split`."""
    parts = [name.partition(" ") if name.isprintable() else _words(name) for name in names]
    return [first or None for first, _, _ in parts], [
        rest.lstrip(" ") or None for _, _, rest in parts
    ]


class StagedUsers:
    """The valid rows of one user upload, imported (`write`) or counted chunk by chunk."""

    def __init__(
        self,
        work: InOrder,
        store: DashboardStore,
        imported: UserImport,
        *,
        write: bool,
        fields: Sequence[str] = (),
        thinkific_ids: Mapping[str, int] | None = None,
        find_missing: bool = False,
    ) -> None:
        connection = work.connection
        self.work = work
        self.store = store
        self.imported = imported
        self.write = write
        self.thinkific_ids = thinkific_ids or {}
        """Users this upload created in Thinkific: email -> Thinkific user id."""
        self.find_missing = find_missing
        self.missing: list[MissingUser] = []
        """With `find_missing`: the file's users (first valid row) Thinkific does not have."""
        self.rows = temporary_table(
            "upload_users",
            sa.Column("row", sa.BigInteger),
            sa.Column("email", sa.Text),
            sa.Column("first_of_email", sa.Boolean),
            sa.Column("first_name", sa.Text),
            sa.Column("last_name", sa.Text),
            sa.Column("team", sa.Text),
            sa.Column("role", sa.Text),
            sa.Column("thinkific_user_id", sa.BigInteger),
        )
        self.seats = temporary_table(
            "upload_seats",
            sa.Column("team", sa.Text),
            sa.Column("email", sa.Text),
            sa.Column("product_id", sa.BigInteger),
        )
        if write:
            lock_for_writing(connection, *(store.table(name) for name in LOCKED))
        self.known = self._known_in_thinkific(connection)
        self.teams = StagedTeams(connection)
        self.fields = StagedFields(store, fields, imported.at, imported.run_id)
        self._emails = FirstSeen()
        self._counts: Counter[str] = Counter()
        self.users_in_file = 0

    def _known_in_thinkific(self, connection: sa.Connection) -> sa.Table:
        """Live Thinkific users by normalised email (the email and the user's id), once for
        the whole file, keyed so that each chunk looks its emails up."""
        known = temporary_table(
            "upload_known",
            sa.Column("email", sa.Text, primary_key=True),
            sa.Column("id", sa.BigInteger),
        )
        create_working_table(connection, known)
        thinkific = self.store.table("thinkific_users")
        email = normalised(thinkific.c.email)
        users = (
            sa.select(email.label("email"), sa.func.max(thinkific.c.id).label("id"))
            .where(live(thinkific), thinkific.c.email.is_not(None))
            .group_by(email)
        )
        connection.execute(insert_from(connection, known, users))
        return known

    def add(self, valid: pd.DataFrame) -> None:
        """Prepares a chunk's valid rows (parsed, with `product_ids` where they name products)
        and hands them over to be imported or counted."""
        dialect = self.work.connection.dialect.name
        emails, rows = valid["email"].tolist(), valid.index.to_numpy(dtype=np.int64)
        first_of_email = self._emails.first_rows(rows, hashed(emails)) == rows
        self.users_in_file += int(first_of_email.sum())
        first, last = split_name(valid["name"].where(first_of_email, "").tolist())
        named = valid["team_key"] != ""
        team = valid["team_key"].where(named, None)
        new_teams = self.teams.new(valid["team_key"][named], valid["team"][named])
        ids = self.thinkific_ids
        linked = [ids.get(address) for address in emails] if ids else [None] * len(emails)
        users = [rows.tolist(), emails, first_of_email.tolist(), first, last, team.tolist()]
        with_products = valid["product_ids"].notna()
        seats = pd.DataFrame(
            {
                "team": team[with_products],
                "email": valid["email"][with_products],
                "id": valid["product_ids"][with_products],
            }
        ).explode("id")
        seats = seats.dropna(subset=["id"])  # a cell of separators names none
        chunk = _Chunk(
            users=Batch.of(dialect, self.rows, [*users, valid["role"].tolist(), linked]),
            seats=Batch.of(
                dialect,
                self.seats,
                [seats["team"].tolist(), seats["email"].tolist(), seats["id"].tolist()],
            ),
            teams=Batch.of(dialect, self.teams.table, new_teams),
            fields=self.fields.cells(dialect, valid, first_of_email) if self.fields.names else None,
            memberships=int(named.sum()),
        )
        self.work.submit(partial(self._stage, chunk=chunk))

    def _stage(self, connection: sa.Connection, chunk: _Chunk) -> None:
        """A chunk's database work: staged, merged or counted, dropped."""
        tables = [self.rows, self.seats] + ([self.fields.table] if chunk.fields else [])
        for table in tables:
            create_working_table(connection, table)
        batches = [chunk.users, chunk.seats, chunk.teams]
        for batch in batches + ([chunk.fields.batch] if chunk.fields else []):
            load(connection, batch)
        if self.write:
            self._counts.update(self._merge(connection, chunk.memberships))
        else:
            self._counts.update(self._count(connection))
        if chunk.fields:
            fields = self.fields.merge if self.write else self.fields.count
            self._counts.update(fields(connection, chunk.fields))
        if self.find_missing:
            self.missing += self._missing_in_thinkific(connection)
        for table in tables:
            table.drop(connection)

    def drop(self) -> None:
        self.teams.drop()
        self.known.drop(self.work.connection)

    # A staged chunk's statements.

    def _user_rows(self, imported: UserImport) -> sa.Select:
        """The first row of each email, as a dashboard user."""
        s, known = self.rows.c, self.known.c
        return (
            sa.select(
                s.email,
                s.first_name,
                s.last_name,
                sa.func.coalesce(s.thinkific_user_id, known.id).label("thinkific_user_id"),
                sa.literal(imported.at, TIMESTAMP).label("created_at"),
                sa.literal(imported.run_id).label("created_by_run"),
            )
            .outerjoin(self.known, known.email == s.email)
            .where(s.first_of_email)
        )

    def _role_changes(self, members: sa.Table) -> sa.ColumnElement[bool]:
        return sa.and_(
            members.c.team == self.rows.c.team,
            members.c.email == self.rows.c.email,
            members.c.source == CSV_IMPORT,
            members.c.role != self.rows.c.role,
        )

    def _member_rows(self, at: dt.datetime) -> sa.Select:
        s = self.rows.c
        return sa.select(
            s.team,
            s.email,
            s.role,
            sa.literal(CSV_IMPORT).label("source"),
            sa.literal(at, TIMESTAMP).label("joined_at"),
        ).where(s.team.is_not(None))

    def _seat_rows(self, at: dt.datetime) -> sa.Select:
        """Each product's seat once (a cell may name a product twice)."""
        p = self.seats.c
        return sa.select(
            p.team,
            p.email,
            p.product_id,
            sa.literal(SEAT_SOURCE).label("source"),
            sa.literal(at, TIMESTAMP).label("assigned_at"),
        ).distinct()

    def _users_in_thinkific(self, connection: sa.Connection) -> int:
        s, known = self.rows.c, self.known.c
        return count(
            connection,
            sa.select(s.email).join(self.known, known.email == s.email).where(s.first_of_email),
        )

    def _missing_in_thinkific(self, connection: sa.Connection) -> list[MissingUser]:
        s, known = self.rows.c, self.known.c
        query = (
            sa.select(s.row, s.email, s.first_name, s.last_name)
            .outerjoin(self.known, known.email == s.email)
            .where(s.first_of_email, known.email.is_(None))
            .order_by(s.row)
        )
        return [MissingUser(*row) for row in connection.execute(query)]

    def _count(self, c: sa.Connection) -> dict[str, int]:
        """What `_merge` would write of the staged chunk, counted; writes nothing."""
        store, at = self.store, self.imported.at
        members = store.table("dashboard_team_members")
        role_changes = sa.select(members.c.email).where(self._role_changes(members))
        return {
            "users_created": count_missing(
                c, store.table("dashboard_users"), self._user_rows(self.imported)
            ),
            "users_in_thinkific": self._users_in_thinkific(c),
            "memberships_added": count_missing(c, members, self._member_rows(at)),
            "roles_changed": count(c, role_changes),
            "seats_assigned": count_missing(
                c, store.table("dashboard_seat_assignments"), self._seat_rows(at)
            ),
        }

    def _merge(self, c: sa.Connection, memberships: int) -> dict[str, int]:
        """Writes the staged chunk, of `memberships` rows naming a team, into the dashboard
        tables (see the module docstring). Only when some of those are memberships already
        does it look for role changes: on PostgreSQL that join scans the whole table, for
        every chunk."""
        store, at = self.store, self.imported.at
        users, members = store.table("dashboard_users"), store.table("dashboard_team_members")
        in_thinkific = self._users_in_thinkific(c)
        created = insert_new(c, users, self._user_rows(self.imported))
        added = insert_new(c, members, self._member_rows(at))
        roles = 0
        if added < memberships:  # memberships already: their role may change
            roles = c.execute(
                sa.update(members).values(role=self.rows.c.role).where(self._role_changes(members))
            ).rowcount
        return {
            "users_created": created,
            "users_in_thinkific": in_thinkific,
            "memberships_added": added,
            "roles_changed": roles,
            "seats_assigned": insert_new(
                c, store.table("dashboard_seat_assignments"), self._seat_rows(at)
            ),
        }

    # The whole file.

    def finish(self) -> dict[str, int]:
        """Once every chunk is added: imports what needs the whole file, or counts it; what
        the upload did (or would do)."""
        c, store, imported = self.work.wait(), self.store, self.imported
        counts = self._counts
        if not self.write:
            teams = self.teams.count_new(store, imported.at)
            welcomed = counts["users_created"] if imported.welcome else 0
        else:
            teams = self.teams.insert_new(store, imported.at)
            welcomed = self._welcome(c)
            self._log(c, welcomed)
        result = {
            "teams_created": teams,
            "users_created": counts["users_created"],
            "users_existing": self.users_in_file - counts["users_created"],
            "users_in_thinkific": counts["users_in_thinkific"],
            "memberships_added": counts["memberships_added"],
            "roles_changed": counts["roles_changed"],
            "seats_assigned": counts["seats_assigned"],
            "welcome_messages": welcomed,
        }
        if self.fields.names:
            result |= {name: counts[name] for name in ("fields_set", "fields_cleared")}
        return result

    def _welcome(self, c: sa.Connection) -> int:
        imported = self.imported
        if imported.welcome is None:
            return 0
        users = self.store.table("dashboard_users")
        created_now = sa.select(users.c.email).where(users.c.created_by_run == imported.run_id)
        rows = welcome_rows(created_now, imported.welcome, imported.run_id, imported.at)
        return insert_missing(c, self.store.table(OUTBOX), rows)

    def _log(self, c: sa.Connection, welcomed: int) -> None:
        imported, users = self.imported, self.store.table("dashboard_users")
        linked = count(
            c,
            sa.select(users.c.email).where(
                users.c.created_by_run == imported.run_id, users.c.thinkific_user_id.is_not(None)
            ),
        )
        log = {
            "run_id": imported.run_id,
            "job": JOB,
            "team": None,
            "role": None,
            "group_ids": json.dumps([]),
            "emails": imported.emails,
            "users_created": self._counts["users_created"],
            "users_linked": linked,
            "memberships_added": self._counts["memberships_added"] + self._counts["roles_changed"],
            "welcome_messages": welcomed,
            "imported_at": imported.at,
        }
        c.execute(upsert(c, self.store.table("dashboard_import_log"), ["run_id"]), [log])
