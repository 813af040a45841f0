"""Teams renamed, merged, archived, and members moved or removed: the Teams tab's actions.

A team's key is its normalised name, so a rename re-keys every row of the team (see
`resources.dashboard.team_rekeying`). Archiving is soft: the team and its rows stay (history), and
seat counting and the overview leave it out. Memberships made by group matching belong to the
mapping, which would restore them on the next team mapping: moving or removing one is refused.
Each function resolves names on its connection, raises `Refused` before writing, and returns
the rows it changed (0 when the change is already there).
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from resources.dashboard.audit_log import was_applied
from resources.dashboard.store import DashboardStore
from resources.dashboard.team_lookup import (
    Refused,
    TeamRow,
    active_team,
    existing_team,
    find_team,
    listed,
)
from resources.dashboard.team_mapping import GROUP_MATCHING
from resources.dashboard.team_rekeying import MEMBERS, move_rows, move_team
from schemas.dashboard import normalised


def rename(connection: sa.Connection, store: DashboardStore, team: str, new_name: str) -> int:
    """Renames the team; refused when another team has the new name (in any case)."""
    new_key, name = normalised(new_name), new_name.strip()
    if find_team(connection, store, team) is None and was_applied(
        connection, store, "rename_team", normalised(team), new_key
    ):
        return 0
    found = active_team(connection, store, team)
    taken = find_team(connection, store, new_name)
    if taken is not None and taken.team != found.team:
        raise Refused(
            f"a team named {taken.name!r} exists already (names are compared trimmed and in any "
            "case): choose another name, or merge the two teams (merge_teams)"
        )
    if found.name == name:
        return 0
    teams = store.table("dashboard_teams")
    renamed = sa.update(teams).where(teams.c.team == found.team).values(team=new_key, name=name)
    changed = connection.execute(renamed).rowcount
    if new_key == found.team:
        return changed
    return changed + move_team(connection, store, found.team, new_key)


def _archive(
    connection: sa.Connection, store: DashboardStore, team: str, at: dt.datetime, **values: str
) -> int:
    teams = store.table("dashboard_teams")
    archived = sa.update(teams).where(teams.c.team == team).values(archived_at=at, **values)
    return connection.execute(archived).rowcount


def archive(connection: sa.Connection, store: DashboardStore, team: str, at: dt.datetime) -> int:
    """Archives the team, keeping its rows."""
    found = existing_team(connection, store, team)
    if found.archived_at is not None:
        return 0
    return _archive(connection, store, found.team, at)


def merge(
    connection: sa.Connection, store: DashboardStore, source: str, target: str, at: dt.datetime
) -> int:
    """Moves the source team's members, group mappings, seats, assignments and releases to the
    target (duplicates collapse), then archives the source as merged into the target."""
    found = existing_team(connection, store, source)
    into = active_team(connection, store, target)
    if found.merged_into == into.team:
        return 0
    if found.team == into.team:
        raise Refused(f"cannot merge team {found.name!r} into itself: name two different teams")
    found = active_team(connection, store, source)
    moved = move_team(connection, store, found.team, into.team)
    return moved + _archive(connection, store, found.team, at, merged_into=into.team)


def _users(connection: sa.Connection, store: DashboardStore, emails: Sequence[str]) -> None:
    """Refuses emails that are no dashboard user (a typo, most likely)."""
    users = store.table("dashboard_users")
    known = connection.execute(sa.select(users.c.email).where(users.c.email.in_(emails)))
    unknown = sorted(set(emails) - set(known.scalars()))
    if unknown:
        raise Refused(f"unknown users {listed(unknown)}: check the emails")


def _not_group_matched(
    connection: sa.Connection, store: DashboardStore, team: TeamRow, emails: Sequence[str]
) -> None:
    members = store.table(MEMBERS)
    matched = connection.execute(
        sa.select(members.c.email).where(
            members.c.team == team.team,
            members.c.email.in_(emails),
            members.c.source == GROUP_MATCHING,
        )
    ).scalars()
    found = sorted(matched)
    if found:
        raise Refused(
            f"{listed(found)} belong to team {team.name!r} through group matching, which would "
            "put them back: change the group mapping or their Thinkific groups instead"
        )


def _drop_seats(
    connection: sa.Connection, store: DashboardStore, team: str, emails: Sequence[str]
) -> int:
    """Deletes the members' seat assignments and releases in the team: seats belong to the
    team that bought them, so they stay behind when the member goes."""
    changed = 0
    for name in ("dashboard_seat_assignments", "dashboard_seat_releases"):
        table = store.table(name)
        mine = sa.delete(table).where(table.c.team == team, table.c.email.in_(emails))
        changed += connection.execute(mine).rowcount
    return changed


def move_members(
    connection: sa.Connection,
    store: DashboardStore,
    source: str,
    target: str,
    emails: Sequence[str],
) -> int:
    """Moves the members (normalised emails) from the source team to the target, with their
    role and source (a manager in either stays a manager); their seats stay in the source."""
    _users(connection, store, emails)
    found, into = active_team(connection, store, source), active_team(connection, store, target)
    if found.team == into.team:
        raise Refused(f"source and target are both team {found.name!r}: name two different teams")
    _not_group_matched(connection, store, found, emails)
    members = store.table(MEMBERS)
    in_either = connection.execute(
        sa.select(members.c.email).where(
            members.c.team.in_([found.team, into.team]), members.c.email.in_(emails)
        )
    ).scalars()
    strangers = sorted(set(emails) - set(in_either))
    if strangers:
        raise Refused(
            f"not members of team {found.name!r}: {listed(strangers)}; check the team and emails"
        )
    only = members.c.email.in_(emails)
    moved = move_rows(connection, members, found.team, into.team, only)
    return moved + _drop_seats(connection, store, found.team, emails)


def remove_members(
    connection: sa.Connection, store: DashboardStore, team: str, emails: Sequence[str]
) -> int:
    """Removes the members (normalised emails) from the team, with their seats in it; the
    dashboard users and their Thinkific enrollments stay."""
    _users(connection, store, emails)
    found = active_team(connection, store, team)
    _not_group_matched(connection, store, found, emails)
    members = store.table(MEMBERS)
    leaving = sa.delete(members).where(members.c.team == found.team, members.c.email.in_(emails))
    return connection.execute(leaving).rowcount + _drop_seats(connection, store, found.team, emails)
