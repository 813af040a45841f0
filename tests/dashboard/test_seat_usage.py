"""The seat rules of `resources.dashboard.seats` (its module docstring; `dashboard_seat_usage` in
docs/data-dictionary.md), one test each, on SQLite and PostgreSQL."""

import pandas as pd
import sqlalchemy as sa
from dagster import materialize

from assets.dashboard.derived import seat_usage, seats_not_over_allocated
from resources.dashboard.enrollment_push import candidates
from resources.dashboard.seats import recalculate_seat_usage
from resources.dashboard.store import DashboardStore, utc_now
from resources.dashboard.team_mapping import map_teams
from tests.dashboard.seed import DAY, NOW, bundle_product, course_product, enrollment, put, user

COURSE, BUNDLE = 100, 200  # product ids
COURSE_ID, BUNDLE_ID, BUNDLE_COURSES = 1, 9, (2, 3)


def seed(store: DashboardStore, *people: tuple[int, str, tuple[str, ...]]) -> None:
    """Thinkific products (a course, and a bundle of two courses) and people: (id, email,
    teams). Each team bought 5 seats of each product, today."""
    warehouse = store._warehouse
    put(
        warehouse,
        "products",
        [course_product(COURSE, COURSE_ID), bundle_product(BUNDLE, BUNDLE_ID)],
    )
    put(
        warehouse,
        "bundle_courses",
        [{"bundle_id": BUNDLE_ID, "course_id": c} for c in BUNDLE_COURSES],
    )
    put(warehouse, "users", [user(user_id, email) for user_id, email, _ in people])
    store.add_users([{"email": email} for _, email, _ in people])
    teams = sorted({team for *_, teams in people for team in teams})
    store.create_teams(*teams)
    for team in teams:
        store.add_members(team, [e for _, e, ts in people if team in ts], "member", "csv_import")
        for product in (COURSE, BUNDLE):
            store.allocate_seats(team, product, 5, NOW)
    map_teams(store, utc_now(), "link-users")


def used(store: DashboardStore) -> dict[tuple[str, int], int]:
    recalculate_seat_usage(store, utc_now())
    frame = store.read("dashboard_seat_usage")
    return {(row.team, row.product_id): row.used for row in frame.itertuples()}


def test_seats_used_are_distinct_members_with_an_active_enrollment(store):
    seed(store, (1, "a@x.com", ("red",)), (2, "b@x.com", ("red",)), (3, "c@x.com", ("red",)))
    put(store._warehouse, "enrollments", [enrollment(1, 1, COURSE_ID), enrollment(2, 2, COURSE_ID)])

    assert used(store) == {("red", COURSE): 2, ("red", BUNDLE): 0}


def test_an_enrollment_older_than_the_seat_purchase_counts(store):
    seed(store, (1, "a@x.com", ("red",)))
    long_ago = NOW - 400 * DAY
    put(
        store._warehouse,
        "enrollments",
        [enrollment(1, 1, COURSE_ID, created_at=long_ago, activated_at=long_ago)],
    )

    assert used(store)[("red", COURSE)] == 1


def test_a_bundle_uses_one_seat_however_many_of_its_courses_a_member_takes(store):
    seed(store, (1, "a@x.com", ("red",)), (2, "b@x.com", ("red",)))
    put(
        store._warehouse,
        "enrollments",
        [enrollment(1, 1, 2), enrollment(2, 1, 3), enrollment(3, 2, 3)],
    )

    assert used(store)[("red", BUNDLE)] == 2


def test_expired_and_free_trial_enrollments_do_not_use_a_seat(store):
    seed(store, *((i, f"u{i}@x.com", ("red",)) for i in range(1, 5)))
    put(
        store._warehouse,
        "enrollments",
        [
            enrollment(1, 1, COURSE_ID, expired=True, expiry_date=NOW - DAY),
            # Thinkific flips `expired` without touching updated_at: the date alone decides.
            enrollment(2, 2, COURSE_ID, expired=False, expiry_date=NOW - DAY),
            enrollment(3, 3, COURSE_ID, is_free_trial=True, activated_at=None),
            enrollment(4, 4, COURSE_ID, expiry_date=NOW + 30 * DAY),
        ],
    )

    assert used(store)[("red", COURSE)] == 1


def test_an_enrollment_deleted_in_thinkific_does_not_use_a_seat(store):
    seed(store, (1, "a@x.com", ("red",)), (2, "b@x.com", ("red",)))
    put(store._warehouse, "enrollments", [enrollment(1, 1, COURSE_ID), enrollment(2, 2, COURSE_ID)])
    with store._warehouse.snapshot("thinkific_enrollments") as load:
        load.append(pd.DataFrame([enrollment(2, 2, COURSE_ID)]))
        load.commit()

    assert used(store)[("red", COURSE)] == 1


def test_a_user_in_two_teams_uses_a_seat_in_each_team_that_bought_the_product(store):
    seed(store, (1, "a@x.com", ("red", "blue")), (2, "b@x.com", ("blue",)))
    store.create_teams("green")
    store.add_members("green", ["a@x.com"], "member", "csv_import")
    put(store._warehouse, "enrollments", [enrollment(1, 1, COURSE_ID)])

    usage = used(store)

    assert (usage[("red", COURSE)], usage[("blue", COURSE)]) == (1, 1)
    assert ("green", COURSE) not in usage  # green bought no seats


def test_several_purchases_of_a_product_add_up_and_available_is_purchased_minus_used(store):
    seed(store, (1, "a@x.com", ("red",)))
    store.allocate_seats("red", COURSE, 3, NOW - 10 * DAY)
    put(store._warehouse, "enrollments", [enrollment(1, 1, COURSE_ID)])
    recalculate_seat_usage(store, utc_now())

    row = store.read("dashboard_seat_usage").set_index(["team", "product_id"]).loc[("red", COURSE)]

    assert (row.purchased, row.used, row.available) == (8, 1, 7)


def test_recalculating_returns_the_number_of_team_and_product_rows_written(store):
    seed(store, (1, "a@x.com", ("red", "blue")))

    assert recalculate_seat_usage(store, utc_now()) == len(store.read("dashboard_seat_usage")) == 4


def test_the_over_allocation_check_names_the_teams_and_products_affected(store):
    seed(store, *((i, f"u{i}@x.com", ("red",)) for i in range(1, 7)), (9, "z@x.com", ("blue",)))
    put(store._warehouse, "enrollments", [enrollment(i, i, COURSE_ID) for i in range(1, 7)])
    put(store._warehouse, "enrollments", [enrollment(9, 9, COURSE_ID)])

    result = materialize(
        [seat_usage, seats_not_over_allocated], resources={"warehouse": store._warehouse}
    )

    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    metadata = {name: value.value for name, value in check.metadata.items()}
    assert metadata["over_allocations"] == 1
    assert metadata["teams"] == "red"
    assert metadata["products"] == f"Course {COURSE_ID}"
    (record,) = metadata["details"].records
    assert record.data == {
        "team": "red",
        "product": f"Course {COURSE_ID}",
        "purchased": 5,
        "used": 6,
        "available": -1,
    }


def test_the_over_allocation_check_passes_when_every_team_is_within_its_seats(store):
    seed(store, (1, "a@x.com", ("red",)))
    put(store._warehouse, "enrollments", [enrollment(1, 1, COURSE_ID)])

    result = materialize(
        [seat_usage, seats_not_over_allocated], resources={"warehouse": store._warehouse}
    )

    assert [check.passed for check in result.get_asset_check_evaluations()] == [True]


def unlink(store: DashboardStore, email: str) -> None:
    """The dashboard user loses its Thinkific id link (imported before the Thinkific user
    existed, say, and no team mapping has run since)."""
    users = store.table("dashboard_users")
    with store.transaction() as connection:
        connection.execute(
            sa.update(users).where(users.c.email == email).values(thinkific_user_id=None)
        )


def test_a_member_without_a_thinkific_id_link_is_matched_by_email_in_any_case(store):
    seed(store, (1, "a@x.com", ("red",)), (2, "b@x.com", ("red",)))
    put(store._warehouse, "users", [user(1, "  A@X.com ")])
    put(store._warehouse, "enrollments", [enrollment(1, 1, COURSE_ID), enrollment(2, 2, COURSE_ID)])
    unlink(store, "a@x.com")

    assert used(store)[("red", COURSE)] == 2


def test_a_member_is_not_matched_to_a_thinkific_user_deleted_in_thinkific(store):
    seed(store, (1, "a@x.com", ("red",)))
    put(store._warehouse, "enrollments", [enrollment(1, 1, COURSE_ID)])
    unlink(store, "a@x.com")
    thinkific = store.table("thinkific_users")
    with store.transaction() as connection:
        connection.execute(sa.update(thinkific).values(deleted_at=utc_now()))

    assert used(store)[("red", COURSE)] == 0


def test_a_team_whose_purchases_all_expired_keeps_its_row_with_the_seats_still_used(store):
    seed(store, (1, "a@x.com", ("red",)), (2, "b@x.com", ("red",)))
    put(store._warehouse, "enrollments", [enrollment(1, 1, COURSE_ID), enrollment(2, 2, COURSE_ID)])
    store.allocate_seats("red", COURSE, 3, NOW - 10 * DAY)
    allocations = store.table("dashboard_seat_allocations")
    with store.transaction() as connection:
        connection.execute(
            sa.update(allocations)
            .where(allocations.c.team == "red", allocations.c.product_id == COURSE)
            .values(expires_at=NOW - DAY)
        )
    recalculate_seat_usage(store, utc_now())

    row = store.read("dashboard_seat_usage").set_index(["team", "product_id"]).loc[("red", COURSE)]

    assert (row.purchased, row.used, row.available) == (0, 2, -2)


def test_an_archived_team_keeps_no_row_even_of_a_product_it_bought(store):
    seed(store, (1, "a@x.com", ("red", "blue")))
    teams = store.table("dashboard_teams")
    with store.transaction() as connection:
        connection.execute(
            sa.update(teams).where(teams.c.team == "red").values(archived_at=utc_now())
        )

    assert {team for team, _ in used(store)} == {"blue"}


def test_a_seat_assigned_to_a_member_without_an_id_link_is_pushed_to_the_user_with_its_email(
    store,
):
    seed(store, (1, "a@x.com", ("red",)))
    unlink(store, "a@x.com")
    store.assign_seats("red", ["a@x.com"], COURSE)

    (candidate,) = candidates(store)

    assert (candidate.email, candidate.thinkific_user_id) == ("a@x.com", 1)
