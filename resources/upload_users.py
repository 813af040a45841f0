"""User uploads into the dashboard: staged valid rows become users, teams, memberships and seats.

What an import writes, all in the caller's one transaction (`resources.upload_staging`):

- teams named by the file that do not exist yet (a team is its name, trimmed, any case);
- users whose email is not a dashboard user yet, named from the first row with their email and
  linked to the live Thinkific user with the same email, or to the one this upload created;
  existing users keep their row;
- memberships (source `csv_import`) for every (team, email); a `csv_import` membership whose
  role the file changes gets the new role, memberships from other sources are left as they are;
- seat assignments (source `dashboard`) for every product a row names;
- a welcome message per user this run created, when emails are allowed;
- a line in the import log.

Each step inserts only what is missing, so the same file imported again adds nothing, and a
corrected file adds what it corrected. `plan` counts what `apply` would do, without writing.
"""

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from resources.dashboard_outbox import OUTBOX, Template, welcome_rows
from resources.dashboard_sql import live, normalised, upsert
from resources.dashboard_store import DashboardStore
from resources.upload_staging import (
    TIMESTAMP,
    StagedTeams,
    append,
    count,
    count_missing,
    insert_missing,
    temporary_table,
)
from resources.upload_validation import FirstSeen, hashed

CSV_IMPORT = "csv_import"
SEAT_SOURCE = "dashboard"
JOB = "uploads/user_csv"


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


def _words(name: str) -> tuple[str, str, str]:
    """`name.partition(" ")`, splitting at any whitespace."""
    words = name.split(None, 1)
    return words[0] if words else "", " ", words[1] if len(words) > 1 else ""


def split_name(names: list[str]) -> tuple[list[str | None], list[str | None]]:
    """First word as first name, the rest as last name (None for none); words are split at any
    whitespace, a no-break space included. A printable name's only whitespace is the space:
    `partition` splits it seven times faster than `split`."""
    parts = [name.partition(" ") if name.isprintable() else _words(name) for name in names]
    return [first or None for first, _, _ in parts], [
        rest.lstrip(" ") or None for _, _, rest in parts
    ]


class StagedUsers:
    """The valid rows of one user upload, in temporary tables on the upload's connection.

    Which row is the first of its email is worked out while staging (`FirstSeen`), so the
    statements need neither a sort nor a GROUP BY over the rows.
    """

    def __init__(
        self,
        connection: sa.Connection,
        store: DashboardStore,
        imported: UserImport,
        thinkific_ids: Mapping[str, int],
    ) -> None:
        self.connection = connection
        self.store = store
        self.imported = imported
        self.thinkific_ids = thinkific_ids
        """Users this upload created in Thinkific: email -> Thinkific user id."""
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
        for table in (self.rows, self.seats):
            table.create(connection)
        self.teams = StagedTeams(connection)
        self._emails = FirstSeen()
        self.users_in_file = 0

    def add(self, valid: pd.DataFrame) -> None:
        """Stages a chunk's valid rows (parsed, with `product_ids` where they name products)."""
        emails, rows = valid["email"].tolist(), valid.index.to_numpy(dtype=np.int64)
        first_of_email = self._emails.first_rows(rows, hashed(emails)) == rows
        self.users_in_file += int(first_of_email.sum())
        first, last = split_name(valid["name"].where(first_of_email, "").tolist())
        team = self.teams.add(valid["team_key"], valid["team"])
        ids = self.thinkific_ids
        linked = [ids.get(address) for address in emails] if ids else [None] * len(emails)
        append(
            self.connection,
            self.rows,
            [
                rows.tolist(),
                emails,
                first_of_email.tolist(),
                first,
                last,
                team.tolist(),
                valid["role"].tolist(),
                linked,
            ],
        )
        named = valid["product_ids"].notna()
        seats = pd.DataFrame(
            {"team": team[named], "email": valid["email"][named], "id": valid["product_ids"][named]}
        )
        seats = seats.explode("id").dropna(subset=["id"])  # a cell of separators names none
        append(
            self.connection,
            self.seats,
            [seats["team"].tolist(), seats["email"].tolist(), seats["id"].tolist()],
        )

    def drop(self) -> None:
        for table in (self.rows, self.seats):
            table.drop(self.connection)
        self.teams.drop()

    # What the import would do, as queries.

    def _in_thinkific(self) -> sa.Subquery:
        """Live Thinkific users by normalised email: the email and the user's id."""
        thinkific = self.store.table("thinkific_users")
        return (
            sa.select(
                normalised(thinkific.c.email).label("email"),
                sa.func.max(thinkific.c.id).label("id"),
            )
            .where(live(thinkific))
            .group_by(normalised(thinkific.c.email))
            .subquery("in_thinkific")
        )

    def _user_rows(self, imported: UserImport) -> sa.Select:
        """The first row of each email, as a dashboard user."""
        s = self.rows.c
        known = self._in_thinkific()
        return (
            sa.select(
                s.email,
                s.first_name,
                s.last_name,
                sa.func.coalesce(s.thinkific_user_id, known.c.id).label("thinkific_user_id"),
                sa.literal(imported.at, TIMESTAMP).label("created_at"),
                sa.literal(imported.run_id).label("created_by_run"),
            )
            .outerjoin(known, known.c.email == s.email)
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
        )

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

    def _users_in_thinkific(self) -> int:
        known, s = self._in_thinkific(), self.rows.c
        return count(
            self.connection,
            sa.select(s.email).join(known, known.c.email == s.email).where(s.first_of_email),
        )

    def missing_in_thinkific(self) -> list[MissingUser]:
        """The file's users (their first valid row) that Thinkific does not have by email."""
        known, s = self._in_thinkific(), self.rows.c
        query = (
            sa.select(s.row, s.email, s.first_name, s.last_name)
            .outerjoin(known, known.c.email == s.email)
            .where(s.first_of_email, known.c.email.is_(None))
            .order_by(s.row)
        )
        return [MissingUser(*row) for row in self.connection.execute(query)]

    def plan(self) -> dict[str, int]:
        """What `apply` would write, counted; writes nothing."""
        c, store, imported = self.connection, self.store, self.imported
        at = imported.at
        members = store.table("dashboard_team_members")
        role_changes = sa.select(members.c.email).where(self._role_changes(members))
        users = count_missing(c, store.table("dashboard_users"), self._user_rows(imported))
        return {
            "teams_created": self.teams.count_new(store, at),
            "users_created": users,
            "users_existing": self.users_in_file - users,
            "users_in_thinkific": self._users_in_thinkific(),
            "memberships_added": count_missing(c, members, self._member_rows(at)),
            "roles_changed": count(c, role_changes),
            "seats_assigned": count_missing(
                c, store.table("dashboard_seat_assignments"), self._seat_rows(at)
            ),
            "welcome_messages": users if imported.welcome else 0,
        }

    def apply(self) -> dict[str, int]:
        """Writes the staged rows into the dashboard tables (see the module docstring)."""
        c, store, imported = self.connection, self.store, self.imported
        at = imported.at
        users, members = store.table("dashboard_users"), store.table("dashboard_team_members")
        in_thinkific = self._users_in_thinkific()
        teams = self.teams.insert_new(store, at)
        created = insert_missing(c, users, self._user_rows(imported))
        roles = c.execute(
            sa.update(members).values(role=self.rows.c.role).where(self._role_changes(members))
        ).rowcount
        added = insert_missing(c, members, self._member_rows(at))
        seats = insert_missing(c, store.table("dashboard_seat_assignments"), self._seat_rows(at))
        welcomed = 0
        if imported.welcome is not None:
            created_now = sa.select(users.c.email).where(users.c.created_by_run == imported.run_id)
            rows = welcome_rows(created_now, imported.welcome, imported.run_id, imported.at)
            welcomed = insert_missing(c, store.table(OUTBOX), rows)
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
            "users_created": created,
            "users_linked": linked,
            "memberships_added": added + roles,
            "welcome_messages": welcomed,
            "imported_at": imported.at,
        }
        c.execute(upsert(c, store.table("dashboard_import_log"), ["run_id"]), [log])
        return {
            "teams_created": teams,
            "users_created": created,
            "users_existing": self.users_in_file - created,
            "users_in_thinkific": in_thinkific,
            "memberships_added": added,
            "roles_changed": roles,
            "seats_assigned": seats,
            "welcome_messages": welcomed,
        }
