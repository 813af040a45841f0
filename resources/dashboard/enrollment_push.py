"""Sync direction push: Thinkific enrollments for seat assignments that lack one.

Thinkific allows one enrollment per user per course and answers a second with 422, but two runs
racing could still both spend the team's last seat on different users. So each push first takes
a claim, a row keyed by (Thinkific user, product), in a transaction that also checks the seats:

- PostgreSQL: the transaction holds an advisory lock on the product, so claims of the same
  product are checked one after the other; SQLite: the write transaction (BEGIN IMMEDIATE)
  serialises every claim.
- A claim is granted only while every team of the user that bought the product has a seat
  left, counting members who hold an active enrollment or a claim in flight (a user in two
  teams uses a seat in each).
- The key makes a second claim of the same (user, product) impossible while the first is in
  flight or done. A claim left `claimed` by a run that died is retaken after `CLAIM_LEASE`
  (or at once by the same run, after a step retry); one that `failed` is retaken on the next push.

After the POST (or a 422 "already enrolled", which means the goal is met) the user's enrollments
are read back into `thinkific_enrollments`, so seat usage sees them at once, and only then is the
claim marked `enrolled`.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

from resources.dashboard.seats import purchased, seat_claimers, seat_holders
from resources.dashboard.sql import dialect_insert, live, product_courses
from resources.dashboard.store import DashboardStore
from resources.dashboard.team_mapping import thinkific_id_by_email
from resources.thinkific.resource import ThinkificClient, ThinkificValidationError
from resources.warehouse import WarehouseResource
from schemas.thinkific import to_frame

CLAIM_LEASE = dt.timedelta(minutes=15)
"""How long a claim in flight holds its seat; well beyond one POST and one read-back."""
ADVISORY_LOCK_CLASS = 7_401
"""The first key of `pg_advisory_xact_lock(class, product_id)`: claims of one product queue."""

Action = Literal["enrol", "skip"]
Outcome = Literal[
    "enrolled", "already enrolled", "no seat available", "taken by another run", "failed"
]


@dataclass(frozen=True)
class Candidate:
    """A seat assignment whose user has no enrollment in the product yet."""

    team: str
    email: str
    product_id: int
    product_name: str
    productable_type: str
    productable_id: int
    thinkific_user_id: int | None


@dataclass(frozen=True)
class PlannedPush:
    candidate: Candidate
    action: Action
    reason: str


@dataclass(frozen=True)
class PushResult:
    candidate: Candidate
    outcome: Outcome
    detail: str = ""


def _has_enrollment(
    store: DashboardStore, user_id: sa.ColumnElement[int], product_id: sa.ColumnElement[int]
):
    """Any live enrollment of the user in the product (even expired or a trial: Thinkific
    would refuse a second one)."""
    enrollments = store.table("thinkific_enrollments")
    courses = product_courses(
        store.table("thinkific_products"), store.table("thinkific_bundle_courses")
    )
    return (
        sa.select(1)
        .select_from(enrollments.join(courses, courses.c.course_id == enrollments.c.course_id))
        .where(
            enrollments.c.user_id == user_id,
            courses.c.product_id == product_id,
            live(enrollments),
        )
        .exists()
    )


def candidates(store: DashboardStore) -> list[Candidate]:
    """Assignments of team members, in products their team bought, with no enrollment yet;
    oldest assignment first (the order seats are handed out in)."""
    assignments, members = (
        store.table("dashboard_seat_assignments"),
        store.table("dashboard_team_members"),
    )
    users, products = store.table("dashboard_users"), store.table("thinkific_products")
    bought = purchased(store)
    # The linked Thinkific user, else the one with the member's email (as seat usage counts).
    thinkific_user = sa.func.coalesce(
        users.c.thinkific_user_id, thinkific_id_by_email(store, assignments.c.email)
    )
    query = (
        sa.select(
            assignments.c.team,
            assignments.c.email,
            assignments.c.product_id,
            sa.func.coalesce(products.c.name, "").label("product_name"),
            products.c.productable_type,
            products.c.productable_id,
            thinkific_user.label("thinkific_user_id"),
        )
        .join(
            members,
            sa.and_(members.c.team == assignments.c.team, members.c.email == assignments.c.email),
        )
        .join(
            bought,
            sa.and_(
                bought.c.team == assignments.c.team, bought.c.product_id == assignments.c.product_id
            ),
        )
        .join(products, sa.and_(products.c.id == assignments.c.product_id, live(products)))
        .outerjoin(users, users.c.email == assignments.c.email)
        .where(
            sa.or_(
                thinkific_user.is_(None),
                ~_has_enrollment(store, thinkific_user, assignments.c.product_id),
            )
        )
        .order_by(
            assignments.c.assigned_at,
            assignments.c.team,
            assignments.c.email,
            assignments.c.product_id,
        )
    )
    with store.engine.connect() as connection:
        return [Candidate(*row) for row in connection.execute(query)]


def _seats_left(
    connection: sa.Connection,
    store: DashboardStore,
    at: dt.datetime,
    *,
    product_id: int | None = None,
    email: str | None = None,
) -> dict[tuple[str, int], int]:
    """Seats left per (team, product): purchased minus members holding an active enrollment or
    a claim in flight. With `email`: only that user's teams, not counting the user."""
    takers = sa.union(seat_holders(store, at), seat_claimers(store, at - CLAIM_LEASE)).subquery(
        "takers"
    )
    taken = sa.select(takers.c.team, takers.c.product_id, sa.func.count().label("taken"))
    if email is not None:
        taken = taken.where(takers.c.email != email)
    taken = taken.group_by(takers.c.team, takers.c.product_id).subquery("taken")
    bought = purchased(store)
    query = sa.select(
        bought.c.team,
        bought.c.product_id,
        bought.c.purchased - sa.func.coalesce(taken.c.taken, 0),
    ).outerjoin(
        taken, sa.and_(taken.c.team == bought.c.team, taken.c.product_id == bought.c.product_id)
    )
    if product_id is not None:
        query = query.where(bought.c.product_id == product_id)
    if email is not None:
        members = store.table("dashboard_team_members")
        query = query.join(members, members.c.team == bought.c.team).where(members.c.email == email)
    return {(team, product): left for team, product, left in connection.execute(query)}


def plan(store: DashboardStore, at: dt.datetime) -> list[PlannedPush]:
    """What a push would do now, in order: each candidate enrolled while its teams have seats."""
    with store.engine.connect() as connection:
        left = _seats_left(connection, store, at)
    members = store.table("dashboard_team_members")
    with store.engine.connect() as connection:
        teams_of: dict[str, list[str]] = {}
        for team, email in connection.execute(sa.select(members.c.team, members.c.email)):
            teams_of.setdefault(email, []).append(team)
    planned, pushed = [], set()
    for candidate in candidates(store):
        key = (candidate.thinkific_user_id, candidate.product_id)
        teams = [t for t in teams_of.get(candidate.email, []) if (t, candidate.product_id) in left]
        if candidate.thinkific_user_id is None:
            planned.append(PlannedPush(candidate, "skip", "no Thinkific user with this email"))
        elif key in pushed:
            planned.append(PlannedPush(candidate, "skip", "enrolled through another team"))
        elif min(left[(t, candidate.product_id)] for t in teams) < 1:
            full = [t for t in teams if left[(t, candidate.product_id)] < 1]
            planned.append(
                PlannedPush(candidate, "skip", f"no seat available in {', '.join(full)}")
            )
        else:
            for team in teams:
                left[(team, candidate.product_id)] -= 1
            pushed.add(key)
            planned.append(PlannedPush(candidate, "enrol", ""))
    return planned


def claim(
    store: DashboardStore, candidate: Candidate, run_id: str, at: dt.datetime
) -> Outcome | None:
    """Takes the claim for the candidate's (user, product) if its teams have a seat; None when
    granted, else why not."""
    claims = store.table("dashboard_enrollment_claims")
    with store.transaction() as connection:
        if connection.dialect.name == "postgresql":
            lock = sa.func.pg_advisory_xact_lock(ADVISORY_LOCK_CLASS, candidate.product_id)
            connection.execute(sa.select(lock))
        left = _seats_left(
            connection, store, at, product_id=candidate.product_id, email=candidate.email
        )
        if not left or min(left.values()) < 1:
            return "no seat available"
        insert = dialect_insert(connection, claims).values(
            thinkific_user_id=candidate.thinkific_user_id,
            product_id=candidate.product_id,
            team=candidate.team,
            email=candidate.email,
            status="claimed",
            run_id=run_id,
            claimed_at=at,
            detail=None,
        )
        retakeable = sa.or_(
            claims.c.status == "failed",
            sa.and_(
                claims.c.status == "claimed",
                sa.or_(claims.c.run_id == run_id, claims.c.claimed_at < at - CLAIM_LEASE),
            ),
        )
        taken = insert.on_conflict_do_update(
            index_elements=["thinkific_user_id", "product_id"],
            set_={
                name: insert.excluded[name]
                for name in ("team", "email", "status", "run_id", "claimed_at", "detail")
            },
            where=retakeable,
        )
        if connection.execute(taken).rowcount == 0:
            return "taken by another run"
    return None


def _settle(store: DashboardStore, candidate: Candidate, status: str, detail: str | None) -> None:
    claims = store.table("dashboard_enrollment_claims")
    with store.transaction() as connection:
        connection.execute(
            sa.update(claims)
            .where(
                claims.c.thinkific_user_id == candidate.thinkific_user_id,
                claims.c.product_id == candidate.product_id,
            )
            .values(status=status, detail=detail)
        )


def _enrol(client: ThinkificClient, candidate: Candidate, at: dt.datetime) -> None:
    """The POST: a course enrollment, or a bundle's (all its courses). `activated_at` makes it
    a full enrollment, not a free trial."""
    body = {"user_id": candidate.thinkific_user_id, "activated_at": at.isoformat()}
    if candidate.productable_type == "Bundle":
        client.post(f"/bundles/{candidate.productable_id}/enrollments", body)
    else:
        client.post("/enrollments", {**body, "course_id": candidate.productable_id})


def _already_enrolled(error: ThinkificValidationError) -> bool:
    return any("already enrolled" in problem.lower() for problem in error.problems)


def _read_back(client: ThinkificClient, warehouse: WarehouseResource, user_id: int) -> None:
    """The user's enrollments as Thinkific now has them, upserted into the mirror."""
    pages = client.iter_pages(
        "/enrollments", {"query[user_id]": user_id}, stream=f"enrollments of user {user_id}"
    )
    records = [record for page in pages for record in page.items]
    warehouse.upsert("thinkific_enrollments", to_frame("thinkific_enrollments", records))


def push(
    store: DashboardStore,
    warehouse: WarehouseResource,
    client: ThinkificClient,
    run_id: str,
    at: dt.datetime,
    *,
    on_result: Callable[[PushResult], None] = lambda _: None,
) -> list[PushResult]:
    """Pushes the plan: claim, POST, read back, settle, one candidate after the other.

    A 422 other than "already enrolled" fails that claim (the reason is kept) and the push goes
    on; any other error stops it with the claim in flight (retaken by a step retry).
    """
    results = []
    for planned in plan(store, at):
        if planned.action != "enrol":
            continue
        candidate = planned.candidate
        refused = claim(store, candidate, run_id, at)
        if refused is not None:
            result = PushResult(candidate, refused)
        else:
            result = _push_one(store, warehouse, client, candidate, at)
        results.append(result)
        on_result(result)
    return results


def _push_one(
    store: DashboardStore,
    warehouse: WarehouseResource,
    client: ThinkificClient,
    candidate: Candidate,
    at: dt.datetime,
) -> PushResult:
    outcome: Outcome = "enrolled"
    try:
        _enrol(client, candidate, at)
    except ThinkificValidationError as error:
        if not _already_enrolled(error):
            _settle(store, candidate, "failed", str(error))
            return PushResult(candidate, "failed", str(error))
        outcome = "already enrolled"
    _read_back(client, warehouse, candidate.thinkific_user_id)
    _settle(store, candidate, "enrolled", None)
    return PushResult(candidate, outcome)
