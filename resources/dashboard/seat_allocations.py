"""Seat purchases: a team's seats of a product set to a number, or added to.

`allocate` is the one way seats are bought, for the allocate_seats job and, row by row inside
one transaction, for a CSV import: it resolves the names on the connection it is given, refuses
(`Refused`) before writing, and returns the rows it changed.

- `add` records a purchase (purchased at `at`); two purchases at the same instant add up.
- `set` replaces the team's purchases of the product by one of `seats`; when that one purchase
  is already there (same seats, same expiry) nothing changes.
"""

import datetime as dt
from typing import Literal

import sqlalchemy as sa

from resources.dashboard.sql import dialect_insert
from resources.dashboard.store import DashboardStore
from resources.dashboard.team_lookup import Refused, active_team, find_product

AllocationMode = Literal["set", "add"]


def allocate(
    connection: sa.Connection,
    store: DashboardStore,
    team: str,
    product: str,
    seats: int,
    mode: AllocationMode,
    expires_at: dt.datetime | None,
    at: dt.datetime,
) -> int:
    """Buys seats for the team (by name) in the product (by name or id); rows changed."""
    found = active_team(connection, store, team)
    product_id = find_product(connection, store, product).id
    if seats < 0 or (mode == "add" and seats == 0):
        raise Refused(f"seats must be at least {1 if mode == 'add' else 0} to {mode}, not {seats}")
    if expires_at is not None and expires_at <= at:
        raise Refused(f"expires_at {expires_at.isoformat()} has passed: give a future date")
    allocations = store.table("dashboard_seat_allocations")
    purchase = {
        "team": found.team,
        "product_id": product_id,
        "purchased_at": at,
        "seats": seats,
        "expires_at": expires_at,
    }
    insert = dialect_insert(connection, allocations).values(purchase)
    if mode == "add":
        insert = insert.on_conflict_do_update(
            index_elements=["team", "product_id", "purchased_at"],
            set_={"seats": allocations.c.seats + insert.excluded.seats},
        )
        return connection.execute(insert).rowcount
    if in_place(connection, store, found.team, product_id, seats, expires_at):
        return 0
    of_product = sa.and_(allocations.c.team == found.team, allocations.c.product_id == product_id)
    removed = connection.execute(sa.delete(allocations).where(of_product)).rowcount
    return removed + connection.execute(insert).rowcount


def in_place(
    connection: sa.Connection,
    store: DashboardStore,
    team: str,
    product_id: int,
    seats: int,
    expires_at: dt.datetime | None,
) -> bool:
    """Whether the team's (by key) one purchase of the product is `seats` with this expiry, so
    that `set` changes nothing."""
    allocations = store.table("dashboard_seat_allocations")
    unchanged = sa.and_(
        allocations.c.seats == seats, allocations.c.expires_at.is_not_distinct_from(expires_at)
    )
    of_product = sa.and_(allocations.c.team == team, allocations.c.product_id == product_id)
    purchases, same = connection.execute(
        sa.select(sa.func.count(), sa.func.sum(sa.case((unchanged, 1), else_=0))).where(of_product)
    ).one()
    return purchases == same == 1
