"""Sync Enrollments: pull adopts, push enrols while seats last, never twice, dry run plans."""

import datetime as dt
import threading
from dataclasses import dataclass

import pytest

from resources.dashboard.enrollment_push import CLAIM_LEASE, candidates, claim, push
from resources.dashboard.seats import recalculate_seat_usage
from resources.dashboard.store import DashboardStore, utc_now
from resources.warehouse import WarehouseResource
from schemas.dashboard import normalised
from simulator import SimulatorServer
from tests.dashboard.conftest import tools_definitions
from tests.dashboard.site_helpers import (
    enrollment_pairs,
    launch,
    materialized,
    product_of,
    synced,
    users_without,
)
from tests.pipelines.sync_harness import failure_messages, thinkific_for


@dataclass
class Seats:
    """A team that bought `seats` of one product and assigned it to `people`, in order."""

    product: dict
    course_ids: list[int]
    people: list[dict]


def buy_and_assign(
    site: SimulatorServer,
    store: DashboardStore,
    seats: int,
    assignees: int,
    *,
    bundle: bool = False,
    team: str = "Acme",
) -> Seats:
    truth = synced(site, store._warehouse)
    if bundle:
        chosen = truth["bundles"][0]
        product, course_ids = product_of(truth, "Bundle", chosen["id"]), chosen["course_ids"]
    else:
        course_ids = [truth["courses"][1]["id"]]
        product = product_of(truth, "Course", course_ids[0])
    people = users_without(truth, course_ids, assignees)
    store.add_users([{"email": p["email"], "thinkific_user_id": p["id"]} for p in people])
    store.create_teams(team)
    store.add_members(team, [p["email"] for p in people], "member", "csv_import")
    store.allocate_seats(team, product["id"], seats, utc_now())
    for person in people:
        store.assign_seats(team, [person["email"]], product["id"])
    return Seats(product, course_ids, people)


def new_pairs(site: SimulatorServer, seats: Seats) -> list[tuple[int, int]]:
    ids = {p["id"] for p in seats.people}
    return sorted(p for p in enrollment_pairs(site) if p[0] in ids and p[1] in seats.course_ids)


def usage(store: DashboardStore) -> dict[str, tuple[int, int, int]]:
    recalculate_seat_usage(store, utc_now())
    frame = store.read("dashboard_seat_usage")
    return {row.team: (row.purchased, row.used, row.available) for row in frame.itertuples()}


@pytest.fixture
def store(sqlite_warehouse) -> DashboardStore:
    return DashboardStore(sqlite_warehouse)


def test_push_enrols_assigned_users_only_while_the_team_has_seats(site, store):
    seats = buy_and_assign(site, store, seats=2, assignees=4)

    result = launch(
        tools_definitions(site, store._warehouse), "sync_enrollments", {"direction": "push"}
    )

    assert result.success, failure_messages(result)
    course = seats.course_ids[0]
    assert new_pairs(site, seats) == sorted((p["id"], course) for p in seats.people[:2])
    full = [
        e
        for e in site.ground_truth()["enrollments"]
        if (e["user_id"], e["course_id"]) in new_pairs(site, seats)
    ]
    assert not any(e["is_free_trial"] for e in full)
    assert usage(store) == {"acme": (2, 2, 0)}
    assert {"dashboard/seat_assignments", "dashboard/seat_usage"} <= materialized(result)
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks["seats_not_over_allocated"]


def test_push_enrols_a_bundle_in_each_of_its_courses_and_uses_one_seat(site, store):
    seats = buy_and_assign(site, store, seats=1, assignees=2, bundle=True)

    result = launch(
        tools_definitions(site, store._warehouse), "sync_enrollments", {"direction": "push"}
    )

    assert result.success, failure_messages(result)
    first = seats.people[0]["id"]
    assert new_pairs(site, seats) == sorted((first, course) for course in seats.course_ids)
    assert usage(store) == {"acme": (1, 1, 0)}


def test_a_dry_run_shows_the_plan_as_a_table_and_changes_nothing(site, store):
    seats = buy_and_assign(site, store, seats=2, assignees=3)
    before = enrollment_pairs(site)

    result = launch(
        tools_definitions(site, store._warehouse),
        "sync_enrollments",
        {"direction": "both", "dry_run": True},
    )

    assert result.success, failure_messages(result)
    assert enrollment_pairs(site) == before
    assert store.read("dashboard_enrollment_claims").empty
    assert set(store.read("dashboard_seat_assignments")["source"]) == {"dashboard"}
    assert materialized(result) == {"thinkific/enrollments"}
    (observation,) = [
        e.event_specific_data.asset_observation
        for e in result.all_events
        if e.event_type_value == "ASSET_OBSERVATION"
    ]
    plan = [r.data for r in observation.metadata["plan"].value.records]
    emails = [normalised(p["email"]) for p in seats.people]
    assert [(r["email"], r["action"]) for r in plan] == [
        (emails[0], "enrol"),
        (emails[1], "enrol"),
        (emails[2], "skip: no seat available in acme"),
    ]
    assert observation.metadata["enrollments_to_create"].value == 2


def test_pull_adopts_seats_held_through_thinkific_enrollments_as_assignments(site, store):
    truth = synced(site, store._warehouse)
    course = truth["courses"][0]["id"]
    product = product_of(truth, "Course", course)
    holders = sorted(
        {
            e["user_id"]
            for e in truth["enrollments"]
            if e["course_id"] == course and not e["is_free_trial"] and not e["expired"]
        }
    )
    email_of = {u["id"]: u["email"] for u in truth["users"]}
    store.add_users([{"email": email_of[h], "thinkific_user_id": h} for h in holders])
    store.create_teams("Acme")
    store.add_members("Acme", [email_of[h] for h in holders], "member", "csv_import")
    store.allocate_seats("Acme", product["id"], 100, utc_now())

    result = launch(
        tools_definitions(site, store._warehouse), "sync_enrollments", {"direction": "pull"}
    )

    assert result.success, failure_messages(result)
    assignments = store.read("dashboard_seat_assignments")
    assert sorted(assignments["email"]) == sorted(normalised(email_of[h]) for h in holders)
    assert set(assignments["source"]) == {"thinkific"}
    assert usage(store)["acme"] == (100, len(holders), 100 - len(holders))


def _push(site: SimulatorServer, warehouse: WarehouseResource, run_id: str) -> list:
    client = thinkific_for(site, requests_per_minute=6000).get_client()
    return push(DashboardStore(warehouse), warehouse, client, run_id, utc_now())


def test_already_enrolled_in_thinkific_counts_as_pushed(site, store):
    seats = buy_and_assign(site, store, seats=1, assignees=1)
    person, course = seats.people[0], seats.course_ids[0]
    site.site.create(
        "enrollments", {"user_id": person["id"], "course_id": course, "activated_at": utc_now()}
    )

    (result,) = _push(site, store._warehouse, "run-1")

    assert result.outcome == "already enrolled"
    assert new_pairs(site, seats) == [(person["id"], course)]
    claims = store.read("dashboard_enrollment_claims")
    assert list(claims["status"]) == ["enrolled"]
    assert usage(store) == {"acme": (1, 1, 0)}


def test_pushes_racing_create_each_enrollment_once_and_never_exceed_the_seats(site, warehouse_url):
    warehouse = WarehouseResource(url=warehouse_url)
    store = DashboardStore(warehouse)
    seats = buy_and_assign(site, store, seats=3, assignees=6)
    # The first assignee is also in a team that holds the product with no seat left: enrolling
    # them would use a seat there too, so they must be passed over.
    store.create_teams("Beta")
    store.add_members("Beta", [seats.people[0]["email"]], "member", "csv_import")
    store.allocate_seats("Beta", seats.product["id"], 0, utc_now())
    pushers = 3
    start = threading.Barrier(pushers)
    results: list = []
    site.stats.reset()

    def pusher(number: int) -> None:
        own = WarehouseResource(url=warehouse_url)
        start.wait()
        results.extend(_push(site, own, f"run-{number}"))
        own.dispose()

    threads = [threading.Thread(target=pusher, args=(n,)) for n in range(pushers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    pairs = new_pairs(site, seats)
    assert pairs == sorted((p["id"], seats.course_ids[0]) for p in seats.people[1:4])
    assert sum(r.outcome == "enrolled" for r in results) == 3
    posts = [r for r in site.stats.snapshot()["requests"] if r["method"] == "POST"]
    assert [r["status"] for r in posts] == [201, 201, 201]  # no second POST, so no 422
    assert usage(store) == {"acme": (3, 3, 0), "beta": (0, 0, 0)}
    warehouse.dispose()


def test_claims_racing_for_the_last_seats_are_granted_only_as_many_times_as_seats(
    site, warehouse_url
):
    warehouse = WarehouseResource(url=warehouse_url)
    seats = buy_and_assign(site, DashboardStore(warehouse), seats=2, assignees=6)
    candidates_ = candidates(DashboardStore(warehouse))
    start = threading.Barrier(len(candidates_))
    refusals: list = []

    def claimer(candidate) -> None:
        own = WarehouseResource(url=warehouse_url)
        start.wait()
        refusals.append(claim(DashboardStore(own), candidate, f"run-{candidate.email}", utc_now()))
        own.dispose()

    threads = [threading.Thread(target=claimer, args=(c,)) for c in candidates_]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(candidates_) == len(seats.people)
    assert sorted(refusals, key=str) == [None, None] + ["no seat available"] * 4
    warehouse.dispose()


def _claim(store: DashboardStore, seats: Seats, run_id: str, claimed_at: dt.datetime) -> None:
    person = seats.people[0]
    store.write(
        "dashboard_enrollment_claims",
        [
            {
                "thinkific_user_id": person["id"],
                "product_id": seats.product["id"],
                "team": "acme",
                "email": normalised(person["email"]),
                "status": "claimed",
                "run_id": run_id,
                "claimed_at": claimed_at,
            }
        ],
    )


def test_a_claim_in_flight_in_another_run_holds_its_seat_and_is_not_pushed_again(site, store):
    seats = buy_and_assign(site, store, seats=1, assignees=2)
    _claim(store, seats, "other-run", utc_now())

    results = _push(site, store._warehouse, "run-1")

    assert results == []
    assert new_pairs(site, seats) == []


def test_a_claim_left_by_a_dead_run_is_taken_again_after_its_lease(site, store):
    seats = buy_and_assign(site, store, seats=1, assignees=1)
    _claim(store, seats, "dead-run", utc_now() - CLAIM_LEASE - dt.timedelta(minutes=1))

    (result,) = _push(site, store._warehouse, "run-1")

    assert result.outcome == "enrolled"
    assert new_pairs(site, seats) == [(seats.people[0]["id"], seats.course_ids[0])]
    claims = store.read("dashboard_enrollment_claims")
    assert list(claims[["status", "run_id"]].itertuples(index=False, name=None)) == [
        ("enrolled", "run-1")
    ]


def test_a_push_thinkific_rejects_is_recorded_as_failed_and_the_rest_goes_on(site, store):
    seats = buy_and_assign(site, store, seats=2, assignees=2)
    site.site.delete("users", seats.people[0]["id"])

    results = _push(site, store._warehouse, "run-1")

    assert [r.outcome for r in results] == ["failed", "enrolled"]
    assert "User could not be found" in results[0].detail
    claims = store.read("dashboard_enrollment_claims").set_index("thinkific_user_id")
    assert claims.loc[seats.people[0]["id"], "status"] == "failed"
