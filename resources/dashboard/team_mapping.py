"""Team mapping: dashboard users linked to Thinkific users, and memberships derived from groups.

Everything is one set-based statement per step (INSERT ... SELECT, UPDATE ... FROM, DELETE ...
WHERE NOT EXISTS), run in one transaction, so the work grows with the join, not with round
trips. Only memberships whose source is `group_matching` are derived; the other sources are
the admin's and are never touched here.

A member is the Thinkific user its dashboard user is linked to (`thinkific_user_id`), else the
live Thinkific user with the same normalised email (`dashboard_users` in docs/data-dictionary.md:
one user per email, trimmed and lower-cased, linked to the Thinkific user with that email once
one is found): a user imported before the Thinkific user appeared, or before the next team
mapping linked it, is matched all the same (`member_users`).
"""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa

from resources.dashboard.sql import insert_from, live, normalised, of_teams
from resources.dashboard.store import DashboardStore
from resources.warehouse.migrate import create_working_table

GROUP_MATCHING = "group_matching"
MANAGER, MEMBER = "manager", "member"


@dataclass(frozen=True)
class MappingResult:
    users_created: int
    users_linked: int
    members_added: int
    roles_changed: int
    members_removed: int


def thinkific_id_by_email(
    store: DashboardStore, email: sa.ColumnElement[str]
) -> sa.ScalarSelect[int]:
    """The id of the live Thinkific user whose normalised email is `email` (a dashboard user's
    email, already normalised); the highest when several are; null when none is. A lookup of
    the expression index `ix_thinkific_users_normalised_email` (`DashboardStore`)."""
    thinkific = store.table("thinkific_users")
    # `email` normalised again (a no-op on its value): compared with a bare TEXT column, SQLite
    # applies the column's affinity and no longer searches the expression index, scanning every
    # Thinkific user for each member instead (members x users comparisons).
    return (
        sa.select(sa.func.max(thinkific.c.id))
        .where(live(thinkific), normalised(thinkific.c.email) == normalised(email))
        .scalar_subquery()
    )


def member_users(store: DashboardStore, teams: Collection[str] | None = None) -> sa.Subquery:
    """(team, email, role, thinkific_user_id) of every membership (of `teams`, default all):
    the Thinkific user is the linked one, else the one matched by email, else null."""
    members, users = store.table("dashboard_team_members"), store.table("dashboard_users")
    matched = sa.func.coalesce(
        users.c.thinkific_user_id, thinkific_id_by_email(store, members.c.email)
    )
    return (
        sa.select(
            members.c.team,
            members.c.email,
            members.c.role,
            matched.label("thinkific_user_id"),
        )
        .outerjoin(users, users.c.email == members.c.email)
        .where(of_teams(members.c.team, teams))
        .subquery("member_users")
    )


def teams_of_thinkific_users(store: DashboardStore, user_ids: Collection[int]) -> list[str]:
    """The names (sorted) of the teams any of these Thinkific users is a member of, linked or
    by email."""
    if not user_ids:
        return []
    members, teams = member_users(store), store.table("dashboard_teams")
    query = (
        sa.select(teams.c.name)
        .join(members, members.c.team == teams.c.team)
        .where(members.c.thinkific_user_id.in_(sorted(user_ids)))
        .distinct()
        .order_by(teams.c.name)
    )
    with store.engine.connect() as connection:
        return list(connection.scalars(query))


def link_thinkific_users(connection: sa.Connection, store: DashboardStore) -> int:
    """Sets each dashboard user's Thinkific user id from the live Thinkific user with the same
    normalised email (null when there is none); returns how many links changed."""
    users, thinkific = store.table("dashboard_users"), store.table("thinkific_users")
    matched = thinkific_id_by_email(store, users.c.email)
    linked = connection.execute(
        sa.update(users)
        .values(thinkific_user_id=matched)
        .where(matched.is_not(None), users.c.thinkific_user_id.is_distinct_from(matched))
    ).rowcount
    still_there = (
        sa.select(1)
        .where(
            thinkific.c.id == users.c.thinkific_user_id,
            live(thinkific),
            normalised(thinkific.c.email) == users.c.email,
        )
        .exists()
    )
    unlinked = connection.execute(
        sa.update(users)
        .values(thinkific_user_id=None)
        .where(users.c.thinkific_user_id.is_not(None), ~still_there)
    ).rowcount
    return linked + unlinked


def _derived_memberships(store: DashboardStore) -> sa.Subquery:
    """(team, email, role, thinkific_user_id) from group mappings: a mapped group's members
    with the mapping's role, its analysts as managers; manager wins over member."""
    mappings, teams = store.table("dashboard_group_mappings"), store.table("dashboard_teams")
    groups, thinkific = store.table("thinkific_groups"), store.table("thinkific_users")

    def through(pairs: sa.Table, role: sa.ColumnElement[str]) -> sa.Select:
        return (
            sa.select(
                mappings.c.team,
                normalised(thinkific.c.email).label("email"),
                role.label("role"),
                thinkific.c.id.label("thinkific_user_id"),
            )
            .join(teams, teams.c.team == mappings.c.team)
            .join(groups, groups.c.id == mappings.c.group_id)
            .join(pairs, pairs.c.group_id == mappings.c.group_id)
            .join(thinkific, thinkific.c.id == pairs.c.user_id)
            .where(live(groups), live(pairs), live(thinkific))
        )

    both = sa.union_all(
        through(store.table("thinkific_group_memberships"), mappings.c.role),
        through(store.table("thinkific_group_analysts"), sa.literal(MANAGER)),
    ).subquery("pairs")
    return (
        sa.select(
            both.c.team,
            both.c.email,
            sa.case(
                (sa.func.max(sa.case((both.c.role == MANAGER, 1), else_=0)) == 1, MANAGER),
                else_=MEMBER,
            ).label("role"),
            sa.func.max(both.c.thinkific_user_id).label("thinkific_user_id"),
        )
        .group_by(both.c.team, both.c.email)
        .subquery("derived")
    )


def _staged(connection: sa.Connection, store: DashboardStore) -> sa.Table:
    """The derived memberships in a temporary table with a key, so the statements below join
    an index instead of recomputing the union each time."""
    staged = sa.Table(
        "dashboard_team_members__derived",
        sa.MetaData(),
        sa.Column("team", sa.Text, primary_key=True),
        sa.Column("email", sa.Text, primary_key=True),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("thinkific_user_id", sa.BigInteger, nullable=False),
        prefixes=["TEMPORARY"],
    )
    staged.drop(connection, checkfirst=True)
    create_working_table(connection, staged)
    derived = _derived_memberships(store)
    connection.execute(insert_from(connection, staged, sa.select(derived)))
    return staged


def map_teams(store: DashboardStore, at: dt.datetime, run_id: str) -> MappingResult:
    """Links users, then makes the `group_matching` memberships equal to what the mappings
    derive: new users and memberships added, roles updated, memberships no longer derived
    removed. One transaction."""
    users, members = store.table("dashboard_users"), store.table("dashboard_team_members")
    thinkific = store.table("thinkific_users")
    with store.transaction() as connection:
        linked = link_thinkific_users(connection, store)
        staged = _staged(connection, store)
        new_users = (
            sa.select(
                staged.c.email,
                thinkific.c.first_name,
                thinkific.c.last_name,
                staged.c.thinkific_user_id,
                sa.literal(at, sa.DateTime(timezone=True)).label("created_at"),
                sa.literal(run_id).label("created_by_run"),
            )
            .join(thinkific, thinkific.c.id == staged.c.thinkific_user_id)
            .distinct()
        )
        created = connection.execute(
            insert_from(connection, users, new_users).on_conflict_do_nothing(
                index_elements=["email"]
            )
        ).rowcount
        same_membership = sa.and_(
            staged.c.team == members.c.team, staged.c.email == members.c.email
        )
        roles_changed = connection.execute(
            sa.update(members)
            .values(role=staged.c.role)
            .where(
                same_membership, members.c.source == GROUP_MATCHING, members.c.role != staged.c.role
            )
        ).rowcount
        new_members = sa.select(
            staged.c.team,
            staged.c.email,
            staged.c.role,
            sa.literal(GROUP_MATCHING).label("source"),
            sa.literal(at, sa.DateTime(timezone=True)).label("joined_at"),
        )
        added = connection.execute(
            insert_from(connection, members, new_members).on_conflict_do_nothing(
                index_elements=["team", "email"]
            )
        ).rowcount
        removed = connection.execute(
            sa.delete(members).where(
                members.c.source == GROUP_MATCHING,
                ~sa.select(1).where(same_membership).exists(),
            )
        ).rowcount
        staged.drop(connection)
    return MappingResult(created, linked, added, roles_changed, removed)
