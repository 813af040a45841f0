"""Group matching uploads into the dashboard: staged rows become group mappings (and teams).

A row maps a Thinkific group to a team with a default role: members of the group belong to the
team with that role once team mapping runs (`resources.dashboard.team_mapping.map_teams`,
memberships of source `group_matching`). An import creates the teams it names, adds the mappings
that are missing and changes the role of those the file changes, in the caller's one transaction.
Mappings the file does not name are kept: a file adds to the mapping, it does not replace it.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from resources.dashboard.store import DashboardStore
from resources.uploads.staging import (
    StagedTeams,
    append,
    count,
    count_missing,
    insert_missing,
    temporary_table,
)
from resources.warehouse.migrate import create_working_table


class StagedGroupMappings:
    """The valid rows of one group matching upload, in a temporary table."""

    def __init__(
        self, connection: sa.Connection, store: DashboardStore, at: dt.datetime, write: bool
    ) -> None:
        self.connection = connection
        self.store = store
        self.at = at
        self.write = write
        self.rows = temporary_table(
            "upload_group_mappings",
            sa.Column("group_id", sa.BigInteger),
            sa.Column("team", sa.Text),
            sa.Column("role", sa.Text),
        )
        create_working_table(connection, self.rows)
        self.teams = StagedTeams(connection)

    def add(self, valid: pd.DataFrame) -> None:
        """Stages a chunk's valid rows (parsed, with `group_id`)."""
        team = self.teams.add(valid["team_key"], valid["team"])
        append(
            self.connection,
            self.rows,
            [valid["group_id"].tolist(), team.tolist(), valid["role"].tolist()],
        )

    def drop(self) -> None:
        self.rows.drop(self.connection)
        self.teams.drop()

    def _mappings(self) -> sa.Table:
        return self.store.table("dashboard_group_mappings")

    def _role_changes(self) -> sa.ColumnElement[bool]:
        mappings, s = self._mappings(), self.rows.c
        return sa.and_(
            mappings.c.group_id == s.group_id, mappings.c.team == s.team, mappings.c.role != s.role
        )

    def _mapping_rows(self) -> sa.Select:
        s = self.rows.c
        return sa.select(s.group_id, s.team, s.role)

    def finish(self) -> dict[str, int]:
        """Imports the staged rows (`write`), or counts what an import would do."""
        return self._apply() if self.write else self._plan()

    def _plan(self) -> dict[str, int]:
        """What `_apply` would write, counted; writes nothing."""
        c, mappings = self.connection, self._mappings()
        changes = sa.select(mappings.c.group_id).where(self._role_changes())
        return {
            "teams_created": self.teams.count_new(self.store, self.at),
            "mappings_added": count_missing(c, mappings, self._mapping_rows()),
            "roles_changed": count(c, changes),
        }

    def _apply(self) -> dict[str, int]:
        c, mappings = self.connection, self._mappings()
        created = self.teams.insert_new(self.store, self.at)
        roles = c.execute(
            sa.update(mappings).values(role=self.rows.c.role).where(self._role_changes())
        ).rowcount
        added = insert_missing(c, mappings, self._mapping_rows())
        return {"teams_created": created, "mappings_added": added, "roles_changed": roles}
