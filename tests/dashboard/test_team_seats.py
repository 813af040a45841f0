"""Seat purchases and assignments from the Teams tab, launched as the Launchpad launches them.

The seeded teams (tests/dashboard/team_setup.py): Red has a (enrolled) and b (manager), Blue
has b and c (enrolled); each bought 5 seats of the course and 5 of a bundle.
"""

import pytest

from resources.dashboard.seats import recalculate_seat_usage
from tests.dashboard.seed import DAY, NOW
from tests.dashboard.team_setup import PRODUCT, act, audit, overview_after, seats_bought, seed_teams
from tests.dashboard.test_seat_usage import COURSE
from tests.pipelines.sync_harness import failure_messages


@pytest.fixture(autouse=True)
def teams(store):
    seed_teams(store)


def assignments(store) -> set[tuple[str, str, int]]:
    frame = store.read("dashboard_seat_assignments")
    return set(frame[["team", "email", "product_id"]].itertuples(index=False, name=None))


def test_allocate_seats_sets_the_total_and_the_overview_shows_it(store, instance):
    result = act(store, instance, "allocate_seats", {"team": "red", "product": PRODUCT, "seats": 8})

    assert result.success, failure_messages(result)
    assert seats_bought(store)[("red", COURSE)] == 8
    assert overview_after(store, instance, result)["Red"]["seats_purchased"] == 8 + 5  # + bundle
    assert audit(store) == [("allocate_seats", "applied", 2)]  # one purchase out, one in


def test_allocate_seats_in_add_mode_adds_a_purchase_by_product_id(store, instance):
    config = {"team": "Blue", "product": str(COURSE), "seats": 3, "mode": "add"}

    result = act(store, instance, "allocate_seats", config)

    assert seats_bought(store)[("blue", COURSE)] == 5 + 3
    assert overview_after(store, instance, result)["Blue"]["seats_available"] == (5 + 3 - 1) + 5


def test_allocating_the_same_total_again_changes_nothing_and_is_still_audited(store, instance):
    until = (NOW + 30 * DAY).isoformat()
    config = {"team": "red", "product": PRODUCT, "seats": 8, "expires_at": until}
    act(store, instance, "allocate_seats", config)

    again = act(store, instance, "allocate_seats", config)

    assert again.success
    assert seats_bought(store)[("red", COURSE)] == 8
    assert audit(store) == [("allocate_seats", "applied", 2), ("allocate_seats", "applied", 0)]


def test_seats_stop_counting_when_their_purchase_expires(store, instance):
    expiry = (NOW + 10 * DAY).isoformat()
    config = {"team": "red", "product": PRODUCT, "seats": 2, "mode": "add", "expires_at": expiry}
    act(store, instance, "allocate_seats", config)

    recalculate_seat_usage(store, NOW + 11 * DAY)

    usage = store.read("dashboard_seat_usage").set_index(["team", "product_id"])
    assert usage.loc[("red", COURSE), "purchased"] == 5


def test_allocating_to_an_archived_team_is_refused_and_audited(store, instance):
    act(store, instance, "archive_team", {"team": "Blue"})

    result = act(
        store, instance, "allocate_seats", {"team": "Blue", "product": PRODUCT, "seats": 9}
    )

    assert not result.success
    assert "team 'Blue' is archived" in failure_messages(result)
    assert "act on an active team instead" in failure_messages(result)
    assert seats_bought(store)[("blue", COURSE)] == 5
    assert audit(store) == [("archive_team", "applied", 1), ("allocate_seats", "refused", 0)]


def test_assign_seats_assigns_members_by_email_in_any_case(store, instance):
    config = {"team": "Red", "product": PRODUCT, "emails": [" B@X.com", "a@x.com"]}

    result = act(store, instance, "assign_seats", config)

    assert result.success, failure_messages(result)
    assert assignments(store) == {("red", "a@x.com", COURSE), ("red", "b@x.com", COURSE)}
    assert audit(store) == [("assign_seats", "applied", 2)]


def test_assigning_past_the_available_seats_is_refused_saying_what_to_do(store, instance):
    act(store, instance, "allocate_seats", {"team": "Red", "product": PRODUCT, "seats": 1})

    result = act(
        store, instance, "assign_seats", {"team": "Red", "product": PRODUCT, "emails": ["b@x.com"]}
    )

    assert not result.success
    assert (
        "team 'Red' has 1 seats of 'Course 1', 1 taken (in use or assigned), 0 available; "
        "1 more asked for: allocate more seats (allocate_seats, mode add) or unassign someone "
        "first"
    ) in failure_messages(result)
    assert assignments(store) == set()
    assert audit(store)[-1] == ("assign_seats", "refused", 0)


def test_a_member_who_holds_the_seat_already_needs_no_second_one(store, instance):
    act(store, instance, "allocate_seats", {"team": "Red", "product": PRODUCT, "seats": 1})

    result = act(
        store, instance, "assign_seats", {"team": "Red", "product": PRODUCT, "emails": ["a@x.com"]}
    )

    assert result.success, failure_messages(result)


def test_unassigning_releases_the_seat_and_keeps_the_thinkific_enrollment(store, instance):
    enrollments = store._warehouse.read_frame("thinkific_enrollments")
    config = {"team": "Blue", "product": PRODUCT, "emails": ["c@x.com"]}
    act(store, instance, "assign_seats", config)

    result = act(store, instance, "unassign_seats", config)

    assert result.success, failure_messages(result)
    assert overview_after(store, instance, result)["Blue"]["seats_used"] == 0  # c was using it
    assert assignments(store) == set()
    assert store._warehouse.read_frame("thinkific_enrollments").equals(enrollments)
    assert audit(store)[-1] == ("unassign_seats", "applied", 2)  # assignment out, release in


def test_assigning_a_released_seat_again_makes_it_count(store, instance):
    config = {"team": "Blue", "product": PRODUCT, "emails": ["c@x.com"]}
    act(store, instance, "unassign_seats", config)

    result = act(store, instance, "assign_seats", config)

    assert overview_after(store, instance, result)["Blue"]["seats_used"] == 1
    assert store.read("dashboard_seat_releases").empty
