"""Seats handed to team members by the admin, and given back.

A seat is taken by a member who holds it (an active enrollment, `seat_holders`) or who is
assigned it and awaits the enrollment a push will make: assigning counts both, so two
assignments never promise the same seat. Unassigning deletes the assignment and records a
release, so a member whose Thinkific enrollment stays active (it is never deleted) stops
using the seat; assigning the seat again removes the release.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from resources.dashboard.seats import purchased, seat_holders
from resources.dashboard.sql import dialect_insert
from resources.dashboard.store import DashboardStore
from resources.dashboard.team_lookup import (
    Product,
    Refused,
    TeamRow,
    active_team,
    find_product,
    require_members,
)


def _seats_taken(
    connection: sa.Connection, store: DashboardStore, team: str, product_id: int, at: dt.datetime
) -> set[str]:
    """Emails of the members holding or assigned a seat of the product in the team."""
    holders = seat_holders(store, at).subquery("holders")
    assignments = store.table("dashboard_seat_assignments")
    members = store.table("dashboard_team_members")
    held = sa.select(holders.c.email).where(
        holders.c.team == team, holders.c.product_id == product_id
    )
    assigned = (
        sa.select(assignments.c.email)
        .join(
            members,
            sa.and_(members.c.team == assignments.c.team, members.c.email == assignments.c.email),
        )
        .where(assignments.c.team == team, assignments.c.product_id == product_id)
    )
    return set(connection.execute(sa.union(held, assigned)).scalars())


def _seats_bought(
    connection: sa.Connection,
    store: DashboardStore,
    team: TeamRow,
    product: Product,
    at: dt.datetime,
) -> int:
    bought = purchased(store, at)
    query = sa.select(bought.c.purchased).where(
        bought.c.team == team.team, bought.c.product_id == product.id
    )
    seats = connection.execute(query).scalar()
    if seats is None:
        raise Refused(
            f"team {team.name!r} has no seats of {product.name!r}: allocate seats first "
            "(allocate_seats)"
        )
    return seats


def _of(table: sa.Table, team: str, product_id: int, emails: Sequence[str]):
    """The table's rows of the emails' seats of the product in the team."""
    return sa.and_(
        table.c.team == team, table.c.product_id == product_id, table.c.email.in_(emails)
    )


def assign(
    connection: sa.Connection,
    store: DashboardStore,
    team: str,
    product: str,
    emails: Sequence[str],
    at: dt.datetime,
) -> int:
    """Assigns a seat of the product to each member (normalised emails); refused when the
    team has too few seats left for those who do not hold one yet. Rows changed."""
    found = active_team(connection, store, team)
    item = find_product(connection, store, product)
    require_members(connection, store, found, emails)
    bought = _seats_bought(connection, store, found, item, at)
    taken = _seats_taken(connection, store, found.team, item.id, at)
    needing = sorted(set(emails) - taken)
    if len(taken) + len(needing) > bought:
        raise Refused(
            f"team {found.name!r} has {bought} seats of {item.name!r}, {len(taken)} taken (in "
            f"use or assigned), {max(bought - len(taken), 0)} available; {len(needing)} more "
            "asked for: allocate more seats (allocate_seats, mode add) or unassign someone first"
        )
    assignments = store.table("dashboard_seat_assignments")
    rows = [
        {
            "team": found.team,
            "email": email,
            "product_id": item.id,
            "source": "dashboard",
            "assigned_at": at,
        }
        for email in emails
    ]
    insert = dialect_insert(connection, assignments).on_conflict_do_nothing(
        index_elements=["team", "email", "product_id"]
    )
    added = connection.execute(insert, rows).rowcount
    releases = store.table("dashboard_seat_releases")
    unreleased = connection.execute(
        sa.delete(releases).where(_of(releases, found.team, item.id, emails))
    ).rowcount
    return added + unreleased


def unassign(
    connection: sa.Connection,
    store: DashboardStore,
    team: str,
    product: str,
    emails: Sequence[str],
    run_id: str,
    at: dt.datetime,
) -> int:
    """Gives back the seats of the product the members (normalised emails) hold or are
    assigned in the team. Touches no Thinkific enrollment. Rows changed."""
    found = active_team(connection, store, team)
    item = find_product(connection, store, product)
    require_members(connection, store, found, emails)
    releasing = sorted(set(emails) & _seats_taken(connection, store, found.team, item.id, at))
    assignments = store.table("dashboard_seat_assignments")
    removed = connection.execute(
        sa.delete(assignments).where(_of(assignments, found.team, item.id, emails))
    ).rowcount
    if not releasing:
        return removed
    releases = [
        {
            "team": found.team,
            "email": email,
            "product_id": item.id,
            "released_at": at,
            "run_id": run_id,
        }
        for email in releasing
    ]
    insert = dialect_insert(connection, store.table("dashboard_seat_releases"))
    insert = insert.on_conflict_do_nothing(index_elements=["team", "email", "product_id"])
    return removed + connection.execute(insert, releases).rowcount
