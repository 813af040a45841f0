"""The Python API that tests drive the site with: records, memberships, clock, ground truth."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from simulator.errors import ApiError
from tests.simulator.helpers import session_for

GROUND_TRUTH_KEYS = {
    "users",
    "groups",
    "group_memberships",
    "group_analysts",
    "products",
    "courses",
    "bundles",
    "enrollments",
    "orders",
    "custom_profile_field_definitions",
    "welcome_emails",
    "certificates",
    "quiz_results",
}


def test_ground_truth_has_every_stream(simulator):
    assert set(simulator.ground_truth()) == GROUND_TRUTH_KEYS


def test_created_records_are_served_like_generated_ones(simulator, api):
    user = simulator.site.create(
        "users", {"first_name": "Új", "last_name": "Ügyfél", "email": "u@x.example"}
    )
    group = simulator.site.create("groups", {"name": "Created"})
    course = simulator.site.create("courses", {"name": "Created course"})
    bundle = simulator.site.create(
        "bundles", {"name": "Created bundle", "course_ids": [course["id"]]}
    )
    for resource, record in (
        ("users", user),
        ("groups", group),
        ("courses", course),
        ("bundles", bundle),
    ):
        assert api.get(f"{simulator.base_url}/{resource}/{record['id']}").json() == record
    products = simulator.ground_truth()["products"]
    assert {"Course", "Bundle"} == {
        p["productable_type"]
        for p in products
        if p["productable_id"] in (course["id"], bundle["id"])
    }


def test_new_records_get_the_next_id_and_the_clock_time(simulator):
    last_id = simulator.ground_truth()["users"][-1]["id"]
    user = simulator.site.create(
        "users", {"first_name": "N", "last_name": "W", "email": "n@x.example"}
    )
    assert user["id"] == last_id + 1
    created = datetime.fromisoformat(user["created_at"])
    assert abs(created - simulator.clock.now()) < timedelta(seconds=5)


def test_update_enrollment_bumps_updated_at_to_the_clock(simulator):
    enrollment = simulator.ground_truth()["enrollments"][0]
    simulator.clock.advance(86_400)
    updated = simulator.site.update("enrollments", enrollment["id"], {"percentage_completed": 0.5})
    assert updated["percentage_completed"] == 0.5
    assert abs(datetime.fromisoformat(updated["updated_at"]) - simulator.clock.now()) < timedelta(
        seconds=5
    )


def test_update_with_an_unknown_field_is_an_error(simulator):
    enrollment_id = simulator.ground_truth()["enrollments"][0]["id"]
    with pytest.raises(ValueError):
        simulator.site.update("enrollments", enrollment_id, {"no_such_field": 1})


def test_deleting_a_user_drops_its_memberships_analyst_seats_and_enrollments(simulator, api):
    truth = simulator.ground_truth()
    analyst = truth["group_analysts"][0]["user_id"]
    simulator.site.delete("users", analyst)
    after = simulator.ground_truth()
    assert analyst not in {u["id"] for u in after["users"]}
    for stream in ("group_memberships", "group_analysts", "enrollments"):
        assert analyst not in {row["user_id"] for row in after[stream]}, stream
    assert api.get(f"{simulator.base_url}/users/{analyst}").status_code == 404


def test_deleted_ids_are_not_reused(simulator):
    last = simulator.ground_truth()["users"][-1]["id"]
    simulator.site.delete("users", last)
    user = simulator.site.create(
        "users", {"first_name": "A", "last_name": "B", "email": "ab@x.example"}
    )
    assert user["id"] == last + 1


def test_a_deleted_users_email_can_be_used_again(simulator):
    user = simulator.ground_truth()["users"][0]
    simulator.site.delete("users", user["id"])
    again = simulator.site.create(
        "users", {"first_name": "A", "last_name": "B", "email": user["email"]}
    )
    assert again["email"] == user["email"]


def test_deleting_a_course_drops_its_product_enrollments_and_bundle_places(simulator):
    truth = simulator.ground_truth()
    course_id = truth["bundles"][0]["course_ids"][0]
    simulator.site.delete("courses", course_id)
    after = simulator.ground_truth()
    assert course_id not in {e["course_id"] for e in after["enrollments"]}
    assert ("Course", course_id) not in {
        (p["productable_type"], p["productable_id"]) for p in after["products"]
    }
    assert course_id not in after["bundles"][0]["course_ids"]


def test_add_and_remove_group_member(simulator, api):
    truth = simulator.ground_truth()
    group_id = truth["groups"][0]["id"]
    outsider = next(
        u["id"]
        for u in truth["users"]
        if {"group_id": group_id, "user_id": u["id"]} not in truth["group_memberships"]
    )
    simulator.site.add_group_member(group_id, outsider)
    assert {"group_id": group_id, "user_id": outsider} in simulator.ground_truth()[
        "group_memberships"
    ]
    simulator.site.remove_group_member(group_id, outsider)
    assert {"group_id": group_id, "user_id": outsider} not in simulator.ground_truth()[
        "group_memberships"
    ]
    with pytest.raises(ApiError):
        simulator.site.remove_group_member(group_id, outsider)


def test_unknown_records_raise_the_404_api_error(simulator):
    with pytest.raises(ApiError) as raised:
        simulator.site.delete("users", 1)
    assert raised.value.status == 404


def test_clock_moves_on_its_own_and_jumps_forward(simulator):
    before = simulator.clock.now()
    assert before.tzinfo == UTC
    assert simulator.clock.advance(3600) - before >= timedelta(hours=1)
    with pytest.raises(ValueError):
        simulator.clock.advance(-1)


def test_pinned_start_time_sets_the_clock(start_simulator):
    start = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    sim = start_simulator(start_time=start)
    assert timedelta(0) <= sim.clock.now() - start < timedelta(seconds=5)


def test_stop_closes_kept_alive_connections(start_simulator):
    sim = start_simulator()
    url = f"{sim.base_url}/groups"
    session = session_for(sim)
    assert session.get(url).status_code == 200
    sim.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(url, timeout=2)
