"""User imports into the dashboard, from Thinkific users or from Thinkific groups.

An import is one transaction of set-based statements: link existing dashboard users to their
Thinkific user, create the missing ones, add them to the team, queue a welcome message per
user it created (when emails are allowed), and log itself. Names given by the admin (team,
groups) are resolved first; an unknown one is a `ConfigProblem` and nothing is written.
"""

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from resources.dashboard.outbox import OUTBOX, Template, welcome_rows
from resources.dashboard.sql import insert_from, live, normalised, upsert
from resources.dashboard.store import DashboardStore
from resources.dashboard.team_mapping import link_thinkific_users
from schemas.dashboard import normalised as normalised_text

MAX_NAMES_LISTED = 20


class ConfigProblem(ValueError):
    """A name in the run config that does not exist; the message lists the known ones."""


def _unknown(kind: str, unknown: Sequence[str], known: Sequence[str]) -> ConfigProblem:
    shown = ", ".join(repr(name) for name in sorted(known)[:MAX_NAMES_LISTED]) or "none"
    more = f" (and {len(known) - MAX_NAMES_LISTED} more)" if len(known) > MAX_NAMES_LISTED else ""
    return ConfigProblem(
        f"unknown {kind} {', '.join(repr(name) for name in unknown)}; known {kind}s: {shown}{more}"
    )


def resolve_team(store: DashboardStore, name: str) -> str:
    """The team's key (its normalised name), or a ConfigProblem."""
    teams = store.team_names()
    key = normalised_text(name)
    if key not in teams:
        raise _unknown("team", [name], list(teams.values()))
    return key


def resolve_groups(store: DashboardStore, entries: Sequence[str]) -> list[int]:
    """Ids of the live Thinkific groups named (by name, trimmed and in any case, or by id)."""
    groups = store.table("thinkific_groups")
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(groups.c.id, groups.c.name).where(live(groups))).all()
    by_name = {normalised_text(name): group_id for group_id, name in rows}
    ids = {str(group_id): group_id for group_id, _ in rows}
    found, unknown = [], []
    for entry in entries:
        group_id = ids.get(entry.strip()) or by_name.get(normalised_text(entry))
        if group_id is None:
            unknown.append(entry)
        elif group_id not in found:
            found.append(group_id)
    if unknown:
        raise _unknown("group", unknown, [name for _, name in rows])
    return found


@dataclass(frozen=True)
class ImportRequest:
    job: str
    team: str | None
    role: str
    source: str
    group_ids: tuple[int, ...] = ()
    emails: str = "default"
    welcome: Template | None = None
    role_wins: bool = False
    """Whether the import's role replaces the role of a membership that exists already (then
    `memberships_added` counts those changed too)."""


@dataclass(frozen=True)
class ImportResult:
    users_created: int
    users_linked: int
    memberships_added: int
    welcome_messages: int


def _source_users(store: DashboardStore, group_ids: Sequence[int]) -> sa.Select:
    """The live Thinkific users to import: all of them, or the members of the groups."""
    thinkific = store.table("thinkific_users")
    query = sa.select(thinkific).where(live(thinkific))
    if group_ids:
        memberships = store.table("thinkific_group_memberships")
        in_groups = (
            sa.select(1)
            .where(
                memberships.c.user_id == thinkific.c.id,
                memberships.c.group_id.in_(group_ids),
                live(memberships),
            )
            .exists()
        )
        query = query.where(in_groups)
    return query


def import_users(
    store: DashboardStore, request: ImportRequest, run_id: str, at: dt.datetime
) -> ImportResult:
    users, members = store.table("dashboard_users"), store.table("dashboard_team_members")
    source = _source_users(store, request.group_ids).subquery("source")
    email = normalised(source.c.email)
    stamp = sa.literal(at, sa.DateTime(timezone=True))
    with store.transaction() as connection:
        linked = link_thinkific_users(connection, store)
        new_users = sa.select(
            email.label("email"),
            sa.func.max(source.c.first_name).label("first_name"),
            sa.func.max(source.c.last_name).label("last_name"),
            sa.func.max(source.c.id).label("thinkific_user_id"),
            stamp.label("created_at"),
            sa.literal(run_id).label("created_by_run"),
        ).group_by(email)
        created = connection.execute(
            insert_from(connection, users, new_users).on_conflict_do_nothing(
                index_elements=["email"]
            )
        ).rowcount
        added = 0
        if request.team is not None:
            rows = sa.select(
                sa.literal(request.team).label("team"),
                email.label("email"),
                sa.literal(request.role).label("role"),
                sa.literal(request.source).label("source"),
                stamp.label("joined_at"),
            ).distinct()
            insert = insert_from(connection, members, rows)
            if request.role_wins:
                insert = insert.on_conflict_do_update(
                    index_elements=["team", "email"],
                    set_={"role": insert.excluded.role},
                    where=members.c.role != insert.excluded.role,
                )
            else:
                insert = insert.on_conflict_do_nothing(index_elements=["team", "email"])
            added = connection.execute(insert).rowcount
        welcomed = 0
        if request.welcome is not None:
            created_now = sa.select(users.c.email).where(users.c.created_by_run == run_id)
            outbox = store.table(OUTBOX)
            insert = insert_from(
                connection, outbox, welcome_rows(created_now, request.welcome, run_id, at)
            ).on_conflict_do_nothing(index_elements=["message_id"])
            welcomed = connection.execute(insert).rowcount
        result = ImportResult(created, linked, added, welcomed)
        log = {
            "run_id": run_id,
            "job": request.job,
            "team": request.team,
            "role": request.role if request.team else None,
            "group_ids": json.dumps(list(request.group_ids)),
            "emails": request.emails,
            "imported_at": at,
            **vars(result),
        }
        connection.execute(
            upsert(connection, store.table("dashboard_import_log"), ["run_id"]), [log]
        )
    return result
